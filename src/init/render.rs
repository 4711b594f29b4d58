//! The TOML `pipewatch init` writes: the documented two-account example, or one profile per ACTIVE account of an
//! organization, sorted by name, each with a comment giving the account's name, id and email.

use std::fmt::Write as _;
use std::path::Path;

use super::{InitError, OrgAccount, profile_names};
use crate::sanitize::clean;

/// What `pipewatch init` without `--org` writes: the documented example (`config.example.toml`).
pub const EXAMPLE: &str = include_str!("../../config.example.toml");

/// How every profile of the organization reads its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgOptions {
    /// The role deployed to every member account (`--role-name`): `role/NAME` in each profile's `role_arn`.
    pub role_name: String,
    /// The organization's partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: String,
    /// `[settings]` region(s); empty leaves the ambient region (AWS_REGION, ~/.aws/config) to each poll.
    pub regions: Vec<String>,
    /// Sent with every AssumeRole (`--external-id`).
    pub external_id: Option<String>,
}

/// The config of the organization's ACTIVE accounts; checked to load (with pipewatch's own parser) before it is
/// returned, so a role name or external id pipewatch would refuse is reported here, not at the first run.
pub fn render_org(accounts: &[OrgAccount], o: &OrgOptions) -> Result<String, InitError> {
    let text = unchecked(accounts, o)?;
    crate::config::parse(&text, Path::new("(generated)")).map_err(|e| InitError::Invalid(e.to_string()))?;
    Ok(text)
}

/// The text of [`render_org`], not yet checked to load.
fn unchecked(accounts: &[OrgAccount], o: &OrgOptions) -> Result<String, InitError> {
    let mut active: Vec<&OrgAccount> = accounts.iter().filter(|a| a.is_active()).collect();
    if active.is_empty() {
        return Err(InitError::NoActiveAccount(accounts.len()));
    }
    active.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    let owned: Vec<OrgAccount> = active.iter().map(|a| (*a).clone()).collect();
    let mut profiles: Vec<(String, &OrgAccount)> = profile_names(&owned).into_iter().zip(active).collect();
    profiles.sort_by(|a, b| a.0.cmp(&b.0));
    let left_out = accounts.len() - profiles.len();

    let mut text = String::new();
    let _ = writeln!(text, "# pipewatch config: one profile per ACTIVE account of the AWS Organization, written by");
    let _ = writeln!(
        text,
        "# `pipewatch init --org` ({} profiles; {left_out} accounts not ACTIVE left out).",
        profiles.len()
    );
    let _ = writeln!(text, "#");
    let _ =
        writeln!(text, "# Each profile assumes the role `{}` in its account: deploy it to every member", o.role_name);
    let _ = writeln!(text, "# account first (README, \"A whole organization\"), then check with `pipewatch doctor`.");
    let _ = writeln!(text, "# Every key is described in config.example.toml (`pipewatch init --output -` prints it).");
    let _ = writeln!(text, "\n[settings]");
    match o.regions.as_slice() {
        [] => {
            let _ = writeln!(text, "# Unset: the region of the environment (AWS_REGION, ~/.aws/config).");
            let _ = writeln!(text, "# region = \"us-east-1\"");
        }
        [one] => {
            let _ = writeln!(text, "region = {}", quoted(one));
        }
        several => {
            let list: Vec<String> = several.iter().map(|r| quoted(r)).collect();
            let _ = writeln!(text, "regions = [{}]", list.join(", "));
        }
    }
    let _ = writeln!(text, "# Every profile assumes its role from the same source credentials at once; should that");
    let _ = writeln!(text, "# fail with \"sts:AssumeRole: Throttling\", pace it (AssumeRole calls a second):");
    let _ = writeln!(text, "# assume_role_rate = 10");
    for (name, a) in &profiles {
        let _ = writeln!(text, "\n# {} ({}, {})", clean(&a.name), clean(&a.id), clean(&a.email));
        let _ = writeln!(text, "[profiles.{name}]");
        let arn = format!("arn:{}:iam::{}:role/{}", o.partition, a.id, o.role_name);
        let _ = writeln!(text, "role_arn = {}", quoted(&arn));
        if let Some(id) = &o.external_id {
            let _ = writeln!(text, "external_id = {}", quoted(id));
        }
    }
    Ok(text)
}

/// `s` as a TOML basic string, escaped.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str, name: &str, email: &str, status: &str) -> OrgAccount {
        OrgAccount { id: id.into(), name: name.into(), email: email.into(), status: status.into() }
    }

    fn options(regions: &[&str]) -> OrgOptions {
        OrgOptions {
            role_name: "pipewatch-read".into(),
            partition: "aws".into(),
            regions: regions.iter().map(|r| r.to_string()).collect(),
            external_id: None,
        }
    }

    fn org() -> Vec<OrgAccount> {
        vec![
            account("333333333333", "Sandbox", "sandbox@example.com", "ACTIVE"),
            account("111111111111", "Payments EU", "pay@example.com", "ACTIVE"),
            account("222222222222", "Old", "old@example.com", "SUSPENDED"),
            account("444444444444", "Closing", "c@example.com", "PENDING_CLOSURE"),
            account("555555555555", "payments eu", "pay2@example.com", "ACTIVE"),
        ]
    }

    #[test]
    fn active_accounts_become_sorted_profiles_with_their_role_and_comment() {
        let text = render_org(&org(), &options(&["eu-west-1"])).unwrap();
        let config = crate::config::parse(&text, Path::new("t.toml")).unwrap();
        let names: Vec<_> = config.profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["payments-eu-111111111111", "payments-eu-555555555555", "sandbox"]);
        let arns: Vec<_> = config.profiles.iter().map(|p| p.role_arn.as_deref().unwrap()).collect();
        assert_eq!(
            arns,
            [
                "arn:aws:iam::111111111111:role/pipewatch-read",
                "arn:aws:iam::555555555555:role/pipewatch-read",
                "arn:aws:iam::333333333333:role/pipewatch-read"
            ]
        );
        assert_eq!(config.settings.regions, ["eu-west-1"]);
        assert!(config.profiles.iter().all(|p| p.external_id.is_none()));
        assert!(text.contains("# Payments EU (111111111111, pay@example.com)\n[profiles.payments-eu-111111111111]\n"));
        assert!(text.contains("# Sandbox (333333333333, sandbox@example.com)\n[profiles.sandbox]\n"));
        assert!(text.contains("(3 profiles; 2 accounts not ACTIVE left out)"), "{text}");
        assert!(!text.contains("222222222222") && !text.contains("444444444444"));
    }

    #[test]
    fn partition_external_id_and_regions_are_written() {
        let o = OrgOptions { partition: "aws-cn".into(), external_id: Some("ext-1@corp".into()), ..options(&[]) };
        let text = render_org(&org()[..2], &o).unwrap();
        let config = crate::config::parse(&text, Path::new("t.toml")).unwrap();
        assert_eq!(config.profiles[0].role_arn.as_deref(), Some("arn:aws-cn:iam::111111111111:role/pipewatch-read"));
        assert!(config.profiles.iter().all(|p| p.external_id.as_deref() == Some("ext-1@corp")), "{text}");
        for tricky in ["a\"b\\c", "it's", "x\ny", "'\"'"] {
            let doc: toml::Table = toml::from_str(&format!("k = {}", quoted(tricky))).unwrap();
            assert_eq!(doc["k"].as_str(), Some(tricky));
        }
        let bad = OrgOptions { external_id: Some("no spaces".into()), ..options(&[]) };
        let e = render_org(&org(), &bad).unwrap_err();
        assert!(e.to_string().contains("external_id: may only contain"), "{e}");
        assert!(config.settings.regions.is_empty());
        assert!(text.contains("# region = \"us-east-1\""));
        // Several regions: the `regions` list of [settings], which pipewatch loads.
        let o = options(&["us-east-1", "eu-west-1"]);
        let text = render_org(&org(), &o).unwrap();
        assert!(text.contains("regions = [\"us-east-1\", \"eu-west-1\"]"), "{text}");
        let config = crate::config::parse(&text, Path::new("t.toml")).unwrap();
        assert_eq!(config.settings.regions, ["us-east-1", "eu-west-1"]);
        assert!(config.profiles.iter().all(|p| p.regions == ["us-east-1", "eu-west-1"]));
    }

    #[test]
    fn hostile_names_stay_in_their_comment_and_bad_options_are_refused() {
        let evil = [account("111111111111", "x\n[profiles.evil]\nrole_arn = \"y\"", "a\x1b]0;t\x07@e.com", "ACTIVE")];
        let text = render_org(&evil, &options(&[])).unwrap();
        let config = crate::config::parse(&text, Path::new("t.toml")).unwrap();
        assert_eq!(config.profiles.len(), 1);
        assert_eq!(config.profiles[0].name, "x-profiles-evil-role_arn-y");
        assert!(text.contains("# x [profiles.evil] role_arn = \"y\" (111111111111, a^[]0;t^G@e.com)"), "{text}");

        let bad = OrgOptions { role_name: "bad role!".into(), ..options(&[]) };
        let e = render_org(&evil, &bad).unwrap_err();
        assert!(matches!(e, InitError::Invalid(_)), "{e}");
        assert!(e.to_string().contains("role_arn"), "{e}");
        let none = [account("1", "a", "e", "SUSPENDED")];
        assert!(matches!(render_org(&none, &options(&[])), Err(InitError::NoActiveAccount(1))));
    }

    #[test]
    fn the_example_loads_with_two_profiles() {
        let config = crate::config::parse(EXAMPLE, Path::new("config.example.toml")).unwrap();
        assert_eq!(config.profiles.len(), 2);
    }
}
