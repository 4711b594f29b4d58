//! The oracle of the differential tests: correlation written straight from the rules in `correlate.rs`'s module doc.
//!
//! Brute force on purpose (every question is answered by scanning everything again), and it shares no code with
//! the implementation: only the result types and `SKEW` come from it. Each step names the rule it follows.

use std::time::Duration;

use jiff::Timestamp;

use super::{Match, MatchedBy, PushStatus, SKEW, Verdict};
use crate::model::{Execution, ImagePush, Pipeline};

/// What `correlate_parts` must answer for these pipelines and pushes.
pub fn correlate(pipelines: &[Pipeline], pushes: &[ImagePush], now: Timestamp, grace: Duration) -> Vec<Verdict> {
    // "Pipeline p watches a push when p has an ECR source on the push's repository with one of the push's tags."
    let watches = |p: usize, push: &ImagePush| {
        pipelines[p].sources.iter().any(|s| s.repository == push.repository && push.tags.contains(&s.tag))
    };
    let watching: Vec<Vec<usize>> =
        pushes.iter().map(|push| (0..pipelines.len()).filter(|&p| watches(p, push)).collect()).collect();

    // "Digest match: among the executions of the pipelines with an ECR source on the push's repository that list the
    // push's digest as the id of any of their revisions, the one that started first; ties go to the lower pipeline
    // index, then to the lower execution index."
    let digest_match: Vec<Option<(usize, usize)>> = pushes
        .iter()
        .map(|push| {
            let mut found: Vec<(Timestamp, usize, usize)> = Vec::new();
            for (p, pipe) in pipelines.iter().enumerate() {
                if !pipe.sources.iter().any(|s| s.repository == push.repository) {
                    continue;
                }
                for (e, ex) in pipe.executions.iter().enumerate() {
                    if ex.revisions.iter().any(|r| r.revision_id == push.digest) {
                        found.push((ex.started_at, p, e));
                    }
                }
            }
            found.into_iter().min().map(|(_, p, e)| (p, e))
        })
        .collect();

    // "Time match, decided for each pipeline p on its own": the claims, as (started_at, pipeline, execution) per push.
    let mut claims: Vec<Vec<(Timestamp, usize, usize)>> = vec![Vec::new(); pushes.len()];
    for (p, pipe) in pipelines.iter().enumerate() {
        // "The executions of p that carry no revision for the action of any of p's ECR sources", "in order of start
        // time, ties in index order".
        let mut executions: Vec<usize> =
            (0..pipe.executions.len()).filter(|&e| !carries_an_ecr_revision(pipe, &pipe.executions[e])).collect();
        executions.sort_by_key(|&e| (pipe.executions[e].started_at, e));
        // "The pushes p watches, except those whose digest match is on p."
        let candidate = |i: usize| watching[i].contains(&p) && digest_match[i].is_none_or(|(q, _)| q != p);
        let mut claimed = vec![false; pushes.len()];
        for e in executions {
            let started = pipe.executions[e].started_at;
            // "Each claims the latest unclaimed candidate push (by push time, ties: the higher index) such that
            // the execution started within [pushed_at - SKEW, pushed_at + grace], both ends included."
            let latest = (0..pushes.len())
                .filter(|&i| candidate(i) && !claimed[i] && within_window(pushes[i].pushed_at, started, grace))
                .max_by_key(|&i| (pushes[i].pushed_at, i));
            if let Some(i) = latest {
                claimed[i] = true;
                claims[i].push((started, p, e));
            }
        }
    }

    pushes
        .iter()
        .enumerate()
        .map(|(i, push)| {
            // "A digest match wins; otherwise the push takes, among its claims on every pipeline, the execution
            // that started first (ties: the lower pipeline index)."
            let matched = match digest_match[i] {
                Some((pipeline, execution)) => Some(Match { pipeline, execution, by: MatchedBy::Digest }),
                None => claims[i].iter().min().map(|&(_, pipeline, execution)| Match {
                    pipeline,
                    execution,
                    by: MatchedBy::Time,
                }),
            };
            // "Watchers: the pipelines that watch the push in index order, then the pipeline of its digest match if
            // it is not among them."
            let mut watchers = watching[i].clone();
            if let Some((p, _)) = digest_match[i]
                && !watchers.contains(&p)
            {
                watchers.push(p);
            }
            // "Status: triggered when matched; else unwatched when no pipeline watches it; else pending while
            // now - pushed_at <= grace (a push stamped in the future included); else untriggered."
            let status = if matched.is_some() {
                PushStatus::Triggered
            } else if watchers.is_empty() {
                PushStatus::Unwatched
            } else if nanos_between(push.pushed_at, now) <= nanos(grace) {
                PushStatus::Pending
            } else {
                PushStatus::Untriggered
            };
            Verdict { status, matched, watchers }
        })
        .collect()
}

/// Whether `ex` lists a revision for the action of one of `pipe`'s ECR sources.
fn carries_an_ecr_revision(pipe: &Pipeline, ex: &Execution) -> bool {
    ex.revisions.iter().any(|r| pipe.sources.iter().any(|s| s.action == r.action))
}

/// pushed_at - SKEW <= started <= pushed_at + grace, in exact arithmetic.
fn within_window(pushed_at: Timestamp, started: Timestamp, grace: Duration) -> bool {
    let after_push = nanos_between(pushed_at, started);
    -nanos(SKEW) <= after_push && after_push <= nanos(grace)
}

/// `to - from` in nanoseconds (exact: i128 holds every difference of two timestamps).
fn nanos_between(from: Timestamp, to: Timestamp) -> i128 {
    to.as_nanosecond() - from.as_nanosecond()
}

fn nanos(d: Duration) -> i128 {
    i128::try_from(d.as_nanos()).unwrap_or(i128::MAX)
}
