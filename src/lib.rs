//! pipewatch: which ECR pushes never triggered their CodePipeline run, across AWS accounts, and why.
//!
//! The modules by layer, each depending only on the layers above it (`tests/it/house.rs` checks that the SDK is
//! named only under `source::aws` and that no two files import each other):
//!
//! - **Configuration** (pure): [`config`] reads and validates `config.toml` (profiles, `[keys]`, `[theme]`) into
//!   a `Config`; [`cli`] is the clap definition of the flags and subcommands; [`init`] writes a starting config
//!   (the example, or one profile per account of an AWS Organization listed by `source::aws`).
//! - **Domain model** (pure): [`model`] is what one account holds (identity, pipelines and their executions,
//!   images, trigger rules, typed poll errors), free of SDK types; [`cloudtrail`] and [`oci`] parse what AWS hands
//!   over as text (PutImage records, image indexes).
//! - **Data sources**: [`source`] is the one `Source` trait with two implementations, `source::aws` (the only code
//!   that touches the AWS SDK and credentials) and `source::demo` (a simulated organization that runs the same
//!   code paths).
//! - **Analysis** (pure, heavily unit-tested): [`analysis`] turns the profiles' snapshots into the one view every
//!   front end renders: pushes as users make them, correlation to runs, the chain push → event → rule → target →
//!   run, findings with their evidence.
//! - **Polling**: [`poller`] runs the profiles' polls concurrently as tokio tasks, each within its timeout,
//!   cancelled with the front end.
//! - **Front ends** (render only, no I/O in render functions): [`report`] writes `--once` text, JSON and ndjson;
//!   [`tui`] is the dashboard; [`serve`] is `pipewatch serve` (Prometheus metrics, the JSON report, health checks
//!   over HTTP); [`notify`] announces newly untriggered pushes (command, webhook, bell); [`doctor`] is
//!   `pipewatch doctor`'s checks and their explanations.
//! - **Shared helpers**: [`display`] (colour decision, short digests, ages), [`console`] (AWS console links per
//!   partition), [`sanitize`] (control characters out of AWS strings), [`exit`] (process exit codes),
//!   [`logging`] (`PIPEWATCH_LOG` to stderr).

pub mod analysis;
pub mod cli;
pub mod cloudtrail;
pub mod config;
pub mod console;
pub mod display;
pub mod doctor;
pub mod exit;
pub mod init;
pub mod logging;
pub mod model;
pub mod notify;
pub mod oci;
pub mod poller;
pub mod report;
pub mod sanitize;
pub mod serve;
pub mod source;
pub mod tui;
