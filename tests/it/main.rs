//! pipewatch's integration tests: everything that drives the executable, moto or awsim (the AWS-behaviour layer,
//! `behaviour`), plus the checks of shipped files (the bad-config corpus, the IAM policy). One test binary, so the
//! SDK is linked once and moto starts at most once per run.
//!
//! Run: `cargo test --test it` (the first run installs moto into target/moto-venv: about a minute).

mod bad_input;
mod behaviour;
mod cloudtrail;
mod completions;
mod config_corpus;
mod demo_once;
mod diagnose;
mod doctor;
mod faults;
mod first_run;
mod hostile;
mod house;
mod hygiene;
mod iam_policy;
mod init;
mod notify;
mod once;
mod prometheus;
mod pushes;
mod regions;
mod runs;
mod secrets;
mod serve;
mod serve_demo;
mod support;
mod triggers;
mod tui_pty;
