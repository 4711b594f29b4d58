//! awsQuery services (form body, XML answers): STS `GetCallerIdentity` and `AssumeRole`
//! ([AssumeRole](https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html)), and IAM
//! `SimulatePrincipalPolicy` ([SimulatePrincipalPolicy](https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html),
//! answered in the shape of its "Same-Account Simulation" sample, as the corpus's `iam/` files are).
//!
//! AssumeRole issues an access key that maps back to the role session: the role's account is the one in
//! `RoleArn`. Roles, trust policies and external ids are not checked.

use std::fmt::Write;

use super::http::Response;
use super::{ApiError, Cx};
use crate::identity::{Principal, parse_role_arn};
use crate::world::{Decision, State, evaluate};

const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const IAM_NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

fn xml(body: String) -> Response {
    Response::new(200, "text/xml", body.into_bytes())
}

pub(crate) fn error(e: &ApiError, request_id: &str) -> Response {
    let body = format!(
        "<ErrorResponse xmlns=\"{STS_NS}\"><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error>\
         <RequestId>{request_id}</RequestId></ErrorResponse>",
        esc(&e.code),
        esc(&e.message)
    );
    Response::new(e.status, "text/xml", body.into_bytes())
}

fn param<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// `Key.member.1`, `Key.member.2`, ... in order.
fn members<'a>(form: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    (1..).map_while(|i| param(form, &format!("{key}.member.{i}"))).collect()
}

fn validation(msg: &str) -> ApiError {
    ApiError::new("ValidationError", msg)
}

pub(crate) fn handle(
    st: &mut State,
    cx: &Cx,
    service: &str,
    op: &str,
    form: &[(String, String)],
) -> Result<Response, ApiError> {
    match (service, op) {
        ("sts", "GetCallerIdentity") => Ok(xml(format!(
            "<GetCallerIdentityResponse xmlns=\"{STS_NS}\"><GetCallerIdentityResult><Arn>{}</Arn><UserId>{}</UserId>\
             <Account>{}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>awsim</RequestId>\
             </ResponseMetadata></GetCallerIdentityResponse>",
            esc(&cx.caller.arn()),
            esc(&cx.caller.user_id()),
            esc(&cx.account)
        ))),
        ("sts", "AssumeRole") => {
            let arn = param(form, "RoleArn").ok_or_else(|| validation("RoleArn is required"))?;
            let (account, role) = parse_role_arn(arn).ok_or_else(|| validation("RoleArn is not a role ARN"))?;
            let session = param(form, "RoleSessionName").unwrap_or_default();
            // Session name: 2-64 characters of [\w+=,.@-] (AssumeRole request parameters).
            let valid = (2..=64).contains(&session.len())
                && session.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
            if !valid {
                return Err(validation("RoleSessionName must be 2-64 characters of [\\w+=,.@-]"));
            }
            let seconds: i64 = param(form, "DurationSeconds").and_then(|d| d.parse().ok()).unwrap_or(3600);
            if !(900..=43_200).contains(&seconds) {
                return Err(validation("DurationSeconds must be between 900 and 43200"));
            }
            let principal = Principal::assumed_role(&account, &role, session);
            let key = format!("ASIA{:016X}", st.credentials.len() + 1);
            st.credentials.insert(key.clone(), principal.clone());
            // Real time, not the world's clock: the SDK caches the credentials until shortly before this.
            let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(seconds);
            Ok(xml(format!(
                "<AssumeRoleResponse xmlns=\"{STS_NS}\"><AssumeRoleResult><Credentials><AccessKeyId>{key}</AccessKeyId>\
                 <SecretAccessKey>awsim-secret-{key}</SecretAccessKey><SessionToken>awsim-token-{key}</SessionToken>\
                 <Expiration>{}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId>\
                 <Arn>{}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>awsim</RequestId>\
                 </ResponseMetadata></AssumeRoleResponse>",
                expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                esc(&principal.user_id()),
                esc(&principal.arn())
            )))
        }
        ("iam", "SimulatePrincipalPolicy") => simulate(st, form),
        _ => Err(ApiError::new("InvalidAction", format!("awsim does not implement {service}:{op}"))),
    }
}

fn matched(d: &Decision) -> String {
    match d {
        Decision::Allowed(sid) | Decision::ExplicitDeny(sid) => format!(
            "<MatchedStatements><member><SourcePolicyId>{}</SourcePolicyId><SourcePolicyType>IAM Policy</SourcePolicyType>\
             </member></MatchedStatements>",
            esc(sid)
        ),
        Decision::ImplicitDeny => "<MatchedStatements/>".into(),
    }
}

fn simulate(st: &State, form: &[(String, String)]) -> Result<Response, ApiError> {
    let source = param(form, "PolicySourceArn").ok_or_else(|| validation("PolicySourceArn is required"))?;
    let role = st.role(source).ok_or_else(|| ApiError {
        status: 404,
        code: "NoSuchEntity".into(),
        message: format!("The role with name {} cannot be found.", source.rsplit('/').next().unwrap_or(source)),
    })?;
    let actions = members(form, "ActionNames");
    if actions.is_empty() {
        return Err(validation("ActionNames is required"));
    }
    let resources = members(form, "ResourceArns");
    let resources = if resources.is_empty() { vec!["*"] } else { resources };
    let mut out = String::new();
    for action in actions {
        // "returns a single EvaluationResult per action, regardless of how many resource ARNs are provided";
        // per-resource decisions are in ResourceSpecificResults (EvaluationResult).
        let per: Vec<(&str, Decision)> = resources.iter().map(|r| (*r, evaluate(role, action, r))).collect();
        let overall = per.iter().map(|(_, d)| d.clone()).find(|d| !d.allowed()).unwrap_or_else(|| per[0].1.clone());
        let _ = write!(
            out,
            "<member><EvalDecisionDetails/>{}<MissingContextValues/><EvalResourceName>{}</EvalResourceName>\
             <EvalDecision>{}</EvalDecision><EvalActionName>{}</EvalActionName><ResourceSpecificResults>",
            matched(&overall),
            esc(resources[0]),
            overall.as_str(),
            esc(action)
        );
        for (r, d) in &per {
            let _ = write!(
                out,
                "<member>{}<EvalResourceDecision>{}</EvalResourceDecision><MissingContextValues/>\
                 <EvalResourceName>{}</EvalResourceName></member>",
                matched(d),
                d.as_str(),
                esc(r)
            );
        }
        out.push_str("</ResourceSpecificResults></member>");
    }
    Ok(xml(format!(
        "<SimulatePrincipalPolicyResponse xmlns=\"{IAM_NS}\"><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated>\
         <EvaluationResults>{out}</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata>\
         <RequestId>awsim</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>"
    )))
}
