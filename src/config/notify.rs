//! The `[notify]` table: how new untriggered pushes are announced (a command, a webhook, the dashboard's bell),
//! resolved from the raw schema and checked where each value stands.
//!
//! A webhook URL usually carries a secret (Slack's does, in its path): messages about it never repeat it.

use std::time::Duration;

use toml::Spanned;

use super::document::Document;
use super::duration::parse_duration;
use super::resolve::Table;
use super::schema::RawNotify;
use super::{ConfigError, Notify};

/// Bound on one run of the command or one POST when `timeout` is absent.
pub(super) const DEFAULT_NOTIFY_TIMEOUT: Duration = Duration::from_secs(10);

/// The `[notify]` table, or the defaults (no command, no webhook, bell on) when the file has none.
pub(super) fn resolve(document: &Document<'_>, raw: Option<RawNotify>) -> Result<Notify, ConfigError> {
    let Some(raw) = raw else { return Ok(Notify::default()) };
    let table = Table { document, name: "[notify]".to_owned() };
    let command = match raw.command {
        None => None,
        Some(list) => Some(command(&table, list)?),
    };
    Ok(Notify {
        command,
        webhook: table.opt("webhook", raw.webhook, webhook_url)?,
        timeout: table.opt("timeout", raw.timeout, parse_duration)?.unwrap_or(DEFAULT_NOTIFY_TIMEOUT),
        bell: raw.bell.unwrap_or(true),
    })
}

/// `command = ["program", "arg", …]`: a program to run directly (no shell), then its arguments.
fn command(table: &Table<'_>, list: Spanned<Vec<Spanned<String>>>) -> Result<Vec<String>, ConfigError> {
    let span = list.span();
    let items = list.into_inner();
    let Some(program) = items.first() else {
        return Err(table.error(
            span,
            "command",
            "must name a program: a list such as [\"/usr/local/bin/page-oncall\", \"--team\", \"platform\"]",
        ));
    };
    if program.get_ref().trim().is_empty() {
        return Err(table.error(program.span(), "command", "the program (the list's first item) must not be empty"));
    }
    if let Some(bad) = items.iter().find(|i| i.get_ref().contains('\0')) {
        return Err(table.error(bad.span(), "command", "an argument cannot hold a NUL character"));
    }
    Ok(items.into_iter().map(Spanned::into_inner).collect())
}

/// `http://` or `https://`, a host, and nothing a URL cannot hold. The value is never echoed back.
fn webhook_url(url: &str) -> Result<String, String> {
    let shape = "must be an http:// or https:// URL with a host, such as https://hooks.slack.com/services/…";
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{shape} (it holds blanks or control characters)"));
    }
    let uri: http::Uri = url.parse().map_err(|_| shape.to_owned())?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(url.to_owned()),
        _ => Err(shape.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_need_a_scheme_and_a_host_and_are_never_echoed() {
        for good in ["https://hooks.slack.com/services/T0/B0/abc", "http://127.0.0.1:8080/hook", "https://[::1]/x"] {
            assert_eq!(webhook_url(good).as_deref(), Ok(good));
        }
        for bad in ["hooks.slack.com/x", "ftp://host/x", "https://", "https:// host/secret", "https://h/se\ncret"] {
            let message = webhook_url(bad).unwrap_err();
            assert!(message.contains("http:// or https:// URL"), "{bad}: {message}");
            assert!(!message.contains("secret") && !message.contains("slack.com/x"), "{bad}: {message}");
        }
    }
}
