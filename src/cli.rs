//! Command-line arguments (clap derive). Parsing only; `main` decides what to do with them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::analysis::correlate::PushStatus;
use crate::config::parse_duration;

const AFTER_HELP: &str = "\
Exit codes (--once):
  0  every profile polled, no untriggered push
  1  at least one untriggered push (a watched push older than --grace with no pipeline run)
  2  usage or configuration error
  3  at least one profile failed to poll (wins over 1)
Exit codes (doctor): 0 every check passed, 3 a profile has a problem, 2 usage or configuration error.
Exit codes (init): 0 written, 2 usage error or the file exists (--force replaces it), 3 the organization
  cannot be listed.

Config lookup: --config PATH, else $PIPEWATCH_CONFIG, else $XDG_CONFIG_HOME/pipewatch/config.toml
(~/.config/pipewatch/config.toml). With no file there (and none named), pipewatch watches the ambient AWS
credentials and region as one profile (`default`, or $AWS_PROFILE); `pipewatch init` writes a config.

Examples:
  pipewatch init --org --role-name pipewatch-read --regions us-east-1
                                        one profile per account of your AWS Organization
  pipewatch --demo                      the dashboard on two simulated accounts
  pipewatch --once --output json        poll every profile once, print JSON, exit with a status
  pipewatch --once --only untriggered --output ndjson | jq .digest
  pipewatch doctor --profile account-a  why a profile fails: credentials, role, clock, permissions
  pipewatch --profile account-a --grace 10m
  pipewatch serve                       poll every refresh; serve /metrics, /api/report on 127.0.0.1:9464";

/// Which pushes never triggered a pipeline run, across AWS accounts.
#[derive(Debug, Parser)]
#[command(name = "pipewatch", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Poll once, print a summary and exit (instead of the dashboard)
    #[arg(long)]
    pub once: bool,

    /// Output format of --once (ndjson: one push per line)
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,

    /// With --once: only the pushes of these statuses (repeatable or comma-separated; the exit code is unchanged)
    #[arg(long, value_enum, value_name = "STATUS", value_delimiter = ',')]
    pub only: Vec<Only>,

    /// Run on the built-in simulated pair of accounts (no AWS; a --config file only lends its [keys] and [theme])
    #[arg(long, global = true)]
    pub demo: bool,

    /// Config file [default: $PIPEWATCH_CONFIG, else $XDG_CONFIG_HOME/pipewatch/config.toml]
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,

    /// Only this profile (repeatable)
    #[arg(long = "profile", value_name = "NAME", global = true)]
    pub profiles: Vec<String>,

    /// How long a watched push may wait for a run before it is flagged (e.g. 5m)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true, global = true)]
    pub grace: Option<Duration>,

    /// How far back pushes and runs are read (e.g. 24h)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true, global = true)]
    pub lookback: Option<Duration>,

    /// Poll interval of the dashboard and `serve` (e.g. 30s)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true, global = true)]
    pub refresh: Option<Duration>,

    /// With --once: print the API calls and phase times of each profile's poll to stderr
    #[arg(long)]
    pub stats: bool,

    /// Bound on one poll of one profile, on each doctor check, and on init --org's listing (e.g. 10s; init: 60s)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true, global = true)]
    pub timeout: Option<Duration>,

    /// Test seam: take this RFC 3339 instant as the current time of `--once` (the demo's story starts there too)
    #[arg(long, value_name = "TIMESTAMP", hide = true)]
    pub now: Option<jiff::Timestamp>,
}

/// Subcommands besides the dashboard and `--once`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum Command {
    /// Write a starting config: the two-account example to edit, or (--org) one profile per ACTIVE account of
    /// your AWS Organization. Writes where pipewatch looks (--config, $PIPEWATCH_CONFIG, else
    /// ~/.config/pipewatch/config.toml) unless --output says otherwise; never replaces a file without --force
    Init(InitArgs),
    /// Print the least-privilege IAM policy pipewatch needs in each polled account
    IamPolicy,
    /// Check each profile in the order you would debug it: config, credentials, AssumeRole, identity, clock, then
    /// one minimal read per API pipewatch calls (a denied read prints the IAM statement to add)
    Doctor {
        /// Output format (ndjson: one profile's checks per line) [default: text]
        #[arg(long, value_enum)]
        output: Option<Output>,
    },
    /// Print a shell completion script to stdout (see README for where to put it)
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout: `pipewatch man | man -l -`
    Man,
    /// Poll every refresh like the dashboard and serve Prometheus metrics (/metrics), the JSON report
    /// (/api/report), /healthz and /readyz over HTTP until SIGTERM or SIGINT
    Serve(ServeArgs),
}

/// `pipewatch serve`'s own options (the others are the dashboard's: --config, --profile, --demo, --refresh, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on; anything but loopback exposes the report to the network
    #[arg(long, value_name = "ADDR:PORT", default_value = crate::serve::DEFAULT_LISTEN)]
    pub listen: SocketAddr,
}

/// The arguments of `pipewatch init`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct InitArgs {
    /// One profile per ACTIVE account of the AWS Organization (Organizations ListAccounts, with the ambient
    /// credentials of the management or a delegated administrator account)
    #[arg(long, requires = "role_name")]
    pub org: bool,

    /// With --org: the role every profile assumes, deployed to each member account (role_arn =
    /// arn:<partition>:iam::<account>:role/NAME)
    #[arg(long, value_name = "NAME", requires = "org")]
    pub role_name: Option<String>,

    /// With --org: the regions to watch, comma-separated [default: the ambient region]
    #[arg(long, value_name = "REGION", value_delimiter = ',', requires = "org")]
    pub regions: Vec<String>,

    /// With --org: the external id every profile sends with AssumeRole
    #[arg(long, value_name = "ID", requires = "org")]
    pub external_id: Option<String>,

    /// Where to write the config (`-`: stdout) [default: --config, $PIPEWATCH_CONFIG, else
    /// ~/.config/pipewatch/config.toml]
    #[arg(long, value_name = "PATH")]
    pub output: Option<std::path::PathBuf>,

    /// Replace the file if it exists
    #[arg(long)]
    pub force: bool,
}

/// `--output` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Human-readable summary
    Text,
    /// One JSON document
    Json,
    /// JSON lines: one push per line (the objects of the document's `pushes`); doctor: one profile per line
    Ndjson,
}

/// `--only` filters of `--once`: push statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Only {
    /// Watched pushes older than the grace period with no run
    Untriggered,
    /// Watched pushes still within the grace period
    Pending,
    /// Pushes matched to a run
    Triggered,
    /// Pushes no pipeline watches
    Unwatched,
}

impl Only {
    /// The push status this filter keeps.
    pub fn status(self) -> PushStatus {
        match self {
            Only::Untriggered => PushStatus::Untriggered,
            Only::Pending => PushStatus::Pending,
            Only::Triggered => PushStatus::Triggered,
            Only::Unwatched => PushStatus::Unwatched,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listen(args: &[&str]) -> SocketAddr {
        match Cli::try_parse_from(args).expect("valid arguments").command {
            Some(Command::Serve(a)) => a.listen,
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn serve_listens_on_loopback_unless_told_otherwise() {
        let default = listen(&["pipewatch", "serve"]);
        assert!(default.ip().is_loopback(), "{default}");
        assert_eq!(default.to_string(), "127.0.0.1:9464");
        assert_eq!(listen(&["pipewatch", "serve", "--listen", "0.0.0.0:9000"]).to_string(), "0.0.0.0:9000");
        assert!(Cli::try_parse_from(["pipewatch", "serve", "--listen", "localhost"]).is_err());
    }
}
