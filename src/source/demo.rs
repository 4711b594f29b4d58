//! The built-in demo: a simulated pair of accounts that evolves with the clock, served through the same
//! `Source` trait as AWS so the demo exercises the real poller, correlation and rendering.
//!
//! account-a (111111111111) owns `web` and `web-deploy` (web:latest): account-b's CodeBuild assumes `ecr-push-from-ci`
//! in account-a and pushes `web:latest` every 40 s with `docker buildx` (an image index of linux/amd64 and linux/arm64
//! with a provenance attestation, then a cosign signature), each push starting a run. One push of `api:latest` was made
//! with account-b's own identity (the field report's mistake) and never started `api-deploy`. Every other cause
//! pipewatch names has one stuck pipeline: no rule (`worker`), a disabled rule (`batch`), a rule whose target has no
//! role (`payments`), an image that arrived by replication from account-b's registry against a rule for pushes only
//! (`audit`), in account-b a CloudTrail-style rule with no trail (`legacy`), a rule for another tag (`admin`), a run
//! that absorbed the push (`report`), and one nothing explains (`jobs`); `web:v1.2` carries a tag no pipeline
//! watches. account-b's poll fails now and then (an expired session) so the failure path shows too.

use std::sync::atomic::{AtomicUsize, Ordering};

use jiff::{SignedDuration, Timestamp};

use crate::model::{
    CloudTrailRead, DOCKER_MANIFEST, Diagnostics, ErrorKind, ExecStatus, Execution, FailedInvocations, Identity, Image,
    IndexEntry, IndexManifest, Lookup, OCI_INDEX, OCI_MANIFEST, Pipeline, PollError, ProfileMeta, ProfileSnapshot,
    Pusher, PutImageRecord, ReplicationRule, Revision, RolePermission, RuleTarget, TriggerRule, WatchedSource,
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
        self.stuck(
            &mut snap,
            &mut records,
            &mut rules,
            Stuck {
                repo: "api",
                watched_tag: "latest",
                pushed: -12 * 60,
                pusher: (B, None),
                rules: vec![native_rule("api", "latest", "ENABLED")],
                runs: vec![self.run("api-run", -3 * 3600, ExecStatus::Succeeded, Some(fake_digest("api", -1)))],
            },
        );
        // No rule targets worker-deploy.
        self.stuck(
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
            },
        );
        // batch-deploy's rule was disabled during an incident and never switched back on.
        self.stuck(
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
            },
        );
        // payments-deploy's rule was made by hand: `put-targets` without a role.
        self.stuck(
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
            },
        );
        if let Some(Lookup::Done(targets)) = rules.last_mut().and_then(|(_, r)| r.first_mut()).map(|r| &mut r.targets) {
            targets[0].role_arn = None;
            targets[0].may_start = Lookup::Skipped("the target names no role".into());
        }
        // audit images arrive by replication from account-b's registry; audit-deploy's rule matches pushes only.
        self.stuck(
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
        self.stuck(
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
            },
        );
        // admin-deploy watches admin:prod but its rule still says image-tag latest.
        self.stuck(
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
            },
        );
        // A long run of report-build was still going when the push arrived.
        self.stuck(
            &mut snap,
            &mut records,
            &mut rules,
            Stuck {
                repo: "report",
                watched_tag: "latest",
                pushed: -20 * 60,
                pusher: (B, Some("codebuild-ci")),
                rules: vec![native_rule("report", "latest", "ENABLED")],
                runs: vec![self.run("report-run", -40 * 60, ExecStatus::InProgress, Some(fake_digest("report", -1)))],
            },
        );
        // Everything checks out, yet nothing ran.
        self.stuck(
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

    /// Adds a pipeline `<repo>-deploy` watching `repo:watched_tag`, and one push of that tag that started nothing.
    fn stuck(
        &self,
        snap: &mut ProfileSnapshot,
        records: &mut Vec<PutImageRecord>,
        rules: &mut Vec<(String, Vec<TriggerRule>)>,
        st: Stuck,
    ) {
        let name = format!("{}-deploy", st.repo);
        let push = image(st.repo, fake_digest(st.repo, 0), vec![st.watched_tag.into()], self.at(st.pushed));
        let (account, role) = st.pusher;
        let recipient = snap.identity.as_ref().map_or(A, |i| i.account.as_str()).to_string();
        let arn = role.map(|r| format!("arn:aws:sts::{account}:assumed-role/{r}/build"));
        let mut rec = record(&push, st.watched_tag, &recipient, arn);
        rec.pusher.account = account.into();
        if role.is_none() {
            rec.pusher.identity_type = "AWSAccount".into();
            rec.pusher.principal_id = Some("AIDADEMOACCOUNTBPUSH".into());
        }
        rec.pusher.cross_account = account != recipient;
        records.push(rec);
        snap.pipelines.push(Pipeline {
            name: name.clone(),
            sources: vec![source(st.repo, st.watched_tag)],
            executions: st.runs,
        });
        snap.images.push(push);
        // Each rule targets its pipeline with a role allowed to start it, unless the story says otherwise.
        let mut st_rules = st.rules;
        for r in &mut st_rules {
            r.targets = Lookup::Done(vec![target(&recipient, &name, true)]);
        }
        rules.push((name, st_rules));
    }

    /// A finished or running execution started at `start` (seconds from the epoch).
    fn run(&self, kind: &str, start: i64, status: ExecStatus, digest: Option<String>) -> Execution {
        Execution {
            id: fake_uuid(kind, start),
            status,
            trigger: "CloudWatchEvent".into(),
            trigger_detail: Some(format!("arn:aws:events:ap-northeast-1:{A}:rule/{kind}")),
            started_at: self.at(start),
            updated_at: Some(self.at(start + 90)),
            revisions: digest
                .map(|d| vec![Revision { action: "Source".into(), revision_id: d, summary: None }])
                .unwrap_or_default(),
            status_summary: None,
        }
    }
}

const A: &str = "111111111111";
const B: &str = "222222222222";
/// When account-b pushed the audit image that its registry replicated to account-a (seconds from the epoch).
const AUDIT_PUSHED: i64 = -14 * 60;

/// One stuck pipeline of the demo.
struct Stuck {
    repo: &'static str,
    watched_tag: &'static str,
    /// Seconds from the epoch.
    pushed: i64,
    /// The pusher's account and, for an assumed role, the role name (`None`: the account itself).
    pusher: (&'static str, Option<&'static str>),
    rules: Vec<TriggerRule>,
    runs: Vec<Execution>,
}

fn record(push: &Image, tag: &str, account: &str, arn: Option<String>) -> PutImageRecord {
    PutImageRecord {
        event_id: format!("demo-{}", push.digest),
        event_time: push.pushed_at,
        repository: push.repository.clone(),
        tag: Some(tag.to_string()),
        digest: Some(push.digest.clone()),
        recipient_account: Some(account.into()),
        pusher: Pusher {
            arn,
            account: account.into(),
            identity_type: "AssumedRole".into(),
            principal_id: None,
            cross_account: false,
        },
    }
}

/// What `docker buildx` pushes besides the tagged index `digest` of web build `n` (pushed at `pushed`): the
/// linux/amd64 and linux/arm64 images and the provenance attestation of the amd64 one, untagged, a second before the
/// index; then, 2 s after it, the cosign signature of the index (once `now` has come). And what the index lists.
fn buildx(digest: &str, n: i64, pushed: Timestamp, now: Timestamp) -> (Vec<Image>, IndexManifest) {
    let before = pushed.saturating_sub(SignedDuration::from_secs(1)).unwrap_or(pushed);
    let oci = |digest: String, tags: Vec<String>, at| Image {
        manifest_media_type: Some(OCI_MANIFEST.into()),
        artifact_media_type: Some("application/vnd.oci.image.config.v1+json".into()),
        ..image("web", digest, tags, at)
    };
    let (amd64, arm64, attestation) =
        (fake_digest("web-amd64", n), fake_digest("web-arm64", n), fake_digest("web-attestation", n));
    let mut parts = vec![oci(amd64.clone(), vec![], before), oci(arm64.clone(), vec![], before)];
    parts.push(oci(attestation.clone(), vec![], before));
    let signed = pushed.saturating_add(SignedDuration::from_secs(2)).unwrap_or(pushed);
    if signed <= now {
        let tag = format!("{}.sig", digest.replacen(':', "-", 1));
        parts.push(oci(fake_digest("web-signature", n), vec![tag], signed));
    }
    let platform = |digest: String, platform: &str| IndexEntry {
        digest,
        media_type: Some(OCI_MANIFEST.into()),
        platform: Some(platform.into()),
        ..IndexEntry::default()
    };
    let entries = vec![
        platform(amd64.clone(), "linux/amd64"),
        platform(arm64, "linux/arm64"),
        IndexEntry {
            digest: attestation,
            media_type: Some(OCI_MANIFEST.into()),
            platform: Some("unknown/unknown".into()),
            reference_type: Some("attestation-manifest".into()),
            reference_digest: Some(amd64),
        },
    ];
    (parts, IndexManifest { repository: "web".into(), digest: digest.to_string(), entries })
}

/// A single-platform image of `repo`.
fn image(repo: &str, digest: String, tags: Vec<String>, pushed_at: Timestamp) -> Image {
    Image {
        repository: repo.into(),
        digest,
        tags,
        pushed_at,
        manifest_media_type: Some(DOCKER_MANIFEST.into()),
        artifact_media_type: Some("application/vnd.docker.container.image.v1+json".into()),
        subject: None,
    }
}

fn native_rule(repo: &str, tag: &str, state: &str) -> TriggerRule {
    TriggerRule {
        name: format!("codepipeline-{repo}-{tag}-rule"),
        state: state.into(),
        pattern: Some(format!(
            r#"{{"source":["aws.ecr"],"detail-type":["ECR Image Action"],"detail":{{"action-type":["PUSH"],"result":["SUCCESS"],"repository-name":["{repo}"],"image-tag":["{tag}"]}}}}"#
        )),
        ..TriggerRule::default()
    }
}

/// The target of the console's rule for `pipeline` of `account`, with the console's role when `role`.
fn target(account: &str, pipeline: &str, role: bool) -> RuleTarget {
    RuleTarget {
        id: format!("codepipeline-{pipeline}"),
        arn: format!("arn:aws:codepipeline:ap-northeast-1:{account}:{pipeline}"),
        role_arn: role.then(|| format!("arn:aws:iam::{account}:role/service-role/cwe-role-ap-northeast-1-{pipeline}")),
        digest_override: None,
        may_start: Lookup::Done(RolePermission::Allowed),
    }
}

fn diagnostics(records: Vec<PutImageRecord>, rules: Vec<(String, Vec<TriggerRule>)>, now: Timestamp) -> Diagnostics {
    // CloudTrail delivers about 5 minutes late: the newest pushes have no record yet.
    let delivered = now.saturating_sub(SignedDuration::from_secs(300)).unwrap_or(now);
    // No rule failed an invocation in the last day: EventBridge sends no datapoint.
    let mut names: Vec<String> = rules.iter().flat_map(|(_, r)| r.iter().map(|r| r.name.clone())).collect();
    names.dedup();
    let failed_invocations = FailedInvocations {
        from: now.saturating_sub(SignedDuration::from_hours(24)).unwrap_or(now),
        until: now,
        period: std::time::Duration::from_secs(60),
        by_rule: names.into_iter().map(|n| (n, Vec::new())).collect(),
    };
    Diagnostics {
        failed_invocations: Lookup::Done(failed_invocations),
        put_images: Lookup::Done(CloudTrailRead {
            records: records.into_iter().filter(|r| r.event_time <= delivered).collect(),
            read_until: now,
        }),
        rules: Lookup::Done(rules),
        ..Diagnostics::default()
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
            return ProfileSnapshot::failed(PollError::of_call(
                "sts:GetCallerIdentity",
                ErrorKind::ExpiredCredentials,
                "ExpiredTokenException: The security token included in the request is expired",
            ));
        }
        let mut snap = self.snapshot(index, req.now);
        let since = req.since();
        snap.images.retain(|i| i.pushed_at >= since);
        for p in &mut snap.pipelines {
            p.executions.retain(|e| e.started_at >= since);
        }
        snap
    }
}

fn source(repo: &str, tag: &str) -> WatchedSource {
    WatchedSource { action: "Source".into(), repository: repo.into(), tag: tag.into() }
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
mod tests;
