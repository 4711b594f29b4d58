//! `pipewatch doctor` against AWS: for each profile, in the order a person debugs it, where the settings came from,
//! the base credentials and who they are (checked once for the profiles sharing them), AssumeRole (its error
//! explained), the role's identity, the clock against AWS's `Date`, then one minimal read per API of
//! [`apis::APIS`]. Every step is bounded by the timeout; a failed step skips what depends on it. Credentials are
//! never written anywhere: only who they are.

pub(super) mod apis;
pub(super) mod witness;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::credential_feature::AwsCredentialFeature;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_sts::error::ProvideErrorMetadata;
use tokio::sync::OnceCell;

use self::apis::{APIS, Needs, Targets};
use self::witness::Witness;
use super::clients::{ExplainClients, ProfileClients, base_config, base_key, shared_http_client};
use super::credentials::assume_role_pace;
use super::errors::poll_error;
use super::partition;
use super::quota::AccountQuota;
use crate::config::{Config, Profile};
use crate::doctor::explain::{self, RoleAttempt};
use crate::doctor::{Check, ProfileCheckup, Status, Step, settings};
use crate::model::{ErrorKind, PollError};

/// The IAM actions doctor reads with one probe each (every API of a poll but `sts:GetCallerIdentity`, which is the
/// identity step), in order.
pub fn checked_actions() -> Vec<&'static str> {
    APIS.iter().map(|a| a.action).collect()
}

/// The statement `Sid` of `assets/iam-readonly-policy.json` that allows `action`, when doctor checks it.
pub fn statement_sid(action: &str) -> Option<&'static str> {
    APIS.iter().find(|a| a.action == action).map(|a| a.sid)
}

/// Runs every check of every profile of `config` (concurrently; results in profile order), in each region a
/// profile polls: a checkup per region, since each region has its own endpoints (STS's too) and its own answers.
/// `timeout` bounds each step; `timeout_flag` says whether it came from `--timeout`.
pub async fn check(config: &Config, timeout: Duration, timeout_flag: bool) -> Vec<ProfileCheckup> {
    let env = |name: &str| std::env::var(name).ok();
    let regional: Vec<Profile> = config.profiles.iter().flat_map(per_region).collect();
    // The profiles that share their source credentials check them once (an organization's 500 profiles would
    // otherwise send 500 GetCallerIdentity calls to the source account at once), and `[settings]
    // assume_role_rate` paces their AssumeRole calls as it paces the polls'.
    let mut shared: HashMap<String, PerSource> = HashMap::new();
    // One HTTP client for every checkup, as for the polls: left to the SDK, each client of each checkup builds its
    // own TLS setup with its own copy of the root certificates (heaptrack, 500 profiles: 214 MB of them at the peak).
    let http = shared_http_client();
    let runs = regional.iter().map(|p| {
        let (base, pace) = shared
            .entry(base_key(p))
            .or_insert_with(|| (Arc::default(), config.settings.assume_role_rate.map(assume_role_pace)))
            .clone();
        profile(config, p, Checkup { timeout, timeout_flag, http: http.clone(), base, pace }, &env)
    });
    futures::future::join_all(runs).await
}

/// The profile once per region it polls (each with that one region), or as it is when it polls one or none.
fn per_region(p: &Profile) -> Vec<Profile> {
    if p.regions.len() < 2 {
        return vec![p.clone()];
    }
    p.regions.iter().map(|r| Profile { regions: vec![r.clone()], ..p.clone() }).collect()
}

/// The clients the base credentials are checked with: STS only.
struct BaseClients {
    sts: aws_sdk_sts::Client,
}

/// The doctor's STS client of one SDK config, reporting to `witness`.
fn base_clients(conf: &SdkConfig, witness: &Witness) -> BaseClients {
    let sts =
        aws_sdk_sts::Client::from_conf(aws_sdk_sts::config::Builder::from(conf).interceptor(witness.clone()).build());
    BaseClients { sts }
}

/// The doctor's clients of one SDK config, each reporting to `witness`.
fn clients(conf: &SdkConfig, witness: &Witness) -> ProfileClients {
    let explain = ExplainClients {
        cloudtrail: aws_sdk_cloudtrail::Client::from_conf(
            aws_sdk_cloudtrail::config::Builder::from(conf).interceptor(witness.clone()).build(),
        ),
        events: aws_sdk_eventbridge::Client::from_conf(
            aws_sdk_eventbridge::config::Builder::from(conf).interceptor(witness.clone()).build(),
        ),
        iam: aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(conf).interceptor(witness.clone()).build(),
        ),
        cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
            aws_sdk_cloudwatch::config::Builder::from(conf).interceptor(witness.clone()).build(),
        ),
    };
    ProfileClients::ready(
        base_clients(conf, witness).sts,
        aws_sdk_ecr::Client::from_conf(aws_sdk_ecr::config::Builder::from(conf).interceptor(witness.clone()).build()),
        aws_sdk_codepipeline::Client::from_conf(
            aws_sdk_codepipeline::config::Builder::from(conf).interceptor(witness.clone()).build(),
        ),
        explain,
    )
}

/// A failed call as a check: unreachable (naming the endpoint), denied, or failed.
fn failure(step: Step, name: &str, e: &PollError, witness: &Witness) -> Check {
    let status = match e.kind {
        ErrorKind::Transport | ErrorKind::TimedOut => Status::Unreachable,
        ErrorKind::AccessDenied => Status::Denied,
        _ => Status::Failed,
    };
    let mut c = Check::new(step, name, status, e.message.clone());
    if status == Status::Unreachable {
        c.endpoint = witness.endpoint();
        c = c.with_fix("check endpoint_url, the network and any proxy (HTTPS_PROXY) between here and AWS");
    }
    c
}

/// `f` within `timeout`, else a timed-out failure of `api`.
async fn bounded<T>(
    timeout: Duration,
    api: &str,
    f: impl Future<Output = Result<T, PollError>>,
) -> Result<T, PollError> {
    tokio::time::timeout(timeout, f).await.unwrap_or_else(|_| {
        Err(PollError::of_call(
            api,
            ErrorKind::TimedOut,
            format!("no answer within {} (the timeout)", humantime::format_duration(timeout)),
        ))
    })
}

/// The remaining steps, skipped because of `why`.
fn skip_rest(out: &mut ProfileCheckup, why: &str) {
    out.checks.push(Check::new(Step::Api, "remaining checks", Status::Skipped, format!("skipped: {why}")));
}

/// Where the base credentials came from, from what the SDK says of them.
fn source_of(creds: &Credentials) -> String {
    let features = creds.get_property::<Vec<AwsCredentialFeature>>().cloned().unwrap_or_default();
    let names: Vec<&str> = features
        .iter()
        .map(|f| match f {
            AwsCredentialFeature::CredentialsEnvVars => "environment variables",
            AwsCredentialFeature::CredentialsProfile => "a shared config profile",
            AwsCredentialFeature::CredentialsProfileSourceProfile => "a source_profile",
            AwsCredentialFeature::CredentialsStsAssumeRole => "an assumed role",
            AwsCredentialFeature::CredentialsProfileSso | AwsCredentialFeature::CredentialsSso => {
                "IAM Identity Center (SSO)"
            }
            AwsCredentialFeature::CredentialsProfileProcess | AwsCredentialFeature::CredentialsProcess => {
                "credential_process"
            }
            AwsCredentialFeature::CredentialsHttp => "the container credentials endpoint",
            AwsCredentialFeature::CredentialsImds => "the EC2 instance metadata service",
            AwsCredentialFeature::CredentialsEnvVarsStsWebIdToken
            | AwsCredentialFeature::CredentialsProfileStsWebIdToken
            | AwsCredentialFeature::CredentialsStsAssumeRoleWebId => "a web identity token",
            _ => "",
        })
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() { "the configured provider".into() } else { names.join(" via ") }
}

/// How one checkup runs: the bound on each step, whether it came from `--timeout`, the check of the profile's source
/// credentials (made by the first checkup that needs it, shared by the others), and their AssumeRole quota (with
/// `[settings] assume_role_rate`).
struct Checkup {
    timeout: Duration,
    timeout_flag: bool,
    /// The HTTP client every checkup shares (`clients::shared_http_client`).
    http: SdkConfig,
    base: Arc<OnceCell<BaseCheck>>,
    pace: Option<Arc<AccountQuota>>,
}

/// What the checkups of the profiles sharing one set of source credentials share: its check and AssumeRole quota.
type PerSource = (Arc<OnceCell<BaseCheck>>, Option<Arc<AccountQuota>>);

/// What the checkups of the profiles sharing one set of source credentials learn once: the base config, and the
/// credentials check (where they come from and who they sign as, or the failed check and why the rest is skipped).
struct BaseCheck {
    base: SdkConfig,
    outcome: Result<(Check, String), (Check, &'static str)>,
}

/// Loads the base config of `p` over the HTTP client of `http` and, when it has a region, checks its credentials:
/// they load, and GetCallerIdentity answers.
async fn base_check(p: &Profile, http: &SdkConfig, timeout: Duration) -> BaseCheck {
    let base = base_config(p, http).await;
    if base.region().is_none() {
        let check = Check::new(Step::Credentials, "credentials", Status::Skipped, "no region");
        return BaseCheck { base, outcome: Err((check, "the profile has no region")) };
    }
    let Some(provider) = base.credentials_provider() else {
        let check = Check::new(Step::Credentials, "credentials", Status::Failed, "no credential provider");
        return BaseCheck { base, outcome: Err((check, "no credentials")) };
    };
    let creds = bounded(timeout, "credentials", async {
        provider
            .provide_credentials()
            .await
            .map_err(|e| PollError::new(ErrorKind::NoCredentials, format!("could not get credentials: {e}")))
    })
    .await;
    let creds = match creds {
        Ok(c) => c,
        Err(e) => {
            let fix = "see the credentials setting above: export AWS_PROFILE or keys, run aws sso login, or set \
                       credential_source / aws_profile in the profile";
            let check = Check::new(Step::Credentials, "credentials", Status::Failed, e.message).with_fix(fix);
            return BaseCheck { base, outcome: Err((check, "no base credentials")) };
        }
    };
    let source = source_of(&creds);
    drop(creds);
    let witness = Witness::default();
    let base_clients = base_clients(&base, &witness);
    let caller = bounded(timeout, "sts:GetCallerIdentity", async {
        base_clients.sts.get_caller_identity().send().await.map_err(|e| poll_error("sts:GetCallerIdentity", &e))
    })
    .await;
    let outcome = match caller {
        Ok(id) => {
            let caller = id.arn().unwrap_or_default().to_string();
            let detail = format!("from {source}, signing as {caller}");
            Ok((Check::new(Step::Credentials, "credentials", Status::Ok, detail), caller))
        }
        Err(e) => {
            let mut c = failure(Step::Credentials, "sts:GetCallerIdentity", &e, &witness);
            c.detail = format!("credentials from {source}; {}", c.detail);
            Err((c, "the base credentials do not work"))
        }
    };
    BaseCheck { base, outcome }
}

async fn profile(
    config: &Config,
    p: &Profile,
    Checkup { timeout, timeout_flag, http, base, pace }: Checkup,
    env: &dyn Fn(&str) -> Option<String>,
) -> ProfileCheckup {
    let checked = base.get_or_init(|| base_check(p, &http, timeout)).await;
    let base = checked.base.clone();
    let region = base.region().map(|r| r.to_string());
    let mut out =
        ProfileCheckup { name: p.name.clone(), region: region.clone().unwrap_or_else(|| "?".into()), checks: vec![] };
    let mut config_check = Check::new(Step::Config, "config", Status::Ok, "");
    config_check.settings = settings::of_profile(config, p, env, region.as_deref(), timeout_flag);
    let Some(region) = region else {
        config_check.status = Status::Failed;
        config_check.detail = "no region".into();
        config_check =
            config_check.with_fix(format!("set region in [profiles.{}] or [settings], or export AWS_REGION", p.name));
        out.checks.push(config_check);
        skip_rest(&mut out, "the profile has no region");
        return out;
    };
    out.checks.push(config_check);
    let witness = Witness::default();

    // The base credentials, and who they are (checked once for every profile that shares them).
    let caller = match &checked.outcome {
        Ok((check, caller)) => {
            out.checks.push(check.clone());
            caller.clone()
        }
        Err((check, why)) => {
            out.checks.push(check.clone());
            skip_rest(&mut out, why);
            return out;
        }
    };

    // The role, once its turn in the AssumeRole quota came.
    if let (Some(_), Some(pace)) = (&p.role_arn, &pace) {
        pace.take("sts:AssumeRole").await;
    }
    let role_conf = match &p.role_arn {
        None => base.clone(),
        Some(arn) => {
            match assume(p, arn, &base_clients(&base, &witness), &caller, &region, timeout, &witness, &mut out).await {
                Some(credentials) => {
                    base.to_builder().credentials_provider(SharedCredentialsProvider::new(credentials)).build()
                }
                None => return out,
            }
        }
    };

    // Who the profile's credentials are, and the clock.
    let clients = clients(&role_conf, &witness);
    witness.clear();
    let identity = bounded(timeout, "sts:GetCallerIdentity", async {
        clients.sts.get_caller_identity().send().await.map_err(|e| poll_error("sts:GetCallerIdentity", &e))
    })
    .await;
    let identity = match identity {
        Ok(id) => id,
        Err(e) => {
            out.checks.push(failure(Step::Identity, "sts:GetCallerIdentity", &e, &witness));
            skip_rest(&mut out, "the identity could not be read");
            return out;
        }
    };
    let account = identity.account().unwrap_or_default().to_string();
    let arn = identity.arn().unwrap_or_default().to_string();
    let expected = p.role_arn.as_deref().map(explain::account_of);
    match expected {
        Some(want) if want != account => {
            out.checks.push(
                Check::new(
                    Step::Identity,
                    "sts:GetCallerIdentity",
                    Status::Failed,
                    format!("{arn} acts in account {account}, not in the role's account {want}"),
                )
                .with_fix("check role_arn: the credentials must act in the account of the role"),
            );
            skip_rest(&mut out, "the credentials act in another account");
            return out;
        }
        _ => out.checks.push(Check::new(
            Step::Identity,
            "sts:GetCallerIdentity",
            Status::Ok,
            format!("{arn} in account {account}"),
        )),
    }
    match witness.skew() {
        Some(skew) => {
            let (status, detail, fix) = explain::clock(skew, "sts:GetCallerIdentity");
            let mut c = Check::new(Step::Clock, "clock", status, detail);
            c.fix = fix;
            out.checks.push(c);
        }
        None => out.checks.push(Check::new(Step::Clock, "clock", Status::Skipped, "the answer carried no Date")),
    }

    // One minimal read per API.
    let partition = partition::of_profile(p.role_arn.as_deref().and_then(partition::of_arn), Some(&arn), &region);
    let mut targets = Targets {
        partition,
        region: region.clone(),
        account,
        pipeline: p.pipelines.as_ref().and_then(|l| l.first().cloned()),
        repository: p.repositories.first().cloned(),
        ..Targets::default()
    };
    let role = p.role_arn.clone().unwrap_or(arn);
    targets.principal = role.clone();
    out.checks.extend(api_checks(p, &clients, &mut targets, &role, timeout, &witness).await);
    out
}

/// One minimal read per API of [`APIS`] (those the profile's switches leave on), one after another; `role` is whose
/// policy a denied call's statement goes into.
pub(super) async fn api_checks(
    p: &Profile,
    clients: &ProfileClients,
    targets: &mut Targets,
    role: &str,
    timeout: Duration,
    witness: &Witness,
) -> Vec<Check> {
    let mut checks = Vec::new();
    for api in APIS {
        let off = match api.needs {
            Needs::CloudTrail if !p.cloudtrail => Some("cloudtrail = false"),
            Needs::EventBridge if !p.eventbridge => Some("eventbridge = false"),
            _ => None,
        };
        if let Some(key) = off {
            let why = format!("{key} in [profiles.{}]", p.name);
            checks.push(Check::new(Step::Api, api.action, Status::Skipped, why));
            continue;
        }
        witness.clear();
        let result = bounded(timeout, api.action, (api.probe)(clients, targets)).await;
        checks.push(match result {
            Ok(seen) => Check::new(Step::Api, api.action, Status::Ok, seen),
            Err(e) if apis::is_not_found(&e) => Check::new(
                Step::Api,
                api.action,
                Status::Ok,
                format!("allowed (nothing of that name to read: {})", e.message),
            ),
            Err(e) => {
                let mut c = failure(Step::Api, api.action, &e, witness);
                if c.status == Status::Denied {
                    c.statement = Some(explain::statement(api.sid, api.action));
                    c = c.with_fix(format!(
                        "add the statement to the policy of {role} (if the policy already allows it, a service \
                         control policy or a permissions boundary denies it)"
                    ));
                }
                c
            }
        });
    }
    checks
}

/// AssumeRole with the base credentials; its credentials, or `None` after recording why it failed.
#[allow(clippy::too_many_arguments)]
async fn assume(
    p: &Profile,
    arn: &str,
    base: &BaseClients,
    caller: &str,
    region: &str,
    timeout: Duration,
    witness: &Witness,
    out: &mut ProfileCheckup,
) -> Option<Credentials> {
    if let Some(warning) = explain::chaining_warning(caller, p.duration) {
        out.checks.push(Check::new(Step::AssumeRole, "duration", Status::Warning, warning));
    }
    let call = base
        .sts
        .assume_role()
        .role_arn(arn)
        .role_session_name(&p.role_session_name)
        .set_external_id(p.external_id.clone())
        .set_duration_seconds(p.duration.and_then(|d| i32::try_from(d.as_secs()).ok()));
    witness.clear();
    let answer = tokio::time::timeout(timeout, call.send()).await;
    let attempt = RoleAttempt {
        profile: &p.name,
        role_arn: arn,
        caller: Some(caller),
        external_id_set: p.external_id.is_some(),
        duration: p.duration,
        region,
    };
    let failed = |out: &mut ProfileCheckup, c: Check| {
        out.checks.push(c);
        skip_rest(out, "the role could not be assumed");
        None
    };
    match answer {
        Err(_) => {
            let e = PollError::of_call("sts:AssumeRole", ErrorKind::TimedOut, "no answer within the timeout");
            failed(out, failure(Step::AssumeRole, "sts:AssumeRole", &e, witness))
        }
        Ok(Err(e)) => match e.as_service_error().and_then(|s| s.code().map(|c| (c, s.message().unwrap_or("")))) {
            Some((code, message)) => {
                let (detail, fix) = explain::assume_role(code, message, &attempt);
                failed(out, Check::new(Step::AssumeRole, "sts:AssumeRole", Status::Failed, detail).with_fix(fix))
            }
            None => {
                failed(out, failure(Step::AssumeRole, "sts:AssumeRole", &poll_error("sts:AssumeRole", &e), witness))
            }
        },
        Ok(Ok(answer)) => {
            let Some(c) = answer.credentials() else {
                let c =
                    Check::new(Step::AssumeRole, "sts:AssumeRole", Status::Failed, "the answer held no credentials");
                return failed(out, c);
            };
            let expires = SystemTime::try_from(*c.expiration()).ok();
            let until = jiff::Timestamp::try_from(expires.unwrap_or(SystemTime::UNIX_EPOCH))
                .map_or_else(|_| "?".to_string(), |t| t.strftime("%Y-%m-%d %H:%M:%SZ").to_string());
            out.checks.push(Check::new(
                Step::AssumeRole,
                "sts:AssumeRole",
                Status::Ok,
                format!("assumed {arn} as session {}, valid until {until}", p.role_session_name),
            ));
            let mut builder = Credentials::builder()
                .access_key_id(c.access_key_id())
                .secret_access_key(c.secret_access_key())
                .session_token(c.session_token())
                .provider_name("pipewatch-doctor");
            if let Some(at) = expires {
                builder = builder.expiry(at);
            }
            Some(builder.build())
        }
    }
}
