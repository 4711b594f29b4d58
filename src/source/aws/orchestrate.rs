//! The core read of one profile's poll: the identity, the pipelines' definitions, then their runs together with the
//! images of the repositories they watch, then the snapshot; every call that does not need another's answer is in
//! flight with it (BENCHMARKS.md, "Organization scale": the waves of one profile's poll). Each API's failure is
//! recorded; what the other APIs returned is kept. The registry's replication configuration is read alongside
//! (another profile's pushes may need it).
//! What explains the pushes (CloudTrail, EventBridge, IAM, CloudWatch) is the explain step's (`explain`), run by the
//! poller only when something needs explaining.

use std::sync::atomic::Ordering;

use futures::StreamExt;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::clients::ProfileClients;
use super::identity;
use super::images::{self, ImagesFailure, ImagesRead};
use super::memory::ProfileMemory;
use super::pipelines::{self, PipelinesRead};
use super::profile_poll::{PROFILE_IN_FLIGHT, ProfilePoll, Scope};
use super::quota::AccountQuota;
use super::stats::CallStats;
use super::triggers;
use crate::model::{Diagnostics, ErrorKind, Identity, PollError, ProfileSnapshot};
use crate::source::PollRequest;

/// Reads the core data of one profile through `clients`, and what the read cost.
pub(super) async fn poll_clients(
    clients: &ProfileClients,
    scope: &Scope,
    memory: &ProfileMemory,
    req: PollRequest,
    limit: &Semaphore,
    quota: &AccountQuota,
) -> ProfileSnapshot {
    let stats = CallStats::default();
    let p = ProfilePoll { clients, scope, memory, limit, quota, stats: &stats, since: req.since(), now: req.now };
    let started = Instant::now();
    let mut snap = poll(&p).await;
    // The count is the session's, shared by the profile's regions: taking it counts each AssumeRole once, in the
    // first poll to finish after it.
    let assumed = memory.assume_role_calls.swap(0, Ordering::Relaxed);
    stats.add("sts:AssumeRole", assumed);
    stats.phase("core", started.elapsed());
    snap.stats = stats.finish();
    snap
}

async fn poll(p: &ProfilePoll<'_>) -> ProfileSnapshot {
    // The pipelines' definitions say which repositories to read: their images are read while the runs are.
    let pipelines_and_images = async {
        let defined = p.timed("definitions", pipelines::define(p)).await;
        let repos = repositories(defined.repositories(), &p.scope.repositories);
        let images = p.timed(
            "images",
            futures::stream::iter(repos.clone().into_iter().enumerate())
                .map(|(i, repo)| async move { (i, images::read(p, &repo).await) })
                .buffer_unordered(PROFILE_IN_FLIGHT)
                .collect::<Vec<(usize, Result<ImagesRead, ImagesFailure>)>>(),
        );
        let (pipelines, images) = tokio::join!(p.timed("runs", pipelines::runs(p, defined)), images);
        (pipelines, repos, images)
    };
    // Where this registry replicates: another profile's pushes are told apart as replicated with it, whatever this
    // profile's own pushes need (triggers.rs; remembered for a while, so a steady-state poll does not call it).
    let (identity, (read, repos, mut results), (replication, replication_warnings)) = tokio::join!(
        p.timed("identity", identity::read(p)),
        pipelines_and_images,
        p.timed("replication", triggers::replication(p))
    );
    let PipelinesRead { pipelines, mut failures, mut warnings, stale } = read;
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

    // Only the repositories of the pipelines read and the extra ones: a pipeline left out (its runs could not be
    // read) takes its pushes with it, since a push is never flagged on missing data.
    let watched = repositories(pipelines.iter().flat_map(|p| p.sources.iter().map(|s| &s.repository)), &[]);
    results.retain(|(i, _)| watched.contains(&repos[*i]) || p.scope.repositories.contains(&repos[*i]));
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
    warnings.extend(replication_warnings);

    ProfileSnapshot {
        identity,
        pipelines,
        images,
        indexes,
        errors: failures,
        warnings,
        stale_pipelines: stale,
        diagnostics: Diagnostics { replication, ..Diagnostics::default() },
        ..ProfileSnapshot::default()
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
fn repositories<'a>(watched: impl Iterator<Item = &'a String>, extra: &'a [String]) -> Vec<String> {
    let mut repos: Vec<String> = Vec::new();
    for r in watched.chain(extra) {
        if !repos.contains(r) {
            repos.push(r.clone());
        }
    }
    repos
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
        use crate::model::{Pipeline, WatchedSource};
        let pipeline = |name: &str, repos: &[&str]| Pipeline {
            name: name.into(),
            sources: repos
                .iter()
                .map(|r| WatchedSource { action: "Source".into(), repository: r.to_string(), tag: "latest".into() })
                .collect(),
            executions: Vec::new(),
        };
        let pipelines = [pipeline("b", &["web", "api"]), pipeline("a", &["api"]), pipeline("c", &[])];
        let watched = pipelines.iter().flat_map(|p| p.sources.iter().map(|s| &s.repository));
        assert_eq!(repositories(watched, &["tools".into(), "web".into()]), ["web", "api", "tools"]);
    }
}
