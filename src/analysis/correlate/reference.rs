//! The first, straightforward correlation, kept as the oracle of the differential test in `tests.rs`.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};

use super::{FreeList, Match, MatchedBy, PushStatus, SKEW, Verdict, push_unique};
use crate::model::{ImagePush, Pipeline};
use std::time::Duration;

/// The implementation before the rewrite for speed, kept to check that the fast one decides identically.
pub fn correlate_parts_reference(
    pipelines: &[Pipeline],
    pushes: &[ImagePush],
    now: Timestamp,
    grace: Duration,
) -> Vec<Verdict> {
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
