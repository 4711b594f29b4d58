//! The AWS-behaviour layer for the integration tests: an awsim world served on a loopback port, and pipewatch
//! configs whose every profile points at it (each profile assumes `arn:aws:iam::<account>:role/pipewatch-read`,
//! and awsim maps the session back to that account).
//!
//! Unlike moto, the world *behaves*: a push raises its events, rules start their pipelines, CloudTrail answers
//! LookupEvents (see `awsim/src/lib.rs`). Each test starts its own world, so account ids may repeat across tests.

use std::path::{Path, PathBuf};

use awsim::{Server, World};
use serde_json::Value;

use super::{Run, config_toml, run_pipewatch, write_config};

/// A world and the server that answers from it (stopped when dropped).
pub struct Sim {
    pub world: World,
    server: Server,
}

impl Sim {
    /// A fresh world on the system clock, served on an ephemeral port.
    pub fn start() -> Sim {
        let world = World::new();
        let server = Server::start(world.clone()).expect("starting awsim on 127.0.0.1");
        Sim { world, server }
    }

    pub fn endpoint(&self) -> String {
        self.server.endpoint()
    }

    /// Writes a config with one profile per `(name, account)` into `dir`, every profile at this server.
    pub fn config(&self, dir: &Path, profiles: &[(&str, &str)]) -> PathBuf {
        let endpoint = self.endpoint();
        let rows: Vec<(&str, &str, &str)> = profiles.iter().map(|(n, a)| (*n, *a, endpoint.as_str())).collect();
        write_config(dir, &config_toml(&rows))
    }

    /// `pipewatch --once --output json` over `profiles`, with its JSON document.
    pub fn once_json(&self, profiles: &[(&str, &str)]) -> (Run, Value) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = self.config(dir.path(), profiles);
        let run = run_pipewatch(["--once", "--output", "json", "--config", config.to_str().expect("UTF-8 path")]);
        let doc = run.json();
        (run, doc)
    }
}

/// The push of `repository` in `doc` (panics with the document when there is none or several).
pub fn push_of<'a>(doc: &'a Value, repository: &str) -> &'a Value {
    let pushes: Vec<&Value> =
        doc["pushes"].as_array().into_iter().flatten().filter(|p| p["repository"] == repository).collect();
    assert_eq!(pushes.len(), 1, "one push of {repository} expected in {doc:#}");
    pushes[0]
}
