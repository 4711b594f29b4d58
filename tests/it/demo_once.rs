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
    "run_superseded",
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
