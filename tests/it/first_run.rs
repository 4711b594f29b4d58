//! A first run without a config file: pipewatch watches the ambient AWS credentials and region as one profile and
//! says once on stderr how to watch more (`pipewatch init`); a config file named with `--config` that is missing
//! stays a usage error (exit 2).

use std::path::Path;

use crate::support::{Moto, REGION, Run, pipewatch, run_command};

/// `pipewatch ARGS` with no config anywhere: `$HOME` is `home` (empty), no `$XDG_CONFIG_HOME`, the ambient keys
/// of [`pipewatch`] and moto as the endpoint of every AWS call (`AWS_ENDPOINT_URL`).
fn without_config(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = pipewatch();
    cmd.env("HOME", home).env_remove("XDG_CONFIG_HOME").env("AWS_ENDPOINT_URL", Moto::shared().endpoint());
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_command(cmd, args)
}

#[test]
fn without_a_config_file_the_ambient_account_is_polled_as_one_profile() {
    let home = tempfile::tempdir().unwrap();
    let run = without_config(home.path(), &["--once", "--output", "json"], &[]);
    assert!(matches!(run.code, Some(0 | 1)), "{run}");
    let doc = run.json();
    let profiles = doc["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 1, "{doc:#}");
    assert_eq!(profiles[0]["name"], "default");
    assert_eq!(profiles[0]["region"], REGION);
    assert_eq!(profiles[0]["error"], serde_json::Value::Null, "{doc:#}");
    // moto's account for keys it did not issue.
    assert_eq!(profiles[0]["identity"]["account"], "123456789012", "{doc:#}");
    let looked_at = home.path().join(".config/pipewatch/config.toml");
    assert_eq!(run.stderr.matches("no config file at").count(), 1, "{run}");
    assert!(run.stderr.contains(&format!("no config file at {}", looked_at.display())), "{run}");
    assert!(run.stderr.contains("as profile `default`") && run.stderr.contains("`pipewatch init`"), "{run}");
}

#[test]
fn the_ambient_profile_takes_the_name_of_aws_profile() {
    let home = tempfile::tempdir().unwrap();
    let aws_config = home.path().join("aws-config");
    std::fs::write(&aws_config, format!("[profile ops]\nregion = {REGION}\n")).unwrap();
    let aws_config = aws_config.to_str().unwrap();
    let env = [("AWS_PROFILE", "ops"), ("AWS_CONFIG_FILE", aws_config)];
    let run = without_config(home.path(), &["--once", "--output", "json"], &env);
    let doc = run.json();
    assert_eq!(doc["profiles"][0]["name"], "ops", "{run}");
    assert_eq!(doc["profiles"].as_array().unwrap().len(), 1);
    assert!(run.stderr.contains("as profile `ops`"), "{run}");
}

#[test]
fn a_named_config_that_is_missing_is_still_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let missing = home.path().join("missing.toml");
    let missing = missing.to_str().unwrap();
    for (args, env) in [
        (vec!["--once", "--output", "json", "--config", missing], vec![]),
        (vec!["--once", "--output", "json"], vec![("PIPEWATCH_CONFIG", missing)]),
        (vec!["doctor", "--config", missing], vec![]),
    ] {
        let run = without_config(home.path(), &args, &env);
        assert_eq!(run.code, Some(2), "{args:?} {env:?}: {run}");
        assert!(run.stdout.is_empty(), "{run}");
        assert!(run.stderr.contains(&format!("{missing}: config file not found")), "{run}");
        assert!(!run.stderr.contains("no config file at"), "{run}");
    }
}

#[test]
fn doctor_without_a_config_file_checks_the_ambient_profile() {
    let home = tempfile::tempdir().unwrap();
    let run = without_config(home.path(), &["doctor", "--output", "json"], &[]);
    let doc = run.json();
    assert!(doc["config"]["found_by"].as_str().unwrap().contains("the ambient AWS credentials as profile `default`"));
    assert_eq!(doc["profiles"].as_array().unwrap().len(), 1, "{doc:#}");
    assert_eq!(doc["profiles"][0]["name"], "default");
    assert_eq!(run.stderr.matches("no config file at").count(), 1, "{run}");
}
