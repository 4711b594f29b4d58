//! The rules of correlation that look at later pushes of a watched tag: a run that recorded the digest of a later
//! push of the tag (tag-moved matches), and the run started another way that would have picked a push up.

use std::collections::BTreeSet;

use jiff::Timestamp;

use super::{FastMap, Match, MatchedBy, Verdict, Window};
use crate::model::{ImagePush, Pipeline};

/// The pushes holding each watched (repository, tag), as (pushed_at, push), oldest first.
type ByTag<'a> = FastMap<(&'a str, &'a str), Vec<(Timestamp, usize)>>;

/// Each pipeline's ECR sources grouped by the (repository, tag) they watch, with their action names.
pub(super) struct Sources<'a> {
    by_pipeline: Vec<Vec<Group<'a>>>,
}

/// The sources of one pipeline on one (repository, tag).
struct Group<'a> {
    repository: &'a str,
    tag: &'a str,
    actions: Vec<&'a str>,
}

impl<'a> Sources<'a> {
    pub(super) fn new(pipelines: &'a [Pipeline]) -> Self {
        let by_pipeline = pipelines
            .iter()
            .map(|pipe| {
                let mut groups: Vec<Group<'a>> = Vec::new();
                for s in &pipe.sources {
                    match groups.iter_mut().find(|g| g.repository == s.repository && g.tag == s.tag) {
                        Some(g) => g.actions.push(&s.action),
                        None => groups.push(Group { repository: &s.repository, tag: &s.tag, actions: vec![&s.action] }),
                    }
                }
                groups
            })
            .collect();
        Self { by_pipeline }
    }
}

/// Tag-moved matches (see the module doc of `correlate`) of the pushes without a digest match.
///
/// For each group of each pipeline, its push-start runs that record a watched push's digest, keyed by the latest
/// such push's time, are swept against the group's pushes from the newest down: a run becomes a candidate once the
/// pushes left are older than the one it recorded, and a push takes the earliest candidate within its window.
pub(super) fn match_tag_moved(
    pipelines: &[Pipeline],
    pushes: &[ImagePush],
    sources: &Sources<'_>,
    by_tag: &ByTag<'_>,
    starts: &[Vec<bool>],
    window: Window,
    verdicts: &mut [Verdict],
) {
    // (repository, tag, digest) -> when the latest push of that digest holding that tag was pushed.
    let mut latest: FastMap<(&str, &str, &str), Timestamp> = FastMap::default();
    for (&(repo, tag), list) in by_tag {
        for &(at, i) in list {
            let t = latest.entry((repo, tag, pushes[i].digest.as_str())).or_insert(at);
            *t = (*t).max(at);
        }
    }
    // Per push: (started_at, pipeline, execution) of the best candidate so far.
    let mut best: Vec<Option<(Timestamp, usize, usize)>> = vec![None; pushes.len()];
    for (p, (pipe, groups)) in pipelines.iter().zip(&sources.by_pipeline).enumerate() {
        for g in groups {
            let Some(watched) = by_tag.get(&(g.repository, g.tag)) else { continue };
            // (recorded push's time, started_at, execution), the latest recorded push first.
            let mut runs: Vec<(Timestamp, Timestamp, usize)> = pipe
                .executions
                .iter()
                .enumerate()
                .filter(|&(e, _)| starts[p][e])
                .filter_map(|(e, ex)| {
                    let recorded = ex
                        .revisions
                        .iter()
                        .filter(|r| g.actions.contains(&r.action.as_str()))
                        .filter_map(|r| latest.get(&(g.repository, g.tag, r.revision_id.as_str())))
                        .max()?;
                    Some((*recorded, ex.started_at, e))
                })
                .collect();
            if runs.is_empty() {
                continue;
            }
            runs.sort_unstable_by(|a, b| b.cmp(a));
            let mut candidates: BTreeSet<(Timestamp, usize)> = BTreeSet::new();
            let mut next = 0;
            for &(at, i) in watched.iter().rev() {
                while let Some(&(_, started, e)) = runs.get(next).filter(|r| r.0 > at) {
                    candidates.insert((started, e));
                    next += 1;
                }
                if verdicts[i].matched.is_some() {
                    continue;
                }
                let (lower, upper) = window.around(at);
                let Some(&(started, e)) = candidates.range((lower, 0)..).next() else { continue };
                if started <= upper && best[i].is_none_or(|b| (started, p, e) < b) {
                    best[i] = Some((started, p, e));
                }
            }
        }
    }
    for (v, best) in verdicts.iter_mut().zip(best) {
        if let Some((_, pipeline, execution)) = best {
            v.matched = Some(Match { pipeline, execution, by: MatchedBy::TagMoved });
        }
    }
}

/// The other-start run without an ECR revision that ran `push`'s image by time (see the module doc of
/// `correlate`), among the pipelines `watchers`; `others[p]` are pipeline p's such runs, oldest first.
pub(super) fn deployed_by_time(
    pipelines: &[Pipeline],
    push: &ImagePush,
    watchers: &[usize],
    others: &[Vec<(Timestamp, usize)>],
    by_tag: &ByTag<'_>,
    window: Window,
) -> Option<Match> {
    let (lower, upper) = window.around(push.pushed_at);
    let mut best: Option<(Timestamp, usize, usize)> = None;
    for &p in watchers {
        let runs = &others[p];
        // The earliest run in the window; a later one only starts later still, so it is the only one to look at.
        let Some(&(started, e)) = runs.get(runs.partition_point(|&(s, _)| s < lower)) else { continue };
        if started > upper {
            continue;
        }
        let picks_up_later = |(repo, tag): (&str, &str)| {
            let Some(list) = by_tag.get(&(repo, tag)) else { return false };
            let after = list.partition_point(|&(at, _)| at <= push.pushed_at);
            list.get(after).is_some_and(|&(at, _)| at <= started.saturating_add(window.skew).unwrap_or(Timestamp::MAX))
        };
        // Through any source of p that watches the push, the run would not have picked a later push up.
        let ran_it = pipelines[p]
            .sources
            .iter()
            .filter(|s| s.repository == push.repository && push.tags.contains(&s.tag))
            .any(|s| !picks_up_later((&s.repository, &s.tag)));
        if ran_it && best.is_none_or(|b| (started, p, e) < b) {
            best = Some((started, p, e));
        }
    }
    best.map(|(_, pipeline, execution)| Match { pipeline, execution, by: MatchedBy::Time })
}
