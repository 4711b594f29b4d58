//! `pipewatch doctor` against moto: a healthy profile passes every check and exits 0; a profile whose endpoint is a
//! closed port is unreachable, the endpoint named; a role in an account that does not trust the caller (AWS answers
//! AccessDenied, which the fault proxy returns as AWS words it, since moto checks no trust policy) is explained;
//! the JSON document carries the same facts. moto serves no CloudTrail LookupEvents, no CloudWatch GetMetricData in
//! the SDK's CBOR protocol and no IAM SimulatePrincipalPolicy, so the moto profiles here switch CloudTrail and
//! EventBridge off (their checks are then skipped, by the profile's own switches); awsim, which serves them all,
//! checks every API a full profile calls.

use serde_json::{Value, json};

use super::support::proxy::{Fault, FaultProxy, Rule};
use super::support::sim::Sim;
use super::support::{Moto, REGION, dead_endpoint, fresh_account, run_pipewatch, seed, settings_toml, write_config};

fn profile(name: &str, account: &str, endpoint: &str) -> String {
    format!(
        "\n[profiles.{name}]\nrole_arn = \"arn:aws:iam::{account}:role/pipewatch-read\"\nendpoint_url = \"{endpoint}\"\n\
         cloudtrail = false\neventbridge = false\n"
    )
}

fn checks(profile: &Value) -> Vec<(String, String)> {
    profile["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), c["status"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn a_healthy_profile_passes_every_check() {
    let account = fresh_account();
    seed(json!({"accounts": [{"id": account,
        "repositories": [{"name": "web", "images": [{"seed": "w1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "web-deploy", "sources": [{"repository": "web"}], "start_executions": 1}],
        "rules": [{"name": "web-push", "repository": "web", "tag": "latest", "pipeline": "web-deploy"}]}]}));
    let dir = tempfile::tempdir().unwrap();
    let config =
        write_config(dir.path(), &(settings_toml() + &profile("healthy", &account, &Moto::shared().endpoint())));
    let run = run_pipewatch(["doctor", "--config", config.to_str().unwrap(), "--output", "json"]);
    assert_eq!(run.code, Some(0), "{run}");
    let doc = run.json();
    assert_eq!(doc["config"]["found_by"], "--config");
    let p = &doc["profiles"][0];
    assert_eq!(p["problem"], false, "{run}");
    let expected: Vec<(String, String)> = [
        ("config", "ok"),
        ("credentials", "ok"),
        ("sts:AssumeRole", "ok"),
        ("sts:GetCallerIdentity", "ok"),
        ("clock", "ok"),
        ("codepipeline:ListPipelines", "ok"),
        ("codepipeline:GetPipeline", "ok"),
        ("codepipeline:ListPipelineExecutions", "ok"),
        ("ecr:DescribeImages", "ok"),
        ("ecr:BatchGetImage", "ok"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let got = checks(p);
    assert_eq!(got[..expected.len()], expected[..], "{run}");
    let rest: Vec<&(String, String)> = got[expected.len()..].iter().collect();
    assert!(rest.iter().any(|(name, _)| name == "cloudtrail:LookupEvents"), "{run}");
    assert!(rest.iter().any(|(name, _)| name == "events:DescribeRule"), "{run}");
    assert!(rest.iter().all(|(_, status)| status == "skipped"), "switched off, skipped: {run}");
    // The probes read what the account holds.
    let detail = |name: &str| {
        p["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["detail"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(detail("codepipeline:GetPipeline"), "read web-deploy (ECR sources: 1)");
    assert_eq!(detail("ecr:DescribeImages"), "web: 1 images read (at most 1 asked)");
    assert!(detail("sts:GetCallerIdentity").contains(&format!("in account {account}")));
    // The text says the same, and never prints a credential.
    let text = run_pipewatch(["doctor", "--config", config.to_str().unwrap()]);
    assert_eq!(text.code, Some(0), "{text}");
    assert!(text.stdout.contains("every check passed (1 profiles)"), "{text}");
    assert!(!text.stdout.contains("testing-secret") && !text.stdout.contains("FQoG"), "{text}");
}

#[test]
fn a_closed_port_is_unreachable_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let dead = dead_endpoint();
    let toml = settings_toml() + &profile("closed", "111111111111", &dead);
    let config = write_config(dir.path(), &toml);
    let run = run_pipewatch(["doctor", "--config", config.to_str().unwrap(), "--output", "json"]);
    assert_eq!(run.code, Some(3), "{run}");
    let p = &run.json()["profiles"][0];
    let unreachable = &p["checks"][1];
    assert_eq!((&unreachable["step"], &unreachable["status"]), (&json!("credentials"), &json!("unreachable")), "{run}");
    assert_eq!(unreachable["endpoint"], dead.as_str(), "{run}");
    assert!(unreachable["detail"].as_str().unwrap().contains("Connection refused"), "{run}");
    let text = run_pipewatch(["doctor", "--config", config.to_str().unwrap()]);
    assert!(text.stdout.contains("UNREACHABLE sts:GetCallerIdentity"), "{text}");
    assert!(text.stdout.contains(&format!("endpoint {dead}")), "{text}");
}

#[test]
fn a_role_in_an_account_that_does_not_trust_us_is_explained() {
    let good = fresh_account();
    let proxy = FaultProxy::start();
    // What AWS answers for a role ARN naming an account whose role does not trust the caller (or does not exist).
    proxy.set_rules(vec![Rule::on(
        &["AssumeRole"],
        Fault::Error {
            status: 403,
            code: "AccessDenied".into(),
            message: "User: arn:aws:iam::123456789012:user/moto is not authorized to perform: sts:AssumeRole on \
                      resource: arn:aws:iam::999999999999:role/pipewatch-read"
                .into(),
        },
    )]);
    let dir = tempfile::tempdir().unwrap();
    let toml = settings_toml()
        + &profile("wrong-account", "999999999999", &proxy.endpoint())
        + &profile("fine", &good, &Moto::shared().endpoint());
    let config = write_config(dir.path(), &toml);
    let run = run_pipewatch(["doctor", "--config", config.to_str().unwrap(), "--output", "json"]);
    assert_eq!(run.code, Some(3), "one profile's problem is the run's: {run}");
    let doc = run.json();
    let bad = &doc["profiles"][0];
    let assume = bad["checks"].as_array().unwrap().iter().find(|c| c["name"] == "sts:AssumeRole").unwrap();
    assert_eq!(assume["status"], "failed");
    assert!(assume["detail"].as_str().unwrap().contains("a wrong account in role_arn"), "{assume}");
    let fix = assume["fix"].as_str().unwrap();
    assert!(fix.contains("existing role in account 999999999999"), "{fix}");
    // The caller is moto's base identity, as GetCallerIdentity names it.
    assert!(fix.contains("trust policy names arn:aws:sts::123456789012:user/moto"), "{fix}");
    assert_eq!(bad["checks"].as_array().unwrap().last().unwrap()["status"], "skipped");
    assert_eq!(doc["profiles"][1]["problem"], false, "the other profile is unaffected: {run}");
    // JSON shape: every check has the same keys.
    for c in bad["checks"].as_array().unwrap() {
        let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["step", "name", "status", "detail", "fix", "statement", "endpoint", "settings"], "{c}");
    }
}

#[test]
fn exit_codes_of_doctor() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write_config(dir.path(), "[profiles.a]\nrol_arn = \"x\"\n");
    let run = run_pipewatch(["doctor", "--config", bad.to_str().unwrap()]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("pipewatch.toml:2:1"), "{run}");
    let unknown = run_pipewatch(["doctor", "--config", bad.to_str().unwrap(), "--profile", "nope"]);
    assert_eq!(unknown.code, Some(2), "{unknown}");
    let demo = run_pipewatch(["doctor", "--demo"]);
    assert_eq!(demo.code, Some(0), "{demo}");
    assert!(demo.stdout.contains("every check passed (2 profiles)"), "{demo}");
}

/// A full profile (CloudTrail and EventBridge on) against awsim, which serves every API pipewatch calls: each check
/// passes and reads what the account holds.
#[test]
fn every_api_of_a_full_profile_passes_on_awsim() {
    let sim = Sim::start();
    let account = "111111111111";
    sim.world.console_pipeline(account, REGION, "web-deploy", "web", None);
    let dir = tempfile::tempdir().unwrap();
    let config = sim.config(dir.path(), &[("full", account)]);
    let run = run_pipewatch(["doctor", "--config", config.to_str().unwrap(), "--output", "json"]);
    assert_eq!(run.code, Some(0), "{run}");
    let p = &run.json()["profiles"][0];
    let got = checks(p);
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    for api in [
        "cloudtrail:LookupEvents",
        "events:ListRuleNamesByTarget",
        "events:DescribeRule",
        "events:ListTargetsByRule",
        "cloudtrail:DescribeTrails",
        "cloudwatch:GetMetricData",
        "ecr:DescribeRegistry",
        "iam:SimulatePrincipalPolicy",
    ] {
        assert!(names.contains(&api), "{api} is checked: {run}");
    }
    assert!(got.iter().all(|(_, status)| status == "ok"), "{run}");
    let rule = p["checks"].as_array().unwrap().iter().find(|c| c["name"] == "events:DescribeRule").unwrap();
    assert!(rule["detail"].as_str().unwrap().starts_with("read rule "), "{rule}");
}

/// Profiles that share their source credentials check them once: one GetCallerIdentity signed with the base
/// credentials for all of them (an organization's 500 profiles sent 500 at once, which awsim's 10 a second
/// throttled), then one per assumed role; each profile's checkup still shows the credentials check.
#[test]
fn profiles_sharing_source_credentials_check_them_once() {
    let sim = Sim::start();
    let accounts = ["111111111111", "222222222222", "333333333333"];
    for account in accounts {
        sim.world.console_pipeline(account, REGION, "web-deploy", "web", None);
    }
    let dir = tempfile::tempdir().unwrap();
    let config = sim.config(dir.path(), &[("a", accounts[0]), ("b", accounts[1]), ("c", accounts[2])]);
    let run = run_pipewatch(["doctor", "--config", config.to_str().unwrap(), "--output", "json"]);
    assert_eq!(run.code, Some(0), "{run}");
    for p in run.json()["profiles"].as_array().unwrap() {
        assert!(checks(p).contains(&("credentials".into(), "ok".into())), "{run}");
    }
    let mut callers: Vec<String> =
        sim.world.requests().iter().filter(|r| r.api() == "sts:GetCallerIdentity").map(|r| r.account.clone()).collect();
    callers.sort();
    let base = callers.iter().find(|a| !accounts.contains(&a.as_str())).cloned().unwrap_or_default();
    let mut expected = vec![base, accounts[0].into(), accounts[1].into(), accounts[2].into()];
    expected.sort();
    assert_eq!(callers, expected, "one base check, one per role");
}
