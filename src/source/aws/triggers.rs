//! What the trigger diagnosis reads past the rules, in the explain step once the rules of the pipelines that need
//! explaining are known: the other ECR rules of the bus (when such a pipeline has no enabled rule), the trails (when
//! a rule matches CloudTrail-delivered events), the rules' `FailedInvocations`; and, in the core read, the
//! registry's replication configuration (another profile's pushes may need it). Each is remembered for a while, each
//! failure is a warning naming the permission, never a failed profile.

use std::time::Duration;

use tokio::time::Instant;

use super::bus;
use super::memory::{Kept, TriggerMemory};
use super::metrics;
use super::profile_poll::ProfilePoll;
use super::registry;
use super::rules::PipelineRules;
use super::targets;
use super::trail_coverage;
use crate::model::{FailedInvocations, Lookup, ReplicationRule, TrailState, TriggerRule};

/// How long the other rules, trails and the replication configuration are trusted.
const TTL: Duration = Duration::from_secs(10 * 60);
/// How long `FailedInvocations` are trusted (they cover the lookback up to the moment of the read).
const METRICS_TTL: Duration = Duration::from_secs(5 * 60);

/// What was read past the rules.
#[derive(Debug)]
pub(super) struct TriggerReads {
    pub other_rules: Lookup<Vec<TriggerRule>>,
    pub trails: Lookup<Vec<TrailState>>,
    pub failed_invocations: Lookup<FailedInvocations>,
    pub warnings: Vec<String>,
}

impl TriggerReads {
    /// Nothing read, for `why`.
    pub fn skipped(why: &str) -> Self {
        Self {
            other_rules: Lookup::Skipped(why.into()),
            trails: Lookup::Skipped(why.into()),
            failed_invocations: Lookup::Skipped(why.into()),
            warnings: Vec::new(),
        }
    }
}

/// The registry's replication rules (`ecr:DescribeRegistry`), remembered for a while, and the warning a failed read
/// calls for; skipped with `eventbridge = false` (they serve the trigger diagnosis).
pub(super) async fn replication(p: &ProfilePoll<'_>) -> (Lookup<Vec<ReplicationRule>>, Vec<String>) {
    if !p.scope.eventbridge {
        return (Lookup::Skipped("switched off with `eventbridge = false`".into()), Vec::new());
    }
    kept(
        p,
        |m| &mut m.replication,
        "",
        TTL,
        registry::read(p),
        |l| skipped_warning(l, "replication not checked", "ecr:DescribeRegistry"),
    )
    .await
}

/// Reads what `rules` (the rules of the pipelines that need explaining) call for.
pub(super) async fn read(p: &ProfilePoll<'_>, rules: &Lookup<Vec<PipelineRules>>) -> TriggerReads {
    if !p.scope.eventbridge {
        return TriggerReads::skipped("switched off with `eventbridge = false`");
    }
    let by_pipeline: &[PipelineRules] = rules.done().map_or(&[], Vec::as_slice);
    let all: Vec<&TriggerRule> = by_pipeline.iter().flat_map(|(_, r)| r).collect();
    let mut warnings = targets::warnings(all.iter().copied());
    let unruled = rules.done().is_some() && by_pipeline.iter().any(|(_, r)| !r.iter().any(TriggerRule::enabled));
    let known: Vec<String> = all.iter().map(|r| r.name.clone()).collect();
    let others = async {
        if !unruled {
            return (Lookup::default(), Vec::new());
        }
        kept(
            p,
            |m| &mut m.other_rules,
            "",
            TTL,
            bus::read(p, &known),
            |l| match l {
                Lookup::Done(rules) => targets::warnings(rules),
                skipped => skipped_warning(skipped, "other rules of the bus not checked", "events:ListRules"),
            },
        )
        .await
    };
    let names: Vec<(String, Option<String>)> = {
        let mut n: Vec<_> = all.iter().map(|r| (r.name.clone(), r.event_bus.clone())).collect();
        n.sort();
        n.dedup();
        n
    };
    let key = names.iter().map(|(n, b)| format!("{n}@{}", b.as_deref().unwrap_or_default())).collect::<Vec<_>>();
    let key = key.join(",");
    let failed = async {
        if names.is_empty() {
            return (Lookup::Skipped("no rule targets a watched pipeline".into()), Vec::new());
        }
        kept(
            p,
            |m| &mut m.failed_invocations,
            &key,
            METRICS_TTL,
            metrics::read(p, &names),
            |l| skipped_warning(l, "failed rule invocations not checked", "cloudwatch:GetMetricData"),
        )
        .await
    };
    let ((other_rules, w2), (failed_invocations, w3)) = tokio::join!(others, failed);
    let cloudtrail_style =
        |r: &TriggerRule| r.pattern.as_deref().is_some_and(|p| p.contains("AWS API Call via CloudTrail"));
    let trail_rule =
        all.iter().any(|r| cloudtrail_style(r)) || other_rules.done().is_some_and(|o| o.iter().any(cloudtrail_style));
    let (trails, w4) = if trail_rule {
        kept(p, |m| &mut m.trails, "", TTL, trail_coverage::read(p), trail_coverage::warnings).await
    } else {
        (Lookup::Skipped("no rule matches CloudTrail-delivered events".into()), Vec::new())
    };
    for w in [w2, w3, w4] {
        warnings.extend(w);
    }
    warnings.dedup();
    TriggerReads { other_rules, trails, failed_invocations, warnings }
}

/// A warning for a read that failed.
fn skipped_warning<T>(l: &Lookup<T>, what: &str, permission: &str) -> Vec<String> {
    match l {
        Lookup::Skipped(why) => vec![format!("{what}: {why} (needs {permission})")],
        Lookup::Done(_) => Vec::new(),
    }
}

/// The value of `slot` while fresh for `key`, else `read` (remembered with its warnings).
async fn kept<T: Clone>(
    p: &ProfilePoll<'_>,
    slot: impl Fn(&mut TriggerMemory) -> &mut Option<(String, Kept<T>)>,
    key: &str,
    ttl: Duration,
    read: impl Future<Output = T>,
    warnings: impl Fn(&T) -> Vec<String>,
) -> (T, Vec<String>) {
    if let Some(hit) = Kept::fresh(slot(&mut *p.memory.triggers.lock().await), key, ttl) {
        return hit;
    }
    let value = read.await;
    let w = warnings(&value);
    *slot(&mut *p.memory.triggers.lock().await) =
        Some((key.to_string(), Kept { at: Instant::now(), value: value.clone(), warnings: w.clone() }));
    (value, w)
}
