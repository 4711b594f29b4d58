//! Finding and reading the file: lookup precedence, and read errors that name the path.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::*;
use crate::config::load::MAX_FILE_SIZE;

#[test]
fn config_locate_precedence() {
    let os = |s: &'static str| Some(OsStr::new(s));
    let explicit = Path::new("/explicit.toml");
    assert_eq!(
        locate_with(Some(explicit), os("/env.toml"), os("/xdg"), os("/home/u")).ok(),
        Some(PathBuf::from("/explicit.toml"))
    );
    assert_eq!(locate_with(None, os("/env.toml"), os("/xdg"), os("/home/u")).ok(), Some(PathBuf::from("/env.toml")));
    assert_eq!(locate_with(None, os("relative/env.toml"), None, None).ok(), Some(PathBuf::from("relative/env.toml")));
    assert_eq!(
        locate_with(None, None, os("/xdg"), os("/home/u")).ok(),
        Some(PathBuf::from("/xdg/pipewatch/config.toml"))
    );
    assert_eq!(
        locate_with(None, None, None, os("/home/u")).ok(),
        Some(PathBuf::from("/home/u/.config/pipewatch/config.toml"))
    );
    // Empty values count as unset; a relative XDG_CONFIG_HOME is ignored.
    assert_eq!(
        locate_with(None, os(""), os(""), os("/home/u")).ok(),
        Some(PathBuf::from("/home/u/.config/pipewatch/config.toml"))
    );
    assert_eq!(
        locate_with(None, None, os("xdg"), os("/home/u")).ok(),
        Some(PathBuf::from("/home/u/.config/pipewatch/config.toml"))
    );
    let e = locate_with(None, None, None, None).expect_err("nothing to go on");
    assert!(matches!(e, ConfigError::NoLocation));
    assert!(!e.to_string().contains('\n'));
    assert!(matches!(locate_with(None, os(""), os("rel"), os("")), Err(ConfigError::NoLocation)));
}

#[test]
fn config_load_errors_name_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.toml");
    let e = load(&missing).expect_err("missing");
    assert!(matches!(e, ConfigError::NotFound { .. }), "{e:?}");
    assert!(e.to_string().starts_with(&format!("{}: config file not found", missing.display())));

    let e = load(dir.path()).expect_err("a directory");
    assert!(matches!(e, ConfigError::Read { .. }), "{e:?}");
    assert!(e.to_string().starts_with(&format!("{}: cannot read config file: ", dir.path().display())));
    assert!(!e.to_string().contains('\n'));

    let latin1 = dir.path().join("latin1.toml");
    std::fs::write(&latin1, b"# ok\n[profiles.caf\xe9]\n").expect("write");
    let e = load(&latin1).expect_err("not utf-8");
    assert_eq!(e.to_string(), format!("{}: config file is not valid UTF-8 (at line 2, column 14)", latin1.display()));

    let big = dir.path().join("big.toml");
    std::fs::write(&big, "#".repeat(MAX_FILE_SIZE as usize + 1)).expect("write");
    assert!(matches!(load(&big), Err(ConfigError::TooLarge { .. })));

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[profiles.a]\nrol_arn = \"x\"\n").expect("write");
    let e = load(&bad).expect_err("bad key");
    assert!(e.to_string().starts_with(&format!("{}:2:1: ", bad.display())), "{e}");

    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[profiles.a]\n").expect("write");
    let config = load(&good).expect("loads");
    assert_eq!(config.path, good);
}
