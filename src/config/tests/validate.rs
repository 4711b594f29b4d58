//! The AWS names of a profile: role ARN, session duration, credential source, session name, external id,
//! endpoint URL.

use std::time::Duration;

use super::*;

#[test]
fn config_role_arn() {
    for arn in [
        ARN_A,
        "arn:aws-cn:iam::123456789012:role/x1",
        "arn:aws-us-gov:iam::123456789012:role/path/to/Role_Name+=,.@-",
        "arn:aws:iam::123456789012:role/service-role/my-role",
    ] {
        let config = ok(&format!("[profiles.a]\nrole_arn = \"{arn}\"\n"));
        assert_eq!(config.profiles[0].role_arn.as_deref(), Some(arn));
    }
    let cases = [
        ("arn:aws:iam::1:role/x", "the account id \"1\" is not 12 digits"),
        ("arn:aws:iam::11111111111a:role/x", "is not 12 digits"),
        ("arn:aws:iam::1111111111111:role/x", "is not 12 digits"),
        ("arn:aws-iso:iam::111111111111:role/x", "unknown partition \"aws-iso\""),
        ("arn:aws:sts::111111111111:assumed-role/x/y", "the service is \"sts\""),
        ("arn:aws:iam:us-east-1:111111111111:role/x", "IAM ARNs have no region"),
        ("arn:aws:iam::111111111111:user/bob", "is not role/<name>"),
        ("arn:aws:iam::111111111111:role/", "the role name is missing"),
        ("arn:aws:iam::111111111111:role/a//b", "the role name is missing"),
        ("arn:aws:iam::111111111111:role/has space", "characters outside"),
        ("pipewatch-read", "does not have the six colon-separated fields"),
        ("ARN:aws:iam::111111111111:role/x", "does not start with \"arn:\""),
        ("", "is not an IAM role ARN"),
    ];
    for (arn, reason) in cases {
        let shown = err(&format!("[profiles.account-a]\nrole_arn = \"{arn}\"\n"));
        let head = format!(
            "config.toml:2:12: [profiles.account-a] role_arn: {arn:?} is not an IAM role ARN (expected arn:aws:iam::<12-digit account>:role/<name>)"
        );
        assert!(shown.starts_with(&head), "{shown}");
        assert!(shown.contains(reason), "{shown} / {reason}");
    }
    let long = format!("arn:aws:iam::111111111111:role/{}", "r".repeat(65));
    assert_err(&format!("[profiles.a]\nrole_arn = \"{long}\"\n"), "longer than 64");
}

#[test]
fn config_session_duration() {
    let at = |d: &str| ok(&with_role(&format!("duration = \"{d}\""))).profiles[0].duration;
    assert_eq!(at("15m"), Some(Duration::from_secs(900)));
    assert_eq!(at("12h"), Some(Duration::from_secs(43_200)));
    assert_eq!(at("1h"), Some(Duration::from_secs(3_600)));
    assert_err(&with_role("duration = \"14m 59s\""), "[profiles.a] duration: \"14m 59s\" is outside 15m..12h");
    assert_err(&with_role("duration = \"12h 1s\""), "is outside 15m..12h");
    assert_err(&with_role("duration = \"0s\""), "must be greater than zero");
    assert_err(&with_role("duration = \"1 hour-ish\""), "[profiles.a] duration: invalid duration");
    assert_err(&with_role("duration = \"15m 500ms\""), "is not a whole number of seconds");
}

#[test]
fn config_credential_source() {
    for source in CredentialSource::ALL {
        let config = ok(&with_role(&format!("credential_source = \"{source}\"")));
        assert_eq!(config.profiles[0].credential_source, Some(source));
    }
    assert_err(
        &with_role("credential_source = \"Ec2Metadata\""),
        "config.toml:3:21: [profiles.a] credential_source: unknown credential source \"Ec2Metadata\" (expected Environment, EcsContainer or Ec2InstanceMetadata)",
    );
    assert_err(&with_role("credential_source = \"environment\""), "did you mean Environment?");
    assert_err(&with_role("credential_source = 1"), "invalid type: integer");
}

#[test]
fn config_role_session_name() {
    let name = |n: &str| ok(&with_role(&format!("role_session_name = \"{n}\""))).profiles[0].role_session_name.clone();
    assert_eq!(name("ab"), "ab");
    assert_eq!(name("a_b+c=d,e.f@g-h"), "a_b+c=d,e.f@g-h");
    assert_eq!(name(&"x".repeat(64)), "x".repeat(64));
    assert_err(
        &with_role("role_session_name = \"a\""),
        "[profiles.a] role_session_name: \"a\" must be 2 to 64 characters long (it is 1)",
    );
    assert_err(
        &with_role(&format!("role_session_name = \"{}\"", "x".repeat(65))),
        "must be 2 to 64 characters long (it is 65)",
    );
    assert_err(&with_role("role_session_name = \"has space\""), "may only contain letters, digits and _+=,.@-");
    assert_err(&with_role("role_session_name = \"caf\u{e9}\""), "may only contain");
    assert_err(&with_role("role_session_name = \"a/b\""), "may only contain");
}

#[test]
fn config_external_id() {
    let id = |n: &str| ok(&with_role(&format!("external_id = \"{n}\""))).profiles[0].external_id.clone();
    assert_eq!(id("ab").as_deref(), Some("ab"));
    assert_eq!(id("a:b/c_d+e=f,g.h@i-j").as_deref(), Some("a:b/c_d+e=f,g.h@i-j"));
    assert_eq!(id(&"x".repeat(1224)), Some("x".repeat(1224)));
    assert_err(
        &with_role("external_id = \"x\""),
        "[profiles.a] external_id: must be 2 to 1224 characters long (it is 1)",
    );
    assert_err(&with_role(&format!("external_id = \"{}\"", "x".repeat(1225))), "(it is 1225)");
    assert_err(&with_role("external_id = \"\""), "(it is 0)");
    let shown = err(&with_role("external_id = \"secret value\""));
    assert!(shown.contains("may only contain"), "{shown}");
    assert!(!shown.contains("secret"), "external_id echoed: {shown}");
}

#[test]
fn config_endpoint_url() {
    for url in ["http://127.0.0.1:5000", "https://localhost:4566/"] {
        let config = ok(&format!("[profiles.a]\nendpoint_url = \"{url}\"\n"));
        assert_eq!(config.profiles[0].endpoint_url.as_deref(), Some(url));
    }
    assert_err(
        "[profiles.a]\nendpoint_url = \"localhost:5000\"\n",
        "config.toml:2:16: [profiles.a] endpoint_url: \"localhost:5000\" must start with http:// or https://",
    );
    assert_err("[profiles.a]\nendpoint_url = \"ftp://x\"\n", "must start with http:// or https://");
    assert_err("[profiles.a]\nendpoint_url = \"HTTP://x\"\n", "must start with http:// or https://");
    assert_err("[profiles.a]\nendpoint_url = \"http://\"\n", "has no host");
    assert_err("[profiles.a]\nendpoint_url = \"http://a b\"\n", "has no host");
}
