//! pipewatch's integration tests against moto. One test binary, so moto starts at most once per run.
//!
//! Run: `cargo test --test it` (the first run installs moto into target/moto-venv: about a minute).

mod bad_input;
mod diagnose;
mod faults;
mod hostile;
mod hygiene;
mod notify;
mod once;
mod prometheus;
mod secrets;
mod serve;
mod serve_demo;
mod support;
