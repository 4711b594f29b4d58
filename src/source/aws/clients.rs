//! The SDK clients a profile calls AWS with, and what they are built from: region, endpoint, source credentials,
//! the assumed role, retries and timeouts.
//!
//! The clients themselves are shared by every profile with the same base settings in a region ([`base_key`]) and
//! hold no credentials; each request carries its profile's [`Auth`] (`customize().config_override(..)`): the
//! profile's credential provider and its own cache, which the SDK refreshes before the session expires. A client
//! holds its own runtime plugins and config layers (~28 KB): sharing them instead of making a set per profile and
//! region saved 53 MiB at 500 profiles (BENCHMARKS.md, "Organization scale"). Credentials are never printed or
//! logged by this code.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, Region, SdkConfig};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::{Builder, ConnectorBuilder, tls};

use super::credentials::Auth;
use crate::config::{CredentialSource, Profile};

/// TCP/TLS connect bound; a hung endpoint is cut by the poll timeout instead.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The SDK clients one profile polls a region with: clients shared with the other profiles of its base settings and
/// region (`session::ClientPool`), and the profile's [`Auth`], which every request must carry
/// (`.customize().config_override(p.clients.auth())`; a request without it fails for want of credentials, since the
/// shared clients have none). The clients of the explain step are made on first use: most profiles have nothing to
/// explain most of the time.
#[derive(Debug, Clone)]
pub(super) struct ProfileClients {
    pub sts: aws_sdk_sts::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub codepipeline: aws_sdk_codepipeline::Client,
    explain: Arc<LazyExplain>,
    auth: Auth,
}

/// The explain step's clients, made from `conf` when first asked for.
#[derive(Debug)]
struct LazyExplain {
    conf: SdkConfig,
    clients: OnceLock<ExplainClients>,
}

/// The clients only the explain step calls.
#[derive(Debug, Clone)]
pub(super) struct ExplainClients {
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    pub events: aws_sdk_eventbridge::Client,
    /// IAM's policy simulator (a global service: the SDK resolves the partition's endpoint from the region).
    pub iam: aws_sdk_iam::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
}

impl ExplainClients {
    fn from_config(conf: &SdkConfig) -> Self {
        Self {
            cloudtrail: aws_sdk_cloudtrail::Client::new(conf),
            events: aws_sdk_eventbridge::Client::new(conf),
            iam: aws_sdk_iam::Client::new(conf),
            cloudwatch: aws_sdk_cloudwatch::Client::new(conf),
        }
    }
}

impl ProfileClients {
    /// The core clients from one SDK config, and the explain step's to be made from it when first used; they sign
    /// with the config's credentials.
    pub fn from_config(conf: &SdkConfig) -> Self {
        Self {
            sts: aws_sdk_sts::Client::new(conf),
            ecr: aws_sdk_ecr::Client::new(conf),
            codepipeline: aws_sdk_codepipeline::Client::new(conf),
            explain: Arc::new(LazyExplain { conf: conf.clone(), clients: OnceLock::new() }),
            auth: Auth::default(),
        }
    }

    /// Clients to share between profiles: those of `conf` without its credentials, so that a request that does not
    /// carry a profile's [`Auth`] fails instead of signing as the base identity.
    pub fn shared(conf: &SdkConfig) -> Self {
        let mut without = conf.to_builder();
        without.set_credentials_provider(None);
        Self::from_config(&without.build())
    }

    /// The same clients, signing with `auth`.
    pub fn with_auth(self, auth: Auth) -> Self {
        Self { auth, ..self }
    }

    /// What each request puts on top of the clients' config: the profile's credentials.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// Clients made elsewhere (the doctor's, with its interceptor; the tests' mocks).
    pub fn ready(
        sts: aws_sdk_sts::Client,
        ecr: aws_sdk_ecr::Client,
        codepipeline: aws_sdk_codepipeline::Client,
        explain: ExplainClients,
    ) -> Self {
        let lazy = LazyExplain { conf: SdkConfig::builder().build(), clients: OnceLock::from(explain) };
        Self { sts, ecr, codepipeline, explain: Arc::new(lazy), auth: Auth::default() }
    }

    /// The explain step's clients, made now if they were not yet.
    pub fn explain(&self) -> &ExplainClients {
        self.explain.clients.get_or_init(|| ExplainClients::from_config(&self.explain.conf))
    }

    /// The region the clients call (empty when none is set).
    pub fn region(&self) -> String {
        self.codepipeline.config().region().map(|r| r.to_string()).unwrap_or_default()
    }
}

/// The SDK's default HTTPS client (rustls with aws-lc, proxies from the environment), made once for every profile:
/// left to the SDK, each service client of each profile builds its own connection pool and TLS setup, which costs
/// about a megabyte and a millisecond of CPU per profile (BENCHMARKS.md, "Organization scale"). Handed out in an
/// otherwise empty `SdkConfig` (its `http_client()`).
pub(super) fn shared_http_client() -> SdkConfig {
    let http = Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    });
    SdkConfig::builder().http_client(http).build()
}

/// The base config of `p` ([`base_loader`]) over the HTTP client of `http`.
pub(super) async fn base_config(p: &Profile, http: &SdkConfig) -> SdkConfig {
    let mut loader = base_loader(p);
    if let Some(client) = http.http_client() {
        loader = loader.http_client(client);
    }
    loader.load().await
}

/// What [`base_loader`] makes a base config of: profiles that agree on it can share one, and with it one chain of
/// source-credential providers (an organization's profiles usually all assume their roles from the same ones).
/// Loading the default chain builds a dozen providers and some clients (web identity's STS client, for one); built
/// once per profile, they held memory by the profile (BENCHMARKS.md, "Organization scale", measures both ways).
pub(super) fn base_key(p: &Profile) -> String {
    format!("{:?}|{:?}|{:?}|{:?}", p.region(), p.endpoint_url, p.aws_profile, p.credential_source)
}

/// The loader of the base config: region, endpoint, retries, timeouts and the source credentials.
pub(super) fn base_loader(p: &Profile) -> ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        // The SDK's standard mode as it comes: 3 attempts, exponential backoff with jitter from 1 s, throttling and
        // transient errors retried (RELIABILITY.md has the fault cases measured with it).
        .retry_config(RetryConfig::standard())
        .timeout_config(TimeoutConfig::builder().connect_timeout(CONNECT_TIMEOUT).build());
    if let Some(r) = p.region() {
        loader = loader.region(Region::new(r.to_string()));
    }
    if let Some(url) = &p.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(name) = &p.aws_profile {
        // Name the shared-config profile explicitly: in the default chain, environment keys would win over it.
        loader = loader.profile_name(name);
        let pc = ProviderConfig::default().with_region(p.region().map(|r| Region::new(r.to_string())));
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
    loader
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_explain_steps_clients_are_made_on_first_use_and_kept() {
        let conf =
            SdkConfig::builder().behavior_version(BehaviorVersion::latest()).region(Region::new("eu-west-1")).build();
        let clients = ProfileClients::from_config(&conf);
        assert!(clients.explain.clients.get().is_none(), "not made with the core clients");
        let copy = clients.clone();
        let region = clients.explain().events.config().region().map(|r| r.to_string());
        assert!(copy.explain.clients.get().is_some(), "made once, for every copy of the profile's clients");
        assert_eq!(region.as_deref(), Some("eu-west-1"), "from the profile's config");
    }

    #[test]
    fn profiles_agreeing_on_their_source_settings_share_a_base_key() {
        let profile = |region: &str, aws_profile: Option<&str>| Profile {
            name: "p".into(),
            role_arn: Some("arn:aws:iam::111111111111:role/r".into()),
            external_id: None,
            role_session_name: "pipewatch".into(),
            duration: None,
            credential_source: None,
            aws_profile: aws_profile.map(str::to_string),
            regions: vec![region.into()],
            endpoint_url: None,
            repositories: Vec::new(),
            pipelines: None,
            cloudtrail: true,
            eventbridge: true,
        };
        let a = profile("eu-west-1", None);
        let b = Profile { name: "q".into(), role_arn: Some("arn:aws:iam::222222222222:role/r".into()), ..a.clone() };
        assert_eq!(base_key(&a), base_key(&b), "another role on the same source: one base");
        assert_ne!(base_key(&a), base_key(&profile("us-east-1", None)));
        assert_ne!(base_key(&a), base_key(&profile("eu-west-1", Some("ci"))));
    }
}
