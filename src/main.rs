//! The `pipewatch` binary: parse arguments, load the config, run `--once` or the dashboard, map to an exit code.

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use jiff::Timestamp;

use pipewatch::analysis::Analysis;
use pipewatch::cli::{Cli, Command, Output};
use pipewatch::config::{self, Overrides, Settings};
use pipewatch::logging;
use pipewatch::poll;
use pipewatch::report;
use pipewatch::source::Source;
use pipewatch::source::aws::AwsSource;
use pipewatch::source::demo::DemoSource;
use pipewatch::{display, exit};

/// The least-privilege policy shipped in `assets/`, printed by `pipewatch iam-policy`.
const IAM_POLICY: &str = include_str!("../assets/iam-readonly-policy.json");

/// Refresh interval of the demo when `--refresh` is not given (the simulation moves every few seconds).
const DEMO_REFRESH: std::time::Duration = std::time::Duration::from_secs(5);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(msg) => {
            eprintln!("pipewatch: error: {msg}");
            ExitCode::from(exit::USAGE)
        }
    }
}

/// Runs the program; `Err` is a usage or configuration error (exit 2).
fn run(cli: Cli) -> Result<u8, String> {
    if let Some(Command::IamPolicy) = cli.command {
        // Not `print!`: it panics when the reader has gone (`pipewatch iam-policy | head -1`).
        return match io::stdout().lock().write_all(IAM_POLICY.as_bytes()) {
            Ok(()) => Ok(exit::HEALTHY),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(exit::HEALTHY),
            Err(e) => Err(format!("cannot write the policy: {e}")),
        };
    }
    if cli.once {
        // Only `--once`: log lines on stderr would tear through the dashboard.
        logging::init_from_env()?;
    }
    let overrides = Overrides {
        refresh: cli.refresh,
        grace: cli.grace,
        lookback: cli.lookback,
        timeout: cli.timeout,
        profiles: cli.profiles.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;

    if cli.demo {
        if !cli.profiles.is_empty() {
            return Err(
                "--profile selects profiles of a config file; --demo always shows both simulated accounts".into()
            );
        }
        let defaults = Settings { refresh: DEMO_REFRESH, ..Settings::default() };
        let settings = apply(defaults, &overrides);
        let source = Arc::new(DemoSource::new(cli.now.unwrap_or_else(Timestamp::now)));
        return Ok(runtime.block_on(dispatch(&cli, source, &settings)));
    }

    let path = config::locate(cli.config.as_deref()).map_err(|e| e.to_string())?;
    let config = config::load(&path).and_then(|c| c.apply(&overrides)).map_err(|e| e.to_string())?;
    let settings = config.settings.clone();
    Ok(runtime.block_on(async {
        let source = Arc::new(AwsSource::new(&config.profiles).await.with_poll_timeout(settings.timeout));
        dispatch(&cli, source, &settings).await
    }))
}

fn apply(mut s: Settings, o: &Overrides) -> Settings {
    s.refresh = o.refresh.unwrap_or(s.refresh);
    s.grace = o.grace.unwrap_or(s.grace);
    s.lookback = o.lookback.unwrap_or(s.lookback);
    s.timeout = o.timeout.unwrap_or(s.timeout);
    s
}

async fn dispatch<S: Source>(cli: &Cli, source: Arc<S>, settings: &Settings) -> u8 {
    if !cli.once {
        return pipewatch::tui::run(source, settings).await;
    }
    let started = cli.now.unwrap_or_else(Timestamp::now);
    let snapshots = poll::poll_all(Arc::clone(&source), started, settings.lookback, settings.timeout).await;
    if cli.stats {
        let mut err = io::stderr().lock();
        let _ = report::stats::write(source.profiles(), &snapshots, &mut err);
    }
    let refs: Vec<_> = snapshots.iter().collect();
    let now = cli.now.unwrap_or_else(Timestamp::now);
    let now = now.round(jiff::Unit::Second).unwrap_or(now);
    let analysis = Analysis::new(source.profiles(), &refs, now, settings.grace);
    let written = match cli.output {
        Output::Json => report::json::write(&analysis, io::stdout().lock()),
        Output::Text => report::text::write(&analysis, io::stdout().lock(), display::use_color(&io::stdout())),
    };
    match written {
        // A closed pipe (`pipewatch --once | head -1`) is the reader's choice, not a failure.
        Ok(()) => exit::of(&analysis),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => exit::of(&analysis),
        Err(e) => {
            eprintln!("pipewatch: error: cannot write the report: {e}");
            exit::PROFILE_FAILED
        }
    }
}
