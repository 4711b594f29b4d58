//! Time matching of correlation: runs that carry no revision for a pipeline's ECR sources, paired with the pushes
//! just before them, each run with at most one push of its pipeline.

use jiff::Timestamp;

use super::{Match, MatchedBy, Verdict, Window};
use crate::model::{Execution, Pipeline};

/// Per pipeline, its executions without any revision for its ECR sources whose push-start verdict (`starts`) is
/// `push_start`, as (started_at, execution), oldest first (ties in index order).
pub(super) fn untagged_executions(
    pipelines: &[Pipeline],
    starts: &[Vec<bool>],
    push_start: bool,
) -> Vec<Vec<(Timestamp, usize)>> {
    pipelines
        .iter()
        .zip(starts)
        .map(|(pipe, starts)| {
            let carries =
                |ex: &Execution| ex.revisions.iter().any(|r| pipe.sources.iter().any(|s| s.action == r.action));
            let mut execs: Vec<(Timestamp, usize)> = pipe
                .executions
                .iter()
                .enumerate()
                .filter(|&(e, ex)| starts[e] == push_start && !carries(ex))
                .map(|(e, ex)| (ex.started_at, e))
                .collect();
            // Keys are unique (the index breaks ties), so an unstable sort gives the stable order.
            execs.sort_unstable();
            execs
        })
        .collect()
}

/// Time matches of pipeline `p`: each execution of `execs` (oldest first) claims the latest unclaimed push of
/// `watched` pushed within [started - grace, started + skew].
pub(super) fn match_by_time(
    pipelines: &[Pipeline],
    p: usize,
    watched: &mut [(Timestamp, usize)],
    execs: &[(Timestamp, usize)],
    window: Window,
    verdicts: &mut [Verdict],
) {
    if watched.is_empty() || execs.is_empty() {
        return;
    }
    let Window { grace, skew } = window;
    // Keys are unique (the index breaks ties), so an unstable sort gives the stable order.
    watched.sort_unstable();
    let mut free = FreeList::new(watched.len());
    // `end`: how many pushes were pushed at or before `upper`; start times only grow, so it only moves forward.
    let mut end = 0;
    for &(started, e) in execs {
        let upper = started.saturating_add(skew).unwrap_or(started);
        let lower = started.saturating_sub(grace).unwrap_or(Timestamp::MIN);
        while watched.get(end).is_some_and(|&(at, _)| at <= upper) {
            end += 1;
        }
        // (Only when `upper` saturated and came out lower than before.)
        while end > 0 && watched[end - 1].0 > upper {
            end -= 1;
        }
        let Some(k) = end.checked_sub(1).and_then(|k| free.find(k)) else { continue };
        let (pushed_at, i) = watched[k];
        if pushed_at < lower {
            continue;
        }
        free.claim(k);
        let better = match verdicts[i].matched {
            None => true,
            Some(m) => m.by == MatchedBy::Time && started < pipelines[m.pipeline].executions[m.execution].started_at,
        };
        if better {
            verdicts[i].matched = Some(Match { pipeline: p, execution: e, by: MatchedBy::Time });
        }
    }
}

/// Disjoint-set "nearest unclaimed slot at or before k", so claiming stays near-linear at any size.
pub(super) struct FreeList {
    parent: Vec<usize>,
}

impl FreeList {
    pub(super) fn new(n: usize) -> Self {
        // Slot j maps to parent j + 1 in a 1-based array; 0 is the "none left" sentinel.
        Self { parent: (0..=n).collect() }
    }

    pub(super) fn find(&mut self, k: usize) -> Option<usize> {
        let mut x = k + 1;
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x.checked_sub(1)
    }

    pub(super) fn claim(&mut self, k: usize) {
        self.parent[k + 1] = k;
    }
}
