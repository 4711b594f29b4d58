//! What in a snapshot needs explaining, so that a poll reads CloudTrail and EventBridge only for that: the pushes
//! whose CloudTrail record is wanted, and the pipelines whose trigger rules are.
//!
//! A poll reads the core data (identity, pipelines, runs, images) first; the poller then asks [`needs`] and calls
//! the source's explain step only when the answer is not empty. A healthy steady state (every push matched to its
//! run) costs no CloudTrail or EventBridge call.
//!
//! A push needs its record when it is `untriggered` or `pending` (who pushed it, from which account), and when it
//! sits in a watched repository without any watched tag and no run is around it: the watched tag may have moved on
//! to a newer image (the `:latest` + `:<sha>` convention leaves the older image its sha tag only), and only its
//! CloudTrail record tells which tag it was pushed with. An image with a run around it (a run carrying its digest,
//! or one without a revision started within the grace period after it) is taken as accounted for: whichever tag it
//! was pushed with, it is no alarm.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::analysis::correlate::{self, PushStatus, SKEW};
use crate::analysis::pushes;
use crate::model::{ImagePush, Pipeline, ProfileSnapshot, TimeWindow, Windows};

/// How far on each side of a push's `imagePushedAt` its CloudTrail records are looked for: the `PutImage` call of
/// each tag of one `docker push` comes seconds apart, and ECR and CloudTrail stamp the same call.
pub const RECORD_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Why a push's CloudTrail record is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Watched, older than the grace period, no run: who pushed it, from where.
    Untriggered,
    /// Watched, no run yet.
    Pending,
    /// In a watched repository without a watched tag and without a run around it: which tag it was pushed with.
    MovedTag,
}

/// One push whose CloudTrail record is wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordNeed {
    pub repository: String,
    pub digest: String,
    pub pushed_at: Timestamp,
    /// Where its records are: [`window_around`] its push time.
    pub window: TimeWindow,
    pub why: Why,
}

/// What the explain step of one profile's poll should read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// Pushes whose CloudTrail record is wanted, newest first.
    pub records: Vec<RecordNeed>,
    /// Pipelines (by name, in the snapshot's order) whose EventBridge rules are wanted.
    pub rules: Vec<String>,
}

impl Needs {
    /// Nothing needs explaining: the explain step is not run at all.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.rules.is_empty()
    }

    /// The union of the windows of every wanted record.
    pub fn windows(&self) -> Windows {
        Windows::of(self.records.iter().map(|r| r.window))
    }
}

/// The window of CloudTrail time where the records of a push made at `pushed_at` are.
pub fn window_around(pushed_at: Timestamp) -> TimeWindow {
    let margin = SignedDuration::try_from(RECORD_MARGIN).unwrap_or(SignedDuration::ZERO);
    TimeWindow::new(
        pushed_at.saturating_sub(margin).unwrap_or(pushed_at),
        pushed_at.saturating_add(margin).unwrap_or(pushed_at),
    )
}

/// What in `snap` needs explaining at `now`, with pushes correlated as the analysis will correlate them.
pub fn needs(snap: &ProfileSnapshot, now: Timestamp, grace: Duration) -> Needs {
    let pushes = pushes::group(&snap.images, &snap.indexes);
    let verdicts = correlate::correlate_parts(&snap.pipelines, &pushes, now, grace);
    let grace = SignedDuration::try_from(grace).unwrap_or(SignedDuration::MAX);
    let mut out = Needs::default();
    let mut wanted_rules = vec![false; snap.pipelines.len()];
    for (push, verdict) in pushes.iter().zip(&verdicts) {
        let (why, pipelines) = match verdict.status {
            PushStatus::Triggered => continue,
            PushStatus::Untriggered => (Why::Untriggered, verdict.watchers.clone()),
            PushStatus::Pending => (Why::Pending, verdict.watchers.clone()),
            PushStatus::Unwatched => {
                let on_repo: Vec<usize> = (0..snap.pipelines.len())
                    .filter(|&p| snap.pipelines[p].sources.iter().any(|s| s.repository == push.repository))
                    .collect();
                if on_repo.is_empty() || on_repo.iter().any(|&p| run_around(push, &snap.pipelines[p], grace)) {
                    continue;
                }
                (Why::MovedTag, on_repo)
            }
        };
        for p in pipelines {
            wanted_rules[p] = true;
        }
        out.records.push(RecordNeed {
            repository: push.repository.clone(),
            digest: push.digest.clone(),
            pushed_at: push.pushed_at,
            window: window_around(push.pushed_at),
            why,
        });
    }
    out.records.sort_by(|a, b| b.pushed_at.cmp(&a.pushed_at).then_with(|| a.digest.cmp(&b.digest)));
    out.rules = snap.pipelines.iter().zip(wanted_rules).filter(|(_, w)| *w).map(|(p, _)| p.name.clone()).collect();
    out
}

/// Whether a run of `pipeline` may belong to `push`: it carries the push's digest, or it carries no revision for
/// the pipeline's ECR sources and started within `[pushed_at - SKEW, pushed_at + grace]`.
fn run_around(push: &ImagePush, pipeline: &Pipeline, grace: SignedDuration) -> bool {
    let skew = SignedDuration::try_from(SKEW).unwrap_or(SignedDuration::ZERO);
    let from = push.pushed_at.saturating_sub(skew).unwrap_or(push.pushed_at);
    let to = push.pushed_at.saturating_add(grace).unwrap_or(Timestamp::MAX);
    pipeline.executions.iter().any(|e| {
        let carries_digest = e.revisions.iter().any(|r| r.revision_id == push.digest);
        let carries_source = e.revisions.iter().any(|r| pipeline.sources.iter().any(|s| s.action == r.action));
        carries_digest || (!carries_source && (from..=to).contains(&e.started_at))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::fixtures::{account_a, ts};
    use crate::model::{ExecStatus, Execution, Image, Revision};

    const GRACE: Duration = Duration::from_secs(300);

    fn run(id: &str, at: i64, digest: Option<&str>) -> Execution {
        Execution {
            id: id.into(),
            status: ExecStatus::Succeeded,
            trigger: "CloudWatchEvent".into(),
            trigger_detail: None,
            started_at: ts(at),
            updated_at: None,
            revisions: digest
                .map(|d| vec![Revision { action: "Source".into(), revision_id: d.into(), summary: None }])
                .unwrap_or_default(),
            status_summary: None,
        }
    }

    fn image(digest: &str, tags: &[&str], at: i64) -> Image {
        Image {
            repository: "web".into(),
            digest: digest.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            pushed_at: ts(at),
            ..Image::default()
        }
    }

    fn digests(n: &Needs) -> Vec<(&str, Why)> {
        n.records.iter().map(|r| (r.digest.as_str(), r.why)).collect()
    }

    #[test]
    fn a_healthy_snapshot_needs_nothing() {
        let mut a = account_a();
        // The newer push started a run with its digest: every push is accounted for.
        a.pipelines[0].executions.insert(0, run("exec-2", -890, Some("sha256:acd3ca9941a85e8ed16515bfc5328e4e")));
        let n = needs(&a, ts(0), GRACE);
        assert!(n.is_empty(), "{n:?}");
    }

    #[test]
    fn untriggered_and_pending_pushes_need_their_record_and_their_watchers_rules() {
        let a = account_a();
        let n = needs(&a, ts(0), GRACE);
        assert_eq!(digests(&n), [("sha256:acd3ca9941a85e8ed16515bfc5328e4e", Why::Untriggered)]);
        assert_eq!(n.rules, ["web-deploy"]);
        assert_eq!(n.records[0].window, TimeWindow::new(ts(-900 - 300), ts(-900 + 300)));

        let n = needs(&a, ts(-800), GRACE);
        assert_eq!(digests(&n), [("sha256:acd3ca9941a85e8ed16515bfc5328e4e", Why::Pending)]);
    }

    #[test]
    fn an_image_without_a_watched_tag_needs_its_record_unless_a_run_is_around_it() {
        let mut a = account_a();
        a.pipelines[0].executions = vec![run("exec-2", -890, Some("sha256:acd3ca9941a85e8ed16515bfc5328e4e"))];
        // `latest` moved on from the older image, which kept only its sha tag and has no run around it.
        a.images[0].tags = vec!["55e7a6f".into()];
        let n = needs(&a, ts(0), GRACE);
        assert_eq!(digests(&n), [("sha256:55e7a6f2bb43e38cc34285af03b4973d", Why::MovedTag)]);
        assert_eq!(n.rules, ["web-deploy"], "if it was pushed as latest, the rule will be asked about");

        // A run without a revision, started just after it: it may be its run, nothing to explain.
        a.pipelines[0].executions.push(run("exec-1", -3590, None));
        assert!(needs(&a, ts(0), GRACE).is_empty());
        // A run carrying its digest, whenever it started: the same.
        a.pipelines[0].executions[1] = run("exec-1", -100, Some("sha256:55e7a6f2bb43e38cc34285af03b4973d"));
        assert!(needs(&a, ts(0), GRACE).is_empty());
        // A run of another image, near it in time, is not its run.
        a.pipelines[0].executions[1] = run("exec-1", -3590, Some("sha256:other"));
        assert_eq!(needs(&a, ts(0), GRACE).records.len(), 1);
    }

    #[test]
    fn images_in_repositories_no_pipeline_reads_need_nothing() {
        let mut a = account_a();
        a.pipelines[0].executions.insert(0, run("exec-2", -890, Some("sha256:acd3ca9941a85e8ed16515bfc5328e4e")));
        a.images.push(Image { repository: "tools".into(), ..image("sha256:t1", &[], -60) });
        assert!(needs(&a, ts(0), GRACE).is_empty());
    }

    #[test]
    fn records_are_wanted_newest_first() {
        let mut a = account_a();
        a.images = vec![image("sha256:b", &["latest"], -7200), image("sha256:a", &["latest"], -600)];
        a.pipelines[0].executions.clear();
        let n = needs(&a, ts(0), GRACE);
        assert_eq!(digests(&n), [("sha256:a", Why::Untriggered), ("sha256:b", Why::Untriggered)]);
        assert_eq!(n.windows().as_slice().len(), 2, "windows an hour apart stay apart");
    }
}
