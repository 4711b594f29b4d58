//! What `serve` shows at one moment: the latest [`Analysis`] and, per profile, how its polls went. Built by the
//! feed once per burst of poll results, shared read-only with every request, rendered by `/metrics`,
//! `/api/report` and `/readyz`.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;

use crate::analysis::Analysis;

/// One published state of the server.
#[derive(Debug, Clone)]
pub struct Board {
    /// The analysis of every profile's latest data (its `profiles` are in profile order, as `polls`).
    pub analysis: Analysis,
    /// How each profile's polls went, in profile order.
    pub polls: Vec<PollRecord>,
    /// The interval between two polls of a profile.
    pub refresh: Duration,
}

/// How one profile's polls went so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollRecord {
    /// The profile's name.
    pub profile: String,
    /// The region this entry polls (a profile with `regions` has one record per region).
    pub region: String,
    /// When its last poll finished (successfully or not); `None` before the first one.
    pub last_poll: Option<Timestamp>,
    /// The last poll had no error.
    pub up: bool,
    /// How long the last poll took, as the server saw it.
    pub duration: Option<Duration>,
    /// Failed polls in a row (0 after a successful one).
    pub failures_in_a_row: u64,
    /// API calls of every poll so far, by API (`service:Operation`).
    pub calls: BTreeMap<String, u64>,
    /// Failures of every poll so far, by API (`poll` for a failure of the whole poll) and kind.
    pub errors: BTreeMap<(String, &'static str), u64>,
}

impl Board {
    /// The profiles whose first poll has not finished yet, in profile order.
    pub fn pending(&self) -> Vec<&str> {
        self.polls.iter().filter(|p| p.last_poll.is_none()).map(|p| p.profile.as_str()).collect()
    }

    /// Every profile has finished its first poll.
    pub fn ready(&self) -> bool {
        self.polls.iter().all(|p| p.last_poll.is_some())
    }
}
