//! Command-line overrides of a config's settings and profiles.

use std::time::Duration;

use super::*;

#[test]
fn config_overrides() {
    let config = three_profiles()
        .apply(&Overrides {
            refresh: Some(Duration::from_secs(5)),
            grace: Some(Duration::from_secs(60)),
            lookback: Some(Duration::from_secs(3_600)),
            timeout: Some(Duration::from_secs(2)),
            profiles: vec![],
        })
        .expect("valid overrides");
    assert_eq!(
        config.settings,
        Settings {
            regions: vec![],
            refresh: Duration::from_secs(5),
            grace: Duration::from_secs(60),
            lookback: Duration::from_secs(3_600),
            timeout: Duration::from_secs(2),
            assume_role_rate: None,
        }
    );
    assert_eq!(config.profiles.len(), 3);

    // No overrides: unchanged.
    let config = three_profiles().apply(&Overrides::default()).expect("no overrides");
    assert_eq!(config.settings, Settings::default());
    assert_eq!(config.profiles, three_profiles().profiles);

    // Only the named profiles, in file order, duplicates harmless.
    let config = three_profiles()
        .apply(&Overrides { profiles: vec!["c".into(), "a".into(), "c".into()], ..Overrides::default() })
        .expect("known profiles");
    let names: Vec<_> = config.profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["a", "c"]);
}

#[test]
fn config_override_errors() {
    let e = three_profiles()
        .apply(&Overrides { profiles: vec!["a".into(), "nope".into()], ..Overrides::default() })
        .expect_err("unknown profile");
    assert!(
        matches!(&e, ConfigError::UnknownProfile { name, known, .. } if name == "nope" && known == &["a", "b", "c"])
    );
    assert_eq!(e.to_string(), "unknown profile \"nope\" (profiles in config.toml: a, b, c)");

    for (flag, overrides) in [
        ("refresh", Overrides { refresh: Some(Duration::ZERO), ..Overrides::default() }),
        ("grace", Overrides { grace: Some(Duration::ZERO), ..Overrides::default() }),
        ("lookback", Overrides { lookback: Some(Duration::ZERO), ..Overrides::default() }),
        ("timeout", Overrides { timeout: Some(Duration::ZERO), ..Overrides::default() }),
    ] {
        let e = three_profiles().apply(&overrides).expect_err(flag);
        assert_eq!(e.to_string(), format!("--{flag}: duration must be greater than zero"));
    }
}

#[test]
fn config_overrides_without_a_file() {
    // The demo has no file: its own settings take the same overrides, and the same refusals, as a config's.
    let demo = Settings { refresh: Duration::from_secs(5), ..Settings::default() };
    let mut settings = demo.clone();
    Overrides { grace: Some(Duration::from_secs(60)), ..Overrides::default() }.apply_to(&mut settings).expect("valid");
    assert_eq!(settings, Settings { grace: Duration::from_secs(60), ..demo.clone() });

    let mut settings = demo.clone();
    let zero =
        Overrides { lookback: Some(Duration::from_secs(7_200)), timeout: Some(Duration::ZERO), ..Overrides::default() };
    let e = zero.apply_to(&mut settings).expect_err("zero timeout");
    assert_eq!(e.to_string(), "--timeout: duration must be greater than zero");
    assert_eq!(e.to_string(), three_profiles().apply(&zero).expect_err("zero timeout").to_string());
    // Refused as a whole: the valid lookback is not applied either.
    assert_eq!(settings, demo);
}
