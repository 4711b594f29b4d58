//! What each pane lists after the filters, and the cursor that keeps a selection on the same item across refreshes
//! and its rows in view.
//!
//! Rows are indices into the current `Analysis`; items are identified by stable keys (pushes by profile, repository
//! and digest; executions by profile, pipeline and id) so that a new push arriving at the top moves no selection.

use std::collections::HashSet;

use crate::analysis::correlate::PushStatus;
use crate::analysis::{Analysis, PipelineHistory, PushVerdict};
use crate::model::Execution;

/// The panes: pushes and executions side by side, or the pipelines view in their place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Pushes,
    Executions,
    Pipelines,
}

impl Pane {
    /// The pane after this one in the `next_pane` cycle.
    pub fn next(self) -> Pane {
        match self {
            Pane::Pushes => Pane::Executions,
            Pane::Executions => Pane::Pipelines,
            Pane::Pipelines => Pane::Pushes,
        }
    }

    /// The pane before this one.
    pub fn prev(self) -> Pane {
        match self {
            Pane::Pushes => Pane::Pipelines,
            Pane::Executions => Pane::Pushes,
            Pane::Pipelines => Pane::Executions,
        }
    }
}

/// How the pushes are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Untriggered first, then pending, then the rest; newest first within each (the default).
    #[default]
    Attention,
    /// Newest first.
    Time,
}

/// Identifies a pipeline across refreshes: its profile, region and name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PipeKey {
    pub profile: String,
    pub region: String,
    pub name: String,
}

impl PipeKey {
    /// The key of `p`.
    pub fn of(p: &PipelineHistory) -> Self {
        Self { profile: p.profile.clone(), region: p.region.clone(), name: p.name.clone() }
    }
}

/// Identifies a push across refreshes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PushKey {
    pub profile: String,
    pub region: String,
    pub repository: String,
    pub digest: String,
}

impl PushKey {
    /// The key of `p`.
    pub fn of(p: &PushVerdict) -> Self {
        Self {
            profile: p.profile.clone(),
            region: p.region.clone(),
            repository: p.push.repository.clone(),
            digest: p.push.digest.clone(),
        }
    }

    /// True when `p` is the push this key names.
    pub fn is(&self, p: &PushVerdict) -> bool {
        self.profile == p.profile
            && self.region == p.region
            && self.repository == p.push.repository
            && self.digest == p.push.digest
    }
}

/// Identifies an execution across refreshes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ExecKey {
    pub profile: String,
    pub region: String,
    pub pipeline: String,
    pub id: String,
}

impl ExecKey {
    /// The key of execution `e` of pipeline `p`.
    pub fn of(p: &PipelineHistory, e: &Execution) -> Self {
        Self { profile: p.profile.clone(), region: p.region.clone(), pipeline: p.name.clone(), id: e.id.clone() }
    }
}

/// One row of the executions pane: indices into `Analysis::pipelines` and that pipeline's executions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecRow {
    pub pipeline: usize,
    pub execution: usize,
}

impl ExecRow {
    /// The pipeline and execution this row shows.
    pub fn get(self, report: &Analysis) -> Option<(&PipelineHistory, &Execution)> {
        let p = report.pipelines.get(self.pipeline)?;
        Some((p, p.executions.get(self.execution)?))
    }
}

/// The filters that narrow both panes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Case-insensitive text matched against repository, tags, pipeline and profile names.
    pub text: String,
    /// Pushes: only untriggered ones. Executions: only those of pipelines that watch an untriggered push.
    pub flagged_only: bool,
    /// Only this profile (by name).
    pub profile: Option<String>,
    /// With `profile`: only its pipelines and pushes in this region (a profile may poll several).
    pub region: Option<String>,
    /// Only this pipeline: its pushes (watched or matched) and its executions.
    pub pipeline: Option<PipeKey>,
}

impl Filters {
    /// Whether the profile filter lets through what is in `profile` and `region`.
    pub fn shows(&self, profile: &str, region: &str) -> bool {
        self.profile.as_ref().is_none_or(|name| name == profile) && self.region.as_ref().is_none_or(|r| r == region)
    }

    /// The profile filter as the dashboard names it (with its region when `several_regions`), when one is set.
    pub fn profile_label(&self, several_regions: bool) -> Option<String> {
        let name = self.profile.as_ref()?;
        Some(crate::display::place(name, self.region.as_deref().unwrap_or_default(), several_regions))
    }
}

fn contains(hay: &str, needle_lower: &str) -> bool {
    hay.to_lowercase().contains(needle_lower)
}

/// How much a push asks for attention: untriggered, then pending, then the rest.
fn attention(p: &PushVerdict) -> u8 {
    match p.status {
        PushStatus::Untriggered => 0,
        PushStatus::Pending => 1,
        PushStatus::Triggered | PushStatus::Unwatched => 2,
    }
}

/// Whether `p` belongs to the pipeline `k`: watched by it or matched to one of its runs.
fn of_pipeline(p: &PushVerdict, k: &PipeKey) -> bool {
    p.profile == k.profile
        && p.region == k.region
        && (p.watched_by.contains(&k.name) || p.execution.as_ref().is_some_and(|e| e.pipeline == k.name))
}

/// The pushes (indices into `report.pushes`) that pass `f`, in `sort` order.
pub fn push_rows(report: &Analysis, f: &Filters, sort: Sort) -> Vec<usize> {
    let needle = f.text.to_lowercase();
    let mut rows: Vec<usize> = report
        .pushes
        .iter()
        .enumerate()
        .filter(|(_, p)| f.shows(&p.profile, &p.region))
        .filter(|(_, p)| f.pipeline.as_ref().is_none_or(|k| of_pipeline(p, k)))
        .filter(|(_, p)| !f.flagged_only || p.status == PushStatus::Untriggered)
        .filter(|(_, p)| {
            needle.is_empty()
                || contains(&p.profile, &needle)
                || contains(&p.push.repository, &needle)
                || p.push.tags.iter().any(|t| contains(t, &needle))
                || p.watched_by.iter().any(|w| contains(w, &needle))
                || p.execution.as_ref().is_some_and(|e| contains(&e.pipeline, &needle))
                || contains(&p.push.digest, &needle)
        })
        .map(|(i, _)| i)
        .collect();
    if sort == Sort::Attention {
        // Stable: newest first within each rank, as the analysis lists them.
        rows.sort_by_key(|&i| attention(&report.pushes[i]));
    }
    rows
}

/// One row of the pipelines view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipeRow {
    /// Index into `Analysis::pipelines`.
    pub pipeline: usize,
    /// Its untriggered pushes.
    pub untriggered: usize,
    /// Its pending pushes.
    pub pending: usize,
    /// When the newest push it watches was made.
    pub last_push: Option<jiff::Timestamp>,
}

/// Every pipeline that passes `f` (profile and text), worst first: most untriggered pushes, then a failed last run,
/// then most pending pushes; then profile and file order.
pub fn pipe_rows(report: &Analysis, f: &Filters) -> Vec<PipeRow> {
    let needle = f.text.to_lowercase();
    let mut rows: Vec<PipeRow> = report
        .pipelines
        .iter()
        .enumerate()
        .filter(|(_, p)| f.shows(&p.profile, &p.region))
        .filter(|(_, p)| {
            needle.is_empty()
                || contains(&p.profile, &needle)
                || contains(&p.name, &needle)
                || p.sources.iter().any(|s| contains(&s.repository, &needle) || contains(&s.tag, &needle))
        })
        .map(|(i, p)| {
            let key = PipeKey::of(p);
            let pushes: Vec<&PushVerdict> = report.pushes.iter().filter(|v| of_pipeline(v, &key)).collect();
            PipeRow {
                pipeline: i,
                untriggered: pushes.iter().filter(|v| v.status == PushStatus::Untriggered).count(),
                pending: pushes.iter().filter(|v| v.status == PushStatus::Pending).count(),
                last_push: pushes.iter().map(|v| v.push.pushed_at).max(),
            }
        })
        .filter(|r| !f.flagged_only || r.untriggered > 0)
        .collect();
    let failed = |r: &PipeRow| {
        report.pipelines[r.pipeline].executions.first().is_some_and(|e| e.status == crate::model::ExecStatus::Failed)
    };
    rows.sort_by(|a, b| {
        b.untriggered.cmp(&a.untriggered).then(failed(b).cmp(&failed(a))).then(b.pending.cmp(&a.pending))
    });
    rows
}

/// The executions that pass `f`, newest first across pipelines.
pub fn exec_rows(report: &Analysis, f: &Filters) -> Vec<ExecRow> {
    let needle = f.text.to_lowercase();
    let flagged: HashSet<(&str, &str)> = report
        .pushes
        .iter()
        .filter(|p| p.status == PushStatus::Untriggered)
        .flat_map(|p| p.watched_by.iter().map(move |w| (p.profile.as_str(), w.as_str())))
        .collect();
    let mut rows: Vec<ExecRow> = Vec::new();
    for (pi, p) in report.pipelines.iter().enumerate() {
        if !f.shows(&p.profile, &p.region) {
            continue;
        }
        if f.pipeline.as_ref().is_some_and(|k| *k != PipeKey::of(p)) {
            continue;
        }
        if f.flagged_only && !flagged.contains(&(p.profile.as_str(), p.name.as_str())) {
            continue;
        }
        let pipeline_matches = needle.is_empty()
            || contains(&p.profile, &needle)
            || contains(&p.name, &needle)
            || p.sources.iter().any(|s| contains(&s.repository, &needle) || contains(&s.tag, &needle));
        for (ei, e) in p.executions.iter().enumerate() {
            if pipeline_matches || contains(&e.id, &needle) {
                rows.push(ExecRow { pipeline: pi, execution: ei });
            }
        }
    }
    let started = |r: &ExecRow| r.get(report).map(|(_, e)| e.started_at);
    rows.sort_by(|a, b| {
        started(b).cmp(&started(a)).then_with(|| (a.pipeline, a.execution).cmp(&(b.pipeline, b.execution)))
    });
    rows
}

/// A selection in a list, kept on its item by key, and the first row shown.
#[derive(Debug, Default)]
pub struct Cursor<K> {
    /// The selected item, when the list is not empty.
    pub key: Option<K>,
    /// Its position in the current rows.
    pub index: usize,
    /// First visible row: follows the selection with the least movement ([`Cursor::follow`]).
    pub offset: usize,
}

impl<K: Clone + PartialEq> Cursor<K> {
    /// Finds the selected key again in a list of `len` rows; falls back to the same position when it is gone.
    pub fn reselect(&mut self, len: usize, key_at: impl Fn(usize) -> K) {
        if let Some(k) = &self.key
            && let Some(i) = (0..len).find(|&i| key_at(i) == *k)
        {
            self.index = i;
            return;
        }
        self.index = self.index.min(len.saturating_sub(1));
        self.key = (len > 0).then(|| key_at(self.index));
    }

    /// Moves the selection by `delta` rows, clamped to the list.
    pub fn step(&mut self, delta: isize, len: usize, key_at: impl Fn(usize) -> K) {
        if len == 0 {
            return;
        }
        let i = self.index.saturating_add_signed(delta).min(len - 1);
        self.select(i, len, key_at);
    }

    /// Selects row `i` (clamped).
    pub fn select(&mut self, i: usize, len: usize, key_at: impl Fn(usize) -> K) {
        if len == 0 {
            return;
        }
        self.index = i.min(len - 1);
        self.key = Some(key_at(self.index));
    }

    /// Scrolls a list of `len` rows showing `height` of them so that the selection is in view, moving as little as
    /// possible.
    pub fn follow(&mut self, height: usize, len: usize) {
        self.offset = scroll_offset(self.offset, self.index, height, len);
    }
}

/// The first visible row that keeps `selected` in view with the least movement from `prev`.
pub fn scroll_offset(prev: usize, selected: usize, height: usize, len: usize) -> usize {
    if height == 0 {
        return 0;
    }
    let mut off = prev.min(len.saturating_sub(height));
    if selected < off {
        off = selected;
    } else if selected >= off + height {
        off = selected + 1 - height;
    }
    off
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scroll_offset_moves_minimally() {
        assert_eq!(scroll_offset(0, 3, 10, 50), 0);
        assert_eq!(scroll_offset(0, 12, 10, 50), 3);
        assert_eq!(scroll_offset(5, 4, 10, 50), 4);
        assert_eq!(scroll_offset(5, 9, 10, 50), 5);
        assert_eq!(scroll_offset(45, 2, 10, 12), 2);
        assert_eq!(scroll_offset(3, 0, 0, 12), 0);
    }

    #[test]
    fn cursor_follows_its_key_and_falls_back_to_the_position() {
        let mut c: Cursor<u32> = Cursor::default();
        let rows = [10u32, 20, 30];
        c.reselect(rows.len(), |i| rows[i]);
        assert_eq!((c.index, c.key), (0, Some(10)));
        c.step(2, rows.len(), |i| rows[i]);
        assert_eq!(c.key, Some(30));
        let rows = [5u32, 10, 20, 30];
        c.reselect(rows.len(), |i| rows[i]);
        assert_eq!((c.index, c.key), (3, Some(30)));
        let rows = [5u32];
        c.reselect(rows.len(), |i| rows[i]);
        assert_eq!((c.index, c.key), (0, Some(5)));
        c.reselect(0, |_| 0);
        assert_eq!(c.key, None);
        c.step(1, 0, |_| 0);
        assert_eq!(c.key, None);
    }
}
