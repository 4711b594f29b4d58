//! The file as serde reads it: every table `deny_unknown_fields`, every value kept with its byte span so that
//! resolution can say where a bad value is.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a TOML document")]
pub(super) struct RawConfig {
    pub(super) settings: Option<RawSettings>,
    pub(super) profiles: Option<RawProfiles>,
    pub(super) notify: Option<RawNotify>,
    pub(super) keys: Option<RawKeys>,
    pub(super) theme: Option<RawTheme>,
}

/// `[theme]`: a preset and colour overrides.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [theme] table")]
pub(super) struct RawTheme {
    pub(super) preset: Option<Spanned<String>>,
    pub(super) untriggered: Option<Spanned<String>>,
    pub(super) error: Option<Spanned<String>>,
    pub(super) pending: Option<Spanned<String>>,
    pub(super) ok: Option<Spanned<String>>,
    pub(super) dim: Option<Spanned<String>>,
    pub(super) title: Option<Spanned<String>>,
    pub(super) link: Option<Spanned<String>>,
}

/// `[keys]` in file order: each action name with its list of keys.
pub(super) struct RawKeys(pub(super) Vec<(Spanned<String>, Vec<Spanned<String>>)>);

impl<'de> Deserialize<'de> for RawKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeysVisitor;

        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = RawKeys;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a [keys] table of action = [\"key\", ...]")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawKeys, A::Error> {
                let mut list = Vec::new();
                while let Some(action) = map.next_key::<Spanned<String>>()? {
                    let keys = map.next_value::<Vec<Spanned<String>>>()?;
                    list.push((action, keys));
                }
                Ok(RawKeys(list))
            }
        }

        deserializer.deserialize_map(KeysVisitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [settings] table")]
pub(super) struct RawSettings {
    pub(super) region: Option<Spanned<String>>,
    pub(super) regions: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) refresh: Option<Spanned<String>>,
    pub(super) grace: Option<Spanned<String>>,
    pub(super) lookback: Option<Spanned<String>>,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) assume_role_rate: Option<Spanned<PerSecond>>,
}

/// A rate written as a TOML integer or float (`10`, `0.5`); what it must be above is checked in resolution.
pub(super) struct PerSecond(pub(super) f64);

impl<'de> Deserialize<'de> for PerSecond {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PerSecondVisitor;

        impl Visitor<'_> for PerSecondVisitor {
            type Value = PerSecond;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of calls a second, such as 10")
            }

            fn visit_i64<E>(self, v: i64) -> Result<PerSecond, E> {
                Ok(PerSecond(v as f64))
            }

            fn visit_u64<E>(self, v: u64) -> Result<PerSecond, E> {
                Ok(PerSecond(v as f64))
            }

            fn visit_f64<E>(self, v: f64) -> Result<PerSecond, E> {
                Ok(PerSecond(v))
            }
        }

        deserializer.deserialize_any(PerSecondVisitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [profiles.NAME] table")]
pub(super) struct RawProfile {
    pub(super) role_arn: Option<Spanned<String>>,
    pub(super) external_id: Option<Spanned<String>>,
    pub(super) role_session_name: Option<Spanned<String>>,
    pub(super) duration: Option<Spanned<String>>,
    pub(super) credential_source: Option<Spanned<String>>,
    pub(super) aws_profile: Option<Spanned<String>>,
    pub(super) region: Option<Spanned<String>>,
    pub(super) regions: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) endpoint_url: Option<Spanned<String>>,
    pub(super) repositories: Option<Vec<Spanned<String>>>,
    pub(super) pipelines: Option<Vec<Spanned<String>>>,
    pub(super) cloudtrail: Option<bool>,
    pub(super) eventbridge: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [notify] table")]
pub(super) struct RawNotify {
    pub(super) command: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) webhook: Option<Spanned<String>>,
    pub(super) bell: Option<bool>,
}

/// `[profiles.*]` in file order (the `preserve_order` feature of `toml` keeps the document
/// order; a map type would lose it).
pub(super) struct RawProfiles(pub(super) Vec<(Spanned<String>, RawProfile)>);

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
