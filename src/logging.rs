//! Opt-in diagnostics: `PIPEWATCH_LOG=<filter>` writes logs to stderr (with `--once`, or when stderr is not the
//! dashboard's terminal).
//!
//! The filter uses tracing's env-filter syntax (`debug`, `pipewatch=trace`, ...). `RUST_LOG` is deliberately not
//! read. The AWS SDK's crates (and the HTTP stack under them) are capped at `info` whatever the filter says: at
//! debug and trace level they log resolved identities (access key ids), signed requests and raw responses, and an
//! AssumeRole response carries the session's secret key and token. Credentials must never reach a log.

use std::io;

use tracing::Level;
use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter, Targets};
use tracing_subscriber::prelude::*;

/// The environment variable holding the log filter.
pub const ENV: &str = "PIPEWATCH_LOG";

/// Target prefixes capped at `info`: the AWS SDK (`aws_config`, `aws_sigv4`, `aws_smithy_*`, `aws_sdk_*`, ...) and
/// the HTTP, TLS and connection crates it uses.
pub const CAPPED: &[&str] = &["aws_", "hyper", "h2", "http", "rustls", "tower", "tokio_rustls"];

/// The level the [`CAPPED`] crates are held to.
pub const CAP: Level = Level::INFO;

/// Installs the stderr logger when `PIPEWATCH_LOG` is set and not empty. `Err` for a filter that does not parse.
pub fn init_from_env() -> Result<(), String> {
    init_from_env_or("")
}

/// Installs the stderr logger with `PIPEWATCH_LOG`, else with `default` (`serve` logs at `info` unless told
/// otherwise); an empty filter installs nothing.
pub fn init_from_env_or(default: &str) -> Result<(), String> {
    let from_env = std::env::var_os(ENV);
    let spec = match &from_env {
        Some(spec) => spec.to_str().ok_or_else(|| format!("{ENV} is not valid UTF-8"))?,
        None => default,
    };
    if spec.trim().is_empty() {
        return Ok(());
    }
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::OFF.into())
        .parse(spec)
        .map_err(|e| format!("{ENV}={spec:?} is not a valid log filter: {e}"))?;
    let cap = Targets::new().with_default(LevelFilter::TRACE).with_targets(CAPPED.iter().map(|t| (*t, CAP)));
    let layer = tracing_subscriber::fmt::layer().with_writer(io::stderr).with_ansi(false).with_filter(filter.and(cap));
    tracing_subscriber::registry().with(layer).try_init().map_err(|e| format!("cannot install the logger: {e}"))
}
