//! Located errors: malformed TOML, unknown keys and wrong types name the line, the table and the key.

use super::*;
use crate::config::error::{location_of, one_line, quote, show_path, show_table};

#[test]
fn config_malformed_toml() {
    assert_err("[profiles.a\n", "config.toml:1:12: unclosed table");
    assert_err("[profiles.a]\nregion = \"x\n", "config.toml:2:12: invalid basic string");
    assert_err("[profiles.a]\nregion = x\n", "config.toml:2:10: [profiles.a] region: string values must be quoted");
    assert_err("[profiles.a]\nregion = \"x\"\nregion = \"y\"\n", "duplicate key \"region\"");
    assert_err("[profiles.a]\n[profiles.a]\n", "duplicate key \"a\"");
    assert_err("= 1\n[profiles.a]\n", "config.toml:1:1:");
}

#[test]
fn config_unknown_keys() {
    assert_err(
        "[profiles.account-a]\nrol_arn = \"x\"\n",
        "config.toml:2:1: [profiles.account-a]: unknown field `rol_arn`, expected one of `role_arn`",
    );
    assert_err(
        "[settings]\nrefesh = \"1s\"\n[profiles.a]\n",
        "config.toml:2:1: [settings]: unknown field `refesh`, expected one of",
    );
    assert_err(
        "[setting]\n[profiles.a]\n",
        "unknown field `setting`, expected one of `settings`, `profiles`, `notify`, `keys`, `theme`",
    );
    assert_err("title = \"x\"\n[profiles.a]\n", "unknown field `title`");
    assert_err("[profiles.a.role]\n", "[profiles.a]: unknown field `role`");
    assert_err("[[profiles]]\nname = \"a\"\n", "profiles: invalid type: sequence");
}

#[test]
fn config_wrong_types() {
    assert_err(
        "[settings]\nrefresh = 30\n[profiles.a]\n",
        "config.toml:2:11: [settings] refresh: invalid type: integer `30`, expected a string (durations are strings",
    );
    assert_err(&with_role("duration = 3600"), "[profiles.a] duration: invalid type: integer `3600`");
    assert_err(
        "[profiles.a]\nrepositories = \"web\"\n",
        "[profiles.a] repositories: invalid type: string \"web\", expected a sequence",
    );
    assert_err(
        "[profiles.a]\npipelines = [\"x\", 1]\n",
        "config.toml:2:19: [profiles.a] pipelines: invalid type: integer `1`, expected a string",
    );
    assert_err("[profiles.a]\nregion = true\n", "[profiles.a] region: invalid type: boolean `true`");
    assert_err("settings = \"x\"\n[profiles.a]\n", "settings: invalid type: string \"x\", expected a [settings] table");
    assert_err("profiles = [\"a\"]\n", "expected a table of [profiles.NAME] tables");
    assert_err("[profiles]\na = 1\n", "invalid type: integer `1`, expected a [profiles.NAME] table");
}

#[test]
fn config_helpers() {
    assert_eq!(location_of("", 0), Location { line: 1, column: 1 });
    assert_eq!(location_of("ab\ncd", 4), Location { line: 2, column: 2 });
    assert_eq!(location_of("é\né", 5), Location { line: 2, column: 2 });
    // Past the end or inside a character: clamps, never panics.
    assert_eq!(location_of("ab", 99), Location { line: 1, column: 3 });
    assert_eq!(location_of("é", 1), Location { line: 1, column: 2 });
    assert_eq!(quote(&"x".repeat(100)), format!("\"{}\"…", "x".repeat(80)));
    assert_eq!(one_line("a\nb\tc"), "a\\nb\\tc");
    assert_eq!(show_table(&["profiles".into(), "a.b".into()]), "[profiles.\"a.b\"]");
    assert_eq!(show_path(Path::new("")), "\"\"");
    let deep: Vec<String> = (0..20).map(|i| i.to_string()).collect();
    assert_eq!(show_table(&deep), "[0.1.2.3.….18.19]");
}
