//! Routing and the answers of the services whose SDK crates pipewatch does not use yet (IAM, Organizations):
//! requests built as the SDK sends them, answers compared with the corpus's shapes.

use super::http::Request;
use super::*;
use crate::model::{OrgAccount, Role};

fn request(key: &str, service: &str, headers: &[(&str, &str)], body: &str) -> Request {
    let mut h: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    h.push((
        "authorization".into(),
        format!("AWS4-HMAC-SHA256 Credential={key}/20261120/ap-northeast-1/{service}/aws4_request, SignedHeaders=host, Signature=0"),
    ));
    Request { method: "POST".into(), path: "/".into(), headers: h, body: body.as_bytes().to_vec() }
}

fn form(key: &str, service: &str, body: &str) -> Request {
    request(key, service, &[("content-type", "application/x-www-form-urlencoded")], body)
}

fn text(r: &http::Response) -> String {
    String::from_utf8(r.body.clone()).unwrap()
}

#[test]
fn simulate_principal_policy_answers_in_the_documented_shape() {
    let w = World::new();
    let pipeline = "arn:aws:codepipeline:ap-northeast-1:111111111111:web-deploy";
    w.add_role(
        Role::new("arn:aws:iam::111111111111:role/events-web").allow("codepipeline:StartPipelineExecution", pipeline),
    );
    let body = format!(
        "Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Fevents-web\
         &ActionNames.member.1=codepipeline%3AStartPipelineExecution&ResourceArns.member.1={}",
        pipeline.replace(':', "%3A")
    );
    let resp = handle(&w, &form("AKIDBASE", "iam", &body));
    let xml = text(&resp);
    assert_eq!(resp.status, 200, "{xml}");
    for part in [
        "<SimulatePrincipalPolicyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">",
        "<EvalDecision>allowed</EvalDecision>",
        "<EvalActionName>codepipeline:StartPipelineExecution</EvalActionName>",
        &format!("<EvalResourceName>{pipeline}</EvalResourceName>"),
        "<EvalResourceDecision>allowed</EvalResourceDecision>",
        "<SourcePolicyType>IAM Policy</SourcePolicyType>",
    ] {
        assert!(xml.contains(part), "{part} not in {xml}");
    }
    let other = body.replace("web-deploy", "api-deploy");
    let xml = text(&handle(&w, &form("AKIDBASE", "iam", &other)));
    assert!(xml.contains("<EvalDecision>implicitDeny</EvalDecision>") && xml.contains("<MatchedStatements/>"), "{xml}");
    let missing = handle(&w, &form("AKIDBASE", "iam", &body.replace("events-web", "nope")));
    assert_eq!(missing.status, 404);
    assert!(text(&missing).contains("<Code>NoSuchEntity</Code>"));
}

#[test]
fn organizations_lists_accounts_for_the_management_account_only() {
    let w = World::new();
    let target =
        [("x-amz-target", "AWSOrganizationsV20161128.ListAccounts"), ("content-type", "application/x-amz-json-1.1")];
    let none = handle(&w, &request("AKIDBASE", "organizations", &target, "{}"));
    assert!(text(&none).contains("AWSOrganizationsNotInUseException"));
    let accounts = (0..25)
        .map(|i| OrgAccount {
            id: format!("{:012}", 100 + i),
            name: format!("acct-{i}"),
            email: format!("{i}@example.com"),
            status: if i == 3 { "SUSPENDED".into() } else { "ACTIVE".into() },
        })
        .collect();
    w.set_organization("123456789012", accounts);
    let page = handle(&w, &request("AKIDBASE", "organizations", &target, "{}"));
    let v: serde_json::Value = serde_json::from_slice(&page.body).unwrap();
    assert_eq!(v["Accounts"].as_array().unwrap().len(), 20);
    assert_eq!(v["Accounts"][3]["Status"], "SUSPENDED");
    let next = format!("{{\"NextToken\": {}}}", v["NextToken"]);
    let rest: serde_json::Value =
        serde_json::from_slice(&handle(&w, &request("AKIDBASE", "organizations", &target, &next)).body).unwrap();
    assert_eq!(rest["Accounts"].as_array().unwrap().len(), 5);
    assert!(rest.get("NextToken").is_none());
    // A member account may not list.
    w.configure(|s| s.base_identity = crate::Principal::root("100"));
    let denied = handle(&w, &request("AKIDBASE", "organizations", &target, "{}"));
    assert_eq!(denied.status, 400);
    assert!(text(&denied).contains("\"__type\":\"AccessDeniedException\""));
}

#[test]
fn throttling_answers_in_each_protocols_shape() {
    let w = World::new();
    w.configure(|s| s.default_rate = Some(crate::Rate::new(1.0, 1.0)));
    w.set_now("2026-11-20T09:00:00Z".parse().unwrap());
    let sts = form("AKIDBASE", "sts", "Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(handle(&w, &sts).status, 200);
    let throttled = handle(&w, &sts);
    assert!(text(&throttled).contains("<Code>Throttling</Code>"), "{}", text(&throttled));
    let target = [("x-amz-target", "CodePipeline_20150709.ListPipelines")];
    assert_eq!(handle(&w, &request("AKIDBASE", "codepipeline", &target, "{}")).status, 200);
    let json = handle(&w, &request("AKIDBASE", "codepipeline", &target, "{}"));
    assert_eq!(json.status, 400);
    assert!(text(&json).contains("\"__type\":\"ThrottlingException\""));
    assert_eq!(w.requests().iter().filter(|r| r.throttled()).count(), 2);
    // Not POST, or no known target: 404.
    let mut get = sts.clone();
    get.method = "GET".into();
    assert_eq!(handle(&w, &get).status, 404);
}
