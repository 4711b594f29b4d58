//! The built-in demo: a simulated pair of accounts that evolves with the clock, served through the same
//! `Source` trait as AWS so the demo exercises the real poller, correlation and rendering.
//!
//! account-a (111111111111) owns repositories `web` and `api` and pipelines `web-deploy` (web:latest) and
//! `api-deploy` (api:latest). account-b (222222222222) is the builder: its CodeBuild role assumes
//! `pipewatch-demo-push` in account-a and pushes `web:latest` every 40 s, each push starting a run. One push of
//! `api:latest` was made with account-b's own identity (the field report's mistake) and never started a run.
//! account-b's poll fails now and then (an expired session) so the failure path shows too.

use std::sync::atomic::{AtomicUsize, Ordering};

use jiff::{SignedDuration, Timestamp};

use crate::model::{
    ExecStatus, Execution, Identity, ImagePush, Pipeline, ProfileMeta, ProfileSnapshot, Revision, WatchedSource,
};
use crate::source::{PollRequest, Source};

/// Seconds between two simulated pushes of `web:latest`.
const PUSH_EVERY: i64 = 40;
/// Seconds from a push to the start of its run.
const START_DELAY: i64 = 4;
/// Seconds a run stays InProgress.
const RUN_TIME: i64 = 25;
/// Every `FAIL_EVERY`-th poll of account-b fails.
const FAIL_EVERY: usize = 6;

/// The simulated accounts.
pub struct DemoSource {
    metas: Vec<ProfileMeta>,
    epoch: Timestamp,
    polls: [AtomicUsize; 2],
    failures: bool,
}

impl DemoSource {
    /// A demo whose story starts at `epoch` (history reaches back before it).
    pub fn new(epoch: Timestamp) -> Self {
        let region = "ap-northeast-1".to_string();
        Self {
            metas: vec![
                ProfileMeta { name: "account-a".into(), region: region.clone() },
                ProfileMeta { name: "account-b".into(), region },
            ],
            epoch,
            polls: [AtomicUsize::new(0), AtomicUsize::new(0)],
            failures: true,
        }
    }

    /// The same demo without the periodic failure of account-b (for deterministic snapshots).
    pub fn without_failures(mut self) -> Self {
        self.failures = false;
        self
    }

    /// The snapshot of profile `index` at `now`, without counting a poll.
    pub fn snapshot(&self, index: usize, now: Timestamp) -> ProfileSnapshot {
        match index {
            0 => self.account_a(now),
            _ => self.account_b(now),
        }
    }

    fn at(&self, secs: i64) -> Timestamp {
        self.epoch.saturating_add(SignedDuration::from_secs(secs)).unwrap_or(self.epoch)
    }

    fn account_a(&self, now: Timestamp) -> ProfileSnapshot {
        let elapsed = now.duration_since(self.epoch).as_secs();
        let newest = elapsed.div_euclid(PUSH_EVERY);
        let mut web_pushes = Vec::new();
        let mut web_runs = Vec::new();
        for n in (newest - 30..=newest).rev() {
            let pushed = self.at(n * PUSH_EVERY);
            if pushed > now {
                continue;
            }
            let digest = fake_digest("web", n);
            let mut tags = vec![format!("build-{}", n + 1000)];
            if n == newest {
                tags.insert(0, "latest".into());
            }
            web_pushes.push(ImagePush { repository: "web".into(), digest: digest.clone(), tags, pushed_at: pushed });
            let started = self.at(n * PUSH_EVERY + START_DELAY);
            if started > now {
                continue;
            }
            let running = now.duration_since(started).as_secs() < RUN_TIME;
            let status = match (running, n.rem_euclid(7)) {
                (true, _) => ExecStatus::InProgress,
                (false, 3) => ExecStatus::Failed,
                _ => ExecStatus::Succeeded,
            };
            web_runs.push(Execution {
                id: fake_uuid("web-run", n),
                status,
                trigger: "CloudWatchEvent".into(),
                trigger_detail: Some(
                    "arn:aws:events:ap-northeast-1:111111111111:rule/codepipeline-web-latest-rule".into(),
                ),
                started_at: started,
                updated_at: Some(if running { now } else { self.at(n * PUSH_EVERY + START_DELAY + RUN_TIME) }),
                revisions: vec![Revision {
                    action: "Source".into(),
                    revision_id: digest,
                    summary: Some(format!("build {} pushed by codebuild (assumed role in account-a)", n + 1000)),
                }],
                status_summary: None,
            });
        }
        // The field report's push: api:latest from account-b's own identity, 12 minutes before the epoch.
        let api_push = ImagePush {
            repository: "api".into(),
            digest: fake_digest("api", 0),
            tags: vec!["latest".into()],
            pushed_at: self.at(-12 * 60),
        };
        let api_run = Execution {
            id: fake_uuid("api-run", 0),
            status: ExecStatus::Succeeded,
            trigger: "StartPipelineExecution".into(),
            trigger_detail: Some("arn:aws:sts::111111111111:assumed-role/admin/alice".into()),
            started_at: self.at(-3 * 3600),
            updated_at: Some(self.at(-3 * 3600 + 90)),
            revisions: vec![Revision { action: "Source".into(), revision_id: fake_digest("api", -1), summary: None }],
            status_summary: None,
        };
        ProfileSnapshot {
            identity: Some(Identity {
                account: "111111111111".into(),
                arn: "arn:aws:sts::111111111111:assumed-role/pipewatch-read/pipewatch".into(),
                user_id: "AROADEMOACCOUNTAREAD:pipewatch".into(),
            }),
            pipelines: vec![
                Pipeline { name: "web-deploy".into(), sources: vec![source("web")], executions: web_runs },
                Pipeline { name: "api-deploy".into(), sources: vec![source("api")], executions: vec![api_run] },
            ],
            pushes: {
                let mut p = web_pushes;
                p.push(api_push);
                p
            },
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn account_b(&self, now: Timestamp) -> ProfileSnapshot {
        let elapsed = now.duration_since(self.epoch).as_secs();
        let newest = elapsed.div_euclid(600);
        let pushes = (newest - 5..=newest)
            .rev()
            .map(|n| ImagePush {
                repository: "ci-tools".into(),
                digest: fake_digest("ci-tools", n),
                tags: if n == newest { vec!["latest".into()] } else { Vec::new() },
                pushed_at: self.at(n * 600 - 30),
            })
            .filter(|p| p.pushed_at <= now)
            .collect();
        ProfileSnapshot {
            identity: Some(Identity {
                account: "222222222222".into(),
                arn: "arn:aws:sts::222222222222:assumed-role/pipewatch-read/pipewatch".into(),
                user_id: "AROADEMOACCOUNTBREAD:pipewatch".into(),
            }),
            pipelines: Vec::new(),
            pushes,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

impl Source for DemoSource {
    fn profiles(&self) -> &[ProfileMeta] {
        &self.metas
    }

    async fn poll(&self, index: usize, req: PollRequest) -> ProfileSnapshot {
        let n = self.polls[index.min(1)].fetch_add(1, Ordering::Relaxed);
        // A little latency, as a real account would have.
        tokio::time::sleep(std::time::Duration::from_millis(150 + 100 * index as u64)).await;
        if self.failures && index == 1 && n % FAIL_EVERY == FAIL_EVERY - 1 {
            return ProfileSnapshot::failed(
                "sts:GetCallerIdentity: ExpiredTokenException: The security token included in the request is expired",
            );
        }
        let mut snap = self.snapshot(index, req.now);
        let since = req.since();
        snap.pushes.retain(|p| p.pushed_at >= since);
        for p in &mut snap.pipelines {
            p.executions.retain(|e| e.started_at >= since);
        }
        snap
    }
}

fn source(repo: &str) -> WatchedSource {
    WatchedSource { action: "Source".into(), repository: repo.into(), tag: "latest".into() }
}

/// A stable, digest-shaped string for a (repository, n) pair.
fn fake_digest(repo: &str, n: i64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::from("sha256:");
    for round in 0..4u64 {
        for b in repo.bytes().chain(n.to_le_bytes()).chain(round.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

/// A stable, UUID-shaped execution id.
fn fake_uuid(kind: &str, n: i64) -> String {
    let d = fake_digest(kind, n);
    let h = &d[7..];
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::PushStatus;
    use crate::report::Report;

    #[test]
    fn demo_has_triggered_running_and_the_untriggered_cross_account_push() {
        let epoch = Timestamp::from_second(1_764_000_000).unwrap();
        let demo = DemoSource::new(epoch).without_failures();
        let now = epoch.checked_add(SignedDuration::from_secs(130)).unwrap();
        let snaps: Vec<_> = (0..2).map(|i| demo.snapshot(i, now)).collect();
        let report = Report::build(demo.profiles(), &[&snaps[0], &snaps[1]], now, std::time::Duration::from_secs(300));
        let api = report.pushes.iter().find(|p| p.repository == "api").unwrap();
        assert_eq!(api.status, PushStatus::Untriggered);
        let newest_web = report.pushes.iter().find(|p| p.repository == "web").unwrap();
        assert_eq!(newest_web.tags, vec!["latest", "build-1003"]);
        // Pushed at +120 s, its run starts at +124 s and is still running at +130 s.
        assert_eq!(newest_web.status, PushStatus::Triggered);
        let run = &report.pipeline("account-a", "web-deploy").unwrap().executions[0];
        assert_eq!(run.status, ExecStatus::InProgress);
        assert!(report.pushes.iter().any(|p| p.profile == "account-b" && p.status == PushStatus::Unwatched));
        assert_eq!(report.exit_code(), 1);
    }

    #[test]
    fn fake_ids_are_stable_and_distinct() {
        assert_eq!(fake_digest("web", 1), fake_digest("web", 1));
        assert_ne!(fake_digest("web", 1), fake_digest("web", 2));
        assert_eq!(fake_digest("web", 1).len(), 7 + 64);
        assert_eq!(fake_uuid("x", 1).len(), 36);
    }
}
