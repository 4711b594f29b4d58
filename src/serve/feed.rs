//! The poll results `serve` has received: per profile the data to analyse and the record of its polls, turned into
//! a [`Board`] once per burst of results.
//!
//! A poll that fails keeps the profile's earlier data (with the new poll's errors), as the dashboard does: an
//! expired session must not make every untriggered push vanish from the metrics and come back as a new alert. A
//! first poll's data is taken as it is, partial or not, as `--once` takes it.

use std::time::{Duration, Instant};

use jiff::Timestamp;

use super::board::{Board, PollRecord};
use crate::analysis::Analysis;
use crate::model::{ProfileMeta, ProfileSnapshot};
use crate::poller::PollEvent;

/// The label of a failure that is no one call's (a poll cut off at its timeout, a failed task).
pub const WHOLE_POLL: &str = "poll";

/// Everything received from the poller.
#[derive(Debug)]
pub struct Feed {
    metas: Vec<ProfileMeta>,
    grace: Duration,
    refresh: Duration,
    /// Parallel to `metas`.
    profiles: Vec<ProfileFeed>,
}

#[derive(Debug, Default)]
struct ProfileFeed {
    /// The data the analysis uses; `None` before the first poll.
    snapshot: Option<ProfileSnapshot>,
    /// When the poll in flight started.
    started: Option<Instant>,
    record: PollRecord,
}

impl Feed {
    pub fn new(metas: Vec<ProfileMeta>, grace: Duration, refresh: Duration) -> Self {
        let profiles = metas
            .iter()
            .map(|m| ProfileFeed {
                record: PollRecord { profile: m.name.clone(), region: m.region.clone(), ..PollRecord::default() },
                ..Default::default()
            })
            .collect();
        Self { metas, grace, refresh, profiles }
    }

    /// Takes one message of the poller; `true` when the data changed (the board must be built again).
    pub fn apply(&mut self, event: PollEvent) -> bool {
        match event {
            PollEvent::Started { profile } => {
                if let Some(p) = self.profiles.get_mut(profile) {
                    p.started = Some(Instant::now());
                }
                false
            }
            // The core read before an explain step: `serve` answers from whole polls only.
            PollEvent::Read { .. } => false,
            PollEvent::Finished { profile, at, snapshot } => {
                let Some(p) = self.profiles.get_mut(profile) else { return false };
                p.finish(at, *snapshot);
                true
            }
        }
    }

    /// The board at `now` (rounded to the second, as `--once` rounds it).
    pub fn board(&self, now: Timestamp) -> Board {
        let now = now.round(jiff::Unit::Second).unwrap_or(now);
        let empty = ProfileSnapshot::default();
        let snapshots: Vec<&ProfileSnapshot> =
            self.profiles.iter().map(|p| p.snapshot.as_ref().unwrap_or(&empty)).collect();
        Board {
            analysis: Analysis::new(&self.metas, &snapshots, now, self.grace),
            polls: self.profiles.iter().map(|p| p.record.clone()).collect(),
            refresh: self.refresh,
        }
    }
}

impl ProfileFeed {
    fn finish(&mut self, at: Timestamp, latest: ProfileSnapshot) {
        let r = &mut self.record;
        r.last_poll = Some(at);
        r.duration = self.started.take().map(|s| s.elapsed());
        r.up = latest.errors.is_empty();
        r.failures_in_a_row = if r.up { 0 } else { r.failures_in_a_row + 1 };
        for (api, n) in &latest.stats.calls {
            *r.calls.entry(api.clone()).or_default() += u64::from(*n);
        }
        for e in &latest.errors {
            let api = e.operation().unwrap_or(WHOLE_POLL).to_owned();
            *r.errors.entry((api, e.kind.as_str())).or_default() += 1;
        }
        let keep_earlier = !latest.errors.is_empty() && self.snapshot.as_ref().is_some_and(has_data);
        self.snapshot = Some(match (keep_earlier, self.snapshot.take()) {
            (true, Some(earlier)) => {
                ProfileSnapshot { errors: latest.errors, warnings: latest.warnings, stats: latest.stats, ..earlier }
            }
            _ => latest,
        });
    }
}

fn has_data(s: &ProfileSnapshot) -> bool {
    s.identity.is_some() || !s.images.is_empty() || !s.pipelines.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::fixtures::{account_a, metas, ts};
    use crate::model::{ErrorKind, PollError, PollStats};

    const GRACE: Duration = Duration::from_secs(300);

    fn finished(profile: usize, at: i64, snapshot: ProfileSnapshot) -> PollEvent {
        PollEvent::Finished { profile, at: ts(at), snapshot: Box::new(snapshot) }
    }

    fn with_calls(mut s: ProfileSnapshot, calls: &[(&str, u32)]) -> ProfileSnapshot {
        s.stats = PollStats { calls: calls.iter().map(|(a, n)| (a.to_string(), *n)).collect(), phases: vec![] };
        s
    }

    fn expired() -> ProfileSnapshot {
        let mut s = ProfileSnapshot::failed(PollError::of_call(
            "sts:GetCallerIdentity",
            ErrorKind::ExpiredCredentials,
            "ExpiredToken: expired",
        ));
        s.errors.push(PollError::of_call("ecr:DescribeImages web", ErrorKind::ExpiredCredentials, "expired"));
        s.errors.push(PollError::new(ErrorKind::TimedOut, "poll timed out after 10s"));
        s
    }

    #[test]
    fn ready_once_every_profile_has_finished_a_poll() {
        let mut feed = Feed::new(metas(), GRACE, Duration::from_secs(30));
        assert_eq!(feed.board(ts(0)).pending(), ["account-a", "account-b"]);
        assert!(!feed.apply(PollEvent::Started { profile: 1 }), "a start changes no data");
        assert!(feed.apply(finished(1, 0, expired())));
        assert_eq!(feed.board(ts(0)).pending(), ["account-a"]);
        assert!(!feed.board(ts(0)).ready());
        assert!(feed.apply(finished(0, 0, account_a())));
        assert!(feed.board(ts(0)).ready());
        assert!(!feed.apply(finished(7, 0, account_a())), "an unknown profile is ignored");
    }

    #[test]
    fn calls_and_errors_add_up_across_polls_and_failures_count_in_a_row() {
        let mut feed = Feed::new(metas(), GRACE, Duration::from_secs(30));
        feed.apply(finished(0, 0, with_calls(account_a(), &[("ecr:DescribeImages", 2), ("sts:GetCallerIdentity", 1)])));
        feed.apply(finished(0, 30, with_calls(expired(), &[("sts:GetCallerIdentity", 1)])));
        feed.apply(finished(0, 60, with_calls(expired(), &[("sts:GetCallerIdentity", 1)])));
        let board = feed.board(ts(60));
        let r = &board.polls[0];
        assert_eq!((r.up, r.failures_in_a_row, r.last_poll), (false, 2, Some(ts(60))));
        let calls: Vec<_> = r.calls.iter().map(|(a, n)| (a.as_str(), *n)).collect();
        assert_eq!(calls, [("ecr:DescribeImages", 2), ("sts:GetCallerIdentity", 3)]);
        let errors: Vec<_> = r.errors.iter().map(|((a, k), n)| (a.as_str(), *k, *n)).collect();
        assert_eq!(
            errors,
            [
                ("ecr:DescribeImages", "expired_credentials", 2),
                ("poll", "timed_out", 2),
                ("sts:GetCallerIdentity", "expired_credentials", 2),
            ]
        );
        feed.apply(finished(0, 90, account_a()));
        let r = &feed.board(ts(90)).polls[0];
        assert_eq!((r.up, r.failures_in_a_row), (true, 0));
    }

    #[test]
    fn a_failed_poll_keeps_the_earlier_data_with_its_own_errors() {
        let mut feed = Feed::new(metas(), GRACE, Duration::from_secs(30));
        feed.apply(finished(0, 0, account_a()));
        let before = feed.board(ts(0)).analysis.counts();
        assert_eq!(before.untriggered, 1);
        feed.apply(finished(0, 30, expired()));
        let board = feed.board(ts(30));
        assert_eq!(board.analysis.counts().untriggered, 1, "the untriggered push stays");
        let profile = &board.analysis.profiles[0];
        assert!(profile.identity.is_some());
        assert!(profile.error.as_deref().is_some_and(|e| e.contains("ExpiredToken")), "{profile:?}");
    }

    #[test]
    fn a_failed_first_poll_is_taken_as_it_is() {
        let mut feed = Feed::new(metas(), GRACE, Duration::from_secs(30));
        feed.apply(finished(1, 0, expired()));
        let board = feed.board(ts(0));
        assert!(board.analysis.profiles[1].identity.is_none());
        assert!(board.analysis.profiles[1].error.is_some());
    }
}
