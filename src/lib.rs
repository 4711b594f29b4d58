//! pipewatch: which ECR pushes never triggered their CodePipeline run, across AWS accounts, and why.
//!
//! Layers: `config` (parsing), `source` (the data-source trait; `source::aws` is the only SDK code, `source::demo`
//! the simulation), `model` and `analysis` (pure domain), `cloudtrail` and `oci` (parsers of what AWS hands over as
//! text), `poller` (tokio tasks), and the front ends `report` (text and JSON), `tui` and `serve` (HTTP: Prometheus
//! metrics, the JSON report, health checks); `notify` announces newly untriggered pushes for the dashboard and
//! `serve`.

pub mod analysis;
pub mod cli;
pub mod cloudtrail;
pub mod config;
pub mod display;
pub mod exit;
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
