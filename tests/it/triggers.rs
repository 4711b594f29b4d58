//! The trigger diagnosis against the AWS-behaviour layer (awsim): a rule whose target has no role, and a
//! CloudTrail-style rule with and without a trail that logs the push. The world behaves as documented (a target
//! without a role starts nothing; a CloudTrail-delivered event needs a logging trail), and pipewatch must say so
//! from what it reads when a push needs explaining: the rule's targets, the trails, their status and selectors, the
//! registries' replication.

use awsim::{OrgAccount, Pipeline, Principal, PushSpec, ReplicateSpec, ReplicationRule, Role, Rule, Target, Trail};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::support::sim::{Sim, push_of};
use crate::support::{REGION, run_pipewatch};

const A: &str = "111111111111";
const B: &str = "222222222222";
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

/// The first profile's warnings.
fn warnings(doc: &Value) -> Vec<&str> {
    doc["profiles"][0]["warnings"].as_array().unwrap().iter().filter_map(Value::as_str).collect()
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

/// The organization's trail (in the management account, multi-region, logging every management event).
fn organization_trail(sim: &Sim) {
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
}

#[test]
fn a_cloudtrail_style_rule_with_the_organizations_trail_is_followed() {
    let target = Target::new("1", &pipeline_arn("web-deploy"), Some(&format!("arn:aws:iam::{A}:role/cwe-role")));
    let sim = world_with(Rule::new("web-cloudtrail", cloudtrail_style()).target(target));
    organization_trail(&sim);
    let (doc, web) = push_and_watch(&sim);
    // The trail delivers the PutImage call to A's bus, the rule starts the pipeline: nothing needs explaining, so
    // neither the rule nor the trails are read, and the run stands for the rule and its target.
    assert_eq!(web["status"], "triggered", "{web:#}");
    let rule = hop(&web, "rule");
    assert_eq!(rule["state"], "established", "{rule:#}");
    assert!(rule["evidence"].as_str().unwrap().contains("rule/web-cloudtrail"), "{rule:#}");
    assert_eq!(hop(&web, "target")["state"], "established", "{web:#}");
    assert_eq!(warnings(&doc), Vec::<&str>::new(), "every read answered");
    let read: Vec<String> = sim
        .world
        .requests()
        .iter()
        .filter(|r| ["cloudtrail", "events", "iam", "monitoring"].contains(&r.service.as_str()))
        .map(|r| r.api())
        .collect();
    assert_eq!(read, Vec::<String>::new(), "nothing needed explaining");
}

#[test]
fn the_organizations_trail_is_followed_when_a_push_needs_explaining() {
    // The same rule and trail, but the target has no role: the world starts nothing.
    let target = Target::new("1", &pipeline_arn("web-deploy"), None);
    let sim = world_with(Rule::new("web-cloudtrail", cloudtrail_style()).target(target));
    organization_trail(&sim);
    let (doc, web) = push_and_watch(&sim);
    assert_eq!(web["status"], "untriggered", "{web:#}");
    // The rule is not blamed: the trail that delivers its events is named; the target is.
    let rule = hop(&web, "rule");
    assert_eq!(rule["state"], "established", "{rule:#}");
    assert!(
        rule["evidence"]
            .as_str()
            .unwrap()
            .contains("trail org-trail (organization, multi-region, home us-east-1) is logging"),
        "{rule:#}"
    );
    assert_eq!(codes(&web), ["target_without_role"], "{web:#}");
    assert_eq!(warnings(&doc), Vec::<&str>::new(), "every read answered");
}

/// An image that arrived in A by replication from B's registry raises "ECR Replication Action", which the console's
/// PUSH rule does not match: A's copy is untriggered, and pipewatch says why from B's replication configuration.
#[test]
fn a_replicated_image_does_not_match_the_consoles_push_rule() {
    let sim = Sim::start();
    let w = &sim.world;
    w.console_pipeline(A, REGION, "reports-deploy", "reports", None);
    w.add_repository(B, REGION, "reports");
    let to_a = ReplicationRule { destinations: vec![(A.into(), REGION.into())], prefixes: vec!["reports".into()] };
    w.set_replication(B, REGION, vec![to_a]);
    let at = Timestamp::now() - SignedDuration::from_mins(10);
    let ci = Principal::assumed_role(B, "service-role/codebuild-reports", "build-7");
    let pushed = w.push(PushSpec::new(B, REGION, "reports", ci, at).tag("latest")).unwrap();
    let spec = ReplicateSpec {
        source_account: B.into(),
        source_region: REGION.into(),
        dest_account: A.into(),
        dest_region: REGION.into(),
        repository: "reports".into(),
        digest: pushed.digest.clone(),
        at: at + SignedDuration::from_secs(5),
    };
    assert!(w.replicate(spec).unwrap().is_empty(), "the console's PUSH rule starts nothing for a replication");
    // B has no pipeline, so its profile reads the repository only when told to (else the finding says to).
    let dir = tempfile::tempdir().unwrap();
    let config = sim.config(dir.path(), &[("alpha", A), ("beta", B)]);
    let toml = std::fs::read_to_string(&config).unwrap() + "repositories = [\"reports\"]\n";
    std::fs::write(&config, toml).unwrap();
    let run = run_pipewatch(["--once", "--output", "json", "--config", config.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{run}");
    let doc = run.json();
    let copies: Vec<&Value> =
        doc["pushes"].as_array().unwrap().iter().filter(|p| p["repository"] == "reports").collect();
    let in_a = copies.iter().find(|p| p["profile"] == "alpha").unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(in_a["digest"], pushed.digest.as_str());
    assert_eq!(in_a["status"], "untriggered", "{in_a:#}");
    assert!(codes(in_a).contains(&"replication_not_matched"), "{in_a:#}");
    let f = in_a["findings"].as_array().unwrap().iter().find(|f| f["code"] == "replication_not_matched").unwrap();
    assert!(f["message"].as_str().unwrap().contains(B), "names the source registry: {f:#}");
    let in_b = copies.iter().find(|p| p["profile"] == "beta").unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(in_b["status"], "unwatched", "no pipeline watches B's repository: {in_b:#}");
}
