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
    if !may_hold_hostile(json) || !json.chars().any(needs_escape) {
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

/// Whether `json` holds a byte that is, or starts the UTF-8 encoding of, a hostile character other than `\n`: C0
/// controls and DEL, and the lead bytes of the blocks holding the others (0xC2: C1 controls; 0xE2: U+2000–U+2FFF;
/// 0xEF: U+F000–U+FFFF). Most reports hold none, and this scan takes under 1 ms on a 10k-push report where
/// decoding every character takes about 20 ms (BENCHMARKS.md); when one is found, the character check decides.
fn may_hold_hostile(json: &str) -> bool {
    // Whole chunks without an early exit, so that the compiler vectorises the comparisons.
    json.as_bytes().chunks(4096).any(|chunk| {
        chunk.iter().fold(false, |found, &b| {
            found | (b < 0x20 && b != b'\n') | (b == 0x7F) | (b == 0xC2) | (b == 0xE2) | (b == 0xEF)
        })
    })
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
    fn the_byte_scan_sees_every_hostile_character() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32).filter(|&c| c != '\n' && is_hostile(c)) {
            assert!(may_hold_hostile(&format!("{{\"s\": \"a{c}b\"}}")), "U+{:04X}", c as u32);
        }
        assert!(!may_hold_hostile("{\n  \"a\": \"日本語 ü\"\n}"));
    }

    #[test]
    fn plain_json_is_borrowed() {
        assert!(matches!(escape_hostile("{\n  \"a\": \"日本語\"\n}"), Cow::Borrowed(_)));
    }
}
