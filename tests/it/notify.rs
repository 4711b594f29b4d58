//! `[notify]` end to end with `pipewatch serve` against moto: a command and a local webhook receiver get exactly
//! one notification per new untriggered push across two restarts (the webhook failing once on the way), and a
//! hanging command with a webhook that never answers delays neither the polls nor `/metrics`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::serve::Serve;
use crate::support::{Moto, fresh_account, hung_endpoint, profile_toml, seed, settings_toml, write_config};

const GRACE: &str = "3s";
const PAST_GRACE: Duration = Duration::from_secs(4);

/// A webhook receiver on a thread: answers 500 to the first `fail_first` requests, 200 to the others, and keeps
/// the bodies it accepted.
struct Receiver {
    addr: SocketAddr,
    accepted: Arc<Mutex<Vec<Value>>>,
    requests: Arc<Mutex<usize>>,
}

impl Receiver {
    fn start(fail_first: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(Mutex::new(0));
        let (acc, req) = (Arc::clone(&accepted), Arc::clone(&requests));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                let mut length = 0;
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    continue;
                }
                let n = {
                    let mut r = req.lock().unwrap();
                    *r += 1;
                    *r
                };
                let status = if n <= fail_first { "500 Internal Server Error" } else { "200 OK" };
                if n > fail_first {
                    acc.lock().unwrap().push(serde_json::from_slice(&body).unwrap_or(Value::Null));
                }
                let mut stream = reader.into_inner();
                let _ = write!(stream, "HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
            }
        });
        Receiver { addr, accepted, requests }
    }

    fn accepted(&self) -> Vec<Value> {
        self.accepted.lock().unwrap().clone()
    }
}

/// The pushes the command wrote to `out` (its stdin appended, one JSON document after another).
fn commanded(out: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(out).unwrap_or_default();
    serde_json::Deserializer::from_str(&text).into_iter::<Value>().map(|v| v.expect("a JSON document")).collect()
}

fn digests(values: &[Value]) -> Vec<String> {
    values.iter().map(|v| v["digest"].as_str().unwrap_or("?").to_owned()).collect()
}

/// Waits until `check` holds, at most 60 s.
fn wait_until(what: &str, check: impl Fn() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < Duration::from_secs(60), "{what}: not within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn each_new_untriggered_push_is_announced_once_across_restarts() {
    let moto = Moto::shared();
    let a = fresh_account();
    let seeded = seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "api", "images": [{"seed": "a1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "api-deploy", "sources": [{"repository": "api"}]}]}]}));
    let first = seeded["accounts"][0]["digests"]["api/a1"].as_str().unwrap().to_owned();
    std::thread::sleep(PAST_GRACE);

    let dir = tempfile::tempdir().unwrap();
    let (out, state) = (dir.path().join("out"), dir.path().join("state"));
    let hook = Receiver::start(1);
    let mut toml = settings_toml();
    toml += &format!(
        "\n[notify]\ncommand = [\"sh\", \"-c\", \"cat >> '{}'\"]\ntimeout = \"10s\"\nwebhook = \"http://{}/services/T0/B0/secret\"\n",
        out.display(),
        hook.addr
    );
    toml += &profile_toml("alpha", &a, &moto.endpoint());
    toml += "cloudtrail = false\neventbridge = false\n";
    let config = write_config(dir.path(), &toml);
    let args = ["--config", config.to_str().unwrap(), "--grace", GRACE, "--refresh", "1s"];
    let env = [("XDG_STATE_HOME", state.clone().into_os_string())];

    // First run: the push is announced by both sinks; the webhook's first answer is a 500, so it is retried.
    let serve = Serve::start(&args, &env);
    wait_until("the first push announced", || commanded(&out).len() == 1 && hook.accepted().len() == 1);
    let report: Value = serde_json::from_str(&serve.get("/api/report").body).unwrap();
    let in_report = report["pushes"].as_array().unwrap().iter().find(|p| p["digest"] == first.as_str()).unwrap();
    assert_eq!(commanded(&out)[0], *in_report, "the command gets the report's push object");
    let body = &hook.accepted()[0];
    assert_eq!(body["push"], *in_report);
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("pipewatch: untriggered push api:latest in profile alpha"), "{text}");
    assert_eq!(*hook.requests.lock().unwrap(), 2, "one failed attempt, one retry");
    std::thread::sleep(Duration::from_secs(3));
    let (code, log) = serve.stop(libc::SIGTERM);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("retrying in 2s"), "{log}");
    assert!(!log.contains("secret"), "the webhook's path is never logged:\n{log}");

    // A second push becomes untriggered while pipewatch is down.
    let seeded = seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "worker", "images": [{"seed": "k1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "worker-deploy", "sources": [{"repository": "worker"}]}]}]}));
    let second = seeded["accounts"][0]["digests"]["worker/k1"].as_str().unwrap().to_owned();
    std::thread::sleep(PAST_GRACE);

    // Second run: only the new push goes out.
    let serve = Serve::start(&args, &env);
    wait_until("the second push announced", || commanded(&out).len() == 2 && hook.accepted().len() == 2);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(serve.stop(libc::SIGTERM).0, Some(0));

    // Third run: nothing new.
    let serve = Serve::start(&args, &env);
    serve.wait_ready(Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(serve.stop(libc::SIGTERM).0, Some(0));

    assert_eq!(digests(&commanded(&out)), [first.clone(), second.clone()]);
    let hooked: Vec<Value> = hook.accepted().iter().map(|b| b["push"].clone()).collect();
    assert_eq!(digests(&hooked), [first, second]);
    assert_eq!(*hook.requests.lock().unwrap(), 3);
}

#[test]
fn a_hanging_command_and_a_silent_webhook_delay_nothing() {
    let moto = Moto::shared();
    let a = fresh_account();
    seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "api", "images": [{"seed": "a1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "api-deploy", "sources": [{"repository": "api"}]}]}]}));
    std::thread::sleep(PAST_GRACE);
    let dir = tempfile::tempdir().unwrap();
    let mut toml = settings_toml();
    toml += &format!(
        "\n[notify]\ncommand = [\"sleep\", \"600\"]\ntimeout = \"2s\"\nwebhook = \"{}/hook\"\n",
        hung_endpoint()
    );
    toml += &profile_toml("alpha", &a, &moto.endpoint());
    toml += "cloudtrail = false\neventbridge = false\n";
    let config = write_config(dir.path(), &toml);
    let env = [("XDG_STATE_HOME", dir.path().join("state").into_os_string())];
    let serve = Serve::start(&["--config", config.to_str().unwrap(), "--grace", GRACE, "--refresh", "1s"], &env);
    serve.wait_ready(Duration::from_secs(60));

    // While both sinks hang and retry, polls go on every second and every request is answered.
    let mut polls = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(8) {
        let asked = Instant::now();
        let r = serve.get("/metrics");
        assert_eq!(r.status, 200, "{r}");
        assert!(asked.elapsed() < Duration::from_secs(2), "/metrics took {:?}", asked.elapsed());
        let at = r.body.lines().find(|l| l.starts_with("pipewatch_last_poll_timestamp_seconds")).unwrap().to_owned();
        if polls.last() != Some(&at) {
            polls.push(at);
        }
        assert_eq!(serve.get("/healthz").status, 200);
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(polls.len() >= 4, "polls stalled: {polls:?}");
    let (code, log) = serve.stop(libc::SIGTERM);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("sleep did not finish within 2s and was killed"), "{log}");
    assert!(log.contains("the webhook at 127.0.0.1 did not answer within 2s"), "{log}");
}
