//! Human durations ("30s", "5m", "1h 30m"), one parser for the config file and the command line.

use std::time::Duration;

use super::error::{one_line, quote};

/// Added to a type error on a duration key: what a duration looks like.
pub(super) const DURATION_HINT: &str = "durations are strings such as \"30s\", \"5m\" or \"1h 30m\"";

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

/// Whether `key` of `table` holds a duration (for [`DURATION_HINT`]).
pub(super) fn is_duration_key(table: &[String], key: &str) -> bool {
    match table {
        [t] if t == "settings" => matches!(key, "refresh" | "grace" | "lookback" | "timeout"),
        [t, _] if t == "profiles" => key == "duration",
        [t] if t == "notify" => key == "timeout",
        _ => false,
    }
}
