//! Credentials never leave pipewatch through `Debug`: the SDK's credentials, the profile's clients after a poll that
//! assumed a role (their config holds the credential provider and its cache), and the snapshot. The profile's
//! config is built as `AwsSource` builds it; a fake HTTP endpoint answers AssumeRole with known secrets and every
//! other call with a small account.

use std::path::Path;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_smithy_http_client::test_util::infallible_client_fn;
use aws_smithy_types::body::SdkBody;

use super::*;
use crate::config::Profile;
use crate::model::ErrorKind;
use crate::source::aws::clients::base_loader;
use crate::source::aws::credentials::{assume_role_pace, with_role};
use crate::source::aws::quota::AccountQuota;
use crate::source::aws::session::ClientPool;

/// The base secret key, unique enough to be searched for.
const BASE_SECRET: &str = "pw-base-secret-7f3a9c1e0b5d";
const BASE_TOKEN: &str = "pw-session-token-55e1";
/// What the fake AssumeRole issues.
const ASSUMED_SECRET: &str = "pw-assumed-secret-94b2d7";
const ASSUMED_TOKEN: &str = "pw-assumed-token-c3e8a0";

/// What the fake AssumeRole issues for the role `beta` (every other role gets [`ASSUMED_TOKEN`]).
const BETA_TOKEN: &str = "pw-assumed-token-beta-61d0";

fn assume_role_answer(token: &str) -> String {
    format!(
        r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>{ASSUMED_SECRET}</SecretAccessKey>
<SessionToken>{token}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:pipewatch</AssumedRoleId>
<Arn>arn:aws:sts::111111111111:assumed-role/pipewatch-read/pipewatch</Arn></AssumedRoleUser>
</AssumeRoleResult></AssumeRoleResponse>"#
    )
}

const CALLER_IDENTITY: &str = r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<GetCallerIdentityResult><Arn>arn:aws:sts::111111111111:assumed-role/pipewatch-read/pipewatch</Arn>
<UserId>AROAEXAMPLE:pipewatch</UserId><Account>111111111111</Account></GetCallerIdentityResult>
</GetCallerIdentityResponse>"#;

/// The JSON answer of each JSON-protocol operation (by `X-Amz-Target`).
fn json_answer(target: &str) -> String {
    let op = target.rsplit('.').next().unwrap_or_default();
    match op {
        "ListPipelines" => r#"{"pipelines":[{"name":"web-deploy","version":1}]}"#.to_string(),
        "GetPipeline" => r#"{"pipeline":{"name":"web-deploy","roleArn":"arn:aws:iam::111111111111:role/cp","version":1,
            "stages":[{"name":"Source","actions":[{"name":"Image","configuration":{"RepositoryName":"web"},
            "actionTypeId":{"category":"Source","owner":"AWS","provider":"ECR","version":"1"}}]}]}}"#
            .to_string(),
        "ListPipelineExecutions" => r#"{"pipelineExecutionSummaries":[]}"#.to_string(),
        "DescribeImages" => {
            format!(r#"{{"imageDetails":[{{"imageDigest":"{DIGEST}","imageTags":["latest"],"imagePushedAt":{NOW}}}]}}"#)
        }
        "LookupEvents" => r#"{"Events":[]}"#.to_string(),
        "ListRuleNamesByTarget" => r#"{"RuleNames":[]}"#.to_string(),
        _ => "{}".to_string(),
    }
}

/// The requests the fake endpoint answered: (operation, the session token it was signed with).
type Requests = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// Two profiles (`alpha`, `beta`: two roles on the same base settings) and their base config as `AwsSource` builds
/// it, over the fake endpoint, which records every request.
async fn fake_base(requests: Requests) -> (Vec<Profile>, SdkConfig) {
    let toml = r#"
        [profiles.alpha]
        role_arn = "arn:aws:iam::111111111111:role/pipewatch-read"
        region = "ap-northeast-1"
        endpoint_url = "http://aws.invalid"

        [profiles.beta]
        role_arn = "arn:aws:iam::222222222222:role/beta"
        region = "ap-northeast-1"
        endpoint_url = "http://aws.invalid"
    "#;
    let config = crate::config::parse(toml, Path::new("pipewatch.toml")).expect("config");
    let http = infallible_client_fn(move |req: http::Request<SdkBody>| {
        let token = req.headers().get("x-amz-security-token").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = String::from_utf8_lossy(req.body().bytes().unwrap_or_default()).into_owned();
        let (op, content_type, answer) = match req.headers().get("x-amz-target").and_then(|v| v.to_str().ok()) {
            Some(target) => (target.to_string(), "application/x-amz-json-1.1", json_answer(target)),
            None if body.contains("Action=AssumeRole") => {
                let token = if body.contains("role%2Fbeta") { BETA_TOKEN } else { ASSUMED_TOKEN };
                ("AssumeRole".into(), "text/xml", assume_role_answer(token))
            }
            None => ("GetCallerIdentity".into(), "text/xml", CALLER_IDENTITY.to_string()),
        };
        requests.lock().unwrap().push((op, token));
        http::Response::builder().status(200).header("content-type", content_type).body(answer).unwrap()
    });
    let base = base_loader(&config.profiles[0])
        .http_client(http)
        .credentials_provider(Credentials::new("AKIDEXAMPLE", BASE_SECRET, Some(BASE_TOKEN.into()), None, "test"))
        .load()
        .await;
    (config.profiles, base)
}

/// The first profile's clients as `AwsSource` builds them: shared clients without credentials, the profile's on each
/// request.
async fn profile_clients(requests: Requests) -> ProfileClients {
    let (profiles, base) = fake_base(requests).await;
    let auth = with_role(&profiles[0], &base, Arc::new(AtomicU32::new(0)), None).await.expect("credentials");
    ProfileClients::shared(&base).with_auth(auth)
}

#[tokio::test]
async fn profiles_sharing_clients_sign_each_request_with_their_own_session() {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (profiles, base) = fake_base(Arc::clone(&requests)).await;
    let pool = ClientPool::default();
    let mut clients = Vec::new();
    for p in &profiles {
        let auth = with_role(p, &base, Arc::new(AtomicU32::new(0)), None).await.expect("credentials");
        clients.push(pool.clients(p, &base, Some("ap-northeast-1")).with_auth(auth));
    }
    assert_eq!(pool.len(), 1, "one set of clients for both profiles");
    for c in [&clients[0], &clients[1], &clients[0]] {
        c.codepipeline.list_pipelines().customize().config_override(c.auth()).send().await.expect("listed");
    }
    let tokens: Vec<_> = requests.lock().unwrap().iter().map(|(op, t)| (op.clone(), t.clone().unwrap())).collect();
    let listed = |token: &str| ("CodePipeline_20150709.ListPipelines".to_string(), token.to_string());
    let assumed = |token: &str| ("AssumeRole".to_string(), token.to_string());
    assert_eq!(
        tokens,
        [
            assumed(BASE_TOKEN),
            listed(ASSUMED_TOKEN),
            assumed(BASE_TOKEN),
            listed(BETA_TOKEN),
            listed(ASSUMED_TOKEN), // from alpha's cache: no second AssumeRole
        ]
    );

    // A request that does not carry a profile's credentials is not signed with the base credentials: it fails.
    let err = clients[0].sts.get_caller_identity().send().await.expect_err("no credentials on the shared clients");
    assert_eq!(requests.lock().unwrap().len(), 5, "nothing sent: {err:?}");
}

/// The two profiles' clients with `pace` shared by both, and the requests the fake endpoint answered.
async fn two_profiles(pace: Option<Arc<AccountQuota>>) -> (Vec<ProfileClients>, Requests) {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (profiles, base) = fake_base(Arc::clone(&requests)).await;
    let mut clients = Vec::new();
    for p in &profiles {
        let auth = with_role(p, &base, Arc::new(AtomicU32::new(0)), pace.clone()).await.expect("credentials");
        clients.push(ProfileClients::shared(&base).with_auth(auth));
    }
    (clients, requests)
}

/// How long the first request of each profile takes, made together, and how many roles were assumed by then.
async fn first_requests(clients: &[ProfileClients], requests: &Requests) -> (Duration, usize) {
    let started = tokio::time::Instant::now();
    let list = |c: &ProfileClients| c.codepipeline.list_pipelines().customize().config_override(c.auth()).send();
    let (a, b) = tokio::join!(list(&clients[0]), list(&clients[1]));
    a.and(b).expect("listed");
    let assumed = requests.lock().unwrap().iter().filter(|(op, _)| op == "AssumeRole").count();
    (started.elapsed(), assumed)
}

#[tokio::test(start_paused = true)]
async fn assume_role_rate_paces_the_roles_assumed_from_one_source() {
    let (clients, requests) = two_profiles(None).await;
    let (unpaced, assumed) = first_requests(&clients, &requests).await;
    assert_eq!(assumed, 2);
    assert!(unpaced < Duration::from_millis(100), "nothing to wait for: {unpaced:?}");

    // Half a call a second, bursts of one: the second role waits two seconds for its turn.
    let (clients, requests) = two_profiles(Some(assume_role_pace(0.5))).await;
    let (paced, assumed) = first_requests(&clients, &requests).await;
    assert_eq!(assumed, 2);
    assert!(paced >= Duration::from_secs(2) && paced < Duration::from_millis(2100), "{paced:?}");
}

#[tokio::test(start_paused = true)]
async fn a_turn_taken_ahead_is_spent_by_the_next_assume_role_and_only_then_due_again() {
    let (clients, requests) = two_profiles(Some(assume_role_pace(0.5))).await;
    let started = tokio::time::Instant::now();
    tokio::join!(clients[0].auth().take_turn_ahead(), clients[1].auth().take_turn_ahead());
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(2) && waited < Duration::from_millis(2100), "{waited:?}");
    assert!(requests.lock().unwrap().is_empty(), "waiting makes no request");

    // The turns are taken: the roles are assumed at once, each with its own.
    let (took, assumed) = first_requests(&clients, &requests).await;
    assert_eq!(assumed, 2);
    assert!(took < Duration::from_millis(100), "{took:?}");

    // The sessions last until 2099: the next poll assumes nothing, so it waits for nothing (the quota is empty).
    let started = tokio::time::Instant::now();
    clients[0].auth().take_turn_ahead().await;
    assert!(started.elapsed() < Duration::from_millis(100), "{:?}", started.elapsed());
}

#[tokio::test]
async fn debug_output_of_credential_holders_is_redacted() {
    let creds = Credentials::new("AKIDEXAMPLE", BASE_SECRET, Some(BASE_TOKEN.into()), None, "test");
    let shown = format!("{creds:?}");
    assert!(!shown.contains(BASE_SECRET) && !shown.contains(BASE_TOKEN), "{shown}");

    let requests = Arc::new(Mutex::new(Vec::new()));
    let clients = profile_clients(Arc::clone(&requests)).await;
    let snapshot = poll(&clients, &Scope::default()).await;
    assert!(snapshot.errors.is_empty(), "{snapshot:?}");
    assert_eq!(snapshot.pipelines.len(), 1, "{snapshot:?}");
    assert_eq!(snapshot.images.len(), 1, "{snapshot:?}");

    // The role was assumed with the base credentials, and every call after it was signed with the issued session.
    let requests = requests.lock().unwrap().clone();
    assert_eq!(requests[0], ("AssumeRole".to_string(), Some(BASE_TOKEN.to_string())), "{requests:?}");
    assert_eq!(requests.iter().filter(|(op, _)| op == "AssumeRole").count(), 1, "{requests:?}");
    assert!(requests[1..].iter().all(|(_, token)| token.as_deref() == Some(ASSUMED_TOKEN)), "{requests:?}");
    // AssumeRole, then the core read (nothing needs explaining here).
    assert!(requests.len() >= 6, "{requests:?}");

    for (what, text) in [("ProfileClients", format!("{clients:?}")), ("ProfileSnapshot", format!("{snapshot:?}"))] {
        for secret in [BASE_SECRET, BASE_TOKEN, ASSUMED_SECRET, ASSUMED_TOKEN] {
            assert!(!text.contains(secret), "a secret ({}…) appears in the Debug of {what}:\n{text}", &secret[..6]);
        }
    }
}

#[tokio::test]
async fn a_profile_without_a_region_cannot_poll() {
    let config = crate::config::parse("[profiles.alpha]\n", Path::new("pipewatch.toml")).expect("config");
    let err = with_role(&config.profiles[0], &SdkConfig::builder().build(), Arc::new(AtomicU32::new(0)), None)
        .await
        .expect_err("no region");
    assert_eq!(err.kind, ErrorKind::Misconfigured);
    assert_eq!(
        err.to_string(),
        "no region for profile `alpha`: set `region` (or `regions`) in its table or in [settings], or AWS_REGION"
    );
}
