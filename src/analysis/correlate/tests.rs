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
    started_by("CloudWatchEvent", id, at, revs)
}

/// A run started by `trigger`.
fn started_by(trigger: &str, id: &str, at: i64, revs: &[(&str, &str)]) -> Execution {
    Execution {
        id: id.into(),
        status: ExecStatus::Succeeded,
        trigger: trigger.into(),
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
    let mut f = time::FreeList::new(4);
    assert_eq!(f.find(3), Some(3));
    f.claim(3);
    assert_eq!(f.find(3), Some(2));
    f.claim(2);
    f.claim(0);
    assert_eq!(f.find(3), Some(1));
    f.claim(1);
    assert_eq!(f.find(3), None);
}

// Runs by what started them.

fn m(pipeline: usize, execution: usize, by: MatchedBy) -> Option<Match> {
    Some(Match { pipeline, execution, by })
}

#[test]
fn event_starts_and_unreported_triggers_may_match() {
    for trigger in ["CloudWatchEvent", "PutActionRevision", "", "SomethingNew"] {
        let by_digest = vec![pipe("d", &[("web", "latest")], vec![started_by(trigger, "e", 20, &[("Source", "x")])])];
        let v = run(by_digest, vec![push("web", &["latest"], "x", 0)], 1000);
        assert_eq!(v[0].matched, m(0, 0, MatchedBy::Digest), "{trigger:?}");
        let by_time = vec![pipe("d", &[("web", "latest")], vec![started_by(trigger, "e", 20, &[])])];
        let v = run(by_time, vec![push("web", &["latest"], "x", 0)], 1000);
        assert_eq!(v[0].matched, m(0, 0, MatchedBy::Time), "{trigger:?}");
    }
}

#[test]
fn a_run_started_another_way_that_carries_the_digest_leaves_the_push_untriggered() {
    for trigger in OTHER_STARTS {
        let pipes = vec![pipe("d", &[("web", "latest")], vec![started_by(trigger, "manual", 20, &[("Source", "x")])])];
        let v = run(pipes, vec![push("web", &["latest"], "x", 0)], 1000);
        assert_eq!(v[0].status, PushStatus::Untriggered, "{trigger}");
        assert_eq!((v[0].matched, v[0].deployed_by), (None, m(0, 0, MatchedBy::Digest)), "{trigger}");
    }
    // Even days later: a release by hand of an image whose push never started anything.
    let pipes = vec![pipe(
        "d",
        &[("web", "latest")],
        vec![started_by("StartPipelineExecution", "m", 86_400, &[("Source", "x")])],
    )];
    let v = run(pipes, vec![push("web", &["latest"], "x", 0)], 90_000);
    assert_eq!((v[0].status, v[0].deployed_by), (PushStatus::Untriggered, m(0, 0, MatchedBy::Digest)));
}

#[test]
fn the_push_keeps_its_own_run_beside_a_release_by_hand() {
    // The manual run came first (and carries the digest too), the event's run a little later.
    let pipes = vec![pipe(
        "d",
        &[("web", "latest")],
        vec![
            started_by("StartPipelineExecution", "manual", 2, &[("Source", "x")]),
            exec("event", 30, &[("Source", "x")]),
        ],
    )];
    let v = run(pipes, vec![push("web", &["latest"], "x", 0)], 1000);
    assert_eq!((v[0].matched, v[0].deployed_by), (m(0, 1, MatchedBy::Digest), None));
    // The same without revisions: the manual run does not take the push's time match.
    let pipes = vec![pipe(
        "d",
        &[("web", "latest")],
        vec![started_by("StartPipelineExecution", "manual", 2, &[]), exec("event", 30, &[])],
    )];
    let v = run(pipes, vec![push("web", &["latest"], "x", 0)], 1000);
    assert_eq!((v[0].matched, v[0].deployed_by), (m(0, 1, MatchedBy::Time), None));
}

#[test]
fn an_event_run_from_before_the_push_is_not_its_run() {
    let early = vec![pipe("d", &[("web", "latest")], vec![exec("e", -6, &[("Source", "x")])])];
    assert_eq!(run(early, vec![push("web", &["latest"], "x", 0)], 1000)[0].status, PushStatus::Untriggered);
    let skewed = vec![pipe("d", &[("web", "latest")], vec![exec("e", -5, &[("Source", "x")])])];
    assert_eq!(run(skewed, vec![push("web", &["latest"], "x", 0)], 1000)[0].status, PushStatus::Triggered);
}

#[test]
fn a_superseded_or_waiting_run_still_triggered_its_push() {
    for status in [ExecStatus::Superseded, ExecStatus::InProgress, ExecStatus::Failed, ExecStatus::Stopped] {
        let mut e = exec("e", 20, &[("Source", "x")]);
        e.status = status.clone();
        let v = run(vec![pipe("d", &[("web", "latest")], vec![e])], vec![push("web", &["latest"], "x", 0)], 1000);
        assert_eq!(v[0].status, PushStatus::Triggered, "{status:?}");
    }
}

#[test]
fn a_release_by_hand_without_revisions_ran_the_latest_push_before_it() {
    let manual = |at| started_by("StartPipelineExecution", "manual", at, &[]);
    // One push, a release 20 s later: it ran that push's image, and the push stays untriggered.
    let v = run(vec![pipe("d", &[("web", "latest")], vec![manual(20)])], vec![push("web", &["latest"], "a", 0)], 1000);
    assert_eq!(
        (v[0].status, v[0].matched, v[0].deployed_by),
        (PushStatus::Untriggered, None, m(0, 0, MatchedBy::Time))
    );
    // Two pushes of the tag before the release: it picked up the newer one only.
    let pushes = vec![push("web", &["latest"], "a", 0), push("web", &["latest"], "b", 10)];
    let v = run(vec![pipe("d", &[("web", "latest")], vec![manual(20)])], pushes, 1000);
    assert_eq!((v[0].deployed_by, v[1].deployed_by), (None, m(0, 0, MatchedBy::Time)));
    // The newer push came 5 s after the release (within the skew): the release may have picked it up.
    let pushes = vec![push("web", &["latest"], "a", 0), push("web", &["latest"], "b", 25)];
    let v = run(vec![pipe("d", &[("web", "latest")], vec![manual(20)])], pushes, 1000);
    assert_eq!((v[0].deployed_by, v[1].deployed_by), (None, m(0, 0, MatchedBy::Time)));
    // 6 s after: the release ran the older push's image.
    let pushes = vec![push("web", &["latest"], "a", 0), push("web", &["latest"], "b", 26)];
    let v = run(vec![pipe("d", &[("web", "latest")], vec![manual(20)])], pushes, 1000);
    assert_eq!((v[0].deployed_by, v[1].deployed_by), (m(0, 0, MatchedBy::Time), None));
    // Past the grace period, a release by hand is not tied to the push.
    let v = run(vec![pipe("d", &[("web", "latest")], vec![manual(301)])], vec![push("web", &["latest"], "a", 0)], 1000);
    assert_eq!(v[0].deployed_by, None);
}

#[test]
fn a_release_by_hand_of_an_image_that_lost_its_tag_makes_it_watched() {
    let pipes = vec![pipe(
        "d",
        &[("web", "latest")],
        vec![started_by("StartPipelineExecution", "m", 20, &[("Source", "old")])],
    )];
    let v = run(pipes, vec![push("web", &[], "old", 0)], 1000);
    assert_eq!((v[0].status, v[0].watchers.clone()), (PushStatus::Untriggered, vec![0]));
}

#[test]
fn two_pushes_of_one_tag_seconds_apart_whose_runs_both_record_the_newer_digest() {
    // The runs resolved the tag when they started, after the second push: both record "b".
    let pipes = vec![pipe(
        "d",
        &[("web", "latest")],
        vec![exec("first", 6, &[("Source", "b")]), exec("second", 8, &[("Source", "b")])],
    )];
    let pushes = vec![push("web", &["latest"], "a", 0), push("web", &["latest"], "b", 3)];
    let v = run(pipes, pushes, 1000);
    assert_eq!(statuses(&v), vec![PushStatus::Triggered, PushStatus::Triggered]);
    assert_eq!(v[0].matched, m(0, 0, MatchedBy::TagMoved));
    assert_eq!(v[1].matched, m(0, 0, MatchedBy::Digest));
    // With one run only (the first push's event lost), the first push still counts it: the rule that started it is
    // the same, and the run deployed what the tag held.
    let pipes = vec![pipe("d", &[("web", "latest")], vec![exec("second", 8, &[("Source", "b")])])];
    let v = run(pipes, vec![push("web", &["latest"], "a", 0), push("web", &["latest"], "b", 3)], 1000);
    assert_eq!(v[0].matched, m(0, 0, MatchedBy::TagMoved));
}

#[test]
fn tag_moved_needs_a_later_push_of_the_watched_tag_an_event_start_and_the_window() {
    let two = || vec![push("web", &["latest"], "a", 0), push("web", &["latest"], "b", 3)];
    // The run records the *older* push's digest: that is the older push's digest match, nothing for the newer one.
    let v = run(vec![pipe("d", &[("web", "latest")], vec![exec("e", 6, &[("Source", "a")])])], two(), 1000);
    assert_eq!((v[0].matched, v[1].matched), (m(0, 0, MatchedBy::Digest), None));
    // Started by hand: no match (the newer push's image was deployed by hand).
    let manual = started_by("StartPipelineExecution", "m", 6, &[("Source", "b")]);
    let v = run(vec![pipe("d", &[("web", "latest")], vec![manual])], two(), 1000);
    assert_eq!((v[0].matched, v[1].matched, v[1].deployed_by), (None, None, m(0, 0, MatchedBy::Digest)));
    // Past the older push's grace.
    let late = vec![pipe("d", &[("web", "latest")], vec![exec("e", 301, &[("Source", "b")])])];
    assert_eq!(run(late, two(), 1000)[0].matched, None);
    // The later image was pushed with another tag than the one watched.
    let other_tag = vec![push("web", &["latest"], "a", 0), push("web", &["v2"], "b", 3)];
    let v = run(vec![pipe("d", &[("web", "latest")], vec![exec("e", 6, &[("Source", "b")])])], other_tag, 1000);
    assert_eq!(v[0].matched, None);
    // The revision belongs to another action than the source watching the tag.
    // (It lists the newer digest, so that push's digest match; the older one is left to the time rule.)
    let v = run(vec![pipe("d", &[("web", "latest")], vec![exec("e", 6, &[("Config", "b")])])], two(), 1000);
    assert_eq!((v[0].matched, v[1].matched), (m(0, 0, MatchedBy::Time), m(0, 0, MatchedBy::Digest)));
}
