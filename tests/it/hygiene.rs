//! Process hygiene of `--once` (and `iam-policy`): a reader that goes away (`pipewatch --once | head -1`) is not an
//! error — the exit code is the one the report decides, and nothing is printed to stderr.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::run_pipewatch;

/// Waits for `child` at most `limit`, killing it (and failing) when it does not end.
fn wait_bounded(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pipewatch did not exit within {limit:?} after its reader went away");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_pipewatch"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("PIPEWATCH_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning pipewatch")
}

/// Runs `args` with a reader that reads `lines` lines (0: closes the pipe at once) and goes away.
fn with_early_close(args: &[&str], lines: usize) -> (Option<i32>, String) {
    let mut child = spawn(args);
    let stdout = child.stdout.take().expect("piped stdout");
    if lines > 0 {
        let mut reader = BufReader::new(stdout);
        for _ in 0..lines {
            let mut line = String::new();
            reader.read_line(&mut line).expect("reading a line");
            assert!(!line.is_empty(), "{args:?}: stdout ended before {lines} lines");
        }
    } else {
        drop(stdout);
    }
    let status = wait_bounded(&mut child, Duration::from_secs(20));
    let mut stderr = String::new();
    child.stderr.take().expect("piped stderr").read_to_string(&mut stderr).expect("reading stderr");
    assert!(status.code().is_some(), "{args:?}: killed by a signal ({status}); stderr: {stderr}");
    (status.code(), stderr)
}

#[test]
fn closed_stdout_is_not_an_error() {
    for args in [&["--demo", "--once"][..], &["--demo", "--once", "--output", "json"], &["iam-policy"]] {
        let normal = run_pipewatch(args);
        assert!(matches!(normal.code, Some(0 | 1)), "{args:?}: {normal}");
        assert_eq!(normal.stderr, "", "{args:?}: {normal}");
        for lines in [0, 1] {
            let (code, stderr) = with_early_close(args, lines);
            assert_eq!(code, normal.code, "{args:?}, reader gone after {lines} lines; stderr: {stderr}");
            assert_eq!(stderr, "", "{args:?}, reader gone after {lines} lines");
        }
    }
}
