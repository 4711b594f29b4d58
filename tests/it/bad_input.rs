//! Bad input at the binary level: every malformed config of `tests/bad_configs/` and a set of malformed command
//! lines must end with exit 2, a clear one-line-or-so message on stderr, nothing on stdout and no panic.
//! (`config_corpus` checks the same corpus through the library.)

use crate::support::corpus::{corpus, expectation};

use crate::support::{Run, config_toml, dead_endpoint, fresh_account, pipewatch, run_pipewatch, write_config};

/// The common verdict on a usage error: exit 2, empty stdout, no panic, stderr naming every `needle`.
fn usage_error(what: &str, run: &Run, needles: &[&str]) -> Vec<String> {
    let mut failures = Vec::new();
    if run.code != Some(2) {
        failures.push(format!("{what}: exit {:?}, expected 2", run.code));
    }
    if !run.stdout.is_empty() {
        failures.push(format!("{what}: stdout not empty: {:?}", run.stdout));
    }
    if run.stderr.contains("panicked") || run.stderr.contains("RUST_BACKTRACE") {
        failures.push(format!("{what}: panicked: {}", run.stderr));
    }
    for n in needles {
        if !run.stderr.contains(n) {
            failures.push(format!("{what}: stderr lacks {n:?}:\n{}", run.stderr));
        }
    }
    failures
}

#[test]
fn every_bad_config_exits_2_from_the_binary() {
    let files = corpus();
    assert!(files.len() >= 30, "only {} files in tests/bad_configs", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).expect("file name");
        let run = run_pipewatch(["--once".as_ref(), "--config".as_ref(), path.as_os_str()]);
        failures.extend(usage_error(name, &run, &[&expectation(path), name, "pipewatch: error: "]));
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn malformed_command_lines_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &config_toml(&[("alpha", &fresh_account(), &dead_endpoint())]));
    let config = config.to_str().unwrap();
    let missing = dir.path().join("no-such-config.toml");
    let missing = missing.to_str().unwrap();
    let as_dir = dir.path().to_str().unwrap();
    let cases: &[(&[&str], &[&str])] = &[
        (&["--once", "--grace", "0s", "--config", config], &["'--grace <DURATION>'", "must be greater than zero"]),
        (&["--once", "--grace", "soon", "--config", config], &["invalid duration \"soon\"", "expected e.g. \"30s\""]),
        (&["--once", "--refresh", "-5s", "--config", config], &["'--refresh <DURATION>'", "invalid duration \"-5s\""]),
        (&["--once", "--lookback", "5", "--config", config], &["'--lookback <DURATION>'", "time unit needed"]),
        (&["--once", "--timeout"], &["a value is required for '--timeout <DURATION>'"]),
        (&["--once", "--bogus"], &["unexpected argument '--bogus'"]),
        (&["--once", "--output", "xml"], &["invalid value 'xml' for '--output <OUTPUT>'", "text, json"]),
        (&["frobnicate"], &["unrecognized subcommand 'frobnicate'"]),
        (&["--once", "--profile", "nosuch", "--config", config], &["unknown profile \"nosuch\"", "alpha"]),
        (&["--once", "--config", missing], &[missing, "config file not found"]),
        (&["--once", "--config", as_dir], &[as_dir, "cannot read config file"]),
        (&["--demo", "--profile", "x"], &["--profile selects profiles of a config file"]),
        (&["--demo", "--once", "--profile", "x"], &["--demo always shows both simulated accounts"]),
    ];
    let mut failures = Vec::new();
    for (args, needles) in cases {
        failures.extend(usage_error(&format!("{args:?}"), &run_pipewatch(*args), needles));
    }
    // The config named by $PIPEWATCH_CONFIG, and a log filter that does not parse.
    let out = pipewatch().args(["--once"]).env("PIPEWATCH_CONFIG", missing).output().unwrap();
    failures.extend(usage_error("PIPEWATCH_CONFIG=<missing>", &run_of(out), &[missing, "config file not found"]));
    let out = pipewatch().args(["--once", "--config", config]).env("PIPEWATCH_LOG", "pipewatch=loud").output().unwrap();
    failures.extend(usage_error(
        "PIPEWATCH_LOG=pipewatch=loud",
        &run_of(out),
        &["PIPEWATCH_LOG", "not a valid log filter"],
    ));
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn run_of(out: std::process::Output) -> Run {
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: Default::default(),
    }
}
