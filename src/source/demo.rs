//! The built-in demo: a simulated pair of accounts that evolves with the clock, served through the same
//! `Source` trait as AWS so the demo exercises the real poller, correlation and rendering.
//!
//! account-a (111111111111) owns `web` and `web-deploy` (web:latest): account-b's CodeBuild assumes `ecr-push-from-ci`
//! in account-a and pushes `web:latest` every 40 s with `docker buildx` (an image index of linux/amd64 and linux/arm64
//! with a provenance attestation, then a cosign signature), each push starting a run. One push of `api:latest` was made
//! with account-b's own identity (the field report's mistake) and never started `api-deploy`. Every other cause
//! pipewatch names has one stuck pipeline: no rule (`worker`), a disabled rule hidden by a release by hand (`batch`:
//! the image was deployed, its push started nothing), a rule whose target has no role (`payments`), an image that
//! arrived by replication from account-b's registry against a rule for pushes only (`audit`), in account-b a
//! CloudTrail-style rule with no trail (`legacy`), a rule for another tag (`admin`), and one nothing explains (`jobs`);
//! `web:v1.2` carries a tag no pipeline watches. account-b's poll fails now and then (an expired session) so the
//! failure path shows too.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jiff::Timestamp;

use self::parts::{
    A, ALICE, B, Epoch, buildx, diagnostics, fake_digest, fake_uuid, image, native_rule, record, source, target,
};
use self::stuck::Stuck;
use crate::analysis::needs::Needs;
use crate::model::{
    Diagnostics, ErrorKind, ExecStatus, Execution, Identity, Image, Lookup, OCI_INDEX, Pipeline, PollError,
    ProfileMeta, ProfileSnapshot, PutImageRecord, ReplicationRule, Revision, TriggerRule,
};
use crate::source::{Explanation, PollRequest, Source};

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
        self.clock().at(secs)
    }

    fn clock(&self) -> Epoch {
        Epoch(self.epoch)
    }

    fn account_a(&self, now: Timestamp) -> ProfileSnapshot {
        let elapsed = now.duration_since(self.epoch).as_secs();
        let newest = elapsed.div_euclid(PUSH_EVERY);
        let mut web_pushes = Vec::new();
        let mut web_parts = Vec::new();
        let mut indexes = Vec::new();
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
            let (parts, index) = buildx(&digest, n, pushed, now);
            web_pushes.push(Image {
                manifest_media_type: Some(OCI_INDEX.into()),
                ..image("web", digest.clone(), tags, pushed)
            });
            web_parts.extend(parts);
            indexes.push(index);
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
        // CloudTrail: every web push was made by the role account-b's CodeBuild assumes in account-a.
        let mut records: Vec<PutImageRecord> = web_pushes
            .iter()
            .map(|p| record(p, "latest", A, Some(format!("arn:aws:sts::{A}:assumed-role/ecr-push-from-ci/codebuild"))))
            .collect();
        let mut snap = ProfileSnapshot {
            identity: Some(Identity {
                account: A.into(),
                arn: format!("arn:aws:sts::{A}:assumed-role/pipewatch-read/pipewatch"),
                user_id: "AROADEMOACCOUNTAREAD:pipewatch".into(),
            }),
            pipelines: vec![Pipeline {
                name: "web-deploy".into(),
                sources: vec![source("web", "latest")],
                executions: web_runs,
            }],
            images: web_pushes.into_iter().chain(web_parts).collect(),
            indexes,
            ..ProfileSnapshot::default()
        };
        let mut web_rule = native_rule("web", "latest", "ENABLED");
        web_rule.targets = Lookup::Done(vec![target(A, "web-deploy", true)]);
        let mut rules = vec![("web-deploy".to_string(), vec![web_rule])];

        // A release tag nobody watches.
        let hotfix = image("web", fake_digest("web-hotfix", 0), vec!["v1.2".into()], self.at(-25 * 60));
        records.push(record(&hotfix, "v1.2", A, Some(format!("arn:aws:sts::{A}:assumed-role/release/alice"))));
        snap.images.push(hotfix);

        // The field report's push: api:latest from account-b's own identity, 12 minutes before the epoch.
        self.clock().stuck(
            &mut snap,
            &mut records,
            &mut rules,
            Stuck {
                repo: "api",
                watched_tag: "latest",
                pushed: -12 * 60,
                pusher: (B, None),
                rules: vec![native_rule("api", "latest", "ENABLED")],
                runs: vec![self.clock().run("api-run", -3 * 3600, ExecStatus::Succeeded, Some(fake_digest("api", -1)))],
                released_by: None,
            },
        );
        // No rule targets worker-deploy.
        self.clock().stuck(
            &mut snap,
            &mut records,
            &mut rules,
            Stuck {
                repo: "worker",
                watched_tag: "latest",
                pushed: -30 * 60,
                pusher: (A, Some("ecr-push-from-ci")),
                rules: vec![],
                runs: vec![],
                released_by: None,
            },
        );
        // batch-deploy's rule was disabled during an incident and never switched back on; alice released the push by
        // hand ten minutes later, so the image runs and only pipewatch says the trigger is broken.
        self.clock().stuck(
            &mut snap,
            &mut records,
            &mut rules,
            Stuck {
                repo: "batch",
                watched_tag: "latest",
                pushed: -45 * 60,
                pusher: (A, Some("ecr-push-from-ci")),
                rules: vec![native_rule("batch", "latest", "DISABLED")],
                runs: vec![],
                released_by: Some((ALICE, 10 * 60)),
            },
        );
        // payments-deploy's rule was made by hand: `put-targets` without a role.
        self.clock().stuck(
            &mut snap,
            &mut records,
            &mut rules,
            Stuck {
                repo: "payments",
                watched_tag: "latest",
                pushed: -40 * 60,
                pusher: (A, Some("ecr-push-from-ci")),
                rules: vec![native_rule("payments", "latest", "ENABLED")],
                runs: vec![],
                released_by: None,
            },
        );
        if let Some(Lookup::Done(targets)) = rules.last_mut().and_then(|(_, r)| r.first_mut()).map(|r| &mut r.targets) {
            targets[0].role_arn = None;
            targets[0].may_start = Lookup::Skipped("the target names no role".into());
        }
        // audit images arrive by replication from account-b's registry; audit-deploy's rule matches pushes only.
        self.clock().stuck(
            &mut snap,
            &mut records,
            &mut rules,
            Stuck {
                repo: "audit",
                watched_tag: "latest",
                pushed: AUDIT_PUSHED + 3,
                pusher: (A, None),
                rules: vec![native_rule("audit", "latest", "ENABLED")],
                runs: vec![],
                released_by: None,
            },
        );
        // Whether replication writes a PutImage record in the destination is not documented: the demo shows none.
        records.pop();
        snap.diagnostics = diagnostics(records, rules, now);
        snap.diagnostics.other_rules = Lookup::Done(Vec::new());
        snap.diagnostics.replication = Lookup::Done(Vec::new());
        snap
    }

    fn account_b(&self, now: Timestamp) -> ProfileSnapshot {
        let elapsed = now.duration_since(self.epoch).as_secs();
        let newest = elapsed.div_euclid(600);
        let pushes: Vec<Image> = (newest - 5..=newest)
            .rev()
            .map(|n| {
                let tags = if n == newest { vec!["latest".into()] } else { Vec::new() };
                image("ci-tools", fake_digest("ci-tools", n), tags, self.at(n * 600 - 30))
            })
            .filter(|p| p.pushed_at <= now)
            .collect();
        let mut records: Vec<PutImageRecord> = pushes
            .iter()
            .map(|p| record(p, "latest", B, Some(format!("arn:aws:sts::{B}:assumed-role/codebuild-ci/build"))))
            .collect();
        let mut snap = ProfileSnapshot {
            identity: Some(Identity {
                account: B.into(),
                arn: format!("arn:aws:sts::{B}:assumed-role/pipewatch-read/pipewatch"),
                user_id: "AROADEMOACCOUNTBREAD:pipewatch".into(),
            }),
            images: pushes,
            ..ProfileSnapshot::default()
        };
        let mut rules = Vec::new();
        // A rule from the days when ECR events came only through CloudTrail.
        let legacy = r#"{"source":["aws.ecr"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["ecr.amazonaws.com"],"eventName":["PutImage"],"requestParameters":{"repositoryName":["legacy"],"imageTag":["latest"]}}}"#;
        self.clock().stuck(
            &mut snap,
            &mut records,
            &mut rules,
            Stuck {
                repo: "legacy",
                watched_tag: "latest",
                pushed: -50 * 60,
                pusher: (B, Some("codebuild-ci")),
                rules: vec![TriggerRule {
                    name: "legacy-ecr-put".into(),
                    state: "ENABLED".into(),
                    pattern: Some(legacy.into()),
                    ..TriggerRule::default()
                }],
                runs: vec![],
                released_by: None,
            },
        );
        // admin-deploy watches admin:prod but its rule still says image-tag latest.
        self.clock().stuck(
            &mut snap,
            &mut records,
            &mut rules,
            Stuck {
                repo: "admin",
                watched_tag: "prod",
                pushed: -35 * 60,
                pusher: (B, Some("codebuild-ci")),
                rules: vec![native_rule("admin", "latest", "ENABLED")],
                runs: vec![],
                released_by: None,
            },
        );
        // Everything checks out, yet nothing ran.
        self.clock().stuck(
            &mut snap,
            &mut records,
            &mut rules,
            Stuck {
                repo: "jobs",
                watched_tag: "latest",
                pushed: -55 * 60,
                pusher: (B, Some("codebuild-ci")),
                rules: vec![native_rule("jobs", "latest", "ENABLED")],
                runs: vec![],
                released_by: None,
            },
        );
        // The source of account-a's audit images: pushed here, replicated to account-a.
        let audit = image("audit", fake_digest("audit", 0), vec!["latest".into()], self.at(AUDIT_PUSHED));
        records.push(record(&audit, "latest", B, Some(format!("arn:aws:sts::{B}:assumed-role/codebuild-ci/build"))));
        snap.images.push(audit);
        snap.diagnostics = diagnostics(records, rules, now);
        snap.diagnostics.trails = Lookup::Done(Vec::new());
        snap.diagnostics.replication = Lookup::Done(vec![ReplicationRule {
            destinations: vec![("ap-northeast-1".into(), A.into())],
            prefixes: vec!["audit".into()],
        }]);
        snap
    }
}

/// When account-b pushed the audit image that its registry replicated to account-a (seconds from the epoch).
const AUDIT_PUSHED: i64 = -14 * 60;

impl Source for DemoSource {
    fn profiles(&self) -> &[ProfileMeta] {
        &self.metas
    }

    async fn poll(&self, index: usize, req: PollRequest) -> ProfileSnapshot {
        let n = self.polls[index.min(1)].fetch_add(1, Ordering::Relaxed);
        // A little latency, as a real account would have.
        tokio::time::sleep(Duration::from_millis(150 + 100 * index as u64)).await;
        if self.failures && index == 1 && n % FAIL_EVERY == FAIL_EVERY - 1 {
            return ProfileSnapshot::failed(PollError::of_call(
                "sts:GetCallerIdentity",
                ErrorKind::ExpiredCredentials,
                "ExpiredTokenException: The security token included in the request is expired",
            ));
        }
        let mut snap = self.snapshot(index, req.now);
        // What explains the pushes comes in the explain step; the registry's replication is the core read's.
        snap.diagnostics =
            Diagnostics { replication: std::mem::take(&mut snap.diagnostics.replication), ..Diagnostics::default() };
        let since = req.since();
        snap.images.retain(|i| i.pushed_at >= since);
        for p in &mut snap.pipelines {
            p.executions.retain(|e| e.started_at >= since);
        }
        snap
    }

    /// The story's CloudTrail records and rules, whatever was asked: the demo's accounts always have pushes to
    /// explain, and its records are few.
    async fn explain(
        &self,
        index: usize,
        req: PollRequest,
        _snapshot: &ProfileSnapshot,
        _needs: &Needs,
        _budget: Duration,
    ) -> Explanation {
        Explanation { diagnostics: self.snapshot(index, req.now).diagnostics, ..Explanation::default() }
    }
}

mod parts;
mod stuck;

#[cfg(test)]
mod tests;
