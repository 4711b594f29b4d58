//! The EventBridge rule checks of the diagnosis, against rules seeded in moto: no rule, a disabled rule, a rule
//! for another tag, a CloudTrail-style rule, and a matching rule. moto does not serve CloudTrail LookupEvents,
//! so the profile also shows the warning for a CloudTrail lookup that failed, without failing.

use serde_json::{Value, json};

use crate::support::{Moto, config_toml, fresh_account, run_pipewatch, seed, write_config};

fn codes_of(doc: &Value, repo: &str) -> Vec<String> {
    let push = doc["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["repository"] == repo)
        .unwrap_or_else(|| panic!("no push of {repo} in {doc:#}"));
    assert_eq!(push["status"], "untriggered", "{push:#}");
    push["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect()
}

#[test]
fn rule_checks_name_each_cause() {
    let moto = Moto::shared();
    let a = fresh_account();
    let trail_pattern = json!({"source": ["aws.ecr"], "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventName": ["PutImage"], "requestParameters": {"repositoryName": ["legacy"]}}});
    let repos: Vec<Value> = ["norule", "off", "wrongtag", "legacy", "good"]
        .iter()
        .map(|r| json!({"name": r, "images": [{"seed": format!("{r}1"), "tags": ["latest"]}]}))
        .collect();
    let pipelines: Vec<Value> = ["norule", "off", "wrongtag", "legacy", "good"]
        .iter()
        .map(|r| json!({"name": format!("{r}-deploy"), "sources": [{"repository": r}]}))
        .collect();
    seed(json!({"accounts": [{"id": a, "repositories": repos, "pipelines": pipelines, "rules": [
        {"name": "off-rule", "repository": "off", "tag": "latest", "pipeline": "off-deploy", "state": "DISABLED"},
        {"name": "wrongtag-rule", "repository": "wrongtag", "tag": "stable", "pipeline": "wrongtag-deploy"},
        {"name": "legacy-rule", "event_pattern": trail_pattern, "pipeline": "legacy-deploy"},
        {"name": "good-rule", "repository": "good", "tag": "latest", "pipeline": "good-deploy"}
    ]}]}));
    std::thread::sleep(std::time::Duration::from_secs(2));

    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &config_toml(&[("alpha", &a, &moto.endpoint())]));
    let run = run_pipewatch(["--once", "--output", "json", "--grace", "1s", "--config", config.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{run}");
    let doc = run.json();

    assert_eq!(codes_of(&doc, "norule"), ["no_trigger_rule"]);
    assert_eq!(codes_of(&doc, "off"), ["rule_disabled"]);
    assert_eq!(codes_of(&doc, "wrongtag"), ["rule_pattern_mismatch"]);
    assert_eq!(codes_of(&doc, "legacy"), ["cloudtrail_pattern_without_trail"]);
    assert_eq!(codes_of(&doc, "good"), ["unknown"]);

    let good = doc["pushes"].as_array().unwrap().iter().find(|p| p["repository"] == "good").unwrap();
    let msg = good["findings"][0]["message"].as_str().unwrap();
    assert!(msg.contains("rule good-rule matches good:latest and is enabled"), "{msg}");
    assert!(msg.contains("could not check CloudTrail"), "{msg}");
    let wrong = doc["pushes"].as_array().unwrap().iter().find(|p| p["repository"] == "wrongtag").unwrap();
    let msg = wrong["findings"][0]["message"].as_str().unwrap();
    assert!(msg.contains(r#"detail.image-tag is ["stable"] (push: "latest")"#), "{msg}");

    // CloudTrail is enrichment: its failure is a warning, not a failed profile.
    let profile = &doc["profiles"][0];
    assert_eq!(profile["error"], Value::Null, "{profile:#}");
    let warnings = profile["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w.as_str().unwrap().contains("needs cloudtrail:LookupEvents")), "{warnings:?}");
    assert_eq!(doc["pushes"][0]["pusher"], Value::Null);
}

#[test]
fn switched_off_checks_are_said_and_not_called() {
    let moto = Moto::shared();
    let a = fresh_account();
    seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "web", "images": [{"seed": "w1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "web-deploy", "sources": [{"repository": "web"}]}]}]}));
    std::thread::sleep(std::time::Duration::from_secs(2));
    let dir = tempfile::tempdir().unwrap();
    let toml = config_toml(&[("alpha", &a, &moto.endpoint())]) + "cloudtrail = false\neventbridge = false\n";
    let config = write_config(dir.path(), &toml);
    let run = run_pipewatch(["--once", "--output", "json", "--grace", "1s", "--config", config.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{run}");
    let doc = run.json();
    assert_eq!(doc["profiles"][0]["warnings"], json!([]));
    let f = &doc["pushes"][0]["findings"][0];
    assert_eq!(f["code"], "unknown");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("CloudTrail (switched off with `cloudtrail = false`)"), "{msg}");
    assert!(msg.contains("EventBridge rules (switched off with `eventbridge = false`)"), "{msg}");
}
