//! pipewatch against the AWS-behaviour layer (awsim): pushes made as users make them, runs started by what
//! AWS documents starts them, CloudTrail that answers. More cases come with issue 10's features.

use awsim::{Principal, PushResult, PushSpec};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::support::sim::{Sim, push_of};
use crate::support::{REGION, Run};

const A: &str = "111111111111";
const B: &str = "222222222222";

/// A two-account world: in A, web:latest pushed by A's own CI role, which starts web-deploy through the
/// console's rule; api:latest pushed with account B's own identity, which raises no event in A (the field report's
/// observation, awsim's default) and starts nothing. pipewatch watches both accounts.
fn two_account_world() -> (Sim, PushResult, PushResult, Run, Value) {
    let sim = Sim::start();
    let w = &sim.world;
    w.console_pipeline(A, REGION, "web-deploy", "web", None);
    w.console_pipeline(A, REGION, "api-deploy", "api", None);
    let at = Timestamp::now() - SignedDuration::from_mins(10);
    let ci = Principal::assumed_role(A, "service-role/codebuild-web", "build-1");
    let web = w.push(PushSpec::new(A, REGION, "web", ci, at).tag("latest")).unwrap();
    let other = Principal::iam_user(B, "deployer");
    let api = w.push(PushSpec::new(A, REGION, "api", other, at + SignedDuration::from_secs(30)).tag("latest")).unwrap();
    assert_eq!(web.started.len(), 1, "the world started web-deploy");
    assert!(api.started.is_empty(), "and nothing for the push from B");
    let (run, doc) = sim.once_json(&[("alpha", A), ("beta", B)]);
    assert_eq!(run.code, Some(1), "an untriggered push exits 1\n{run}");
    (sim, web, api, run, doc)
}

/// (a) The push made in its own account is triggered, matched to its run by digest.
#[test]
fn own_account_push_is_triggered_by_digest() {
    let (sim, web, _, _, doc) = two_account_world();
    let web_push = push_of(&doc, "web");
    assert_eq!(web_push["digest"], web.digest.as_str());
    assert_eq!(web_push["status"], "triggered", "{web_push:#}");
    let run_id = &web.started[0].1;
    // Started by the console's rule, whose ARN is the run's trigger detail.
    let rule = format!("arn:aws:events:{REGION}:{A}:rule/web-deploy-ecr-latest");
    let ex = &web_push["execution"];
    let matched = ["pipeline", "id", "matched_by", "trigger", "started_by"].map(|k| ex[k].clone());
    assert_eq!(
        Value::Array(matched.to_vec()),
        json!(["web-deploy", run_id, "digest", "CloudWatchEvent", rule]),
        "{ex:#}"
    );
    let link = ex["console_url"].as_str().unwrap_or_default();
    assert!(link.ends_with(&format!("/pipelines/web-deploy/executions/{}/timeline?region={REGION}", run_id)), "{link}");
    assert_eq!(ex["status"], "InProgress", "the run's own status: {ex:#}");
    assert_eq!(web_push["deployed_by"], Value::Null, "{web_push:#}");

    // Who called what: every profile assumed its role and asked who it is, in the profiles' region.
    let log = sim.world.requests();
    for account in [A, B] {
        assert!(log.iter().any(|r| r.account == account && r.api() == "sts:GetCallerIdentity"), "{account}");
    }
    assert!(log.iter().all(|r| r.region == REGION), "every call in the profiles' region");
}

/// (b) The push made with account B's identity is untriggered, `cross_account_push`, with the pusher read from
/// account A's CloudTrail (LookupEvents answers here, unlike moto).
#[test]
fn cross_account_push_is_untriggered_with_its_pusher() {
    let (sim, _, api, _, doc) = two_account_world();
    let api_push = push_of(&doc, "api");
    assert_eq!(api_push["digest"], api.digest.as_str());
    assert_eq!(api_push["status"], "untriggered", "{api_push:#}");
    let codes: Vec<&str> = api_push["findings"].as_array().unwrap().iter().filter_map(|f| f["code"].as_str()).collect();
    assert!(codes.contains(&"cross_account_push"), "{codes:?}");
    assert_eq!(api_push["pusher"]["account"], B);
    assert_eq!(api_push["pusher"]["type"], "AWSAccount");
    assert_eq!(api_push["pusher"]["cross_account"], true);
    let log = sim.world.requests();
    assert!(log.iter().any(|r| r.account == A && r.api() == "cloudtrail:LookupEvents" && r.error.is_none()));
}
