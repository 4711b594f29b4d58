//! The chain of hand-built pushes: which hop breaks first, and what each hop says.

use super::*;
use crate::analysis::fixtures::evidence::{GRACE, NATIVE, diag, pipeline, push, record, rule, ts};
use crate::analysis::trail::TrailIndex;
use crate::model::{Diagnostics, ExecStatus, ImagePush, Revision};

/// The chain of `push` watched by `pipe` (`status` as correlation decided), matched to `run` of `pipe` if given.
fn chain_of(push: &ImagePush, status: PushStatus, pipe: &Pipeline, d: &Diagnostics, run: Option<usize>) -> Vec<Hop> {
    let ev = Evidence {
        push,
        status,
        watchers: if status == PushStatus::Unwatched { vec![] } else { vec![pipe] },
        pipelines: std::slice::from_ref(pipe),
        diagnostics: d,
        record: TrailIndex::new(d).record_for(push),
        grace: GRACE,
        arrival: None,
        region: "ap-northeast-1",
        identity: None,
        deployed_by: None,
    };
    chain(&ev, run.map(|e| (pipe, &pipe.executions[e])))
}

fn states(c: &[Hop]) -> Vec<(&'static str, &'static str)> {
    c.iter().map(|h| (h.hop.as_str(), h.state.as_str())).collect()
}

fn event_run() -> Execution {
    Execution {
        id: "run-1".into(),
        status: ExecStatus::Succeeded,
        trigger: "CloudWatchEvent".into(),
        trigger_detail: Some("arn:aws:events:ap-northeast-1:111111111111:rule/web-rule".into()),
        started_at: ts(-3590),
        updated_at: None,
        revisions: vec![Revision { action: "Source".into(), revision_id: "sha256:d1".into(), summary: None }],
        status_summary: None,
    }
}

#[test]
fn the_field_reports_push_breaks_at_the_event() {
    let d = diag(vec![record("222222222222", "latest")], Some(vec![rule("ENABLED", NATIVE)]));
    let c = chain_of(&push(&["latest"]), PushStatus::Untriggered, &pipeline(vec![]), &d, None);
    assert_eq!(
        states(&c),
        [
            ("push", "established"),
            ("event", "broken"),
            ("rule", "established"),
            ("target", "not_checked"),
            ("run", "broken")
        ]
    );
    assert_eq!(first_broken(&c).map(|h| h.hop), Some(HopKind::Event));
    assert!(c[0].evidence.contains("from account 222222222222") && c[0].evidence.contains("CloudTrail event e1"));
    // What is inferred says so.
    assert!(c[1].evidence.starts_with("inferred:"), "{}", c[1].evidence);
    assert!(c[2].evidence.contains("web-rule is enabled and matches web:latest"));
}

#[test]
fn an_event_started_run_establishes_every_hop_it_shows() {
    let d = diag(vec![record("111111111111", "latest")], Some(vec![rule("ENABLED", NATIVE)]));
    let pipe = pipeline(vec![event_run()]);
    let c = chain_of(&push(&["latest"]), PushStatus::Triggered, &pipe, &d, Some(0));
    assert_eq!(states(&c)[1], ("event", "established"));
    assert_eq!(states(&c)[4], ("run", "established"));
    assert!(c[1].evidence.contains("rule/web-rule"), "{}", c[1].evidence);
    assert!(c[4].evidence.contains("run-1 (Succeeded)"), "{}", c[4].evidence);
    assert_eq!(first_broken(&c), None);
}

#[test]
fn an_event_started_run_stands_for_its_rule_and_target_when_nothing_was_read() {
    // Nothing needed explaining: the poll read no rule.
    let mut d = diag(vec![], None);
    d.rules = Lookup::Skipped("not read: every push is accounted for".into());
    let pipe = pipeline(vec![event_run()]);
    let c = chain_of(&push(&["latest"]), PushStatus::Triggered, &pipe, &d, Some(0));
    assert_eq!(states(&c)[2..4], [("rule", "established"), ("target", "established")]);
    assert!(c[2].evidence.contains("rule/web-rule") && c[2].evidence.contains("not read"), "{}", c[2].evidence);
    assert!(c[3].evidence.contains("started web-deploy (run run-1)"), "{}", c[3].evidence);
    // A run started any other way says nothing of the rule.
    let mut manual = event_run();
    manual.trigger = "StartPipelineExecution".into();
    let c = chain_of(&push(&["latest"]), PushStatus::Triggered, &pipeline(vec![manual]), &d, Some(0));
    assert_eq!(states(&c)[2..4], [("rule", "not_checked"), ("target", "not_checked")]);
}

#[test]
fn rules_that_cannot_fire_break_the_rule_hop() {
    let same = || vec![record("111111111111", "latest")];
    let cases = [
        (Some(vec![]), "no rule on the default bus targets web-deploy"),
        (Some(vec![rule("DISABLED", NATIVE)]), "web-rule is disabled"),
        (Some(vec![rule("ENABLED", &NATIVE.replace("latest", "prod"))]), "web-rule: "),
    ];
    for (rules, evidence) in cases {
        let d = diag(same(), rules);
        let c = chain_of(&push(&["latest"]), PushStatus::Untriggered, &pipeline(vec![]), &d, None);
        assert_eq!(c[2].state, HopState::Broken, "{c:?}");
        assert!(c[2].evidence.contains(evidence), "{}", c[2].evidence);
        // A same-account push's event is documented, not observed.
        assert_eq!(c[1].state, HopState::NotChecked);
    }
}

#[test]
fn what_was_not_read_is_not_checked_with_the_reason() {
    let mut d = diag(vec![], None);
    d.put_images = Lookup::Skipped("switched off with `cloudtrail = false`".into());
    let c = chain_of(&push(&["latest"]), PushStatus::Pending, &pipeline(vec![]), &d, None);
    assert_eq!(
        states(&c),
        [
            ("push", "not_checked"),
            ("event", "not_checked"),
            ("rule", "not_checked"),
            ("target", "not_checked"),
            ("run", "not_checked")
        ]
    );
    assert!(c[0].evidence.contains("cloudtrail = false"));
    assert!(c[2].evidence.contains("disabled in the config"));
    assert!(c[4].evidence.contains("within the grace period"));
}

#[test]
fn an_unwatched_push_has_no_chain() {
    let d = diag(vec![record("111111111111", "v1")], None);
    assert!(chain_of(&push(&["v1"]), PushStatus::Unwatched, &pipeline(vec![]), &d, None).is_empty());
}
