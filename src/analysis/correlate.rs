//! Push-to-run correlation: which pushes started a pipeline run, which are still waiting, which never did.
//!
//! Pure code over one profile's snapshot; no I/O, no clock (the caller passes `now`). Pipelines, executions and pushes
//! are named by their index in the snapshot, and every tie below goes to the lower index unless it says otherwise.
//!
//! Rules (the oracle of the differential test, `correlate/oracle.rs`, is written from them alone):
//! - Pipeline p *watches* a push when p has an ECR source on the push's repository with one of the push's tags. A
//!   push's `watchers` are the pipelines that watch it, in index order, then the pipeline of its digest match if it
//!   is not among them.
//! - *Digest match* (`Digest`): among the executions of the pipelines with an ECR source on the push's repository
//!   (whatever their tags) that list the push's digest as the id of any of their revisions (of any action), the one
//!   that started first; ties go to the lower pipeline index, then to the lower execution index. A digest match
//!   claims nothing: pushes of one digest to two repositories may both match one execution, and an execution that
//!   lists a digest under another action only may be claimed by time by another push as well.
//! - *Time match* (`Time`), decided for each pipeline p on its own:
//!   - its candidates are the executions of p that carry no revision for the action of any of p's ECR sources
//!     (revisions of other actions don't count), and the pushes p watches, except those whose digest match is on p;
//!   - the candidate executions, in order of start time (ties in index order), each claim the latest unclaimed
//!     candidate push (by push time; ties: the *higher* index) such that the execution started within
//!     `[pushed_at - SKEW, pushed_at + grace]`, both ends included. So within p one execution claims at most one
//!     push, and one push is claimed at most once.
//!
//!   A push matched by digest keeps that match. Any other push takes, among its claims on every pipeline, the
//!   execution that started first (ties: the lower pipeline index). Claims are made before this choice and never
//!   undone: a claim the push does not take (a push matched by digest on another pipeline, or holding an earlier
//!   claim elsewhere) leaves that execution matched to no push at all.
//! - Status: *triggered* when matched; else *unwatched* when no pipeline watches it; else *pending* while
//!   `now - pushed_at <= grace` (pushes stamped in the future included); else *untriggered*.

use std::collections::HashMap;
use std::time::Duration;

use foldhash::fast::FixedState;
use jiff::{SignedDuration, Timestamp};

use crate::model::{Execution, ImagePush, Pipeline};

/// The maps of correlation, with foldhash's fast unkeyed hasher: SipHash took a quarter of the time at 100k pushes,
/// and the keys (repositories, tags, revision ids) come from the user's own accounts, so flooding is not a concern.
type FastMap<K, V> = HashMap<K, V, FixedState>;

/// Tolerated clock difference between ECR's push time and CodePipeline's start time.
pub const SKEW: Duration = Duration::from_secs(5);

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
    /// The execution started shortly after the push and carries no revision for the pipeline's ECR sources.
    Time,
}

impl MatchedBy {
    /// The word used in every front end.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Digest => "digest",
            Self::Time => "time",
        }
    }
}

/// The execution a push was matched to, as indices into the snapshot.
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
    pub matched: Option<Match>,
    /// Pipelines (indices) that watch this push's repository and one of its tags.
    pub watchers: Vec<usize>,
}

/// Correlates every push with its pipelines' executions; the result is parallel to `pushes`.
///
/// O(n log n) for n pushes and executions: a hash lookup per push and per revision, one sort of each pipeline's
/// time-match candidates, and a near-linear sweep over them. At 100k pushes the time goes to cache misses on the
/// scattered strings of the model, so the work runs as passes whose items are independent (gather the revisions,
/// index them; find each push's repository, look its digest up, …): the CPU then overlaps the misses instead of
/// waiting for each in turn (BENCHMARKS.md).
pub fn correlate_parts(pipelines: &[Pipeline], pushes: &[ImagePush], now: Timestamp, grace: Duration) -> Vec<Verdict> {
    let grace_s = SignedDuration::try_from(grace).unwrap_or(SignedDuration::MAX);
    let skew_s = SignedDuration::try_from(SKEW).unwrap_or(SignedDuration::ZERO);

    // repository -> pipelines with a source on it, and tag -> pipelines watching (repository, tag).
    let mut repos: FastMap<&str, RepoWatch> = FastMap::default();
    for (p, pipe) in pipelines.iter().enumerate() {
        for s in &pipe.sources {
            let w = repos.entry(&s.repository).or_default();
            push_unique(&mut w.pipelines, p);
            push_unique(w.by_tag.entry(&s.tag).or_default(), p);
        }
    }
    let digests = DigestIndex::new(pipelines);
    let mut untagged_execs = untagged_executions(pipelines);

    // Watchers: the pipelines watching the push's repository and one of its tags.
    let push_repos: Vec<Option<&RepoWatch>> = pushes.iter().map(|push| repos.get(push.repository.as_str())).collect();
    let mut verdicts: Vec<Verdict> = pushes
        .iter()
        .zip(&push_repos)
        .map(|(push, repo)| {
            let mut watchers = Vec::new();
            if let Some(repo) = repo {
                for t in &push.tags {
                    for &p in repo.by_tag.get(t.as_str()).into_iter().flatten() {
                        push_unique(&mut watchers, p);
                    }
                }
                watchers.sort_unstable();
            }
            Verdict { status: PushStatus::Unwatched, matched: None, watchers }
        })
        .collect();

    // 1. Digest matches: the earliest execution of a pipeline with a source on the repository.
    for (i, push) in pushes.iter().enumerate() {
        let Some(repo) = push_repos[i] else { continue };
        if let Some(c) = digests.earliest(&push.digest, &repo.pipelines) {
            verdicts[i].matched = Some(Match { pipeline: c.pipeline, execution: c.execution, by: MatchedBy::Digest });
            push_unique(&mut verdicts[i].watchers, c.pipeline);
        }
    }

    // 2. Time matches. Candidates of each pipeline: its watched pushes not matched by digest to it, as (pushed_at,
    //    push). A time match never replaces a digest match, so they are known before any time matching.
    let mut watched: Vec<Vec<(Timestamp, usize)>> = vec![Vec::new(); pipelines.len()];
    for (i, v) in verdicts.iter().enumerate() {
        for &p in &v.watchers {
            if !untagged_execs[p].is_empty() && v.matched.is_none_or(|m| m.pipeline != p) {
                watched[p].push((pushes[i].pushed_at, i));
            }
        }
    }
    for (p, (watched, execs)) in watched.iter_mut().zip(&mut untagged_execs).enumerate() {
        match_by_time(pipelines, p, watched, execs, (grace_s, skew_s), &mut verdicts);
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

/// The pipelines with a source on one repository, and which of them watch each tag.
#[derive(Default)]
struct RepoWatch<'a> {
    pipelines: Vec<usize>,
    by_tag: FastMap<&'a str, Vec<usize>>,
}

/// Revision id -> the executions carrying it, over the pipelines with an ECR source (the others match no push).
///
/// One allocation for all candidates: each is linked to the previous one with the same id.
struct DigestIndex<'a> {
    pipelines: &'a [Pipeline],
    /// Revision id -> the last candidate carrying it.
    heads: FastMap<&'a str, usize>,
    /// Candidates, each linked to the previous one with the same id.
    cands: Vec<Candidate>,
}

/// One execution carrying a revision id.
struct Candidate {
    pipeline: usize,
    execution: usize,
    /// Previous candidate with the same id, or [`DigestIndex::END`].
    next: usize,
}

impl<'a> DigestIndex<'a> {
    const END: usize = usize::MAX;

    fn new(pipelines: &'a [Pipeline]) -> Self {
        // Gather, then insert: two passes rather than one loop (see `correlate_parts`).
        let with_ecr = || pipelines.iter().enumerate().filter(|(_, pipe)| !pipe.sources.is_empty());
        let n = with_ecr().flat_map(|(_, pipe)| &pipe.executions).map(|ex| ex.revisions.len()).sum();
        let mut cands = Vec::with_capacity(n);
        let mut ids = Vec::with_capacity(n);
        for (p, pipe) in with_ecr() {
            for (e, ex) in pipe.executions.iter().enumerate() {
                for r in &ex.revisions {
                    cands.push(Candidate { pipeline: p, execution: e, next: Self::END });
                    ids.push(r.revision_id.as_str());
                }
            }
        }
        let mut heads = HashMap::with_capacity_and_hasher(n, Default::default());
        for (c, id) in ids.into_iter().enumerate() {
            cands[c].next = heads.insert(id, c).unwrap_or(Self::END);
        }
        Self { pipelines, heads, cands }
    }

    /// The earliest execution (then lowest pipeline and execution index) among `pipelines` whose revision id is
    /// `digest`.
    fn earliest(&self, digest: &str, pipelines: &[usize]) -> Option<&Candidate> {
        let key =
            |c: &Candidate| (self.pipelines[c.pipeline].executions[c.execution].started_at, c.pipeline, c.execution);
        let mut best: Option<&Candidate> = None;
        let mut c = self.heads.get(digest).copied().unwrap_or(Self::END);
        while let Some(cand) = self.cands.get(c) {
            if pipelines.contains(&cand.pipeline) && best.is_none_or(|b| key(cand) < key(b)) {
                best = Some(cand);
            }
            c = cand.next;
        }
        best
    }
}

/// Per pipeline, its executions without any revision for its ECR sources (the time-match candidates), as
/// (started_at, execution).
fn untagged_executions(pipelines: &[Pipeline]) -> Vec<Vec<(Timestamp, usize)>> {
    pipelines
        .iter()
        .map(|pipe| {
            let carries =
                |ex: &Execution| ex.revisions.iter().any(|r| pipe.sources.iter().any(|s| s.action == r.action));
            pipe.executions
                .iter()
                .enumerate()
                .filter(|(_, ex)| !carries(ex))
                .map(|(e, ex)| (ex.started_at, e))
                .collect()
        })
        .collect()
}

/// Time matches of pipeline `p`: each execution of `execs` (oldest first) claims the latest unclaimed push of
/// `watched` pushed within [started - grace, started + skew]; `window` is (grace, skew).
fn match_by_time(
    pipelines: &[Pipeline],
    p: usize,
    watched: &mut [(Timestamp, usize)],
    execs: &mut [(Timestamp, usize)],
    window: (SignedDuration, SignedDuration),
    verdicts: &mut [Verdict],
) {
    if watched.is_empty() || execs.is_empty() {
        return;
    }
    let (grace, skew) = window;
    // Keys are unique (the index breaks ties), so unstable sorts give the stable order.
    watched.sort_unstable();
    execs.sort_unstable();
    let mut free = FreeList::new(watched.len());
    // `end`: how many pushes were pushed at or before `upper`; start times only grow, so it only moves forward.
    let mut end = 0;
    for &(started, e) in execs.iter() {
        let upper = started.saturating_add(skew).unwrap_or(started);
        let lower = started.saturating_sub(grace).unwrap_or(Timestamp::MIN);
        while watched.get(end).is_some_and(|&(at, _)| at <= upper) {
            end += 1;
        }
        // (Only when `upper` saturated and came out lower than before.)
        while end > 0 && watched[end - 1].0 > upper {
            end -= 1;
        }
        let Some(k) = end.checked_sub(1).and_then(|k| free.find(k)) else { continue };
        let (pushed_at, i) = watched[k];
        if pushed_at < lower {
            continue;
        }
        free.claim(k);
        let better = match verdicts[i].matched {
            None => true,
            Some(m) => m.by == MatchedBy::Time && started < pipelines[m.pipeline].executions[m.execution].started_at,
        };
        if better {
            verdicts[i].matched = Some(Match { pipeline: p, execution: e, by: MatchedBy::Time });
        }
    }
}

fn push_unique(v: &mut Vec<usize>, x: usize) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// Disjoint-set "nearest unclaimed slot at or before k", so claiming stays near-linear at any size.
struct FreeList {
    parent: Vec<usize>,
}

impl FreeList {
    fn new(n: usize) -> Self {
        // Slot j maps to parent j + 1 in a 1-based array; 0 is the "none left" sentinel.
        Self { parent: (0..=n).collect() }
    }

    fn find(&mut self, k: usize) -> Option<usize> {
        let mut x = k + 1;
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x.checked_sub(1)
    }

    fn claim(&mut self, k: usize) {
        self.parent[k + 1] = k;
    }
}

#[cfg(test)]
mod differential;
#[cfg(test)]
mod oracle;
#[cfg(test)]
mod tests;
