//! Push-to-run correlation: which pushes started a pipeline run, which are still waiting, which never did, and which
//! ran anyway in a run their push could not have started.
//!
//! Pure code over one profile's snapshot; no I/O, no clock (the caller passes `now`). Pipelines, executions and pushes
//! are named by their index in the snapshot, and every tie below goes to the lower index unless it says otherwise.
//!
//! Rules (the oracle of the differential test, `correlate/oracle.rs`, is written from them alone):
//! - A run is an *other start* when its trigger (`trigger.triggerType`) is `StartPipelineExecution`, `Webhook`,
//!   `WebhookV2`, `PollForSourceChanges`, `CreatePipeline`, `ManualRollback` or `AutomatedRollback`: a release by
//!   hand, another source's change, the pipeline's creation or a rollback (FACTS.md §9). Any other run is a *push
//!   start*, one a push's event could have started: `CloudWatchEvent`, `PutActionRevision`, and a trigger the API did
//!   not report or this version does not know (given the benefit of the doubt, as before triggers were read: a
//!   missing field never raises an alarm). The trigger types and their details are those of
//!   <https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_ExecutionTrigger.html>.
//! - Pipeline p *watches* a push when p has an ECR source on the push's repository with one of the push's tags. A
//!   push's `watchers` are the pipelines that watch it, in index order, then the pipeline of its digest match if it
//!   is not among them, then the pipeline of its `deployed_by` run by digest if it is not among them.
//! - A *later push* of (repository r, tag t) than a push P: a push of r holding t, pushed strictly after P.
//! - *Digest match* (`Digest`): among the push-start executions of the pipelines with an ECR source on the push's
//!   repository (whatever their tags) that list the push's digest as the id of any of their revisions (of any
//!   action) and started no earlier than `pushed_at - SKEW`, the one that started first; ties go to the lower pipeline
//!   index, then to the lower execution index. A digest match claims nothing: pushes of one digest to two repositories
//!   may both match one execution, and an execution that lists a digest under another action only may be claimed by
//!   time by another push as well.
//! - *Tag-moved match* (`TagMoved`), for a push without a digest match: for each pipeline p watching it and each of
//!   p's ECR sources s on the push's repository with one of its tags, the push-start executions of p started within
//!   `[pushed_at - SKEW, pushed_at + grace]` that list, as the revision of s's action, the digest of a later push of
//!   (s's repository, s's tag); among all of them, the one that started first (ties: the lower pipeline index, then
//!   the lower execution index). It claims nothing either. Why: two pushes of one tag seconds apart may each start a
//!   run that records the newer digest. Which digest an event-started ECR source records is not documented: an
//!   EventBridge target starts the pipeline with StartPipelineExecution, which "begins processing the latest commit
//!   to the source location" (<https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_StartPipelineExecution.html>),
//!   while the ECR action's output names "the image that triggered the pipeline execution"
//!   (<https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECR.html>); "How source revisions
//!   are processed" (<https://docs.aws.amazon.com/codepipeline/latest/userguide/concepts-how-it-works.html>) covers
//!   other sources, not ECR (FACTS.md §1). So both readings are accepted, and neither push is flagged.
//! - *Time match* (`Time`), decided for each pipeline p on its own:
//!   - its candidates are the push-start executions of p that carry no revision for the action of any of p's ECR
//!     sources (revisions of other actions don't count), and the pushes p watches, except those whose digest or
//!     tag-moved match is on p;
//!   - the candidate executions, in order of start time (ties in index order), each claim the latest unclaimed
//!     candidate push (by push time; ties: the *higher* index) such that the execution started within
//!     `[pushed_at - SKEW, pushed_at + grace]`, both ends included. So within p one execution claims at most one
//!     push, and one push is claimed at most once.
//!
//!   A push matched by digest keeps that match, and a push matched by tag-moved keeps that one. Any other push takes,
//!   among its claims on every pipeline, the execution that started first (ties: the lower pipeline index). Claims are
//!   made before this choice and never undone: a claim the push does not take (a push matched by digest or tag-moved
//!   on another pipeline, or holding an earlier claim elsewhere) leaves that execution matched to no push at all.
//! - *Deployed by* (`deployed_by`), for a push without a match: the other-start execution that ran its image anyway.
//!   By digest: among the other-start executions of the pipelines with an ECR source on the push's repository that
//!   list the push's digest as the id of any revision (at any time), the one that started first (ties: lower
//!   pipeline, then lower execution index). Else by time: for each pipeline p watching it and each of p's ECR sources
//!   s on the push's repository with one of its tags, the other-start executions of p that carry no revision for the
//!   action of any of p's ECR sources, started within `[pushed_at - SKEW, pushed_at + grace]`, such that no later
//!   push of (s's repository, s's tag) was pushed at or before `started + SKEW` (the run would have picked that one
//!   up); among all of them, the one that started first (same ties).
//! - Status: *triggered* when matched; else *unwatched* when no pipeline watches it; else *pending* while
//!   `now - pushed_at <= grace` (pushes stamped in the future included); else *untriggered*. A run's own status (a
//!   run later `Superseded`, `Failed`, still waiting at an approval) does not change its push's status.

mod digest;
mod moved;
mod time;

use std::collections::HashMap;
use std::time::Duration;

use foldhash::fast::FixedState;
use jiff::{SignedDuration, Timestamp};

use crate::model::{ImagePush, Pipeline};

/// The maps of correlation, with foldhash's fast unkeyed hasher: SipHash took a quarter of the time at 100k pushes,
/// and the keys (repositories, tags, revision ids) come from the user's own accounts, so flooding is not a concern.
type FastMap<K, V> = HashMap<K, V, FixedState>;

/// Tolerated clock difference between ECR's push time and CodePipeline's start time.
pub const SKEW: Duration = Duration::from_secs(5);

/// The triggers of runs that a push's event cannot have started (FACTS.md §9): a release by hand
/// (`StartPipelineExecution`, with the caller's ARN), another source's change (`Webhook`, `WebhookV2`,
/// `PollForSourceChanges`), the pipeline's creation, and rollbacks.
pub const OTHER_STARTS: [&str; 7] = [
    "StartPipelineExecution",
    "Webhook",
    "WebhookV2",
    "PollForSourceChanges",
    "CreatePipeline",
    "ManualRollback",
    "AutomatedRollback",
];

/// Whether a run with this trigger may have been started by a push's event (see the module doc).
pub fn push_start(trigger: &str) -> bool {
    !OTHER_STARTS.contains(&trigger)
}

/// Where a push stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PushStatus {
    /// Watched and older than the grace period, yet no execution matches it.
    Untriggered,
    /// Watched, no execution yet, still within the grace period.
    Pending,
    /// An execution matches it.
    Triggered,
    /// No pipeline watches its repository and tags.
    Unwatched,
}

impl PushStatus {
    /// The word used in every front end.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Untriggered => "untriggered",
            Self::Pending => "pending",
            Self::Triggered => "triggered",
            Self::Unwatched => "unwatched",
        }
    }
}

/// How a push was tied to an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    /// The execution's source revision is the push's digest.
    Digest,
    /// The execution started within the push's window and records the digest of a later push of the same tag.
    TagMoved,
    /// The execution started shortly after the push and carries no revision for the pipeline's ECR sources.
    Time,
}

impl MatchedBy {
    /// The word used in every front end.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Digest => "digest",
            Self::TagMoved => "tag_moved",
            Self::Time => "time",
        }
    }
}

/// An execution tied to a push, as indices into the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub pipeline: usize,
    pub execution: usize,
    pub by: MatchedBy,
}

/// The correlation result for one push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: PushStatus,
    /// The run the push started (a push-start run).
    pub matched: Option<Match>,
    /// Pipelines (indices) that watch this push's repository and one of its tags.
    pub watchers: Vec<usize>,
    /// For a push without a match: the other-start run (by hand, another source, a rollback) that ran its image
    /// anyway, by digest or by time.
    pub deployed_by: Option<Match>,
}

/// The push-start/other-start verdict of every execution, by pipeline.
type Starts = Vec<Vec<bool>>;

/// Correlates every push with its pipelines' executions; the result is parallel to `pushes`.
///
/// O(n log n) for n pushes and executions: a hash lookup per push and per revision, one sort of each pipeline's
/// candidates, and near-linear sweeps over them. At 100k pushes the time goes to cache misses on the scattered
/// strings of the model, so the work runs as passes whose items are independent (gather the revisions, index them;
/// find each push's repository, look its digest up, …): the CPU then overlaps the misses instead of waiting for each
/// in turn (BENCHMARKS.md).
pub fn correlate_parts(pipelines: &[Pipeline], pushes: &[ImagePush], now: Timestamp, grace: Duration) -> Vec<Verdict> {
    let grace_s = SignedDuration::try_from(grace).unwrap_or(SignedDuration::MAX);
    let skew_s = SignedDuration::try_from(SKEW).unwrap_or(SignedDuration::ZERO);
    let window = Window { grace: grace_s, skew: skew_s };

    // repository -> pipelines with a source on it, and tag -> pipelines watching (repository, tag).
    let mut repos: FastMap<&str, RepoWatch> = FastMap::default();
    for (p, pipe) in pipelines.iter().enumerate() {
        for s in &pipe.sources {
            let w = repos.entry(&s.repository).or_default();
            push_unique(&mut w.pipelines, p);
            push_unique(w.by_tag.entry(&s.tag).or_default(), p);
        }
    }
    let starts: Starts =
        pipelines.iter().map(|pipe| pipe.executions.iter().map(|ex| push_start(&ex.trigger)).collect()).collect();
    let digests = digest::DigestIndex::new(pipelines, &starts);

    // Watchers: the pipelines watching the push's repository and one of its tags. And the pushes of each watched
    // (repository, tag), oldest first, for the tag-moved and deployed-by rules.
    let push_repos: Vec<Option<&RepoWatch>> = pushes.iter().map(|push| repos.get(push.repository.as_str())).collect();
    let mut by_tag: FastMap<(&str, &str), Vec<(Timestamp, usize)>> = FastMap::default();
    let mut verdicts: Vec<Verdict> = pushes
        .iter()
        .enumerate()
        .zip(&push_repos)
        .map(|((i, push), repo)| {
            let mut watchers = Vec::new();
            if let Some(repo) = repo {
                for t in &push.tags {
                    let Some(ps) = repo.by_tag.get(t.as_str()) else { continue };
                    by_tag.entry((&push.repository, t)).or_default().push((push.pushed_at, i));
                    for &p in ps {
                        push_unique(&mut watchers, p);
                    }
                }
                watchers.sort_unstable();
            }
            Verdict { status: PushStatus::Unwatched, matched: None, watchers, deployed_by: None }
        })
        .collect();
    for list in by_tag.values_mut() {
        list.sort_unstable();
        list.dedup();
    }

    // 1. Digest matches (push starts, from the push on) and the other-start runs carrying the digest.
    let mut deployed_digest: Vec<Option<Match>> = vec![None; pushes.len()];
    for (i, push) in pushes.iter().enumerate() {
        let Some(repo) = push_repos[i] else { continue };
        let from = push.pushed_at.saturating_sub(skew_s).unwrap_or(Timestamp::MIN);
        let (matched, other) = digests.earliest(&push.digest, &repo.pipelines, from);
        if let Some((pipeline, execution)) = matched {
            verdicts[i].matched = Some(Match { pipeline, execution, by: MatchedBy::Digest });
            push_unique(&mut verdicts[i].watchers, pipeline);
        }
        deployed_digest[i] = other.map(|(pipeline, execution)| Match { pipeline, execution, by: MatchedBy::Digest });
    }

    // 2. Tag-moved matches, for pushes without a digest match.
    let sources = moved::Sources::new(pipelines);
    moved::match_tag_moved(pipelines, pushes, &sources, &by_tag, &starts, window, &mut verdicts);

    // 3. Time matches. Candidates of each pipeline: its watched pushes not matched to it by digest or tag-moved, as
    //    (pushed_at, push); its push-start executions without an ECR revision. A time match never replaces the
    //    others, so they are known before any time matching.
    let mut untagged_execs = time::untagged_executions(pipelines, &starts, true);
    let mut watched: Vec<Vec<(Timestamp, usize)>> = vec![Vec::new(); pipelines.len()];
    for (i, v) in verdicts.iter().enumerate() {
        for &p in &v.watchers {
            if !untagged_execs[p].is_empty() && v.matched.is_none_or(|m| m.pipeline != p) {
                watched[p].push((pushes[i].pushed_at, i));
            }
        }
    }
    for (p, (watched, execs)) in watched.iter_mut().zip(&mut untagged_execs).enumerate() {
        time::match_by_time(pipelines, p, watched, execs, window, &mut verdicts);
    }

    // 4. What ran the image of a push without a match: an other-start run by digest, else by time.
    let others = time::untagged_executions(pipelines, &starts, false);
    for (i, v) in verdicts.iter_mut().enumerate() {
        if v.matched.is_some() {
            continue;
        }
        v.deployed_by = match deployed_digest[i] {
            Some(m) => {
                push_unique(&mut v.watchers, m.pipeline);
                Some(m)
            }
            None => moved::deployed_by_time(pipelines, &pushes[i], &v.watchers, &others, &by_tag, window),
        };
    }

    for (v, push) in verdicts.iter_mut().zip(pushes) {
        v.status = if v.matched.is_some() {
            PushStatus::Triggered
        } else if v.watchers.is_empty() {
            PushStatus::Unwatched
        } else if now.duration_since(push.pushed_at) <= grace_s {
            PushStatus::Pending
        } else {
            PushStatus::Untriggered
        };
    }
    verdicts
}

/// A push's window, `[pushed_at - skew, pushed_at + grace]`.
#[derive(Debug, Clone, Copy)]
struct Window {
    grace: SignedDuration,
    skew: SignedDuration,
}

impl Window {
    /// The window of a push made at `at`, saturating at the ends of time (where exact arithmetic would leave every
    /// instant on the same side).
    fn around(self, at: Timestamp) -> (Timestamp, Timestamp) {
        (
            at.saturating_sub(self.skew).unwrap_or(Timestamp::MIN),
            at.saturating_add(self.grace).unwrap_or(Timestamp::MAX),
        )
    }
}

/// The pipelines with a source on one repository, and which of them watch each tag.
#[derive(Default)]
struct RepoWatch<'a> {
    pipelines: Vec<usize>,
    by_tag: FastMap<&'a str, Vec<usize>>,
}

fn push_unique(v: &mut Vec<usize>, x: usize) {
    if !v.contains(&x) {
        v.push(x);
    }
}

#[cfg(test)]
mod differential;
#[cfg(test)]
mod oracle;
#[cfg(test)]
mod tests;
