//! The trigger diagnosis against the AWS-behaviour layer (awsim): a rule whose target has no role, and a
//! CloudTrail-style rule with and without a trail that logs the push. The world behaves as documented (a target
//! without a role starts nothing; a CloudTrail-delivered event needs a logging trail), and pipewatch must say so
//! from what it reads: the rule's targets, the trails, their status and selectors.

use awsim::{OrgAccount, Pipeline, Principal, PushSpec, Role, Rule, Target, Trail};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::support::REGION;
use crate::support::sim::{Sim, push_of};

const A: &str = "111111111111";
const MANAGEMENT: &str = "333333333333";

fn pipeline_arn(name: &str) -> String {
    format!("arn:aws:codepipeline:{REGION}:{A}:{name}")
}

/// web-deploy watching web:latest, started (or not) by `rule`; the role `cwe-role` may start it.
fn world_with(rule: Rule) -> Sim {
    let sim = Sim::start();
    let w = &sim.world;
    w.add_repository(A, REGION, "web");
    w.add_pipeline(A, REGION, Pipeline::v1("web-deploy").ecr("Source", "web", None));
    w.add_role(
        Role::new(&format!("arn:aws:iam::{A}:role/cwe-role"))
            .allow("codepipeline:StartPipelineExecution", &pipeline_arn("web-deploy")),
    );
    w.add_rule(A, REGION, rule);
    sim
}

/// Pushes web:latest with A's CI role ten minutes ago; pipewatch's JSON document and the web push in it.
fn push_and_watch(sim: &Sim) -> (Value, Value) {
    let at = Timestamp::now() - SignedDuration::from_mins(10);
    let ci = Principal::assumed_role(A, "service-role/codebuild-web", "build-1");
    sim.world.push(PushSpec::new(A, REGION, "web", ci, at).tag("latest")).unwrap();
    let (run, doc) = sim.once_json(&[("alpha", A)]);
    assert_ne!(run.code, Some(2), "{run}");
    let web = push_of(&doc, "web").clone();
    (doc, web)
}

/// The profile's warnings, but the one awsim causes by not implementing `ecr:DescribeRegistry` (yet).
fn warnings(doc: &Value) -> Vec<&str> {
    let all = doc["profiles"][0]["warnings"].as_array().unwrap().iter().filter_map(Value::as_str);
    all.filter(|w| !w.contains("awsim does not implement DescribeRegistry")).collect()
}

fn codes(push: &Value) -> Vec<&str> {
    push["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect()
}

fn hop<'a>(push: &'a Value, name: &str) -> &'a Value {
    push["chain"].as_array().unwrap().iter().find(|h| h["hop"] == name).unwrap_or_else(|| panic!("{push:#}"))
}

fn native() -> Value {
    json!({"source": ["aws.ecr"], "detail-type": ["ECR Image Action"],
        "detail": {"action-type": ["PUSH"], "result": ["SUCCESS"], "repository-name": ["web"], "image-tag": ["latest"]}})
}

/// CDK's `EcrSourceAction` rule before aws/aws-cdk#21580.
fn cloudtrail_style() -> Value {
    json!({"source": ["aws.ecr"], "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"requestParameters": {"repositoryName": ["web"], "imageTag": ["latest"]}, "eventName": ["PutImage"]}})
}

#[test]
fn a_rule_whose_target_has_no_role() {
    let target = Target::new("1", &pipeline_arn("web-deploy"), None);
    let sim = world_with(Rule::new("web-by-hand", native()).target(target));
    let (doc, web) = push_and_watch(&sim);
    assert!(sim.world.executions(A, REGION, "web-deploy").is_empty(), "the world started nothing");
    assert_eq!(web["status"], "untriggered", "{web:#}");
    assert_eq!(codes(&web), ["target_without_role"], "{web:#}");
    let f = &web["findings"][0];
    assert!(f["fix"].as_str().unwrap().contains("aws events put-targets --rule web-by-hand --targets Id=1,"), "{f:#}");
    assert_eq!(hop(&web, "rule")["state"], "established");
    assert_eq!(hop(&web, "target")["state"], "broken");
    assert_eq!(warnings(&doc), Vec::<&str>::new(), "every read answered");
}

#[test]
fn a_cloudtrail_style_rule_without_a_trail_is_blamed_with_what_was_checked() {
    let target = Target::new("1", &pipeline_arn("web-deploy"), Some(&format!("arn:aws:iam::{A}:role/cwe-role")));
    let sim = world_with(Rule::new("web-cloudtrail", cloudtrail_style()).target(target));
    let (_, web) = push_and_watch(&sim);
    assert_eq!(web["status"], "untriggered", "{web:#}");
    assert_eq!(codes(&web), ["cloudtrail_pattern_without_trail"], "{web:#}");
    assert_eq!(
        web["findings"][0]["evidence"],
        json!([format!("cloudtrail:DescribeTrails (with shadow trails) in {REGION}: no trail")])
    );
    assert_eq!(hop(&web, "rule")["state"], "broken");
}

#[test]
fn a_cloudtrail_style_rule_with_the_organizations_trail_is_followed() {
    let target = Target::new("1", &pipeline_arn("web-deploy"), Some(&format!("arn:aws:iam::{A}:role/cwe-role")));
    let sim = world_with(Rule::new("web-cloudtrail", cloudtrail_style()).target(target));
    let member = |id: &str| OrgAccount {
        id: id.into(),
        name: id.into(),
        email: format!("{id}@example.com"),
        status: "ACTIVE".into(),
    };
    sim.world.set_organization(MANAGEMENT, vec![member(MANAGEMENT), member(A)]);
    let mut trail = Trail::new("org-trail", MANAGEMENT, "us-east-1");
    trail.multi_region = true;
    trail.organization = true;
    sim.world.add_trail(trail);
    let (doc, web) = push_and_watch(&sim);
    // The trail delivers the PutImage call to A's bus, the rule starts the pipeline.
    assert_eq!(web["status"], "triggered", "{web:#}");
    let rule = hop(&web, "rule");
    assert_eq!(rule["state"], "established", "{rule:#}");
    assert!(
        rule["evidence"]
            .as_str()
            .unwrap()
            .contains("trail org-trail (organization, multi-region, home us-east-1) is logging"),
        "{rule:#}"
    );
    assert_eq!(hop(&web, "target")["state"], "established", "{web:#}");
    assert_eq!(warnings(&doc), Vec::<&str>::new(), "every read answered");
}
