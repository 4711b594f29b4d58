//! The digest index of correlation: revision id -> the executions carrying it, so that a push's digest match (and
//! the other-start run that carries its digest) costs a hash lookup, not a scan of every run.

use std::collections::HashMap;

use jiff::Timestamp;

use super::FastMap;
use crate::model::Pipeline;

/// Revision id -> the executions carrying it, over the pipelines with an ECR source (the others match no push).
///
/// One allocation for all candidates: each is linked to the previous one with the same id.
pub(super) struct DigestIndex<'a> {
    pipelines: &'a [Pipeline],
    /// Revision id -> the last candidate carrying it.
    heads: FastMap<&'a str, usize>,
    /// Candidates, each linked to the previous one with the same id.
    cands: Vec<Candidate>,
}

/// One execution carrying a revision id.
struct Candidate {
    pipeline: usize,
    execution: usize,
    /// Whether a push's event may have started it (see the module doc of `correlate`).
    push_start: bool,
    /// Previous candidate with the same id, or [`DigestIndex::END`].
    next: usize,
}

/// (pipeline, execution)
type Found = Option<(usize, usize)>;

impl<'a> DigestIndex<'a> {
    const END: usize = usize::MAX;

    /// `starts[p][e]`: whether execution e of pipeline p is a push start.
    pub(super) fn new(pipelines: &'a [Pipeline], starts: &[Vec<bool>]) -> Self {
        // Gather, then insert: two passes rather than one loop (see `correlate_parts`).
        let with_ecr = || pipelines.iter().enumerate().filter(|(_, pipe)| !pipe.sources.is_empty());
        let n = with_ecr().flat_map(|(_, pipe)| &pipe.executions).map(|ex| ex.revisions.len()).sum();
        let mut cands = Vec::with_capacity(n);
        let mut ids = Vec::with_capacity(n);
        for (p, pipe) in with_ecr() {
            for (e, ex) in pipe.executions.iter().enumerate() {
                for r in &ex.revisions {
                    cands.push(Candidate { pipeline: p, execution: e, push_start: starts[p][e], next: Self::END });
                    ids.push(r.revision_id.as_str());
                }
            }
        }
        let mut heads = HashMap::with_capacity_and_hasher(n, Default::default());
        for (c, id) in ids.into_iter().enumerate() {
            cands[c].next = heads.insert(id, c).unwrap_or(Self::END);
        }
        Self { pipelines, heads, cands }
    }

    /// Among the executions of `pipelines` whose revision id is `digest`: the earliest push start that started at
    /// `from` or later, and the earliest other start (at any time); ties go to the lower pipeline, then execution
    /// index.
    pub(super) fn earliest(&self, digest: &str, pipelines: &[usize], from: Timestamp) -> (Found, Found) {
        let started = |c: &Candidate| self.pipelines[c.pipeline].executions[c.execution].started_at;
        let key = |c: &Candidate| (started(c), c.pipeline, c.execution);
        let (mut by_push, mut other): (Option<&Candidate>, Option<&Candidate>) = (None, None);
        let mut c = self.heads.get(digest).copied().unwrap_or(Self::END);
        while let Some(cand) = self.cands.get(c) {
            c = cand.next;
            if !pipelines.contains(&cand.pipeline) {
                continue;
            }
            let best = match cand.push_start {
                true if started(cand) >= from => &mut by_push,
                true => continue,
                false => &mut other,
            };
            if best.is_none_or(|b| key(cand) < key(b)) {
                *best = Some(cand);
            }
        }
        let pair = |c: Option<&Candidate>| c.map(|c| (c.pipeline, c.execution));
        (pair(by_push), pair(other))
    }
}
