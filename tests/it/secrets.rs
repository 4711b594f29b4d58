//! Credentials never leave pipewatch: not on stdout or stderr (with every log switched on), not in files, not in
//! the `Debug` output of the structs that hold or touch them.
//!
//! The secrets checked: the base secret key pipewatch is given, and the secret keys and session tokens moto issued
//! for the assumed role (random on each AssumeRole: the fault proxy keeps them from the AssumeRole answers).
//! Access key ids are not secret (and the SDK logs them at debug level, which `PIPEWATCH_LOG` caps).

use std::path::Path;
use std::sync::Arc;

use serde_json::json;

use crate::support::proxy::{Fault, FaultProxy, IssuedSecrets, Rule};
use crate::support::{REGION, config_toml, fresh_account, pipewatch, seed, write_config};

/// The base secret key, unique enough to be searched for.
const BASE_SECRET: &str = "pw-base-secret-7f3a9c1e0b5d";

/// Every secret that must not appear: the base secret and what moto issued.
fn secrets(issued: &[IssuedSecrets]) -> Vec<String> {
    let mut all = vec![BASE_SECRET.to_string()];
    for s in issued {
        all.push(s.secret_access_key.clone());
        all.push(s.session_token.clone());
    }
    all
}

fn assert_no_secret(what: &str, text: &str, secrets: &[String]) {
    for s in secrets {
        assert!(!text.contains(s.as_str()), "a secret ({}…) appears in {what}:\n{text}", &s[..6]);
    }
}

/// Every file under `dir`.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() { out.extend(files(&path)) } else { out.push(path) }
    }
    out
}

#[test]
fn credentials_never_reach_output_logs_or_files() {
    let a = fresh_account();
    seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "web", "images": [{"seed": "w1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "web-deploy", "sources": [{"repository": "web"}], "start_executions": 1}],
        "rules": [{"name": "web-push", "repository": "web", "tag": "latest", "pipeline": "web-deploy"}]}]}));
    let proxy = FaultProxy::start();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &config_toml(&[("alpha", &a, &proxy.endpoint())]));
    // Home, XDG and temp directories of the runs: they must stay empty.
    let sandbox = tempfile::tempdir().unwrap();
    let home = |sub: &str| {
        let p = sandbox.path().join(sub);
        std::fs::create_dir_all(&p).unwrap();
        p
    };

    let mut outputs = Vec::new();
    // A clean run with every log on, then a run whose ECR calls fail (error paths) with --stats, in text.
    let runs: [(&[&str], Option<Rule>); 2] = [
        (&["--output", "json"], None),
        (&["--output", "text", "--stats"], Some(Rule::on(&["DescribeImages", "LookupEvents"], Fault::ExpiredToken))),
    ];
    for (args, rule) in runs {
        proxy.set_rules(rule.into_iter().collect());
        let out = pipewatch()
            .arg("--once")
            .args(args)
            .arg("--config")
            .arg(&config)
            .env("AWS_SECRET_ACCESS_KEY", BASE_SECRET)
            .env("PIPEWATCH_LOG", "trace")
            .env("RUST_LOG", "trace")
            .env("RUST_BACKTRACE", "1")
            .env("HOME", home("home"))
            .env("XDG_CONFIG_HOME", home("config"))
            .env("XDG_CACHE_HOME", home("cache"))
            .env("XDG_STATE_HOME", home("state"))
            .env("XDG_DATA_HOME", home("data"))
            .env("TMPDIR", home("tmp"))
            .output()
            .expect("running pipewatch");
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(matches!(out.status.code(), Some(0 | 3)), "{args:?}: {}\n{stdout}\n{stderr}", out.status);
        assert!(stderr.contains("pipewatch::poller: poll finished"), "PIPEWATCH_LOG=trace logs nothing:\n{stderr}");
        outputs.push((format!("{args:?}"), stdout.into_owned(), stderr.into_owned()));
    }
    let issued = proxy.issued_secrets();
    assert!(issued.len() >= 2, "AssumeRole answers were not seen: {:?}", proxy.counts());
    let secrets = secrets(&issued);
    for (args, stdout, stderr) in &outputs {
        assert_no_secret(&format!("stdout of {args}"), stdout, &secrets);
        assert_no_secret(&format!("stderr of {args}"), stderr, &secrets);
        // The SDK's debug logs name the access key id; the cap keeps SDK crates at info.
        for s in &issued {
            assert!(!stderr.contains(&s.access_key_id), "SDK debug output got through the cap:\n{stderr}");
        }
    }
    assert!(outputs[1].1.contains("ExpiredTokenException"), "the failing run failed differently:\n{}", outputs[1].1);
    let written = files(sandbox.path());
    assert!(written.is_empty(), "pipewatch wrote files: {written:?}");
}

/// The `Debug` output of everything in pipewatch that holds or touches credentials: the SDK credentials, the
/// profile's clients (their config holds the credential provider and its cache) after a poll, and the snapshot.
#[test]
fn debug_output_of_credential_holders_is_redacted() {
    use aws_config::sts::AssumeRoleProvider;
    use aws_config::{BehaviorVersion, Region};
    use aws_credential_types::Credentials;
    use aws_credential_types::provider::SharedCredentialsProvider;
    use pipewatch::source::PollRequest;
    use pipewatch::source::aws::{ProfileClients, ProfileState, Scope, poll_clients};

    let creds = Credentials::new("AKIDEXAMPLE", BASE_SECRET, Some("pw-session-token-55e1".into()), None, "test");
    let shown = format!("{creds:?}");
    assert!(!shown.contains(BASE_SECRET) && !shown.contains("pw-session-token-55e1"), "{shown}");

    let a = fresh_account();
    seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "web", "images": [{"seed": "w1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "web-deploy", "sources": [{"repository": "web"}], "start_executions": 1}]}]}));
    let proxy = Arc::new(FaultProxy::start());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (clients, snapshot) = runtime.block_on(async {
        let base = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(proxy.endpoint())
            .credentials_provider(creds)
            .load()
            .await;
        let provider = AssumeRoleProvider::builder(format!("arn:aws:iam::{a}:role/pipewatch-read"))
            .session_name("pipewatch")
            .configure(&base)
            .build()
            .await;
        let conf = base.into_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build();
        let clients = ProfileClients::from_config(&conf);
        let req = PollRequest { now: jiff::Timestamp::now(), lookback: std::time::Duration::from_secs(3600) };
        let (scope, state, limit) = (Scope::default(), ProfileState::default(), tokio::sync::Semaphore::new(8));
        let snapshot = poll_clients(&clients, &scope, &state, req, &limit);
        let snapshot = tokio::time::timeout(std::time::Duration::from_secs(30), snapshot).await.expect("poll");
        (clients, snapshot)
    });
    assert_eq!(snapshot.pipelines.len(), 1, "{snapshot:?}");
    let issued = proxy.issued_secrets();
    assert!(!issued.is_empty(), "{:?}", proxy.counts());
    let secrets = secrets(&issued);
    assert_no_secret("Debug of ProfileClients", &format!("{clients:?}"), &secrets);
    assert_no_secret("Debug of ProfileSnapshot", &format!("{snapshot:?}"), &secrets);
}
