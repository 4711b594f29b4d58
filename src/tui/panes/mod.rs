//! Drawing of each part of the screen: pure functions of `&App` and `now` that write into a frame.
//!
//! Every string that came from AWS passes through `sanitize::clean` here, and widths are measured on what is
//! printed (unicode-width), so hostile or wide text can neither move the cursor nor break a column.

pub mod details;
pub mod executions;
pub mod header;
pub mod help;
pub mod pipelines;
pub mod pushes;

use std::borrow::Cow;

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use unicode_truncate::UnicodeTruncateStr;
use unicode_width::UnicodeWidthStr;

use crate::sanitize::clean;

/// Printed width of `s`.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to at most `w` columns, ending in `…` when cut; a character and its combining marks stay together.
pub fn fit(s: &str, w: usize) -> Cow<'_, str> {
    if width(s) <= w {
        return Cow::Borrowed(s);
    }
    if w == 0 {
        return Cow::Borrowed("");
    }
    let (kept, _) = s.unicode_truncate(w - 1);
    Cow::Owned(format!("{kept}…"))
}

/// A key as the footer and popups show it: `Esc`, `↵`, `Tab`, else as `[keys]` writes it.
pub fn key_label(k: &crate::config::keys::Key) -> String {
    match k.to_string().as_str() {
        "esc" => "Esc".into(),
        "enter" => "↵".into(),
        "tab" => "Tab".into(),
        other => other.to_string(),
    }
}

/// `clean(s)` as an owned string.
pub fn safe(s: &str) -> String {
    clean(s).into_owned()
}

/// A `w`×`h` rectangle centred in `area` (clamped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(h.min(area.height))]).flex(Flex::Center).areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(w.min(area.width))]).flex(Flex::Center).areas(row);
    cell
}

/// Column widths for a table of `avail` columns: `cols` are (min, ideal, required) in priority order.
///
/// Required columns get their minimum, then grow towards their ideal (up to twice the minimum) so that a name is
/// not cut just to make room for an extra column; optional columns are then added while they fit, and finally every
/// shown column grows towards its ideal. Returns each width, 0 for a column not shown (a `min` of 0 hides one);
/// spacing is one column between shown ones.
pub fn column_widths(avail: usize, cols: &[(usize, usize, bool)]) -> Vec<usize> {
    let mut w: Vec<usize> = vec![0; cols.len()];
    // Columns used so far, counting one space before every shown column but the first.
    let mut used = 0usize;
    for (i, &(min, _, required)) in cols.iter().enumerate() {
        if required && min > 0 {
            used += min + usize::from(used > 0);
            w[i] = min;
        }
    }
    for (i, &(min, ideal, required)) in cols.iter().enumerate() {
        if required {
            let extra = ideal.min(min * 2).saturating_sub(w[i]).min(avail.saturating_sub(used));
            w[i] += extra;
            used += extra;
        }
    }
    for (i, &(min, _, required)) in cols.iter().enumerate() {
        let cost = min + usize::from(used > 0);
        if !required && min > 0 && used + cost <= avail {
            w[i] = min;
            used += cost;
        }
    }
    for (i, &(_, ideal, _)) in cols.iter().enumerate() {
        if w[i] > 0 {
            let extra = ideal.saturating_sub(w[i]).min(avail.saturating_sub(used));
            w[i] += extra;
            used += extra;
        }
    }
    w
}

/// The `Constraint`s for the shown columns of `widths`.
pub fn constraints(widths: &[usize]) -> Vec<Constraint> {
    widths.iter().filter(|&&w| w > 0).map(|&w| Constraint::Length(u16::try_from(w).unwrap_or(u16::MAX))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_counts_columns_not_bytes() {
        assert_eq!(fit("abcdef", 6), "abcdef");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("日本語です", 5), "日本…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(fit("cafe\u{301}s-and-more", 6), "cafe\u{301}s…");
    }

    #[test]
    fn fit_never_splits_a_grapheme_nor_overflows_its_column() {
        // An emoji with its presentation selector is 2 columns wide: it does not fit in 4 columns before the `…`.
        assert_eq!(fit("ab❤\u{fe0f}cdefgh", 4), "ab…");
        // A flag is two code points and one picture: never half of it.
        assert_eq!(fit("x🇯🇵🇺🇸abcdefgh", 3), "x…");
        for s in ["ab❤\u{fe0f}cdefgh", "x🇯🇵🇺🇸abcdefgh", "a👩\u{200d}🔬bcdefgh", "日本語です"] {
            for w in 0..12 {
                assert!(width(&fit(s, w)) <= w, "{s:?} at {w}");
            }
        }
    }

    #[test]
    fn columns_drop_by_priority_and_grow_to_ideal() {
        let cols = [(4, 4, true), (10, 30, true), (9, 9, false), (12, 12, false)];
        assert_eq!(column_widths(20, &cols), vec![4, 15, 0, 0]);
        assert_eq!(column_widths(30, &cols), vec![4, 25, 0, 0]);
        assert_eq!(column_widths(36, &cols), vec![4, 21, 9, 0]);
        assert_eq!(column_widths(100, &cols), vec![4, 30, 9, 12]);
        assert_eq!(column_widths(100, &[(4, 4, true), (0, 0, false), (5, 5, false)]), vec![4, 0, 5]);
    }
}
