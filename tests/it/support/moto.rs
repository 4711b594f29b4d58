//! One moto server per test process, bootstrapped into a virtualenv on first use.
//!
//! * The virtualenv lives at `<CARGO_MANIFEST_DIR>/target/moto-venv` (or `$PIPEWATCH_MOTO_VENV`). When its
//!   `bin/moto_server` is missing it is created with `python3 -m venv` (or `$PIPEWATCH_PYTHON -m venv`) and
//!   `pip install 'moto[server]==5.2.5'`, under a lock file (`<venv>.lock`) so that two test processes do not
//!   install at the same time. A failed install fails the tests with pip's stderr: moto is never skipped.
//! * `moto_server` runs behind a small `sh` wrapper whose stdin is a pipe held by this process. When the test
//!   process exits, however it exits, the kernel closes the pipe, the wrapper's `cat` sees EOF and kills moto.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime};

/// The moto release the harness installs (and `tests/support/seed.py` was written against).
pub const MOTO_REQUIREMENT: &str = "moto[server]==5.2.5";

/// How long to wait for a started moto_server to answer HTTP.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for another process's install (holding the lock) before giving up.
const LOCK_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// A lock file older than this is considered left behind by a killed process.
const STALE_LOCK: Duration = Duration::from_secs(15 * 60);

/// Runs `moto_server` in the background. (By design, statics are never dropped: the wrapper shell notices the
/// end of the process through its stdin pipe instead.)
pub struct Moto {
    port: u16,
    venv: PathBuf,
    log: PathBuf,
    _wrapper: Mutex<(Child, ChildStdin)>,
}

/// Kept alive for the whole process; waits for EOF on its stdin, then kills moto_server.
/// `$0` = moto_server, `$1` = port, `$2` = log file.
const WRAPPER: &str = r#"exec 3<&0
"$0" -H 127.0.0.1 -p "$1" </dev/null >>"$2" 2>&1 &
pid=$!
{ cat >/dev/null; kill "$pid" 2>/dev/null; } <&3 &
exec 3<&-
wait "$pid"
"#;

impl Moto {
    /// The process-wide moto server, started (and installed if needed) on first call.
    /// Panics, with the reason, if moto cannot be installed or started; later calls panic with the same reason.
    pub fn shared() -> &'static Moto {
        static MOTO: OnceLock<Result<Moto, String>> = OnceLock::new();
        match MOTO.get_or_init(Moto::start) {
            Ok(moto) => moto,
            Err(why) => panic!("moto is unavailable, integration tests cannot run:\n{why}"),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The virtualenv's python (it has boto3, which moto depends on).
    pub fn python(&self) -> PathBuf {
        self.venv.join("bin").join("python")
    }

    /// Makes `import {module}` work in the virtualenv, pip-installing `requirement` when it does not (under the
    /// same lock as the moto install). For test helpers written in Python (the exposition-format parser).
    pub fn ensure_package(&self, module: &str, requirement: &str) -> Result<(), String> {
        let importable = || {
            Command::new(self.python())
                .args(["-c", &format!("import {module}")])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if importable() {
            return Ok(());
        }
        let _guard = LockFile::acquire(&lock_path(&self.venv))?;
        if importable() {
            return Ok(());
        }
        eprintln!("installing {requirement} into {}", self.venv.display());
        run(
            Command::new(self.venv.join("bin").join("pip"))
                .args(["install", "--quiet", "--disable-pip-version-check", requirement])
                .env_remove("PIP_REQUIRE_VIRTUALENV"),
            &format!("pip install '{requirement}'"),
        )
    }

    /// Where moto_server's output goes.
    pub fn log_file(&self) -> &Path {
        &self.log
    }

    /// `POST /moto-api/reset`: clears every account. Tests run in parallel threads against one server, so
    /// prefer giving each test its own account ids (`support::fresh_account()`) over resetting.
    #[allow(dead_code)]
    pub fn reset(&self) {
        let response =
            http(self.port, "POST", "/moto-api/reset").unwrap_or_else(|e| panic!("POST /moto-api/reset failed: {e}"));
        assert!(response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200"), "{response}");
    }

    fn start() -> Result<Moto, String> {
        let venv = venv_dir();
        ensure_venv(&venv)?;
        let server = venv.join("bin").join("moto_server");
        let logs = target_dir().join("moto-logs");
        fs::create_dir_all(&logs).map_err(|e| format!("creating {}: {e}", logs.display()))?;

        // Free ports found by binding :0 can be taken by someone else before moto binds them: retry.
        let mut failures = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            let log = logs.join(format!("moto-{port}.log"));
            let _ = fs::remove_file(&log);
            let started = Instant::now();
            let mut child = scrub_aws_env(&mut Command::new("sh"))
                .arg("-c")
                .arg(WRAPPER)
                .arg(&server)
                .arg(port.to_string())
                .arg(&log)
                .env("MOTO_PORT", port.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("spawning sh for {}: {e}", server.display()))?;
            let stdin = child.stdin.take().expect("piped stdin");
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    failures += &format!(
                        "moto_server on port {port} exited ({status}); log {}:\n{}\n",
                        log.display(),
                        fs::read_to_string(&log).unwrap_or_default()
                    );
                    drop(stdin); // ends the wrapper's `cat`
                    break;
                }
                if let Ok(response) = http(port, "GET", "/moto-api/")
                    && response.starts_with("HTTP/1.")
                {
                    eprintln!("moto_server answered on port {port} after {:?}", started.elapsed());
                    return Ok(Moto { port, venv, log, _wrapper: Mutex::new((child, stdin)) });
                }
                if started.elapsed() > START_TIMEOUT {
                    drop(stdin);
                    let _ = child.wait();
                    return Err(format!(
                        "{failures}moto_server on port {port} did not answer within {START_TIMEOUT:?}; log {}:\n{}",
                        log.display(),
                        fs::read_to_string(&log).unwrap_or_default()
                    ));
                }
                sleep(Duration::from_millis(100));
            }
        }
        Err(failures)
    }
}

/// Environment variables removed from moto_server's and seed.py's environment.
fn clean_env_removals() -> Vec<String> {
    std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()).filter(|k| k.starts_with("AWS_")).collect()
}

/// Strips inherited `AWS_*` variables (profiles, endpoints, config files) from a helper command.
pub fn scrub_aws_env(cmd: &mut Command) -> &mut Command {
    for k in clean_env_removals() {
        cmd.env_remove(k);
    }
    cmd
}

pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target")
}

fn venv_dir() -> PathBuf {
    match std::env::var_os("PIPEWATCH_MOTO_VENV") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => target_dir().join("moto-venv"),
    }
}

fn lock_path(venv: &Path) -> PathBuf {
    let mut name = venv.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    venv.with_file_name(name)
}

/// Makes sure `<venv>/bin/moto_server` exists, installing moto if needed.
fn ensure_venv(venv: &Path) -> Result<(), String> {
    let server = venv.join("bin").join("moto_server");
    let lock = lock_path(venv);
    // Fast path: installed, and nobody is installing right now (moto_server may appear before pip is done).
    if server.exists() && !lock.exists() {
        return Ok(());
    }
    if let Some(parent) = lock.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    let _guard = LockFile::acquire(&lock)?;
    if server.exists() {
        return Ok(()); // another process installed it while we waited
    }
    let python = std::env::var("PIPEWATCH_PYTHON").unwrap_or_else(|_| "python3".into());
    eprintln!("installing {MOTO_REQUIREMENT} into {} (takes about a minute)", venv.display());
    let started = Instant::now();
    run(Command::new(&python).arg("-m").arg("venv").arg(venv), "creating the moto virtualenv")?;
    run(
        Command::new(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", MOTO_REQUIREMENT])
            .env_remove("PIP_REQUIRE_VIRTUALENV"),
        &format!("pip install '{MOTO_REQUIREMENT}'"),
    )?;
    if !server.exists() {
        return Err(format!("pip succeeded but {} is missing", server.display()));
    }
    eprintln!("installed moto in {:?}", started.elapsed());
    Ok(())
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("{what}: cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {cmd:?}\n--- stderr ---\n{}\n--- stdout ---\n{}\n\
             (set PIPEWATCH_MOTO_VENV to a virtualenv that has {MOTO_REQUIREMENT}, or fix the error above)",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        ))
    }
}

/// A lock held by creating a file exclusively; removed on drop.
struct LockFile(PathBuf);

impl LockFile {
    fn acquire(path: &Path) -> Result<LockFile, String> {
        let started = Instant::now();
        loop {
            match fs::OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(mut f) => {
                    let _ = writeln!(f, "{}", std::process::id());
                    return Ok(LockFile(path.to_path_buf()));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let age = fs::metadata(path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| SystemTime::now().duration_since(t).ok());
                    if age.is_some_and(|age| age > STALE_LOCK) {
                        eprintln!("removing stale lock {}", path.display());
                        let _ = fs::remove_file(path);
                        continue;
                    }
                    if started.elapsed() > LOCK_TIMEOUT {
                        return Err(format!(
                            "{} is still locked after {LOCK_TIMEOUT:?}; remove it if no install is running",
                            path.display()
                        ));
                    }
                    sleep(Duration::from_millis(500));
                }
                Err(e) => return Err(format!("creating lock {}: {e}", path.display())),
            }
        }
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// A port nothing listens on right now (bind :0, read the port, release it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("binding 127.0.0.1:0").port()
}

/// A minimal HTTP/1.0 request; returns the raw response.
fn http(port: u16, method: &str, path: &str) -> std::io::Result<String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}
