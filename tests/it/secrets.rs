//! Credentials never leave pipewatch: not on stdout or stderr (with every log switched on), not in files. (The
//! `Debug` output of the structs that hold or touch them is checked by the AWS layer's unit tests,
//! `source::aws::tests::credentials`.)
//!
//! The secrets checked: the base secret key pipewatch is given, and the secret keys and session tokens moto issued
//! for the assumed role (random on each AssumeRole: the fault proxy keeps them from the AssumeRole answers).
//! Access key ids are not secret (and the SDK logs them at debug level, which `PIPEWATCH_LOG` caps).

use std::path::Path;

use serde_json::json;

use crate::support::proxy::{Fault, FaultProxy, IssuedSecrets, Rule};
use crate::support::{config_toml, fresh_account, pipewatch, seed, write_config};

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
