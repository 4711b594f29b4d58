//! Runs by what started them, against the AWS-behaviour layer (awsim): a run started by the push's event triggers
//! it; a release by hand of a push whose rule is disabled deploys the image while the push started nothing; two
//! pushes of one tag seconds apart both count their runs; a `:latest` + `:<sha>` push whose latest moved on keeps its
//! watched tag from CloudTrail.

use awsim::{Principal, PushSpec, RuleState};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::support::REGION;
use crate::support::sim::{Sim, push_of};

const A: &str = "111111111111";

fn ci() -> Principal {
    Principal::assumed_role(A, "service-role/codebuild-web", "build-1")
}

fn codes(push: &Value) -> Vec<&str> {
    push["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect()
}

fn hop<'a>(push: &'a Value, name: &str) -> &'a Value {
    push["chain"].as_array().unwrap().iter().find(|h| h["hop"] == name).unwrap_or_else(|| panic!("{push:#}"))
}

/// The push of `digest` in `doc`.
fn push_with<'a>(doc: &'a Value, digest: &str) -> &'a Value {
    doc["pushes"].as_array().unwrap().iter().find(|p| p["digest"] == digest).unwrap_or_else(|| panic!("{doc:#}"))
}

/// The console's pipeline for web:latest; its rule disabled; web:latest pushed ten minutes ago (starting nothing),
/// then released by hand by alice two minutes later ("Release change": trigger StartPipelineExecution, her ARN, the
/// digest the tag holds then). The push is untriggered: its rule is disabled, and the manual run is named.
#[test]
fn a_release_by_hand_of_a_push_whose_rule_is_disabled() {
    let sim = Sim::start();
    let w = &sim.world;
    let rule = w.console_pipeline(A, REGION, "web-deploy", "web", None);
    w.set_rule_state(A, REGION, &rule, RuleState::Disabled);
    let at = Timestamp::now() - SignedDuration::from_mins(10);
    let pushed = w.push(PushSpec::new(A, REGION, "web", ci(), at).tag("latest")).unwrap();
    assert!(pushed.started.is_empty(), "a disabled rule starts nothing");
    let alice = Principal::assumed_role(A, "release", "alice");
    let run_id = w.start_execution(A, REGION, "web-deploy", &alice, at + SignedDuration::from_mins(2)).unwrap();

    let (run, doc) = sim.once_json(&[("alpha", A)]);
    assert_eq!(run.code, Some(1), "the push is untriggered\n{run}");
    let web = push_of(&doc, "web");
    assert_eq!(web["status"], "untriggered", "{web:#}");
    assert_eq!(web["execution"], Value::Null, "{web:#}");
    let alice_arn = alice.arn();
    let deployed = &web["deployed_by"];
    let keys = ["pipeline", "id", "matched_by", "status", "trigger", "started_by"];
    assert_eq!(
        Value::Array(keys.map(|k| deployed[k].clone()).to_vec()),
        json!(["web-deploy", run_id, "digest", "InProgress", "StartPipelineExecution", alice_arn]),
        "{web:#}"
    );
    let link = deployed["console_url"].as_str().unwrap_or_default();
    assert!(link.ends_with(&format!("/pipelines/web-deploy/executions/{run_id}/timeline?region={REGION}")), "{link}");
    // The broken rule first (the chain's first broken hop), then the release that hid it.
    assert_eq!(codes(web), ["rule_disabled", "deployed_without_trigger"], "{web:#}");
    let f = &web["findings"][1];
    let message = f["message"].as_str().unwrap();
    assert!(message.contains(&format!("run {run_id} of web-deploy")), "{f:#}");
    assert!(message.contains(&format!("released by hand (StartPipelineExecution) by {alice_arn}")), "{f:#}");
    let evidence = f["evidence"][0].as_str().unwrap();
    assert!(evidence.contains("trigger StartPipelineExecution"), "{f:#}");
    assert!(evidence.contains(&format!("its source revision is this image ({})", pushed.digest)), "{f:#}");
    assert_eq!(f["inferred"], Value::Null, "a digest is seen: {f:#}");
    assert_eq!(hop(web, "rule")["state"], "broken");
    let run_hop = hop(web, "run");
    assert_eq!(run_hop["state"], "broken");
    assert!(run_hop["evidence"].as_str().unwrap().contains(&format!("run {run_id} (InProgress)")), "{run_hop:#}");

    // Text: the untriggered push names the run that deployed it.
    let dir = tempfile::tempdir().unwrap();
    let config = sim.config(dir.path(), &[("alpha", A)]);
    let text = crate::support::run_pipewatch(["--once", "--config", config.to_str().unwrap()]);
    let flat = text.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&format!("no run started by this push; deployed by web-deploy {run_id}")), "{text}");
    assert!(flat.contains("[deployed_without_trigger]"), "{text}");
}

/// web:latest and web:<sha> pushed twice, twenty and ten minutes ago; the older push found the console's rule
/// disabled and started nothing, the newer one started its run. The older image lost `latest` and kept its sha tag:
/// it is still the push of web:latest (the tag recovered from its CloudTrail record), untriggered, its chain reading
/// the rule for web:latest.
#[test]
fn latest_moved_on_while_the_older_image_keeps_its_sha_tag() {
    let sim = Sim::start();
    let w = &sim.world;
    w.console_pipeline(A, REGION, "web-deploy", "web", None);
    let now = Timestamp::now();
    let spec = |at: Timestamp, sha: &str| PushSpec::new(A, REGION, "web", ci(), at).tag("latest").tag(sha);
    w.set_rule_state(A, REGION, "web-deploy-ecr-latest", RuleState::Disabled);
    let old = w.push(spec(now - SignedDuration::from_mins(20), "a1b2c3d")).unwrap();
    w.set_rule_state(A, REGION, "web-deploy-ecr-latest", RuleState::Enabled);
    let new = w.push(spec(now - SignedDuration::from_mins(10), "e4f5a6b")).unwrap();
    assert_eq!((old.started.len(), new.started.len()), (0, 1), "only the newer push started its run");

    let (run, doc) = sim.once_json(&[("alpha", A)]);
    assert_eq!(run.code, Some(1), "{run}");
    let older = push_with(&doc, &old.digest);
    assert_eq!(older["tags"], json!(["a1b2c3d", "latest"]), "{older:#}");
    assert_eq!(older["tags_from_cloudtrail"], true, "{older:#}");
    assert_eq!(older["status"], "untriggered", "{older:#}");
    assert_eq!(older["watched_by"], json!(["web-deploy"]), "{older:#}");
    let rule = hop(older, "rule");
    assert!(rule["evidence"].as_str().unwrap().contains("web:latest"), "{rule:#}");
    let newer = push_with(&doc, &new.digest);
    assert_eq!((&newer["tags_from_cloudtrail"], &newer["status"]), (&json!(false), &json!("triggered")));
}

/// The same two pushes, both starting their runs: the older image, holding only its sha tag, is accounted for by the
/// run carrying its digest, so CloudTrail is not read for it (issue 10 item 7) and its tag is not recovered; its
/// status is still right: triggered by its own event-started run, watched by web-deploy.
#[test]
fn an_older_image_with_its_own_run_needs_no_cloudtrail() {
    let sim = Sim::start();
    let w = &sim.world;
    w.console_pipeline(A, REGION, "web-deploy", "web", None);
    let now = Timestamp::now();
    let spec = |at: Timestamp, sha: &str| PushSpec::new(A, REGION, "web", ci(), at).tag("latest").tag(sha);
    let old = w.push(spec(now - SignedDuration::from_mins(20), "a1b2c3d")).unwrap();
    w.push(spec(now - SignedDuration::from_mins(10), "e4f5a6b")).unwrap();
    let (run, doc) = sim.once_json(&[("alpha", A)]);
    assert_eq!(run.code, Some(0), "{run}");
    let older = push_with(&doc, &old.digest);
    assert_eq!((&older["status"], &older["watched_by"]), (&json!("triggered"), &json!(["web-deploy"])), "{older:#}");
    let execution = &older["execution"];
    assert_eq!((&execution["id"], &execution["matched_by"]), (&json!(old.started[0].1), &json!("digest")));
    assert_eq!(execution["trigger"], "CloudWatchEvent", "{older:#}");
    assert_eq!(older["tags_from_cloudtrail"], false, "{older:#}");
    let lookups = sim.world.requests().iter().filter(|r| r.operation == "LookupEvents").count();
    assert_eq!(lookups, 0, "every push accounted for: no CloudTrail read");
}

/// Two pushes of web:latest half a second apart: the rule starts a run for each, a second after its push, and both
/// runs resolve the tag to the newer image (awsim's default reading of what an event-started ECR source records,
/// FACTS.md §1). Neither push is flagged: the older one is matched `tag_moved`, the newer one by digest.
#[test]
fn two_pushes_of_one_tag_seconds_apart_are_both_triggered() {
    let sim = Sim::start();
    let w = &sim.world;
    w.console_pipeline(A, REGION, "web-deploy", "web", None);
    let at = Timestamp::now() - SignedDuration::from_mins(10);
    let first = w.push(PushSpec::new(A, REGION, "web", ci(), at).tag("latest")).unwrap();
    let second =
        w.push(PushSpec::new(A, REGION, "web", ci(), at + SignedDuration::from_millis(500)).tag("latest")).unwrap();
    let runs = w.executions(A, REGION, "web-deploy");
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs.iter().all(|(_, revs)| revs[0].1 == second.digest), "both runs took the newer image: {runs:?}");

    let (run, doc) = sim.once_json(&[("alpha", A)]);
    assert_eq!(run.code, Some(0), "{run}");
    let older = push_with(&doc, &first.digest);
    assert_eq!(older["status"], "triggered", "{older:#}");
    assert_eq!(older["execution"]["matched_by"], "tag_moved", "{older:#}");
    assert_eq!(older["execution"]["id"], first.started[0].1.as_str(), "{older:#}");
    let newer = push_with(&doc, &second.digest);
    assert_eq!(newer["status"], "triggered", "{newer:#}");
    assert_eq!(newer["execution"]["matched_by"], "digest", "{newer:#}");
}

/// A push whose own run was later overtaken ("Superseded": a newer run advanced past it at a stage boundary,
/// FACTS.md §8) still triggered it: it stays triggered, and its run's status says what became of the run.
#[test]
fn a_push_whose_run_was_superseded_stays_triggered() {
    let sim = Sim::start();
    let w = &sim.world;
    w.console_pipeline(A, REGION, "web-deploy", "web", None);
    let at = Timestamp::now() - SignedDuration::from_mins(10);
    let pushed = w.push(PushSpec::new(A, REGION, "web", ci(), at).tag("latest")).unwrap();
    let run_id = &pushed.started[0].1;
    w.set_status(A, REGION, "web-deploy", run_id, awsim::ExecStatus::Superseded).unwrap();

    let (run, doc) = sim.once_json(&[("alpha", A)]);
    assert_eq!(run.code, Some(0), "{run}");
    let web = push_of(&doc, "web");
    assert_eq!(web["status"], "triggered", "{web:#}");
    assert_eq!((&web["execution"]["id"], &web["execution"]["status"]), (&json!(run_id), &json!("Superseded")));
    assert_eq!(web["findings"], json!([]), "{web:#}");
}
