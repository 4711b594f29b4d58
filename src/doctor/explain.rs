//! What AWS's answers mean for a person fixing them: AssumeRole's errors, a clock against AWS's `Date`, and the
//! IAM statement that allows a refused call. Pure: the AWS layer passes codes and messages in.

use std::time::Duration;

use super::Status;

/// Role chaining (assuming a role with credentials of an assumed role) caps a session at one hour (IAM User Guide,
/// "Role chaining").
const CHAINED_SESSION_MAX: Duration = Duration::from_secs(3600);
/// SigV4 refuses a request signed more than five minutes away from AWS's clock.
const SIGNATURE_WINDOW: i64 = 300;
/// Beyond this, ages and grace periods are visibly off.
const CLOCK_WARNING: i64 = 60;

/// What is known about a failed AssumeRole.
#[derive(Debug, Clone)]
pub struct RoleAttempt<'a> {
    pub profile: &'a str,
    pub role_arn: &'a str,
    /// The base identity that asked (its ARN), when known.
    pub caller: Option<&'a str>,
    pub external_id_set: bool,
    pub duration: Option<Duration>,
    pub region: &'a str,
}

/// The account of an ARN (`arn:aws:iam::111111111111:role/x` → `111111111111`).
pub fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or("")
}

/// What a failed AssumeRole (`code`, `message` as AWS said them) means, and what to do: `(detail, fix)`.
pub fn assume_role(code: &str, message: &str, a: &RoleAttempt<'_>) -> (String, String) {
    let table = format!("[profiles.{}]", a.profile);
    let said = if message.is_empty() { code.to_string() } else { format!("{code}: {message}") };
    let lower = message.to_lowercase();
    match code {
        "AccessDenied" | "AccessDeniedException" => {
            let caller = a.caller.unwrap_or("the base identity");
            let external = if a.external_id_set {
                format!("the external_id of {table} must equal the trust policy's sts:ExternalId condition")
            } else {
                format!("if the trust policy has an sts:ExternalId condition, set external_id in {table}")
            };
            (
                format!(
                    "{said} (AWS says the same for a role that does not exist, a wrong account in role_arn, a trust \
                     policy that does not name the caller, and a wrong external id)"
                ),
                format!(
                    "check, in this order: role_arn names an existing role in account {} (aws iam get-role); the role's \
                     trust policy names {caller} or its account as Principal (assets/trust-policy-*.json); {external}; \
                     {caller} is allowed sts:AssumeRole on {} (assets/iam-assume-policy.json)",
                    account_of(a.role_arn),
                    a.role_arn
                ),
            )
        }
        "ValidationError" if lower.contains("role chaining") => (
            format!("{said} (the base credentials are themselves a role session: role chaining caps a session at 1h)"),
            format!("set duration = \"1h\" or less in {table}, or start from credentials that are not a role session"),
        ),
        "ValidationError" if lower.contains("maxsessionduration") || lower.contains("durationseconds exceeds") => (
            format!(
                "{said} (duration {} in {table} is longer than the role's maximum session duration)",
                a.duration.map_or_else(|| "?".to_string(), |d| humantime::format_duration(d).to_string())
            ),
            format!(
                "lower duration in {table}, or raise the role's maximum: aws iam update-role --role-name {} \
                 --max-session-duration 43200",
                a.role_arn.rsplit('/').next().unwrap_or(a.role_arn)
            ),
        ),
        "RegionDisabledException" => (
            format!("{said} (STS is not activated in {} for the account that asks)", a.region),
            format!(
                "activate {} for STS in IAM > Account settings of the base account, or set region in {table} to an \
                 active region",
                a.region
            ),
        ),
        "ExpiredToken" | "ExpiredTokenException" => (
            format!("{said} (the base credentials expired)"),
            "renew the base credentials (aws sso login, fresh keys, or restart the session that issued them)".into(),
        ),
        "InvalidClientTokenId" | "UnrecognizedClientException" => (
            format!("{said} (AWS does not know the base access key)"),
            "check the base credentials: a deleted or mistyped key, or keys of another partition".into(),
        ),
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" => (
            format!("{said} (STS throttled the account of the base credentials, which every profile assumes from)"),
            "pace AssumeRole with [settings] assume_role_rate (calls a second), or check fewer profiles at once \
             with --profile"
                .into(),
        ),
        "SignatureDoesNotMatch" => (
            format!("{said} (the signature does not match: a wrong secret key, or a clock far off)"),
            "check the base secret key and the machine's clock (see the clock check)".into(),
        ),
        _ => (said, "see the error; `aws sts assume-role` with the same arguments shows the same answer".into()),
    }
}

/// A warning before AssumeRole: a role session assuming a role (chaining) cannot last longer than an hour.
pub fn chaining_warning(base_arn: &str, duration: Option<Duration>) -> Option<String> {
    let chained = base_arn.contains(":assumed-role/");
    match duration {
        Some(d) if chained && d > CHAINED_SESSION_MAX => Some(format!(
            "the base identity {base_arn} is a role session: role chaining caps duration at 1h, {} will be refused",
            humantime::format_duration(d)
        )),
        _ => None,
    }
}

/// The clock check from `skew` seconds (AWS's `Date` minus the local clock when the answer came): status, detail
/// and fix.
pub fn clock(skew: i64, api: &str) -> (Status, String, Option<String>) {
    let detail = match skew {
        0 => format!("in step with AWS (the Date of the {api} answer)"),
        s if s > 0 => format!("{s}s behind AWS (the Date of the {api} answer)"),
        s => format!("{}s ahead of AWS (the Date of the {api} answer)", -s),
    };
    let fix = "synchronise the clock (timedatectl set-ntp true, or chrony/ntpd)".to_string();
    match skew.abs() {
        s if s > SIGNATURE_WINDOW => {
            (Status::Failed, format!("{detail}: AWS refuses signatures more than 5 minutes off"), Some(fix))
        }
        s if s > CLOCK_WARNING => (Status::Warning, format!("{detail}: ages and the grace period are off"), Some(fix)),
        _ => (Status::Ok, detail, None),
    }
}

/// The IAM policy statement that allows `action`, named `sid` as in `assets/iam-readonly-policy.json`.
pub fn statement(sid: &str, action: &str) -> String {
    // Written by hand to keep the order of the shipped policy (serde_json sorts object keys); values are escaped.
    let quote = |s: &str| serde_json::Value::from(s).to_string();
    format!(r#"{{"Sid": {}, "Effect": "Allow", "Action": [{}], "Resource": "*"}}"#, quote(sid), quote(action))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(external_id_set: bool, duration: Option<Duration>) -> RoleAttempt<'static> {
        RoleAttempt {
            profile: "account-a",
            role_arn: "arn:aws:iam::999999999999:role/pipewatch-read",
            caller: Some("arn:aws:iam::123456789012:user/ci"),
            external_id_set,
            duration,
            region: "ap-northeast-1",
        }
    }

    #[test]
    fn access_denied_names_every_cause_aws_folds_into_it() {
        let message = "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole on \
                       resource: arn:aws:iam::999999999999:role/pipewatch-read";
        let (detail, fix) = assume_role("AccessDenied", message, &attempt(false, None));
        assert!(detail.starts_with("AccessDenied: User: arn:aws:iam::123456789012:user/ci is not"), "{detail}");
        assert!(detail.contains("a wrong account in role_arn"), "{detail}");
        for part in [
            "existing role in account 999999999999",
            "trust policy names arn:aws:iam::123456789012:user/ci",
            "set external_id in [profiles.account-a]",
            "sts:AssumeRole on arn:aws:iam::999999999999:role/pipewatch-read",
        ] {
            assert!(fix.contains(part), "{part} not in {fix}");
        }
        let (_, fix) = assume_role("AccessDenied", message, &attempt(true, None));
        assert!(fix.contains("external_id of [profiles.account-a] must equal"), "{fix}");
    }

    #[test]
    fn session_duration_errors_say_which_limit() {
        let max = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.";
        let (detail, fix) = assume_role("ValidationError", max, &attempt(false, Some(Duration::from_secs(43200))));
        assert!(detail.contains("duration 12h in [profiles.account-a] is longer than the role's maximum"), "{detail}");
        assert!(fix.contains("--role-name pipewatch-read --max-session-duration"), "{fix}");
        let chain =
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.";
        let (detail, fix) = assume_role("ValidationError", chain, &attempt(false, Some(Duration::from_secs(7200))));
        assert!(detail.contains("role chaining caps a session at 1h"), "{detail}");
        assert!(fix.contains("duration = \"1h\""), "{fix}");
        assert!(chaining_warning("arn:aws:sts::1:assumed-role/r/s", Some(Duration::from_secs(7200))).is_some());
        assert_eq!(chaining_warning("arn:aws:sts::1:assumed-role/r/s", Some(Duration::from_secs(3600))), None);
        assert_eq!(chaining_warning("arn:aws:iam::1:user/ci", Some(Duration::from_secs(7200))), None);
    }

    #[test]
    fn a_disabled_region_and_bad_base_keys_are_named() {
        let (detail, fix) = assume_role("RegionDisabledException", "STS is not activated", &attempt(false, None));
        assert!(detail.contains("STS is not activated in ap-northeast-1"), "{detail}");
        assert!(fix.contains("IAM > Account settings"), "{fix}");
        assert!(assume_role("ExpiredToken", "", &attempt(false, None)).0.contains("base credentials expired"));
        assert!(assume_role("InvalidClientTokenId", "x", &attempt(false, None)).0.contains("does not know"));
        assert_eq!(assume_role("Odd", "what", &attempt(false, None)).0, "Odd: what");
        let (detail, fix) = assume_role("Throttling", "Rate exceeded", &attempt(false, None));
        assert_eq!(
            detail,
            "Throttling: Rate exceeded (STS throttled the account of the base credentials, which every \
                            profile assumes from)"
        );
        assert!(fix.starts_with("pace AssumeRole with [settings] assume_role_rate"), "{fix}");
    }

    #[test]
    fn the_clock_is_ok_then_a_warning_then_a_failure() {
        assert_eq!(clock(0, "sts:GetCallerIdentity").0, Status::Ok);
        assert_eq!(clock(-30, "x").1, "30s ahead of AWS (the Date of the x answer)");
        assert_eq!(clock(90, "x").0, Status::Warning);
        let (status, detail, fix) = clock(-400, "x");
        assert_eq!(status, Status::Failed);
        assert!(detail.contains("400s ahead") && detail.contains("5 minutes"), "{detail}");
        assert!(fix.is_some());
    }

    #[test]
    fn the_statement_is_one_allow_of_the_action() {
        let s: serde_json::Value = serde_json::from_str(&statement("PipewatchImages", "ecr:DescribeImages")).unwrap();
        assert_eq!(
            s,
            serde_json::json!({"Sid": "PipewatchImages", "Effect": "Allow", "Action": ["ecr:DescribeImages"], "Resource": "*"})
        );
    }
}
