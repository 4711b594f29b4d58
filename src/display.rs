//! Presentation helpers shared by the text report and the dashboard: whether to colour, compact digests and ages.

use jiff::Timestamp;

/// Whether output to `stream` should be coloured: a terminal, unless `NO_COLOR` (or `CLICOLOR=0`, `TERM=dumb`)
/// says otherwise (`CLICOLOR_FORCE` colours even a pipe). The text report and the dashboard both ask here.
pub fn use_color(stream: &impl anstream::stream::RawStream) -> bool {
    anstream::AutoStream::choice(stream) != anstream::ColorChoice::Never
}

/// `sha256:0123456789ab…` → `0123456789ab` (12 hex digits), for narrow columns.
pub fn short_digest(d: &str) -> &str {
    let hex = d.split_once(':').map_or(d, |(_, h)| h);
    hex.get(..12).unwrap_or(hex)
}

/// A compact age such as `45s`, `12m`, `3h`, `2d` (negative ages, from clock skew, show as `0s`).
pub fn age(now: Timestamp, then: Timestamp) -> String {
    let s = now.duration_since(then).as_secs().max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(offset: i64) -> Timestamp {
        Timestamp::from_second(1_764_000_000 + offset).unwrap()
    }

    #[test]
    fn short_digest_keeps_twelve_hex_digits() {
        assert_eq!(short_digest("sha256:acd3ca9941a85e8ed165"), "acd3ca9941a8");
        assert_eq!(short_digest("abc"), "abc");
    }

    #[test]
    fn age_uses_the_largest_whole_unit() {
        assert_eq!(age(ts(0), ts(-59)), "59s");
        assert_eq!(age(ts(0), ts(-60)), "1m");
        assert_eq!(age(ts(0), ts(-3600)), "1h");
        assert_eq!(age(ts(0), ts(-86_400 * 2)), "2d");
        assert_eq!(age(ts(0), ts(30)), "0s");
    }
}
