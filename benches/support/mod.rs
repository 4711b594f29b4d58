//! Synthetic snapshots for the benchmarks: deterministic, shaped like a busy account.
//!
//! Shape: seven repositories, six pipelines watching five of them (one pipeline has two ECR sources), two
//! repositories nobody watches. Pushes arrive every 1–6 s; executions are spread over the same period:
//! about half carry the pushed digest, a third carry no ECR revision (time-matched), the rest are re-runs of
//! older digests or runs whose revision matches nothing. Every push keeps a watched tag (ECR would move it to
//! the newest image): the worst case for correlation, where every push goes through both matching passes.

use jiff::{SignedDuration, Timestamp};
use pipewatch::model::{
    ExecStatus, Execution, Identity, Image, Pipeline, ProfileMeta, ProfileSnapshot, Revision, WatchedSource,
};

/// Start of the synthetic timeline (2025-11-24).
const T0: i64 = 1_764_000_000;

/// `(repository, weight)`: how often each repository is pushed to.
const REPOS: &[(&str, u64)] =
    &[("web", 30), ("api", 25), ("worker", 15), ("batch", 10), ("auth", 8), ("tools", 7), ("base", 5)];

/// An ECR source action: `(action, repository, tag)`.
type Source = (&'static str, &'static str, &'static str);

/// `(pipeline, its ECR sources)`.
const PIPELINES: &[(&str, &[Source])] = &[
    ("web-deploy", &[("Image", "web", "latest")]),
    ("api-deploy", &[("Image", "api", "latest")]),
    ("worker-deploy", &[("Image", "worker", "release")]),
    ("platform-release", &[("ApiImage", "api", "release"), ("WorkerImage", "worker", "latest")]),
    ("batch-nightly", &[("Image", "batch", "latest")]),
    ("auth-deploy", &[("Image", "auth", "main")]),
];

/// Tags a push may hold besides its unique build tag.
const TAGS: &[&str] = &["latest", "release", "main"];

/// splitmix64: small, fast, deterministic; no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo) as u64) as i64
    }

    /// True with probability `pct` percent.
    pub fn pct(&mut self, pct: u64) -> bool {
        self.next_u64() % 100 < pct
    }

    /// `n` lowercase hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            let x = self.next_u64();
            for i in 0..16 {
                if s.len() == n {
                    break;
                }
                s.push(char::from_digit(((x >> (i * 4)) & 0xf) as u32, 16).unwrap_or('0'));
            }
        }
        s
    }
}

fn ts(second: i64) -> Timestamp {
    Timestamp::from_second(second).expect("synthetic timestamps are in range")
}

fn pick_repo(rng: &mut Rng) -> &'static str {
    let total: u64 = REPOS.iter().map(|r| r.1).sum();
    let mut x = rng.next_u64() % total;
    for &(name, w) in REPOS {
        if x < w {
            return name;
        }
        x -= w;
    }
    REPOS[0].0
}

/// Pipelines (with sources, no executions yet) of the synthetic account.
fn pipelines() -> Vec<Pipeline> {
    PIPELINES
        .iter()
        .map(|(name, sources)| Pipeline {
            name: (*name).to_string(),
            sources: sources
                .iter()
                .map(|(action, repo, tag)| WatchedSource {
                    action: (*action).to_string(),
                    repository: (*repo).to_string(),
                    tag: (*tag).to_string(),
                })
                .collect(),
            executions: Vec::new(),
        })
        .collect()
}

fn execution(rng: &mut Rng, account: &str, pipeline: &str, started: i64, revisions: Vec<Revision>) -> Execution {
    let manual = revisions.is_empty();
    Execution {
        id: format!("{}-{}-{}-{}-{}", rng.hex(8), rng.hex(4), rng.hex(4), rng.hex(4), rng.hex(12)),
        status: if rng.pct(90) { ExecStatus::Succeeded } else { ExecStatus::Failed },
        trigger: if manual { "StartPipelineExecution" } else { "CloudWatchEvent" }.to_string(),
        trigger_detail: Some(if manual {
            format!("arn:aws:sts::{account}:assumed-role/deployer/session")
        } else {
            format!("arn:aws:events:ap-northeast-1:{account}:rule/{pipeline}-ecr")
        }),
        started_at: ts(started),
        updated_at: Some(ts(started + rng.range(60, 900))),
        revisions,
        status_summary: None,
    }
}

/// One account's snapshot with `n_pushes` pushes and `n_execs` executions over the same period.
pub fn snapshot(n_pushes: usize, n_execs: usize, seed: u64) -> ProfileSnapshot {
    let account = format!("{:012}", 111_111_111_111u64 * (seed % 9 + 1));
    let mut rng = Rng::new(seed);
    let mut pipes = pipelines();

    let mut t = T0;
    let pushes: Vec<Image> = (0..n_pushes)
        .map(|i| {
            t += rng.range(1, 7);
            let repo = pick_repo(&mut rng);
            let mut tags = vec![format!("build-{i}")];
            if rng.pct(90) {
                tags.push(TAGS[rng.next_u64() as usize % TAGS.len()].to_string());
            }
            tags.sort();
            Image {
                repository: repo.to_string(),
                digest: format!("sha256:{}", rng.hex(64)),
                tags,
                pushed_at: ts(t),
                ..Image::default()
            }
        })
        .collect();

    // Executions, each tied to a push spread over the timeline.
    let watchers = |push: &Image| -> Vec<(usize, usize)> {
        let mut w = Vec::new();
        for (p, (_, sources)) in PIPELINES.iter().enumerate() {
            for (s, (_, repo, tag)) in sources.iter().enumerate() {
                if *repo == push.repository && push.tags.iter().any(|t| t == tag) {
                    w.push((p, s));
                }
            }
        }
        w
    };
    for k in 0..n_execs {
        let i = if n_pushes == 0 { 0 } else { k * n_pushes / n_execs.max(1) };
        let Some(push) = pushes.get(i) else { break };
        let at = push.pushed_at.as_second();
        let w = watchers(push);
        let (p, s) = match w.as_slice() {
            [] => (rng.next_u64() as usize % pipes.len(), 0),
            w => w[rng.next_u64() as usize % w.len()],
        };
        let action = PIPELINES[p].1[s].0.to_string();
        let roll = rng.next_u64() % 100;
        let (started, revisions) = if w.is_empty() || roll >= 92 {
            // A run whose ECR revision matches no push (an image older than the lookback, another account's).
            let rev = Revision { action, revision_id: format!("sha256:{}", rng.hex(64)), summary: None };
            (at + rng.range(-600, 600), vec![rev])
        } else if roll < 50 {
            // Started by the push's event: carries its digest (plus a commit for a second, non-ECR source).
            let mut revs = vec![Revision { action, revision_id: push.digest.clone(), summary: None }];
            if rng.pct(30) {
                revs.push(Revision {
                    action: "Config".into(),
                    revision_id: rng.hex(40),
                    summary: Some("Merge pull request #42 from team/feature".into()),
                });
            }
            (at + rng.range(2, 90), revs)
        } else if roll < 85 {
            // Started by hand or by an older trigger: no ECR revision, time-matched.
            (at + rng.range(-3, 240), Vec::new())
        } else {
            // A re-run of an older push's digest.
            let j = rng.range(0, i as i64 + 1) as usize;
            let rev = Revision { action, revision_id: pushes[j].digest.clone(), summary: None };
            (at + rng.range(60, 3600), vec![rev])
        };
        let name = PIPELINES[p].0;
        pipes[p].executions.push(execution(&mut rng, &account, name, started, revisions));
    }
    for p in &mut pipes {
        // Newest first, as ListPipelineExecutions returns them.
        p.executions.sort_by_key(|e| std::cmp::Reverse(e.started_at));
    }

    ProfileSnapshot {
        identity: Some(Identity {
            account: account.clone(),
            arn: format!("arn:aws:sts::{account}:assumed-role/pipewatch-read/pipewatch"),
            user_id: "AROAEXAMPLEROLEID:pipewatch".into(),
        }),
        pipelines: pipes,
        images: pushes,
        ..ProfileSnapshot::default()
    }
}

/// A moment just after the snapshot's last push, so the newest pushes are still pending.
pub fn now_after(snap: &ProfileSnapshot) -> Timestamp {
    let last = snap.images.iter().map(|p| p.pushed_at).max().unwrap_or(ts(T0));
    last.saturating_add(SignedDuration::from_secs(120)).expect("in range")
}

/// `profiles` accounts sharing `n_pushes` pushes and as many executions.
pub fn accounts(profiles: usize, n_pushes: usize) -> (Vec<ProfileMeta>, Vec<ProfileSnapshot>) {
    let per = n_pushes / profiles;
    let metas =
        (0..profiles).map(|i| ProfileMeta { name: format!("account-{i}"), region: "ap-northeast-1".into() }).collect();
    let snaps = (0..profiles)
        .map(|i| {
            let n = if i + 1 == profiles { n_pushes - per * (profiles - 1) } else { per };
            snapshot(n, n, 7 + i as u64)
        })
        .collect();
    (metas, snaps)
}
