//! The world's behaviours, each against what the documentation (or FACTS.md) says should happen.

use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use super::*;
use crate::oci::{CosignKind, Manifest};

const A: &str = "111111111111";
const B: &str = "222222222222";
const ORG: &str = "333333333333";
const R: &str = "ap-northeast-1";

fn t0() -> Timestamp {
    "2026-11-20T09:00:00Z".parse().unwrap()
}

fn world() -> World {
    let w = World::new();
    w.set_now(t0() + SignedDuration::from_mins(10));
    w
}

fn ci() -> Principal {
    Principal::assumed_role(A, "service-role/codebuild-web", "build-1")
}

fn push(w: &World, repo: &str, tag: &str, caller: Principal, at: Timestamp) -> PushResult {
    w.push(PushSpec::new(A, R, repo, caller, at).tag(tag)).unwrap()
}

fn runs(w: &World, pipeline: &str) -> Vec<(Execution, Vec<(String, String)>)> {
    w.executions(A, R, pipeline)
}

#[test]
fn a_push_starts_the_console_pipeline_with_the_pushed_digest() {
    let w = world();
    let rule = w.console_pipeline(A, R, "web-deploy", "web", None);
    let p = push(&w, "web", "latest", ci(), t0());
    assert_eq!(p.started.len(), 1);
    let runs = runs(&w, "web-deploy");
    let (run, revs) = &runs[0];
    assert_eq!(run.trigger, TriggerType::CloudWatchEvent);
    assert_eq!(run.trigger_detail.as_deref(), Some(format!("arn:aws:events:{R}:{A}:rule/{rule}").as_str()));
    assert_eq!(revs, &[("Source".to_string(), p.digest.clone())]);
    assert_eq!(run.started_at, t0() + SignedDuration::from_secs(1));
    assert_eq!(run.status, ExecStatus::InProgress);
    // The native event: resources empty, the tag in detail.
    let ev = &w.deliveries()[0].event;
    assert_eq!((ev["detail-type"].as_str(), ev["resources"].clone()), (Some("ECR Image Action"), json!([])));
    assert_eq!(ev["detail"]["image-tag"], "latest");
}

#[test]
fn a_buildx_push_is_an_index_with_untagged_children_and_one_run() {
    let w = world();
    w.console_pipeline(A, R, "web-deploy", "web", None);
    let spec = PushSpec::new(A, R, "web", ci(), t0())
        .tag("latest")
        .tag("1a2b3c4")
        .manifest(Manifest::buildx("web1", &["linux/amd64", "linux/arm64"]));
    let p = w.push(spec).unwrap();
    let images = w.images(A, R, "web");
    assert_eq!(images.len(), 5);
    let index = images.iter().find(|i| i.digest == p.digest).unwrap();
    assert_eq!(index.tags, ["latest", "1a2b3c4"]);
    assert_eq!(index.media_type, crate::oci::OCI_INDEX);
    assert!(images.iter().filter(|i| i.digest != p.digest).all(|i| i.tags.is_empty()));
    // One PutImage record per child and per tag; only the `latest` event matches the rule.
    assert_eq!(w.trail_records(A, R).len(), 6);
    assert_eq!(runs(&w, "web-deploy").len(), 1);
    // A cosign signature is its own tag and starts nothing.
    let sig = PushSpec::new(A, R, "web", ci(), t0())
        .manifest(Manifest::Cosign { subject: p.digest.clone(), kind: CosignKind::Sig });
    let s = w.push(sig).unwrap();
    assert_eq!(s.tags, [format!("{}.sig", p.digest.replacen(':', "-", 1))]);
    assert_eq!(runs(&w, "web-deploy").len(), 1);
}

#[test]
fn a_moved_tag_leaves_the_older_image_its_other_tags_or_none() {
    let w = world();
    w.add_repository(A, R, "tools");
    let old = w.push(PushSpec::new(A, R, "tools", ci(), t0()).tag("latest").tag("9f8e7d6")).unwrap();
    let older = w.push(PushSpec::new(A, R, "tools", ci(), t0() + SignedDuration::from_secs(5)).tag("v1")).unwrap();
    let new = w
        .push(PushSpec::new(A, R, "tools", ci(), t0() + SignedDuration::from_secs(60)).tag("latest").tag("v1"))
        .unwrap();
    let tags = |d: &str| w.images(A, R, "tools").into_iter().find(|i| i.digest == d).unwrap().tags;
    assert_eq!(tags(&old.digest), ["9f8e7d6"]);
    assert!(tags(&older.digest).is_empty());
    assert_eq!(tags(&new.digest), ["latest", "v1"]);
}

#[test]
fn rules_that_cannot_start_the_pipeline_start_nothing() {
    let w = world();
    let rule = w.console_pipeline(A, R, "web-deploy", "web", None);
    w.set_rule_state(A, R, &rule, RuleState::Disabled);
    push(&w, "web", "latest", ci(), t0());
    assert!(runs(&w, "web-deploy").is_empty(), "a disabled rule");
    w.set_rule_state(A, R, &rule, RuleState::Enabled);

    // A target without a role: a FailedInvocations datapoint, no run.
    let arn = pipeline_arn(A, R, "web-deploy");
    let pattern = json!({"source": ["aws.ecr"], "detail-type": ["ECR Image Action"],
        "detail": {"repository-name": ["web"], "image-tag": ["latest"]}});
    w.add_rule(A, R, Rule::new(&rule, pattern.clone()).target(Target::new("1", &arn, None)));
    push(&w, "web", "latest", ci(), t0() + SignedDuration::from_secs(10));
    assert!(runs(&w, "web-deploy").is_empty());
    assert_eq!(w.failed_invocations(A, R, &rule), 1);

    // A role that may not start this pipeline.
    let role = format!("arn:aws:iam::{A}:role/events-other");
    w.add_role(Role::new(&role).allow("codepipeline:StartPipelineExecution", &pipeline_arn(A, R, "other")));
    w.add_rule(A, R, Rule::new(&rule, pattern.clone()).target(Target::new("1", &arn, Some(&role))));
    push(&w, "web", "latest", ci(), t0() + SignedDuration::from_secs(20));
    assert!(runs(&w, "web-deploy").is_empty());
    assert_eq!(w.failed_invocations(A, R, &rule), 2);

    // A rule filtering on `resources` never matches a push (FACTS.md §3).
    let mut with_resources = pattern;
    with_resources["resources"] = json!([repository_arn(A, R, "web")]);
    let role_ok = format!("arn:aws:iam::{A}:role/service-role/cwe-role-{R}-web-deploy");
    w.add_rule(A, R, Rule::new(&rule, with_resources).target(Target::new("1", &arn, Some(&role_ok))));
    push(&w, "web", "latest", ci(), t0() + SignedDuration::from_secs(30));
    assert!(runs(&w, "web-deploy").is_empty());
    assert_eq!(w.failed_invocations(A, R, &rule), 2, "no match, no invocation");
}

#[test]
fn a_target_naming_another_pipeline_starts_that_one() {
    let w = world();
    let rule = w.console_pipeline(A, R, "web-deploy", "web", None);
    w.add_pipeline(A, R, Pipeline::v1("web-deploy-old").ecr("Source", "web", None));
    let old = pipeline_arn(A, R, "web-deploy-old");
    let role = format!("arn:aws:iam::{A}:role/events-all");
    w.add_role(Role::new(&role).allow("codepipeline:StartPipelineExecution", "*"));
    let pattern = json!({"source": ["aws.ecr"], "detail": {"repository-name": ["web"]}});
    w.add_rule(A, R, Rule::new(&rule, pattern).target(Target::new("1", &old, Some(&role))));
    push(&w, "web", "latest", ci(), t0());
    assert!(runs(&w, "web-deploy").is_empty());
    assert_eq!(runs(&w, "web-deploy-old").len(), 1);
}

#[test]
fn a_cloudtrail_style_rule_fires_only_where_a_trail_logs_writes() {
    let w = world();
    w.add_repository(A, R, "legacy");
    w.add_pipeline(A, R, Pipeline::v1("legacy-deploy").ecr("Source", "legacy", None));
    let role = format!("arn:aws:iam::{A}:role/events");
    w.add_role(Role::new(&role).allow("codepipeline:StartPipelineExecution", "*"));
    let pattern = json!({"source": ["aws.ecr"], "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventName": ["PutImage"], "requestParameters": {"repositoryName": ["legacy"]}}});
    let target = Target::new("1", &pipeline_arn(A, R, "legacy-deploy"), Some(&role));
    w.add_rule(A, R, Rule::new("legacy-rule", pattern).target(target));
    push(&w, "legacy", "latest", ci(), t0());
    assert!(runs(&w, "legacy-deploy").is_empty(), "no trail");

    // A trail that logs only read events does not help.
    let mut read_only = Trail::new("reads", A, R);
    read_only.selectors = Selectors::Basic { read_write: ReadWrite::ReadOnly, management: true };
    w.add_trail(read_only);
    push(&w, "legacy", "latest", ci(), t0() + SignedDuration::from_secs(10));
    assert!(runs(&w, "legacy-deploy").is_empty(), "read-only trail");

    // The organization's multi-region trail, homed elsewhere, covers the member account.
    w.set_organization(
        ORG,
        vec![OrgAccount { id: A.into(), name: "a".into(), email: "a@x".into(), status: "ACTIVE".into() }],
    );
    let mut org = Trail::new("org-trail", ORG, "us-east-1");
    org.multi_region = true;
    org.organization = true;
    w.add_trail(org);
    push(&w, "legacy", "latest", ci(), t0() + SignedDuration::from_secs(20));
    assert_eq!(runs(&w, "legacy-deploy").len(), 1);
}

#[test]
fn a_push_with_another_accounts_identity() {
    let w = world();
    w.console_pipeline(A, R, "api-deploy", "api", Some("release"));
    let pusher = Principal::iam_user(B, "deployer");
    let p = push(&w, "api", "release", pusher.clone(), t0());
    assert!(runs(&w, "api-deploy").is_empty(), "field report: no event, no run");
    let owner = w.trail_records(A, R);
    let caller = w.trail_records(B, R);
    assert_eq!((owner.len(), caller.len()), (1, 1));
    let (o, c) = (&owner[0].record, &caller[0].record);
    assert_eq!(o["userIdentity"]["type"], "AWSAccount");
    assert_eq!(o["userIdentity"]["accountId"], B);
    assert_eq!(o["recipientAccountId"], A);
    assert_eq!(c["userIdentity"]["type"], "IAMUser");
    assert_eq!(c["recipientAccountId"], B);
    assert_eq!(o["sharedEventID"], c["sharedEventID"]);
    assert_eq!(o["responseElements"]["image"]["imageId"]["imageDigest"], p.digest.as_str());

    w.configure(|s| s.cross_account_push.native_event_in_repository_account = true);
    push(&w, "api", "release", pusher, t0() + SignedDuration::from_secs(5));
    assert_eq!(runs(&w, "api-deploy").len(), 1, "the other reading of the unknown");
}

#[test]
fn without_an_override_close_pushes_may_share_the_newer_digest() {
    let w = world();
    w.console_pipeline(A, R, "batch-deploy", "batch", None);
    let first = push(&w, "batch", "latest", ci(), t0());
    let second = push(&w, "batch", "latest", ci(), t0() + SignedDuration::from_millis(500));
    let revs: Vec<String> = runs(&w, "batch-deploy").into_iter().map(|(_, r)| r[0].1.clone()).collect();
    assert_eq!(revs, [second.digest.clone(), second.digest.clone()], "TagAtStart: both runs resolve the tag");

    // With the documented input transformer, each run carries its own push's digest.
    let w = world();
    let rule = w.console_pipeline(A, R, "batch-deploy", "batch", None);
    let role = format!("arn:aws:iam::{A}:role/service-role/cwe-role-{R}-batch-deploy");
    let target = Target::new("1", &pipeline_arn(A, R, "batch-deploy"), Some(&role)).with_digest_override("Source");
    let pattern =
        json!({"source": ["aws.ecr"], "detail-type": ["ECR Image Action"], "detail": {"image-tag": ["latest"]}});
    w.add_rule(A, R, Rule::new(&rule, pattern).target(target));
    let a = push(&w, "batch", "latest", ci(), t0());
    let b = push(&w, "batch", "latest", ci(), t0() + SignedDuration::from_millis(500));
    let revs: Vec<String> = runs(&w, "batch-deploy").into_iter().map(|(_, r)| r[0].1.clone()).collect();
    assert_eq!(revs, [a.digest, b.digest]);
    assert_ne!(first.digest, second.digest);
}

#[test]
fn a_manual_release_carries_the_callers_arn_and_the_tags_digest() {
    let w = world();
    w.add_repository(A, R, "web");
    w.add_pipeline(A, R, Pipeline::v1("web-deploy").ecr("Source", "web", None));
    let p = push(&w, "web", "latest", ci(), t0());
    assert!(runs(&w, "web-deploy").is_empty(), "no rule, no run");
    let admin = Principal::assumed_role(A, "AWSReservedSSO_Admin_0123", "alice@example.com");
    let id = w.start_execution(A, R, "web-deploy", &admin, t0() + SignedDuration::from_mins(5)).unwrap();
    let (run, revs) = &runs(&w, "web-deploy")[0];
    assert_eq!(run.id, id);
    assert_eq!(run.trigger, TriggerType::StartPipelineExecution);
    assert_eq!(run.trigger_detail.as_deref(), Some(admin.arn().as_str()));
    assert_eq!(revs[0].1, p.digest);
    w.set_status(A, R, "web-deploy", &id, ExecStatus::Superseded).unwrap();
    assert_eq!(runs(&w, "web-deploy")[0].0.status, ExecStatus::Superseded);
}

#[test]
fn replication_raises_replicate_not_push() {
    let w = world();
    let src = "us-east-1";
    w.add_repository(A, src, "reports");
    let p = w.push(PushSpec::new(A, src, "reports", ci(), t0()).tag("latest")).unwrap();
    w.console_pipeline(A, R, "reports-deploy", "reports", None);
    let spec = ReplicateSpec {
        source_account: A.into(),
        source_region: src.into(),
        dest_account: A.into(),
        dest_region: R.into(),
        repository: "reports".into(),
        digest: p.digest.clone(),
        at: t0() + SignedDuration::from_secs(4),
    };
    assert!(w.replicate(spec.clone()).unwrap().is_empty(), "the console's PUSH rule does not fire");
    assert_eq!(w.images(A, R, "reports")[0].tags, ["latest"]);
    let ev = w.deliveries().last().unwrap().event.clone();
    assert_eq!(ev["detail"]["action-type"], "REPLICATE");
    assert_eq!(ev["resources"], json!([repository_arn(A, R, "reports")]));

    let role = format!("arn:aws:iam::{A}:role/service-role/cwe-role-{R}-reports-deploy");
    let either = json!({"source": ["aws.ecr"], "detail": {"action-type": ["PUSH", "REPLICATE"], "repository-name": ["reports"]}});
    let target = Target::new("1", &pipeline_arn(A, R, "reports-deploy"), Some(&role));
    w.add_rule(A, R, Rule::new("push-or-replicate", either).target(target));
    assert_eq!(w.replicate(spec).unwrap().len(), 1);
}
