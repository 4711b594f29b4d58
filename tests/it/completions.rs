//! `pipewatch completions SHELL` and `pipewatch man`: scripts each shell accepts, and a man page that renders.

use std::process::Command;

fn pipewatch(args: &[&str]) -> (i32, Vec<u8>) {
    let out = Command::new(env!("CARGO_BIN_EXE_pipewatch")).args(args).output().expect("run pipewatch");
    (out.status.code().unwrap_or(-1), out.stdout)
}

#[test]
fn every_shell_gets_a_script_naming_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, script) = pipewatch(&["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        let script = String::from_utf8(script).unwrap();
        for word in ["doctor", "iam-policy", "init", "role-name", "completions", "output", "profile"] {
            assert!(script.contains(word), "{shell}: no {word} in\n{script}");
        }
    }
    assert_ne!(pipewatch(&["completions", "tcsh"]).0, 0);
}

#[test]
fn the_bash_script_passes_bash_n() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pipewatch.bash");
    std::fs::write(&path, pipewatch(&["completions", "bash"]).1).unwrap();
    let Ok(status) = Command::new("bash").arg("-n").arg(&path).status() else {
        eprintln!("no bash here: skipped");
        return;
    };
    assert!(status.success(), "bash -n rejects the completion script");
}

#[test]
fn the_man_page_renders() {
    let (code, page) = pipewatch(&["man"]);
    assert_eq!(code, 0);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains(".TH pipewatch 1"), "{page}");
    for word in ["doctor", "iam\\-policy", "init", "completions", "\\-\\-only"] {
        assert!(page.contains(word), "no {word} in the man page");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pipewatch.1");
    std::fs::write(&path, &page).unwrap();
    let Ok(out) = Command::new("man").arg("-l").arg(&path).env("MANPAGER", "cat").env("MANWIDTH", "80").output() else {
        eprintln!("no man here: skipped");
        return;
    };
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "man -l failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(shown.contains("NAME") && shown.contains("pipewatch"), "{shown}");
}
