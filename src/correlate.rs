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

use std::collections::HashMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::model::{ImagePush, Pipeline, ProfileSnapshot};

/// Tolerated clock difference between ECR's push time and CodePipeline's start time.
pub const SKEW: Duration = Duration::from_secs(5);

/// Where a push stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
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

/// Correlates every push of `snap` with its pipelines' executions; the result is parallel to `snap.pushes`.
pub fn correlate(snap: &ProfileSnapshot, now: Timestamp, grace: Duration) -> Vec<Verdict> {
    correlate_parts(&snap.pipelines, &snap.pushes, now, grace)
}

/// [`correlate`] over borrowed parts.
pub fn correlate_parts(pipelines: &[Pipeline], pushes: &[ImagePush], now: Timestamp, grace: Duration) -> Vec<Verdict> {
    let grace_s = SignedDuration::try_from(grace).unwrap_or(SignedDuration::MAX);
    let skew_s = SignedDuration::try_from(SKEW).unwrap_or(SignedDuration::ZERO);

    // (repository, tag) -> pipelines watching it; repository -> pipelines with a source on it.
    let mut by_tag: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let mut by_repo: HashMap<&str, Vec<usize>> = HashMap::new();
    for (p, pipe) in pipelines.iter().enumerate() {
        for s in &pipe.sources {
            push_unique(by_tag.entry((&s.repository, &s.tag)).or_default(), p);
            push_unique(by_repo.entry(&s.repository).or_default(), p);
        }
    }

    // digest -> executions (pipeline, execution) whose ECR source revision carries it.
    let mut by_digest: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
    // Executions without any revision for their pipeline's ECR sources: time-match candidates.
    let mut untagged_execs: Vec<Vec<usize>> = vec![Vec::new(); pipelines.len()];
    for (p, pipe) in pipelines.iter().enumerate() {
        for (e, ex) in pipe.executions.iter().enumerate() {
            let mut carries = false;
            for r in &ex.revisions {
                if pipe.sources.iter().any(|s| s.action == r.action) {
                    carries = true;
                }
                by_digest.entry(&r.revision_id).or_default().push((p, e));
            }
            if !carries {
                untagged_execs[p].push(e);
            }
        }
    }

    let mut verdicts: Vec<Verdict> = pushes
        .iter()
        .map(|push| {
            let mut watchers = Vec::new();
            for t in &push.tags {
                if let Some(ps) = by_tag.get(&(push.repository.as_str(), t.as_str())) {
                    for &p in ps {
                        push_unique(&mut watchers, p);
                    }
                }
            }
            watchers.sort_unstable();
            Verdict { status: PushStatus::Unwatched, matched: None, watchers }
        })
        .collect();

    // 1. Digest matches: the earliest execution of a pipeline with a source on the repository.
    for (i, push) in pushes.iter().enumerate() {
        let Some(cands) = by_digest.get(push.digest.as_str()) else { continue };
        let Some(repo_pipes) = by_repo.get(push.repository.as_str()) else { continue };
        let best = cands
            .iter()
            .filter(|(p, _)| repo_pipes.contains(p))
            .min_by_key(|(p, e)| (pipelines[*p].executions[*e].started_at, *p, *e));
        if let Some(&(p, e)) = best {
            verdicts[i].matched = Some(Match { pipeline: p, execution: e, by: MatchedBy::Digest });
            push_unique(&mut verdicts[i].watchers, p);
        }
    }

    // 2. Time matches, per pipeline: each execution (oldest first) claims the latest unclaimed watched push
    //    pushed within [started - grace, started + SKEW].
    for (p, pipe) in pipelines.iter().enumerate() {
        if untagged_execs[p].is_empty() {
            continue;
        }
        let mut watched: Vec<usize> = (0..pushes.len())
            .filter(|&i| verdicts[i].watchers.contains(&p) && verdicts[i].matched.is_none_or(|m| m.pipeline != p))
            .collect();
        if watched.is_empty() {
            continue;
        }
        watched.sort_by_key(|&i| (pushes[i].pushed_at, i));
        let mut execs = untagged_execs[p].clone();
        execs.sort_by_key(|&e| (pipe.executions[e].started_at, e));
        // free[k] = the nearest index <= k in `watched` still unclaimed (k + 1 encodes "none").
        let mut free = FreeList::new(watched.len());
        for e in execs {
            let started = pipe.executions[e].started_at;
            let upper = started.saturating_add(skew_s).unwrap_or(started);
            let lower = started.saturating_sub(grace_s).unwrap_or(Timestamp::MIN);
            let end = watched.partition_point(|&i| pushes[i].pushed_at <= upper);
            let Some(k) = end.checked_sub(1).and_then(|k| free.find(k)) else { continue };
            let i = watched[k];
            if pushes[i].pushed_at < lower {
                continue;
            }
            free.claim(k);
            let better = match verdicts[i].matched {
                None => true,
                Some(m) => {
                    m.by == MatchedBy::Time && started < pipelines[m.pipeline].executions[m.execution].started_at
                }
            };
            if better {
                verdicts[i].matched = Some(Match { pipeline: p, execution: e, by: MatchedBy::Time });
            }
        }
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
mod tests;
