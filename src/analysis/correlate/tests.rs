use super::*;
use crate::model::{ExecStatus, Execution, Revision, WatchedSource};

const T0: i64 = 1_764_000_000;
const GRACE: Duration = Duration::from_secs(300);

fn ts(offset: i64) -> Timestamp {
    Timestamp::from_second(T0 + offset).unwrap()
}

fn push(repo: &str, tags: &[&str], digest: &str, at: i64) -> ImagePush {
    ImagePush {
        repository: repo.into(),
        digest: digest.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        pushed_at: ts(at),
        ..ImagePush::default()
    }
}

fn exec(id: &str, at: i64, revs: &[(&str, &str)]) -> Execution {
    Execution {
        id: id.into(),
        status: ExecStatus::Succeeded,
        trigger: "CloudWatchEvent".into(),
        trigger_detail: None,
        started_at: ts(at),
        updated_at: None,
        revisions: revs
            .iter()
            .map(|(a, d)| Revision { action: a.to_string(), revision_id: d.to_string(), summary: None })
            .collect(),
        status_summary: None,
    }
}

fn pipe(name: &str, sources: &[(&str, &str)], executions: Vec<Execution>) -> Pipeline {
    Pipeline {
        name: name.into(),
        sources: sources
            .iter()
            .map(|(r, t)| WatchedSource { action: "Source".into(), repository: r.to_string(), tag: t.to_string() })
            .collect(),
        executions,
    }
}

fn run(pipes: Vec<Pipeline>, pushes: Vec<ImagePush>, now: i64) -> Vec<Verdict> {
    correlate_parts(&pipes, &pushes, ts(now), GRACE)
}

fn statuses(v: &[Verdict]) -> Vec<PushStatus> {
    v.iter().map(|v| v.status).collect()
}

#[test]
fn digest_match_wins_even_when_late() {
    let pipes = vec![pipe("deploy", &[("web", "latest")], vec![exec("e1", 3600, &[("Source", "sha256:a")])])];
    let v = run(pipes, vec![push("web", &["latest"], "sha256:a", 0)], 7200);
    assert_eq!(v[0].status, PushStatus::Triggered);
    assert_eq!(v[0].matched, Some(Match { pipeline: 0, execution: 0, by: MatchedBy::Digest }));
}

#[test]
fn digest_match_picks_the_earliest_of_reruns() {
    let pipes = vec![pipe(
        "deploy",
        &[("web", "latest")],
        vec![exec("rerun", 900, &[("Source", "sha256:a")]), exec("first", 20, &[("Source", "sha256:a")])],
    )];
    let v = run(pipes, vec![push("web", &["latest"], "sha256:a", 0)], 1000);
    assert_eq!(v[0].matched.unwrap().execution, 1);
}

#[test]
fn digest_match_counts_for_an_untagged_image() {
    let pipes = vec![pipe("deploy", &[("web", "latest")], vec![exec("e1", 10, &[("Source", "sha256:old")])])];
    let v = run(pipes, vec![push("web", &[], "sha256:old", 0)], 1000);
    assert_eq!(v[0].status, PushStatus::Triggered);
    assert_eq!(v[0].watchers, vec![0]);
}

#[test]
fn execution_with_another_digest_does_not_time_match() {
    let pipes = vec![pipe("deploy", &[("web", "latest")], vec![exec("e1", 10, &[("Source", "sha256:other")])])];
    let v = run(pipes, vec![push("web", &["latest"], "sha256:a", 0)], 1000);
    assert_eq!(v[0].status, PushStatus::Untriggered);
}

#[test]
fn time_match_inside_grace() {
    let pipes = vec![pipe("deploy", &[("web", "latest")], vec![exec("e1", 30, &[])])];
    let v = run(pipes, vec![push("web", &["latest"], "sha256:a", 0)], 1000);
    assert_eq!(v[0].status, PushStatus::Triggered);
    assert_eq!(v[0].matched.unwrap().by, MatchedBy::Time);
}

#[test]
fn time_match_grace_edges() {
    // Exactly at pushed_at + grace still matches; one second later does not.
    let at_edge = vec![pipe("d", &[("web", "latest")], vec![exec("e", 300, &[])])];
    assert_eq!(run(at_edge, vec![push("web", &["latest"], "x", 0)], 1000)[0].status, PushStatus::Triggered);
    let past = vec![pipe("d", &[("web", "latest")], vec![exec("e", 301, &[])])];
    assert_eq!(run(past, vec![push("web", &["latest"], "x", 0)], 1000)[0].status, PushStatus::Untriggered);
}

#[test]
fn clock_skew_of_a_few_seconds_is_tolerated() {
    let skewed = vec![pipe("d", &[("web", "latest")], vec![exec("e", -5, &[])])];
    assert_eq!(run(skewed, vec![push("web", &["latest"], "x", 0)], 1000)[0].status, PushStatus::Triggered);
    let too_early = vec![pipe("d", &[("web", "latest")], vec![exec("e", -6, &[])])];
    assert_eq!(run(too_early, vec![push("web", &["latest"], "x", 0)], 1000)[0].status, PushStatus::Untriggered);
}

#[test]
fn pending_until_grace_then_untriggered() {
    let p = || vec![pipe("d", &[("web", "latest")], vec![])];
    assert_eq!(run(p(), vec![push("web", &["latest"], "x", 0)], 300)[0].status, PushStatus::Pending);
    assert_eq!(run(p(), vec![push("web", &["latest"], "x", 0)], 301)[0].status, PushStatus::Untriggered);
    // A push stamped slightly in the future (skew) is pending, not untriggered.
    assert_eq!(run(p(), vec![push("web", &["latest"], "x", 10)], 0)[0].status, PushStatus::Pending);
}

#[test]
fn unwatched_when_no_pipeline_watches_repo_or_tag() {
    let pipes = vec![pipe("d", &[("web", "latest")], vec![exec("e", 10, &[])])];
    let v = run(
        pipes,
        vec![push("web", &["v1.2"], "a", 0), push("api", &["latest"], "b", 0), push("web", &[], "c", 0)],
        1000,
    );
    assert_eq!(statuses(&v), vec![PushStatus::Unwatched; 3]);
    assert!(v.iter().all(|v| v.watchers.is_empty() && v.matched.is_none()));
}

#[test]
fn multi_tag_image_is_watched_through_any_tag() {
    let pipes = vec![pipe("d", &[("web", "prod")], vec![])];
    let v = run(pipes, vec![push("web", &["v1", "prod"], "a", 0)], 1000);
    assert_eq!(v[0].status, PushStatus::Untriggered);
    assert_eq!(v[0].watchers, vec![0]);
}

#[test]
fn several_pipelines_on_one_repo_and_tag() {
    let pipes = vec![
        pipe("deploy-a", &[("web", "latest")], vec![]),
        pipe("deploy-b", &[("web", "latest")], vec![exec("b1", 40, &[])]),
    ];
    let v = run(pipes, vec![push("web", &["latest"], "a", 0)], 1000);
    assert_eq!(v[0].watchers, vec![0, 1]);
    assert_eq!(v[0].status, PushStatus::Triggered);
    assert_eq!(v[0].matched.unwrap().pipeline, 1);
}

#[test]
fn one_execution_matches_at_most_one_push() {
    // Two pushes close together, one run: the later push claims it, the earlier one is untriggered.
    let pipes = vec![pipe("d", &[("web", "latest")], vec![exec("e", 20, &[])])];
    let v = run(pipes, vec![push("web", &[], "a", 0), push("web", &["latest"], "b", 10)], 1000);
    assert_eq!(v[1].status, PushStatus::Triggered);
    // "a" has no tag any more: unwatched, not triggered.
    assert_eq!(v[0].status, PushStatus::Unwatched);

    let pipes = vec![pipe("d", &[("web", "latest"), ("web", "stable")], vec![exec("e", 20, &[])])];
    let v = run(pipes, vec![push("web", &["stable"], "a", 0), push("web", &["latest"], "b", 10)], 1000);
    assert_eq!(statuses(&v), vec![PushStatus::Untriggered, PushStatus::Triggered]);
}

#[test]
fn two_pushes_two_runs_pair_up_in_order() {
    let pipes = vec![pipe("d", &[("web", "latest"), ("web", "stable")], vec![exec("e2", 14, &[]), exec("e1", 3, &[])])];
    let v = run(pipes, vec![push("web", &["stable"], "b", 10), push("web", &["latest"], "a", 0)], 1000);
    assert_eq!(v[0].matched.unwrap().execution, 0, "push b gets run e2");
    assert_eq!(v[1].matched.unwrap().execution, 1, "push a gets run e1");
}

#[test]
fn run_claimed_by_digest_is_not_reused_by_time() {
    let pipes =
        vec![pipe("d", &[("web", "latest"), ("web", "stable")], vec![exec("e", 20, &[("Source", "sha256:b")])])];
    let v = run(pipes, vec![push("web", &["stable"], "sha256:a", 5), push("web", &["latest"], "sha256:b", 10)], 1000);
    assert_eq!(statuses(&v), vec![PushStatus::Untriggered, PushStatus::Triggered]);
    assert_eq!(v[1].matched.unwrap().by, MatchedBy::Digest);
}

#[test]
fn revision_of_another_source_does_not_stop_time_matching() {
    let pipes = vec![pipe("d", &[("web", "latest")], vec![exec("e", 20, &[("Config", "abc123")])])];
    let v = run(pipes, vec![push("web", &["latest"], "sha256:a", 0)], 1000);
    assert_eq!(v[0].matched.unwrap().by, MatchedBy::Time);
}

#[test]
fn executions_before_the_push_do_not_match() {
    let pipes = vec![pipe("d", &[("web", "latest")], vec![exec("old", -600, &[])])];
    let v = run(pipes, vec![push("web", &["latest"], "a", 0)], 1000);
    assert_eq!(v[0].status, PushStatus::Untriggered);
}

#[test]
fn empty_inputs() {
    assert!(run(vec![], vec![], 0).is_empty());
    let v = run(vec![], vec![push("web", &["latest"], "a", 0)], 0);
    assert_eq!(v[0].status, PushStatus::Unwatched);
}

#[test]
fn free_list_finds_nearest_unclaimed() {
    let mut f = FreeList::new(4);
    assert_eq!(f.find(3), Some(3));
    f.claim(3);
    assert_eq!(f.find(3), Some(2));
    f.claim(2);
    f.claim(0);
    assert_eq!(f.find(3), Some(1));
    f.claim(1);
    assert_eq!(f.find(3), None);
}

/// splitmix64, for the differential test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// A small, dense random case: few repositories, tags, actions and digests; times on a 5 s grid (the skew), so windows
/// overlap and ties are common.
fn random_case(rng: &mut Rng) -> (Vec<Pipeline>, Vec<ImagePush>, i64) {
    const REPOS: &[&str] = &["web", "api", "job"];
    const TAGS: &[&str] = &["latest", "prod", "v1"];
    const ACTIONS: &[&str] = &["Source", "Image", "Config"];
    const DIGESTS: &[&str] = &["sha256:a", "sha256:b", "sha256:c", "sha256:d", "sha256:e", "abc123"];
    let pipes = (0..rng.below(5))
        .map(|p| Pipeline {
            name: format!("p{p}"),
            sources: (0..rng.below(4))
                .map(|_| WatchedSource {
                    action: rng.pick(&ACTIONS[..2]).to_string(),
                    repository: rng.pick(REPOS).to_string(),
                    tag: rng.pick(TAGS).to_string(),
                })
                .collect(),
            executions: (0..rng.below(7))
                .map(|e| {
                    let revs: Vec<(&str, &str)> =
                        (0..rng.below(3)).map(|_| (rng.pick(ACTIONS), rng.pick(DIGESTS))).collect();
                    exec(&format!("e{e}"), rng.below(240) as i64 * 5 - 100, &revs)
                })
                .collect(),
        })
        .collect();
    let pushes = (0..rng.below(9))
        .map(|_| {
            let tags: Vec<&str> = (0..rng.below(3)).map(|_| rng.pick(TAGS)).collect();
            let mut tags: Vec<&str> = tags.into_iter().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            tags.sort();
            push(rng.pick(REPOS), &tags, rng.pick(DIGESTS), rng.below(200) as i64 * 5)
        })
        .collect();
    (pipes, pushes, rng.below(1600) as i64)
}

#[test]
fn fast_correlation_decides_like_the_reference() {
    let mut rng = Rng(20_261_125);
    let mut matched = 0;
    for case in 0..20_000 {
        let (pipes, pushes, now) = random_case(&mut rng);
        let fast = correlate_parts(&pipes, &pushes, ts(now), GRACE);
        let slow = super::reference::correlate_parts_reference(&pipes, &pushes, ts(now), GRACE);
        assert_eq!(fast, slow, "case {case}: pipelines {pipes:#?}\npushes {pushes:#?}\nnow {now}");
        matched += fast.iter().filter(|v| v.matched.is_some()).count();
    }
    // The generator must exercise matching, not only empty cases.
    assert!(matched > 5_000, "only {matched} matches");
}

#[test]
fn digest_index_compares_text_when_hashes_collide() {
    let pipes = vec![pipe("d", &[("web", "latest")], vec![exec("e", 10, &[("Source", "sha256:a")])])];
    let index = DigestIndex::new(&pipes);
    let a = hash::str_hash("sha256:a");
    assert_eq!(index.earliest("sha256:a", a, &[0]).map(|c| c.execution), Some(0));
    // Another id under the same hash (a collision) is not a match.
    assert!(index.earliest("sha256:b", a, &[0]).is_none());
}
