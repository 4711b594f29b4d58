//! One poll of one profile from start to snapshot: identity and pipelines first (concurrently), then images,
//! CloudTrail and EventBridge (concurrently, the last two under the enrichment deadline), then the snapshot. Each
//! API's failure is recorded; what the other APIs returned is kept.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::clients::ProfileClients;
use super::images::{self, ImagesFailure, ImagesRead};
use super::memory::ProfileMemory;
use super::pipelines::{self, PipelinesRead};
use super::profile_poll::{PROFILE_IN_FLIGHT, ProfilePoll, Scope};
use super::stats::CallStats;
use super::triggers::{self, TriggerReads};
use super::{identity, partition, rules, trail};
use crate::model::{Diagnostics, ErrorKind, Identity, Lookup, Pipeline, PollError, ProfileSnapshot};
use crate::source::PollRequest;

/// Reads everything of one profile through `clients`, and what the poll cost.
pub(super) async fn poll_clients(
    clients: &ProfileClients,
    scope: &Scope,
    memory: &ProfileMemory,
    req: PollRequest,
    limit: &Semaphore,
) -> ProfileSnapshot {
    let stats = CallStats::default();
    let assumed_before = memory.assume_role_calls.load(Ordering::Relaxed);
    let p = ProfilePoll { clients, scope, memory, limit, stats: &stats, since: req.since(), now: req.now };
    let started = Instant::now();
    let mut snap = poll(&p).await;
    let assumed = memory.assume_role_calls.load(Ordering::Relaxed).saturating_sub(assumed_before);
    stats.add("sts:AssumeRole", assumed);
    stats.phase("total", started.elapsed());
    snap.stats = stats.finish();
    snap
}

async fn poll(p: &ProfilePoll<'_>) -> ProfileSnapshot {
    let enrich_deadline = p.scope.enrich_timeout.map(|t| (Instant::now() + t, t));
    let (identity, PipelinesRead { pipelines, mut failures, mut warnings }) =
        tokio::join!(p.timed("identity", identity::read(p)), p.timed("pipelines", pipelines::read(p)));
    let (pipelines, arns): (Vec<Pipeline>, Vec<Option<String>>) = pipelines.into_iter().unzip();
    let identity = match identity {
        Ok(id) => Some(id),
        Err(e) => {
            failures.insert(0, e);
            None
        }
    };
    if let Some(wrong) = wrong_account(identity.as_ref(), p.scope.account.as_deref()) {
        // Whatever was read belongs to another account: drop it rather than show it under this profile.
        return ProfileSnapshot { identity, ..ProfileSnapshot::failed(wrong) };
    }

    let repos = repositories(&pipelines, &p.scope.repositories);
    let images = p.timed(
        "images",
        futures::stream::iter(repos.clone().into_iter().enumerate())
            .map(|(i, repo)| async move { (i, images::read(p, &repo).await) })
            .buffer_unordered(PROFILE_IN_FLIGHT)
            .collect::<Vec<(usize, Result<ImagesRead, ImagesFailure>)>>(),
    );
    let account = identity.as_ref().map(|i| i.account.clone());
    let trail = bounded(
        enrich_deadline,
        "cloudtrail:LookupEvents",
        p.timed("cloudtrail", async {
            if !p.scope.cloudtrail {
                return (Lookup::Skipped("switched off with `cloudtrail = false`".into()), None);
            }
            if repos.is_empty() {
                return (Lookup::Skipped("no watched repository in this profile".into()), None);
            }
            match trail::read(p, account.as_deref()).await {
                Ok((read, note)) => (Lookup::Done(read), note),
                Err(e) => (Lookup::Skipped(format!("cloudtrail:LookupEvents failed: {}", e.message)), None),
            }
        }),
    )
    .map(|r| r.unwrap_or_else(|late| (Lookup::Skipped(late), None)));
    let with_ecr = targets(p, &pipelines, &arns, identity.as_ref());
    let rules = bounded(
        enrich_deadline,
        "events:ListRuleNamesByTarget/DescribeRule",
        p.timed("rules", async {
            if !p.scope.eventbridge {
                return Lookup::Skipped("switched off with `eventbridge = false`".into());
            }
            if with_ecr.is_empty() {
                return Lookup::Done(Vec::new());
            }
            match rules::read(p, with_ecr.clone()).await {
                Ok(r) => Lookup::Done(r),
                Err(e) => Lookup::Skipped(e.to_string()),
            }
        }),
    )
    .map(|r| r.unwrap_or_else(Lookup::Skipped));
    // Past the rules: targets' roles, other rules, trails, metrics, replication (triggers.rs).
    let rules = async move {
        let rules = rules.await;
        // Boxed: the reads past the rules would make the poll's future too large for a thread's stack.
        let read = Box::pin(triggers::read(p, &rules));
        let past = bounded(enrich_deadline, "the trigger diagnosis", p.timed("triggers", read))
            .await
            .unwrap_or_else(|late| TriggerReads::skipped(&late));
        (rules, past)
    };
    let (mut results, (put_images, trail_note), (rules, past)) = tokio::join!(images, trail, rules);
    if let Lookup::Skipped(why) = &put_images
        && p.scope.cloudtrail
        && !repos.is_empty()
    {
        warnings.push(format!("pushes not attributed: {why} (needs cloudtrail:LookupEvents)"));
    }
    if let Lookup::Skipped(why) = &rules
        && p.scope.eventbridge
    {
        warnings.push(format!(
            "trigger rules not checked: {why} (needs events:ListRuleNamesByTarget and events:DescribeRule)"
        ));
    }
    warnings.extend(trail_note);
    warnings.extend(past.warnings);
    results.sort_by_key(|(i, _)| *i);
    let (mut images, mut indexes) = (Vec::new(), Vec::new());
    for (i, r) in results {
        match r {
            Ok(mut read) => {
                images.append(&mut read.images);
                indexes.append(&mut read.indexes);
                warnings.append(&mut read.warnings);
            }
            Err(ImagesFailure::NotFound) => {
                warnings.push(format!("ECR repository `{}` not found in this account and region", repos[i]))
            }
            Err(ImagesFailure::Failed(e)) => failures.push(e),
        }
    }

    ProfileSnapshot {
        identity,
        pipelines,
        images,
        indexes,
        errors: failures,
        warnings,
        diagnostics: Diagnostics {
            put_images,
            rules,
            other_rules: past.other_rules,
            trails: past.trails,
            failed_invocations: past.failed_invocations,
            replication: past.replication,
        },
        stats: Default::default(),
    }
}

/// The failure of a poll answered by another account than the role's.
fn wrong_account(identity: Option<&Identity>, want: Option<&str>) -> Option<PollError> {
    let (id, want) = (identity?, want?);
    (id.account != want).then(|| {
        PollError::of_call(
            "sts:GetCallerIdentity",
            ErrorKind::WrongAccount,
            format!(
                "the credentials act in account {}, not in the role's account {want}; nothing of that account is \
                 shown (check role_arn, and the source credentials that assume it)",
                id.account
            ),
        )
    })
}

/// The repositories to read: those the pipelines watch (in pipeline order), then the extra ones, each once.
fn repositories(pipelines: &[Pipeline], extra: &[String]) -> Vec<String> {
    let mut repos: Vec<String> = Vec::new();
    for r in pipelines.iter().flat_map(|p| p.sources.iter().map(|s| &s.repository)).chain(extra) {
        if !repos.contains(r) {
            repos.push(r.clone());
        }
    }
    repos
}

/// `(name, ARN)` of each pipeline with an ECR source: the ARN GetPipeline gave, else one built in the profile's
/// partition.
fn targets(
    p: &ProfilePoll<'_>,
    pipelines: &[Pipeline],
    arns: &[Option<String>],
    identity: Option<&Identity>,
) -> Vec<(String, String)> {
    let region = p.clients.region();
    let account = identity.map(|i| i.account.as_str()).unwrap_or_default();
    let partition = partition::of_profile(p.scope.partition.as_deref(), identity.map(|i| i.arn.as_str()), &region);
    pipelines
        .iter()
        .zip(arns)
        .filter(|(pipeline, _)| !pipeline.sources.is_empty())
        .map(|(pipeline, arn)| {
            let arn =
                arn.clone().unwrap_or_else(|| partition::pipeline_arn(&partition, &region, account, &pipeline.name));
            (pipeline.name.clone(), arn)
        })
        .collect()
}

/// Runs an enrichment read until `deadline` (`None`: unbounded); `Err` says which API did not finish in time.
async fn bounded<T>(deadline: Option<(Instant, Duration)>, api: &str, f: impl Future<Output = T>) -> Result<T, String> {
    match deadline {
        None => Ok(f.await),
        Some((at, budget)) => tokio::time::timeout_at(at, f).await.map_err(|_| {
            format!("{api} did not finish within {} (part of the poll timeout)", humantime::format_duration(budget))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(account: &str) -> Identity {
        Identity {
            account: account.into(),
            arn: format!("arn:aws:sts::{account}:assumed-role/r/s"),
            user_id: "x".into(),
        }
    }

    #[test]
    fn another_account_than_the_roles_is_a_failure() {
        let e = wrong_account(Some(&id("123456789012")), Some("111111111111")).unwrap();
        assert_eq!(e.kind, ErrorKind::WrongAccount);
        assert_eq!(
            e.to_string(),
            "sts:GetCallerIdentity: the credentials act in account 123456789012, not in the role's account \
             111111111111; nothing of that account is shown (check role_arn, and the source credentials that assume it)"
        );
        assert_eq!(wrong_account(Some(&id("111111111111")), Some("111111111111")), None);
        assert_eq!(wrong_account(None, Some("111111111111")), None, "no identity: nothing to compare");
        assert_eq!(wrong_account(Some(&id("123456789012")), None), None, "no role: any account is the profile's");
    }

    #[test]
    fn repositories_are_read_once_in_pipeline_order_then_the_extra_ones() {
        use crate::model::WatchedSource;
        let pipeline = |name: &str, repos: &[&str]| Pipeline {
            name: name.into(),
            sources: repos
                .iter()
                .map(|r| WatchedSource { action: "Source".into(), repository: r.to_string(), tag: "latest".into() })
                .collect(),
            executions: Vec::new(),
        };
        let pipelines = [pipeline("b", &["web", "api"]), pipeline("a", &["api"]), pipeline("c", &[])];
        assert_eq!(repositories(&pipelines, &["tools".into(), "web".into()]), ["web", "api", "tools"]);
    }
}
