//! One profile's session shared by the regions it polls: the role is assumed once and the caller identity read
//! once for the account, and each region gets its own clients built from that one SDK config.
//!
//! Why per (profile, region) everywhere else: pipelines, pushes, rules and CloudTrail records belong to a region,
//! so the source serves one [`crate::model::ProfileMeta`] per region of a profile (the same name, each with its
//! region) and everything keyed by that index (the poller, each snapshot, the analysis's correlation and diagnosis,
//! the dashboard's feeds, the CloudTrail pacing per account and region) stays within one region without knowing
//! about regions. Only what belongs to the account is shared here: the credentials and the identity.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_config::{Region, SdkConfig};
use tokio::time::Instant;

use super::clients::{ProfileClients, sdk_config, with_role};
use crate::config::Profile;
use crate::model::{Identity, PollError};

/// What the regions of one profile share.
pub(super) struct Session {
    /// What the config is built from.
    pub profile: Profile,
    /// The SDK config with the role assumed on top (its credential cache is shared by every region's clients), and
    /// how many times it was built: a region's clients built from an older one are rebuilt.
    config: Mutex<(u64, Result<SdkConfig, PollError>)>,
    generation: AtomicU64,
    /// A poll said the session expired: rebuild the config before the next poll of any region.
    pub renew: AtomicBool,
    /// AssumeRole calls made by the session's credential provider.
    pub assume_role_calls: Arc<AtomicU32>,
    /// The HTTP client every profile shares (`clients::shared_http_client`).
    http: SdkConfig,
    /// The caller identity, read once for every region.
    pub identity: Arc<tokio::sync::Mutex<Option<(Instant, Identity)>>>,
}

impl Session {
    /// Builds the profile's SDK config (no network call) on `base`, the base config made for it (`clients::base_config`),
    /// possibly shared with other profiles.
    pub async fn new(profile: &Profile, http: &SdkConfig, base: SdkConfig) -> Self {
        let assume_role_calls = Arc::new(AtomicU32::new(0));
        let conf = with_role(profile, base, Arc::clone(&assume_role_calls)).await;
        Self {
            http: http.clone(),
            profile: profile.clone(),
            config: Mutex::new((0, conf)),
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
            config: Mutex::new((0, Err(none))),
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
        let config = self.config.lock().unwrap_or_else(|e| e.into_inner());
        let ambient = config.1.as_ref().ok().and_then(|c| c.region()).map(|r| r.to_string());
        vec![ambient.unwrap_or_else(|| "?".into())]
    }

    /// Rebuilds the config when a poll asked for it (one AssumeRole for every region on the next request).
    pub async fn renew_if_asked(&self) {
        if self.renew.swap(false, Ordering::Relaxed)
            && let Ok(conf) = sdk_config(&self.profile, &self.http, Arc::clone(&self.assume_role_calls)).await
        {
            let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
            *self.config.lock().unwrap_or_else(|e| e.into_inner()) = (generation, Ok(conf));
        }
    }

    /// The clients of `region` from the current config, and the config's generation.
    pub fn clients_in(&self, region: &str) -> (u64, Result<ProfileClients, PollError>) {
        let config = self.config.lock().unwrap_or_else(|e| e.into_inner());
        let clients = config.1.as_ref().map_err(Clone::clone).map(|conf| {
            if conf.region().is_some_and(|r| r.as_ref() == region) || !self.profile.regions.contains(&region.into()) {
                ProfileClients::from_config(conf)
            } else {
                ProfileClients::from_config(&conf.to_builder().region(Region::new(region.to_string())).build())
            }
        });
        (config.0, clients)
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
