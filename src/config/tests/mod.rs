//! Unit tests of the config layer, one file per meaning; the shared helpers and the full example are here.

mod durations;
mod errors;
mod files;
mod notify;
mod overrides;
mod properties;
mod resolve;
mod validate;

use std::path::Path;

use super::*;

const ARN_A: &str = "arn:aws:iam::111111111111:role/pipewatch-read";

fn ok(text: &str) -> Config {
    match parse(text, Path::new("config.toml")) {
        Ok(config) => config,
        Err(e) => panic!("expected {text:?} to parse, got: {e}"),
    }
}

fn err(text: &str) -> String {
    match parse(text, Path::new("config.toml")) {
        Ok(config) => panic!("expected {text:?} to fail, got {config:?}"),
        Err(e) => {
            let shown = e.to_string();
            assert!(!shown.contains('\n'), "multi-line error: {shown}");
            shown
        }
    }
}

#[track_caller]
fn assert_err(text: &str, expected: &str) {
    let shown = err(text);
    assert!(shown.contains(expected), "error for {text:?}\n  was:      {shown}\n  expected: {expected}");
    assert!(shown.contains("config.toml"), "error does not name the file: {shown}");
}

/// A profile with a role, plus `extra` lines.
fn with_role(extra: &str) -> String {
    format!("[profiles.a]\nrole_arn = \"{ARN_A}\"\n{extra}\n")
}

const FULL: &str = r#"
[settings]
region = "ap-northeast-1"
refresh = "15s"
grace = "10m"
lookback = "48h"
timeout = "1m 30s"

[profiles.account-a]
role_arn = "arn:aws:iam::111111111111:role/pipewatch-read"
external_id = "pipewatch-a"
role_session_name = "pw.session@ops"
duration = "1h"
credential_source = "EcsContainer"
region = "us-east-1"
endpoint_url = "http://127.0.0.1:5000"
repositories = ["web", "tools"]
pipelines = ["web-deploy"]

[profiles.account-b]
role_arn = "arn:aws-cn:iam::222222222222:role/ci/pipewatch-read"
aws_profile = "builder"
"#;

fn three_profiles() -> Config {
    ok("[profiles.a]\n[profiles.b]\n[profiles.c]\n")
}
