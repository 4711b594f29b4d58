//! The request quota against awsim's token buckets (AWS's throttling shape, per account, region and API): two
//! profiles of one account stay under the account's limit together, and a throttled profile keeps its data on the
//! dashboard and recovers on its next poll.

use std::sync::Arc;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use awsim::{Principal, PushSpec, Rate, Server, World};
use jiff::{SignedDuration, Timestamp};

use super::retry;
use crate::poller::{PollEvent, poll_every_profile, poll_within};
use crate::source::aws::AwsSource;
use crate::source::aws::clients::ProfileClients;
use crate::source::aws::profile_poll::Scope;
use crate::source::{PollRequest, Source};
use crate::tui::app::App;
use crate::tui::msg::Msg;

/// The account awsim's base identity acts in (any access key it did not issue).
const ACCOUNT: &str = "123456789012";
const REGION: &str = "ap-northeast-1";

/// Clients reaching `server` with fixed keys (awsim checks no signature), the tests' fast retries.
fn clients(server: &Server) -> ProfileClients {
    let conf = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(server.endpoint())
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("AKIDTEST", "secret", None, None, "t")))
        .retry_config(retry())
        .build();
    ProfileClients::from_config(&conf)
}

/// Profiles of the account (as two roles in it would be: `account` is known from `role_arn`).
fn source(server: &Server, profiles: usize) -> AwsSource {
    let scope = Scope { account: Some(ACCOUNT.into()), cloudtrail: false, eventbridge: false, ..Scope::default() };
    AwsSource::with_clients((0..profiles).map(|_| (clients(server), scope.clone())).collect())
}

/// The account with 12 console-made pipelines over 3 repositories.
fn twelve_pipelines() -> World {
    let world = World::new();
    for i in 0..12 {
        world.console_pipeline(ACCOUNT, REGION, &format!("pipe-{i}"), &format!("repo-{}", i % 3), None);
    }
    world
}

fn request() -> PollRequest {
    PollRequest { now: Timestamp::now(), lookback: Duration::from_secs(24 * 3600), grace: Duration::from_secs(300) }
}

#[tokio::test]
async fn a_profile_pair_sharing_one_account_never_exceeds_its_limit() {
    let world = twelve_pipelines();
    // AWS's throttling shape at 10 requests a second and bursts of 10, per account, region and API: one poll of the
    // pair asks for 24 pipeline definitions and 24 execution lists at once.
    world.configure(|s| s.default_rate = Some(Rate::new(10.0, 10.0)));
    let server = Server::start(world.clone()).unwrap();
    let source = Arc::new(source(&server, 2));

    let snapshots = poll_every_profile(Arc::clone(&source), request(), Duration::from_secs(30)).await;

    let requests = world.requests();
    let throttled: Vec<String> = requests.iter().filter(|r| r.throttled()).map(|r| r.api()).collect();
    assert_eq!(throttled, Vec::<String>::new(), "requests throttled by the account's limits");
    let count = |api: &str| requests.iter().filter(|r| r.api() == api).count();
    assert_eq!(count("codepipeline:GetPipeline"), 24);
    assert_eq!(count("codepipeline:ListPipelineExecutions"), 24);
    for snap in &snapshots {
        assert_eq!(snap.errors, [], "{snap:?}");
        assert_eq!(snap.pipelines.len(), 12);
    }
}

/// Two profiles without a role in one account (two named CLI profiles of it, say): the account is not known before
/// their first poll, but from their second poll on they spend its quota together.
#[tokio::test]
async fn profiles_without_a_role_share_their_accounts_quota_once_its_identity_is_known() {
    let world = twelve_pipelines();
    world.configure(|s| s.default_rate = Some(Rate::new(10.0, 10.0)));
    let server = Server::start(world.clone()).unwrap();
    let scope = Scope { account: None, cloudtrail: false, eventbridge: false, ..Scope::default() };
    let source = Arc::new(AwsSource::with_clients(vec![(clients(&server), scope.clone()), (clients(&server), scope)]));

    let first = poll_every_profile(Arc::clone(&source), request(), Duration::from_secs(30)).await;
    for snap in &first {
        assert_eq!(snap.identity.as_ref().map(|i| i.account.as_str()), Some(ACCOUNT));
    }
    // Let awsim's buckets refill, then poll again: 24 execution lists of one account at once.
    tokio::time::sleep(Duration::from_secs(2)).await;
    world.clear_requests();
    let second = poll_every_profile(Arc::clone(&source), request(), Duration::from_secs(30)).await;

    let requests = world.requests();
    let throttled: Vec<String> = requests.iter().filter(|r| r.throttled()).map(|r| r.api()).collect();
    assert_eq!(throttled, Vec::<String>::new(), "requests throttled by the account's limits");
    assert_eq!(requests.iter().filter(|r| r.api() == "codepipeline:ListPipelineExecutions").count(), 24);
    for snap in &second {
        assert_eq!(snap.errors, [], "{snap:?}");
        assert_eq!(snap.pipelines.len(), 12);
    }
}

#[tokio::test]
async fn a_throttled_profile_keeps_its_data_and_recovers_on_the_next_poll() {
    let world = World::new();
    world.console_pipeline(ACCOUNT, REGION, "web-deploy", "web", None);
    let ci = Principal::assumed_role(ACCOUNT, "service-role/codebuild", "build-1");
    let at = world.now() - SignedDuration::from_mins(30);
    world.push(PushSpec::new(ACCOUNT, REGION, "web", ci, at).tag("latest")).unwrap();
    let server = Server::start(world.clone()).unwrap();
    let source = source(&server, 1);
    let mut app = App::new(
        source.profiles().to_vec(),
        Duration::from_secs(300),
        Duration::from_secs(60),
        jiff::tz::TimeZone::UTC,
        crate::tui::theme::Theme::of(false),
    );
    let timeout = Duration::from_secs(30);
    let poll = async |app: &mut App| {
        let snapshot = poll_within(&source, 0, request(), timeout).await;
        let now = Timestamp::now();
        app.update(Msg::Poll(PollEvent::Finished { profile: 0, at: now, snapshot: Box::new(snapshot) }), now);
        app.settle(now);
    };
    let shown = |app: &App| {
        let pushes: Vec<String> = app
            .analysis
            .pushes
            .iter()
            .map(|p| format!("{}:{} {:?}", p.push.repository, p.push.tags.join(","), p.status))
            .collect();
        (pushes, app.analysis.pipelines.len())
    };

    poll(&mut app).await;
    assert_eq!(app.profiles[0].error, None);
    let healthy = shown(&app);
    assert_eq!(healthy, (vec!["web:latest Triggered".to_string()], 1));

    // Every ListPipelineExecutions of the account throttled, retries included.
    world.configure(|s| {
        s.rates.insert("codepipeline:ListPipelineExecutions".into(), Rate::new(0.0, 0.0));
    });
    poll(&mut app).await;
    let stale = |app: &App| app.profiles[0].snapshot.as_ref().map(|s| s.stale_pipelines.clone()).unwrap_or_default();
    let reasons: Vec<String> = stale(&app).iter().map(|s| format!("{}: {}", s.pipeline, s.reason)).collect();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].starts_with("web-deploy: ") && reasons[0].contains("ListPipelineExecutions"), "{reasons:?}");
    assert_eq!(shown(&app), healthy, "the last good data stays on screen, marked stale");

    world.configure(|s| {
        s.rates.remove("codepipeline:ListPipelineExecutions");
    });
    poll(&mut app).await;
    assert_eq!(app.profiles[0].error, None, "recovered on the next poll");
    assert_eq!(stale(&app), [], "recovered on the next poll");
    assert_eq!(shown(&app), healthy);
}
