//! End-to-end: the real `pipewatch --demo` in a pseudo-terminal, read back through a terminal emulator (vt100).
//!
//! Every wait is bounded, so a hung dashboard fails the test instead of hanging it.

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

const WAIT: Duration = Duration::from_secs(15);

/// A running dashboard: the pty master, the child, and everything it printed.
struct Session {
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    rx: mpsc::Receiver<Vec<u8>>,
    raw: Vec<u8>,
    screen: vt100::Parser,
}

fn nz(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).expect("non-zero size")
}

impl Session {
    fn start(cols: u16, rows: u16, args: &[&str]) -> Self {
        Self::start_with(cols, rows, args, None)
    }

    fn start_with(cols: u16, rows: u16, args: &[&str], no_color: Option<&str>) -> Self {
        Self::start_env(cols, rows, args, no_color, &[])
    }

    fn start_env(cols: u16, rows: u16, args: &[&str], no_color: Option<&str>, env: &[(&str, &str)]) -> Self {
        let pair =
            native_pty_system().openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("open a pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_pipewatch"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        match no_color {
            Some(v) => cmd.env("NO_COLOR", v),
            None => cmd.env_remove("NO_COLOR"),
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn pipewatch");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // Ends at EOF or EIO (the child closed the terminal).
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Self {
            master: pair.master,
            writer,
            child,
            rx,
            raw: Vec::new(),
            screen: vt100::Parser::new(nz(rows), nz(cols), 0),
        }
    }

    /// Takes what arrived within `d`; false once the output has ended.
    fn pump(&mut self, d: Duration) -> bool {
        match self.rx.recv_timeout(d) {
            Ok(bytes) => {
                self.screen.process(&bytes);
                self.raw.extend_from_slice(&bytes);
                true
            }
            Err(mpsc::RecvTimeoutError::Timeout) => true,
            Err(mpsc::RecvTimeoutError::Disconnected) => false,
        }
    }

    fn contents(&self) -> String {
        self.screen.screen().contents()
    }

    /// Waits until the screen shows every one of `needles`.
    fn wait_for(&mut self, needles: &[&str]) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            let text = self.contents();
            if needles.iter().all(|n| text.contains(n)) {
                return;
            }
            if !self.pump(Duration::from_millis(50)) {
                break;
            }
        }
        panic!("timed out waiting for {needles:?}; the screen shows:\n{}", self.contents());
    }

    /// Waits until the screen no longer shows `needle`.
    fn wait_gone(&mut self, needle: &str) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if !self.contents().contains(needle) {
                return;
            }
            if !self.pump(Duration::from_millis(50)) {
                break;
            }
        }
        panic!("timed out waiting for {needle:?} to go; the screen shows:\n{}", self.contents());
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("write to the pty");
        self.writer.flush().expect("flush the pty");
    }

    fn resize(&mut self, cols: u16, rows: u16) {
        self.master.resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("resize the pty");
        self.screen.set_size(nz(rows), nz(cols));
    }

    /// Waits for the child to exit and for its output to end; returns the exit code.
    fn wait_exit(&mut self) -> u32 {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the child") {
                // Drain what is left (bounded: the reader ends when the pty closes).
                let drain = Instant::now() + Duration::from_secs(2);
                while Instant::now() < drain && self.pump(Duration::from_millis(50)) {}
                return status.exit_code();
            }
            assert!(Instant::now() < deadline, "pipewatch did not exit; the screen shows:\n{}", self.contents());
            self.pump(Duration::from_millis(50));
        }
    }

    /// Asserts that the output ends by leaving the alternate screen and showing the cursor.
    fn assert_restored(&self) {
        let raw = String::from_utf8_lossy(&self.raw);
        let enter = raw.rfind("\x1b[?1049h").expect("entered the alternate screen");
        let leave = raw.rfind("\x1b[?1049l").expect("left the alternate screen");
        assert!(leave > enter, "the last alternate-screen switch is not a leave");
        let tail = &raw[leave + "\x1b[?1049l".len()..];
        assert!(tail.contains("\x1b[?25h"), "cursor not shown after leaving: {tail:?}");
        assert!(tail.replace("\x1b[?25h", "").trim().is_empty(), "output after the restore: {tail:?}");
        assert!(raw.contains("\x1b[?1000l"), "mouse capture not disabled");
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[test]
fn demo_dashboard_shows_both_accounts_and_the_flagged_push_then_quits_cleanly() {
    let started = Instant::now();
    let mut s = Session::start(120, 40, &["--demo"]);
    s.wait_for(&["account-a", "account-b", "111111111111", "222222222222", "UNTRIGGERED", "api:latest"]);

    s.send("?");
    s.wait_for(&["keys (Esc closes)", "flagged only"]);
    s.send("\x1b");
    s.wait_gone("keys (Esc closes)");

    // Resizing below the minimum shows the message; growing again brings the dashboard back.
    s.resize(50, 12);
    s.wait_for(&["terminal too small (50x12)"]);
    s.resize(120, 40);
    s.wait_for(&["account-a", "Executions"]);

    s.send("q");
    assert_eq!(s.wait_exit(), 0);
    s.assert_restored();
    assert!(String::from_utf8_lossy(&s.raw).contains("38;5;"), "colour is on without NO_COLOR");
    eprintln!("e2e run took {:?}", started.elapsed());
}

#[test]
fn sigterm_restores_the_terminal() {
    let mut s = Session::start(100, 30, &["--demo"]);
    s.wait_for(&["account-a", "UNTRIGGERED"]);
    let pid = s.child.process_id().expect("child pid");
    let killed = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("run kill");
    assert!(killed.success());
    assert_eq!(s.wait_exit(), 128 + 15);
    s.assert_restored();
}

/// SIGINT and SIGHUP end the dashboard like SIGTERM: terminal restored, exit code 128 + the signal's number.
#[test]
fn sigint_and_sighup_restore_the_terminal() {
    for (signal, code) in [("INT", 128 + 2), ("HUP", 128 + 1)] {
        let mut s = Session::start(100, 30, &["--demo"]);
        s.wait_for(&["account-a", "UNTRIGGERED"]);
        let pid = s.child.process_id().expect("child pid");
        let sent = std::process::Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]).status();
        assert!(sent.expect("run kill").success());
        assert_eq!(s.wait_exit(), code, "SIG{signal}");
        s.assert_restored();
    }
}

/// A profile whose endpoint accepts connections and never answers keeps polling in the background; SIGTERM and
/// `q` still end the dashboard at once, with the terminal restored.
#[test]
fn a_hung_poll_does_not_delay_quitting() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        let mut held = Vec::new(); // accepted, never answered
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("pipewatch.toml");
    let toml = format!(
        "[settings]\nregion = \"ap-northeast-1\"\ntimeout = \"60s\"\n\n[profiles.stuck]\n\
         role_arn = \"arn:aws:iam::111111111111:role/pipewatch-read\"\nendpoint_url = \"{endpoint}\"\n"
    );
    std::fs::write(&config, toml).expect("write config");
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing-secret"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/nonexistent/pipewatch-test/config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/pipewatch-test/credentials"),
    ];
    let args = ["--config", config.to_str().expect("utf-8 path")];
    for quit in ["signal", "q"] {
        let mut s = Session::start_env(100, 30, &args, Some("1"), &env);
        s.wait_for(&["stuck"]);
        std::thread::sleep(Duration::from_millis(500)); // the poll is under way, waiting on the endpoint
        let started = Instant::now();
        let code = if quit == "q" {
            s.send("q");
            0
        } else {
            let pid = s.child.process_id().expect("child pid");
            assert!(std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap().success());
            128 + 15
        };
        assert_eq!(s.wait_exit(), code, "{quit}");
        assert!(started.elapsed() < Duration::from_secs(3), "{quit}: took {:?} to quit", started.elapsed());
        s.assert_restored();
    }
}

#[test]
fn no_color_sends_no_colour_but_keeps_the_markers() {
    let mut s = Session::start_with(120, 40, &["--demo"], Some("1"));
    s.wait_for(&["account-a", "!! UNTRIGGERED"]);
    s.send("q");
    assert_eq!(s.wait_exit(), 0);
    let raw = String::from_utf8_lossy(&s.raw);
    // Colours are `38;5;N` / `48;5;N` (or `;2;` for RGB); `ESC[38;1H` is only a cursor move.
    let colour = ["38;5;", "38;2;", "48;5;", "48;2;"].iter().find_map(|c| raw.find(c));
    assert!(
        colour.is_none(),
        "colour escapes despite NO_COLOR: {:?}",
        colour.map(|i| raw[i..].chars().take(40).collect::<String>())
    );
    assert!(raw.contains("\x1b[1m"), "bold is kept");
    s.assert_restored();
}

/// A newly untriggered push rings the terminal bell: the demo's stuck pushes are new when each account's data first
/// arrives (a bell per account at most), and the same pushes do not ring again on the next polls.
#[test]
fn new_untriggered_pushes_ring_the_bell_once() {
    // Every stuck push of the story, as `--once` counts them: the header shows the count once both accounts answered.
    let once = std::process::Command::new(env!("CARGO_BIN_EXE_pipewatch"))
        .args(["--demo", "--once", "--output", "json"])
        .output()
        .expect("run pipewatch --demo --once");
    let doc: serde_json::Value = serde_json::from_slice(&once.stdout).expect("the report's JSON");
    let stuck = doc["pushes"].as_array().unwrap().iter().filter(|p| p["status"] == "untriggered").count();
    let mut s = Session::start(100, 30, &["--demo", "--refresh", "1s"]);
    s.wait_for(&[&format!("{stuck} UNTRIGGERED")]);
    let pump = |s: &mut Session, secs| {
        let until = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < until && s.pump(Duration::from_millis(50)) {}
    };
    pump(&mut s, 1);
    // Nothing else the dashboard writes holds a BEL byte (no OSC sequences, names are cleaned).
    let bells = |s: &Session| s.raw.iter().filter(|&&b| b == 0x07).count();
    let first = bells(&s);
    assert!((1..=2).contains(&first), "{first} bells\n{}", s.contents());
    pump(&mut s, 3);
    assert_eq!(bells(&s), first, "the same pushes rang again\n{}", s.contents());
    s.send("q");
    assert_eq!(s.wait_exit(), 0);
}

/// `[keys]` and `[theme]` of a `--config` file apply to the demo: quit and filter remapped, help lists them as
/// bound; `q` no longer quits.
#[test]
fn remapped_quit_and_filter_work_and_help_lists_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("pipewatch.toml");
    std::fs::write(
        &config,
        "[keys]\nquit = [\"x\"]\nfilter = [\"ctrl-f\"]\n\n[theme]\npreset = \"light\"\nok = \"#00aa00\"\n",
    )
    .expect("write config");
    let mut s = Session::start(120, 40, &["--demo", "--config", config.to_str().expect("utf-8 path")]);
    s.wait_for(&["account-a", "UNTRIGGERED", "x quit"]);
    s.send("q");
    std::thread::sleep(Duration::from_millis(300));
    assert!(s.child.try_wait().expect("poll the child").is_none(), "q quit although quit is remapped to x");
    s.send("\x06"); // ctrl-f
    s.wait_for(&["filter:"]);
    s.send("api\r");
    s.wait_for(&["[/api]"]);
    s.send("\x1b");
    s.wait_gone("[/api]");
    s.send("?");
    s.wait_for(&["keys (Esc closes)", "ctrl-f", "filter: repository"]);
    s.send("\x1b");
    s.wait_gone("keys (Esc closes)");
    s.send("x");
    assert_eq!(s.wait_exit(), 0);
    s.assert_restored();
    assert!(String::from_utf8_lossy(&s.raw).contains("38;2;0;170;0"), "the configured ok colour is used");
}

/// A bad `[keys]` or `[theme]` stops the dashboard before it starts: exit 2, the file, line and key named.
#[test]
fn a_bad_keys_table_exits_2_with_its_location() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("pipewatch.toml");
    std::fs::write(&config, "[keys]\nquit = [\"x\"]\nfilter = [\"x\"]\n").expect("write config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pipewatch"))
        .args(["--demo", "--config", config.to_str().expect("utf-8 path")])
        .output()
        .expect("run pipewatch");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pipewatch.toml:3:11: [keys] filter: \"x\" is already bound to quit"), "{err}");
}

/// The bytes of `y` (OSC 52) and of the details popup's link (OSC 8), and what `o` hands to `$BROWSER`, on names
/// that try to break out of them: the clipboard payload is base64 of the cleaned value, the link percent-encoded.
#[test]
fn copy_and_links_carry_hostile_names_only_encoded() {
    use std::sync::Arc;

    use base64::Engine;
    use serde_json::{Value, json};

    use crate::hostile::{EXECUTION_ID, PIPELINE, map_strings};
    use crate::support::proxy::{Direction, FaultProxy};
    use crate::support::{fresh_account, seed};

    let a = fresh_account();
    seed(json!({"accounts": [{"id": a,
        "repositories": [{"name": "web", "images": [{"seed": "w1", "tags": ["latest"]}]}],
        "pipelines": [{"name": "web-deploy", "sources": [{"repository": "web"}], "start_executions": 1}]}]}));
    let proxy = FaultProxy::start();
    proxy.set_rewrite(Some(Arc::new(|dir, op, body: &mut Value| {
        map_strings(body, dir == Direction::Response);
        if dir == Direction::Response && op == "ListPipelineExecutions" {
            for s in body["pipelineExecutionSummaries"].as_array_mut().into_iter().flatten() {
                s["pipelineExecutionId"] = EXECUTION_ID.into();
            }
        }
    })));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("pipewatch.toml");
    let toml = format!(
        "[settings]\nregion = \"ap-northeast-1\"\n\n[profiles.alpha]\nrole_arn = \"arn:aws:iam::{a}:role/pipewatch-read\"\n\
         endpoint_url = \"{}\"\ncloudtrail = false\n",
        proxy.endpoint()
    );
    std::fs::write(&config, toml).expect("write config");
    let opened = dir.path().join("opened");
    let browser = dir.path().join("browser.sh");
    std::fs::write(&browser, format!("#!/bin/sh\nprintf '%s' \"$1\" > {}\n", opened.display())).expect("script");
    std::process::Command::new("chmod").arg("+x").arg(&browser).status().expect("chmod");
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing-secret"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/nonexistent/pipewatch-test/config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/pipewatch-test/credentials"),
        ("BROWSER", browser.to_str().expect("utf-8 path")),
    ];
    let mut s = Session::start_env(160, 40, &["--config", config.to_str().expect("utf-8 path")], Some("1"), &env);
    s.wait_for(&["alpha", "web-deploy^[]0;pwned^G", "Succeeded"]);
    s.send("\t"); // the executions pane
    s.send("y");
    s.wait_for(&["copied execution id"]);
    let raw = String::from_utf8_lossy(&s.raw).into_owned();
    let at = raw.find("\x1b]52;c;").expect("an OSC 52 sequence");
    let payload = &raw[at + 7..at + 7 + raw[at + 7..].find('\x07').expect("terminated by BEL")];
    let copied = base64::engine::general_purpose::STANDARD.decode(payload).expect("base64");
    let copied = String::from_utf8(copied).expect("utf-8");
    assert_eq!(copied, "exec<U+200B><U+2066>-1^[[1A", "the cleaned id, nothing that runs when pasted");

    s.send("\r"); // the execution's details, with its console link
    s.wait_for(&["console https://"]);
    s.pump(Duration::from_millis(300));
    let raw = String::from_utf8_lossy(&s.raw).into_owned();
    let at = raw.find("\x1b]8;id=pipewatch;").expect("an OSC 8 hyperlink");
    let rest = &raw[at + "\x1b]8;id=pipewatch;".len()..];
    let url = &rest[..rest.find("\x1b\\").expect("terminated by ST")];
    let pipeline = "web-deploy%1B%5D0%3Bpwned%07";
    let id = "exec%E2%80%8B%E2%81%A6-1%1B%5B1A";
    assert_eq!(
        url,
        format!(
            "https://ap-northeast-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/{pipeline}/executions/{id}/timeline?region=ap-northeast-1"
        )
    );
    assert!(url.bytes().all(|b| b.is_ascii_graphic()));
    assert!(PIPELINE.contains('\x1b'), "the name really is hostile");

    s.send("o");
    let deadline = Instant::now() + WAIT;
    while !opened.exists() && Instant::now() < deadline {
        s.pump(Duration::from_millis(50));
    }
    assert_eq!(std::fs::read_to_string(&opened).expect("$BROWSER ran"), url);
    // One `q`: it quits from the popup too; a second one could reach the terminal after the restore and be echoed.
    s.send("q");
    assert_eq!(s.wait_exit(), 0);
    s.assert_restored();
}
