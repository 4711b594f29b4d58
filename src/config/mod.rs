//! Configuration layer: locate, read, parse and validate `config.toml` into a [`Config`].
//!
//! The file is first deserialized into a raw serde schema (`schema`: `deny_unknown_fields` everywhere, every value
//! kept with its byte span), then resolved into the public types below (`resolve`, with the AWS name checks of
//! `validate`). Every error is a [`ConfigError`] (`error`) whose `Display` is a single line naming the file and,
//! where the position is known, `line:column`, the table and the key (`document` maps spans back to them).
//! `lookup` finds the file, `load` reads it (size and UTF-8 checks), `ambient` stands in for a default file that
//! does not exist (the ambient credentials as one profile), `duration` parses human durations for the file and the
//! command line alike.

mod ambient;
mod document;
mod duration;
mod error;
pub mod keys;
mod load;
mod lookup;
mod notify;
mod resolve;
mod schema;
pub mod theme;
mod ui;
mod validate;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub use ambient::{AMBIENT_PROFILE, Located, ambient, ambient_notice, load_or_ambient, load_or_ambient_with};
pub use duration::parse_duration;
pub use error::{ConfigError, Location};
pub use load::{load, load_ui};
pub use lookup::{found_by, locate, locate_with};
pub use resolve::parse;
pub use ui::Ui;

const DEFAULT_REFRESH: Duration = Duration::from_secs(30);
const DEFAULT_GRACE: Duration = Duration::from_secs(5 * 60);
const DEFAULT_LOOKBACK: Duration = Duration::from_secs(24 * 60 * 60);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A fully resolved and validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file the configuration was read from.
    pub path: PathBuf,
    pub settings: Settings,
    /// In file order. Never empty after [`parse`]/[`load()`].
    pub profiles: Vec<Profile>,
    /// The `[notify]` table (defaults when absent).
    pub notify: Notify,
    /// The line of each key of the file, by its path (`["settings", "region"]`), for `pipewatch doctor`.
    pub lines: std::collections::BTreeMap<Vec<String>, usize>,
    /// `[keys]` and `[theme]`.
    pub ui: Ui,
}

impl Config {
    /// The line of the key at `path` (`&["profiles", "account-a", "region"]`), when the file sets it.
    pub fn line_of(&self, path: &[&str]) -> Option<usize> {
        self.lines.get(&path.iter().map(|s| s.to_string()).collect::<Vec<_>>()).copied()
    }
}

/// The `[settings]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Default regions (`region` or `regions`) for profiles that set none; empty when the file sets none.
    pub regions: Vec<String>,
    /// TUI poll interval.
    pub refresh: Duration,
    /// How long a watched push may wait for a pipeline run before it is flagged.
    pub grace: Duration,
    /// How far back pushes and runs are read.
    pub lookback: Duration,
    /// Bound on one poll of one profile.
    pub timeout: Duration,
    /// AssumeRole calls a second that the profiles sharing one set of source credentials may make together (they
    /// all call STS in the source account); unpaced when unset, since AWS publishes no STS rate.
    pub assume_role_rate: Option<f64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            regions: Vec::new(),
            refresh: DEFAULT_REFRESH,
            grace: DEFAULT_GRACE,
            lookback: DEFAULT_LOOKBACK,
            timeout: DEFAULT_TIMEOUT,
            assume_role_rate: None,
        }
    }
}

/// The `[notify]` table: how a newly untriggered push is announced, by the dashboard and `serve` alike. Its `Debug`
/// hides the webhook URL, which usually holds a secret.
#[derive(Clone, PartialEq)]
pub struct Notify {
    /// A program and its arguments, run once per newly untriggered push with the push as JSON on stdin.
    pub command: Option<Vec<String>>,
    /// An `http(s)://` URL that gets one JSON POST per newly untriggered push (it may hold a secret: never shown).
    pub webhook: Option<String>,
    /// Bound on one run of the command or one POST.
    pub timeout: Duration,
    /// Ring the dashboard's terminal bell on a newly untriggered push.
    pub bell: bool,
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notify")
            .field("command", &self.command.as_ref().map(|argv| argv.first().cloned().unwrap_or_default()))
            .field("webhook", &self.webhook.as_ref().map(|_| "<hidden>"))
            .field("timeout", &self.timeout)
            .field("bell", &self.bell)
            .finish()
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify { command: None, webhook: None, timeout: notify::DEFAULT_NOTIFY_TIMEOUT, bell: true }
    }
}

/// Where the base credentials used to assume `role_arn` come from (as in the AWS CLI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`.
    Environment,
    /// The ECS / EKS container credentials endpoint.
    EcsContainer,
    /// The EC2 instance metadata service (IMDS).
    Ec2InstanceMetadata,
}

impl CredentialSource {
    /// Every value, in the order they are documented.
    pub const ALL: [CredentialSource; 3] =
        [CredentialSource::Environment, CredentialSource::EcsContainer, CredentialSource::Ec2InstanceMetadata];

    /// The spelling used in the config file (and in `~/.aws/config`).
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialSource::Environment => "Environment",
            CredentialSource::EcsContainer => "EcsContainer",
            CredentialSource::Ec2InstanceMetadata => "Ec2InstanceMetadata",
        }
    }
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `[profiles.NAME]` table: one AWS account to watch.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    /// Defaults to `"pipewatch"`.
    pub role_session_name: String,
    /// Assumed-role session length, 15m..=12h.
    pub duration: Option<Duration>,
    pub credential_source: Option<CredentialSource>,
    /// A profile of the shared AWS config (`~/.aws/config`).
    pub aws_profile: Option<String>,
    /// The regions polled, in file order: the profile's own (`region` or `regions`), else `[settings]`'s; empty
    /// when neither names one (the SDK's ambient region, `AWS_REGION` or the shared config, is polled then).
    pub regions: Vec<String>,
    pub endpoint_url: Option<String>,
    /// ECR repositories to watch; empty when the key is absent.
    pub repositories: Vec<String>,
    /// Pipelines to watch; `None` means every pipeline of the account.
    pub pipelines: Option<Vec<String>>,
    /// Read CloudTrail `PutImage` records to attribute pushes (default true).
    pub cloudtrail: bool,
    /// Check the EventBridge rules that should start each pipeline (default true).
    pub eventbridge: bool,
}

impl Profile {
    /// The first of [`Profile::regions`]: where the role is assumed and the caller identity read (one session serves
    /// every region of the account).
    pub fn region(&self) -> Option<&str> {
        self.regions.first().map(String::as_str)
    }
}

/// Command-line overrides, applied with [`Config::apply`] (or [`Overrides::apply_to`] where there is no file).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub refresh: Option<Duration>,
    pub grace: Option<Duration>,
    pub lookback: Option<Duration>,
    pub timeout: Option<Duration>,
    /// Keep only these profiles (in file order); empty keeps all.
    pub profiles: Vec<String>,
}

impl Overrides {
    /// Replace the settings that have an override. A zero duration is an error (checked before anything is
    /// replaced), for a config file's settings and the demo's alike.
    pub fn apply_to(&self, settings: &mut Settings) -> Result<(), ConfigError> {
        let fields = [
            ("refresh", self.refresh, &mut settings.refresh),
            ("grace", self.grace, &mut settings.grace),
            ("lookback", self.lookback, &mut settings.lookback),
            ("timeout", self.timeout, &mut settings.timeout),
        ];
        let zero = fields.iter().find_map(|&(flag, value, _)| value.is_some_and(|v| v.is_zero()).then_some(flag));
        if let Some(flag) = zero {
            return Err(ConfigError::InvalidOverride {
                flag,
                message: "duration must be greater than zero".to_owned(),
            });
        }
        for (_, value, slot) in fields {
            if let Some(value) = value {
                *slot = value;
            }
        }
        Ok(())
    }
}

impl Config {
    /// Apply command-line overrides: replace settings ([`Overrides::apply_to`]), and keep only the named profiles
    /// (in file order). An unknown profile name or a zero duration is an error.
    pub fn apply(mut self, o: &Overrides) -> Result<Config, ConfigError> {
        o.apply_to(&mut self.settings)?;
        if !o.profiles.is_empty() {
            if let Some(unknown) = o.profiles.iter().find(|name| !self.profiles.iter().any(|p| &p.name == *name)) {
                return Err(ConfigError::UnknownProfile {
                    path: self.path.clone(),
                    name: unknown.clone(),
                    known: self.profiles.iter().map(|p| p.name.clone()).collect(),
                });
            }
            self.profiles.retain(|p| o.profiles.contains(&p.name));
        }
        Ok(self)
    }
}
