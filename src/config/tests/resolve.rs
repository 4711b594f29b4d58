//! Resolution: a valid file becomes the expected `Settings` and `Profile`s, with every default filled in.

use std::time::Duration;

use super::*;

#[test]
fn config_full_valid() {
    let config = ok(FULL);
    assert_eq!(config.path, Path::new("config.toml"));
    assert_eq!(
        config.settings,
        Settings {
            regions: vec!["ap-northeast-1".into()],
            refresh: Duration::from_secs(15),
            grace: Duration::from_secs(600),
            lookback: Duration::from_secs(48 * 3600),
            timeout: Duration::from_secs(90),
            assume_role_rate: None,
        }
    );
    assert_eq!(
        config.profiles,
        vec![
            Profile {
                name: "account-a".into(),
                role_arn: Some(ARN_A.into()),
                external_id: Some("pipewatch-a".into()),
                role_session_name: "pw.session@ops".into(),
                duration: Some(Duration::from_secs(3600)),
                credential_source: Some(CredentialSource::EcsContainer),
                aws_profile: None,
                regions: vec!["us-east-1".into()],
                endpoint_url: Some("http://127.0.0.1:5000".into()),
                repositories: vec!["web".into(), "tools".into()],
                pipelines: Some(vec!["web-deploy".into()]),
                cloudtrail: true,
                eventbridge: true,
            },
            Profile {
                name: "account-b".into(),
                role_arn: Some("arn:aws-cn:iam::222222222222:role/ci/pipewatch-read".into()),
                external_id: None,
                role_session_name: "pipewatch".into(),
                duration: None,
                credential_source: None,
                aws_profile: Some("builder".into()),
                // inherited from [settings]
                regions: vec!["ap-northeast-1".into()],
                endpoint_url: None,
                repositories: vec![],
                pipelines: None,
                cloudtrail: true,
                eventbridge: true,
            },
        ]
    );
}

#[test]
fn config_defaults() {
    let config = ok("[profiles.a]\n");
    assert_eq!(config.settings, Settings::default());
    assert_eq!(config.settings.refresh, Duration::from_secs(30));
    assert_eq!(config.settings.grace, Duration::from_secs(300));
    assert_eq!(config.settings.lookback, Duration::from_secs(86_400));
    assert_eq!(config.settings.timeout, Duration::from_secs(10));
    assert_eq!(config.settings.regions, Vec::<String>::new());
    assert_eq!(
        config.profiles,
        vec![Profile {
            name: "a".into(),
            role_arn: None,
            external_id: None,
            role_session_name: "pipewatch".into(),
            duration: None,
            credential_source: None,
            aws_profile: None,
            regions: vec![],
            endpoint_url: None,
            repositories: vec![],
            pipelines: None,
            cloudtrail: true,
            eventbridge: true,
        }]
    );
    // An empty [settings] table is the defaults too.
    assert_eq!(ok("[settings]\n[profiles.a]\n").settings, Settings::default());
}

#[test]
fn config_keeps_file_order() {
    let config = ok(r#"
[profiles.zulu]
[profiles.alpha]
region = "eu-west-1"
[settings]
refresh = "1m"
[profiles.mike]
[profiles."with space"]
[profiles.bravo]
"#);
    let names: Vec<_> = config.profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["zulu", "alpha", "mike", "with space", "bravo"]);
    // Inline and dotted forms keep their order too.
    let config = ok("profiles = { c = {}, a = {}, b = { region = \"x\" } }\n");
    let names: Vec<_> = config.profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["c", "a", "b"]);
}

#[test]
fn config_region_resolution() {
    let config = ok("[settings]\nregion = \"ap-northeast-1\"\n[profiles.a]\n[profiles.b]\nregion = \"us-west-2\"\n");
    assert_eq!(config.profiles[0].regions, ["ap-northeast-1"]);
    assert_eq!(config.profiles[1].regions, ["us-west-2"]);
    assert_eq!(config.settings.regions, ["ap-northeast-1"]);
}

#[test]
fn config_profiles_presence_and_names() {
    assert_err("", "no [profiles.*] table in config.toml");
    assert_err("[settings]\nrefresh = \"1m\"\n", "no [profiles.*] table in config.toml");
    assert_err("[profiles]\n", "no [profiles.*] table in config.toml");
    assert_err("profiles = {}\n", "no [profiles.*] table in config.toml");
    assert_err("[profiles.\"\"]\n", "config.toml:1:11: [profiles.\"\"]: a profile name must not be empty");
    assert_err("[profiles.\" \"]\n", "a profile name must not be empty");
    // An empty table is a valid profile (default credential chain).
    assert_eq!(ok("[profiles.x]\n").profiles[0].name, "x");
    let shown = err("[profiles.\"a\\nb\"]\nfoo = 1\n");
    assert!(shown.contains("[profiles.\"a\\nb\"]: unknown field `foo`"), "{shown}");
}

#[test]
fn config_lists_and_empty_strings() {
    assert_err(
        "[profiles.a]\nrepositories = [\"web\", \"\"]\n",
        "config.toml:2:24: [profiles.a] repositories: empty repository name",
    );
    assert_err("[profiles.a]\npipelines = [\" \"]\n", "config.toml:2:14: [profiles.a] pipelines: empty pipeline name");
    assert_err("[profiles.a]\nregion = \"\"\n", "[profiles.a] region: must not be empty");
    assert_err("[settings]\nregion = \"\"\n[profiles.a]\n", "[settings] region: must not be empty");
    assert_err("[profiles.a]\naws_profile = \"\"\n", "[profiles.a] aws_profile: must not be empty");
    // An explicit empty list is kept: it watches no pipeline, unlike an absent key.
    let config = ok("[profiles.a]\npipelines = []\nrepositories = []\n");
    assert_eq!(config.profiles[0].pipelines, Some(vec![]));
    assert!(config.profiles[0].repositories.is_empty());
}

#[test]
fn config_mutually_exclusive_and_requires_role() {
    assert_err(
        &with_role("credential_source = \"Environment\"\naws_profile = \"ops\""),
        "config.toml:3:21: [profiles.a] credential_source: credential_source and aws_profile are mutually exclusive",
    );
    // aws_profile with a role is fine: base credentials from the shared config.
    let config = ok(&with_role("aws_profile = \"ops\""));
    assert_eq!(config.profiles[0].aws_profile.as_deref(), Some("ops"));
    // aws_profile alone is fine too.
    ok("[profiles.a]\naws_profile = \"ops\"\n");
    for (key, value) in [
        ("credential_source", "\"Environment\""),
        ("external_id", "\"abc\""),
        ("duration", "\"1h\""),
        ("role_session_name", "\"me\""),
    ] {
        assert_err(
            &format!("[profiles.a]\n{key} = {value}\n"),
            &format!("config.toml:2:{}: [profiles.a] {key}: requires role_arn", key.len() + 4),
        );
    }
}

#[test]
fn config_example_file_parses() {
    let text = include_str!("../../../config.example.toml");
    let config = match parse(text, Path::new("config.example.toml")) {
        Ok(config) => config,
        Err(e) => panic!("{e}"),
    };
    let names: Vec<_> = config.profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["account-a", "account-b"]);
    let a = &config.profiles[0];
    assert_eq!(a.role_arn.as_deref(), Some("arn:aws:iam::111111111111:role/pipewatch-read"));
    assert_eq!(a.repositories, ["tools"]);
    assert_eq!(a.pipelines.as_deref(), Some(&["web-deploy".to_owned()][..]));
    assert!(a.external_id.is_some());
    let b = &config.profiles[1];
    assert_eq!(b.role_arn.as_deref(), Some("arn:aws:iam::222222222222:role/pipewatch-read"));
    assert!(b.external_id.is_some());
    // "the values below are the defaults, except region", as the example says of its [settings].
    assert_eq!(config.settings, Settings { regions: vec!["ap-northeast-1".into()], ..Settings::default() });
    assert_eq!(a.regions, ["ap-northeast-1"]);
    assert_eq!(a.duration, Some(Duration::from_secs(3_600)));
    assert_eq!(a.role_session_name, "pipewatch");
    // account-b sets no region of its own: it inherits [settings] region.
    assert_eq!(b.regions, ["ap-northeast-1"]);
    assert_eq!((b.aws_profile.as_deref(), b.credential_source), (None, None));
    assert_eq!((b.repositories.len(), b.pipelines.as_deref()), (0, None));
}

#[test]
fn config_regions_list_polls_each_region() {
    let config = ok("[profiles.a]\nregions = [\"us-east-1\", \"eu-west-1\"]\n");
    assert_eq!(config.profiles[0].regions, ["us-east-1", "eu-west-1"]);
    // The first region is where the role is assumed and what doctor checks.
    assert_eq!(config.profiles[0].region(), Some("us-east-1"));
    // One region in a list is the same as `region`.
    assert_eq!(ok("[profiles.a]\nregions = [\"eu-west-1\"]\n").profiles[0].regions, ["eu-west-1"]);
    assert_eq!(ok("[profiles.a]\n").profiles[0].region(), None);
}

#[test]
fn config_settings_regions_are_the_default() {
    let config = ok(r#"
[settings]
regions = ["us-east-1", "eu-west-1"]
[profiles.a]
[profiles.b]
region = "ap-northeast-1"
[profiles.c]
regions = ["eu-west-1"]
"#);
    assert_eq!(config.settings.regions, ["us-east-1", "eu-west-1"]);
    assert_eq!(config.profiles[0].regions, ["us-east-1", "eu-west-1"]);
    // A profile's own `region` or `regions` replaces the default list.
    assert_eq!(config.profiles[1].regions, ["ap-northeast-1"]);
    assert_eq!(config.profiles[2].regions, ["eu-west-1"]);
}

#[test]
fn config_region_and_regions_together_is_an_error() {
    assert_err(
        "[profiles.a]\nregion = \"us-east-1\"\nregions = [\"eu-west-1\"]\n",
        "config.toml:3:11: [profiles.a] regions: region and regions are mutually exclusive",
    );
    assert_err(
        "[settings]\nregions = [\"eu-west-1\"]\nregion = \"us-east-1\"\n[profiles.a]\n",
        "config.toml:2:11: [settings] regions: region and regions are mutually exclusive",
    );
}

#[test]
fn config_regions_bad_values() {
    assert_err("[profiles.a]\nregions = []\n", "config.toml:2:11: [profiles.a] regions: must name at least one region");
    assert_err("[profiles.a]\nregions = [\"us-east-1\", \" \"]\n", "[profiles.a] regions: must not be empty");
    assert_err(
        "[profiles.a]\nregions = [\"us-east-1\", \"us-east-1\"]\n",
        "config.toml:2:25: [profiles.a] regions: us-east-1 is listed twice",
    );
    assert_err("[settings]\nregions = \"us-east-1\"\n[profiles.a]\n", "[settings] regions: invalid type: string");
}

#[test]
fn config_assume_role_rate() {
    assert_eq!(ok("[profiles.a]\n").settings.assume_role_rate, None, "unpaced unless set");
    assert_eq!(ok("[settings]\nassume_role_rate = 10\n[profiles.a]\n").settings.assume_role_rate, Some(10.0));
    assert_eq!(ok("[settings]\nassume_role_rate = 0.5\n[profiles.a]\n").settings.assume_role_rate, Some(0.5));
    assert_err(
        "[settings]\nassume_role_rate = 0\n[profiles.a]\n",
        "config.toml:2:20: [settings] assume_role_rate: 0 is not a rate: write the AssumeRole calls a second, above 0",
    );
    assert_err("[settings]\nassume_role_rate = -3\n[profiles.a]\n", "[settings] assume_role_rate: -3 is not a rate");
    assert_err("[settings]\nassume_role_rate = nan\n[profiles.a]\n", "[settings] assume_role_rate: NaN is not a rate");
    assert_err("[settings]\nassume_role_rate = \"10\"\n[profiles.a]\n", "[settings] assume_role_rate: invalid type");
    assert_err("[profiles.a]\nassume_role_rate = 10\n", "unknown field `assume_role_rate`");
}
