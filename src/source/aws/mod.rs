//! The AWS data source: the only code that builds SDK clients and credentials, and the only code that sees an SDK
//! type.
//!
//! [`AwsSource`] holds each profile's clients (`clients`), its memory across polls (`memory`) and what to read
//! (`profile_poll::Scope`), and renews a session AWS declared expired. A poll's core read runs in `orchestrate`,
//! which calls the readers by job (`identity`, `pipelines`, `images`, and `registry` for replication); its explain
//! step runs in `explain` (`trail`, `rules` with `targets` and `iam`, and past the rules `triggers`: `bus`,
//! `trail_coverage`, `metrics`). `convert` turns SDK answers into domain types and `errors` SDK errors into
//! [`PollError`]s; `partition` builds ARNs, `limiter` paces CloudTrail per account and region across profiles, and
//! `stats` counts the calls. `organization` lists an AWS Organization's accounts for `pipewatch init --org`.

mod bus;
mod clients;
mod convert;
pub mod doctor;
mod errors;
mod explain;
mod iam;
mod identity;
mod images;
mod limiter;
mod memory;
mod metrics;
mod orchestrate;
pub mod organization;
mod partition;
mod pipelines;
mod profile_poll;
mod registry;
mod rules;
mod stats;
mod targets;
mod trail;
mod trail_coverage;
mod triggers;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use self::clients::{ProfileClients, sdk_config};
use self::explain::Explain;
use self::limiter::Limiters;
use self::memory::ProfileMemory;
use self::profile_poll::Scope;
use crate::analysis::needs::Needs;
use crate::config::Profile;
use crate::model::{ErrorKind, PollError, ProfileMeta, ProfileSnapshot};
use crate::source::{Explanation, PollRequest, Source};

/// Requests in flight at once across every profile (keeps a 50-account poll polite to the APIs).
const GLOBAL_IN_FLIGHT: usize = 64;

/// The share of the time the poll left that the explain step's reads may use: they wrap up (keeping what they
/// read, as warnings for the rest) before the poller would cut them off.
const EXPLAIN_SHARE: f64 = 0.9;

struct ProfileEntry {
    /// Replaced when the session expired under the SDK's credential cache (see [`AwsSource::poll`]).
    clients: Mutex<Result<ProfileClients, PollError>>,
    /// What the clients were built from.
    profile: Profile,
    /// The last poll said the session expired: rebuild the clients before the next one.
    renew: AtomicBool,
    scope: Scope,
    memory: ProfileMemory,
}

impl ProfileEntry {
    fn clients(&self) -> Result<ProfileClients, PollError> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Polls real AWS accounts (or an emulator at `endpoint_url`).
pub struct AwsSource {
    metas: Vec<ProfileMeta>,
    entries: Vec<ProfileEntry>,
    limit: Arc<Semaphore>,
    /// LookupEvents pacing, one per (account, region), shared by the profiles.
    limiters: Limiters,
}

impl AwsSource {
    /// Builds clients for every profile. No network call happens here; a profile whose configuration cannot be
    /// turned into clients (no region, say) polls as failed with that reason.
    pub async fn new(profiles: &[Profile]) -> Self {
        let mut metas = Vec::with_capacity(profiles.len());
        let mut entries = Vec::with_capacity(profiles.len());
        for p in profiles {
            let memory = ProfileMemory::default();
            let conf = sdk_config(p, Arc::clone(&memory.assume_role_calls)).await;
            let region = match &conf {
                Ok(c) => c.region().map(|r| r.to_string()).unwrap_or_default(),
                Err(_) => p.region.clone().unwrap_or_else(|| "?".into()),
            };
            metas.push(ProfileMeta { name: p.name.clone(), region });
            let role_arn = p.role_arn.as_deref();
            entries.push(ProfileEntry {
                clients: Mutex::new(conf.map(|c| ProfileClients::from_config(&c))),
                profile: p.clone(),
                renew: AtomicBool::new(false),
                scope: Scope {
                    pipelines: p.pipelines.clone(),
                    repositories: p.repositories.clone(),
                    cloudtrail: p.cloudtrail,
                    eventbridge: p.eventbridge,
                    account: role_arn.and_then(|arn| arn.split(':').nth(4)).map(str::to_string),
                    partition: role_arn.and_then(partition::of_arn).map(str::to_string),
                },
                memory,
            });
        }
        Self { metas, entries, limit: Arc::new(Semaphore::new(GLOBAL_IN_FLIGHT)), limiters: Limiters::default() }
    }

    /// A source over ready-made clients (the tests' mocks), one profile per `(clients, scope)`.
    #[cfg(test)]
    fn with_clients(profiles: Vec<(ProfileClients, Scope)>) -> Self {
        let mut metas = Vec::new();
        let mut entries = Vec::new();
        for (i, (clients, scope)) in profiles.into_iter().enumerate() {
            let name = format!("profile-{i}");
            let region = clients.region();
            metas.push(ProfileMeta { name: name.clone(), region: region.clone() });
            let profile = Profile {
                name,
                role_arn: None,
                external_id: None,
                role_session_name: "pipewatch".into(),
                duration: None,
                credential_source: None,
                aws_profile: None,
                region: Some(region),
                endpoint_url: None,
                repositories: scope.repositories.clone(),
                pipelines: scope.pipelines.clone(),
                cloudtrail: scope.cloudtrail,
                eventbridge: scope.eventbridge,
            };
            entries.push(ProfileEntry {
                clients: Mutex::new(Ok(clients)),
                profile,
                renew: AtomicBool::new(false),
                scope,
                memory: ProfileMemory::default(),
            });
        }
        Self { metas, entries, limit: Arc::new(Semaphore::new(8)), limiters: Limiters::default() }
    }
}

impl Source for AwsSource {
    fn profiles(&self) -> &[ProfileMeta] {
        &self.metas
    }

    async fn poll(&self, index: usize, req: PollRequest) -> ProfileSnapshot {
        let Some(entry) = self.entries.get(index) else {
            return ProfileSnapshot::failed(PollError::new(ErrorKind::Internal, format!("no profile #{index}")));
        };
        // The SDK's credential cache keeps a session until the expiry it was given, even when AWS said it expired
        // sooner (revoked, clock skew): after such a poll, start afresh so that this poll assumes the role again.
        if entry.renew.swap(false, Ordering::Relaxed)
            && let Ok(conf) = sdk_config(&entry.profile, Arc::clone(&entry.memory.assume_role_calls)).await
        {
            *entry.clients.lock().unwrap_or_else(|e| e.into_inner()) = Ok(ProfileClients::from_config(&conf));
        }
        let clients = match entry.clients() {
            Ok(clients) => clients,
            Err(e) => return ProfileSnapshot::failed(e),
        };
        let snapshot = orchestrate::poll_clients(&clients, &entry.scope, &entry.memory, req, &self.limit).await;
        if snapshot.errors.iter().any(|e| e.kind.renews_session()) {
            entry.renew.store(true, Ordering::Relaxed);
        }
        snapshot
    }

    async fn explain(
        &self,
        index: usize,
        req: PollRequest,
        snapshot: &ProfileSnapshot,
        needs: &Needs,
        budget: Duration,
    ) -> Explanation {
        let deadline = Instant::now() + budget.mul_f64(EXPLAIN_SHARE);
        let Some(entry) = self.entries.get(index) else { return Explanation::default() };
        let Ok(clients) = entry.clients() else { return Explanation::default() };
        // LookupEvents' limit is the account's (the caller identity's, else the role's) in the region.
        let account = snapshot.identity.as_ref().map(|i| i.account.as_str()).or(entry.scope.account.as_deref());
        let limiter = self.limiters.of(account.unwrap_or(&entry.profile.name), &clients.region());
        let ex = Explain { snapshot, needs, limiter: &limiter, deadline };
        explain::explain_clients(&clients, &entry.scope, &entry.memory, req, &self.limit, ex).await
    }
}
