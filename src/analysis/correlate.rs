//! Push-to-run correlation: which pushes started a pipeline run, which are still waiting, which never did.
//!
//! Pure code over one profile's snapshot; no I/O, no clock (the caller passes `now`).
//!
//! Rules:
//! - A push is *watched* when a pipeline of the same profile has an ECR source on its repository and one of its tags.
//! - *triggered*: an execution of a pipeline with a source on the push's repository lists the push's digest among
//!   its source revisions (`Digest`); or, for an execution that carries no revision for its ECR sources, the
//!   execution started within `[pushed_at - SKEW, pushed_at + grace]` and no other push claimed it (`Time`; the
//!   latest eligible push wins). One execution matches at most one push.
//! - *pending*: watched, not triggered, no older than `grace`. *untriggered*: watched, not triggered, older.
//! - *unwatched*: no pipeline watches it.

mod hash;

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use self::hash::{FastMap, PassThrough, str_hash};
use crate::model::{Execution, ImagePush, Pipeline};

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
    /// The execution started shortly after the push and carries no revision.
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
/// scattered strings of the model, so the work runs as passes whose items are independent (find the repository,
/// hash, look up, …): the CPU then overlaps the misses instead of waiting for each in turn (BENCHMARKS.md).
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
    let digest_hashes: Vec<u64> = pushes
        .iter()
        .zip(&push_repos)
        .map(|(push, repo)| if repo.is_some() && !digests.is_empty() { str_hash(&push.digest) } else { 0 })
        .collect();
    for (i, push) in pushes.iter().enumerate() {
        let Some(repo) = push_repos[i] else { continue };
        if let Some(c) = digests.earliest(&push.digest, digest_hashes[i], &repo.pipelines) {
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
/// Keyed by the 64-bit hash alone, so a bucket is 16 bytes and the table stays in cache at 100k executions; ids
/// whose hashes collide share a chain, and [`DigestIndex::earliest`] compares the text of each candidate.
struct DigestIndex<'a> {
    pipelines: &'a [Pipeline],
    /// [`str_hash`] of a revision id -> the last candidate with that hash.
    heads: HashMap<u64, usize, BuildHasherDefault<PassThrough>>,
    /// Candidates, each linked to the previous one with the same hash.
    cands: Vec<Candidate>,
    /// The revision id of each candidate.
    ids: Vec<&'a str>,
}

/// One execution carrying a revision id.
struct Candidate {
    pipeline: usize,
    execution: usize,
    /// Previous candidate with the same hash, or [`DigestIndex::END`].
    next: usize,
}

impl<'a> DigestIndex<'a> {
    const END: usize = usize::MAX;

    fn new(pipelines: &'a [Pipeline]) -> Self {
        // Gather, hash, insert: three passes rather than one loop (see `correlate_parts`).
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
        let hashes: Vec<u64> = ids.iter().map(|id| str_hash(id)).collect();
        let mut heads = HashMap::with_capacity_and_hasher(n, Default::default());
        for (c, &hash) in hashes.iter().enumerate() {
            cands[c].next = heads.insert(hash, c).unwrap_or(Self::END);
        }
        Self { pipelines, heads, cands, ids }
    }

    fn is_empty(&self) -> bool {
        self.cands.is_empty()
    }

    /// The earliest execution (then lowest pipeline and execution index) among `pipelines` whose revision id is
    /// `digest`, of hash `hash`.
    fn earliest(&self, digest: &str, hash: u64, pipelines: &[usize]) -> Option<&Candidate> {
        let key =
            |c: &Candidate| (self.pipelines[c.pipeline].executions[c.execution].started_at, c.pipeline, c.execution);
        let mut best: Option<&Candidate> = None;
        let mut c = self.heads.get(&hash).copied().unwrap_or(Self::END);
        while let Some(cand) = self.cands.get(c) {
            if pipelines.contains(&cand.pipeline) && self.ids[c] == digest && best.is_none_or(|b| key(cand) < key(b)) {
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
mod reference;
#[cfg(test)]
mod tests;
