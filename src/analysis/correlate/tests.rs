//! Correlation on hand-built pipelines and pushes: every rule of the module doc, case by case, each checked on the
//! implementation and on the oracle.

use super::*;
use crate::model::{ExecStatus, Execution, Revision, WatchedSource};

const T0: i64 = 1_764_000_000;
const GRACE: Duration = Duration::from_secs(300);

fn ts(offset: i64) -> Timestamp {
    Timestamp::from_second(T0 + offset).unwrap()
}

fn push(repo: &str, tags: &[&str], digest: &str, at: i64) -> ImagePush {
    ImagePush {
        repository: repo.into(),
        digest: digest.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        pushed_at: ts(at),
        ..ImagePush::default()
    }
}

fn exec(id: &str, at: i64, revs: &[(&str, &str)]) -> Execution {
    Execution {
        id: id.into(),
        status: ExecStatus::Succeeded,
        trigger: "CloudWatchEvent".into(),
        trigger_detail: None,
        started_at: ts(at),
        updated_at: None,
        revisions: revs
            .iter()
            .map(|(a, d)| Revision { action: a.to_string(), revision_id: d.to_string(), summary: None })
            .collect(),
        status_summary: None,
    }
}

fn pipe(name: &str, sources: &[(&str, &str)], executions: Vec<Execution>) -> Pipeline {
    Pipeline {
        name: name.into(),
        sources: sources
            .iter()
            .map(|(r, t)| WatchedSource { action: "Source".into(), repository: r.to_string(), tag: t.to_string() })
            .collect(),
        executions,
    }
}

/// The implementation's verdicts, once checked against the oracle's (so that each example here checks both).
fn run(pipes: Vec<Pipeline>, pushes: Vec<ImagePush>, now: i64) -> Vec<Verdict> {
    let verdicts = correlate_parts(&pipes, &pushes, ts(now), GRACE);
    assert_eq!(verdicts, oracle::correlate(&pipes, &pushes, ts(now), GRACE), "the oracle disagrees");
    verdicts
}

fn statuses(v: &[Verdict]) -> Vec<PushStatus> {
    v.iter().map(|v| v.status).collect()
}

#[test]
fn digest_match_wins_even_when_late() {
    let pipes = vec![pipe("deploy", &[("web", "latest")], vec![exec("e1", 3600, &[("Source", "sha256:a")])])];
    let v = run(pipes, vec![push("web", &["latest"], "sha256:a", 0)], 7200);
    assert_eq!(v[0].status, PushStatus::Triggered);
    assert_eq!(v[0].matched, Some(Match { pipeline: 0, execution: 0, by: MatchedBy::Digest }));
}

#[test]
fn digest_match_picks_the_earliest_of_reruns() {
    let pipes = vec![pipe(
        "deploy",
        &[("web", "latest")],
        vec![exec("rerun", 900, &[("Source", "sha256:a")]), exec("first", 20, &[("Source", "sha256:a")])],
    )];
    let v = run(pipes, vec![push("web", &["latest"], "sha256:a", 0)], 1000);
    assert_eq!(v[0].matched.unwrap().execution, 1);
}

#[test]
fn digest_match_counts_for_an_untagged_image() {
    let pipes = vec![pipe("deploy", &[("web", "latest")], vec![exec("e1", 10, &[("Source", "sha256:old")])])];
    let v = run(pipes, vec![push("web", &[], "sha256:old", 0)], 1000);
    assert_eq!(v[0].status, PushStatus::Triggered);
    assert_eq!(v[0].watchers, vec![0]);
}

#[test]
fn execution_with_another_digest_does_not_time_match() {
    let pipes = vec![pipe("deploy", &[("web", "latest")], vec![exec("e1", 10, &[("Source", "sha256:other")])])];
    let v = run(pipes, vec![push("web", &["latest"], "sha256:a", 0)], 1000);
    assert_eq!(v[0].status, PushStatus::Untriggered);
}

#[test]
fn time_match_inside_grace() {
    let pipes = vec![pipe("deploy", &[("web", "latest")], vec![exec("e1", 30, &[])])];
    let v = run(pipes, vec![push("web", &["latest"], "sha256:a", 0)], 1000);
    assert_eq!(v[0].status, PushStatus::Triggered);
    assert_eq!(v[0].matched.unwrap().by, MatchedBy::Time);
}

#[test]
fn time_match_grace_edges() {
    // Exactly at pushed_at + grace still matches; one second later does not.
    let at_edge = vec![pipe("d", &[("web", "latest")], vec![exec("e", 300, &[])])];
    assert_eq!(run(at_edge, vec![push("web", &["latest"], "x", 0)], 1000)[0].status, PushStatus::Triggered);
    let past = vec![pipe("d", &[("web", "latest")], vec![exec("e", 301, &[])])];
    assert_eq!(run(past, vec![push("web", &["latest"], "x", 0)], 1000)[0].status, PushStatus::Untriggered);
}

#[test]
fn clock_skew_of_a_few_seconds_is_tolerated() {
    let skewed = vec![pipe("d", &[("web", "latest")], vec![exec("e", -5, &[])])];
    assert_eq!(run(skewed, vec![push("web", &["latest"], "x", 0)], 1000)[0].status, PushStatus::Triggered);
    let too_early = vec![pipe("d", &[("web", "latest")], vec![exec("e", -6, &[])])];
    assert_eq!(run(too_early, vec![push("web", &["latest"], "x", 0)], 1000)[0].status, PushStatus::Untriggered);
}

#[test]
fn pending_until_grace_then_untriggered() {
    let p = || vec![pipe("d", &[("web", "latest")], vec![])];
    assert_eq!(run(p(), vec![push("web", &["latest"], "x", 0)], 300)[0].status, PushStatus::Pending);
    assert_eq!(run(p(), vec![push("web", &["latest"], "x", 0)], 301)[0].status, PushStatus::Untriggered);
    // A push stamped slightly in the future (skew) is pending, not untriggered.
    assert_eq!(run(p(), vec![push("web", &["latest"], "x", 10)], 0)[0].status, PushStatus::Pending);
}

#[test]
fn unwatched_when_no_pipeline_watches_repo_or_tag() {
    let pipes = vec![pipe("d", &[("web", "latest")], vec![exec("e", 10, &[])])];
    let v = run(
        pipes,
        vec![push("web", &["v1.2"], "a", 0), push("api", &["latest"], "b", 0), push("web", &[], "c", 0)],
        1000,
    );
    assert_eq!(statuses(&v), vec![PushStatus::Unwatched; 3]);
    assert!(v.iter().all(|v| v.watchers.is_empty() && v.matched.is_none()));
}

#[test]
fn multi_tag_image_is_watched_through_any_tag() {
    let pipes = vec![pipe("d", &[("web", "prod")], vec![])];
    let v = run(pipes, vec![push("web", &["v1", "prod"], "a", 0)], 1000);
    assert_eq!(v[0].status, PushStatus::Untriggered);
    assert_eq!(v[0].watchers, vec![0]);
}

#[test]
fn several_pipelines_on_one_repo_and_tag() {
    let pipes = vec![
        pipe("deploy-a", &[("web", "latest")], vec![]),
        pipe("deploy-b", &[("web", "latest")], vec![exec("b1", 40, &[])]),
    ];
    let v = run(pipes, vec![push("web", &["latest"], "a", 0)], 1000);
    assert_eq!(v[0].watchers, vec![0, 1]);
    assert_eq!(v[0].status, PushStatus::Triggered);
    assert_eq!(v[0].matched.unwrap().pipeline, 1);
}

#[test]
fn one_execution_matches_at_most_one_push() {
    // Two pushes close together, one run: the later push claims it, the earlier one is untriggered.
    let pipes = vec![pipe("d", &[("web", "latest")], vec![exec("e", 20, &[])])];
    let v = run(pipes, vec![push("web", &[], "a", 0), push("web", &["latest"], "b", 10)], 1000);
    assert_eq!(v[1].status, PushStatus::Triggered);
    // "a" has no tag any more: unwatched, not triggered.
    assert_eq!(v[0].status, PushStatus::Unwatched);

    let pipes = vec![pipe("d", &[("web", "latest"), ("web", "stable")], vec![exec("e", 20, &[])])];
    let v = run(pipes, vec![push("web", &["stable"], "a", 0), push("web", &["latest"], "b", 10)], 1000);
    assert_eq!(statuses(&v), vec![PushStatus::Untriggered, PushStatus::Triggered]);
}

#[test]
fn two_pushes_two_runs_pair_up_in_order() {
    let pipes = vec![pipe("d", &[("web", "latest"), ("web", "stable")], vec![exec("e2", 14, &[]), exec("e1", 3, &[])])];
    let v = run(pipes, vec![push("web", &["stable"], "b", 10), push("web", &["latest"], "a", 0)], 1000);
    assert_eq!(v[0].matched.unwrap().execution, 0, "push b gets run e2");
    assert_eq!(v[1].matched.unwrap().execution, 1, "push a gets run e1");
}

#[test]
fn run_claimed_by_digest_is_not_reused_by_time() {
    let pipes =
        vec![pipe("d", &[("web", "latest"), ("web", "stable")], vec![exec("e", 20, &[("Source", "sha256:b")])])];
    let v = run(pipes, vec![push("web", &["stable"], "sha256:a", 5), push("web", &["latest"], "sha256:b", 10)], 1000);
    assert_eq!(statuses(&v), vec![PushStatus::Untriggered, PushStatus::Triggered]);
    assert_eq!(v[1].matched.unwrap().by, MatchedBy::Digest);
}

#[test]
fn revision_of_another_source_does_not_stop_time_matching() {
    let pipes = vec![pipe("d", &[("web", "latest")], vec![exec("e", 20, &[("Config", "abc123")])])];
    let v = run(pipes, vec![push("web", &["latest"], "sha256:a", 0)], 1000);
    assert_eq!(v[0].matched.unwrap().by, MatchedBy::Time);
}

#[test]
fn executions_before_the_push_do_not_match() {
    let pipes = vec![pipe("d", &[("web", "latest")], vec![exec("old", -600, &[])])];
    let v = run(pipes, vec![push("web", &["latest"], "a", 0)], 1000);
    assert_eq!(v[0].status, PushStatus::Untriggered);
}

#[test]
fn empty_inputs() {
    assert!(run(vec![], vec![], 0).is_empty());
    let v = run(vec![], vec![push("web", &["latest"], "a", 0)], 0);
    assert_eq!(v[0].status, PushStatus::Unwatched);
}

#[test]
fn free_list_finds_nearest_unclaimed() {
    let mut f = FreeList::new(4);
    assert_eq!(f.find(3), Some(3));
    f.claim(3);
    assert_eq!(f.find(3), Some(2));
    f.claim(2);
    f.claim(0);
    assert_eq!(f.find(3), Some(1));
    f.claim(1);
    assert_eq!(f.find(3), None);
}
