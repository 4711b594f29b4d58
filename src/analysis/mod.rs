//! The analysis layer: from the profiles' snapshots to the one view every front end renders.
//!
//! Pure code (no I/O, no clock: callers pass `now`). For each profile: the images are grouped into the pushes people
//! made ([`pushes`]), the CloudTrail records are indexed once ([`trail`]), a push whose tag moved on gets that tag
//! back from its record, pushes are correlated with runs ([`correlate`]) and the ones that did not trigger are
//! diagnosed ([`diagnose`]). The text and JSON reports, the dashboard and the metrics render the resulting
//! [`Analysis`]; none of them analyses anything itself.
//!
//! Each snapshot is of one region: a profile that polls several regions gives one snapshot (and one
//! [`ProfileMeta`]) per region, with the same name (`source::aws::session` says why). So correlation, diagnosis
//! and the chain, made snapshot by snapshot, never mix regions: a push in eu-west-1 is only ever matched with
//! eu-west-1's runs. Pipelines and pushes carry their region; only replication looks across snapshots, as it should.

pub mod chain;
pub mod correlate;
pub mod diagnose;
pub mod evidence;
pub mod finding;
pub mod hop;
pub mod needs;
pub mod pattern;
pub mod pushes;
pub mod replication;
pub mod trail;
pub mod walk;

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use self::chain::Hop;
use self::correlate::{Match, MatchedBy, PushStatus};
use self::diagnose::{Evidence, Finding};
use self::evidence::Deployment;
use self::replication::Registries;
use self::trail::TrailIndex;
use crate::model::{
    ExecStatus, Execution, Identity, ImagePush, Pipeline, ProfileMeta, ProfileSnapshot, Pusher, WatchedSource,
};

/// Everything the front ends show about every profile at one moment.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The moment the analysis was made (the `now` it was given).
    pub generated_at: Timestamp,
    /// How long a watched push may wait for its run.
    pub grace: Duration,
    /// In profile order.
    pub profiles: Vec<ProfileOutcome>,
    /// Profile by profile, each in the order its source listed them.
    pub pipelines: Vec<PipelineHistory>,
    /// Newest first.
    pub pushes: Vec<PushVerdict>,
}

/// How polling one profile in one region went: who it was polled as, or why it could not be. A profile that polls
/// several regions has one outcome per region (the same name, each with its region), in the order of its `regions`.
#[derive(Debug, Clone)]
pub struct ProfileOutcome {
    pub name: String,
    pub region: String,
    pub identity: Option<Identity>,
    /// The poll's errors as one line for people; `None` when it succeeded.
    pub error: Option<String>,
    /// Problems that do not fail the profile (an enrichment lookup refused, a repository gone).
    pub warnings: Vec<String>,
}

/// One pipeline with its ECR sources and its recent executions (newest first).
#[derive(Debug, Clone)]
pub struct PipelineHistory {
    pub profile: String,
    /// The region of the profile it is in (a profile may poll several).
    pub region: String,
    pub name: String,
    pub sources: Vec<WatchedSource>,
    pub executions: Vec<Execution>,
    /// Why the pipeline shows the data of an earlier poll (a call for it failed this time); `None` when fresh.
    pub stale: Option<String>,
}

/// One push and what became of it.
#[derive(Debug, Clone)]
pub struct PushVerdict {
    pub profile: String,
    /// The region of the registry it was pushed to; it is correlated only with that region's pipelines.
    pub region: String,
    /// The push, with the tags CloudTrail recorded that the image no longer holds (`recovered_tags`) after its own.
    pub push: ImagePush,
    pub status: PushStatus,
    /// The execution the push was matched to (a run its push could have started).
    pub execution: Option<MatchedExecution>,
    /// For a push without a match: the run started another way (by hand, by another source, a rollback) that
    /// deployed its image anyway ([`correlate::Verdict::deployed_by`]).
    pub deployed_by: Option<MatchedExecution>,
    /// Pipelines watching the push's repository and one of its tags.
    pub watched_by: Vec<String>,
    /// Who pushed it, from the repository account's CloudTrail.
    pub pusher: Option<Pusher>,
    /// Why it did not trigger (untriggered and pending pushes), or which tag is watched (unwatched ones).
    pub findings: Vec<Finding>,
    /// The image no longer holds a tag it was pushed with; `push.tags` ends with the tags of its CloudTrail records
    /// that moved on (`recovered_tags`).
    pub tags_from_cloudtrail: bool,
    /// The tags of `push.tags` that come from CloudTrail, not from the image (empty unless `tags_from_cloudtrail`).
    pub recovered_tags: Vec<String>,
    /// Push → event → rule → target → run towards the first watching pipeline (empty when nothing watches it).
    pub chain: Vec<Hop>,
}

/// The execution a push was matched to, or that deployed its image without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedExecution {
    pub pipeline: String,
    pub id: String,
    pub matched_by: MatchedBy,
    /// The run's own status (a push whose run was later `Superseded` or `Failed` still triggered it).
    pub status: ExecStatus,
    /// What started the run (`trigger.triggerType`: `CloudWatchEvent`, `StartPipelineExecution`, …).
    pub trigger: String,
    /// Who or what started it (`trigger.triggerDetail`: the rule's ARN for an event, the caller's for a release).
    pub started_by: Option<String>,
}

impl MatchedExecution {
    fn of(p: &Pipeline, m: Match) -> Self {
        let e = &p.executions[m.execution];
        Self {
            pipeline: p.name.clone(),
            id: e.id.clone(),
            matched_by: m.by,
            status: e.status.clone(),
            trigger: e.trigger.clone(),
            started_by: e.trigger_detail.clone(),
        }
    }
}

/// Pushes by status, and failed profiles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub untriggered: usize,
    pub pending: usize,
    pub triggered: usize,
    pub unwatched: usize,
    pub failed_profiles: usize,
}

impl Analysis {
    /// Analyses each profile's snapshot at `now`; `snapshots` is parallel to `metas`.
    pub fn new(metas: &[ProfileMeta], snapshots: &[&ProfileSnapshot], now: Timestamp, grace: Duration) -> Self {
        let mut analysis =
            Self { generated_at: now, grace, profiles: Vec::new(), pipelines: Vec::new(), pushes: Vec::new() };
        // Replication is seen from its source: every profile's registry is indexed before any push is judged.
        let registries = Registries::new(metas, snapshots);
        for (index, (meta, snap)) in metas.iter().zip(snapshots).enumerate() {
            analysis.add_profile(meta, snap, &registries, index);
        }
        // Newest first; ties keep profile order, then repository and digest for a stable order.
        analysis.pushes.sort_by(|a, b| {
            b.push
                .pushed_at
                .cmp(&a.push.pushed_at)
                .then_with(|| a.push.repository.cmp(&b.push.repository))
                .then_with(|| a.push.digest.cmp(&b.push.digest))
        });
        analysis
    }

    fn add_profile(&mut self, meta: &ProfileMeta, snap: &ProfileSnapshot, registries: &Registries<'_>, index: usize) {
        self.profiles.push(ProfileOutcome {
            name: meta.name.clone(),
            region: meta.region.clone(),
            identity: snap.identity.clone(),
            error: snap.error_line(),
            warnings: snap.warnings.clone(),
        });
        self.pipelines.extend(snap.pipelines.iter().map(|p| PipelineHistory {
            profile: meta.name.clone(),
            region: meta.region.clone(),
            name: p.name.clone(),
            sources: p.sources.clone(),
            executions: p.executions.clone(),
            stale: snap.stale_pipelines.iter().find(|s| s.pipeline == p.name).map(|s| s.reason.clone()),
        }));

        let trail = TrailIndex::new(&snap.diagnostics);
        // An image whose tag moved to a newer image is still the push of that tag: CloudTrail remembers it, also
        // when the image kept another tag (`:latest` + `:<sha>`, and latest moved on).
        let mut pushes = pushes::group(&snap.images, &snap.indexes);
        let records: Vec<_> = pushes.iter().map(|p| trail.record_for(p)).collect();
        let recovered: Vec<Vec<String>> = pushes
            .iter_mut()
            .map(|push| {
                let moved: Vec<String> = trail.moved_tags(push).into_iter().map(str::to_string).collect();
                push.tags.extend(moved.iter().cloned());
                moved
            })
            .collect();

        let verdicts = correlate::correlate_parts(&snap.pipelines, &pushes, self.generated_at, self.grace);
        for (((push, verdict), record), recovered_tags) in pushes.into_iter().zip(verdicts).zip(records).zip(recovered)
        {
            let matched = verdict.matched.map(|m| (&snap.pipelines[m.pipeline], m));
            let deployed_by = verdict.deployed_by.map(|m| (&snap.pipelines[m.pipeline], m));
            let arrival = match verdict.status {
                PushStatus::Untriggered | PushStatus::Pending => registries.arrival(index, &push, record),
                PushStatus::Triggered | PushStatus::Unwatched => None,
            };
            let evidence = Evidence {
                push: &push,
                status: verdict.status,
                watchers: verdict.watchers.iter().map(|&w| &snap.pipelines[w]).collect(),
                pipelines: &snap.pipelines,
                diagnostics: &snap.diagnostics,
                record,
                grace: self.grace,
                arrival: arrival.as_ref(),
                region: &meta.region,
                identity: snap.identity.as_ref(),
                deployed_by: deployed_by.map(|(p, m)| Deployment {
                    pipeline: p,
                    run: &p.executions[m.execution],
                    by: m.by,
                }),
            };
            let findings = diagnose::diagnose(&evidence);
            let chain = chain::chain(&evidence, matched.map(|(p, m)| (p, &p.executions[m.execution])));
            self.pushes.push(PushVerdict {
                profile: meta.name.clone(),
                region: meta.region.clone(),
                status: verdict.status,
                execution: matched.map(|(p, m)| MatchedExecution::of(p, m)),
                deployed_by: deployed_by.map(|(p, m)| MatchedExecution::of(p, m)),
                watched_by: verdict.watchers.iter().map(|&w| snap.pipelines[w].name.clone()).collect(),
                pusher: record.map(|r| r.pusher.clone()),
                findings,
                chain,
                tags_from_cloudtrail: !recovered_tags.is_empty(),
                recovered_tags,
                push,
            });
        }
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

    /// The pipeline named `name` of profile `profile` in `region`.
    pub fn pipeline(&self, profile: &str, region: &str, name: &str) -> Option<&PipelineHistory> {
        self.pipelines.iter().find(|p| p.profile == profile && p.region == region && p.name == name)
    }

    /// How profile `profile` polled in `region`.
    pub fn outcome(&self, profile: &str, region: &str) -> Option<&ProfileOutcome> {
        self.profiles.iter().find(|p| p.name == profile && p.region == region)
    }

    /// Whether a profile is polled in more than one region: the text report and the dashboard then show the region
    /// next to the profile (with one region per profile, the profile's name says which).
    pub fn several_regions(&self) -> bool {
        self.profiles.iter().enumerate().any(|(i, p)| self.profiles[..i].iter().any(|q| q.name == p.name))
    }

    /// When the earliest pending push turns untriggered (its grace ends), so a front end knows when to analyse
    /// again even if no poll arrives.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        let grace = SignedDuration::try_from(self.grace).unwrap_or(SignedDuration::MAX);
        self.pushes
            .iter()
            .filter(|p| p.status == PushStatus::Pending)
            .filter_map(|p| p.push.pushed_at.checked_add(grace).ok()?.checked_add(SignedDuration::from_secs(1)).ok())
            .min()
    }
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
