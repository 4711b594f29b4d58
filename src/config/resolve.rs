//! From the text of a config file to a validated [`Config`]: the raw schema is resolved table by table, defaults
//! filled in, and every value checked where it stands, so an error names its line, table and key.

use std::path::Path;

use toml::Spanned;

use super::document::Document;
use super::duration::parse_duration;
use super::error::show_table;
use super::schema::{RawConfig, RawProfile, RawProfiles, RawSettings};
use super::{Config, ConfigError, Profile, Settings, notify, validate};

const DEFAULT_ROLE_SESSION_NAME: &str = "pipewatch";

/// Parse and validate the text of a config file; `path` is used in errors and kept in
/// [`Config::path`].
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let document = Document { text, path };
    let raw: RawConfig = toml::from_str(text).map_err(|e| document.toml_error(&e))?;
    let settings = resolve_settings(&document, raw.settings)?;
    let notify = notify::resolve(&document, raw.notify)?;
    let ui = super::ui::resolve(&document, raw.keys, raw.theme)?;
    let raw_profiles = match raw.profiles {
        Some(RawProfiles(list)) if !list.is_empty() => list,
        _ => {
            return Err(ConfigError::NoProfiles { path: path.to_path_buf() });
        }
    };
    let profiles = raw_profiles
        .into_iter()
        .map(|(name, raw)| resolve_profile(&document, &settings, name, raw))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Config { path: path.to_path_buf(), settings, profiles, notify, lines: super::document::key_lines(text), ui })
}

/// Only `[keys]` and `[theme]` of a config file (the demo's dashboard borrows them; no profile is needed), the rest
/// of the file checked against the schema all the same.
pub fn parse_ui(text: &str, path: &Path) -> Result<super::Ui, ConfigError> {
    let document = Document { text, path };
    let raw: RawConfig = toml::from_str(text).map_err(|e| document.toml_error(&e))?;
    super::ui::resolve(&document, raw.keys, raw.theme)
}

/// One table of the document being resolved: errors on its keys name the table and the key.
pub(super) struct Table<'a> {
    pub(super) document: &'a Document<'a>,
    /// As messages show it: `[settings]`, `[profiles.account-a]`.
    pub(super) name: String,
}

impl Table<'_> {
    /// An error on the value of `key` at `span`.
    pub(super) fn error(
        &self,
        span: std::ops::Range<usize>,
        key: &str,
        message: impl std::fmt::Display,
    ) -> ConfigError {
        self.document.at(span, &self.name, key, message)
    }

    /// The value of an optional `key` as `check` makes it, `None` when the key is absent; a failed check is
    /// reported at the value.
    pub(super) fn opt<T>(
        &self,
        key: &str,
        value: Option<Spanned<String>>,
        check: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        value.map(|v| check(v.get_ref()).map_err(|message| self.error(v.span(), key, message))).transpose()
    }

    /// The items of an optional list of names, `None` when the key is absent; a blank item is an error
    /// (`empty {what} name`).
    fn names(
        &self,
        key: &str,
        list: Option<Vec<Spanned<String>>>,
        what: &str,
    ) -> Result<Option<Vec<String>>, ConfigError> {
        let check = |v: Spanned<String>| {
            if v.get_ref().trim().is_empty() {
                Err(self.error(v.span(), key, format!("empty {what} name")))
            } else {
                Ok(v.into_inner())
            }
        };
        list.map(|list| list.into_iter().map(check).collect()).transpose()
    }

    /// The regions of a table from `region = "r"` or `regions = ["r1", "r2"]`, `None` when it sets neither. Both at
    /// once, an empty list, a blank or a repeated region is an error at the offending value.
    fn regions(
        &self,
        region: Option<Spanned<String>>,
        regions: Option<Spanned<Vec<Spanned<String>>>>,
    ) -> Result<Option<Vec<String>>, ConfigError> {
        let list = match (region, regions) {
            (Some(_), Some(list)) => {
                return Err(self.error(
                    list.span(),
                    "regions",
                    "region and regions are mutually exclusive: keep regions = [...] (it may list one region) and \
                     remove region",
                ));
            }
            (Some(one), None) => {
                return Ok(Some(vec![self.opt("region", Some(one), validate::non_empty)?.unwrap_or_default()]));
            }
            (None, None) => return Ok(None),
            (None, Some(list)) => list,
        };
        let span = list.span();
        let list = list.into_inner();
        if list.is_empty() {
            return Err(self.error(span, "regions", "must name at least one region"));
        }
        let mut out: Vec<String> = Vec::with_capacity(list.len());
        for item in list {
            let region = self.opt("regions", Some(item.clone()), validate::non_empty)?.unwrap_or_default();
            if out.contains(&region) {
                return Err(self.error(item.span(), "regions", format!("{region} is listed twice")));
            }
            out.push(region);
        }
        Ok(Some(out))
    }
}

fn resolve_settings(document: &Document<'_>, raw: Option<RawSettings>) -> Result<Settings, ConfigError> {
    let mut settings = Settings::default();
    let Some(raw) = raw else {
        return Ok(settings);
    };
    let table = Table { document, name: "[settings]".to_owned() };
    settings.regions = table.regions(raw.region, raw.regions)?.unwrap_or_default();
    let durations = [
        ("refresh", raw.refresh, &mut settings.refresh),
        ("grace", raw.grace, &mut settings.grace),
        ("lookback", raw.lookback, &mut settings.lookback),
        ("timeout", raw.timeout, &mut settings.timeout),
    ];
    for (key, value, slot) in durations {
        if let Some(value) = table.opt(key, value, parse_duration)? {
            *slot = value;
        }
    }
    if let Some(rate) = raw.assume_role_rate {
        let per_second = rate.get_ref().0;
        if !(per_second.is_finite() && per_second > 0.0) {
            return Err(table.error(
                rate.span(),
                "assume_role_rate",
                format!("{per_second} is not a rate: write the AssumeRole calls a second, above 0, such as 10"),
            ));
        }
        settings.assume_role_rate = Some(per_second);
    }
    Ok(settings)
}

fn resolve_profile(
    document: &Document<'_>,
    settings: &Settings,
    name: Spanned<String>,
    raw: RawProfile,
) -> Result<Profile, ConfigError> {
    if name.get_ref().trim().is_empty() {
        return Err(document.invalid(
            Some(name.span()),
            format!(
                "{}: a profile name must not be empty",
                show_table(&["profiles".to_owned(), name.get_ref().clone()])
            ),
        ));
    }
    let name = name.into_inner();
    let table = Table { document, name: show_table(&["profiles".to_owned(), name.clone()]) };

    // Keys that only make sense when a role is assumed.
    if raw.role_arn.is_none() {
        let needs_role = [
            ("credential_source", &raw.credential_source),
            ("external_id", &raw.external_id),
            ("duration", &raw.duration),
            ("role_session_name", &raw.role_session_name),
        ];
        if let Some((key, Some(value))) = needs_role.into_iter().find(|(_, v)| v.is_some()) {
            return Err(table.error(
                value.span(),
                key,
                "requires role_arn (it only applies when pipewatch assumes a role)",
            ));
        }
    }
    if let (Some(source), Some(_)) = (&raw.credential_source, &raw.aws_profile) {
        return Err(table.error(
            source.span(),
            "credential_source",
            "credential_source and aws_profile are mutually exclusive (credential_source picks \
             where the base credentials come from; aws_profile takes them from the shared AWS \
             config instead)",
        ));
    }

    Ok(Profile {
        role_arn: table.opt("role_arn", raw.role_arn, validate::role_arn)?,
        external_id: table.opt("external_id", raw.external_id, validate::external_id)?,
        role_session_name: table
            .opt("role_session_name", raw.role_session_name, validate::session_name)?
            .unwrap_or_else(|| DEFAULT_ROLE_SESSION_NAME.to_owned()),
        duration: table.opt("duration", raw.duration, validate::session_duration)?,
        credential_source: table.opt("credential_source", raw.credential_source, validate::credential_source)?,
        aws_profile: table.opt("aws_profile", raw.aws_profile, validate::non_empty)?,
        regions: table.regions(raw.region, raw.regions)?.unwrap_or_else(|| settings.regions.clone()),
        endpoint_url: table.opt("endpoint_url", raw.endpoint_url, validate::endpoint_url)?,
        repositories: table.names("repositories", raw.repositories, "repository")?.unwrap_or_default(),
        pipelines: table.names("pipelines", raw.pipelines, "pipeline")?,
        cloudtrail: raw.cloudtrail.unwrap_or(true),
        eventbridge: raw.eventbridge.unwrap_or(true),
        name,
    })
}
