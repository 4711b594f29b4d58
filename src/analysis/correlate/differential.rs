//! Differential test: on random small worlds, `correlate_parts` decides exactly as the oracle written from the rules.
//!
//! The worlds are dense on purpose: three repositories and three tags (mostly the first of each, so that pipelines and
//! pushes meet), five digests shared by every repository (one of them a commit id), pipelines with zero to two ECR
//! sources, executions with and without revisions (some of a non-ECR action), untagged pushes, several pushes of one
//! tag (so that runs record the digest of a later push). Executions are mostly started by an event, else by every
//! other documented trigger, by one the API did not report or this version does not know. Times lie on the 5 s skew
//! grid or exactly at an edge of a push's window (`pushed_at - SKEW`, `pushed_at + grace`), now and then one second
//! off, so that equal times, the edges and one second past them come up often; some worlds sit at the ends of time
//! (saturating arithmetic) or have no or an endless grace. `generator_reaches_the_edges` checks the mix.

use std::ops::Range;
use std::time::Duration;

use jiff::Timestamp;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use super::{MatchedBy, SKEW, Verdict, correlate_parts, oracle};
use crate::model::{ExecStatus, Execution, ImagePush, Pipeline, Revision, WatchedSource};

const REPOS: [&str; 3] = ["web", "api", "job"];
const TAGS: [&str; 3] = ["latest", "prod", "v1"];
/// The actions of ECR sources; executions also carry revisions of `Config`, a non-ECR source.
const ECR_ACTIONS: [&str; 2] = ["Source", "Image"];
const ACTIONS: [&str; 3] = ["Source", "Image", "Config"];
const DIGESTS: [&str; 5] = ["sha256:a", "sha256:b", "sha256:c", "sha256:d", "abc123"];
/// What started an execution besides an EventBridge rule: every other documented trigger, none reported, and one
/// this version does not know.
const OTHER_TRIGGERS: [&str; 10] = [
    "PutActionRevision",
    "StartPipelineExecution",
    "Webhook",
    "WebhookV2",
    "PollForSourceChanges",
    "CreatePipeline",
    "ManualRollback",
    "AutomatedRollback",
    "",
    "SomethingNew",
];
/// Grid cells (of 5 s, the skew) of push times, execution start times and the clock.
const PUSH_CELLS: Range<i64> = 0..12;
const EXEC_CELLS: Range<i64> = -10..90;
const NOW_CELLS: Range<i64> = 0..80;
const SKEW_SECONDS: i64 = SKEW.as_secs() as i64;
/// The earliest and latest second any instant of a world can be, from its epoch (the grace edges of the pushes with
/// the default grace fall within).
const FIRST_SECOND: i64 = EXEC_CELLS.start * 5 - 1;
const LAST_SECOND: i64 = (EXEC_CELLS.end - 1) * 5 + 1;

/// One randomized input of `correlate_parts`.
#[derive(Debug, Clone)]
struct World {
    pipelines: Vec<Pipeline>,
    pushes: Vec<ImagePush>,
    now: Timestamp,
    grace: Duration,
}

/// An instant: seconds from the epoch, or from an edge of the window of one of the world's pushes (whose times and
/// grace are drawn beside it).
#[derive(Debug, Clone, Copy)]
enum SecondsFrom {
    Epoch(i64),
    /// Seconds from `pushed_at - SKEW` of a push.
    SkewEdge(Index, i64),
    /// Seconds from `pushed_at + grace` of a push.
    GraceEdge(Index, i64),
}

impl SecondsFrom {
    /// Seconds from the epoch, given the pushes' (an instant after an endless grace is the last one of the world).
    fn seconds(self, pushes: &[i64], grace: Duration) -> i64 {
        let grace = i64::try_from(grace.as_secs()).unwrap_or(i64::MAX);
        let pushed = |i: Index| if pushes.is_empty() { 0 } else { *i.get(pushes) };
        match self {
            Self::Epoch(s) => s,
            Self::SkewEdge(i, s) => pushed(i) - SKEW_SECONDS + s,
            Self::GraceEdge(i, s) => pushed(i).saturating_add(grace).saturating_add(s),
        }
        .clamp(FIRST_SECOND, LAST_SECOND)
    }
}

/// Mostly exactly on an edge, sometimes one second before or after.
fn jitter() -> impl Strategy<Value = i64> {
    prop_oneof![6 => Just(0), 1 => Just(-1), 1 => Just(1)]
}

/// Seconds from the epoch: a cell of the 5 s grid, give or take the jitter.
fn instant(cells: Range<i64>) -> impl Strategy<Value = i64> {
    (cells, jitter()).prop_map(|(cell, off)| cell * 5 + off)
}

/// When an execution starts: anywhere, or at either edge of the window of a push.
fn start() -> impl Strategy<Value = SecondsFrom> {
    prop_oneof![
        2 => instant(EXEC_CELLS).prop_map(SecondsFrom::Epoch),
        1 => (any::<Index>(), jitter()).prop_map(|(i, s)| SecondsFrom::SkewEdge(i, s)),
        1 => (any::<Index>(), jitter()).prop_map(|(i, s)| SecondsFrom::GraceEdge(i, s)),
    ]
}

/// The clock: anywhere, or at the end of the grace period of a push.
fn now() -> impl Strategy<Value = SecondsFrom> {
    prop_oneof![
        instant(NOW_CELLS).prop_map(SecondsFrom::Epoch),
        (any::<Index>(), jitter()).prop_map(|(i, s)| SecondsFrom::GraceEdge(i, s)),
    ]
}

/// Mostly the default grace (a multiple of the grid), sometimes none, one off the grid, or one that saturates.
fn grace() -> impl Strategy<Value = Duration> {
    prop_oneof![
        6 => Just(Duration::from_secs(300)),
        1 => Just(Duration::ZERO),
        1 => Just(Duration::from_secs(12)),
        1 => Just(Duration::MAX),
    ]
}

/// Mostly an ordinary date, sometimes one where the windows run into the ends of time (saturating arithmetic).
fn epoch() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => Just(1_764_000_000),
        1 => Just(Timestamp::MIN.as_second() - FIRST_SECOND),
        1 => Just(Timestamp::MAX.as_second() - LAST_SECOND),
    ]
}

/// An execution as (trigger, start, revisions as (action, id)).
type ExecutionSpec = (&'static str, SecondsFrom, Vec<(&'static str, &'static str)>);
/// A pipeline as (sources, executions), in seconds from the epoch.
type PipelineSpec = (Vec<(&'static str, &'static str, &'static str)>, Vec<ExecutionSpec>);

/// A repository, mostly the first one (so that pipelines and pushes meet).
fn repo() -> impl Strategy<Value = &'static str> {
    prop_oneof![4 => Just(REPOS[0]), 1 => select(&REPOS[1..])]
}

/// A tag, mostly the first one.
fn tag() -> impl Strategy<Value = &'static str> {
    prop_oneof![3 => Just(TAGS[0]), 1 => select(&TAGS[1..])]
}

fn pipeline() -> impl Strategy<Value = PipelineSpec> {
    let source = (select(&ECR_ACTIONS[..]), repo(), tag());
    let revision = (select(&ACTIONS[..]), select(&DIGESTS[..]));
    // Half of the executions carry no revision (time-match candidates).
    let revisions = prop_oneof![Just(Vec::new()), proptest::collection::vec(revision, 1..=2)];
    let trigger = prop_oneof![2 => Just("CloudWatchEvent"), 1 => select(&OTHER_TRIGGERS[..])];
    let execution = (trigger, start(), revisions);
    (proptest::collection::vec(source, 0..=2), proptest::collection::vec(execution, 0..=5))
}

type PushSpec = (&'static str, std::collections::BTreeSet<&'static str>, &'static str, i64);

fn push() -> impl Strategy<Value = PushSpec> {
    let tags = proptest::collection::btree_set(tag(), 0..=2);
    (repo(), tags, select(&DIGESTS[..]), instant(PUSH_CELLS))
}

fn world() -> impl Strategy<Value = World> {
    let pipelines = proptest::collection::vec(pipeline(), 0..=3);
    let pushes = proptest::collection::vec(push(), 0..=7);
    (epoch(), pipelines, pushes, now(), grace()).prop_map(|(epoch, pipelines, pushes, now, grace)| {
        let at = |s: i64| Timestamp::from_second(epoch + s).expect("the epochs keep every instant in range");
        let pushed: Vec<i64> = pushes.iter().map(|&(_, _, _, pushed)| pushed).collect();
        World {
            pipelines: pipelines
                .into_iter()
                .enumerate()
                .map(|(p, (sources, executions))| Pipeline {
                    name: format!("p{p}"),
                    sources: sources
                        .into_iter()
                        .map(|(action, repository, tag)| WatchedSource {
                            action: action.into(),
                            repository: repository.into(),
                            tag: tag.into(),
                        })
                        .collect(),
                    executions: executions
                        .into_iter()
                        .enumerate()
                        .map(|(e, (trigger, started, revisions))| {
                            execution(format!("e{e}"), trigger, at(started.seconds(&pushed, grace)), revisions)
                        })
                        .collect(),
                })
                .collect(),
            pushes: pushes
                .into_iter()
                .map(|(repository, tags, digest, pushed)| ImagePush {
                    repository: repository.into(),
                    digest: digest.into(),
                    tags: tags.into_iter().map(String::from).collect(),
                    pushed_at: at(pushed),
                    ..ImagePush::default()
                })
                .collect(),
            now: at(now.seconds(&pushed, grace)),
            grace,
        }
    })
}

fn execution(id: String, trigger: &str, started_at: Timestamp, revisions: Vec<(&str, &str)>) -> Execution {
    Execution {
        id,
        status: ExecStatus::Succeeded,
        trigger: trigger.into(),
        trigger_detail: None,
        started_at,
        updated_at: None,
        revisions: revisions
            .into_iter()
            .map(|(action, id)| Revision { action: action.into(), revision_id: id.into(), summary: None })
            .collect(),
        status_summary: None,
    }
}

fn implementation(w: &World) -> Vec<Verdict> {
    correlate_parts(&w.pipelines, &w.pushes, w.now, w.grace)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn correlation_decides_like_the_oracle(w in world()) {
        prop_assert_eq!(implementation(&w), oracle::correlate(&w.pipelines, &w.pushes, w.now, w.grace));
    }
}

/// What a sample of worlds contains, to show that the property test meets the cases that matter.
#[derive(Debug, Default)]
struct Reached {
    digest_matches: usize,
    time_matches: usize,
    /// Time matches whose execution started exactly at `pushed_at - SKEW`, exactly at `pushed_at + grace`.
    time_at_skew_edge: usize,
    time_at_grace_edge: usize,
    /// Watched pushes, unmatched, with an execution of a watching pipeline one second outside either edge.
    just_outside: usize,
    /// Two pushes of one repository pushed at the same instant; two executions of one pipeline started together.
    equal_push_times: usize,
    equal_start_times: usize,
    /// Pending with `now - pushed_at == grace` exactly.
    pending_at_edge: usize,
    /// Pushes without tags that a digest match triggers.
    untagged_triggered: usize,
    /// Tag-moved matches; one whose run is also the digest match of the later push.
    tag_moved_matches: usize,
    tag_moved_shared_run: usize,
    /// Pushes whose digest an event-started run carries, yet too early to be theirs (before `pushed_at - SKEW`).
    event_run_before_push: usize,
    /// Other-start runs that ran an unmatched push, by digest and by time; runs started another way in the window of a
    /// push without a match that picked a later push up instead.
    deployed_by_digest: usize,
    deployed_by_time: usize,
    later_push_picked_up: usize,
    /// Pushes matched by digest or time while a watching pipeline also has a run started another way.
    matched_beside_other_start: usize,
}

/// Adds what `w` and its verdicts reach to `r`.
fn count(w: &World, verdicts: &[Verdict], r: &mut Reached) {
    let secs = |from: Timestamp, to: Timestamp| to.as_second() - from.as_second();
    let grace = i64::try_from(w.grace.as_secs()).unwrap_or(i64::MAX);
    let skew = SKEW_SECONDS;
    for (push, v) in w.pushes.iter().zip(verdicts) {
        match v.matched {
            Some(m) if m.by == MatchedBy::Digest => r.digest_matches += 1,
            Some(m) if m.by == MatchedBy::TagMoved => {
                r.tag_moved_matches += 1;
                let shared = w.pushes.iter().zip(verdicts).any(|(q, u)| {
                    q.pushed_at > push.pushed_at
                        && u.matched == v.matched.map(|m| super::Match { by: MatchedBy::Digest, ..m })
                });
                r.tag_moved_shared_run += usize::from(shared);
            }
            Some(m) => {
                r.time_matches += 1;
                let after = secs(push.pushed_at, w.pipelines[m.pipeline].executions[m.execution].started_at);
                r.time_at_skew_edge += usize::from(after == -skew);
                r.time_at_grace_edge += usize::from(after == grace);
            }
            None if !v.watchers.is_empty() => {
                let outside = v.watchers.iter().flat_map(|&p| &w.pipelines[p].executions).any(|ex| {
                    let after = secs(push.pushed_at, ex.started_at);
                    after == -skew - 1 || after == grace.saturating_add(1)
                });
                r.just_outside += usize::from(outside);
                r.pending_at_edge += usize::from(secs(push.pushed_at, w.now) == grace);
            }
            None => {}
        }
        r.untagged_triggered += usize::from(push.tags.is_empty() && v.matched.is_some());
        let execs = || w.pipelines.iter().flat_map(|p| &p.executions);
        let event = |ex: &&Execution| ex.trigger == "CloudWatchEvent";
        r.event_run_before_push += usize::from(execs().filter(event).any(|ex| {
            ex.revisions.iter().any(|x| x.revision_id == push.digest) && secs(push.pushed_at, ex.started_at) < -skew
        }));
        match v.deployed_by {
            Some(m) if m.by == MatchedBy::Digest => r.deployed_by_digest += 1,
            Some(_) => r.deployed_by_time += 1,
            None if v.matched.is_none() => {
                // A run started another way, without an ECR revision, in the push's window: it ran a later push.
                let picked = v.watchers.iter().any(|&p| {
                    let pipe = &w.pipelines[p];
                    pipe.executions.iter().any(|ex| {
                        let after = secs(push.pushed_at, ex.started_at);
                        let ecr = ex.revisions.iter().any(|r| pipe.sources.iter().any(|s| s.action == r.action));
                        !super::push_start(&ex.trigger) && !ecr && (-skew..=grace).contains(&after)
                    })
                });
                r.later_push_picked_up += usize::from(picked);
            }
            None => {}
        }
        let other_beside =
            v.watchers.iter().flat_map(|&p| &w.pipelines[p].executions).any(|ex| !super::push_start(&ex.trigger));
        r.matched_beside_other_start += usize::from(v.matched.is_some() && other_beside);
    }
    for (i, a) in w.pushes.iter().enumerate() {
        r.equal_push_times +=
            w.pushes[i + 1..].iter().filter(|b| a.repository == b.repository && a.pushed_at == b.pushed_at).count();
    }
    for pipe in &w.pipelines {
        for (e, a) in pipe.executions.iter().enumerate() {
            r.equal_start_times += pipe.executions[e + 1..].iter().filter(|b| a.started_at == b.started_at).count();
        }
    }
}

#[test]
fn generator_reaches_the_edges() {
    // As many worlds as the property test runs, from a fixed seed.
    let mut runner = TestRunner::deterministic();
    let strategy = world();
    let mut total = Reached::default();
    for _ in 0..2_000 {
        let w = strategy.new_tree(&mut runner).expect("the strategy never rejects").current();
        count(&w, &implementation(&w), &mut total);
    }
    let counts = [
        total.digest_matches,
        total.time_matches,
        total.time_at_skew_edge,
        total.time_at_grace_edge,
        total.just_outside,
        total.equal_push_times,
        total.equal_start_times,
        total.pending_at_edge,
        total.untagged_triggered,
        total.tag_moved_matches,
        total.tag_moved_shared_run,
        total.event_run_before_push,
        total.deployed_by_digest,
        total.deployed_by_time,
        total.later_push_picked_up,
        total.matched_beside_other_start,
    ];
    assert!(counts.iter().all(|&n| n >= 10), "too few cases at an edge: {total:#?}");
}
