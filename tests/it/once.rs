//! `pipewatch --once` against moto: the JSON contract, exit codes, failing and hung profiles, filtering, text.
//!
//! Every test seeds its own fresh account ids (moto keeps one backend per account), so tests run in parallel
//! against the one shared moto server without resets.
//!
//! Timing in moto: ECR stamps a push "now" (whole seconds), and executions are started by the seeder right after
//! the pushes. moto starts every run as a release by hand (`StartPipelineExecution`, no source revision), so no run
//! is ever the push's own: a push released right after it is *pending* within the grace period and *untriggered*
//! after it, in both cases with the release as `deployed_by` (matched by time) and, once untriggered, the finding
//! `deployed_without_trigger`; what a run started by the push's event looks like is tested against awsim
//! (`behaviour`, `runs`). Tests that need an untriggered push use `--grace 3s` and sleep past it (3 s rather than 1 s:
//! `imagePushedAt` is truncated to the second, so an execution started right after a push can be up to ~1.2 s
//! "after" it).

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{
    Moto, REGION, Run, config_toml, dead_endpoint, fresh_account, hung_endpoint, profile_toml, run_pipewatch, seed,
    settings_toml, write_config,
};

/// `--grace` for tests that need an untriggered push, and how long they wait after seeding.
const SHORT_GRACE: &str = "3s";
const PAST_SHORT_GRACE: Duration = Duration::from_secs(4);

// ---------------------------------------------------------------------------------------------------------------
// Lookups in a `--output json` document (each panics with the whole document when the item is missing).

fn profile<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["profiles"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("no profile {name:?} in {doc:#}"))
}

fn pipeline<'a>(doc: &'a Value, profile: &str, name: &str) -> &'a Value {
    doc["pipelines"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["profile"] == profile && p["name"] == name))
        .unwrap_or_else(|| panic!("no pipeline {profile}/{name} in {doc:#}"))
}

fn push<'a>(doc: &'a Value, profile: &str, digest: &str) -> &'a Value {
    let found: Vec<&Value> = doc["pushes"]
        .as_array()
        .map(|ps| ps.iter().filter(|p| p["profile"] == profile && p["digest"] == digest).collect())
        .unwrap_or_default();
    assert_eq!(found.len(), 1, "expected exactly one push {profile}/{digest} in {doc:#}");
    found[0]
}

fn names<'a>(items: &'a Value, key: &str) -> Vec<&'a str> {
    items.as_array().unwrap().iter().map(|i| i[key].as_str().unwrap()).collect()
}

fn sorted_strings(v: &Value) -> Vec<&str> {
    let mut out: Vec<&str> = v.as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    out.sort_unstable();
    out
}

fn ts(v: &Value) -> Timestamp {
    v.as_str()
        .unwrap_or_else(|| panic!("expected an RFC 3339 string, got {v}"))
        .parse()
        .unwrap_or_else(|e| panic!("{v} is not RFC 3339: {e}"))
}

// Seed results.

fn account<'a>(seeded: &'a Value, id: &str) -> &'a Value {
    seeded["accounts"].as_array().unwrap().iter().find(|a| a["id"] == id).unwrap()
}

fn seeded_image<'a>(seeded: &'a Value, id: &str, repo: &str, image_seed: &str) -> &'a Value {
    let repos = account(seeded, id)["repositories"].as_array().unwrap();
    let r = repos.iter().find(|r| r["name"] == repo).unwrap();
    r["images"].as_array().unwrap().iter().find(|i| i["seed"] == image_seed).unwrap()
}

fn seeded_pipeline<'a>(seeded: &'a Value, id: &str, name: &str) -> &'a Value {
    account(seeded, id)["pipelines"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()
}

// Common assertions.

/// The profile polled cleanly as the assumed role `pipewatch-read` in `account`.
fn assert_identity(doc: &Value, name: &str, account: &str) {
    let p = profile(doc, name);
    assert_eq!(p["region"], REGION, "{p:#}");
    assert_eq!(p["error"], Value::Null, "{p:#}");
    let id = &p["identity"];
    assert_eq!(id["account"], account, "{p:#}");
    let arn = id["arn"].as_str().unwrap_or_else(|| panic!("identity.arn missing: {p:#}"));
    assert!(arn.starts_with(&format!("arn:aws:sts::{account}:assumed-role/pipewatch-read/pipewatch")), "{arn}");
    // For an assumed role, UserId is `<role id>:<session name>`.
    let session = arn.rsplit('/').next().unwrap();
    let user_id = id["user_id"].as_str().unwrap_or_else(|| panic!("identity.user_id missing: {p:#}"));
    assert!(user_id.ends_with(&format!(":{session}")) && user_id.len() > session.len() + 1, "{user_id}");
}

/// The profile failed: no identity, an error naming the problem, and nothing of it in pipelines or pushes.
fn assert_failed(doc: &Value, name: &str, any_of: &[&str]) -> String {
    let p = profile(doc, name);
    assert_eq!(p["identity"], Value::Null, "{p:#}");
    let error = p["error"].as_str().unwrap_or_else(|| panic!("error should be a string: {p:#}")).to_string();
    assert!(!error.trim().is_empty(), "{p:#}");
    let lower = error.to_lowercase();
    assert!(any_of.iter().any(|w| lower.contains(w)), "error {error:?} should mention one of {any_of:?}");
    assert!(doc["pipelines"].as_array().unwrap().iter().all(|x| x["profile"] != name), "{doc:#}");
    assert!(doc["pushes"].as_array().unwrap().iter().all(|x| x["profile"] != name), "{doc:#}");
    error
}

/// Top-level shape, and pushes newest first.
fn assert_document(doc: &Value, grace_seconds: u64) {
    let generated = ts(&doc["generated_at"]);
    assert!((Timestamp::now() - generated).get_seconds().abs() < 120, "generated_at {generated}");
    assert_eq!(doc["grace_seconds"], grace_seconds, "{doc:#}");
    let pushed: Vec<Timestamp> = doc["pushes"].as_array().unwrap().iter().map(|p| ts(&p["pushed_at"])).collect();
    assert!(pushed.windows(2).all(|w| w[0] >= w[1]), "pushes not newest first: {pushed:?}");
}

/// A pipeline entry matches what was seeded: its sources and every execution (ids, newest first).
fn assert_pipeline(doc: &Value, profile: &str, seeded: &Value, account: &str, name: &str, sources: Value) {
    let p = pipeline(doc, profile, name);
    assert_eq!(p["sources"], sources, "{p:#}");
    let want = &seeded_pipeline(seeded, account, name)["executions"];
    let got = p["executions"].as_array().unwrap();
    assert_eq!(names(&p["executions"], "id"), names(want, "id"), "{p:#}");
    for (g, w) in got.iter().zip(want.as_array().unwrap()) {
        assert_eq!(g["status"], "Succeeded", "{g:#}");
        assert_eq!(g["trigger"], "StartPipelineExecution", "{g:#}");
        assert_eq!(g["revisions"], json!([]), "moto never fills sourceRevisions: {g:#}");
        let (g_at, w_at) = (ts(&g["started_at"]), ts(&w["started_at"]));
        assert!((g_at - w_at).get_milliseconds().abs() <= 1, "started_at {g_at} vs seeded {w_at}");
    }
}

/// A push entry: tags (sorted), pushed_at as moto stamped it, status, no run of its own (moto starts none), and the
/// run that deployed it anyway.
fn assert_push(
    doc: &Value,
    profile: &str,
    seeded: &Value,
    account: &str,
    (repo, image_seed): (&str, &str),
    status: &str,
    deployed_by: Value,
) {
    let image = seeded_image(seeded, account, repo, image_seed);
    let p = push(doc, profile, image["digest"].as_str().unwrap());
    assert_eq!(p["repository"], repo, "{p:#}");
    assert_eq!(sorted_strings(&p["tags"]), sorted_strings(&image["tags"]), "{p:#}");
    assert_eq!(ts(&p["pushed_at"]), ts(&image["pushed_at"]), "{p:#}");
    assert_eq!(p["status"], status, "{p:#}");
    assert_eq!(p["execution"], Value::Null, "moto starts no run by a push's event: {p:#}");
    // The console link is checked by the console tests; here, what deployed it.
    let mut deployed = p["deployed_by"].clone();
    if let Some(m) = deployed.as_object_mut() {
        m.remove("console_url");
    }
    assert_eq!(deployed, deployed_by, "{p:#}");
    let codes: Vec<&str> = p["findings"].as_array().unwrap().iter().filter_map(|f| f["code"].as_str()).collect();
    // The finding comes once the push is untriggered, beside its cause.
    let named = codes.contains(&"deployed_without_trigger");
    assert_eq!(named, status == "untriggered" && !deployed_by.is_null(), "{p:#}");
}

/// The run moto started right after the push: a release by hand with no detail and no revision, so matched by time.
fn released_by_hand(pipeline: &str, id: &Value) -> Value {
    json!({"pipeline": pipeline, "id": id, "matched_by": "time", "status": "Succeeded",
           "trigger": "StartPipelineExecution", "started_by": null})
}

fn tempdir() -> TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// `pipewatch --once ARGS --config CONFIG`
fn once(config: &Path, args: &[&str]) -> Run {
    let mut all: Vec<OsString> = vec!["--once".into()];
    all.extend(args.iter().map(OsString::from));
    all.extend(["--config".into(), config.into()]);
    run_pipewatch(all)
}

// ---------------------------------------------------------------------------------------------------------------

/// Two profiles assuming `pipewatch-read` in two accounts: identities, pipelines, executions, and pushes that are
/// pending (released by hand, or with no run yet) and unwatched (so the run is healthy: exit 0).
#[test]
fn two_accounts_identities_pipelines_and_pushes() {
    let moto = Moto::shared();
    let (a, b) = (fresh_account(), fresh_account());
    let seeded = seed(json!({"accounts": [
        {"id": a,
         "repositories": [
             {"name": "web", "images": [{"seed": "w0", "tags": ["v0"]}, {"seed": "w1", "tags": ["latest", "v1"]}]},
             {"name": "tools", "images": [{"seed": "t1", "tags": ["stable"]}]},
         ],
         "pipelines": [{"name": "web-deploy", "sources": [{"action": "Source", "repository": "web", "tag": "latest"}],
                        "start_executions": 1}]},
        {"id": b,
         "repositories": [
             {"name": "api", "images": [{"seed": "a1", "tags": ["latest"]}]},
             {"name": "sidecar", "images": []},
             {"name": "jobs", "images": [{"seed": "j1", "tags": ["release"]}]},
         ],
         "pipelines": [
             {"name": "api-deploy",
              "sources": [{"action": "Api", "repository": "api", "tag": "latest"},
                          {"action": "Sidecar", "repository": "sidecar", "tag": "stable"}],
              "start_executions": 2},
             {"name": "jobs-deploy", "sources": [{"action": "Source", "repository": "jobs", "tag": "release"}]},
         ]},
    ]}));

    let dir = tempdir();
    let mut toml = settings_toml();
    toml += &profile_toml("alpha", &a, &moto.endpoint());
    toml += "repositories = [\"tools\"]\n";
    toml += &profile_toml("beta", &b, &moto.endpoint());
    let config = write_config(dir.path(), &toml);

    let run = once(&config, &["--output", "json"]);
    assert_eq!(run.code, Some(0), "{run}");
    let doc = run.json();
    assert_document(&doc, 300);
    assert_eq!(doc["profiles"].as_array().unwrap().len(), 2, "{doc:#}");
    assert_identity(&doc, "alpha", &a);
    assert_identity(&doc, "beta", &b);

    assert_eq!(doc["pipelines"].as_array().unwrap().len(), 3, "{doc:#}");
    assert_pipeline(&doc, "alpha", &seeded, &a, "web-deploy", json!([{"repository": "web", "tag": "latest"}]));
    assert_pipeline(
        &doc,
        "beta",
        &seeded,
        &b,
        "api-deploy",
        json!([{"repository": "api", "tag": "latest"}, {"repository": "sidecar", "tag": "stable"}]),
    );
    assert_pipeline(&doc, "beta", &seeded, &b, "jobs-deploy", json!([{"repository": "jobs", "tag": "release"}]));

    let web_exec = &seeded_pipeline(&seeded, &a, "web-deploy")["started"][0];
    assert_push(&doc, "alpha", &seeded, &a, ("web", "w1"), "pending", released_by_hand("web-deploy", web_exec));
    assert_push(&doc, "alpha", &seeded, &a, ("web", "w0"), "unwatched", Value::Null);
    assert_push(&doc, "alpha", &seeded, &a, ("tools", "t1"), "unwatched", Value::Null);
    // Two releases, one push: the first one after it deployed it.
    let api_exec = &seeded_pipeline(&seeded, &b, "api-deploy")["started"][0];
    assert_push(&doc, "beta", &seeded, &b, ("api", "a1"), "pending", released_by_hand("api-deploy", api_exec));
    assert_push(&doc, "beta", &seeded, &b, ("jobs", "j1"), "pending", Value::Null);
    assert_eq!(doc["pushes"].as_array().unwrap().len(), 5, "{doc:#}");
}

/// Watched pushes older than the grace period are untriggered (exit 1): one with no run at all, and one released by
/// hand right after it, whose release is named as what deployed it.
#[test]
fn untriggered_push_exits_1() {
    let moto = Moto::shared();
    let a = fresh_account();
    let seeded = seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "web", "images": [{"seed": "w1", "tags": ["latest"]}]},
                         {"name": "api", "images": [{"seed": "a1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "web-deploy", "sources": [{"repository": "web"}], "start_executions": 1},
                      {"name": "api-deploy", "sources": [{"repository": "api"}]}]}]}));
    // Precondition for "released within the grace period": the seeder started the run soon enough after the push.
    let pushed = ts(&seeded_image(&seeded, &a, "web", "w1")["pushed_at"]);
    let started = ts(&seeded_pipeline(&seeded, &a, "web-deploy")["executions"][0]["started_at"]);
    assert!(
        (started - pushed).get_seconds() < 3,
        "seeding too slow (machine overloaded?): push {pushed}, run {started}"
    );
    std::thread::sleep(PAST_SHORT_GRACE);

    let dir = tempdir();
    let config = write_config(dir.path(), &config_toml(&[("alpha", &a, &moto.endpoint())]));
    let run = once(&config, &["--output", "json", "--grace", SHORT_GRACE]);
    assert_eq!(run.code, Some(1), "{run}");
    let doc = run.json();
    assert_document(&doc, 3);
    assert_identity(&doc, "alpha", &a);
    let web_exec = &seeded_pipeline(&seeded, &a, "web-deploy")["started"][0];
    assert_push(&doc, "alpha", &seeded, &a, ("web", "w1"), "untriggered", released_by_hand("web-deploy", web_exec));
    assert_push(&doc, "alpha", &seeded, &a, ("api", "a1"), "untriggered", Value::Null);
    assert_pipeline(&doc, "alpha", &seeded, &a, "api-deploy", json!([{"repository": "api", "tag": "latest"}]));
}

/// One profile on an endpoint that refuses connections: exit 3, its error names the problem, the other
/// profile's data is complete.
#[test]
fn refused_endpoint_fails_only_its_profile_exit_3() {
    let moto = Moto::shared();
    let (a, b) = (fresh_account(), fresh_account());
    let seeded = seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "web", "images": [{"seed": "w1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "web-deploy", "sources": [{"repository": "web"}], "start_executions": 1}]}]}));

    let dir = tempdir();
    let dead = dead_endpoint();
    let config = write_config(dir.path(), &config_toml(&[("alpha", &a, &moto.endpoint()), ("beta", &b, &dead)]));
    let run = once(&config, &["--output", "json"]);
    assert_eq!(run.code, Some(3), "{run}");
    let doc = run.json();
    assert_document(&doc, 300);
    assert_failed(&doc, "beta", &["connect", "refused", "dispatch", "unreachable", "io error"]);
    assert_eq!(profile(&doc, "beta")["region"], REGION);

    assert_identity(&doc, "alpha", &a);
    assert_pipeline(&doc, "alpha", &seeded, &a, "web-deploy", json!([{"repository": "web", "tag": "latest"}]));
    let web_exec = &seeded_pipeline(&seeded, &a, "web-deploy")["started"][0];
    assert_push(&doc, "alpha", &seeded, &a, ("web", "w1"), "pending", released_by_hand("web-deploy", web_exec));
    assert_eq!(doc["pushes"].as_array().unwrap().len(), 1, "{doc:#}");
}

/// A profile on an endpoint that accepts connections and never answers is cut off by `--timeout 2s` (which
/// overrides the config's 10s): the run ends quickly with exit 3, which wins over the other profile's untriggered
/// push (exit 1).
#[test]
fn hung_endpoint_is_cut_off_by_timeout_exit_3() {
    let moto = Moto::shared();
    let (a, b) = (fresh_account(), fresh_account());
    let seeded = seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "api", "images": [{"seed": "a1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "api-deploy", "sources": [{"repository": "api"}]}]}]}));
    std::thread::sleep(PAST_SHORT_GRACE);

    let dir = tempdir();
    let hung = hung_endpoint();
    let config = write_config(dir.path(), &config_toml(&[("alpha", &a, &moto.endpoint()), ("beta", &b, &hung)]));
    let run = once(&config, &["--output", "json", "--timeout", "2s", "--grace", SHORT_GRACE]);
    assert!(run.elapsed < Duration::from_secs(8), "took {:?}\n{run}", run.elapsed);
    assert_eq!(run.code, Some(3), "{run}");
    let doc = run.json();
    assert_failed(&doc, "beta", &["timed out", "timeout"]);
    assert_identity(&doc, "alpha", &a);
    assert_push(&doc, "alpha", &seeded, &a, ("api", "a1"), "untriggered", Value::Null);
}

/// `--profile` polls only the named profile: the other one, on a dead endpoint, is neither polled nor reported.
#[test]
fn profile_flag_selects_profiles() {
    let moto = Moto::shared();
    let (a, b) = (fresh_account(), fresh_account());
    let seeded = seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "web", "images": [{"seed": "w1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "web-deploy", "sources": [{"repository": "web"}], "start_executions": 1}]}]}));
    let dir = tempdir();
    let dead = dead_endpoint();
    let config = write_config(dir.path(), &config_toml(&[("alpha", &a, &moto.endpoint()), ("beta", &b, &dead)]));
    let run = once(&config, &["--output", "json", "--profile", "alpha"]);
    assert_eq!(run.code, Some(0), "{run}");
    let doc = run.json();
    assert_eq!(names(&doc["profiles"], "name"), ["alpha"], "{doc:#}");
    assert_identity(&doc, "alpha", &a);
    assert_eq!(names(&doc["pipelines"], "profile"), ["alpha"], "{doc:#}");
    let web_exec = &seeded_pipeline(&seeded, &a, "web-deploy")["started"][0];
    assert_push(&doc, "alpha", &seeded, &a, ("web", "w1"), "pending", released_by_hand("web-deploy", web_exec));

    let run = once(&config, &["--output", "json", "--profile", "beta"]);
    assert_eq!(run.code, Some(3), "{run}");
    let doc = run.json();
    assert_eq!(names(&doc["profiles"], "name"), ["beta"], "{doc:#}");
    assert_failed(&doc, "beta", &["connect", "refused", "dispatch", "unreachable", "io error"]);
    assert_eq!(doc["pushes"], json!([]), "{doc:#}");
}

/// `pipelines = [..]` in a profile limits the pipelines read (and so the repositories they watch).
#[test]
fn pipelines_setting_limits_what_is_read() {
    let moto = Moto::shared();
    let a = fresh_account();
    let seeded = seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "web", "images": [{"seed": "w1", "tags": ["latest"]}]},
                         {"name": "api", "images": [{"seed": "a1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "web-deploy", "sources": [{"repository": "web"}], "start_executions": 1},
                      {"name": "api-deploy", "sources": [{"repository": "api"}], "start_executions": 1}]}]}));
    let dir = tempdir();
    let toml = config_toml(&[("alpha", &a, &moto.endpoint())]) + "pipelines = [\"web-deploy\"]\n";
    let config = write_config(dir.path(), &toml);
    let run = once(&config, &["--output", "json"]);
    assert_eq!(run.code, Some(0), "{run}");
    let doc = run.json();
    assert_eq!(names(&doc["pipelines"], "name"), ["web-deploy"], "{doc:#}");
    let web_exec = &seeded_pipeline(&seeded, &a, "web-deploy")["started"][0];
    assert_push(&doc, "alpha", &seeded, &a, ("web", "w1"), "pending", released_by_hand("web-deploy", web_exec));
    assert_eq!(doc["pushes"].as_array().unwrap().len(), 1, "api is not read: {doc:#}");
}

/// The text summary (explicit `--output text` and the default) names both accounts, the untriggered
/// repository:tag and the word "untriggered"; exit code as in JSON.
#[test]
fn text_output_names_accounts_and_untriggered_push() {
    let moto = Moto::shared();
    let (a, b) = (fresh_account(), fresh_account());
    seed(json!({"accounts": [
        {"id": a,
         "repositories": [{"name": "web", "images": [{"seed": "w1", "tags": ["latest"]}]}],
         "pipelines": [{"name": "web-deploy", "sources": [{"repository": "web"}]}]},
        {"id": b,
         "repositories": [{"name": "api", "images": [{"seed": "a1", "tags": ["latest"]}]}],
         "pipelines": [{"name": "api-deploy", "sources": [{"repository": "api"}], "start_executions": 1}]},
    ]}));
    std::thread::sleep(PAST_SHORT_GRACE);
    let dir = tempdir();
    let config =
        write_config(dir.path(), &config_toml(&[("alpha", &a, &moto.endpoint()), ("beta", &b, &moto.endpoint())]));

    for output in [Some("text"), None] {
        let mut args = vec!["--grace", SHORT_GRACE];
        if let Some(o) = output {
            args.extend(["--output", o]);
        }
        let run = once(&config, &args);
        assert_eq!(run.code, Some(1), "--output {output:?}: {run}");
        for needle in [a.as_str(), b.as_str(), "web:latest"] {
            assert!(run.stdout.contains(needle), "--output {output:?}: {needle:?} missing\n{run}");
        }
        assert!(run.stdout.to_lowercase().contains("untriggered"), "--output {output:?}\n{run}");
        assert!(!run.stdout.contains('\x1b'), "NO_COLOR and a pipe: no escape codes\n{run}");
        assert!(serde_json::from_str::<Value>(&run.stdout).is_err(), "text, not JSON\n{run}");
    }
}

/// An unknown `--profile` is a usage error: exit 2, nothing on stdout, the name on stderr.
#[test]
fn unknown_profile_is_a_usage_error() {
    let a = fresh_account();
    let dir = tempdir();
    let config = write_config(dir.path(), &config_toml(&[("alpha", &a, &dead_endpoint())]));
    for output in ["json", "text"] {
        let run = once(&config, &["--output", output, "--profile", "nosuch"]);
        assert_eq!(run.code, Some(2), "{run}");
        assert_eq!(run.stdout, "", "{run}");
        assert!(run.stderr.contains("nosuch"), "{run}");
    }
}
