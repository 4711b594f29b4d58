//! Protocol round-trips: every operation awsim serves, called through the real `aws-sdk-*` clients pipewatch
//! uses, parsed by them, and the values asserted.

mod ecr_pipeline;
mod trail_events;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use awsim::{Principal, Server, World};
use jiff::{SignedDuration, Timestamp};

pub const A: &str = "111111111111";
pub const B: &str = "222222222222";
pub const R: &str = "ap-northeast-1";

pub fn t0() -> Timestamp {
    "2026-11-20T09:00:00Z".parse().unwrap()
}

/// A world whose clock stands at t0 + 10 minutes.
pub fn world() -> World {
    let w = World::new();
    w.set_now(t0() + SignedDuration::from_mins(10));
    w
}

pub fn ci() -> Principal {
    Principal::assumed_role(A, "service-role/codebuild-web", "build-1")
}

/// An SDK config for `server` with the given keys, no retries (so an error reaches the test at once).
pub fn config(server: &Server, key: &str) -> SdkConfig {
    let creds = Credentials::new(key, "secret", Some("token".into()), None, "awsim-test");
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(R))
        .endpoint_url(server.endpoint())
        .credentials_provider(SharedCredentialsProvider::new(creds))
        .retry_config(RetryConfig::disabled())
        .build()
}

/// The config of a session of `arn:aws:iam::<account>:role/<role>`, assumed through awsim's STS.
pub async fn assumed(server: &Server, account: &str, role: &str) -> SdkConfig {
    let sts = aws_sdk_sts::Client::new(&config(server, "test"));
    let out = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/{role}"))
        .role_session_name("pipewatch")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    config(server, c.access_key_id())
}

#[tokio::test]
async fn sts_callers_and_the_request_log() {
    let w = world();
    let server = Server::start(w.clone()).unwrap();
    let base = aws_sdk_sts::Client::new(&config(&server, "test"));
    let me = base.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some("123456789012"));
    assert_eq!(me.arn(), Some("arn:aws:iam::123456789012:user/awsim"));

    let conf = assumed(&server, A, "pipewatch-read").await;
    let me = aws_sdk_sts::Client::new(&conf).get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some(A));
    assert_eq!(me.arn(), Some("arn:aws:sts::111111111111:assumed-role/pipewatch-read/pipewatch"));
    assert!(me.user_id().unwrap().ends_with(":pipewatch"));

    let err = base.assume_role().role_arn("not-an-arn").role_session_name("x1").send().await.unwrap_err();
    assert_eq!(aws_sdk_sts::error::ProvideErrorMetadata::code(&err), Some("ValidationError"));

    let log = w.requests();
    let ops: Vec<(String, String, String)> =
        log.iter().map(|r| (r.account.clone(), r.region.clone(), r.api())).collect();
    assert_eq!(ops[0], ("123456789012".into(), R.into(), "sts:GetCallerIdentity".into()));
    assert_eq!(ops[2], (A.into(), R.into(), "sts:GetCallerIdentity".into()));
    assert_eq!(log[2].caller_arn, "arn:aws:sts::111111111111:assumed-role/pipewatch-read/pipewatch");
    assert_eq!(log[3].error.as_deref(), Some("ValidationError"));
}

#[tokio::test]
async fn latency_is_added_to_every_answer() {
    let w = world();
    w.configure(|s| s.latency = std::time::Duration::from_millis(150));
    let server = Server::start(w.clone()).unwrap();
    let sts = aws_sdk_sts::Client::new(&config(&server, "test"));
    let started = std::time::Instant::now();
    sts.get_caller_identity().send().await.unwrap();
    // A lower bound only: the answer cannot come before the latency has passed.
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
}
