//! `pipewatch serve --demo`: the metrics agree with the report of the same analysis and with the demo's story (one
//! stuck pipeline per cause), counters grow across polls, and the HTTP edges: 404, 405, HEAD, garbage, signals.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

use crate::support::exposition::{Format, parse};
use crate::support::http;
use crate::support::serve::Serve;

/// `/metrics` and `/api/report` of one analysis: retried until the report is the same before and after.
fn consistent(serve: &Serve) -> (String, Value) {
    for _ in 0..50 {
        let before = serve.get("/api/report").body;
        let metrics = serve.get("/metrics").body;
        let after = serve.get("/api/report").body;
        if before == after {
            return (metrics, serde_json::from_str(&after).expect("the report's JSON"));
        }
    }
    panic!("the analysis never held still for three requests")
}

#[test]
fn demo_metrics_agree_with_the_report_and_the_story() {
    let serve = Serve::start(&["--demo", "--refresh", "1s"], &[]);
    serve.wait_ready(Duration::from_secs(30));
    let (text, doc) = consistent(&serve);
    let m = parse(&text, Format::Text);
    let pushes = doc["pushes"].as_array().unwrap();
    for profile in ["account-a", "account-b"] {
        for status in ["untriggered", "pending", "triggered", "unwatched"] {
            let want = pushes.iter().filter(|p| p["profile"] == profile && p["status"] == status).count();
            let got = m.value("pipewatch_pushes", &[("profile", profile), ("status", status)]);
            assert_eq!(got, Some(want as f64), "{profile} {status}");
        }
    }
    let mut stuck: Vec<(String, String, String)> = m
        .named("pipewatch_untriggered_push_info")
        .iter()
        .map(|s| (s.labels["profile"].clone(), s.labels["repository"].clone(), s.labels["code"].clone()))
        .collect();
    stuck.sort();
    // One series per untriggered push of the report, labelled with its first finding.
    let mut want: Vec<(String, String, String)> = pushes
        .iter()
        .filter(|p| p["status"] == "untriggered")
        .map(|p| {
            let code = p["findings"][0]["code"].as_str().unwrap_or("unknown");
            (
                p["profile"].as_str().unwrap().to_string(),
                p["repository"].as_str().unwrap().to_string(),
                code.to_string(),
            )
        })
        .collect();
    want.sort();
    assert_eq!(stuck, want);
    // The demo's story: one stuck pipeline per cause, so the codes are many and distinct.
    let mut codes: Vec<&str> = want.iter().map(|(_, _, c)| c.as_str()).collect();
    codes.dedup();
    assert!(codes.len() >= 7 && codes.len() == want.len(), "{want:?}");
    for s in m.named("pipewatch_untriggered_push_info") {
        let p = pushes
            .iter()
            .find(|p| {
                p["profile"] == s.labels["profile"].as_str() && p["repository"] == s.labels["repository"].as_str()
            })
            .unwrap();
        let tags: Vec<&str> = p["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert_eq!(s.labels["tag"], tags.join(","));
        let watched: Vec<&str> = p["watched_by"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert_eq!(s.labels["pipeline"], watched.join(","));
    }
    assert_eq!(m.value("pipewatch_refresh_seconds", &[]), Some(1.0));
    assert_eq!(m.value("pipewatch_build_info", &[("version", env!("CARGO_PKG_VERSION"))]), Some(1.0));

    // account-b's every sixth poll fails with an expired session: the counter grows, and the pushes stay.
    let failures = serve.wait_for(Duration::from_secs(30), "account-b's expired session", |body| {
        let m = parse(body, Format::Text);
        let labels = [("profile", "account-b"), ("api", "sts:GetCallerIdentity"), ("kind", "expired_credentials")];
        m.value("pipewatch_api_errors_total", &labels).filter(|n| *n >= 1.0)
    });
    assert!(failures >= 1.0);
    let m = parse(&serve.get("/metrics").body, Format::Text);
    let before = pushes.iter().filter(|p| p["profile"] == "account-b" && p["status"] == "untriggered").count();
    assert!(before > 0);
    assert_eq!(
        m.value("pipewatch_pushes", &[("profile", "account-b"), ("status", "untriggered")]),
        Some(before as f64),
        "a failed poll keeps the profile's pushes"
    );
    let (code, log) = serve.stop(libc::SIGINT);
    assert_eq!(code, Some(0), "{log}");
}

#[test]
fn unknown_paths_wrong_methods_and_garbage_never_hurt() {
    let serve = Serve::start(&["--demo", "--refresh", "1h"], &[]);
    serve.wait_ready(Duration::from_secs(30));
    let r = serve.get("/nope");
    assert_eq!(r.status, 404, "{r}");
    assert!(r.body.contains("/metrics"), "{r}");
    assert_eq!(serve.get("/metrics/extra").status, 404);
    for method in ["POST", "PUT", "DELETE"] {
        for path in ["/metrics", "/api/report", "/healthz", "/readyz"] {
            let r = http::request(serve.addr, method, path, &[]).unwrap();
            assert_eq!(r.status, 405, "{method} {path}: {r}");
            assert_eq!(r.header("allow"), Some("GET,HEAD"), "{method} {path}: {r}");
        }
    }
    let head = http::request(serve.addr, "HEAD", "/metrics", &[]).unwrap();
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    // Garbage, a cut-off request and a huge header: the server answers or closes, and keeps serving.
    for junk in [&b"\x16\x03\x01\x02\x00garbage\r\n\r\n"[..], b"GET /metrics HTTP/1.1\r\nHost", &[b'A'; 200_000]] {
        if let Ok(mut s) = TcpStream::connect(serve.addr) {
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let _ = s.write_all(junk);
            let _ = s.shutdown(std::net::Shutdown::Write);
            let mut answer = Vec::new();
            let _ = s.read_to_end(&mut answer);
        }
    }
    assert_eq!(serve.get("/healthz").status, 200);
    let (code, log) = serve.stop(libc::SIGTERM);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("stopping"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

/// `--listen` on a port in use: a usage error naming the address, exit 2.
#[test]
fn a_port_in_use_is_a_usage_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let run = crate::support::run_pipewatch(["serve", "--demo", "--listen", &addr]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains(&format!("pipewatch: error: cannot listen on {addr}")), "{run}");
    let run = crate::support::run_pipewatch(["serve", "--demo", "--listen", "localhost"]);
    assert_eq!(run.code, Some(2), "{run}");
    let run = crate::support::run_pipewatch(["--once", "serve", "--demo"]);
    assert_eq!(run.code, Some(2), "{run}");
}
