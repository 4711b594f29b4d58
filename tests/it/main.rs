//! pipewatch's integration tests against moto. One test binary, so moto starts at most once per run.
//!
//! Run: `cargo test --test it` (the first run installs moto into target/moto-venv: about a minute).

mod diagnose;
mod faults;
mod once;
mod support;
