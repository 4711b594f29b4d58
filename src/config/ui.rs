//! Resolution of `[keys]` and `[theme]` into the dashboard's key map and theme, each error naming its line and key.

use toml::Spanned;

use super::ConfigError;
use super::document::Document;
use super::error::quote;
use super::keys::{Action, Key, KeyMap};
use super::schema::{RawKeys, RawTheme};
use super::theme::{Colour, Preset, THEME_COLOURS, ThemeConfig};

/// How the dashboard looks and which keys do what.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ui {
    pub keys: KeyMap,
    pub theme: ThemeConfig,
}

/// `[keys]` and `[theme]` of `document`, validated.
pub(super) fn resolve(doc: &Document<'_>, keys: Option<RawKeys>, theme: Option<RawTheme>) -> Result<Ui, ConfigError> {
    Ok(Ui { keys: resolve_keys(doc, keys)?, theme: resolve_theme(doc, theme)? })
}

fn resolve_keys(doc: &Document<'_>, raw: Option<RawKeys>) -> Result<KeyMap, ConfigError> {
    let Some(RawKeys(entries)) = raw else { return Ok(KeyMap::default()) };
    let mut configured: Vec<(Action, Vec<Key>)> = Vec::new();
    let mut seen: Vec<(Key, Action)> = Vec::new();
    for (name, keys) in entries {
        let Some(action) = Action::named(name.get_ref()) else {
            let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
            return Err(doc.at(
                name.span(),
                "[keys]",
                name.get_ref(),
                format!("unknown action (actions: {})", names.join(", ")),
            ));
        };
        let mut parsed = Vec::new();
        for key in keys {
            let k = Key::parse(key.get_ref()).map_err(|m| doc.at(key.span(), "[keys]", action.name(), m))?;
            match seen.iter().find(|(s, _)| *s == k) {
                Some((_, other)) if *other != action => {
                    return Err(doc.at(
                        key.span(),
                        "[keys]",
                        action.name(),
                        format!("{} is already bound to {} (one key, one action)", quote(key.get_ref()), other.name()),
                    ));
                }
                Some(_) => {}
                None => seen.push((k, action)),
            }
            parsed.push(k);
        }
        configured.push((action, parsed));
    }
    // Duplicates were refused above; `with` cannot fail.
    Ok(KeyMap::with(&configured).unwrap_or_default())
}

fn resolve_theme(doc: &Document<'_>, raw: Option<RawTheme>) -> Result<ThemeConfig, ConfigError> {
    let Some(raw) = raw else { return Ok(ThemeConfig::default()) };
    let mut theme = ThemeConfig::default();
    if let Some(p) = raw.preset {
        theme.preset = Preset::named(p.get_ref()).ok_or_else(|| {
            doc.at(
                p.span(),
                "[theme]",
                "preset",
                format!("unknown preset {} (expected dark, light or mono)", quote(p.get_ref())),
            )
        })?;
    }
    let values: [Option<Spanned<String>>; 7] =
        [raw.untriggered, raw.error, raw.pending, raw.ok, raw.dim, raw.title, raw.link];
    for (name, value) in THEME_COLOURS.into_iter().zip(values) {
        if let Some(v) = value {
            let colour = Colour::parse(v.get_ref()).map_err(|m| doc.at(v.span(), "[theme]", name, m))?;
            theme.colours.push((name, colour));
        }
    }
    Ok(theme)
}
