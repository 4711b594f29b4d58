//! `pipewatch --demo --once` names every diagnosis code with its fix, in text and in JSON (the demo has one stuck
//! pipeline per cause), and exits 1 for its untriggered pushes.

use assert_cmd::Command;

const CODES: [&str; 10] = [
    "cross_account_push",
    "no_trigger_rule",
    "rule_disabled",
    "rule_pattern_mismatch",
    "cloudtrail_pattern_without_trail",
    "replication_not_matched",
    "target_without_role",
    "tag_not_watched",
    "deployed_without_trigger",
    "unknown",
];

fn demo(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pipewatch"))
        .args(["--demo", "--once"])
        .args(args)
        .env("NO_COLOR", "1")
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn text_names_every_cause_with_its_fix() {
    let (code, text) = demo(&[]);
    assert_eq!(code, 1, "{text}");
    for c in CODES {
        assert!(text.contains(&format!("[{c}]")), "{c} missing from:\n{text}");
    }
    // Findings wrap at 80 columns: compare with whitespace folded.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("pushed with account 222222222222's identity, its own identity (AWSAccount, principal"),
        "{text}"
    );
    assert!(flat.contains("inferred: that no event reached account 111111111111"), "{text}");
    assert!(flat.contains("fix: create the rule and its target"), "{text}");
    assert!(flat.contains("aws events put-targets --rule worker-deploy-ecr-worker"), "{text}");
    assert!(flat.contains("fix: assume a role in account 111111111111 before pushing"), "{text}");
    assert!(flat.contains("fix: aws events enable-rule --name codepipeline-batch-latest-rule"), "{text}");
}

#[test]
fn json_carries_pusher_and_findings_for_every_cause() {
    let (code, out) = demo(&["--output", "json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let pushes = doc["pushes"].as_array().unwrap();
    for c in CODES {
        let p = pushes
            .iter()
            .find(|p| p["findings"].as_array().unwrap().iter().any(|f| f["code"] == c))
            .unwrap_or_else(|| panic!("no push with {c}"));
        let f = p["findings"].as_array().unwrap().iter().find(|f| f["code"] == c).unwrap();
        assert!(!f["message"].as_str().unwrap().is_empty() && !f["fix"].as_str().unwrap().is_empty(), "{f}");
    }
    let api = pushes.iter().find(|p| p["repository"] == "api").unwrap();
    assert_eq!(
        api["pusher"],
        serde_json::json!({"arn": null, "account": "222222222222", "type": "AWSAccount", "cross_account": true})
    );
    assert_eq!(doc["profiles"][0]["warnings"], serde_json::json!([]));
}

/// The whole `--once` output of the demo at a fixed instant, text and JSON: a refactoring must leave both
/// byte-for-byte unchanged (a change to the demo's story or to the report's wording shows up here on purpose).
#[test]
fn demo_output_at_a_fixed_instant_is_stable() {
    let at = "2026-11-29T10:00:00Z";
    let (code, text) = demo(&["--now", at]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("demo_once_text", text);
    let (code, json) = demo(&["--now", at, "--output", "json"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("demo_once_json", json);
}

/// `--output ndjson` prints the document's `pushes`, one object a line; `--only` keeps the statuses asked for and
/// leaves the exit code alone.
#[test]
fn ndjson_lines_are_the_documents_pushes_and_only_filters_them() {
    let at = "2026-11-29T10:00:00Z";
    let (_, json) = demo(&["--now", at, "--output", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let (code, lines) = demo(&["--now", at, "--output", "ndjson"]);
    assert_eq!(code, 1);
    let parsed: Vec<serde_json::Value> = lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(serde_json::Value::from(parsed), doc["pushes"]);

    let (code, lines) = demo(&["--now", at, "--output", "ndjson", "--only", "untriggered"]);
    assert_eq!(code, 1, "the exit code is the report's, whatever is shown");
    let statuses: Vec<String> = lines
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["status"].as_str().unwrap().to_string())
        .collect();
    let untriggered = doc["pushes"].as_array().unwrap().iter().filter(|p| p["status"] == "untriggered").count();
    assert!(untriggered > 0);
    assert_eq!(statuses, vec!["untriggered"; untriggered]);
    let (_, filtered) = demo(&["--now", at, "--output", "json", "--only", "pending,unwatched"]);
    let filtered: serde_json::Value = serde_json::from_str(&filtered).unwrap();
    let kept: Vec<&str> =
        filtered["pushes"].as_array().unwrap().iter().map(|p| p["status"].as_str().unwrap()).collect();
    assert!(!kept.is_empty() && kept.iter().all(|s| *s == "pending" || *s == "unwatched"), "{kept:?}");
    assert_eq!(filtered["pipelines"], doc["pipelines"], "only the pushes are filtered");
}

/// The text report opens with what needs attention: the untriggered pushes, each with its fix and console links.
#[test]
fn text_opens_with_the_untriggered_pushes_and_their_links() {
    let (_, text) = demo(&["--now", "2026-11-29T10:00:00Z"]);
    let (_, json) = demo(&["--now", "2026-11-29T10:00:00Z", "--output", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let untriggered = doc["pushes"].as_array().unwrap().iter().filter(|p| p["status"] == "untriggered").count();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[2].starts_with(&format!("UNTRIGGERED ({untriggered})")), "{text}");
    let profiles = lines.iter().position(|l| *l == "PROFILES").unwrap();
    let first_untriggered = lines.iter().position(|l| l.contains("UNTRIGGERED  ")).unwrap();
    assert!(first_untriggered < profiles);
    assert!(lines[..profiles].iter().any(|l| l.trim_start().starts_with("fix:")), "{text}");
    assert!(
        lines[..profiles].iter().any(|l| l.trim()
            == "pipeline  https://ap-northeast-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/api-deploy/view?region=ap-northeast-1"),
        "{text}"
    );
    // Nothing untriggered is listed twice.
    assert_eq!(text.matches("UNTRIGGERED  ").count(), untriggered);
    let (_, only) = demo(&["--now", "2026-11-29T10:00:00Z", "--only", "untriggered"]);
    assert!(!only.contains("PIPELINES") && !only.contains("OTHER PUSHES"), "{only}");
}

#[test]
fn only_is_for_once() {
    let out = Command::new(env!("CARGO_BIN_EXE_pipewatch")).args(["--demo", "--only", "untriggered"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--only filters the report of --once"));
}
