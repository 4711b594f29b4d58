//! The oracle of the differential tests: correlation written straight from the rules in `correlate.rs`'s module doc.
//!
//! Brute force on purpose (every question is answered by scanning everything again), and it shares no code with
//! the implementation: only the result types and `SKEW` come from it. Each step names the rule it follows.

use std::time::Duration;

use jiff::Timestamp;

use super::{Match, MatchedBy, PushStatus, SKEW, Verdict};
use crate::model::{Execution, ImagePush, Pipeline, WatchedSource};

/// What `correlate_parts` must answer for these pipelines and pushes.
pub fn correlate(pipelines: &[Pipeline], pushes: &[ImagePush], now: Timestamp, grace: Duration) -> Vec<Verdict> {
    // "Pipeline p watches a push when p has an ECR source on the push's repository with one of the push's tags."
    let watches = |p: usize, push: &ImagePush| pipelines[p].sources.iter().any(|s| watches_through(s, push));
    let watching: Vec<Vec<usize>> =
        pushes.iter().map(|push| (0..pipelines.len()).filter(|&p| watches(p, push)).collect()).collect();
    let on_repository =
        |p: usize, push: &ImagePush| pipelines[p].sources.iter().any(|s| s.repository == push.repository);
    // "A later push of (repository r, tag t) than a push P: a push of r holding t, pushed strictly after P."
    let later_pushes = |r: &str, t: &str, than: &ImagePush| -> Vec<usize> {
        (0..pushes.len())
            .filter(|&q| pushes[q].repository == r && holds(&pushes[q], t) && pushes[q].pushed_at > than.pushed_at)
            .collect()
    };

    // "Digest match: among the push-start executions of the pipelines with an ECR source on the push's repository
    // that list the push's digest as the id of any of their revisions and started no earlier than pushed_at - SKEW,
    // the one that started first; ties go to the lower pipeline index, then to the lower execution index."
    let digest_match: Vec<Option<(usize, usize)>> = pushes
        .iter()
        .map(|push| {
            first_started(pipelines, |p, ex| {
                on_repository(p, push)
                    && is_push_start(ex)
                    && lists(ex, &push.digest)
                    && nanos_between(push.pushed_at, ex.started_at) >= -nanos(SKEW)
            })
        })
        .collect();

    // "Tag-moved match, for a push without a digest match: for each pipeline p watching it and each of p's ECR
    // sources s on the push's repository with one of its tags, the push-start executions of p started within
    // [pushed_at - SKEW, pushed_at + grace] that list, as the revision of s's action, the digest of a later push of
    // (s's repository, s's tag); among all of them, the one that started first."
    let tag_moved: Vec<Option<(usize, usize)>> = pushes
        .iter()
        .enumerate()
        .map(|(i, push)| {
            if digest_match[i].is_some() {
                return None;
            }
            first_started(pipelines, |p, ex| {
                watching[i].contains(&p)
                    && is_push_start(ex)
                    && within_window(push.pushed_at, ex.started_at, grace)
                    && pipelines[p].sources.iter().filter(|s| watches_through(s, push)).any(|s| {
                        later_pushes(&s.repository, &s.tag, push).iter().any(|&q| {
                            ex.revisions.iter().any(|r| r.action == s.action && r.revision_id == pushes[q].digest)
                        })
                    })
            })
        })
        .collect();
    let matched_on =
        |i: usize, p: usize| digest_match[i].is_some_and(|(q, _)| q == p) || tag_moved[i].is_some_and(|(q, _)| q == p);

    // "Time match, decided for each pipeline p on its own": the claims, as (started_at, pipeline, execution) per push.
    let mut claims: Vec<Vec<(Timestamp, usize, usize)>> = vec![Vec::new(); pushes.len()];
    for (p, pipe) in pipelines.iter().enumerate() {
        // "The push-start executions of p that carry no revision for the action of any of p's ECR sources", "in
        // order of start time, ties in index order".
        let mut executions: Vec<usize> = (0..pipe.executions.len())
            .filter(|&e| is_push_start(&pipe.executions[e]) && !carries_an_ecr_revision(pipe, &pipe.executions[e]))
            .collect();
        executions.sort_by_key(|&e| (pipe.executions[e].started_at, e));
        // "The pushes p watches, except those whose digest or tag-moved match is on p."
        let candidate = |i: usize| watching[i].contains(&p) && !matched_on(i, p);
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
            // "A push matched by digest keeps that match, and a push matched by tag-moved keeps that one. Any other
            // push takes, among its claims on every pipeline, the execution that started first (ties: the lower
            // pipeline index)."
            let matched = match (digest_match[i], tag_moved[i]) {
                (Some((pipeline, execution)), _) => Some(Match { pipeline, execution, by: MatchedBy::Digest }),
                (None, Some((pipeline, execution))) => Some(Match { pipeline, execution, by: MatchedBy::TagMoved }),
                (None, None) => claims[i].iter().min().map(|&(_, pipeline, execution)| Match {
                    pipeline,
                    execution,
                    by: MatchedBy::Time,
                }),
            };
            // "Deployed by, for a push without a match. By digest: among the other-start executions of the
            // pipelines with an ECR source on the push's repository that list the push's digest as the id of any
            // revision (at any time), the one that started first."
            let by_digest = first_started(pipelines, |p, ex| {
                on_repository(p, push) && !is_push_start(ex) && lists(ex, &push.digest)
            });
            // "Else by time: for each pipeline p watching it and each of p's ECR sources s on the push's repository
            // with one of its tags, the other-start executions of p that carry no revision for the action of any of
            // p's ECR sources, started within the window, such that no later push of (s's repository, s's tag) was
            // pushed at or before started + SKEW; among all of them, the one that started first."
            let by_time = first_started(pipelines, |p, ex| {
                watching[i].contains(&p)
                    && !is_push_start(ex)
                    && !carries_an_ecr_revision(&pipelines[p], ex)
                    && within_window(push.pushed_at, ex.started_at, grace)
                    && pipelines[p].sources.iter().filter(|s| watches_through(s, push)).any(|s| {
                        later_pushes(&s.repository, &s.tag, push)
                            .iter()
                            .all(|&q| nanos_between(pushes[q].pushed_at, ex.started_at) < -nanos(SKEW))
                    })
            });
            let deployed_by = match (matched, by_digest, by_time) {
                (Some(_), _, _) => None,
                (None, Some((pipeline, execution)), _) => Some(Match { pipeline, execution, by: MatchedBy::Digest }),
                (None, None, Some((pipeline, execution))) => Some(Match { pipeline, execution, by: MatchedBy::Time }),
                (None, None, None) => None,
            };
            // "Watchers: the pipelines that watch the push in index order, then the pipeline of its digest match if
            // it is not among them, then the pipeline of its deployed_by run by digest if it is not among them."
            let mut watchers = watching[i].clone();
            let by_digest_pipelines =
                [matched.filter(|m| m.by == MatchedBy::Digest), deployed_by.filter(|m| m.by == MatchedBy::Digest)];
            for m in by_digest_pipelines.into_iter().flatten() {
                if !watchers.contains(&m.pipeline) {
                    watchers.push(m.pipeline);
                }
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
            Verdict { status, matched, watchers, deployed_by }
        })
        .collect()
}

/// "A run is an other start when its trigger is StartPipelineExecution, Webhook, WebhookV2, PollForSourceChanges,
/// CreatePipeline, ManualRollback or AutomatedRollback. Any other run is a push start."
fn is_push_start(ex: &Execution) -> bool {
    !matches!(
        ex.trigger.as_str(),
        "StartPipelineExecution"
            | "Webhook"
            | "WebhookV2"
            | "PollForSourceChanges"
            | "CreatePipeline"
            | "ManualRollback"
            | "AutomatedRollback"
    )
}

/// Source `s` watches `push`: on its repository, with one of its tags.
fn watches_through(s: &WatchedSource, push: &ImagePush) -> bool {
    s.repository == push.repository && holds(push, &s.tag)
}

fn holds(push: &ImagePush, tag: &str) -> bool {
    push.tags.iter().any(|t| t == tag)
}

/// `ex` lists `digest` as the id of any of its revisions.
fn lists(ex: &Execution, digest: &str) -> bool {
    ex.revisions.iter().any(|r| r.revision_id == digest)
}

/// The execution that started first among those `ok` accepts (ties: the lower pipeline, then execution index).
fn first_started(pipelines: &[Pipeline], ok: impl Fn(usize, &Execution) -> bool) -> Option<(usize, usize)> {
    let mut found: Vec<(Timestamp, usize, usize)> = Vec::new();
    for (p, pipe) in pipelines.iter().enumerate() {
        for (e, ex) in pipe.executions.iter().enumerate() {
            if ok(p, ex) {
                found.push((ex.started_at, p, e));
            }
        }
    }
    found.into_iter().min().map(|(_, p, e)| (p, e))
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
