//! A real Prometheus server scraping `pipewatch serve`, promtool on the exposition and on the shipped rules, and
//! the Grafana dashboard's queries against the metrics that exist.
//!
//! Prometheus and promtool come from Debian's `prometheus` package, installed by the test support when missing
//! (as root with apt-get); otherwise these tests say on stderr that they are skipped, and why.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::support::prometheus::{Server, promtool, promtool_stdin, skip, tools, value};
use crate::support::serve::Serve;

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/prometheus")
}

/// Untriggered pushes per profile, from the report.
fn untriggered(serve: &Serve) -> Vec<(String, usize)> {
    let doc: Value = serde_json::from_str(&serve.get("/api/report").body).unwrap();
    let pushes = doc["pushes"].as_array().unwrap();
    ["account-a", "account-b"]
        .iter()
        .map(|p| (p.to_string(), pushes.iter().filter(|x| x["profile"] == *p && x["status"] == "untriggered").count()))
        .collect()
}

#[test]
fn prometheus_scrapes_serve_and_answers_the_untriggered_pushes() {
    let tools = match tools() {
        Ok(tools) => tools,
        Err(why) => return skip("prometheus_scrapes_serve_and_answers_the_untriggered_pushes", &why),
    };
    let serve = Serve::start(&["--demo", "--refresh", "1s"], &[]);
    serve.wait_ready(Duration::from_secs(30));
    let truth = untriggered(&serve);
    assert!(truth.iter().all(|(_, n)| *n > 0), "{truth:?}");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - pipewatch.rules.yml\n\
         scrape_configs:\n  - job_name: pipewatch\n    static_configs:\n      - targets: ['{}']\n",
        serve.addr
    );
    let server = Server::start(&tools, &config, &[&assets().join("pipewatch.rules.yml")]);

    let result =
        server.wait_for(r#"pipewatch_pushes{status="untriggered"}"#, Duration::from_secs(60), |r| r.len() == 2);
    for (profile, n) in &truth {
        let series = result.iter().find(|s| s["metric"]["profile"] == profile.as_str()).expect("a series per profile");
        assert_eq!(value(series), *n as f64, "{series}");
        assert_eq!(series["metric"]["job"], "pipewatch");
    }
    let total: usize = truth.iter().map(|(_, n)| n).sum();
    let sum = server.query(r#"sum(pipewatch_pushes{status="untriggered"})"#);
    assert_eq!(value(&sum[0]), total as f64);
    // One firing alert per untriggered push, straight from the shipped rules.
    let firing = r#"count(ALERTS{alertname="PipewatchUntriggeredPush", alertstate="firing"})"#;
    let alerts =
        server.wait_for(firing, Duration::from_secs(30), |r| r.first().is_some_and(|s| value(s) == total as f64));
    assert_eq!(value(&alerts[0]), total as f64);
    assert_eq!(value(&server.query(r#"up{job="pipewatch"}"#)[0]), 1.0);
}

#[test]
fn promtool_accepts_the_exposition_the_rules_and_the_scrape_config() {
    let tools = match tools() {
        Ok(tools) => tools,
        Err(why) => return skip("promtool_accepts_the_exposition_the_rules_and_the_scrape_config", &why),
    };
    let serve = Serve::start(&["--demo", "--refresh", "1h"], &[]);
    serve.wait_ready(Duration::from_secs(30));
    let metrics = serve.get("/metrics").body;
    let (ok, out) = promtool_stdin(&tools, &["check", "metrics"], &metrics);
    assert!(ok && out.trim().is_empty(), "promtool check metrics:\n{out}\n--- exposition ---\n{metrics}");

    let dir = assets();
    let (ok, out) = promtool(&tools, &dir, &["check", "rules", "pipewatch.rules.yml"]);
    assert!(ok, "{out}");
    let (ok, out) = promtool(&tools, &dir, &["test", "rules", "pipewatch.rules.test.yml"]);
    assert!(ok && out.contains("SUCCESS"), "{out}");
    let (ok, out) = promtool(&tools, &dir, &["check", "config", "scrape.yml"]);
    assert!(ok, "{out}");
}

/// Every metric the dashboard and the rules query is one that `serve` exposes.
#[test]
fn the_dashboard_and_the_rules_query_only_exposed_metrics() {
    let serve = Serve::start(&["--demo", "--refresh", "1h"], &[]);
    serve.wait_ready(Duration::from_secs(30));
    let exposed: BTreeSet<String> = serve
        .get("/metrics")
        .body
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next().map(str::to_owned))
        .collect();
    // Series with no sample in the demo (no API calls are simulated) are still declared.
    let declared: BTreeSet<String> = serve
        .get("/metrics")
        .body
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next().map(str::to_owned))
        .collect();
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(assets().join("grafana-dashboard.json")).unwrap()).unwrap();
    let mut exprs = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            exprs.push(target["expr"].as_str().unwrap().to_owned());
        }
    }
    assert!(exprs.len() >= 10, "{exprs:?}");
    let rules = std::fs::read_to_string(assets().join("pipewatch.rules.yml")).unwrap();
    let used: BTreeSet<String> = exprs
        .iter()
        .map(String::as_str)
        .chain(rules.lines().filter(|l| !l.trim_start().starts_with('#')))
        .flat_map(|e| {
            e.match_indices("pipewatch_").map(move |(i, _)| {
                e[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>()
            })
        })
        .collect();
    assert!(used.len() >= 8, "{used:?}");
    for name in &used {
        // Annotation text names metrics too; every name must exist either way.
        assert!(exposed.contains(name) || declared.contains(name), "{name} is not a metric of serve");
    }
}

/// The alert for an untriggered push explains every finding code README's table lists (but `tag_not_watched`, a
/// finding of unwatched pushes) and its runbook names each.
#[test]
fn the_untriggered_push_alert_explains_every_finding_code() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let table = &readme[readme.find("## Why didn't my push trigger?").expect("the section")..];
    let codes: Vec<&str> = table
        .lines()
        .take_while(|l| !l.starts_with("The field report"))
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next())
        .filter(|c| *c != "tag_not_watched")
        .collect();
    assert!(codes.len() >= 13, "{codes:?}");
    let rules = std::fs::read_to_string(assets().join("pipewatch.rules.yml")).unwrap();
    let runbook = &rules[rules.find("runbook:").unwrap()..];
    let runbook = &runbook[..runbook.find("- alert:").unwrap()];
    for code in codes {
        assert!(
            code == "unknown" || rules.contains(&format!("eq $labels.code \"{code}\"")),
            "PipewatchUntriggeredPush does not explain {code}"
        );
        assert!(runbook.contains(code), "PipewatchUntriggeredPush's runbook does not name {code}");
    }
}
