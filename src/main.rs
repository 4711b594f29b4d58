//! The `pipewatch` binary: parse arguments, load the config, run `--once`, the dashboard or `serve`, map to an exit
//! code.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser};
use jiff::Timestamp;

use pipewatch::analysis::Analysis;
use pipewatch::cli::{Cli, Command, InitArgs, Output};
use pipewatch::config::{self, ConfigError, Notify, Overrides, Settings};
use pipewatch::init::{self, Destination, InitError, OrgOptions};
use pipewatch::logging;
use pipewatch::notify::Notifications;
use pipewatch::poller;
use pipewatch::report;
use pipewatch::serve::{self, ServeError};
use pipewatch::source::aws::AwsSource;
use pipewatch::source::demo::DemoSource;
use pipewatch::source::{PollRequest, Source};
use pipewatch::{display, doctor, exit};

/// The least-privilege policy shipped in `assets/`, printed by `pipewatch iam-policy`.
const IAM_POLICY: &str = include_str!("../assets/iam-readonly-policy.json");

/// Bound on `pipewatch init --org`'s whole listing when `--timeout` is not given (15 pages for 300 accounts).
const INIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Refresh interval of the demo when `--refresh` is not given (the simulation moves every few seconds).
const DEMO_REFRESH: std::time::Duration = std::time::Duration::from_secs(5);

/// Why the program stops without a report of its own: each failure knows its message (printed as
/// `pipewatch: error: ...`) and its exit code.
#[derive(Debug, thiserror::Error)]
enum RunError {
    /// Arguments that clap accepts one by one but not together.
    #[error("{0}")]
    Usage(&'static str),
    /// `PIPEWATCH_LOG` is not a valid filter, or the logger cannot be installed.
    #[error("{0}")]
    Logging(String),
    /// The config file cannot be located, read or resolved, or an override does not fit it.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `pipewatch init` cannot list the organization or write the file.
    #[error(transparent)]
    Init(#[from] InitError),
    /// The async runtime cannot start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(io::Error),
    /// `iam-policy`, `completions` or `man` cannot write what it prints (a closed pipe is not a failure).
    #[error("cannot write to stdout: {0}")]
    WritePolicy(io::Error),
    /// `--once` cannot write its report (a closed pipe is not a failure).
    #[error("cannot write the report: {0}")]
    WriteReport(io::Error),
    /// `serve` cannot listen or watch for signals.
    #[error(transparent)]
    Serve(#[from] ServeError),
}

impl RunError {
    /// The process exit code (see `--help`): 2 for anything that stops the program before it polls, 3 when the
    /// polled report cannot be written.
    fn exit_code(&self) -> u8 {
        match self {
            RunError::Usage(_)
            | RunError::Logging(_)
            | RunError::Config(_)
            | RunError::Runtime(_)
            | RunError::WritePolicy(_)
            | RunError::Serve(_) => exit::USAGE,
            RunError::WriteReport(_) => exit::PROFILE_FAILED,
            RunError::Init(e) => e.exit_code(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("pipewatch: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs the program; `Ok` carries the exit code of the dashboard or of the `--once` report.
fn run(cli: Cli) -> Result<u8, RunError> {
    match &cli.command {
        Some(Command::IamPolicy) => return print(IAM_POLICY.as_bytes()),
        Some(Command::Init(args)) => return init(&cli, args),
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "pipewatch", &mut script);
            return print(&script);
        }
        Some(Command::Man) => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut page).map_err(RunError::WritePolicy)?;
            return print(&page);
        }
        Some(Command::Doctor { output }) => return doctor(&cli, output.unwrap_or(cli.output)),
        Some(Command::Serve(_)) | None => {}
    }
    let serving = matches!(cli.command, Some(Command::Serve(_)));
    if serving && cli.once {
        return Err(RunError::Usage("serve polls every refresh; --once is for one report (use one or the other)"));
    }
    if !cli.only.is_empty() && !cli.once {
        return Err(RunError::Usage("--only filters the report of --once; the dashboard filters with `/` and `f`"));
    }
    if cli.once || (!serving && !io::stderr().is_terminal()) {
        // `--once`, `serve`, or a dashboard whose stderr is not its terminal: log lines on the dashboard's terminal
        // would tear through it.
        logging::init_from_env().map_err(RunError::Logging)?;
    } else if serving {
        logging::init_from_env_or("info").map_err(RunError::Logging)?;
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
        .map_err(RunError::Runtime)?;

    if cli.demo {
        if !cli.profiles.is_empty() {
            return Err(RunError::Usage(
                "--profile selects profiles of a config file; --demo always shows both simulated accounts",
            ));
        }
        let mut settings = Settings { refresh: DEMO_REFRESH, ..Settings::default() };
        overrides.apply_to(&mut settings)?;
        // The demo borrows the [keys] and [theme] of a config named with --config (nothing else of it).
        let ui = match &cli.config {
            Some(path) => config::load_ui(path)?,
            None => config::Ui::default(),
        };
        let source = Arc::new(DemoSource::new(cli.now.unwrap_or_else(Timestamp::now)));
        return runtime.block_on(dispatch(&cli, source, &settings, &ui, None));
    }

    let config = load_config(&cli)?.config.apply(&overrides)?;
    let settings = config.settings.clone();
    runtime.block_on(async {
        let source = Arc::new(AwsSource::new(&config.profiles, config.settings.assume_role_rate).await);
        dispatch(&cli, source, &settings, &config.ui, Some(&config.notify)).await
    })
}

/// `pipewatch doctor`: every check of every selected profile (or of the demo), written as asked; exit 0 when all
/// is well, 3 when a profile has a problem.
fn doctor(cli: &Cli, output: Output) -> Result<u8, RunError> {
    if !cli.only.is_empty() || cli.once {
        return Err(RunError::Usage("doctor takes no --once or --only"));
    }
    let checkup = if cli.demo {
        let demo = DemoSource::new(Timestamp::now());
        doctor::demo::checkup(source_profiles(&demo))
    } else {
        let overrides = Overrides { timeout: cli.timeout, profiles: cli.profiles.clone(), ..Overrides::default() };
        let located = load_config(cli)?;
        let config_source = match &located.ambient {
            Some(looked_at) => doctor::ConfigSource {
                path: looked_at.display().to_string(),
                found_by: format!(
                    "no file there: the ambient AWS credentials as profile `{}`",
                    located.config.profiles[0].name
                ),
            },
            None => doctor::ConfigSource {
                path: located.config.path.display().to_string(),
                found_by: config::found_by(cli.config.as_deref()).to_string(),
            },
        };
        let config = located.config.apply(&overrides)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(RunError::Runtime)?;
        let profiles = runtime.block_on(pipewatch::source::aws::doctor::check(
            &config,
            config.settings.timeout,
            cli.timeout.is_some(),
        ));
        doctor::Checkup { config: Some(config_source), profiles }
    };
    let out = io::stdout().lock();
    let written = match output {
        Output::Text => report::doctor::write_text(&checkup, out, display::use_color(&io::stdout())),
        Output::Json => report::doctor::write_json(&checkup, out),
        Output::Ndjson => report::doctor::write_lines(&checkup, out),
    };
    match written {
        Ok(()) => Ok(checkup.exit_code()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(checkup.exit_code()),
        Err(e) => Err(RunError::WriteReport(e)),
    }
}

/// The config file, or without one (and none named) the ambient credentials as one profile, which is said once on
/// stderr with how to watch more accounts.
fn load_config(cli: &Cli) -> Result<config::Located, RunError> {
    let located = config::load_or_ambient(cli.config.as_deref())?;
    if let Some(looked_at) = &located.ambient {
        let name = located.config.profiles.first().map(|p| p.name.as_str()).unwrap_or(config::AMBIENT_PROFILE);
        eprintln!("{}", config::ambient_notice(looked_at, name));
    }
    Ok(located)
}

/// `pipewatch init`: the example, or one profile per ACTIVE account of the organization, written to `--output`
/// (else where pipewatch looks for its config) or stdout; prints the path it wrote.
fn init(cli: &Cli, args: &InitArgs) -> Result<u8, RunError> {
    let path = match &args.output {
        Some(path) => path.clone(),
        None => config::locate(cli.config.as_deref())?,
    };
    let to = Destination::of(&path, args.force);
    // Refused before AWS is asked (the write itself refuses again, atomically).
    if let Destination::File { path, force: false } = &to
        && path.exists()
    {
        return Err(InitError::Exists(path.clone()).into());
    }
    let (text, what) = match (&args.role_name, args.org) {
        (Some(role_name), true) => {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(RunError::Runtime)?;
            let timeout = cli.timeout.unwrap_or(INIT_TIMEOUT);
            let listing = runtime
                .block_on(pipewatch::source::aws::organization::list_accounts(timeout))
                .map_err(|(failure, detail)| InitError::Organization { failure, detail })?;
            let regions =
                if args.regions.is_empty() { listing.region.into_iter().collect() } else { args.regions.clone() };
            let options = OrgOptions {
                role_name: role_name.clone(),
                partition: listing.partition,
                regions,
                external_id: args.external_id.clone(),
            };
            let text = init::render_org(&listing.accounts, &options)?;
            let active = listing.accounts.iter().filter(|a| a.is_active()).count();
            let what = format!(
                "{active} profiles, one per ACTIVE account of the organization ({} not ACTIVE left out); deploy the \
                 role `{}` to every member account (README: \"A whole organization\"), then run `pipewatch doctor`",
                listing.accounts.len() - active,
                pipewatch::sanitize::clean(role_name)
            );
            (text, what)
        }
        _ => (
            init::EXAMPLE.to_string(),
            "the two-account example: put your accounts' role ARNs in it, then run `pipewatch doctor`".to_string(),
        ),
    };
    init::write(&text, &to, io::stdout().lock())?;
    if let Destination::File { path, .. } = &to {
        let _ = writeln!(io::stdout().lock(), "wrote {}: {what}", path.display());
    }
    Ok(exit::HEALTHY)
}

/// The profiles of a source.
fn source_profiles<S: Source>(s: &S) -> &[pipewatch::model::ProfileMeta] {
    s.profiles()
}

/// Writes `bytes` to stdout: what `iam-policy`, `completions` and `man` print.
fn print(bytes: &[u8]) -> Result<u8, RunError> {
    // Not `print!`: it panics when the reader has gone (`pipewatch iam-policy | head -1`).
    match io::stdout().lock().write_all(bytes) {
        Ok(()) => Ok(exit::HEALTHY),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(exit::HEALTHY),
        Err(e) => Err(RunError::WritePolicy(e)),
    }
}

/// The dashboard, `serve`, or one poll of every profile and its report; `Ok` carries the exit code. `notify` is the
/// config's `[notify]` table (`None` for the demo, which only rings the bell).
async fn dispatch<S: Source>(
    cli: &Cli,
    source: Arc<S>,
    settings: &Settings,
    ui: &config::Ui,
    notify: Option<&Notify>,
) -> Result<u8, RunError> {
    if !cli.once {
        let notifications = match notify {
            Some(notify) => Notifications::start(notify, settings.lookback),
            None => Notifications::in_memory(true),
        };
        if let Some(Command::Serve(args)) = cli.command {
            return Ok(serve::run(source, settings, args.listen, notifications).await?);
        }
        return Ok(pipewatch::tui::run(source, settings, ui, notifications).await);
    }
    let started = cli.now.unwrap_or_else(Timestamp::now);
    let req = PollRequest { now: started, lookback: settings.lookback, grace: settings.grace };
    let snapshots = poller::poll_every_profile(Arc::clone(&source), req, settings.timeout).await;
    if cli.stats {
        let mut err = io::stderr().lock();
        let _ = report::stats::write(source.profiles(), &snapshots, &mut err);
    }
    let refs: Vec<_> = snapshots.iter().collect();
    let now = cli.now.unwrap_or_else(Timestamp::now);
    let now = now.round(jiff::Unit::Second).unwrap_or(now);
    let analysis = Analysis::new(source.profiles(), &refs, now, settings.grace);
    let only: Vec<_> = cli.only.iter().map(|o| o.status()).collect();
    // Buffered: stdout is line-buffered, and a report of many profiles is tens of thousands of lines, a write call
    // each (8.8 MB of JSON at 200 profiles; the writes were about 3 % of the CPU of `--once` in `perf`).
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let written = match cli.output {
        Output::Json => report::json::write_only(&analysis, &mut out, &only),
        Output::Ndjson => report::json::write_lines(&analysis, &mut out, &only),
        Output::Text => {
            let options = report::text::Options { color: display::use_color(&io::stdout()), only };
            report::text::write_with(&analysis, &mut out, &options)
        }
    }
    .and_then(|()| out.flush());
    match written {
        // A closed pipe (`pipewatch --once | head -1`) is the reader's choice, not a failure.
        Ok(()) => Ok(exit::of(&analysis)),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(exit::of(&analysis)),
        Err(e) => Err(RunError::WriteReport(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a user sees after `pipewatch: error: `, and the exit code that comes with it.
    #[test]
    fn run_errors_keep_their_messages_and_exit_codes() {
        let broken = || io::Error::other("disk full");
        let cases = [
            (RunError::Usage("--profile selects profiles"), "--profile selects profiles", 2),
            (
                RunError::Logging("PIPEWATCH_LOG=\"[\" is not a valid log filter".into()),
                "PIPEWATCH_LOG=\"[\" is not",
                2,
            ),
            (
                RunError::from(ConfigError::NoProfiles { path: "c.toml".into() }),
                "no [profiles.*] table in c.toml (add at least one [profiles.NAME] table; `pipewatch init --output -` \
                 prints an example)",
                2,
            ),
            (RunError::Runtime(broken()), "cannot start the async runtime: disk full", 2),
            (RunError::WritePolicy(broken()), "cannot write to stdout: disk full", 2),
            (RunError::WriteReport(broken()), "cannot write the report: disk full", 3),
            (
                RunError::from(ServeError::Listen { addr: ([127, 0, 0, 1], 9464).into(), error: broken() }),
                "cannot listen on 127.0.0.1:9464: disk full (choose another address with --listen ADDR:PORT)",
                2,
            ),
        ];
        for (error, message, code) in cases {
            assert!(error.to_string().starts_with(message), "{error}");
            assert_eq!(error.exit_code(), code, "{error}");
        }
    }
}
