//! `pipewatch serve` against moto: every metric against the seeded truth (parsed by a real exposition parser, in
//! both formats), `/api/report` against `--once`'s document, `/readyz` flipping, a pending push turning untriggered
//! at its deadline, and hostile AWS names in label values.
//!
//! The profiles sit behind fault proxies, whose request counts are the truth for `pipewatch_api_calls_total`. With
//! `--refresh 1h` each profile is polled exactly once.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::exposition::{Exposition, Format, parse};
use crate::support::proxy::{Direction, Fault, FaultProxy, Rule};
use crate::support::serve::Serve;
use crate::support::{Moto, fresh_account, profile_toml, run_pipewatch, seed, settings_toml, write_config};

/// Pushes older than this (and not run) are untriggered.
const GRACE: &str = "3s";
const PAST_GRACE: Duration = Duration::from_secs(4);
const READY: Duration = Duration::from_secs(60);

fn scrape(serve: &Serve, format: Format) -> Exposition {
    let accept = match format {
        Format::Text => "text/plain;version=0.0.4",
        Format::OpenMetrics => "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
    };
    let r = crate::support::http::get_accepting(serve.addr, "/metrics", accept);
    assert_eq!(r.status, 200, "{r}");
    let expected = match format {
        Format::Text => "text/plain; version=0.0.4; charset=utf-8",
        Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
    };
    assert_eq!(r.header("content-type"), Some(expected), "{r}");
    parse(&r.body, format)
}

/// The document without its `generated_at` line, and without the `user_id` lines: moto makes up a new role id for
/// every AssumeRole (AWS keeps the role's), and `--once` is another process, hence another session.
fn comparable(doc: &str) -> String {
    let varies = |l: &str| l.trim_start().starts_with("\"generated_at\"") || l.trim_start().starts_with("\"user_id\"");
    doc.lines().filter(|l| !varies(l)).collect::<Vec<_>>().join("\n")
}

/// alpha: web:latest untriggered though released (moto starts every run as a release by hand, and no rule targets
/// web-deploy), api:latest untriggered (api-deploy never ran, no rule targets it), tools:stable unwatched. beta: ListPipelines refused (AccessDenied), so its poll fails.
#[test]
fn serve_metrics_match_the_seeded_truth_and_the_report_matches_once() {
    let (a, b) = (fresh_account(), fresh_account());
    seed(json!({"accounts": [
        {"id": a,
         "repositories": [
             {"name": "web", "images": [{"seed": "w1", "tags": ["latest"]}]},
             {"name": "api", "images": [{"seed": "a1", "tags": ["latest"]}]},
             {"name": "tools", "images": [{"seed": "t1", "tags": ["stable"]}]},
         ],
         "pipelines": [
             {"name": "web-deploy", "sources": [{"repository": "web"}], "start_executions": 1},
             {"name": "api-deploy", "sources": [{"repository": "api"}]},
         ]},
        {"id": b, "repositories": [{"name": "jobs", "images": [{"seed": "j1", "tags": ["latest"]}]}],
         "pipelines": [{"name": "jobs-deploy", "sources": [{"repository": "jobs"}]}]},
    ]}));
    std::thread::sleep(PAST_GRACE);
    let (pa, pb) = (FaultProxy::start(), FaultProxy::start());
    pb.set_rules(vec![Rule::on(&["ListPipelines"], Fault::AccessDenied)]);
    let dir = tempfile::tempdir().unwrap();
    let mut toml = settings_toml();
    toml += &profile_toml("alpha", &a, &pa.endpoint());
    toml += "repositories = [\"tools\"]\ncloudtrail = false\n";
    toml += &profile_toml("beta", &b, &pb.endpoint());
    toml += "cloudtrail = false\n";
    let config = write_config(dir.path(), &toml);
    let config = config.to_str().unwrap();

    let started = jiff::Timestamp::now();
    let serve = Serve::start(&["--config", config, "--grace", GRACE, "--refresh", "1h"], &[]);
    serve.wait_ready(READY);
    let text = scrape(&serve, Format::Text);
    let open = scrape(&serve, Format::OpenMetrics);

    for m in [&text, &open] {
        let v = |name: &str, labels: &[(&str, &str)]| {
            m.value(name, labels).unwrap_or_else(|| panic!("no {name}{labels:?} in {:#?}", m.samples))
        };
        assert_eq!(v("pipewatch_up", &[("profile", "alpha")]), 1.0);
        assert_eq!(v("pipewatch_up", &[("profile", "beta")]), 0.0);
        assert_eq!(v("pipewatch_consecutive_failed_polls", &[("profile", "alpha")]), 0.0);
        assert_eq!(v("pipewatch_consecutive_failed_polls", &[("profile", "beta")]), 1.0);
        assert_eq!(v("pipewatch_refresh_seconds", &[]), 3600.0);
        let pushes = |profile, status| v("pipewatch_pushes", &[("profile", profile), ("status", status)]);
        for (status, alpha) in [("untriggered", 2.0), ("pending", 0.0), ("triggered", 0.0), ("unwatched", 1.0)] {
            assert_eq!(pushes("alpha", status), alpha, "alpha {status}");
            assert_eq!(pushes("beta", status), 0.0, "beta {status}");
        }
        let mut info = m.named("pipewatch_untriggered_push_info");
        info.sort_by(|x, y| x.labels["repository"].cmp(&y.labels["repository"]));
        assert_eq!(info.len(), 2, "{info:#?}");
        for (sample, (repository, pipeline)) in info.iter().zip([("api", "api-deploy"), ("web", "web-deploy")]) {
            let labels: Vec<(&str, &str)> = sample.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            assert_eq!(
                labels,
                [
                    ("code", "no_trigger_rule"),
                    ("pipeline", pipeline),
                    ("profile", "alpha"),
                    ("region", "ap-northeast-1"),
                    ("repository", repository),
                    ("tag", "latest")
                ]
            );
            assert_eq!(sample.value, 1.0);
        }
        for profile in ["alpha", "beta"] {
            let at = v("pipewatch_last_poll_timestamp_seconds", &[("profile", profile)]);
            let now = jiff::Timestamp::now().as_millisecond() as f64 / 1000.0;
            assert!(at >= started.as_millisecond() as f64 / 1000.0 && at <= now, "{profile}: {at}");
            let took = v("pipewatch_poll_duration_seconds", &[("profile", profile)]);
            assert!(took > 0.0 && took < 30.0, "{profile}: {took}");
        }
        // Every request a proxy saw is one call of the metric, and nothing else is.
        for (profile, proxy) in [("alpha", &pa), ("beta", &pb)] {
            let calls: Vec<(String, f64)> = m
                .named("pipewatch_api_calls_total")
                .into_iter()
                .filter(|s| s.labels["profile"] == profile)
                .map(|s| (s.labels["api"].clone(), s.value))
                .collect();
            let mut seen = proxy.counts();
            seen.sort();
            let mut reported: Vec<(String, usize)> = calls
                .iter()
                .map(|(api, n)| (api.split_once(':').map_or(api.as_str(), |(_, op)| op).to_owned(), *n as usize))
                .collect();
            reported.sort();
            assert_eq!(reported, seen, "{profile}: metric {calls:?}");
        }
        let errors: Vec<_> = m.named("pipewatch_api_errors_total");
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert_eq!(
            (errors[0].labels["profile"].as_str(), errors[0].labels["api"].as_str(), errors[0].labels["kind"].as_str()),
            ("beta", "codepipeline:ListPipelines", "access_denied")
        );
        assert_eq!(errors[0].value, 1.0);
    }
    // The families' types, as each parser read them.
    for (name, kind) in [
        ("pipewatch_up", "gauge"),
        ("pipewatch_pushes", "gauge"),
        ("pipewatch_api_calls_total", "counter"),
        ("pipewatch_api_errors_total", "counter"),
    ] {
        assert_eq!(text.kind(name), Some(kind), "{name}");
        assert_eq!(open.kind(name), Some(kind), "{name}");
    }
    assert_eq!(text.kind("pipewatch_untriggered_push_info"), Some("gauge"));
    assert_eq!(open.kind("pipewatch_untriggered_push_info"), Some("info"));

    // /api/report is --once's document, byte for byte but for generated_at (and moto's session ids).
    let report = serve.get("/api/report");
    assert_eq!(report.status, 200, "{report}");
    assert_eq!(report.header("content-type"), Some("application/json"));
    let once = run_pipewatch(["--once", "--output", "json", "--config", config, "--grace", GRACE]);
    assert_eq!(once.code, Some(3), "{once}");
    assert_eq!(comparable(&report.body), comparable(&once.stdout));
    let session = |d: &str| d.lines().filter(|l| l.contains("\"user_id\"")).count();
    assert_eq!(session(&report.body), 2, "{}", report.body);
    assert!(report.body.ends_with("}\n"));
    let doc: Value = serde_json::from_str(&report.body).unwrap();
    assert!(doc["profiles"][1]["error"].as_str().is_some_and(|e| e.contains("AccessDenied")), "{doc:#}");

    let (code, log) = serve.stop(libc::SIGTERM);
    assert_eq!(code, Some(0), "{log}");
    assert!(!log.contains("testing-secret"), "{log}");
}

/// `/readyz` is 503 naming the profiles still in their first poll (their `/api/report` too), then 200.
#[test]
fn readyz_flips_once_every_profile_has_polled() {
    let moto = Moto::shared();
    let (a, b) = (fresh_account(), fresh_account());
    seed(json!({"accounts": [{"id": a, "repositories": [{"name": "web", "images": []}]}]}));
    let slow = FaultProxy::start();
    slow.set_rules(vec![Rule::on(&["GetCallerIdentity"], Fault::Delay(Duration::from_secs(4)))]);
    let dir = tempfile::tempdir().unwrap();
    let mut toml = settings_toml();
    toml += &profile_toml("alpha", &a, &moto.endpoint());
    toml += &profile_toml("beta", &b, &slow.endpoint());
    let config = write_config(dir.path(), &toml);

    let serve = Serve::start(&["--config", config.to_str().unwrap(), "--refresh", "1h"], &[]);
    let first = serve.get("/readyz");
    assert_eq!(first.status, 503, "{first}");
    assert!(first.body.starts_with("not ready: waiting for the first poll of "), "{first}");
    assert!(first.body.contains("beta"), "{first}");
    // alpha answers at once; beta's identity call takes 4 s.
    let started = std::time::Instant::now();
    loop {
        let r = serve.get("/readyz");
        if r.body == "not ready: waiting for the first poll of beta\n" {
            assert_eq!(r.status, 503);
            let report = serve.get("/api/report");
            assert_eq!((report.status, report.body.as_str()), (503, r.body.as_str()));
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{r}");
        std::thread::sleep(Duration::from_millis(50));
    }
    serve.wait_ready(READY);
    assert_eq!(serve.get("/readyz").body, "ready\n");
    assert_eq!(serve.get("/api/report").status, 200);
    assert_eq!(serve.get("/healthz").body, "ok\n");
}

/// A push seen pending becomes untriggered when its grace ends, with no new poll: `serve` analyses again at the
/// deadline, like the dashboard.
#[test]
fn a_pending_push_turns_untriggered_at_its_deadline() {
    let moto = Moto::shared();
    let a = fresh_account();
    seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "api", "images": [{"seed": "a1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "api-deploy", "sources": [{"repository": "api"}]}]}]}));
    let dir = tempfile::tempdir().unwrap();
    let mut toml = settings_toml();
    toml += &profile_toml("alpha", &a, &moto.endpoint());
    let config = write_config(dir.path(), &toml);
    let serve = Serve::start(&["--config", config.to_str().unwrap(), "--grace", "15s", "--refresh", "1h"], &[]);
    serve.wait_ready(READY);

    let pending = scrape(&serve, Format::Text);
    let value = |m: &Exposition, status: &str| m.value("pipewatch_pushes", &[("profile", "alpha"), ("status", status)]);
    assert_eq!(value(&pending, "pending"), Some(1.0), "seeding and the first poll took longer than the grace?");
    let polled = pending.value("pipewatch_last_poll_timestamp_seconds", &[]);
    serve.wait_for(Duration::from_secs(30), "the push turning untriggered", |body| {
        let m = crate::support::exposition::parse(body, Format::Text);
        (m.value("pipewatch_pushes", &[("profile", "alpha"), ("status", "untriggered")]) == Some(1.0)).then_some(())
    });
    let after = scrape(&serve, Format::Text);
    assert_eq!(value(&after, "pending"), Some(0.0));
    assert_eq!(after.value("pipewatch_last_poll_timestamp_seconds", &[]), polled, "no new poll");
    assert_eq!(after.named("pipewatch_untriggered_push_info").len(), 1);
}

const HOSTILE_REPOSITORY: &str = "web\u{1b}]0;pwned\u{7}\"}\\";
const HOSTILE_TAG: &str = "latest\u{202e}gpj.exe\nnext";
const HOSTILE_PIPELINE: &str = "deploy\u{9b}31m\r\n# TYPE evil counter";

/// Names that moto rejects, written into its answers by the proxy: control characters, bidi overrides, quotes,
/// backslashes and newlines arrive in label values escaped, with their hostile characters made visible, and parse
/// back (in both formats) to exactly what `sanitize::clean` shows.
#[test]
fn hostile_names_reach_label_values_escaped() {
    let a = fresh_account();
    seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "web", "images": [{"seed": "w1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "web-deploy", "sources": [{"repository": "web"}]}]}]}));
    std::thread::sleep(PAST_GRACE);
    let names: [(&str, &str); 3] =
        [("web-deploy", HOSTILE_PIPELINE), ("web", HOSTILE_REPOSITORY), ("latest", HOSTILE_TAG)];
    let proxy = FaultProxy::start();
    proxy.set_rewrite(Some(Arc::new(move |dir, _op, body: &mut Value| {
        map_strings(body, &names, dir == Direction::Response)
    })));
    let dir = tempfile::tempdir().unwrap();
    let mut toml = settings_toml();
    toml += &profile_toml("alpha", &a, &proxy.endpoint());
    toml += "cloudtrail = false\n";
    let config = write_config(dir.path(), &toml);
    let serve = Serve::start(&["--config", config.to_str().unwrap(), "--grace", GRACE, "--refresh", "1h"], &[]);
    serve.wait_ready(READY);

    let raw = serve.get("/metrics").body;
    let hostile: Vec<char> = raw.chars().filter(|&c| pipewatch::sanitize::is_hostile(c) && c != '\n').collect();
    assert!(hostile.is_empty(), "raw {hostile:?} in\n{raw}");
    assert!(!raw.lines().any(|l| l.starts_with("# TYPE evil")), "{raw}");
    for format in [Format::Text, Format::OpenMetrics] {
        let m = scrape(&serve, format);
        let info = m.named("pipewatch_untriggered_push_info");
        assert_eq!(info.len(), 1, "{format:?}: {info:#?}");
        let clean = |s: &str| pipewatch::sanitize::clean(s).into_owned();
        assert_eq!(info[0].labels["repository"], clean(HOSTILE_REPOSITORY), "{format:?}");
        assert_eq!(info[0].labels["tag"], clean(HOSTILE_TAG), "{format:?}");
        assert_eq!(info[0].labels["pipeline"], clean(HOSTILE_PIPELINE), "{format:?}");
        assert!(info[0].labels["repository"].ends_with("\"}\\"), "quotes and backslashes survive: {info:?}");
    }
    // The report keeps the exact strings (escaped as JSON).
    let doc: Value = serde_json::from_str(&serve.get("/api/report").body).unwrap();
    assert_eq!(doc["pushes"][0]["repository"], HOSTILE_REPOSITORY);
    assert!(proxy.problems().is_empty(), "{:?}", proxy.problems());
}

/// Replaces every string equal to one side of `names` with the other side.
fn map_strings(v: &mut Value, names: &[(&str, &str)], to_hostile: bool) {
    match v {
        Value::String(s) => {
            if let Some((real, hostile)) = names.iter().find(|(r, h)| if to_hostile { s == r } else { s == h }) {
                *s = if to_hostile { hostile } else { real }.to_string();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| map_strings(i, names, to_hostile)),
        Value::Object(map) => map.values_mut().for_each(|i| map_strings(i, names, to_hostile)),
        _ => {}
    }
}

/// With every log on and a notification command configured, no credential reaches the log, an answer, the
/// state file or what the command gets: neither the base secret key nor what the assumed role was issued.
#[test]
fn serve_leaks_no_credential() {
    const BASE_SECRET: &str = "pw-serve-secret-5c2e8a41d9";
    let a = fresh_account();
    seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "api", "images": [{"seed": "a1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "api-deploy", "sources": [{"repository": "api"}]}]}]}));
    std::thread::sleep(PAST_GRACE);
    let proxy = FaultProxy::start();
    let dir = tempfile::tempdir().unwrap();
    let (out, state) = (dir.path().join("out"), dir.path().join("state"));
    let mut toml = settings_toml();
    toml += &format!("\n[notify]\ncommand = [\"sh\", \"-c\", \"cat >> '{}'\"]\n", out.display());
    toml += &profile_toml("alpha", &a, &proxy.endpoint());
    let config = write_config(dir.path(), &toml);
    let env = [
        ("AWS_SECRET_ACCESS_KEY", BASE_SECRET.into()),
        ("PIPEWATCH_LOG", "trace".into()),
        ("XDG_STATE_HOME", state.clone().into_os_string()),
    ];
    let serve = Serve::start(&["--config", config.to_str().unwrap(), "--grace", GRACE, "--refresh", "1s"], &env);
    serve.wait_ready(READY);
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&out).unwrap_or_default().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(30), "the command never ran:\n{}", serve.stderr());
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut answers = vec![serve.get("/api/report").body, serve.get("/readyz").body];
    for format in ["text/plain", "application/openmetrics-text"] {
        answers.push(crate::support::http::get_accepting(serve.addr, "/metrics", format).body);
    }
    std::thread::sleep(Duration::from_secs(2));
    let (code, log) = serve.stop(libc::SIGTERM);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("pipewatch::poller: poll finished"), "PIPEWATCH_LOG=trace logs nothing:\n{log}");

    let issued = proxy.issued_secrets();
    assert!(!issued.is_empty(), "AssumeRole answers were not seen: {:?}", proxy.counts());
    let mut secrets = vec![BASE_SECRET.to_owned()];
    for s in &issued {
        secrets.extend([s.secret_access_key.clone(), s.session_token.clone()]);
    }
    let state_file = std::fs::read_to_string(state.join("pipewatch").join("notified.json")).unwrap();
    let command_got = std::fs::read_to_string(&out).unwrap();
    for (what, text) in [("the log", &log), ("the state file", &state_file), ("the command's stdin", &command_got)]
        .into_iter()
        .chain(answers.iter().map(|a| ("an answer", a)))
    {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "a secret ({}…) appears in {what}:\n{text}", &s[..6]);
        }
        for s in &issued {
            assert!(!text.contains(&s.access_key_id), "SDK debug output got through the cap in {what}:\n{text}");
        }
    }
}
