//! The correlated view of every profile: built once per poll result (pure), rendered by text, JSON and the TUI.

pub mod json;
pub mod stats;
pub mod text;

use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

use crate::analysis::correlate::{self, MatchedBy, PushStatus};
use crate::analysis::diagnose::{self, Finding};
use crate::model::{ExecStatus, Identity, ProfileMeta, ProfileSnapshot, Pusher, Revision, WatchedSource};

/// Everything the front ends show; serialises to the `--output json` contract.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub generated_at: Timestamp,
    pub grace_seconds: u64,
    pub profiles: Vec<ProfileReport>,
    pub pipelines: Vec<PipelineReport>,
    /// Newest first.
    pub pushes: Vec<PushReport>,
}

/// One profile: who it is polled as, or why it could not be.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileReport {
    pub name: String,
    pub region: String,
    pub identity: Option<Identity>,
    pub error: Option<String>,
    pub warnings: Vec<String>,
}

/// One pipeline with its ECR sources and recent executions (newest first).
#[derive(Debug, Clone, Serialize)]
pub struct PipelineReport {
    pub profile: String,
    pub name: String,
    pub sources: Vec<WatchedSource>,
    pub executions: Vec<ExecutionReport>,
}

/// One execution.
#[derive(Debug, Clone, Serialize)]
pub struct ExecutionReport {
    pub id: String,
    pub status: ExecStatus,
    pub trigger: String,
    pub trigger_detail: Option<String>,
    pub started_at: Timestamp,
    pub updated_at: Option<Timestamp>,
    /// Source revision ids (image digests for ECR sources).
    pub revisions: Vec<String>,
    pub status_summary: Option<String>,
    /// Full revisions, for the details popup.
    #[serde(skip)]
    pub source_revisions: Vec<Revision>,
}

/// One push with its verdict.
#[derive(Debug, Clone, Serialize)]
pub struct PushReport {
    pub profile: String,
    pub repository: String,
    pub tags: Vec<String>,
    pub digest: String,
    pub pushed_at: Timestamp,
    pub status: PushStatus,
    pub execution: Option<ExecutionRef>,
    /// Pipelines watching this push's repository and one of its tags.
    pub watched_by: Vec<String>,
    /// Who pushed it, from the repository account's CloudTrail (null when unknown).
    pub pusher: Option<Pusher>,
    /// Why it did not trigger (untriggered and pending pushes), or which tag is watched (unwatched ones).
    pub findings: Vec<Finding>,
    /// The image no longer holds its tag; `tags` is the tag CloudTrail recorded for the push.
    pub tags_from_cloudtrail: bool,
}

/// The execution a push was matched to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecutionRef {
    pub pipeline: String,
    pub id: String,
    pub matched_by: MatchedBy,
}

/// Counts of pushes by status, and of failed profiles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub untriggered: usize,
    pub pending: usize,
    pub triggered: usize,
    pub unwatched: usize,
    pub failed_profiles: usize,
}

/// Process exit codes of `--once` (documented in `--help` and README).
pub mod exit {
    /// Every profile polled; no untriggered push.
    pub const HEALTHY: u8 = 0;
    /// At least one untriggered push.
    pub const UNTRIGGERED: u8 = 1;
    /// Usage or configuration error.
    pub const USAGE: u8 = 2;
    /// At least one profile failed to poll (wins over `UNTRIGGERED`).
    pub const PROFILE_FAILED: u8 = 3;
}

impl Report {
    /// Correlates each profile's snapshot and gathers the result. `snapshots` is parallel to `metas`.
    pub fn build(metas: &[ProfileMeta], snapshots: &[&ProfileSnapshot], now: Timestamp, grace: Duration) -> Self {
        let mut profiles = Vec::with_capacity(metas.len());
        let mut pipelines = Vec::new();
        let mut pushes = Vec::new();
        for (meta, snap) in metas.iter().zip(snapshots) {
            profiles.push(ProfileReport {
                name: meta.name.clone(),
                region: meta.region.clone(),
                identity: snap.identity.clone(),
                error: snap.error_line(),
                warnings: snap.warnings.clone(),
            });
            for p in &snap.pipelines {
                pipelines.push(PipelineReport {
                    profile: meta.name.clone(),
                    name: p.name.clone(),
                    sources: p.sources.clone(),
                    executions: p
                        .executions
                        .iter()
                        .map(|e| ExecutionReport {
                            id: e.id.clone(),
                            status: e.status.clone(),
                            trigger: e.trigger.clone(),
                            trigger_detail: e.trigger_detail.clone(),
                            started_at: e.started_at,
                            updated_at: e.updated_at,
                            revisions: e.revisions.iter().map(|r| r.revision_id.clone()).collect(),
                            status_summary: e.status_summary.clone(),
                            source_revisions: e.revisions.clone(),
                        })
                        .collect(),
                });
            }
            // An image whose tag moved to a newer image is still the push of that tag: CloudTrail remembers it.
            let mut own = snap.pushes.clone();
            let mut recovered = vec![false; own.len()];
            for (push, rec) in own.iter_mut().zip(recovered.iter_mut()) {
                if push.tags.is_empty()
                    && let Some(tag) = diagnose::record_for(push, &snap.diagnostics).and_then(|r| r.tag.clone())
                {
                    push.tags = vec![tag];
                    *rec = true;
                }
            }
            let verdicts = correlate::correlate_parts(&snap.pipelines, &own, now, grace);
            for ((push, v), tags_from_cloudtrail) in own.iter().zip(verdicts).zip(recovered) {
                let record = diagnose::record_for(push, &snap.diagnostics);
                let findings = diagnose::diagnose(&diagnose::Context {
                    push,
                    status: v.status,
                    watchers: v.watchers.iter().map(|&w| &snap.pipelines[w]).collect(),
                    pipelines: &snap.pipelines,
                    diagnostics: &snap.diagnostics,
                    record,
                    grace,
                });
                pushes.push(PushReport {
                    profile: meta.name.clone(),
                    repository: push.repository.clone(),
                    tags: push.tags.clone(),
                    digest: push.digest.clone(),
                    pushed_at: push.pushed_at,
                    status: v.status,
                    execution: v.matched.map(|m| {
                        let p = &snap.pipelines[m.pipeline];
                        ExecutionRef {
                            pipeline: p.name.clone(),
                            id: p.executions[m.execution].id.clone(),
                            matched_by: m.by,
                        }
                    }),
                    watched_by: v.watchers.iter().map(|&w| snap.pipelines[w].name.clone()).collect(),
                    pusher: record.map(|r| r.pusher.clone()),
                    findings,
                    tags_from_cloudtrail,
                });
            }
        }
        // Newest first; ties keep profile order, then repository and digest for a stable order.
        pushes.sort_by(|a, b| {
            b.pushed_at
                .cmp(&a.pushed_at)
                .then_with(|| a.repository.cmp(&b.repository))
                .then_with(|| a.digest.cmp(&b.digest))
        });
        Self { generated_at: now, grace_seconds: grace.as_secs(), profiles, pipelines, pushes }
    }

    /// Pushes by status and failed profiles.
    pub fn counts(&self) -> Counts {
        let mut c =
            Counts { failed_profiles: self.profiles.iter().filter(|p| p.error.is_some()).count(), ..Counts::default() };
        for p in &self.pushes {
            match p.status {
                PushStatus::Untriggered => c.untriggered += 1,
                PushStatus::Pending => c.pending += 1,
                PushStatus::Triggered => c.triggered += 1,
                PushStatus::Unwatched => c.unwatched += 1,
            }
        }
        c
    }

    /// The `--once` exit code: 3 if a profile failed, else 1 if a push is untriggered, else 0.
    pub fn exit_code(&self) -> u8 {
        let c = self.counts();
        if c.failed_profiles > 0 {
            exit::PROFILE_FAILED
        } else if c.untriggered > 0 {
            exit::UNTRIGGERED
        } else {
            exit::HEALTHY
        }
    }

    /// The pipeline named `name` of profile `profile`.
    pub fn pipeline(&self, profile: &str, name: &str) -> Option<&PipelineReport> {
        self.pipelines.iter().find(|p| p.profile == profile && p.name == name)
    }
}

/// `sha256:0123456789ab…` → `0123456789ab` (12 hex digits), for narrow columns.
pub fn short_digest(d: &str) -> &str {
    let hex = d.split_once(':').map_or(d, |(_, h)| h);
    hex.get(..12).unwrap_or(hex)
}

/// A compact age such as `45s`, `12m`, `3h`, `2d` (negative ages, from clock skew, show as `0s`).
pub fn age(now: Timestamp, then: Timestamp) -> String {
    let s = now.duration_since(then).as_secs().max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests;
