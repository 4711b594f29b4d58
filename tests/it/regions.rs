//! Several regions per profile, against the AWS-behaviour layer (awsim keys its world by account and region): one
//! profile with `regions = ["us-east-1", "eu-west-1"]` reports both regions' pipelines and pushes, each with its
//! region, and correlates a push only with its own region's runs, even when the other region ran the same image.
//! Once on awsim (rules start runs, so a push's own run is seen) and once on moto.

use awsim::{Manifest, Principal, PushSpec, RuleState};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::support::sim::Sim;
use crate::support::{Moto, fresh_account, run_pipewatch, seed, write_config};

const A: &str = "111111111111";
const US: &str = "us-east-1";
const EU: &str = "eu-west-1";

fn in_region<'a>(doc: &'a Value, list: &str, region: &str) -> Vec<&'a Value> {
    doc[list].as_array().unwrap().iter().filter(|p| p["region"] == region).collect()
}

/// One profile polling two regions of one account, each with a web-deploy pipeline and the same image pushed to
/// its registry: us-east-1's rule starts a run of that digest, eu-west-1's rule is disabled. Both regions are
/// reported with their region; the eu-west-1 push is untriggered (its own rule), never matched to us-east-1's run.
#[test]
fn two_regions_of_one_account_are_reported_and_correlated_apart() {
    let sim = Sim::start();
    let w = &sim.world;
    let ci = Principal::assumed_role(A, "service-role/codebuild-web", "build-1");
    w.console_pipeline(A, US, "web-deploy", "web", None);
    let eu_rule = w.console_pipeline(A, EU, "web-deploy", "web", None);
    w.set_rule_state(A, EU, &eu_rule, RuleState::Disabled);
    let at = Timestamp::now() - SignedDuration::from_mins(10);
    let same = Manifest::image("web-build-7");
    let us = w.push(PushSpec::new(A, US, "web", ci.clone(), at).tag("latest").manifest(same.clone())).unwrap();
    let eu = w.push(PushSpec::new(A, EU, "web", ci, at).tag("latest").manifest(same)).unwrap();
    assert_eq!(us.digest, eu.digest, "the same image in both registries");
    assert_eq!((us.started.len(), eu.started.len()), (1, 0), "us-east-1's rule runs it, eu-west-1's does not");

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pipewatch.toml");
    let toml = format!(
        "[settings]\ngrace = \"5m\"\nlookback = \"24h\"\ntimeout = \"20s\"\n\n[profiles.alpha]\n\
         role_arn = \"arn:aws:iam::{A}:role/pipewatch-read\"\nendpoint_url = \"{}\"\nregions = [\"{US}\", \"{EU}\"]\n",
        sim.endpoint()
    );
    std::fs::write(&config, toml).unwrap();
    let config = config.to_str().unwrap();
    let run = run_pipewatch(["--once", "--output", "json", "--config", config]);
    assert_eq!(run.code, Some(1), "eu-west-1's push is untriggered\n{run}");
    let doc = run.json();

    // One profile, reported once per region, both as the one account.
    let profiles: Vec<(&str, &str, &str)> = doc["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (p["name"].as_str().unwrap(), p["region"].as_str().unwrap(), p["identity"]["account"].as_str().unwrap())
        })
        .collect();
    assert_eq!(profiles, [("alpha", US, A), ("alpha", EU, A)], "{doc:#}");
    for p in doc["profiles"].as_array().unwrap() {
        assert_eq!(p["error"], Value::Null, "{p:#}");
    }

    // Each region's pipeline, with its own runs.
    let us_pipes = in_region(&doc, "pipelines", US);
    let eu_pipes = in_region(&doc, "pipelines", EU);
    assert_eq!((us_pipes.len(), eu_pipes.len()), (1, 1), "{doc:#}");
    assert_eq!((&us_pipes[0]["name"], &eu_pipes[0]["name"]), (&Value::from("web-deploy"), &Value::from("web-deploy")));
    assert_eq!(us_pipes[0]["executions"].as_array().unwrap().len(), 1, "{doc:#}");
    assert_eq!(eu_pipes[0]["executions"].as_array().unwrap().len(), 0, "{doc:#}");
    let link = us_pipes[0]["console_url"].as_str().unwrap_or_default();
    assert!(link.ends_with(&format!("?region={US}")), "{link}");

    // Each region's push: us-east-1's triggered its run; eu-west-1's, the same digest, matched nothing.
    let us_pushes = in_region(&doc, "pushes", US);
    let eu_pushes = in_region(&doc, "pushes", EU);
    assert_eq!((us_pushes.len(), eu_pushes.len()), (1, 1), "{doc:#}");
    let (us_push, eu_push) = (us_pushes[0], eu_pushes[0]);
    assert_eq!((&us_push["profile"], &eu_push["profile"]), (&Value::from("alpha"), &Value::from("alpha")));
    assert_eq!(us_push["status"], "triggered", "{us_push:#}");
    assert_eq!(us_push["execution"]["id"], Value::from(us.started[0].1.clone()), "{us_push:#}");
    assert_eq!(eu_push["status"], "untriggered", "{eu_push:#}");
    assert_eq!((&eu_push["execution"], &eu_push["deployed_by"]), (&Value::Null, &Value::Null), "{eu_push:#}");
    let codes: Vec<&str> =
        eu_push["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["rule_disabled"], "{eu_push:#}");
    let link = eu_push["console_url"].as_str().unwrap_or_default();
    assert!(link.contains(&format!("region={EU}")), "{link}");

    // One session for both regions: one AssumeRole, one GetCallerIdentity; each region's own clients for the rest.
    let log = w.requests();
    let count = |op: &str| log.iter().filter(|r| r.operation == op).count();
    assert_eq!((count("AssumeRole"), count("GetCallerIdentity")), (1, 1), "{log:#?}");
    let regions_of = |op: &str| {
        let mut r: Vec<&str> = log.iter().filter(|r| r.operation == op).map(|r| r.region.as_str()).collect();
        r.sort_unstable();
        r
    };
    assert_eq!(regions_of("ListPipelines"), [EU, US], "{log:#?}");

    // The text report names the region beside the profile, as the profile polls two.
    let text = run_pipewatch(["--once", "--config", config]);
    let out = &text.stdout;
    assert!(out.contains(&format!("alpha@{EU}")) && out.contains(&format!("alpha@{US}/web-deploy")), "{out}");
}

/// The same on moto (which serves every region on one endpoint and keys its backends by account and region): the
/// same image pushed to web in us-east-1 and in eu-west-1, each region with its web-deploy pipeline, only
/// us-east-1's released by hand after the push. Both pushes and both pipelines are reported with their region; the
/// release deployed us-east-1's push only (moto's runs carry no source revision, so it is matched by time: a
/// region-blind analysis would give eu-west-1's push the same `deployed_by`).
#[test]
fn two_regions_of_one_account_on_moto() {
    let moto = Moto::shared();
    let a = fresh_account();
    let region = |region: &str, runs: u32| {
        json!({"region": region, "accounts": [{"id": a,
            "repositories": [{"name": "web", "images": [{"seed": "w1", "tags": ["latest"]}]}],
            "pipelines": [{"name": "web-deploy", "sources": [{"repository": "web", "tag": "latest"}],
                           "start_executions": runs}]}]})
    };
    let us = seed(region(US, 1));
    let eu = seed(region(EU, 0));
    let digest = |seeded: &Value| seeded["accounts"][0]["digests"]["web/w1"].as_str().unwrap().to_string();
    assert_eq!(digest(&us), digest(&eu), "the same image in both registries");
    let run_id = us["accounts"][0]["pipelines"][0]["started"][0].as_str().unwrap().to_string();

    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[settings]\ngrace = \"5m\"\nlookback = \"24h\"\ntimeout = \"20s\"\nregions = [\"{US}\", \"{EU}\"]\n\n\
         [profiles.alpha]\nrole_arn = \"arn:aws:iam::{a}:role/pipewatch-read\"\nendpoint_url = \"{}\"\n",
        moto.endpoint()
    );
    let config = write_config(dir.path(), &toml);
    let run = run_pipewatch(["--once", "--output", "json", "--config", config.to_str().unwrap()]);
    assert_eq!(run.code, Some(0), "both pushes are pending\n{run}");
    let doc = run.json();
    let regions: Vec<&str> =
        doc["profiles"].as_array().unwrap().iter().map(|p| p["region"].as_str().unwrap()).collect();
    assert_eq!(regions, [US, EU], "{doc:#}");
    for p in doc["profiles"].as_array().unwrap() {
        assert_eq!((&p["name"], &p["identity"]["account"], &p["error"]), (&json!("alpha"), &json!(a), &Value::Null));
    }
    let runs = |region: &str| -> Vec<Value> {
        in_region(&doc, "pipelines", region).iter().map(|p| p["executions"].as_array().unwrap().len().into()).collect()
    };
    assert_eq!((runs(US), runs(EU)), (vec![json!(1)], vec![json!(0)]), "{doc:#}");

    let (us_pushes, eu_pushes) = (in_region(&doc, "pushes", US), in_region(&doc, "pushes", EU));
    assert_eq!((us_pushes.len(), eu_pushes.len()), (1, 1), "{doc:#}");
    assert_eq!(us_pushes[0]["status"], "pending", "{doc:#}");
    assert_eq!(us_pushes[0]["deployed_by"]["id"], json!(run_id), "{doc:#}");
    assert_eq!(eu_pushes[0]["status"], "pending", "{doc:#}");
    assert_eq!((&eu_pushes[0]["execution"], &eu_pushes[0]["deployed_by"]), (&Value::Null, &Value::Null), "{doc:#}");
    assert_eq!(eu_pushes[0]["digest"], json!(digest(&eu)));
}

/// `pipewatch doctor` checks a profile of two regions in each of them: a checkup per region, each reading that
/// region's own pipeline (awsim keeps each region's apart).
#[test]
fn doctor_checks_every_region_of_a_profile() {
    let sim = Sim::start();
    let w = &sim.world;
    w.console_pipeline(A, US, "us-deploy", "web", None);
    w.console_pipeline(A, EU, "eu-deploy", "web", None);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pipewatch.toml");
    let toml = format!(
        "[profiles.alpha]\nrole_arn = \"arn:aws:iam::{A}:role/pipewatch-read\"\nendpoint_url = \"{}\"\n\
         regions = [\"{US}\", \"{EU}\"]\n",
        sim.endpoint()
    );
    std::fs::write(&config, toml).unwrap();
    let run = run_pipewatch(["doctor", "--config", config.to_str().unwrap(), "--output", "json"]);
    assert_eq!(run.code, Some(0), "{run}");
    let doc = run.json();
    let checkups = doc["profiles"].as_array().unwrap();
    let read_pipeline = |p: &Value| {
        let checks = p["checks"].as_array().unwrap();
        let c = checks.iter().find(|c| c["name"] == "codepipeline:GetPipeline").unwrap();
        c["detail"].as_str().unwrap().to_string()
    };
    let got: Vec<(&str, &str, String)> = checkups
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["region"].as_str().unwrap(), read_pipeline(p)))
        .collect();
    assert_eq!(
        got,
        [
            ("alpha", US, "read us-deploy (ECR sources: 1)".to_string()),
            ("alpha", EU, "read eu-deploy (ECR sources: 1)".to_string())
        ],
        "{run}"
    );
    // The text counts the profile once.
    let text = run_pipewatch(["doctor", "--config", config.to_str().unwrap()]);
    assert_eq!(text.code, Some(0), "{text}");
    assert!(text.stdout.contains("every check passed (1 profiles in 2 regional checkups)"), "{text}");
}
