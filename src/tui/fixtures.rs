//! A small hand-built story for the dashboard's tests, so that they never depend on the demo's story.
//!
//! account-a pushes `web` once a minute and each push starts a run of `web-deploy`; its `api:latest` push started
//! nothing (no EventBridge rule targets `api-deploy`). account-b's `report:latest` was pushed from account-a's
//! identity (a cross-account push, and `report-deploy`'s rule is disabled anyway); its `ci-tools:latest` is watched
//! by no pipeline. "Now" is [`now`]; every count a test relies on is named here.

use std::time::Duration;

use jiff::Timestamp;

use crate::analysis::fixtures::ts;
use crate::model::{
    CloudTrailRead, Diagnostics, ExecStatus, Execution, Identity, Image, Lookup, Pipeline, ProfileSnapshot, Pusher,
    PutImageRecord, Revision, RolePermission, RuleTarget, TriggerRule, WatchedSource,
};

/// How long a watched push may wait for its run.
pub const GRACE: Duration = Duration::from_secs(300);
/// The dashboard polls every profile this often.
pub const REFRESH: Duration = Duration::from_secs(5);

/// account-a's `web` pushes, one a minute (the newest 10 s ago): each started its own run of `web-deploy`.
pub const WEB_PUSHES: usize = 20;
/// The newest web push is `web:latest` and `web:build-{WEB_NEWEST_BUILD}`; older ones count down by one.
pub const WEB_NEWEST_BUILD: usize = 120;
/// The web run that failed (counting from the newest, 0).
pub const WEB_FAILED_RUN: usize = 7;
/// Pushes of account-a: the web pushes and `api:latest`.
pub const PUSHES_A: usize = WEB_PUSHES + 1;
/// Pushes of account-b: `report:latest` and `ci-tools:latest`.
pub const PUSHES_B: usize = 2;
/// Every push.
pub const PUSHES: usize = PUSHES_A + PUSHES_B;
/// `api:latest` (account-a) and `report:latest` (account-b).
pub const UNTRIGGERED: usize = 2;
/// Every web push.
pub const TRIGGERED: usize = WEB_PUSHES;
/// `ci-tools:latest`.
pub const UNWATCHED: usize = 1;
/// One run per web push, and one old run each of `api-deploy` and `report-deploy`.
pub const EXECUTIONS: usize = WEB_PUSHES + 2;

/// The tests' "now".
pub fn now() -> Timestamp {
    ts(0)
}

/// account-a's identity.
pub const ACCOUNT_A: &str = "111111111111";
/// account-b's identity.
pub const ACCOUNT_B: &str = "222222222222";

fn identity(account: &str) -> Identity {
    Identity {
        account: account.into(),
        arn: format!("arn:aws:sts::{account}:assumed-role/pipewatch-read/pipewatch"),
        user_id: "AROAEXAMPLE:pipewatch".into(),
    }
}

/// A digest-shaped string, different for each (repository, n).
pub fn digest(repo: &str, n: usize) -> String {
    let seed: String = repo.bytes().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{n:08x}{seed:0<56}")
}

fn source(repo: &str, tag: &str) -> WatchedSource {
    WatchedSource { action: "Source".into(), repository: repo.into(), tag: tag.into() }
}

fn push(repo: &str, n: usize, tags: &[&str], at: i64) -> Image {
    Image {
        repository: repo.into(),
        digest: digest(repo, n),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        pushed_at: ts(at),
        ..Image::default()
    }
}

/// The execution id of the run that web build `build` started (CodePipeline's ids are UUIDs).
pub fn web_run_id(build: usize) -> String {
    format!("{build:08}-5eed-4a11-8000-{build:012}")
}

/// The web push of `build` at `at`, and the run it started 5 s later.
fn web(build: usize, latest: bool, at: i64, status: ExecStatus) -> (Image, Execution) {
    let tag = format!("build-{build}");
    let tags: Vec<&str> = if latest { vec!["latest", &tag] } else { vec![&tag] };
    let image = push("web", build, &tags, at);
    let running = status == ExecStatus::InProgress;
    let run = Execution {
        id: web_run_id(build),
        status,
        trigger: "CloudWatchEvent".into(),
        trigger_detail: Some(format!("arn:aws:events:ap-northeast-1:{ACCOUNT_A}:rule/web-latest")),
        started_at: ts(at + 5),
        updated_at: (!running).then(|| ts(at + 50)),
        revisions: vec![Revision {
            action: "Source".into(),
            revision_id: image.digest.clone(),
            summary: Some(format!("build {build}")),
        }],
        status_summary: None,
    };
    (image, run)
}

fn old_run(pipeline: &str, at: i64) -> Execution {
    Execution {
        id: format!("{pipeline}-run-1"),
        status: ExecStatus::Succeeded,
        trigger: "StartPipelineExecution".into(),
        trigger_detail: None,
        started_at: ts(at),
        updated_at: Some(ts(at + 120)),
        revisions: vec![],
        status_summary: None,
    }
}

fn record(image: &Image, recipient: &str, pusher: &str) -> PutImageRecord {
    PutImageRecord {
        event_id: format!("event-{}", image.digest),
        event_time: image.pushed_at,
        repository: image.repository.clone(),
        tag: image.tags.first().cloned(),
        digest: Some(image.digest.clone()),
        recipient_account: Some(recipient.into()),
        pusher: Pusher {
            arn: Some(format!("arn:aws:sts::{pusher}:assumed-role/ci/build")),
            account: pusher.into(),
            identity_type: "AssumedRole".into(),
            principal_id: None,
            cross_account: pusher != recipient,
        },
    }
}

/// account-a as polled at [`now`]: [`WEB_PUSHES`] web pushes with their runs, and `api:latest` (14 minutes ago)
/// with no run.
pub fn account_a() -> ProfileSnapshot {
    let mut pushes = Vec::new();
    let mut runs = Vec::new();
    for k in 0..WEB_PUSHES {
        let status = match k {
            0 => ExecStatus::InProgress,
            WEB_FAILED_RUN => ExecStatus::Failed,
            _ => ExecStatus::Succeeded,
        };
        let at = -10 - 60 * i64::try_from(k).expect("small");
        let (image, run) = web(WEB_NEWEST_BUILD - k, k == 0, at, status);
        pushes.push(image);
        runs.push(run);
    }
    let api = push("api", 1, &["latest"], -14 * 60);
    let records = vec![record(&api, ACCOUNT_A, ACCOUNT_A)];
    pushes.push(api);
    let rule = TriggerRule {
        name: "web-latest".into(),
        state: "ENABLED".into(),
        pattern: Some(
            r#"{"source":["aws.ecr"],"detail-type":["ECR Image Action"],"detail":{"action-type":["PUSH"],"result":["SUCCESS"],"repository-name":["web"],"image-tag":["latest"]}}"#.into(),
        ),
        targets: Lookup::Done(vec![target(ACCOUNT_A, "web-deploy")]),
        ..TriggerRule::default()
    };
    ProfileSnapshot {
        identity: Some(identity(ACCOUNT_A)),
        pipelines: vec![
            Pipeline { name: "web-deploy".into(), sources: vec![source("web", "latest")], executions: runs },
            Pipeline {
                name: "api-deploy".into(),
                sources: vec![source("api", "latest")],
                executions: vec![old_run("api-deploy", -3 * 3600)],
            },
        ],
        images: pushes,
        diagnostics: Diagnostics {
            put_images: Lookup::Done(CloudTrailRead { records, read_until: now(), complete: Default::default() }),
            rules: Lookup::Done(vec![("web-deploy".into(), vec![rule]), ("api-deploy".into(), vec![])]),
            ..Diagnostics::default()
        },
        ..ProfileSnapshot::default()
    }
}

/// The console's target for `pipeline`: its ARN and a role the policy simulation allows to start it.
fn target(account: &str, pipeline: &str) -> RuleTarget {
    RuleTarget {
        id: format!("codepipeline-{pipeline}"),
        arn: format!("arn:aws:codepipeline:ap-northeast-1:{account}:{pipeline}"),
        role_arn: Some(format!("arn:aws:iam::{account}:role/cwe-role-{pipeline}")),
        digest_override: None,
        may_start: Lookup::Done(RolePermission::Allowed),
    }
}

/// account-b as polled at [`now`]: `report:latest` pushed 22 minutes ago from account-a, `ci-tools:latest` 150 s ago.
pub fn account_b() -> ProfileSnapshot {
    let report = push("report", 1, &["latest"], -22 * 60);
    let records = vec![record(&report, ACCOUNT_B, ACCOUNT_A)];
    let disabled = TriggerRule {
        name: "report-latest".into(),
        state: "DISABLED".into(),
        pattern: None,
        targets: Lookup::Done(vec![target(ACCOUNT_B, "report-deploy")]),
        ..TriggerRule::default()
    };
    ProfileSnapshot {
        identity: Some(identity(ACCOUNT_B)),
        pipelines: vec![Pipeline {
            name: "report-deploy".into(),
            sources: vec![source("report", "latest")],
            executions: vec![old_run("report-deploy", -2 * 3600)],
        }],
        images: vec![push("ci-tools", 1, &["latest"], -150), report],
        diagnostics: Diagnostics {
            put_images: Lookup::Done(CloudTrailRead { records, read_until: now(), complete: Default::default() }),
            rules: Lookup::Done(vec![("report-deploy".into(), vec![disabled])]),
            ..Diagnostics::default()
        },
        ..ProfileSnapshot::default()
    }
}

/// account-a before the run of its newest web push started: that push is pending until 10 s before `ts(300)`.
pub fn account_a_waiting() -> ProfileSnapshot {
    let mut a = account_a();
    a.pipelines[0].executions.remove(0);
    a
}

/// When the newest web push of [`account_a_waiting`] becomes untriggered (one second after its grace ends).
pub fn waiting_deadline() -> Timestamp {
    ts(-10 + 300 + 1)
}

/// account-a a minute later: one more web push (50 s after [`now`]) and its run on top of both lists.
pub fn account_a_later() -> ProfileSnapshot {
    let mut a = account_a();
    a.images[0].tags.retain(|t| t != "latest");
    let (image, run) = web(WEB_NEWEST_BUILD + 1, true, 50, ExecStatus::InProgress);
    a.images.insert(0, image);
    a.pipelines[0].executions[0].status = ExecStatus::Succeeded;
    a.pipelines[0].executions[0].updated_at = Some(ts(40));
    a.pipelines[0].executions.insert(0, run);
    a
}
