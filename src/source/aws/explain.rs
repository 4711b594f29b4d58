//! The explain step of one profile's poll: the CloudTrail records of the pushes that need explaining and, concurrently,
//! the EventBridge rules of the pipelines that should have run for them with their targets (and the targets' roles)
//! and what lies past them (`triggers`: other rules of the bus, trails, `FailedInvocations`), all ending by the
//! deadline the source set within the poll's timeout. What could not be read is a warning and a "not checked",
//! never a failure. A poll whose pushes are all accounted for never gets here: it makes none of these calls.

use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::clients::ProfileClients;
use super::limiter::RateLimiter;
use super::memory::ProfileMemory;
use super::partition;
use super::profile_poll::{ProfilePoll, Scope};
use super::quota::AccountQuota;
use super::rules;
use super::stats::CallStats;
use super::trail::{self, Place, TrailOutcome};
use super::triggers::{self, TriggerReads};
use crate::analysis::needs::Needs;
use crate::model::{Diagnostics, Identity, Lookup, Pipeline, ProfileSnapshot};
use crate::source::{Explanation, PollRequest};

/// What to explain, and the means: the core data of this poll, what needs explaining in it, the account and
/// region's LookupEvents pacing, and when to have finished.
pub(super) struct Explain<'a> {
    pub snapshot: &'a ProfileSnapshot,
    pub needs: &'a Needs,
    /// The account and region's request quota (every API) and LookupEvents pacing.
    pub quota: &'a AccountQuota,
    pub limiter: &'a RateLimiter,
    pub deadline: Instant,
}

/// Reads what explains `ex.needs` through `clients`, and what that cost.
pub(super) async fn explain_clients(
    clients: &ProfileClients,
    scope: &Scope,
    memory: &ProfileMemory,
    req: PollRequest,
    limit: &Semaphore,
    ex: Explain<'_>,
) -> Explanation {
    let stats = CallStats::default();
    let quota = ex.quota;
    let p = ProfilePoll { clients, scope, memory, limit, quota, stats: &stats, since: req.since(), now: req.now };
    let mut out = explain(&p, ex).await;
    out.stats = stats.finish();
    out
}

async fn explain(p: &ProfilePoll<'_>, ex: Explain<'_>) -> Explanation {
    let started = Instant::now();
    let budget = ex.deadline.saturating_duration_since(started);
    let identity = ex.snapshot.identity.as_ref();
    let region = p.clients.region();
    let trail = p.timed("cloudtrail", async {
        if !p.scope.cloudtrail {
            return TrailOutcome {
                read: Lookup::Skipped("switched off with `cloudtrail = false`".into()),
                warnings: Vec::new(),
            };
        }
        let place = Place { account: identity.map(|i| i.account.as_str()), region: &region };
        trail::read(p, ex.needs, place, ex.limiter, ex.deadline).await
    });
    let targets = targets(p, &ex.snapshot.pipelines, &ex.needs.rules, identity).await;
    let rules = p.timed("rules", async {
        if !p.scope.eventbridge {
            return Lookup::Skipped("switched off with `eventbridge = false`".into());
        }
        if targets.is_empty() {
            return Lookup::Done(Vec::new());
        }
        match tokio::time::timeout_at(ex.deadline, rules::read(p, targets)).await {
            Ok(Ok(r)) => Lookup::Done(r),
            Ok(Err(e)) => Lookup::Skipped(e.to_string()),
            Err(_) => Lookup::Skipped(format!(
                "events:ListRuleNamesByTarget/DescribeRule did not finish within {} (the time the poll left)",
                shown(budget)
            )),
        }
    });
    // Past the rules: other rules of the bus, trails, failed invocations (triggers.rs).
    let rules = async {
        let rules = rules.await;
        // Boxed: the reads past the rules would make the poll's future too large for a thread's stack.
        let read = Box::pin(p.timed("triggers", triggers::read(p, &rules)));
        let past = match tokio::time::timeout_at(ex.deadline, read).await {
            Ok(past) => past,
            Err(_) => TriggerReads::skipped(&format!(
                "the trigger diagnosis did not finish within {} (the time the poll left)",
                shown(budget)
            )),
        };
        (rules, past)
    };
    let (TrailOutcome { read: put_images, mut warnings }, (rules, past)) = tokio::join!(trail, rules);
    if let Lookup::Skipped(why) = &rules
        && p.scope.eventbridge
    {
        warnings.push(format!(
            "trigger rules not checked: {why} (needs events:ListRuleNamesByTarget and events:DescribeRule)"
        ));
    }
    warnings.extend(past.warnings);
    Explanation {
        diagnostics: Diagnostics {
            put_images,
            rules,
            other_rules: past.other_rules,
            trails: past.trails,
            failed_invocations: past.failed_invocations,
            ..Diagnostics::default()
        },
        warnings,
        stats: Default::default(),
    }
}

/// `(name, ARN)` of each pipeline of `wanted` with an ECR source: the ARN GetPipeline gave (remembered with its
/// definition), else one built in the profile's partition.
async fn targets(
    p: &ProfilePoll<'_>,
    pipelines: &[Pipeline],
    wanted: &[String],
    identity: Option<&Identity>,
) -> Vec<(String, String)> {
    let region = p.clients.region();
    let account = identity.map(|i| i.account.as_str()).unwrap_or_default();
    let partition = partition::of_profile(p.scope.partition.as_deref(), identity.map(|i| i.arn.as_str()), &region);
    let definitions = p.memory.definitions.lock().await;
    pipelines
        .iter()
        .filter(|pipeline| !pipeline.sources.is_empty() && wanted.contains(&pipeline.name))
        .map(|pipeline| {
            let arn = definitions
                .get(&pipeline.name)
                .and_then(|d| d.arn.clone())
                .unwrap_or_else(|| partition::pipeline_arn(&partition, &region, account, &pipeline.name));
            (pipeline.name.clone(), arn)
        })
        .collect()
}

/// A budget as people read it: whole milliseconds (`2s 219ms`, not `2s 219ms 644us 395ns`).
fn shown(budget: std::time::Duration) -> humantime::FormattedDuration {
    humantime::format_duration(std::time::Duration::from_millis(budget.as_millis() as u64))
}
