//! A profile's credentials: the role it assumes (else its source credentials) with a cache of its own, put on each
//! request it makes through the clients it shares with other profiles (`clients`); and the AssumeRole quota of its
//! source credentials (`[settings] assume_role_rate`), whose turn a poll waits for before its timeout starts.
//!
//! Why a setting and not a built-in rate: AWS throttles STS calls per account ("Throttling: Rate exceeded", a limit
//! that "can't be increased", <https://repost.aws/knowledge-center/iam-sts-throttling-error>) but publishes no rate
//! for AssumeRole, and every profile assumes its role from the one source account.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_config::identity::IdentityCache;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use aws_sdk_sts::config::SharedIdentityCache;

use super::quota::{AccountQuota, Rate};
use crate::config::Profile;
use crate::model::{ErrorKind, PollError};

/// The API name of the AssumeRole quota.
const ASSUME_ROLE: &str = "sts:AssumeRole";
/// How long before a session expires a poll starting then counts on renewing it: the SDK's cache renews a session
/// seconds before it expires, and a poll lasts at most its timeout (10 s by default).
const RENEWAL_AHEAD: Duration = Duration::from_secs(5 * 60);

/// One profile's credentials, put on each of its requests: the provider (the assumed role's, else the base
/// credentials') and a cache of the profile's own; and the role's [`Turn`] in the AssumeRole quota when it is paced.
/// Empty for clients that carry their own credentials (the doctor's, the tests' mocks).
#[derive(Debug, Clone, Default)]
pub(super) struct Auth {
    signing: Option<(SharedCredentialsProvider, SharedIdentityCache)>,
    turn: Option<Arc<Turn>>,
}

impl Auth {
    /// Waits for the role's turn in the AssumeRole quota when the next request will assume it (the first, or the
    /// session is about to expire), so that the wait is over before the poll's timeout starts; at once when the
    /// role is not paced, or there is no role.
    pub async fn take_turn_ahead(&self) {
        if let Some(turn) = &self.turn {
            turn.take_ahead().await;
        }
    }
}

/// A service config override that signs with the profile's credentials. `set_credentials_provider` keeps the
/// provider's cache partition (`credentials_provider` would make a new one per request, and so a cache miss, and so
/// an AssumeRole, per request).
macro_rules! auth_override {
    ($($service:ident),*) => {$(
        impl From<&Auth> for $service::config::Builder {
            fn from(auth: &Auth) -> Self {
                let mut builder = $service::config::Builder::default();
                if let Some((provider, cache)) = &auth.signing {
                    builder.set_credentials_provider(Some(provider.clone()));
                    builder.set_identity_cache(cache.clone());
                }
                builder
            }
        }
    )*};
}
auth_override!(
    aws_sdk_sts,
    aws_sdk_ecr,
    aws_sdk_codepipeline,
    aws_sdk_cloudtrail,
    aws_sdk_eventbridge,
    aws_sdk_iam,
    aws_sdk_cloudwatch
);

/// The profile's credentials over `base`: its role assumed with the base credentials when it names one, else the
/// base credentials themselves; either way with a cache of the profile's own (the base config may be shared by many
/// profiles, and the SDK's cache holds 64 credential sources at most, evicting, and so assuming again, beyond that).
/// No network call happens here. With `pace` (`[settings] assume_role_rate`, one quota per set of source
/// credentials), each AssumeRole takes a turn in it.
pub(super) async fn with_role(
    p: &Profile,
    base: &SdkConfig,
    assume_role_calls: Arc<AtomicU32>,
    pace: Option<Arc<AccountQuota>>,
) -> Result<Auth, PollError> {
    if base.region().is_none() {
        return Err(PollError::new(
            ErrorKind::Misconfigured,
            format!(
                "no region for profile `{}`: set `region` (or `regions`) in its table or in [settings], or AWS_REGION",
                p.name
            ),
        ));
    }
    let Some(arn) = &p.role_arn else {
        let provider = base.credentials_provider().ok_or_else(|| {
            PollError::new(ErrorKind::NoCredentials, format!("no credential provider for profile `{}`", p.name))
        })?;
        return Ok(Auth { signing: Some((provider, IdentityCache::lazy().build())), turn: None });
    };
    let mut builder = AssumeRoleProvider::builder(arn).session_name(&p.role_session_name).configure(base);
    if let Some(id) = &p.external_id {
        builder = builder.external_id(id);
    }
    if let Some(d) = p.duration {
        builder = builder.session_length(d);
    }
    let turn = pace.map(|pace| Arc::new(Turn::new(pace)));
    let provider = Assuming { inner: builder.build().await, calls: assume_role_calls, turn: turn.clone() };
    Ok(Auth { signing: Some((SharedCredentialsProvider::new(provider), IdentityCache::lazy().build())), turn })
}

/// The quota of AssumeRole calls `rate` a second (bursts of as many, at least one) sets for each set of source
/// credentials.
pub(super) fn assume_role_pace(rate: f64) -> Arc<AccountQuota> {
    Arc::new(AccountQuota::new(Rate { per_second: rate, burst: rate.max(1.0) }))
}

/// A role's turns in the AssumeRole quota of its source credentials: one per AssumeRole, taken ahead of the poll
/// that will assume it, else (a renewal nobody saw coming) right before the call.
#[derive(Debug)]
pub(super) struct Turn {
    pace: Arc<AccountQuota>,
    /// A turn taken ahead and not yet spent by an AssumeRole.
    taken: tokio::sync::Mutex<bool>,
    /// When the session last issued expires; `None` before the first.
    expires: Mutex<Option<SystemTime>>,
}

impl Turn {
    fn new(pace: Arc<AccountQuota>) -> Self {
        Self { pace, taken: tokio::sync::Mutex::new(false), expires: Mutex::new(None) }
    }

    /// Whether a poll starting now will assume the role.
    fn due(&self) -> bool {
        self.expires.lock().unwrap_or_else(|e| e.into_inner()).is_none_or(|at| at <= SystemTime::now() + RENEWAL_AHEAD)
    }

    async fn take_ahead(&self) {
        let mut taken = self.taken.lock().await;
        if !*taken && self.due() {
            self.pace.take(ASSUME_ROLE).await;
            *taken = true;
        }
    }

    /// Spends the turn taken ahead, else waits for one.
    async fn spend(&self) {
        let mut taken = self.taken.lock().await;
        if !std::mem::take(&mut *taken) {
            self.pace.take(ASSUME_ROLE).await;
        }
    }

    /// A session was issued, expiring at `expiry` (never, for `None`).
    fn issued(&self, expiry: Option<SystemTime>) {
        let never = SystemTime::now() + Duration::from_secs(365 * 24 * 3600);
        *self.expires.lock().unwrap_or_else(|e| e.into_inner()) = Some(expiry.unwrap_or(never));
    }
}

/// The assumed role's credentials provider: counts how often it is asked (the SDK's cache asks once per session),
/// for `--stats`, and spends a turn in the AssumeRole quota per call when the role is paced.
#[derive(Debug)]
struct Assuming<P> {
    inner: P,
    calls: Arc<AtomicU32>,
    turn: Option<Arc<Turn>>,
}

impl<P: ProvideCredentials> ProvideCredentials for Assuming<P> {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.calls.fetch_add(1, Ordering::Relaxed);
        future::ProvideCredentials::new(async move {
            let Some(turn) = &self.turn else { return self.inner.provide_credentials().await };
            turn.spend().await;
            let issued = self.inner.provide_credentials().await;
            if let Ok(credentials) = &issued {
                turn.issued(credentials.expiry());
            }
            issued
        })
    }
}
