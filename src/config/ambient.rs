//! No config file is no obstacle: without one (and none named), pipewatch watches the ambient AWS credentials and
//! region as one profile, as the AWS CLI would use them.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::{Config, ConfigError, Profile, Settings, load, locate_with};

/// The profile name of the ambient credentials when `$AWS_PROFILE` names none.
pub const AMBIENT_PROFILE: &str = "default";

/// A config read from its file, or the ambient credentials' one profile because there is no file.
#[derive(Debug, Clone)]
pub struct Located {
    pub config: Config,
    /// `Some(path looked at)` when no file was found and the config is [`ambient`]'s.
    pub ambient: Option<PathBuf>,
}

/// The config of `--config PATH`, else `$PIPEWATCH_CONFIG`, else the XDG default; when none is named and the
/// default file does not exist (or there is no home to look in), the ambient credentials' one profile, named
/// after `$AWS_PROFILE` or `default`. A named file that is missing stays an error.
pub fn load_or_ambient(explicit: Option<&Path>) -> Result<Located, ConfigError> {
    let var = |name: &str| std::env::var_os(name);
    let aws_profile = std::env::var("AWS_PROFILE").ok();
    load_or_ambient_with(
        explicit,
        var("PIPEWATCH_CONFIG").as_deref(),
        var("XDG_CONFIG_HOME").as_deref(),
        var("HOME").as_deref(),
        aws_profile.as_deref(),
    )
}

/// [`load_or_ambient`] with the environment passed in: `PIPEWATCH_CONFIG`, `XDG_CONFIG_HOME`, `HOME` and
/// `AWS_PROFILE`.
pub fn load_or_ambient_with(
    explicit: Option<&Path>,
    pipewatch_config: Option<&OsStr>,
    xdg_config_home: Option<&OsStr>,
    home: Option<&OsStr>,
    aws_profile: Option<&str>,
) -> Result<Located, ConfigError> {
    let named = explicit.is_some() || pipewatch_config.is_some_and(|v| !v.is_empty());
    let path = match locate_with(explicit, pipewatch_config, xdg_config_home, home) {
        Ok(path) => path,
        Err(ConfigError::NoLocation) if !named => {
            let looked_at = PathBuf::from("~/.config/pipewatch/config.toml");
            return Ok(Located { config: ambient(&looked_at, aws_profile), ambient: Some(looked_at) });
        }
        Err(e) => return Err(e),
    };
    match load(&path) {
        Ok(config) => Ok(Located { config, ambient: None }),
        Err(ConfigError::NotFound { .. }) if !named => {
            Ok(Located { config: ambient(&path, aws_profile), ambient: Some(path) })
        }
        Err(e) => Err(e),
    }
}

/// The config of no file: default settings and one profile with no role, no region and no endpoint of its own (the
/// SDK's default chain supplies credentials and region), named `aws_profile` when it is set and not empty, else
/// [`AMBIENT_PROFILE`]. `looked_at` is the path where a file was looked for.
pub fn ambient(looked_at: &Path, aws_profile: Option<&str>) -> Config {
    let name = aws_profile.filter(|p| !p.trim().is_empty()).unwrap_or(AMBIENT_PROFILE);
    Config {
        path: looked_at.to_path_buf(),
        settings: Settings::default(),
        profiles: vec![Profile {
            name: name.to_string(),
            role_arn: None,
            external_id: None,
            role_session_name: "pipewatch".to_string(),
            duration: None,
            credential_source: None,
            aws_profile: None,
            regions: Vec::new(),
            endpoint_url: None,
            repositories: Vec::new(),
            pipelines: None,
            cloudtrail: true,
            eventbridge: true,
        }],
        lines: Default::default(),
        ui: Default::default(),
        notify: Default::default(),
    }
}

/// What pipewatch says once on stderr when it runs on the ambient credentials: which file it looked for, what it
/// watches instead, and how to watch more accounts.
pub fn ambient_notice(looked_at: &Path, profile: &str) -> String {
    format!(
        "pipewatch: no config file at {}: watching the ambient AWS credentials and region as profile `{}`.\n\
         pipewatch: to watch more accounts, write a config with `pipewatch init` (two example accounts to edit) or \
         `pipewatch init --org --role-name NAME` (every account of your AWS Organization).",
        super::error::show_path(looked_at),
        crate::sanitize::clean(profile)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ambient_profile_is_named_after_aws_profile_or_default() {
        let path = Path::new("/home/u/.config/pipewatch/config.toml");
        for (aws_profile, name) in [(None, "default"), (Some(""), "default"), (Some("ops-sso"), "ops-sso")] {
            let c = ambient(path, aws_profile);
            assert_eq!(c.profiles.len(), 1);
            let p = &c.profiles[0];
            assert_eq!(p.name, name);
            assert_eq!((p.role_arn.as_deref(), p.region(), p.aws_profile.as_deref()), (None, None, None));
            assert!(p.cloudtrail && p.eventbridge && p.repositories.is_empty() && p.pipelines.is_none());
            assert_eq!(c.settings, Settings::default());
            assert_eq!(c.path, path);
        }
    }

    /// Only a default location that holds no file falls back to the ambient profile; a named file must exist.
    #[test]
    fn a_missing_default_file_means_the_ambient_profile_a_missing_named_file_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let xdg = dir.path().as_os_str();
        let missing = dir.path().join("missing.toml");
        let got = load_or_ambient_with(None, None, Some(xdg), None, Some("ops")).unwrap();
        assert_eq!(got.ambient, Some(dir.path().join("pipewatch/config.toml")));
        assert_eq!(got.config.profiles[0].name, "ops");
        let got = load_or_ambient_with(None, None, None, None, None).unwrap();
        assert_eq!(got.config.profiles[0].name, "default");
        assert!(got.ambient.is_some());

        let e = load_or_ambient_with(Some(&missing), None, Some(xdg), None, None).unwrap_err();
        assert!(matches!(e, ConfigError::NotFound { .. }), "{e:?}");
        let e = load_or_ambient_with(None, Some(missing.as_os_str()), Some(xdg), None, None).unwrap_err();
        assert!(matches!(e, ConfigError::NotFound { .. }), "{e:?}");

        // A default file that exists is read, and a broken one stays an error.
        std::fs::create_dir_all(dir.path().join("pipewatch")).unwrap();
        let file = dir.path().join("pipewatch/config.toml");
        std::fs::write(&file, "[profiles.a]\nregion = \"us-east-1\"\n").unwrap();
        let got = load_or_ambient_with(None, None, Some(xdg), None, Some("ops")).unwrap();
        assert_eq!((got.ambient, got.config.profiles[0].name.as_str()), (None, "a"));
        std::fs::write(&file, "[profiles]\n").unwrap();
        assert!(load_or_ambient_with(None, None, Some(xdg), None, None).is_err());
    }

    #[test]
    fn the_notice_names_the_file_the_profile_and_init() {
        let text = ambient_notice(Path::new("/h/.config/pipewatch/config.toml"), "ops\x1b[31m");
        assert!(text.contains("no config file at /h/.config/pipewatch/config.toml"), "{text}");
        assert!(text.contains("as profile `ops^[[31m`"), "{text}");
        assert!(text.contains("`pipewatch init`") && text.contains("`pipewatch init --org --role-name NAME`"));
    }
}
