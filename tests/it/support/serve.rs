//! `pipewatch serve` in the background: started on a port of its own choosing (`--listen 127.0.0.1:0`, the port
//! read back from its log), asked over HTTP, stopped with a signal. Every wait is bounded; a server still running
//! when its handle is dropped is killed.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::http::{self, Response};
use super::pipewatch_process;

/// How long a started server may take to listen.
const START: Duration = Duration::from_secs(30);

/// A running `pipewatch serve`.
pub struct Serve {
    child: Child,
    pub addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

impl Serve {
    /// `pipewatch serve --listen 127.0.0.1:0 ARGS`, with `env` added to the clean test environment.
    pub fn start(args: &[&str], env: &[(&str, OsString)]) -> Serve {
        let mut cmd = pipewatch_process();
        cmd.args(["serve", "--listen", "127.0.0.1:0"]).args(args).envs(env.iter().map(|(k, v)| (k, v)));
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting pipewatch serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let mut all = sink.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
        });
        let started = Instant::now();
        loop {
            let log = stderr.lock().unwrap().clone();
            if let Some(addr) = listening(&log) {
                return Serve { child, addr, stderr };
            }
            if let Ok(Some(status)) = child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                panic!("pipewatch serve {args:?} exited ({status}) before listening:\n{}", stderr.lock().unwrap());
            }
            if started.elapsed() > START {
                let _ = child.kill();
                panic!("pipewatch serve {args:?} did not listen within {START:?}:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Everything it logged so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Response {
        http::get(self.addr, path)
    }

    /// Waits until `/readyz` answers 200 (every profile polled once), at most `within`.
    pub fn wait_ready(&self, within: Duration) {
        let started = Instant::now();
        loop {
            let r = self.get("/readyz");
            if r.status == 200 {
                return;
            }
            assert!(started.elapsed() < within, "not ready after {within:?}: {r}\n{}", self.stderr());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Polls `check` on `/metrics` (text format) until it returns `Some`, at most `within`.
    pub fn wait_for<T>(&self, within: Duration, what: &str, mut check: impl FnMut(&str) -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            let r = self.get("/metrics");
            assert_eq!(r.status, 200, "{r}");
            if let Some(found) = check(&r.body) {
                return found;
            }
            assert!(started.elapsed() < within, "{what}: not within {within:?}; last /metrics:\n{}", r.body);
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Sends `signal` and waits (at most 20 s) for the exit; returns the exit code and everything logged.
    pub fn stop(mut self, signal: i32) -> (Option<i32>, String) {
        let pid = i32::try_from(self.child.id()).expect("pid");
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        unsafe {
            libc::kill(pid, signal);
        }
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the reader thread take the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return (status.code(), self.stderr());
            }
            assert!(started.elapsed() < Duration::from_secs(20), "still running 20 s after signal {signal}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The address of the "serving http://ADDR/metrics" log line.
fn listening(log: &str) -> Option<SocketAddr> {
    let rest = &log[log.find("serving http://")? + "serving http://".len()..];
    rest[..rest.find("/metrics")?].parse().ok()
}
