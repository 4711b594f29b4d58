//! Counts the API calls and times the phases of one poll, for `--stats`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::model::PollStats;

/// Collects calls per API and phase durations while a poll runs.
#[derive(Debug, Default)]
pub struct CallStats {
    calls: Mutex<BTreeMap<&'static str, u32>>,
    phases: Mutex<Vec<(&'static str, Duration)>>,
}

impl CallStats {
    /// Counts one call of `api` (e.g. `ecr:DescribeImages`).
    pub fn call(&self, api: &'static str) {
        self.add(api, 1);
    }

    /// Counts `n` calls of `api`.
    pub fn add(&self, api: &'static str, n: u32) {
        if n > 0
            && let Ok(mut c) = self.calls.lock()
        {
            *c.entry(api).or_default() += n;
        }
    }

    /// Records how long `phase` took.
    pub fn phase(&self, phase: &'static str, took: Duration) {
        if let Ok(mut p) = self.phases.lock() {
            p.push((phase, took));
        }
    }

    /// The collected figures.
    pub fn finish(self) -> PollStats {
        PollStats {
            calls: self.calls.into_inner().unwrap_or_default().into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            phases: self.phases.into_inner().unwrap_or_default().into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        }
    }
}
