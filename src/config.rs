//! Configuration layer: locate, read, parse and validate `config.toml` into a [`Config`].
//!
//! The file is first deserialized into a raw serde schema (`deny_unknown_fields` everywhere,
//! every value kept with its byte span), then resolved and validated into the public types.
//! Every error is a [`ConfigError`] whose `Display` is a single line naming the file and,
//! where the position is known, `line:column`, the table and the key.

use std::ffi::OsStr;
use std::fmt;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

const DEFAULT_REFRESH: Duration = Duration::from_secs(30);
const DEFAULT_GRACE: Duration = Duration::from_secs(5 * 60);
const DEFAULT_LOOKBACK: Duration = Duration::from_secs(24 * 60 * 60);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_ROLE_SESSION_NAME: &str = "pipewatch";
/// STS `DurationSeconds` bounds (the role's own maximum may be lower).
const MIN_SESSION: Duration = Duration::from_secs(15 * 60);
const MAX_SESSION: Duration = Duration::from_secs(12 * 60 * 60);
/// Refuse to read more than this, so `--config /dev/zero` fails instead of hanging.
const MAX_FILE_SIZE: u64 = 1024 * 1024;
const ROLE_ARN_SHAPE: &str = "arn:aws:iam::<12-digit account>:role/<name>";
const DURATION_HINT: &str = "durations are strings such as \"30s\", \"5m\" or \"1h 30m\"";

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/// A fully resolved and validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file the configuration was read from.
    pub path: PathBuf,
    pub settings: Settings,
    /// In file order. Never empty after [`parse`]/[`load`].
    pub profiles: Vec<Profile>,
}

/// The `[settings]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Default region for profiles that do not set their own.
    pub region: Option<String>,
    /// TUI poll interval.
    pub refresh: Duration,
    /// How long a watched push may wait for a pipeline run before it is flagged.
    pub grace: Duration,
    /// How far back pushes and runs are read.
    pub lookback: Duration,
    /// Bound on one poll of one profile.
    pub timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            region: None,
            refresh: DEFAULT_REFRESH,
            grace: DEFAULT_GRACE,
            lookback: DEFAULT_LOOKBACK,
            timeout: DEFAULT_TIMEOUT,
        }
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
    /// The profile's own region, else `settings.region`.
    pub region: Option<String>,
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

/// Command-line overrides, applied with [`Config::apply`].
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub refresh: Option<Duration>,
    pub grace: Option<Duration>,
    pub lookback: Option<Duration>,
    pub timeout: Option<Duration>,
    /// Keep only these profiles (in file order); empty keeps all.
    pub profiles: Vec<String>,
}

/// A 1-based position in the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    /// Counted in characters, not bytes.
    pub column: usize,
}

/// Everything that can go wrong while locating, reading, parsing or applying the config.
///
/// Every variant's `Display` is one line meant for a human.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Neither `--config`, `$PIPEWATCH_CONFIG`, `$XDG_CONFIG_HOME` nor `$HOME` is usable.
    #[error("cannot locate the config file: pass --config PATH, or set PIPEWATCH_CONFIG, XDG_CONFIG_HOME or HOME")]
    NoLocation,
    /// The file does not exist.
    #[error(
        "{}: config file not found (pass --config PATH or set PIPEWATCH_CONFIG; see config.example.toml)",
        show_path(.path)
    )]
    NotFound { path: PathBuf },
    /// The file exists but cannot be read (permissions, a directory, ...).
    #[error("{}: cannot read config file: {}", show_path(.path), one_line(&.error.to_string()))]
    Read { path: PathBuf, error: std::io::Error },
    /// The file is larger than any sane config file.
    #[error("{}: config file is larger than {limit} bytes", show_path(.path))]
    TooLarge { path: PathBuf, limit: u64 },
    /// The file is not UTF-8.
    #[error("{}: config file is not valid UTF-8 (at {})", show_path(.path), show_location(.location))]
    NotUtf8 { path: PathBuf, location: Location },
    /// Malformed TOML, an unknown key, a wrong type or a value that fails validation.
    /// `message` is already one line and names the table and key where known.
    #[error("{}: {message}", show_path_at(.path, .location))]
    Invalid { path: PathBuf, location: Option<Location>, message: String },
    /// The file has no `[profiles.NAME]` table.
    #[error(
        "no [profiles.*] table in {} (add at least one [profiles.NAME] table; see config.example.toml)",
        show_path(.path)
    )]
    NoProfiles { path: PathBuf },
    /// `--profile NAME` does not name a profile of the file.
    #[error(
        "unknown profile {} (profiles in {}: {})",
        quote(.name), show_path(.path), .known.join(", ")
    )]
    UnknownProfile { path: PathBuf, name: String, known: Vec<String> },
    /// An override is invalid (e.g. a zero duration).
    #[error("--{flag}: {message}")]
    InvalidOverride { flag: &'static str, message: String },
}

// ---------------------------------------------------------------------------------------------
// Public functions
// ---------------------------------------------------------------------------------------------

/// Where the config file is: `--config PATH`, else `$PIPEWATCH_CONFIG`, else
/// `$XDG_CONFIG_HOME/pipewatch/config.toml`, else `~/.config/pipewatch/config.toml`.
///
/// Does not check that the file exists; [`load`] reports that.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    let pipewatch_config = std::env::var_os("PIPEWATCH_CONFIG");
    let xdg_config_home = std::env::var_os("XDG_CONFIG_HOME");
    let home = std::env::var_os("HOME");
    locate_with(explicit, pipewatch_config.as_deref(), xdg_config_home.as_deref(), home.as_deref())
}

/// [`locate`] with the environment passed in: the values of `PIPEWATCH_CONFIG`,
/// `XDG_CONFIG_HOME` and `HOME`.
///
/// Empty variables count as unset; a relative `XDG_CONFIG_HOME` is ignored, as the XDG
/// base directory specification requires.
pub fn locate_with(
    explicit: Option<&Path>,
    pipewatch_config: Option<&OsStr>,
    xdg_config_home: Option<&OsStr>,
    home: Option<&OsStr>,
) -> Result<PathBuf, ConfigError> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    if let Some(path) = pipewatch_config.filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    if let Some(xdg) = xdg_config_home.map(Path::new).filter(|p| p.is_absolute()) {
        return Ok(xdg.join("pipewatch").join("config.toml"));
    }
    match home.filter(|v| !v.is_empty()) {
        Some(home) => Ok(Path::new(home).join(".config").join("pipewatch").join("config.toml")),
        None => Err(ConfigError::NoLocation),
    }
}

/// Read and [`parse`] the file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let file = std::fs::File::open(path).map_err(|error| io_error(path, error))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes).map_err(|error| io_error(path, error))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(ConfigError::TooLarge { path: path.to_path_buf(), limit: MAX_FILE_SIZE });
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            // The prefix is valid UTF-8 by definition; fall back to line 1 defensively.
            let location = std::str::from_utf8(bytes.get(..valid).unwrap_or_default())
                .map(|prefix| location_of(prefix, prefix.len()))
                .unwrap_or(Location { line: 1, column: 1 });
            return Err(ConfigError::NotUtf8 { path: path.to_path_buf(), location });
        }
    };
    parse(&text, path)
}

/// Parse and validate the text of a config file; `path` is used in errors and kept in
/// [`Config::path`].
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let cx = Cx { text, path };
    let raw: RawConfig = toml::from_str(text).map_err(|e| cx.toml_error(&e))?;
    let settings = resolve_settings(&cx, raw.settings)?;
    let raw_profiles = match raw.profiles {
        Some(RawProfiles(list)) if !list.is_empty() => list,
        _ => {
            return Err(ConfigError::NoProfiles { path: path.to_path_buf() });
        }
    };
    let profiles = raw_profiles
        .into_iter()
        .map(|(name, raw)| resolve_profile(&cx, &settings, name, raw))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Config { path: path.to_path_buf(), settings, profiles })
}

/// Parse a human duration ("90s", "5m", "24h", "1h 30m"); zero is rejected.
///
/// Usable as a clap `value_parser`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return Err("empty duration (expected e.g. \"30s\", \"5m\" or \"1h 30m\")".to_owned());
    }
    let duration = humantime::parse_duration(trimmed).map_err(|e| {
        format!(
            "invalid duration {} (expected e.g. \"30s\", \"5m\" or \"1h 30m\"): {}",
            quote(s),
            one_line(&e.to_string())
        )
    })?;
    if duration.is_zero() {
        return Err(format!("invalid duration {}: must be greater than zero", quote(s)));
    }
    Ok(duration)
}

impl Config {
    /// Apply command-line overrides: replace settings, and keep only the named profiles
    /// (in file order). An unknown profile name or a zero duration is an error.
    pub fn apply(mut self, o: &Overrides) -> Result<Config, ConfigError> {
        let fields = [
            ("refresh", o.refresh, &mut self.settings.refresh),
            ("grace", o.grace, &mut self.settings.grace),
            ("lookback", o.lookback, &mut self.settings.lookback),
            ("timeout", o.timeout, &mut self.settings.timeout),
        ];
        for (flag, value, slot) in fields {
            if let Some(value) = value {
                if value.is_zero() {
                    return Err(ConfigError::InvalidOverride {
                        flag,
                        message: "duration must be greater than zero".to_owned(),
                    });
                }
                *slot = value;
            }
        }
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

// ---------------------------------------------------------------------------------------------
// Raw schema
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a TOML document")]
struct RawConfig {
    settings: Option<RawSettings>,
    profiles: Option<RawProfiles>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [settings] table")]
struct RawSettings {
    region: Option<Spanned<String>>,
    refresh: Option<Spanned<String>>,
    grace: Option<Spanned<String>>,
    lookback: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [profiles.NAME] table")]
struct RawProfile {
    role_arn: Option<Spanned<String>>,
    external_id: Option<Spanned<String>>,
    role_session_name: Option<Spanned<String>>,
    duration: Option<Spanned<String>>,
    credential_source: Option<Spanned<String>>,
    aws_profile: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
    endpoint_url: Option<Spanned<String>>,
    repositories: Option<Vec<Spanned<String>>>,
    pipelines: Option<Vec<Spanned<String>>>,
    cloudtrail: Option<bool>,
    eventbridge: Option<bool>,
}

/// `[profiles.*]` in file order (the `preserve_order` feature of `toml` keeps the document
/// order; a map type would lose it).
struct RawProfiles(Vec<(Spanned<String>, RawProfile)>);

impl<'de> Deserialize<'de> for RawProfiles {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ProfilesVisitor;

        impl<'de> Visitor<'de> for ProfilesVisitor {
            type Value = RawProfiles;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of [profiles.NAME] tables")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawProfiles, A::Error> {
                let mut list = Vec::new();
                while let Some(name) = map.next_key::<Spanned<String>>()? {
                    let profile = map.next_value::<RawProfile>()?;
                    list.push((name, profile));
                }
                Ok(RawProfiles(list))
            }
        }

        deserializer.deserialize_map(ProfilesVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// Resolution and validation
// ---------------------------------------------------------------------------------------------

/// The text and path being parsed, to turn spans into located errors.
struct Cx<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Cx<'_> {
    fn invalid(&self, span: Option<Range<usize>>, message: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            location: span.map(|s| location_of(self.text, s.start)),
            message: one_line(&message),
        }
    }

    /// A semantic error on `key` of `table` (e.g. `[profiles.account-a]`).
    fn at(&self, span: Range<usize>, table: &str, key: &str, message: impl fmt::Display) -> ConfigError {
        self.invalid(Some(span), format!("{table} {key}: {message}"))
    }

    /// A syntax or schema error reported by `toml`; names the table and key when the span
    /// can be mapped back to the document.
    fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
        let mut message = one_line(e.message().trim());
        let Some(span) = e.span() else {
            return self.invalid(None, message);
        };
        if message == "duplicate key" {
            // toml does not say which key; the span does.
            if let Some(key) = self.text.get(span.clone()).map(str::trim)
                && !key.is_empty()
            {
                message = format!("duplicate key {}", quote(key));
            }
        }
        // Best-effort recovery also gives context to syntax errors inside a value.
        let (doc, _) = DeTable::parse_recoverable(self.text);
        let context = find_key(doc.get_ref(), span.start, &mut Vec::new());
        let message = match context {
            None => message,
            Some(found) => {
                let hint = if !found.on_key
                    && is_duration_key(&found.table, &found.key)
                    && message.starts_with("invalid type")
                {
                    format!(" ({DURATION_HINT})")
                } else {
                    String::new()
                };
                match (found.table.is_empty(), found.on_key) {
                    (true, true) => format!("{message}{hint}"),
                    (true, false) => format!("{}: {message}{hint}", show_key(&found.key)),
                    (false, true) => format!("{}: {message}{hint}", show_table(&found.table)),
                    (false, false) => format!("{} {}: {message}{hint}", show_table(&found.table), show_key(&found.key)),
                }
            }
        };
        self.invalid(Some(span), message)
    }
}

fn is_duration_key(table: &[String], key: &str) -> bool {
    match table {
        [t] if t == "settings" => matches!(key, "refresh" | "grace" | "lookback" | "timeout"),
        [t, _] if t == "profiles" => key == "duration",
        _ => false,
    }
}

/// Where a byte offset falls in the document: the table path, the key, and whether the
/// offset is on the key itself (rather than on its value).
struct FoundKey {
    table: Vec<String>,
    key: String,
    on_key: bool,
}

fn find_key(table: &DeTable<'_>, pos: usize, prefix: &mut Vec<String>) -> Option<FoundKey> {
    for (key, value) in table.iter() {
        let name = key.get_ref().as_ref();
        if contains(&key.span(), pos) {
            return Some(FoundKey { table: prefix.clone(), key: name.to_owned(), on_key: true });
        }
        let nested = match value.get_ref() {
            DeValue::Table(inner) => {
                prefix.push(name.to_owned());
                let found = find_key(inner, pos, prefix);
                prefix.pop();
                found
            }
            DeValue::Array(items) => {
                prefix.push(name.to_owned());
                let found = items.iter().find_map(|item| match item.get_ref() {
                    DeValue::Table(inner) => find_key(inner, pos, prefix),
                    _ => None,
                });
                prefix.pop();
                found
            }
            _ => None,
        };
        if nested.is_some() {
            return nested;
        }
        if contains(&value.span(), pos) {
            return Some(FoundKey { table: prefix.clone(), key: name.to_owned(), on_key: false });
        }
    }
    None
}

fn contains(span: &Range<usize>, pos: usize) -> bool {
    span.contains(&pos) || (span.is_empty() && span.start == pos)
}

fn resolve_settings(cx: &Cx<'_>, raw: Option<RawSettings>) -> Result<Settings, ConfigError> {
    let mut settings = Settings::default();
    let Some(raw) = raw else {
        return Ok(settings);
    };
    const T: &str = "[settings]";
    if let Some(region) = raw.region {
        settings.region = Some(non_empty(cx, region, T, "region")?);
    }
    let durations = [
        ("refresh", raw.refresh, &mut settings.refresh),
        ("grace", raw.grace, &mut settings.grace),
        ("lookback", raw.lookback, &mut settings.lookback),
        ("timeout", raw.timeout, &mut settings.timeout),
    ];
    for (key, value, slot) in durations {
        if let Some(value) = value {
            *slot = parse_duration(value.get_ref()).map_err(|m| cx.at(value.span(), T, key, m))?;
        }
    }
    Ok(settings)
}

fn resolve_profile(
    cx: &Cx<'_>,
    settings: &Settings,
    name: Spanned<String>,
    raw: RawProfile,
) -> Result<Profile, ConfigError> {
    if name.get_ref().trim().is_empty() {
        return Err(cx.invalid(
            Some(name.span()),
            format!(
                "{}: a profile name must not be empty",
                show_table(&["profiles".to_owned(), name.get_ref().clone()])
            ),
        ));
    }
    let name = name.into_inner();
    let table = show_table(&["profiles".to_owned(), name.clone()]);
    let t = table.as_str();

    // Keys that only make sense when a role is assumed.
    if raw.role_arn.is_none() {
        let needs_role = [
            ("credential_source", &raw.credential_source),
            ("external_id", &raw.external_id),
            ("duration", &raw.duration),
            ("role_session_name", &raw.role_session_name),
        ];
        if let Some((key, Some(value))) = needs_role.into_iter().find(|(_, v)| v.is_some()) {
            return Err(cx.at(
                value.span(),
                t,
                key,
                "requires role_arn (it only applies when pipewatch assumes a role)",
            ));
        }
    }
    if let (Some(source), Some(_)) = (&raw.credential_source, &raw.aws_profile) {
        return Err(cx.at(
            source.span(),
            t,
            "credential_source",
            "credential_source and aws_profile are mutually exclusive (credential_source picks \
             where the base credentials come from; aws_profile takes them from the shared AWS \
             config instead)",
        ));
    }

    let role_arn = match raw.role_arn {
        Some(v) => {
            check_role_arn(v.get_ref()).map_err(|reason| {
                cx.at(
                    v.span(),
                    t,
                    "role_arn",
                    format!("{} is not an IAM role ARN (expected {ROLE_ARN_SHAPE}): {reason}", quote(v.get_ref())),
                )
            })?;
            Some(v.into_inner())
        }
        None => None,
    };

    let external_id = match raw.external_id {
        Some(v) => {
            check_external_id(v.get_ref()).map_err(|m| cx.at(v.span(), t, "external_id", m))?;
            Some(v.into_inner())
        }
        None => None,
    };

    let role_session_name = match raw.role_session_name {
        Some(v) => {
            check_session_name(v.get_ref()).map_err(|m| cx.at(v.span(), t, "role_session_name", m))?;
            v.into_inner()
        }
        None => DEFAULT_ROLE_SESSION_NAME.to_owned(),
    };

    let duration = match raw.duration {
        Some(v) => {
            let d = parse_duration(v.get_ref()).map_err(|m| cx.at(v.span(), t, "duration", m))?;
            check_session_duration(d)
                .map_err(|m| cx.at(v.span(), t, "duration", format!("{} {m}", quote(v.get_ref()))))?;
            Some(d)
        }
        None => None,
    };

    let credential_source = match raw.credential_source {
        Some(v) => Some(parse_credential_source(v.get_ref()).map_err(|m| cx.at(v.span(), t, "credential_source", m))?),
        None => None,
    };

    let aws_profile = match raw.aws_profile {
        Some(v) => Some(non_empty(cx, v, t, "aws_profile")?),
        None => None,
    };

    let region = match raw.region {
        Some(v) => Some(non_empty(cx, v, t, "region")?),
        None => settings.region.clone(),
    };

    let endpoint_url = match raw.endpoint_url {
        Some(v) => {
            check_endpoint_url(v.get_ref()).map_err(|m| cx.at(v.span(), t, "endpoint_url", m))?;
            Some(v.into_inner())
        }
        None => None,
    };

    let repositories = match raw.repositories {
        Some(list) => names(cx, list, t, "repositories", "repository")?,
        None => Vec::new(),
    };
    let pipelines = match raw.pipelines {
        Some(list) => Some(names(cx, list, t, "pipelines", "pipeline")?),
        None => None,
    };

    Ok(Profile {
        name,
        role_arn,
        external_id,
        role_session_name,
        duration,
        credential_source,
        aws_profile,
        region,
        endpoint_url,
        repositories,
        pipelines,
        cloudtrail: raw.cloudtrail.unwrap_or(true),
        eventbridge: raw.eventbridge.unwrap_or(true),
    })
}

fn non_empty(cx: &Cx<'_>, value: Spanned<String>, table: &str, key: &str) -> Result<String, ConfigError> {
    if value.get_ref().trim().is_empty() {
        return Err(cx.at(value.span(), table, key, "must not be empty"));
    }
    Ok(value.into_inner())
}

fn names(
    cx: &Cx<'_>,
    list: Vec<Spanned<String>>,
    table: &str,
    key: &str,
    what: &str,
) -> Result<Vec<String>, ConfigError> {
    list.into_iter()
        .map(|v| {
            if v.get_ref().trim().is_empty() {
                Err(cx.at(v.span(), table, key, format!("empty {what} name")))
            } else {
                Ok(v.into_inner())
            }
        })
        .collect()
}

/// `arn:<aws|aws-cn|aws-us-gov>:iam::<12 digits>:role/<path/><name>`.
fn check_role_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return Err("it does not have the six colon-separated fields of an ARN".to_owned());
    };
    if prefix != "arn" {
        return Err("it does not start with \"arn:\"".to_owned());
    }
    if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
        return Err(format!("unknown partition {} (expected aws, aws-cn or aws-us-gov)", quote(partition)));
    }
    if service != "iam" {
        return Err(format!(
            "the service is {}, not \"iam\" (an assumed-role or user ARN will not do)",
            quote(service)
        ));
    }
    if !region.is_empty() {
        return Err(format!("IAM ARNs have no region, found {}", quote(region)));
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("the account id {} is not 12 digits", quote(account)));
    }
    let Some(role) = resource.strip_prefix("role/") else {
        return Err(format!("the resource {} is not role/<name>", quote(resource)));
    };
    let role_name = role.rsplit('/').next().unwrap_or(role);
    if role_name.is_empty() || role.starts_with('/') || role.contains("//") {
        return Err("the role name is missing".to_owned());
    }
    if role_name.len() > 64 {
        return Err("the role name is longer than 64 characters".to_owned());
    }
    if !role.chars().all(|c| is_iam_name_char(c) || c == '/') {
        return Err("the role name has characters outside [A-Za-z0-9+=,.@_-]".to_owned());
    }
    Ok(())
}

/// `[\w+=,.@-]` as IAM and STS use it (ASCII only).
fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

fn check_session_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if !(2..=64).contains(&len) {
        return Err(format!("{} must be 2 to 64 characters long (it is {len})", quote(name)));
    }
    if !name.chars().all(is_iam_name_char) {
        return Err(format!("{} may only contain letters, digits and _+=,.@-", quote(name)));
    }
    Ok(())
}

/// STS: 2..=1224 characters of `[\w+=,.@:/-]`. The value is not echoed back.
fn check_external_id(id: &str) -> Result<(), String> {
    let len = id.chars().count();
    if !(2..=1224).contains(&len) {
        return Err(format!("must be 2 to 1224 characters long (it is {len})"));
    }
    if !id.chars().all(|c| is_iam_name_char(c) || c == ':' || c == '/') {
        return Err("may only contain letters, digits and _+=,.@:/-".to_owned());
    }
    Ok(())
}

fn check_session_duration(d: Duration) -> Result<(), String> {
    if d < MIN_SESSION || d > MAX_SESSION {
        return Err("is outside 15m..12h (the limits of an assumed-role session)".to_owned());
    }
    if d.subsec_nanos() != 0 {
        return Err("is not a whole number of seconds".to_owned());
    }
    Ok(())
}

fn parse_credential_source(s: &str) -> Result<CredentialSource, String> {
    if let Some(found) = CredentialSource::ALL.into_iter().find(|c| c.as_str() == s) {
        return Ok(found);
    }
    let valid = "expected Environment, EcsContainer or Ec2InstanceMetadata";
    match CredentialSource::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(s.trim())) {
        Some(close) => Err(format!("unknown credential source {} ({valid}; did you mean {close}?)", quote(s))),
        None => Err(format!("unknown credential source {} ({valid})", quote(s))),
    }
}

fn check_endpoint_url(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.chars().any(|c| c.is_whitespace() || c.is_control()) => Ok(()),
        Some(_) => Err(format!("{} has no host", quote(url))),
        None => Err(format!("{} must start with http:// or https://", quote(url))),
    }
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers (everything ends up on one line)
// ---------------------------------------------------------------------------------------------

/// 1-based line and character column of a byte offset.
fn location_of(text: &str, offset: usize) -> Location {
    let mut location = Location { line: 1, column: 1 };
    for (i, c) in text.char_indices() {
        if i >= offset {
            break;
        }
        if c == '\n' {
            location.line += 1;
            location.column = 1;
        } else {
            location.column += 1;
        }
    }
    location
}

fn show_location(location: &Location) -> String {
    format!("line {}, column {}", location.line, location.column)
}

fn show_path(path: &Path) -> String {
    let shown = path.display().to_string();
    if shown.is_empty() { "\"\"".to_owned() } else { one_line(&shown) }
}

fn show_path_at(path: &Path, location: &Option<Location>) -> String {
    match location {
        Some(l) => format!("{}:{}:{}", show_path(path), l.line, l.column),
        None => show_path(path),
    }
}

/// `[profiles.account-a]`, quoting segments that are not bare TOML keys; absurdly deep
/// paths are elided in the middle.
fn show_table(segments: &[String]) -> String {
    let mut inner: Vec<String> = segments.iter().map(|s| show_key(s)).collect();
    if inner.len() > 8 {
        inner.splice(4..inner.len() - 2, ["…".to_owned()]);
    }
    format!("[{}]", inner.join("."))
}

fn show_key(key: &str) -> String {
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { key.to_owned() } else { quote(key) }
}

/// A user value in double quotes, escaped, and shortened if long.
fn quote(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() > MAX {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}…")
    } else {
        format!("{s:?}")
    }
}

/// Escape control characters (newlines included) so a message stays on one line.
fn one_line(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_owned();
    }
    s.chars().map(|c| if c.is_control() { c.escape_debug().to_string() } else { c.to_string() }).collect()
}

fn io_error(path: &Path, error: std::io::Error) -> ConfigError {
    if error.kind() == std::io::ErrorKind::NotFound {
        ConfigError::NotFound { path: path.to_path_buf() }
    } else {
        ConfigError::Read { path: path.to_path_buf(), error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN_A: &str = "arn:aws:iam::111111111111:role/pipewatch-read";

    fn ok(text: &str) -> Config {
        match parse(text, Path::new("config.toml")) {
            Ok(config) => config,
            Err(e) => panic!("expected {text:?} to parse, got: {e}"),
        }
    }

    fn err(text: &str) -> String {
        match parse(text, Path::new("config.toml")) {
            Ok(config) => panic!("expected {text:?} to fail, got {config:?}"),
            Err(e) => {
                let shown = e.to_string();
                assert!(!shown.contains('\n'), "multi-line error: {shown}");
                shown
            }
        }
    }

    #[track_caller]
    fn assert_err(text: &str, expected: &str) {
        let shown = err(text);
        assert!(shown.contains(expected), "error for {text:?}\n  was:      {shown}\n  expected: {expected}");
        assert!(shown.contains("config.toml"), "error does not name the file: {shown}");
    }

    /// A profile with a role, plus `extra` lines.
    fn with_role(extra: &str) -> String {
        format!("[profiles.a]\nrole_arn = \"{ARN_A}\"\n{extra}\n")
    }

    const FULL: &str = r#"
[settings]
region = "ap-northeast-1"
refresh = "15s"
grace = "10m"
lookback = "48h"
timeout = "1m 30s"

[profiles.account-a]
role_arn = "arn:aws:iam::111111111111:role/pipewatch-read"
external_id = "pipewatch-a"
role_session_name = "pw.session@ops"
duration = "1h"
credential_source = "EcsContainer"
region = "us-east-1"
endpoint_url = "http://127.0.0.1:5000"
repositories = ["web", "tools"]
pipelines = ["web-deploy"]

[profiles.account-b]
role_arn = "arn:aws-cn:iam::222222222222:role/ci/pipewatch-read"
aws_profile = "builder"
"#;

    #[test]
    fn config_full_valid() {
        let config = ok(FULL);
        assert_eq!(config.path, Path::new("config.toml"));
        assert_eq!(
            config.settings,
            Settings {
                region: Some("ap-northeast-1".into()),
                refresh: Duration::from_secs(15),
                grace: Duration::from_secs(600),
                lookback: Duration::from_secs(48 * 3600),
                timeout: Duration::from_secs(90),
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
                    region: Some("us-east-1".into()),
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
                    region: Some("ap-northeast-1".into()),
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
        assert_eq!(config.settings.region, None);
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
                region: None,
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
        let config =
            ok("[settings]\nregion = \"ap-northeast-1\"\n[profiles.a]\n[profiles.b]\nregion = \"us-west-2\"\n");
        assert_eq!(config.profiles[0].region.as_deref(), Some("ap-northeast-1"));
        assert_eq!(config.profiles[1].region.as_deref(), Some("us-west-2"));
        assert_eq!(config.settings.region.as_deref(), Some("ap-northeast-1"));
    }

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
        assert_err("[setting]\n[profiles.a]\n", "unknown field `setting`, expected `settings` or `profiles`");
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
        assert_err(
            "settings = \"x\"\n[profiles.a]\n",
            "settings: invalid type: string \"x\", expected a [settings] table",
        );
        assert_err("profiles = [\"a\"]\n", "expected a table of [profiles.NAME] tables");
        assert_err("[profiles]\na = 1\n", "invalid type: integer `1`, expected a [profiles.NAME] table");
    }

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
    fn config_parse_duration() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_duration(" 2m "), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["0s", "0", "0m 0s", "", "  ", "5", "abc", "-5s", "5 minutez", "99999999999999999999999h"] {
            let e = parse_duration(bad).expect_err(bad);
            assert!(!e.contains('\n'), "{e}");
        }
        assert!(parse_duration("0s").unwrap_err().contains("greater than zero"));
        assert!(parse_duration("abc").unwrap_err().contains("invalid duration \"abc\""));
    }

    #[test]
    fn config_parse_duration_is_a_clap_value_parser() {
        use clap::Parser;
        #[derive(Parser, Debug)]
        struct Cli {
            #[arg(long, value_parser = parse_duration)]
            refresh: Option<Duration>,
        }
        let cli = Cli::try_parse_from(["pipewatch", "--refresh", "1h 30m"]).expect("parses");
        assert_eq!(cli.refresh, Some(Duration::from_secs(5_400)));
        let e = Cli::try_parse_from(["pipewatch", "--refresh", "0s"]).expect_err("zero");
        assert!(e.to_string().contains("greater than zero"), "{e}");
    }

    #[test]
    fn config_setting_durations() {
        for key in ["refresh", "grace", "lookback", "timeout"] {
            assert_err(
                &format!("[settings]\n{key} = \"0s\"\n[profiles.a]\n"),
                &format!("config.toml:2:{}: ", key.len() + 4),
            );
            assert_err(
                &format!("[settings]\n{key} = \"0s\"\n[profiles.a]\n"),
                &format!("[settings] {key}: invalid duration \"0s\": must be greater than zero"),
            );
            assert_err(
                &format!("[settings]\n{key} = \"soon\"\n[profiles.a]\n"),
                &format!("[settings] {key}: invalid duration \"soon\""),
            );
        }
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
    fn config_role_session_name() {
        let name =
            |n: &str| ok(&with_role(&format!("role_session_name = \"{n}\""))).profiles[0].role_session_name.clone();
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
        assert_err(
            "[profiles.a]\npipelines = [\" \"]\n",
            "config.toml:2:14: [profiles.a] pipelines: empty pipeline name",
        );
        assert_err("[profiles.a]\nregion = \"\"\n", "[profiles.a] region: must not be empty");
        assert_err("[settings]\nregion = \"\"\n[profiles.a]\n", "[settings] region: must not be empty");
        assert_err("[profiles.a]\naws_profile = \"\"\n", "[profiles.a] aws_profile: must not be empty");
        // An explicit empty list is kept: it watches no pipeline, unlike an absent key.
        let config = ok("[profiles.a]\npipelines = []\nrepositories = []\n");
        assert_eq!(config.profiles[0].pipelines, Some(vec![]));
        assert!(config.profiles[0].repositories.is_empty());
    }

    fn three_profiles() -> Config {
        ok("[profiles.a]\n[profiles.b]\n[profiles.c]\n")
    }

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
                region: None,
                refresh: Duration::from_secs(5),
                grace: Duration::from_secs(60),
                lookback: Duration::from_secs(3_600),
                timeout: Duration::from_secs(2),
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
    fn config_locate_precedence() {
        let os = |s: &'static str| Some(OsStr::new(s));
        let explicit = Path::new("/explicit.toml");
        assert_eq!(
            locate_with(Some(explicit), os("/env.toml"), os("/xdg"), os("/home/u")).ok(),
            Some(PathBuf::from("/explicit.toml"))
        );
        assert_eq!(
            locate_with(None, os("/env.toml"), os("/xdg"), os("/home/u")).ok(),
            Some(PathBuf::from("/env.toml"))
        );
        assert_eq!(
            locate_with(None, os("relative/env.toml"), None, None).ok(),
            Some(PathBuf::from("relative/env.toml"))
        );
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
        assert_eq!(
            e.to_string(),
            format!("{}: config file is not valid UTF-8 (at line 2, column 14)", latin1.display())
        );

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

    #[test]
    fn config_example_file_parses() {
        let text = include_str!("../config.example.toml");
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
        assert_eq!(config.settings, Settings { region: config.settings.region.clone(), ..Settings::default() });
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

    /// Fixed-seed xorshift64*, so failures reproduce.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[track_caller]
    fn must_not_panic(text: &str) {
        let outcome = std::panic::catch_unwind(|| parse(text, Path::new("fuzz.toml")));
        match outcome {
            Err(_) => panic!("parser panicked on {text:?}"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                let shown = e.to_string();
                assert!(!shown.contains('\n') && !shown.contains('\r'), "multi-line error for {text:?}: {shown}");
                assert!(shown.contains("fuzz.toml"), "error without the path for {text:?}: {shown}");
            }
        }
    }

    #[test]
    fn config_fuzz_never_panics() {
        const TOKENS: &[&str] = &[
            "[",
            "]",
            "[[",
            "]]",
            "{",
            "}",
            ".",
            "=",
            ",",
            "\"",
            "'",
            "\"\"\"",
            "'''",
            "#",
            "\n",
            "\r\n",
            " ",
            "\t",
            "\\",
            "\\u00e9",
            "\\n",
            "settings",
            "profiles",
            "a",
            "account-a",
            "\"\"",
            "role_arn",
            "external_id",
            "role_session_name",
            "duration",
            "credential_source",
            "aws_profile",
            "region",
            "endpoint_url",
            "repositories",
            "pipelines",
            "refresh",
            "grace",
            "lookback",
            "timeout",
            "\"arn:aws:iam::111111111111:role/x\"",
            "arn:",
            ":",
            "iam",
            "111111111111",
            "1",
            "0",
            "-1",
            "1e400",
            "nan",
            "inf",
            "true",
            "1979-05-27T07:32:00Z",
            "\"0s\"",
            "\"1h\"",
            "\"15m\"",
            "\"12h 1s\"",
            "\"EcsContainer\"",
            "\"http://x\"",
            "é",
            "\u{0}",
            "\u{feff}",
            "\u{202e}",
            "🦀",
            "[profiles.a]\n",
            "[settings]\n",
        ];
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);

        // Random bytes, made text.
        for _ in 0..1_500 {
            let len = rng.below(64);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            must_not_panic(&String::from_utf8_lossy(&bytes));
        }
        // TOML-ish token soup.
        for _ in 0..2_500 {
            let len = rng.below(40);
            let text: String = (0..len).map(|_| TOKENS[rng.below(TOKENS.len())]).collect();
            must_not_panic(&text);
        }
        // Mutations of a valid config: reach the semantic checks, not just the tokenizer.
        let base = FULL.as_bytes();
        for _ in 0..1_500 {
            let mut bytes = base.to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len() + 1);
                match rng.below(3) {
                    0 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    1 if at < bytes.len() => bytes[at] = rng.next() as u8,
                    _ => {
                        let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                        bytes.splice(at..at, token.iter().copied());
                    }
                }
            }
            must_not_panic(&String::from_utf8_lossy(&bytes));
        }
    }
}
