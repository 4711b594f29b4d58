//! Makes strings that came from AWS safe to print on a terminal.
//!
//! Anyone with push rights writes commit messages, tags and summaries; a terminal must never execute them.
//! C0/C1 control characters (ESC included), bidi overrides and zero-width characters become visible escapes
//! (`^[`, `<U+202E>`), and newlines/tabs become single spaces so one value stays on one line.

use std::borrow::Cow;

/// True for characters that must never reach a terminal verbatim.
pub fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' // zero-width, LRM/RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}')
}

/// Returns `s` with control and bidi characters replaced, borrowing when nothing needs changing.
///
/// Tabs and newlines become a space; every other hostile character becomes a visible escape such as `^[` for
/// ESC or `<U+202E>` for a bidi override, so that what was hidden is shown, not executed.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hostile) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            '\u{7F}' => out.push_str("^?"),
            c if is_hostile(c) => {
                out.push_str(&format!("<U+{:04X}>", c as u32));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(clean("web:latest 日本語"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_are_made_visible() {
        assert_eq!(clean("a\x1b[2Jb"), "a^[[2Jb");
        assert_eq!(clean("bell\x07"), "bell^G");
        assert_eq!(clean("del\x7f"), "del^?");
    }

    #[test]
    fn c1_controls_and_bidi_are_made_visible() {
        assert_eq!(clean("x\u{9b}31m"), "x<U+009B>31m");
        assert_eq!(clean("evil\u{202E}txt.exe"), "evil<U+202E>txt.exe");
        assert_eq!(clean("a\u{2066}b"), "a<U+2066>b");
    }

    #[test]
    fn newlines_and_tabs_become_spaces() {
        assert_eq!(clean("fix:\n\tthing\r"), "fix:  thing ");
    }

    #[test]
    fn output_never_contains_control_characters() {
        let all: String = (0u32..0x250).filter_map(char::from_u32).collect();
        let cleaned = clean(&all);
        assert!(!cleaned.chars().any(is_hostile), "{cleaned:?}");
    }
}
