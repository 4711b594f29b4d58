//! The config document being resolved (its text and path): turns byte spans into errors that name the file,
//! the `line:column`, the table and the key.

use std::fmt;
use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};

use super::ConfigError;
use super::duration::{DURATION_HINT, is_duration_key};
use super::error::{location_of, one_line, quote, show_key, show_table};

/// The text and path of the config being resolved, so that spans become located errors.
pub(super) struct Document<'a> {
    pub(super) text: &'a str,
    pub(super) path: &'a Path,
}

impl Document<'_> {
    /// An error at `span` (when known) with a one-line `message`.
    pub(super) fn invalid(&self, span: Option<Range<usize>>, message: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            location: span.map(|s| location_of(self.text, s.start)),
            message: one_line(&message),
        }
    }

    /// A semantic error on `key` of `table` (e.g. `[profiles.account-a]`).
    pub(super) fn at(&self, span: Range<usize>, table: &str, key: &str, message: impl fmt::Display) -> ConfigError {
        self.invalid(Some(span), format!("{table} {key}: {message}"))
    }

    /// A syntax or schema error reported by `toml`; names the table and key when the span
    /// can be mapped back to the document.
    pub(super) fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
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
        let found = find_key(doc.get_ref(), span.start, &mut Vec::new());
        let message = match found {
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

/// The line of every key of the document, by its path (`["profiles", "account-a", "region"]`). Lines are found from
/// the offsets of the newlines, counted once: an organization's config has thousands of keys.
pub(super) fn key_lines(text: &str) -> std::collections::BTreeMap<Vec<String>, usize> {
    fn walk(
        table: &DeTable<'_>,
        newlines: &[usize],
        prefix: &mut Vec<String>,
        out: &mut std::collections::BTreeMap<Vec<String>, usize>,
    ) {
        for (key, value) in table.iter() {
            prefix.push(key.get_ref().as_ref().to_owned());
            let line = newlines.partition_point(|&n| n < key.span().start) + 1;
            out.insert(prefix.clone(), line);
            if let DeValue::Table(inner) = value.get_ref() {
                walk(inner, newlines, prefix, out);
            }
            prefix.pop();
        }
    }
    let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
    let mut out = std::collections::BTreeMap::new();
    let (doc, _) = DeTable::parse_recoverable(text);
    walk(doc.get_ref(), &newlines, &mut Vec::new(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_key_has_the_line_it_is_on() {
        let text = "# a comment\n[settings]\nregion = \"eu-west-1\"\n\n[profiles.a]\nrole_arn = \"x\"\nregions = [\n  \"us-east-1\",\n]\n[profiles.b]\n";
        let lines = super::key_lines(text);
        let at = |path: &[&str]| lines.get(&path.iter().map(|s| s.to_string()).collect::<Vec<_>>()).copied();
        assert_eq!(at(&["settings"]), Some(2));
        assert_eq!(at(&["settings", "region"]), Some(3));
        assert_eq!(at(&["profiles", "a", "role_arn"]), Some(6));
        assert_eq!(at(&["profiles", "a", "regions"]), Some(7));
        assert_eq!(at(&["profiles", "b"]), Some(10));
        assert_eq!(at(&["profiles", "c"]), None);
    }
}
