//! A real Prometheus server and `promtool`, from Debian's `prometheus` package.
//!
//! [`tools`] finds both on `PATH` (or in `/usr/bin`); when they are missing and the tests run as root (or may use
//! `sudo -n`) on a machine with `apt-get`, it installs the package (bounded to 10 minutes) once per test process. Otherwise it says why,
//! and the tests that need them report themselves skipped on stderr (`.ci/run` installs the package and sets
//! `PIPEWATCH_REQUIRE_PROMETHEUS=1`, so on CI they always run).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::http::{self, urlencode};
use super::moto::free_port;

/// The `prometheus` and `promtool` binaries.
#[derive(Debug, Clone)]
pub struct Tools {
    pub prometheus: PathBuf,
    pub promtool: PathBuf,
}

/// Both binaries, installed if needed and possible; `Err` says why they are unavailable.
pub fn tools() -> Result<Tools, String> {
    static TOOLS: OnceLock<Result<Tools, String>> = OnceLock::new();
    TOOLS
        .get_or_init(|| {
            if let Some(found) = find() {
                return Ok(found);
            }
            install()?;
            find().ok_or_else(|| "apt-get installed prometheus, yet prometheus or promtool is missing".to_owned())
        })
        .clone()
}

/// Says on stderr that a test is skipped, and why; fails it instead under `PIPEWATCH_REQUIRE_PROMETHEUS=1` (CI).
pub fn skip(test: &str, why: &str) {
    let advice = "install Debian's `prometheus` package, which ships promtool";
    if std::env::var_os("PIPEWATCH_REQUIRE_PROMETHEUS").is_some_and(|v| v == "1") {
        panic!("{test}: {why} ({advice}; PIPEWATCH_REQUIRE_PROMETHEUS=1 forbids skipping)");
    }
    eprintln!("SKIPPED {test}: {why} ({advice})");
}

fn find() -> Option<Tools> {
    Some(Tools { prometheus: which("prometheus")?, promtool: which("promtool")? })
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]).map(|d| d.join(name)).find(|p| p.is_file())
}

fn install() -> Result<(), String> {
    // As root, or through sudo when it needs no password; never prompting.
    // SAFETY: geteuid(2) has no preconditions.
    let sudo = if unsafe { libc::geteuid() } == 0 {
        false
    } else if which("sudo").is_some()
        && Command::new("sudo").args(["-n", "true"]).stdin(Stdio::null()).output().is_ok_and(|o| o.status.success())
    {
        true
    } else {
        return Err("prometheus is not installed, and the tests run neither as root nor with sudo -n".to_owned());
    };
    if which("apt-get").is_none() {
        return Err("prometheus is not installed and there is no apt-get".to_owned());
    }
    eprintln!("installing Debian's prometheus package (apt-get, at most 10 minutes)");
    let apt = |args: &[&str]| {
        let mut cmd = Command::new(if sudo { "sudo" } else { "timeout" });
        if sudo {
            cmd.args(["-n", "timeout"]);
        }
        cmd.arg("600")
            .arg("env")
            .arg("DEBIAN_FRONTEND=noninteractive")
            .arg("apt-get")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run apt-get: {e}"))
    };
    let install = ["install", "-y", "--no-install-recommends", "prometheus"];
    let mut out = apt(&install)?;
    if !out.status.success() {
        // The package lists may be missing or stale.
        let _ = apt(&["update", "-qq"])?;
        out = apt(&install)?;
    }
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("apt-get install prometheus failed ({}):\n{}", out.status, String::from_utf8_lossy(&out.stderr)))
    }
}

/// Runs `promtool ARGS` (in `dir`); returns whether it succeeded and what it printed.
pub fn promtool(tools: &Tools, dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(&tools.promtool)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running promtool: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// `promtool ARGS` with `stdin`.
pub fn promtool_stdin(tools: &Tools, args: &[&str], stdin: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = Command::new(&tools.promtool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running promtool: {e}"));
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("writing to promtool");
    let out = child.wait_with_output().expect("waiting for promtool");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// A Prometheus server on a port of its own, with its data in a temporary directory; killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Server {
    /// Starts Prometheus on `config` (YAML; files it names are looked up in `files`' directory, copied beside it).
    pub fn start(tools: &Tools, config: &str, files: &[&Path]) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("prometheus.yml"), config).expect("writing prometheus.yml");
        for f in files {
            std::fs::copy(f, dir.path().join(f.file_name().expect("a file name"))).expect("copying a rule file");
        }
        let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let child = Command::new(&tools.prometheus)
            .arg(format!("--config.file={}", dir.path().join("prometheus.yml").display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address={addr}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("prometheus.log")).expect("log file"))
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", tools.prometheus.display()));
        let server = Server { child, addr, dir };
        let started = Instant::now();
        while http::request(addr, "GET", "/-/ready", &[]).map(|r| r.status).ok() != Some(200) {
            assert!(started.elapsed() < Duration::from_secs(60), "prometheus not ready:\n{}", server.log());
            std::thread::sleep(Duration::from_millis(200));
        }
        server
    }

    /// What Prometheus logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// The `data.result` of an instant query.
    pub fn query(&self, promql: &str) -> Vec<Value> {
        let r = http::get(self.addr, &format!("/api/v1/query?query={}", urlencode(promql)));
        assert_eq!(r.status, 200, "{promql}: {r}");
        let v: Value = serde_json::from_str(&r.body).expect("the API's JSON");
        assert_eq!(v["status"], "success", "{v}");
        v["data"]["result"].as_array().cloned().unwrap_or_default()
    }

    /// Waits (at most `within`) until `check` accepts the result of `promql`.
    pub fn wait_for(&self, promql: &str, within: Duration, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let result = self.query(promql);
            if check(&result) {
                return result;
            }
            assert!(
                started.elapsed() < within,
                "{promql} gave {result:?} after {within:?}\ntargets: {}\n--- prometheus log ---\n{}",
                http::get(self.addr, "/api/v1/targets").body,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of one series of a query result.
pub fn value(series: &Value) -> f64 {
    series["value"][1].as_str().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
}
