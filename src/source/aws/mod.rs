//! The AWS data source: the only code that builds SDK clients and credentials, and the only code that sees an SDK
//! type.
//!
//! [`AwsSource`] holds each profile's clients (`clients`), its memory across polls (`memory`) and what to read
//! (`profile_poll::Scope`), and renews a session AWS declared expired. A poll's core read runs in `orchestrate`,
//! which calls the readers by job (`identity`, `pipelines`, `images`, and `registry` for replication); its explain
//! step runs in `explain` (`trail`, `rules` with `targets` and `iam`, and past the rules `triggers`: `bus`,
//! `trail_coverage`, `metrics`). `convert` turns SDK answers into domain types and `errors` SDK errors into
//! [`PollError`]s; `partition` builds ARNs, `limiter` paces CloudTrail per account and region across profiles,
//! `quota` spends each account and region's request quota per API (shared by the profiles in them), and `stats`
//! counts the calls. `organization` lists an AWS Organization's accounts for `pipewatch init --org`.

mod bus;
mod clients;
mod convert;
mod credentials;
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
mod quota;
mod registry;
mod rules;
mod session;
mod stats;
mod targets;
mod trail;
mod trail_coverage;
mod triggers;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use aws_config::SdkConfig;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use self::clients::{ProfileClients, base_config, base_key, shared_http_client};
use self::credentials::assume_role_pace;
use self::explain::Explain;
use self::limiter::Limiters;
use self::memory::ProfileMemory;
use self::profile_poll::Scope;
use self::quota::{AccountQuota, Quotas};
use self::session::{ClientPool, RegionClients, Session};
use crate::analysis::needs::Needs;
use crate::config::Profile;
use crate::model::{ErrorKind, PollError, ProfileMeta, ProfileSnapshot};
use crate::source::{Explanation, PollRequest, Source};

/// Requests in flight at once across every profile, per account and region polled: AWS limits each account and
/// region on its own (`quota`), so the bound grows with them, between [`MIN_IN_FLIGHT`] and [`MAX_IN_FLIGHT`].
const IN_FLIGHT_PER_ACCOUNT: usize = 16;
/// The bound for a few accounts (what a poll of one account or a handful may have in flight).
const MIN_IN_FLIGHT: usize = 64;
/// The bound however many accounts: each request in flight holds a connection (a file descriptor) and its buffers.
const MAX_IN_FLIGHT: usize = 512;

/// The bound on requests in flight for `accounts` accounts and regions.
fn in_flight_for(accounts: usize) -> usize {
    (accounts * IN_FLIGHT_PER_ACCOUNT).clamp(MIN_IN_FLIGHT, MAX_IN_FLIGHT)
}

/// The share of the time the poll left that the explain step's reads may use: they wrap up (keeping what they
/// read, as warnings for the rest) before the poller would cut them off.
const EXPLAIN_SHARE: f64 = 0.9;

/// One region of one profile: what the poller knows as a profile (see `session` for why).
struct ProfileEntry {
    /// What the profile's regions share: the config with the role assumed, the identity.
    session: Arc<Session>,
    /// The region's clients, rebuilt when the session was renewed (see [`AwsSource::poll`]).
    clients: RegionClients,
    scope: Scope,
    memory: ProfileMemory,
}

impl ProfileEntry {
    fn clients(&self) -> Result<ProfileClients, PollError> {
        self.clients.get(&self.session)
    }

    /// The account whose request quota the profile spends, as far as it is known before the poll: its role's, else
    /// the profile's own name.
    fn account(&self) -> &str {
        self.scope.account.as_deref().unwrap_or(&self.session.profile.name)
    }

    /// The account whose request quota a poll spends: the role's, else (no role) the account an earlier poll's
    /// caller identity named, so that two profiles without a role in one account share its quota from their second
    /// poll on; before any identity is known, the profile's own name.
    async fn quota_account(&self) -> String {
        if let Some(account) = &self.scope.account {
            return account.clone();
        }
        match self.session.identity.lock().await.as_ref() {
            Some((_, identity)) => identity.account.clone(),
            None => self.session.profile.name.clone(),
        }
    }
}

/// Polls real AWS accounts (or an emulator at `endpoint_url`).
pub struct AwsSource {
    /// One per region of each profile, profile by profile.
    metas: Vec<ProfileMeta>,
    entries: Vec<ProfileEntry>,
    limit: Arc<Semaphore>,
    /// LookupEvents pacing, one per (account, region), shared by the profiles.
    limiters: Limiters,
    /// Request quotas, one per (account, region), shared by the profiles.
    quotas: Quotas,
}

impl AwsSource {
    /// Builds clients for every region of every profile. No network call happens here; a profile whose
    /// configuration cannot be turned into clients (no region, say) polls as failed with that reason.
    /// `assume_role_rate` (`[settings]`) paces the AssumeRole calls of each set of source credentials.
    pub async fn new(profiles: &[Profile], assume_role_rate: Option<f64>) -> Self {
        let mut metas = Vec::with_capacity(profiles.len());
        let mut entries = Vec::with_capacity(profiles.len());
        let http = shared_http_client();
        let mut bases: HashMap<String, (SdkConfig, Option<Arc<AccountQuota>>)> = HashMap::new();
        let pool = Arc::new(ClientPool::default());
        for p in profiles {
            let (base, pace) = match bases.get(&base_key(p)) {
                Some(known) => known.clone(),
                None => {
                    let made = (base_config(p, &http).await, assume_role_rate.map(assume_role_pace));
                    bases.insert(base_key(p), made.clone());
                    made
                }
            };
            let session = Arc::new(Session::new(p, &http, base, Arc::clone(&pool), pace).await);
            let role_arn = p.role_arn.as_deref();
            let scope = Scope {
                pipelines: p.pipelines.clone(),
                repositories: p.repositories.clone(),
                cloudtrail: p.cloudtrail,
                eventbridge: p.eventbridge,
                account: role_arn.and_then(|arn| arn.split(':').nth(4)).map(str::to_string),
                partition: role_arn.and_then(partition::of_arn).map(str::to_string),
            };
            for region in session.regions() {
                metas.push(ProfileMeta { name: p.name.clone(), region: region.clone() });
                entries.push(ProfileEntry {
                    clients: RegionClients::new(&session, region),
                    session: Arc::clone(&session),
                    scope: scope.clone(),
                    memory: ProfileMemory {
                        identity: Arc::clone(&session.identity),
                        assume_role_calls: Arc::clone(&session.assume_role_calls),
                        ..ProfileMemory::default()
                    },
                });
            }
        }
        let accounts: std::collections::HashSet<(&str, &str)> =
            entries.iter().zip(&metas).map(|(e, m)| (e.account(), m.region.as_str())).collect();
        let limit = Arc::new(Semaphore::new(in_flight_for(accounts.len())));
        Self { metas, entries, limit, limiters: Limiters::default(), quotas: Quotas::default() }
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
                regions: vec![region.clone()],
                endpoint_url: None,
                repositories: scope.repositories.clone(),
                pipelines: scope.pipelines.clone(),
                cloudtrail: scope.cloudtrail,
                eventbridge: scope.eventbridge,
            };
            let session = Arc::new(Session::fixed(profile));
            let memory = ProfileMemory { identity: Arc::clone(&session.identity), ..ProfileMemory::default() };
            entries.push(ProfileEntry { clients: RegionClients::ready(region, clients), session, scope, memory });
        }
        let (limiters, quotas) = (Limiters::default(), Quotas::default());
        Self { metas, entries, limit: Arc::new(Semaphore::new(8)), limiters, quotas }
    }
}

impl Source for AwsSource {
    fn profiles(&self) -> &[ProfileMeta] {
        &self.metas
    }

    async fn prepare(&self, index: usize) {
        let Some(entry) = self.entries.get(index) else { return };
        entry.session.renew_if_asked().await;
        if let Ok(clients) = entry.clients() {
            clients.auth().take_turn_ahead().await;
        }
    }

    async fn poll(&self, index: usize, req: PollRequest) -> ProfileSnapshot {
        let Some(entry) = self.entries.get(index) else {
            return ProfileSnapshot::failed(PollError::new(ErrorKind::Internal, format!("no profile #{index}")));
        };
        // The SDK's credential cache keeps a session until the expiry it was given, even when AWS said it expired
        // sooner (revoked, clock skew): after such a poll, start afresh so that this poll assumes the role again.
        // The profile's regions share the session: the first of them to poll renews it for all.
        entry.session.renew_if_asked().await;
        let clients = match entry.clients() {
            Ok(clients) => clients,
            Err(e) => return ProfileSnapshot::failed(e),
        };
        let quota = self.quotas.of(&entry.quota_account().await, &clients.region());
        let snapshot = orchestrate::poll_clients(&clients, &entry.scope, &entry.memory, req, &self.limit, &quota).await;
        if snapshot.errors.iter().any(|e| e.kind.renews_session()) {
            entry.session.renew.store(true, Ordering::Relaxed);
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
        let limiter = self.limiters.of(account.unwrap_or(&entry.session.profile.name), &clients.region());
        let quota = self.quotas.of(&entry.quota_account().await, &clients.region());
        let ex = Explain { snapshot, needs, quota: &quota, limiter: &limiter, deadline };
        explain::explain_clients(&clients, &entry.scope, &entry.memory, req, &self.limit, ex).await
    }
}
