//! pipewatch's integration tests against moto and awsim (the AWS-behaviour layer, `behaviour`). One test binary,
//! so moto starts at most once per run.
//!
//! Run: `cargo test --test it` (the first run installs moto into target/moto-venv: about a minute).

mod bad_input;
mod behaviour;
mod cloudtrail;
mod diagnose;
mod faults;
mod hostile;
mod hygiene;
mod once;
mod pushes;
mod secrets;
mod support;
