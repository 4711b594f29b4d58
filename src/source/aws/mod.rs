//! The AWS data source: the only code that builds SDK clients and credentials.
//!
//! Each profile gets its own `SdkConfig` (region, endpoint, credential chain, optionally an assumed role); all of a
//! profile's clients are built from that one config so they share one credential cache, which the SDK refreshes
//! before the session expires. Credentials are never printed or logged by this code.

mod enrich;
mod errors;
mod limiter;
mod read;
mod state;
mod stats;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use tokio::sync::Semaphore;

pub use read::poll_clients;
pub use state::ProfileState;

use crate::config::{CredentialSource, Profile};
use crate::model::{ProfileMeta, ProfileSnapshot};
use crate::source::{PollRequest, Source};

/// Requests in flight at once across every profile (keeps a 50-account poll polite to the APIs).
pub const GLOBAL_IN_FLIGHT: usize = 64;
/// Attempts per request (the SDK retries throttling and transient errors with exponential backoff).
const MAX_ATTEMPTS: u32 = 3;
/// First retry delay: short, so a refused connection is reported well within the poll timeout.
const INITIAL_BACKOFF: Duration = Duration::from_millis(200);
/// TCP/TLS connect bound; a hung endpoint is cut by the poll timeout instead.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Requests in flight at once inside one profile.
pub const PROFILE_IN_FLIGHT: usize = 4;

/// The SDK clients of one profile, all sharing one credential cache.
#[derive(Debug, Clone)]
pub struct ProfileClients {
    pub sts: aws_sdk_sts::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub codepipeline: aws_sdk_codepipeline::Client,
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    pub events: aws_sdk_eventbridge::Client,
}

impl ProfileClients {
    /// Builds every client from one SDK config.
    pub fn from_config(conf: &SdkConfig) -> Self {
        Self {
            sts: aws_sdk_sts::Client::new(conf),
            ecr: aws_sdk_ecr::Client::new(conf),
            codepipeline: aws_sdk_codepipeline::Client::new(conf),
            cloudtrail: aws_sdk_cloudtrail::Client::new(conf),
            events: aws_sdk_eventbridge::Client::new(conf),
        }
    }
}

/// What to read in a profile besides what its pipelines watch.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Only these pipelines (None: every pipeline of the account).
    pub pipelines: Option<Vec<String>>,
    /// Extra repositories to read.
    pub repositories: Vec<String>,
    /// Read CloudTrail `PutImage` records.
    pub cloudtrail: bool,
    /// Check EventBridge rules.
    pub eventbridge: bool,
    /// The account the credentials must act in (the account of `role_arn`); a poll answered by another account is
    /// a failure, and its data is dropped.
    pub account: Option<String>,
    /// Bound on the enrichment reads (CloudTrail, EventBridge) of one poll, from its start; past it they are
    /// skipped with a warning, so that a slow or hung enrichment API never costs the profile its core data.
    pub enrich_timeout: Option<Duration>,
}

impl Default for Scope {
    fn default() -> Self {
        Self {
            pipelines: None,
            repositories: Vec::new(),
            cloudtrail: true,
            eventbridge: true,
            account: None,
            enrich_timeout: None,
        }
    }
}

/// The share of the poll timeout the enrichment reads may use ([`AwsSource::with_poll_timeout`]).
pub const ENRICH_SHARE: f64 = 0.75;

struct ProfileEntry {
    /// Replaced when the session expired under the SDK's credential cache (see [`AwsSource::poll`]).
    clients: std::sync::Mutex<Result<ProfileClients, String>>,
    /// What the clients were built from (None for ready-made clients).
    profile: Option<Profile>,
    /// The last poll said the session expired: rebuild the clients before the next one.
    renew: std::sync::atomic::AtomicBool,
    scope: Scope,
    state: ProfileState,
}

impl ProfileEntry {
    fn clients(&self) -> Result<ProfileClients, String> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Polls real AWS accounts (or an emulator at `endpoint_url`).
pub struct AwsSource {
    metas: Vec<ProfileMeta>,
    entries: Vec<ProfileEntry>,
    limit: Arc<Semaphore>,
}

impl AwsSource {
    /// Builds clients for every profile. No network call happens here; a profile whose configuration cannot be
    /// turned into clients (no region, say) polls as failed with that reason.
    pub async fn new(profiles: &[Profile]) -> Self {
        let mut metas = Vec::with_capacity(profiles.len());
        let mut entries = Vec::with_capacity(profiles.len());
        for p in profiles {
            let state = ProfileState::default();
            let conf = sdk_config(p, Arc::clone(&state.assume_role_calls)).await;
            let region = match &conf {
                Ok(c) => c.region().map(|r| r.to_string()).unwrap_or_default(),
                Err(_) => p.region.clone().unwrap_or_else(|| "?".into()),
            };
            metas.push(ProfileMeta { name: p.name.clone(), region });
            entries.push(ProfileEntry {
                clients: std::sync::Mutex::new(conf.map(|c| ProfileClients::from_config(&c))),
                profile: Some(p.clone()),
                renew: Default::default(),
                scope: Scope {
                    pipelines: p.pipelines.clone(),
                    repositories: p.repositories.clone(),
                    cloudtrail: p.cloudtrail,
                    eventbridge: p.eventbridge,
                    account: p.role_arn.as_deref().and_then(|arn| arn.split(':').nth(4)).map(str::to_string),
                    enrich_timeout: None,
                },
                state,
            });
        }
        Self { metas, entries, limit: Arc::new(Semaphore::new(GLOBAL_IN_FLIGHT)) }
    }

    /// Bounds every profile's enrichment reads by [`ENRICH_SHARE`] of the poll `timeout`, so that they end (as
    /// warnings) before the poll is cut off and the profile's core data survives a hung CloudTrail or EventBridge.
    pub fn with_poll_timeout(mut self, timeout: Duration) -> Self {
        for e in &mut self.entries {
            e.scope.enrich_timeout = Some(timeout.mul_f64(ENRICH_SHARE));
        }
        self
    }

    /// A source over ready-made clients (tests use mocked clients).
    pub fn from_clients(profiles: Vec<(ProfileMeta, ProfileClients, Scope)>) -> Self {
        let (metas, entries) = profiles
            .into_iter()
            .map(|(m, c, scope)| {
                let clients = std::sync::Mutex::new(Ok(c));
                (
                    m,
                    ProfileEntry {
                        clients,
                        profile: None,
                        renew: Default::default(),
                        scope,
                        state: ProfileState::default(),
                    },
                )
            })
            .unzip();
        Self { metas, entries, limit: Arc::new(Semaphore::new(GLOBAL_IN_FLIGHT)) }
    }
}

impl Source for AwsSource {
    fn profiles(&self) -> &[ProfileMeta] {
        &self.metas
    }

    async fn poll(&self, index: usize, req: PollRequest) -> ProfileSnapshot {
        let Some(entry) = self.entries.get(index) else {
            return ProfileSnapshot::failed(format!("no profile #{index}"));
        };
        // The SDK's credential cache keeps a session until the expiry it was given, even when AWS said it expired
        // sooner (revoked, clock skew): after such a poll, start afresh so that this poll assumes the role again.
        if entry.renew.swap(false, Ordering::Relaxed)
            && let Some(p) = &entry.profile
            && let Ok(conf) = sdk_config(p, Arc::clone(&entry.state.assume_role_calls)).await
        {
            *entry.clients.lock().unwrap_or_else(|e| e.into_inner()) = Ok(ProfileClients::from_config(&conf));
        }
        let clients = match entry.clients() {
            Ok(clients) => clients,
            Err(e) => return ProfileSnapshot::failed(e),
        };
        let snapshot = poll_clients(&clients, &entry.scope, &entry.state, req, &self.limit).await;
        if snapshot.errors.iter().any(|e| errors::is_expired_session(e)) {
            entry.renew.store(true, Ordering::Relaxed);
        }
        snapshot
    }
}

/// Builds the SDK config of one profile: region, endpoint, source credentials and the assumed role.
async fn sdk_config(p: &Profile, assume_role_calls: Arc<AtomicU32>) -> Result<SdkConfig, String> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS).with_initial_backoff(INITIAL_BACKOFF))
        .timeout_config(TimeoutConfig::builder().connect_timeout(CONNECT_TIMEOUT).build());
    if let Some(r) = &p.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(url) = &p.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(name) = &p.aws_profile {
        // Name the shared-config profile explicitly: in the default chain, environment keys would win over it.
        loader = loader.profile_name(name);
        let pc = ProviderConfig::default().with_region(p.region.clone().map(Region::new));
        loader = loader
            .credentials_provider(ProfileFileCredentialsProvider::builder().configure(&pc).profile_name(name).build());
    }
    match p.credential_source {
        Some(CredentialSource::Environment) => {
            loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
        }
        Some(CredentialSource::EcsContainer) => {
            loader = loader.credentials_provider(aws_config::ecs::EcsCredentialsProvider::builder().build());
        }
        Some(CredentialSource::Ec2InstanceMetadata) => {
            loader =
                loader.credentials_provider(aws_config::imds::credentials::ImdsCredentialsProvider::builder().build());
        }
        None => {}
    }
    let base = loader.load().await;
    if base.region().is_none() {
        return Err(format!(
            "no region for profile `{}`: set `region` in its table or in [settings], or AWS_REGION",
            p.name
        ));
    }
    let Some(arn) = &p.role_arn else { return Ok(base) };
    let mut builder = AssumeRoleProvider::builder(arn).session_name(&p.role_session_name).configure(&base);
    if let Some(id) = &p.external_id {
        builder = builder.external_id(id);
    }
    if let Some(d) = p.duration {
        builder = builder.session_length(d);
    }
    let provider = Counting { inner: builder.build().await, calls: assume_role_calls };
    Ok(base.into_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build())
}

/// A credentials provider that counts how often it is asked (the SDK's cache asks once per session), for `--stats`.
#[derive(Debug)]
struct Counting<P> {
    inner: P,
    calls: Arc<AtomicU32>,
}

impl<P: ProvideCredentials> ProvideCredentials for Counting<P> {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.provide_credentials()
    }
}
