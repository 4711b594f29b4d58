//! The fault matrix: one profile (`alpha`) polls moto through the fault proxy, a second one (`beta`) polls moto
//! directly; each case injects one fault into `alpha`'s traffic and runs `pipewatch --once --timeout 20s` (3s for
//! the cases that wait for a hang) in JSON and in text. Every case asserts that the run ends within the timeout plus
//! a margin, what `alpha` shows (an error and exit 3, or only a warning for the enrichment APIs CloudTrail and
//! EventBridge), and that `beta` — and whatever `alpha` should still have — is exactly what a fault-free run shows.
//! RELIABILITY.md lists the cases.
//!
//! One seeded world and one fault-free baseline serve every case (they only read). `alpha`'s `api` push is pending,
//! so its poll has an explain step; `beta` is the control and switches CloudTrail and EventBridge off, so its poll
//! is the same whatever happens to `alpha`. moto does not implement CloudTrail LookupEvents (HTTP 500), so the baseline already carries a
//! CloudTrail warning on `alpha`; the enrichment cases assert on what their fault changes.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::proxy::{Fault, FaultProxy, Rule};
use crate::support::{Moto, Run, dead_endpoint, fresh_account, run_pipewatch, seed, settings_toml, write_config};

/// `--timeout` of the runs that wait for a hang or a slow endpoint to be cut off.
const TIMEOUT: Duration = Duration::from_secs(3);
/// `--timeout` of every other run: the SDK's standard retries (3 attempts, backoff with jitter from 1 s) may take up
/// to 3 s on one call before its answer or failure is known, and a poll chains several calls (AssumeRole, then
/// ListPipelines, then DescribeImages, then the explain step): a throttling burst on each can take 10 s
/// (RELIABILITY.md).
const RETRIES_TIMEOUT: Duration = Duration::from_secs(20);
/// What a run may take beyond the timeout (process start, report, exit) before it counts as a hang.
const MARGIN: Duration = Duration::from_millis(1500);

/// The seeded accounts and the fault-free baseline document.
pub struct World {
    pub alpha: String,
    pub beta: String,
    /// `--output json` of a run with a transparent proxy in front of alpha.
    pub baseline: Value,
    pub baseline_code: Option<i32>,
}

/// Seeds once per process: alpha has a push released at once (web, with a matching EventBridge rule) and one without
/// a run (api); beta has a push released at once (svc). moto starts every run as a release by hand
/// (`StartPipelineExecution`, no revision), which no push's event started: within the grace period every push is
/// pending, the released ones with the run that deployed them (`deployed_by`).
pub fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let (alpha, beta) = (fresh_account(), fresh_account());
        seed(json!({"accounts": [
            {"id": alpha,
             "repositories": [{"name": "web", "images": [{"seed": "w1", "tags": ["latest"]}]},
                              {"name": "api", "images": [{"seed": "a1", "tags": ["latest"]}]}],
             "pipelines": [{"name": "web-deploy", "sources": [{"repository": "web"}], "start_executions": 1},
                           {"name": "api-deploy", "sources": [{"repository": "api"}]}],
             "rules": [{"name": "web-push", "repository": "web", "tag": "latest", "pipeline": "web-deploy"}]},
            {"id": beta,
             "repositories": [{"name": "svc", "images": [{"seed": "s1", "tags": ["latest"]}]}],
             "pipelines": [{"name": "svc-deploy", "sources": [{"repository": "svc"}], "start_executions": 1}],
             "rules": [{"name": "svc-push", "repository": "svc", "tag": "latest", "pipeline": "svc-deploy"}]},
        ]}));
        let proxy = FaultProxy::start();
        let dir = tempfile::tempdir().expect("tempdir");
        let run = once(dir.path(), &alpha, &beta, &proxy.endpoint(), "json", RETRIES_TIMEOUT);
        let baseline = run.json();
        // The baseline itself is checked: both profiles complete, statuses as seeded.
        for (name, account) in [("alpha", &alpha), ("beta", &beta)] {
            let p = profile(&baseline, name);
            assert_eq!(p["error"], Value::Null, "{run}");
            assert_eq!(p["identity"]["account"], account.as_str(), "{run}");
        }
        let statuses: Vec<(String, String)> = baseline["pushes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    format!("{}/{}", p["profile"].as_str().unwrap(), p["repository"].as_str().unwrap()),
                    p["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let mut statuses = statuses;
        statuses.sort();
        assert_eq!(
            statuses,
            [("alpha/api", "pending"), ("alpha/web", "pending"), ("beta/svc", "pending")]
                .map(|(a, b)| (a.to_string(), b.to_string())),
            "{run}"
        );
        for p in baseline["pushes"].as_array().unwrap() {
            let released = p["repository"] != "api";
            assert_eq!(p["deployed_by"]["trigger"] == "StartPipelineExecution", released, "{p:#}");
        }
        assert_eq!(pipelines_of(&baseline, "alpha").len(), 2, "{run}");
        assert!(proxy.problems().is_empty(), "{:?}", proxy.problems());
        World { alpha, beta, baseline, baseline_code: run.code }
    })
}

/// `pipewatch --once --timeout TIMEOUT --output OUTPUT` on alpha (at `alpha_endpoint`) and beta (moto directly).
fn once(dir: &std::path::Path, alpha: &str, beta: &str, alpha_endpoint: &str, output: &str, timeout: Duration) -> Run {
    let moto = Moto::shared();
    let toml = settings_toml()
        + &crate::support::profile_toml("alpha", alpha, alpha_endpoint)
        + &crate::support::profile_toml("beta", beta, &moto.endpoint())
        // The control profile reads no enrichment: moto's runs are all manual starts, so beta's push needs explaining,
        // and moto's LookupEvents answers HTTP 500 with retries that outlast the short timeout of the hang cases.
        + "cloudtrail = false\neventbridge = false\n";
    let config = write_config(dir, &toml);
    let timeout = format!("{}s", timeout.as_secs());
    run_pipewatch(["--once", "--output", output, "--timeout", &timeout, "--config", config.to_str().unwrap()])
}

fn profile<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["profiles"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("no profile {name:?} in {doc:#}"))
}

fn pipelines_of<'a>(doc: &'a Value, name: &str) -> Vec<&'a Value> {
    doc["pipelines"].as_array().unwrap().iter().filter(|p| p["profile"] == name).collect()
}

fn pushes_of<'a>(doc: &'a Value, name: &str) -> Vec<&'a Value> {
    doc["pushes"].as_array().unwrap().iter().filter(|p| p["profile"] == name).collect()
}

/// A profile's entry, pipelines and pushes. The role-id part of `identity.user_id` (`AROA...:pipewatch`) is
/// dropped: moto makes up a new one for every AssumeRole.
fn section(doc: &Value, name: &str) -> Value {
    let mut entry = profile(doc, name).clone();
    if let Some(user_id) = entry["identity"]["user_id"].as_str() {
        let session = user_id.rsplit(':').next().unwrap_or_default().to_string();
        entry["identity"]["user_id"] = Value::String(format!("<role id>:{session}"));
    }
    json!({"profile": entry, "pipelines": pipelines_of(doc, name), "pushes": pushes_of(doc, name)})
}

/// Lower-cased text with runs of whitespace collapsed (the text report wraps long lines).
fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The lines of the text report's PROFILES section that belong to `name`.
fn text_block(stdout: &str, name: &str) -> String {
    // PROFILES comes after the untriggered pushes and ends at the next blank line.
    let from = stdout.find("\nPROFILES\n").map_or(stdout, |at| &stdout[at + 1..]);
    let section = from.split("\n\n").next().unwrap_or(from);
    let mut out = Vec::new();
    let mut inside = false;
    for line in section.lines() {
        if line.starts_with("  ") && !line.starts_with("   ") {
            inside = line[2..].starts_with(&format!("{name} "));
        }
        if inside {
            out.push(line);
        }
    }
    out.join("\n")
}

/// What the faulted profile should show.
#[derive(Debug, Clone, Copy)]
pub enum Expect<'a> {
    /// Exit 3 and an error mentioning one of these.
    Fails(&'a [&'a str]),
    /// Exit 3 and an error mentioning one of these, with identity and pipelines kept.
    FailsKeeping(&'a [&'a str]),
    /// The baseline's exit code, no error, a warning mentioning one of these; pipelines and pushes as in the
    /// baseline.
    Warns(&'a [&'a str]),
    /// The baseline's exit code, no error, identity, pipelines and push statuses as in the baseline (warnings may
    /// differ: a slow CloudTrail may be cut off by the enrichment budget).
    Complete,
    /// Exactly the baseline.
    Healthy,
}

fn mentions(haystack: &str, any_of: &[&str]) -> bool {
    let h = flat(haystack);
    any_of.iter().any(|n| h.contains(&flat(n)))
}

/// Runs one case in JSON and text with `--timeout 20s` and checks it; returns the JSON run (for extra assertions).
fn check(name: &str, proxy: &FaultProxy, endpoint: &str, rules: &[Rule], expect: Expect<'_>) -> Run {
    check_within(name, proxy, endpoint, rules, expect, RETRIES_TIMEOUT)
}

/// [`check`] with `--timeout timeout`.
fn check_within(
    name: &str,
    proxy: &FaultProxy,
    endpoint: &str,
    rules: &[Rule],
    expect: Expect<'_>,
    timeout: Duration,
) -> Run {
    let w = world();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut json_run = None;
    for output in ["json", "text"] {
        proxy.set_rules(rules.to_vec());
        proxy.reset_counts();
        let started = Instant::now();
        let run = once(dir.path(), &w.alpha, &w.beta, endpoint, output, timeout);
        let took = started.elapsed();
        let ctx = format!("case {name} --output {output}: {run}\nproxy requests: {:?}", proxy.counts());
        assert!(took < timeout + MARGIN, "took {took:?}, more than {timeout:?} + {MARGIN:?}\n{ctx}");
        assert!(!run.stderr.contains("panicked"), "{ctx}");
        let want_code = match expect {
            Expect::Fails(_) | Expect::FailsKeeping(_) => Some(3),
            Expect::Warns(_) | Expect::Complete | Expect::Healthy => w.baseline_code,
        };
        assert_eq!(run.code, want_code, "{ctx}");
        if output == "json" {
            let doc = run.json();
            assert_eq!(section(&doc, "beta"), section(&w.baseline, "beta"), "the healthy profile changed\n{ctx}");
            let got = profile(&doc, "alpha");
            match expect {
                Expect::Fails(any_of) | Expect::FailsKeeping(any_of) => {
                    let error = got["error"].as_str().unwrap_or_else(|| panic!("alpha has no error\n{ctx}"));
                    assert!(mentions(error, any_of), "alpha's error should mention one of {any_of:?}\n{ctx}");
                    if let Expect::FailsKeeping(_) = expect {
                        assert_eq!(
                            section(&doc, "alpha")["profile"]["identity"],
                            section(&w.baseline, "alpha")["profile"]["identity"],
                            "{ctx}"
                        );
                        assert_eq!(pipelines_of(&doc, "alpha"), pipelines_of(&w.baseline, "alpha"), "{ctx}");
                    }
                }
                Expect::Warns(_) | Expect::Complete => {
                    assert_eq!(got["error"], Value::Null, "{ctx}");
                    assert_eq!(
                        section(&doc, "alpha")["profile"]["identity"],
                        section(&w.baseline, "alpha")["profile"]["identity"],
                        "{ctx}"
                    );
                    if let Expect::Warns(any_of) = expect {
                        let warnings = got["warnings"].as_array().unwrap();
                        assert!(
                            warnings.iter().any(|w| mentions(w.as_str().unwrap(), any_of)),
                            "alpha should warn with one of {any_of:?}\n{ctx}"
                        );
                    }
                    assert_eq!(pipelines_of(&doc, "alpha"), pipelines_of(&w.baseline, "alpha"), "{ctx}");
                    let statuses = |d: &Value| -> Vec<(Value, Value)> {
                        pushes_of(d, "alpha").iter().map(|p| (p["digest"].clone(), p["status"].clone())).collect()
                    };
                    assert_eq!(statuses(&doc), statuses(&w.baseline), "{ctx}");
                }
                Expect::Healthy => {
                    assert_eq!(section(&doc, "alpha"), section(&w.baseline, "alpha"), "{ctx}");
                }
            }
            eprintln!(
                "fault case {name}: exit {:?} in {took:?}; alpha error: {}; alpha warnings: {}",
                run.code, got["error"], got["warnings"]
            );
            json_run = Some(run);
        } else {
            let alpha = text_block(&run.stdout, "alpha");
            let beta = text_block(&run.stdout, "beta");
            assert!(beta.contains(&w.beta) && !beta.contains("ERROR"), "beta in text\n{ctx}");
            match expect {
                Expect::Fails(any_of) | Expect::FailsKeeping(any_of) => {
                    assert!(alpha.contains("ERROR") && mentions(&alpha, any_of), "alpha's text block\n{ctx}");
                    assert!(run.stdout.contains("1 of 2 profiles failed to poll"), "{ctx}");
                }
                Expect::Warns(any_of) => {
                    assert!(!alpha.contains("ERROR") && alpha.contains("warning:"), "alpha's text block\n{ctx}");
                    assert!(mentions(&alpha, any_of), "alpha's text block\n{ctx}");
                    assert!(run.stdout.contains("0 of 2 profiles failed to poll"), "{ctx}");
                }
                Expect::Complete | Expect::Healthy => {
                    assert!(!alpha.contains("ERROR") && alpha.contains(&w.alpha), "alpha's text block\n{ctx}");
                    assert!(run.stdout.contains("0 of 2 profiles failed to poll"), "{ctx}");
                }
            }
        }
    }
    assert!(proxy.problems().is_empty(), "proxy problems: {:?}", proxy.problems());
    json_run.expect("the JSON run")
}

/// Runs a case through a fresh proxy in front of moto.
fn case(name: &str, rules: &[Rule], expect: Expect<'_>) -> FaultProxy {
    case_within(name, rules, expect, RETRIES_TIMEOUT)
}

/// [`case`] with `--timeout timeout`.
fn case_within(name: &str, rules: &[Rule], expect: Expect<'_>, timeout: Duration) -> FaultProxy {
    let proxy = FaultProxy::start();
    check_within(name, &proxy, &proxy.endpoint(), rules, expect, timeout);
    proxy
}

// ---------------------------------------------------------------------------------------------------------------
// Transport faults.

#[test]
fn fault_refused_connection() {
    let proxy = FaultProxy::start(); // unused: nothing listens on the dead endpoint
    check(
        "refused",
        &proxy,
        &dead_endpoint(),
        &[],
        Expect::Fails(&["could not get credentials: sts:AssumeRole: tcp connect error: Connection refused"]),
    );
}

#[test]
fn fault_hang_every_request() {
    let proxy = case_within("hang", &[Rule::all(Fault::Hang)], Expect::Fails(&["poll timed out after 3s"]), TIMEOUT);
    assert!(proxy.faulted("AssumeRole") >= 1, "{:?}", proxy.counts());
}

#[test]
fn fault_latency_200ms_is_tolerated() {
    case("latency 200ms", &[Rule::all(Fault::Delay(Duration::from_millis(200)))], Expect::Complete);
}

#[test]
fn fault_latency_2s_times_out() {
    case_within(
        "latency 2s",
        &[Rule::all(Fault::Delay(Duration::from_secs(2)))],
        Expect::Fails(&["poll timed out after 3s"]),
        TIMEOUT,
    );
}

#[test]
fn fault_http_500_everywhere() {
    let proxy = case(
        "http 500",
        &[Rule::all(Fault::ServerError)],
        Expect::Fails(&["could not get credentials: sts:AssumeRole: HTTP 500, response not understood"]),
    );
    // Retried by the SDK (3 attempts per call).
    assert_eq!(proxy.requests("AssumeRole") % 3, 0, "{:?}", proxy.counts());
}

#[test]
fn fault_http_500_on_one_api() {
    case(
        "http 500 on ListPipelines",
        &[Rule::on(&["ListPipelines"], Fault::ServerError)],
        Expect::Fails(&["codepipeline:ListPipelines: HTTP 500, response not understood"]),
    );
}

#[test]
fn fault_reset_mid_response() {
    case("reset", &[Rule::all(Fault::Reset)], Expect::Fails(&["Connection reset by peer"]));
}

#[test]
fn fault_malformed_json_body() {
    case(
        "malformed JSON",
        &[Rule::on(&["ListPipelines"], Fault::Malformed)],
        Expect::Fails(&["codepipeline:ListPipelines: HTTP 200, response not understood"]),
    );
}

#[test]
fn fault_malformed_sts_xml() {
    // The SDK takes the truncated AssumeRole answer for credentials (access key `AS`, empty secret); moto then
    // answers as its default account. pipewatch notices the account is not the role's.
    case(
        "malformed XML",
        &[Rule::on(&["AssumeRole"], Fault::Malformed)],
        Expect::Fails(&["not in the role's account"]),
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Service errors.

#[test]
fn fault_throttling_burst_is_retried() {
    let ops = ["AssumeRole", "ListPipelines", "DescribeImages"];
    let proxy = case("throttling burst", &[Rule::on(&ops, Fault::Throttle).times(2)], Expect::Healthy);
    for op in ops {
        assert!(proxy.requests(op) > proxy.faulted(op) && proxy.faulted(op) >= 2, "{op}: {:?}", proxy.counts());
    }
}

#[test]
fn fault_throttling_sustained_codepipeline() {
    case(
        "throttling sustained",
        &[Rule::on(&["ListPipelines"], Fault::Throttle)],
        Expect::Fails(&["codepipeline:ListPipelines: ThrottlingException: Rate exceeded"]),
    );
}

#[test]
fn fault_throttling_sustained_sts() {
    case(
        "sts throttling",
        &[Rule::on(&["AssumeRole"], Fault::Throttle)],
        // With what to do about it: the profiles share the source account's STS limit.
        Expect::Fails(&[
            "could not get credentials: sts:AssumeRole: Throttling: Rate exceeded (the profiles assuming \
                         their roles from these credentials share the source account's STS limit: pace them with \
                         [settings] assume_role_rate, AssumeRole calls a second)",
        ]),
    );
}

#[test]
fn fault_expired_token_then_recovery() {
    let proxy = case(
        "expired token",
        &[Rule::on(&["GetCallerIdentity", "ListPipelines"], Fault::ExpiredToken)],
        Expect::Fails(&["ExpiredToken"]),
    );
    proxy.clear_rules();
    check("expired token, recovered", &proxy, &proxy.endpoint(), &[], Expect::Healthy);
}

#[test]
fn fault_access_denied_on_the_role() {
    case(
        "assume role denied",
        &[Rule::on(&["AssumeRole"], Fault::AccessDenied)],
        Expect::Fails(&["could not get credentials: sts:AssumeRole: AccessDenied: User:"]),
    );
}

#[test]
fn fault_access_denied_on_describe_images() {
    case(
        "ecr denied",
        &[Rule::on(&["DescribeImages"], Fault::AccessDenied)],
        Expect::FailsKeeping(&["ecr:DescribeImages web: AccessDeniedException"]),
    );
}

#[test]
fn fault_access_denied_on_cloudtrail_is_a_warning() {
    case(
        "cloudtrail denied",
        &[Rule::on(&["LookupEvents"], Fault::AccessDenied)],
        Expect::Warns(&["cloudtrail:LookupEvents failed: AccessDeniedException"]),
    );
}

#[test]
fn fault_access_denied_on_eventbridge_is_a_warning() {
    case(
        "eventbridge denied",
        &[Rule::on(&["ListRuleNamesByTarget"], Fault::AccessDenied)],
        Expect::Warns(&["trigger rules not checked: events:ListRuleNamesByTarget: AccessDeniedException"]),
    );
}

#[test]
fn fault_throttled_cloudtrail_is_a_warning() {
    case(
        "cloudtrail throttled",
        &[Rule::on(&["LookupEvents"], Fault::Throttle)],
        Expect::Warns(&["CloudTrail LookupEvents is throttled in account"]),
    );
}

#[test]
fn fault_hung_cloudtrail_is_a_warning() {
    case_within(
        "cloudtrail hang",
        &[Rule::on(&["LookupEvents"], Fault::Hang)],
        Expect::Warns(&["pushes to explain was not read completely within this poll's time"]),
        TIMEOUT,
    );
}

#[test]
fn fault_hung_eventbridge_is_a_warning() {
    case_within(
        "eventbridge hang",
        &[Rule::on(&["ListRuleNamesByTarget"], Fault::Hang)],
        Expect::Warns(&["trigger rules not checked: events:ListRuleNamesByTarget/DescribeRule did not finish"]),
        TIMEOUT,
    );
}

// ---------------------------------------------------------------------------------------------------------------
// A session that expires while the dashboard runs: the next poll must assume the role again.

/// Set (to `<moto port>:<alpha account>`) in the environment of the child process that runs
/// [`expired_session_child`].
const CHILD_ENV: &str = "PIPEWATCH_IT_EXPIRED_SESSION_CHILD";

/// Polls in-process, as the dashboard does, through a proxy that expires the assumed-role session after the first
/// poll. Runs [`expired_session_child`] in a child process, because the AWS source takes its base credentials from
/// the environment and a test must not change its own process's environment.
#[test]
fn expired_session_is_renewed_on_the_next_poll() {
    let w = world();
    let moto = Moto::shared();
    let mut cmd = assert_cmd::Command::new(std::env::current_exe().expect("test binary"));
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(|k| k.starts_with("AWS_") || k.starts_with("PIPEWATCH_")) {
            cmd.env_remove(key);
        }
    }
    let nowhere = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("pipewatch-it-no-such-dir");
    let out = cmd
        .args(["--exact", "faults::expired_session_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{}:{}", moto.port(), w.alpha))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing-secret")
        .env("AWS_REGION", crate::support::REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", nowhere.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", nowhere.join("credentials"))
        .timeout(Duration::from_secs(60))
        .output()
        .expect("running the child test");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "child failed ({}):\n{stdout}\n{stderr}", out.status);
    assert!(stdout.contains("1 passed"), "the child test did not run:\n{stdout}\n{stderr}");
}

#[test]
#[ignore = "runs in a child process started by expired_session_is_renewed_on_the_next_poll"]
fn expired_session_child() {
    use pipewatch::source::PollRequest;
    use pipewatch::source::aws::AwsSource;

    let spec = std::env::var(CHILD_ENV).expect("started by expired_session_is_renewed_on_the_next_poll");
    let (port, alpha) = spec.split_once(':').expect("<port>:<account>");
    let proxy = FaultProxy::start_to(port.parse().expect("port"));
    let dir = tempfile::tempdir().expect("tempdir");
    let path =
        write_config(dir.path(), &(settings_toml() + &crate::support::profile_toml("alpha", alpha, &proxy.endpoint())));
    let config = pipewatch::config::load(&path).expect("config");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let source = AwsSource::new(&config.profiles, None).await;
        let poll = || async {
            let req = PollRequest {
                now: jiff::Timestamp::now(),
                lookback: Duration::from_secs(24 * 3600),
                grace: Duration::from_secs(300),
            };
            pipewatch::poller::poll_within(&source, 0, req, RETRIES_TIMEOUT).await
        };
        let first = poll().await;
        assert_eq!(first.error_line(), None, "{first:?}");
        let assumed = proxy.requests("AssumeRole");
        assert!(assumed >= 1, "{:?}", proxy.counts());

        proxy.expire_issued_sessions();
        let second = poll().await;
        let error = second.error_line().unwrap_or_default();
        assert!(error.contains("ExpiredTokenException"), "{second:?}");

        let third = poll().await;
        assert_eq!(third.error_line(), None, "the session was not renewed: {third:?}\n{:?}", proxy.counts());
        assert!(proxy.requests("AssumeRole") > assumed, "{:?}", proxy.counts());
        assert_eq!(third.pipelines.len(), 2, "{third:?}");
    });
}
