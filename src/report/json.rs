//! `--output json`: the report as one JSON document (strings kept as AWS returned them, JSON-escaped).
//!
//! Escaped so that the document itself is safe on a terminal too: besides the C0 controls JSON requires escaping,
//! C1 controls (U+009B is CSI on terminals that honour 8-bit controls), DEL, bidi overrides and zero-width
//! characters are written as `\uXXXX`. A JSON parser reads back exactly what AWS returned.

use std::borrow::Cow;
use std::io::{self, Write};

use super::Report;
use crate::sanitize::is_hostile;

/// Writes `report` as pretty JSON followed by a newline.
pub fn write(report: &Report, mut out: impl Write) -> io::Result<()> {
    let text = serde_json::to_string_pretty(report).map_err(io::Error::other)?;
    out.write_all(escape_hostile(&text).as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

/// `\uXXXX` for every hostile character left in serialised JSON. Inside string literals serde_json has escaped C0
/// controls already, and the escape of any other character means the same character.
fn escape_hostile(json: &str) -> Cow<'_, str> {
    // The pretty-printer's own newlines are the only hostile characters outside string literals.
    let needs_escape = |c: char| c != '\n' && is_hostile(c);
    if !json.chars().any(needs_escape) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if needs_escape(c) {
            // Every hostile character is in the Basic Multilingual Plane: one `\uXXXX` each.
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_characters_are_escaped_and_read_back_unchanged() {
        let original = "a\u{9b}31m\u{202e}b\u{200b}c\u{7f}\u{1b}[2J";
        let json = serde_json::to_string_pretty(&serde_json::json!({"s": original, "n": [1]})).unwrap();
        let safe = escape_hostile(&json);
        assert!(!safe.chars().any(|c| is_hostile(c) && c != '\n'), "{safe}");
        assert!(safe.contains(r"a\u009b31m\u202eb\u200bc\u007f\u001b[2J"), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["s"], original);
    }

    #[test]
    fn plain_json_is_borrowed() {
        assert!(matches!(escape_hostile("{\n  \"a\": \"日本語\"\n}"), Cow::Borrowed(_)));
    }
}
