//! Hostile strings from AWS: terminal escape sequences (OSC title, clear screen, OSC 8 hyperlink, cursor moves),
//! C1 controls, CR/LF and bidi/zero-width characters in pipeline names, repository names, tags, execution ids,
//! triggers, status summaries and error messages.
//!
//! moto (like AWS) rejects most of them in names, so the fault proxy writes them into moto's JSON answers (and maps
//! them back in pipewatch's requests, so that GetPipeline and DescribeImages still find the real resources). The
//! text report must show them as visible escapes; the JSON report must carry them unchanged, escaped.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::support::proxy::{Direction, Fault, FaultProxy, Rule};
use crate::support::{config_toml, fresh_account, run_pipewatch, seed, write_config};

pub(crate) const PIPELINE: &str = "web-deploy\u{1b}]0;pwned\u{7}";
const REPOSITORY: &str = "web\u{1b}[2J\u{1b}[H";
const TAG: &str = "latest\u{202e}gpj.exe";
pub(crate) const EXECUTION_ID: &str = "exec\u{200b}\u{2066}-1\u{1b}[1A";
const TRIGGER: &str = "Webhook\u{9b}31m";
const SUMMARY: &str = "ok\u{9b}31mred\u{1b}[0m\r\nsecond line\u{7f}";
const DETAIL: &str = "arn:aws:iam::1:user/\u{1b}]8;;http://evil.example/\u{7}click\u{1b}]8;;\u{7}";
const DENIED: &str = "denied \u{1b}]0;pwned\u{7} \u{202e}txt \u{9b}2J";

/// (real, hostile) names: real ones in moto and in pipewatch's requests, hostile ones in what pipewatch reads.
const NAMES: [(&str, &str); 3] = [("web-deploy", PIPELINE), ("web", REPOSITORY), ("latest", TAG)];

/// Replaces every string equal to one side of [`NAMES`] with the other side.
pub(crate) fn map_strings(v: &mut Value, to_hostile: bool) {
    match v {
        Value::String(s) => {
            if let Some((real, hostile)) = NAMES.iter().find(|(r, h)| if to_hostile { s == r } else { s == h }) {
                *s = if to_hostile { hostile } else { real }.to_string();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| map_strings(i, to_hostile)),
        Value::Object(map) => map.values_mut().for_each(|i| map_strings(i, to_hostile)),
        _ => {}
    }
}

fn hostile_char(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

#[test]
fn hostile_strings_are_neutralised_in_text_and_kept_in_json() {
    let a = fresh_account();
    // api:latest has no run yet (pending): CloudTrail is read to explain it, and refused with a hostile message.
    seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "web", "images": [{"seed": "w1", "tags": ["latest"]}]},
                         {"name": "api", "images": [{"seed": "a1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "web-deploy", "sources": [{"repository": "web"}], "start_executions": 1},
                      {"name": "api-deploy", "sources": [{"repository": "api"}]}]}]}));

    let proxy = FaultProxy::start();
    proxy.set_rewrite(Some(Arc::new(|dir, op, body: &mut Value| {
        map_strings(body, dir == Direction::Response);
        if dir == Direction::Response && op == "ListPipelineExecutions" {
            for s in body["pipelineExecutionSummaries"].as_array_mut().into_iter().flatten() {
                s["pipelineExecutionId"] = EXECUTION_ID.into();
                s["statusSummary"] = SUMMARY.into();
                s["trigger"] = json!({"triggerType": TRIGGER, "triggerDetail": DETAIL});
            }
        }
    })));
    let error = Fault::Error { status: 400, code: "AccessDeniedException".into(), message: DENIED.into() };
    proxy.set_rules(vec![Rule::on(&["LookupEvents"], error)]);

    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &config_toml(&[("alpha", &a, &proxy.endpoint())]));
    let config = config.to_str().unwrap();

    // JSON: the original strings, parsed back exactly; the document itself holds no raw control or bidi character.
    let run = run_pipewatch(["--once", "--output", "json", "--config", config]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(!run.stdout.chars().any(hostile_char), "raw hostile characters in the JSON text:\n{:?}", run.stdout);
    for escaped in [r"\u001b]0;pwned\u0007", r"\u202e", r"\u009b31m", r"\r\n", r"\u007f", r"\u200b\u2066"] {
        assert!(run.stdout.contains(escaped), "{escaped} missing in\n{}", run.stdout);
    }
    let doc = run.json();
    let pipeline = doc["pipelines"].as_array().unwrap().iter().find(|p| p["name"] == PIPELINE).unwrap();
    assert_eq!(pipeline["name"], PIPELINE, "{doc:#}");
    assert_eq!(pipeline["sources"], json!([{"repository": REPOSITORY, "tag": TAG}]), "{doc:#}");
    let execution = &pipeline["executions"][0];
    assert_eq!(execution["id"], EXECUTION_ID, "{doc:#}");
    assert_eq!(execution["trigger"], TRIGGER, "{doc:#}");
    assert_eq!(execution["trigger_detail"], DETAIL, "{doc:#}");
    assert_eq!(execution["status_summary"], SUMMARY, "{doc:#}");
    let push = doc["pushes"].as_array().unwrap().iter().find(|p| p["repository"] == REPOSITORY).unwrap();
    assert_eq!((&push["repository"], &push["tags"]), (&json!(REPOSITORY), &json!([TAG])), "{doc:#}");
    assert_eq!(push["status"], "triggered", "the hostile names still correlate: {doc:#}");
    assert_eq!(push["execution"]["pipeline"], PIPELINE, "{doc:#}");
    let warnings = doc["profiles"][0]["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w.as_str().unwrap().contains(DENIED)), "{warnings:?}");

    // Text: every hostile character made visible, none left raw.
    let run = run_pipewatch(["--once", "--output", "text", "--config", config]);
    assert_eq!(run.code, Some(0), "{run}");
    let raw: Vec<(usize, char)> = run.stdout.char_indices().filter(|(_, c)| hostile_char(*c)).collect();
    assert!(raw.is_empty(), "raw hostile characters {raw:?} in the text report:\n{:?}", run.stdout);
    // (Compared with whitespace collapsed: the report wraps long warnings.)
    let flat = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for visible in [
        "web-deploy^[]0;pwned^G",                     // pipeline name (OSC title)
        "web^[[2J^[[H:latest<U+202E>gpj.exe",         // repository:tag of the push
        "exec<U+200B><U+2066>-1^[[1A",                // execution id
        "Webhook<U+009B>31m",                         // trigger type
        "denied ^[]0;pwned^G <U+202E>txt <U+009B>2J", // the error message in the warning
    ] {
        assert!(flat.contains(visible), "{visible:?} missing in the text report:\n{}", run.stdout);
    }
    assert!(proxy.problems().is_empty(), "{:?}", proxy.problems());
}
