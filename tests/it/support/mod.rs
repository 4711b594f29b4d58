//! Helpers for the integration tests: moto, seeding, configs, and running the pipewatch binary.

pub mod corpus;
pub mod exposition;
pub mod http;
pub mod moto;
pub mod prometheus;
pub mod proxy;
mod selftest;
pub mod serve;
pub mod sim;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

pub use moto::Moto;

/// The region every test uses.
pub const REGION: &str = "ap-northeast-1";

/// A 12-digit account id no other test of this process uses, so tests can share one moto server without
/// resets (moto keeps one backend per account).
pub fn fresh_account() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{:012}", 400_000_000_001 + n)
}

/// Seeds moto with `tests/support/seed.py` (see its docstring for the scenario and result format) and returns
/// its JSON result. `"endpoint"` defaults to the shared moto server's and `"region"` to [`REGION`].
/// Panics with seed.py's stderr on failure.
pub fn seed(scenario: Value) -> Value {
    run_seed_script("seed.py", scenario)
}

/// Runs `tests/support/<script>` with moto's python on `scenario` (its `"endpoint"` and `"region"` defaulted as
/// for [`seed`]) and returns the JSON it prints. Panics with the script's stderr on failure.
pub fn run_seed_script(script: &str, mut scenario: Value) -> Value {
    let moto = Moto::shared();
    let obj = scenario.as_object_mut().expect("a scenario is a JSON object");
    obj.entry("endpoint").or_insert_with(|| moto.endpoint().into());
    obj.entry("region").or_insert_with(|| REGION.into());

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support").join(script);
    let mut child = moto::scrub_aws_env(&mut Command::new(moto.python()))
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {} {}: {e}", moto.python().display(), script.display()));
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(scenario.to_string().as_bytes())
        .expect("writing the scenario to the seed script");
    let out = child.wait_with_output().expect("waiting for the seed script");
    assert!(
        out.status.success(),
        "{} failed ({}):\n{}\nscenario: {scenario:#}\nmoto log: {}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr),
        moto.log_file().display()
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{} printed invalid JSON ({e}):\n{}", script.display(), String::from_utf8_lossy(&out.stdout))
    })
}

/// Writes `toml` to `dir/pipewatch.toml` and returns the path.
pub fn write_config(dir: &Path, toml: &str) -> PathBuf {
    let path = dir.join("pipewatch.toml");
    std::fs::write(&path, toml).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}

/// The `[settings]` table of the test configs: region ap-northeast-1, grace 5m, lookback 24h, timeout 10s.
pub fn settings_toml() -> String {
    format!("[settings]\nregion = \"{REGION}\"\ngrace = \"5m\"\nlookback = \"24h\"\ntimeout = \"10s\"\n")
}

/// A `[profiles.NAME]` table assuming `arn:aws:iam::<account>:role/pipewatch-read` through `endpoint`.
pub fn profile_toml(name: &str, account: &str, endpoint: &str) -> String {
    format!(
        "\n[profiles.{name}]\nrole_arn = \"arn:aws:iam::{account}:role/pipewatch-read\"\n\
         endpoint_url = \"{endpoint}\"\nregion = \"{REGION}\"\n"
    )
}

/// A config with [`settings_toml`] and one profile per `(name, account, endpoint)`.
pub fn config_toml(profiles: &[(&str, &str, &str)]) -> String {
    let mut toml = settings_toml();
    for (name, account, endpoint) in profiles {
        toml += &profile_toml(name, account, endpoint);
    }
    toml
}

/// The built pipewatch binary with a clean AWS environment: fixed base keys, region ap-northeast-1, no IMDS,
/// config/credentials files that do not exist, no inherited `AWS_*` (profile, endpoints, ...) or
/// `PIPEWATCH_*` variables, `NO_COLOR=1`, and a 60 s kill timeout so a hang fails instead of blocking.
pub fn pipewatch() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_pipewatch"));
    let (removed, set) = clean_env();
    for key in removed {
        cmd.env_remove(key);
    }
    cmd.envs(set).timeout(Duration::from_secs(60));
    cmd
}

/// [`pipewatch`] as a `std::process::Command`, for runs in the background (`serve`): the same clean environment,
/// no timeout (the caller bounds its waits).
pub fn pipewatch_process() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pipewatch"));
    let (removed, set) = clean_env();
    for key in removed {
        cmd.env_remove(key);
    }
    cmd.envs(set);
    cmd
}

/// The variables [`pipewatch`] removes, and those it sets.
fn clean_env() -> (Vec<String>, Vec<(&'static str, std::ffi::OsString)>) {
    let removed = std::env::vars_os()
        .filter_map(|(key, _)| key.into_string().ok())
        .filter(|key| key.starts_with("AWS_") || key.starts_with("PIPEWATCH_") || key == "RUST_LOG")
        .collect();
    let nowhere = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pipewatch-it-no-such-dir");
    let set = vec![
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing-secret".into()),
        ("AWS_REGION", REGION.into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_CONFIG_FILE", nowhere.join("config").into()),
        ("AWS_SHARED_CREDENTIALS_FILE", nowhere.join("credentials").into()),
        ("NO_COLOR", "1".into()),
    ];
    (removed, set)
}

/// What one run of pipewatch did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// stdout parsed as exactly one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{self}"))
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {:?} after {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// Runs `pipewatch ARGS` (clean environment, see [`pipewatch`]) and captures everything.
pub fn run_pipewatch<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    run_command(pipewatch(), args)
}

/// Runs `cmd` (a [`pipewatch`] command with its environment set) with `args`, and what it did.
pub fn run_command<I, S>(mut cmd: assert_cmd::Command, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let started = Instant::now();
    let out = cmd.args(args).output().expect("running pipewatch");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// An endpoint with nothing listening (connections are refused at once).
///
/// A low, privileged port that refuses connections right now, rather than a released ephemeral port: other
/// processes on the machine (parallel test runs) may bind a released ephemeral port at any moment.
pub fn dead_endpoint() -> String {
    static DEAD: OnceLock<String> = OnceLock::new();
    DEAD.get_or_init(|| {
        let port = [1u16, 9, 47, 51, 61, 83, 91, 97]
            .into_iter()
            .find(|&port| {
                let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
                matches!(
                    std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)),
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused
                )
            })
            .expect("no low port on 127.0.0.1 refuses connections");
        format!("http://127.0.0.1:{port}")
    })
    .clone()
}

/// An endpoint that accepts connections and never answers. One listener for the whole process.
pub fn hung_endpoint() -> String {
    static HUNG: OnceLock<String> = OnceLock::new();
    HUNG.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        let endpoint = format!("http://{}", listener.local_addr().expect("local addr"));
        std::thread::spawn(move || {
            let mut held = Vec::new(); // never closed, never answered
            for stream in listener.incoming().flatten() {
                held.push(stream);
            }
        });
        endpoint
    })
    .clone()
}
