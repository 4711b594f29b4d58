//! `[notify] command`: runs the program with the push as JSON on its stdin, bounded by the timeout.
//!
//! The program runs directly (no shell) in its own process group, so that the terminal's Ctrl-C does not reach it
//! and a timeout kills everything it started. Its stdout and stderr are captured (they must not reach the
//! dashboard's screen); a short excerpt of stderr goes into the log when it fails.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::sanitize::clean;

/// How much of the program's stderr a failure's log line shows.
const EXCERPT: usize = 300;

/// The program and its arguments, and the bound on one run.
#[derive(Debug)]
pub(super) struct Command {
    pub(super) argv: Vec<String>,
    pub(super) timeout: Duration,
}

impl Command {
    /// The program's name, for logs (the arguments may hold tokens: never logged).
    pub(super) fn program(&self) -> String {
        clean(self.argv.first().map_or("", String::as_str)).into_owned()
    }

    /// Runs the program once with `stdin`; `Err` when it cannot start, exits unsuccessfully or outlives the timeout.
    pub(super) async fn run(&self, stdin: &[u8]) -> Result<(), String> {
        let Some((program, args)) = self.argv.split_first() else {
            return Err("no program to run".to_owned());
        };
        let mut child = tokio::process::Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.program()))?;
        let group = child.id();
        let (mut input, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let finished = tokio::time::timeout(self.timeout, async {
            let feed = async {
                if let Some(mut input) = input.take() {
                    // A program that does not read its stdin is not a failure.
                    let _ = input.write_all(stdin).await;
                }
            };
            let ((), _, err, status) = tokio::join!(feed, drain(stdout), drain(stderr), child.wait());
            (status, err)
        })
        .await;
        match finished {
            Ok((Ok(status), _)) if status.success() => Ok(()),
            Ok((Ok(status), err)) => {
                let err = clean(String::from_utf8_lossy(&err).trim()).into_owned();
                let excerpt: String = err.chars().take(EXCERPT).collect();
                Err(format!("{} exited with {status}: {excerpt}", self.program()))
            }
            Ok((Err(e), _)) => Err(format!("waiting for {}: {e}", self.program())),
            Err(_) => {
                if let Some(pid) = group.and_then(|p| i32::try_from(p).ok()) {
                    // SAFETY: kill(2) with a negative pid signals the process group the child leads (it was started
                    // with process_group(0)); no memory is involved.
                    unsafe {
                        libc::kill(-pid, libc::SIGKILL);
                    }
                }
                let _ = child.kill().await;
                Err(format!(
                    "{} did not finish within {} and was killed",
                    self.program(),
                    humantime::format_duration(self.timeout)
                ))
            }
        }
    }
}

/// Reads a pipe to its end, keeping the first [`EXCERPT`] × 4 bytes.
async fn drain(pipe: Option<impl AsyncRead + Unpin>) -> Vec<u8> {
    let Some(mut pipe) = pipe else { return Vec::new() };
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = (EXCERPT * 4).saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Duration) -> Command {
        Command { argv: vec!["sh".into(), "-c".into(), script.into()], timeout }
    }

    #[tokio::test]
    async fn the_program_reads_the_push_on_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("got");
        let c = sh(&format!("cat > '{}'", out.display()), Duration::from_secs(10));
        c.run(b"{\"a\": 1}\n").await.unwrap();
        assert_eq!(std::fs::read_to_string(out).unwrap(), "{\"a\": 1}\n");
    }

    #[tokio::test]
    async fn a_failure_names_the_program_and_the_start_of_stderr_only() {
        let c = Command {
            argv: vec!["sh".into(), "-c".into(), "echo 'bad \u{1b}[2J thing' >&2; exit 3".into(), "token-xyz".into()],
            timeout: Duration::from_secs(10),
        };
        let e = c.run(b"").await.unwrap_err();
        assert!(e.starts_with("sh exited with exit status: 3: bad ^[[2J thing"), "{e}");
        assert!(!e.contains("token-xyz"), "{e}");
        let missing = Command { argv: vec!["/nonexistent/notify".into()], timeout: Duration::from_secs(1) };
        assert!(missing.run(b"").await.unwrap_err().starts_with("cannot start /nonexistent/notify: "));
    }

    #[tokio::test]
    async fn a_hung_program_and_what_it_started_are_killed_at_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        // The background sleep keeps stdout open: without the group kill, draining would wait for it.
        let c = sh(&format!("sleep 30 & echo $! > '{}'; wait", pid_file.display()), Duration::from_millis(500));
        let e = c.run(b"").await.unwrap_err();
        assert!(e.contains("did not finish within 500ms and was killed"), "{e}");
        let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
        // The grandchild is gone (reaped by init) or a zombie, never still sleeping.
        std::thread::sleep(Duration::from_millis(200));
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(state.is_empty() || state.split_whitespace().nth(2) == Some("Z"), "{state}");
    }
}
