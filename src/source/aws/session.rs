//! One profile's session shared by the regions it polls: the role is assumed once and the caller identity read
//! once for the account, and each region's clients (shared with the other profiles of the same base settings, from
//! the [`ClientPool`]) carry the session's credentials.
//!
//! Why per (profile, region) everywhere else: pipelines, pushes, rules and CloudTrail records belong to a region,
//! so the source serves one [`crate::model::ProfileMeta`] per region of a profile (the same name, each with its
//! region) and everything keyed by that index (the poller, each snapshot, the analysis's correlation and diagnosis,
//! the dashboard's feeds, the CloudTrail pacing per account and region) stays within one region without knowing
//! about regions. Only what belongs to the account is shared here: the credentials and the identity.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_config::{Region, SdkConfig};
use tokio::time::Instant;

use super::clients::{ProfileClients, base_config, base_key};
use super::credentials::{Auth, with_role};
use super::quota::AccountQuota;
use crate::config::Profile;
use crate::model::{Identity, PollError};

/// What the regions of one profile share.
pub(super) struct Session {
    /// What the base config and the credentials are made from.
    pub profile: Profile,
    /// The base config (region, endpoint, source credentials), possibly shared with other profiles.
    base: SdkConfig,
    /// The profile's credentials (their cache is shared by every region), and how many times they were made: a
    /// region's clients carrying older ones are remade.
    auth: Mutex<(u64, Result<Auth, PollError>)>,
    /// Where the region's clients come from.
    pool: Arc<ClientPool>,
    /// The AssumeRole quota of the source credentials, with `[settings] assume_role_rate`.
    pace: Option<Arc<AccountQuota>>,
    generation: AtomicU64,
    /// A poll said the session expired: make the credentials afresh before the next poll of any region.
    pub renew: AtomicBool,
    /// AssumeRole calls made by the session's credential provider.
    pub assume_role_calls: Arc<AtomicU32>,
    /// The HTTP client every profile shares (`clients::shared_http_client`).
    http: SdkConfig,
    /// The caller identity, read once for every region.
    pub identity: Arc<tokio::sync::Mutex<Option<(Instant, Identity)>>>,
}

impl Session {
    /// Makes the profile's credentials (no network call) on `base`, the base config made for it
    /// (`clients::base_config`), possibly shared with other profiles, as are the clients of `pool`.
    pub async fn new(
        profile: &Profile,
        http: &SdkConfig,
        base: SdkConfig,
        pool: Arc<ClientPool>,
        pace: Option<Arc<AccountQuota>>,
    ) -> Self {
        let assume_role_calls = Arc::new(AtomicU32::new(0));
        let auth = with_role(profile, &base, Arc::clone(&assume_role_calls), pace.clone()).await;
        Self {
            http: http.clone(),
            profile: profile.clone(),
            base,
            auth: Mutex::new((0, auth)),
            pool,
            pace,
            generation: AtomicU64::new(0),
            renew: AtomicBool::new(false),
            assume_role_calls,
            identity: Arc::default(),
        }
    }

    /// A session with no config of its own, for clients made elsewhere (the tests' mocks).
    #[cfg(test)]
    pub fn fixed(profile: Profile) -> Self {
        let none = PollError::new(crate::model::ErrorKind::Internal, "no SDK config: the clients were made elsewhere");
        Self {
            http: SdkConfig::builder().build(),
            profile,
            base: SdkConfig::builder().build(),
            auth: Mutex::new((0, Err(none))),
            pool: Arc::default(),
            pace: None,
            generation: AtomicU64::new(0),
            renew: AtomicBool::new(false),
            assume_role_calls: Arc::default(),
            identity: Arc::default(),
        }
    }

    /// The regions to poll: the configured ones, else the one the SDK settled on (`AWS_REGION`, the shared config),
    /// else `?` for a profile that polls as failed for having none.
    pub fn regions(&self) -> Vec<String> {
        if !self.profile.regions.is_empty() {
            return self.profile.regions.clone();
        }
        let ambient = self.base.region().map(|r| r.to_string());
        vec![ambient.unwrap_or_else(|| "?".into())]
    }

    /// Makes the credentials afresh when a poll asked for it (one AssumeRole for every region on the next request),
    /// from a fresh base config: the source credentials may be what expired.
    pub async fn renew_if_asked(&self) {
        if self.renew.swap(false, Ordering::Relaxed) {
            let base = base_config(&self.profile, &self.http).await;
            let calls = Arc::clone(&self.assume_role_calls);
            if let Ok(auth) = with_role(&self.profile, &base, calls, self.pace.clone()).await {
                let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
                *self.auth.lock().unwrap_or_else(|e| e.into_inner()) = (generation, Ok(auth));
            }
        }
    }

    /// The clients of `region` with the current credentials, and the credentials' generation.
    pub fn clients_in(&self, region: &str) -> (u64, Result<ProfileClients, PollError>) {
        let auth = self.auth.lock().unwrap_or_else(|e| e.into_inner());
        let clients = auth.1.as_ref().map_err(Clone::clone).map(|auth| {
            // The base's own region when the profile names none (`?` or the ambient one).
            let region = self.profile.regions.contains(&region.into()).then_some(region);
            self.pool.clients(&self.profile, &self.base, region).with_auth(auth.clone())
        });
        (auth.0, clients)
    }

    /// The generation of the current config.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }
}

/// One region of a profile: its clients, rebuilt when the session's config was.
pub(super) struct RegionClients {
    pub region: String,
    clients: Mutex<(u64, Result<ProfileClients, PollError>)>,
}

impl RegionClients {
    pub fn new(session: &Session, region: String) -> Self {
        let clients = Mutex::new(session.clients_in(&region));
        Self { region, clients }
    }

    /// Ready-made clients (the tests' mocks).
    #[cfg(test)]
    pub fn ready(region: String, clients: ProfileClients) -> Self {
        Self { region, clients: Mutex::new((0, Ok(clients))) }
    }

    /// The clients to poll with, rebuilt first if the session was renewed since they were built.
    pub fn get(&self, session: &Session) -> Result<ProfileClients, PollError> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if clients.0 != session.generation() {
            *clients = session.clients_in(&self.region);
        }
        clients.1.clone()
    }
}

/// The clients every profile shares, one set per base settings ([`base_key`]) and region.
#[derive(Default)]
pub(super) struct ClientPool {
    clients: Mutex<HashMap<(String, Option<String>), ProfileClients>>,
}

impl ClientPool {
    /// The shared clients of `p`'s base settings in `region` (the base's own region when `None`), made from `base`
    /// the first time they are asked for.
    pub fn clients(&self, p: &Profile, base: &SdkConfig, region: Option<&str>) -> ProfileClients {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let key = (base_key(p), region.map(str::to_string));
        clients
            .entry(key)
            .or_insert_with(|| match region {
                Some(r) if base.region().is_none_or(|own| own.as_ref() != r) => {
                    ProfileClients::shared(&base.to_builder().region(Region::new(r.to_string())).build())
                }
                _ => ProfileClients::shared(base),
            })
            .clone()
    }

    /// How many sets of clients were made.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.clients.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}
