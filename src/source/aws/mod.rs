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
pub const GLOBAL_IN_FLIGHT: usize = 32;
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
}

impl Default for Scope {
    fn default() -> Self {
        Self { pipelines: None, repositories: Vec::new(), cloudtrail: true, eventbridge: true }
    }
}

struct ProfileEntry {
    clients: Result<ProfileClients, String>,
    scope: Scope,
    state: ProfileState,
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
                clients: conf.map(|c| ProfileClients::from_config(&c)),
                scope: Scope {
                    pipelines: p.pipelines.clone(),
                    repositories: p.repositories.clone(),
                    cloudtrail: p.cloudtrail,
                    eventbridge: p.eventbridge,
                },
                state,
            });
        }
        Self { metas, entries, limit: Arc::new(Semaphore::new(GLOBAL_IN_FLIGHT)) }
    }

    /// A source over ready-made clients (tests use mocked clients).
    pub fn from_clients(profiles: Vec<(ProfileMeta, ProfileClients, Scope)>) -> Self {
        let (metas, entries) = profiles
            .into_iter()
            .map(|(m, c, scope)| (m, ProfileEntry { clients: Ok(c), scope, state: ProfileState::default() }))
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
        match &entry.clients {
            Ok(clients) => poll_clients(clients, &entry.scope, &entry.state, req, &self.limit).await,
            Err(e) => ProfileSnapshot::failed(e.clone()),
        }
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
