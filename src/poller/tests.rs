//! The poller's tasks: polls come in profile order, a hung poll is cut at the timeout, and shutting the poller down
//! (or dropping it) ends every task, so no profile is polled after the dashboard quit.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::model::{Lookup, ProfileMeta};

const REFRESH: Duration = Duration::from_secs(5);
const TIMEOUT: Duration = Duration::from_secs(2);
const LOOKBACK: Duration = Duration::from_secs(3600);
const GRACE: Duration = Duration::from_secs(300);
const REQ: PollRequest = PollRequest { now: Timestamp::UNIX_EPOCH, lookback: LOOKBACK, grace: GRACE };
/// A request whose `now` is well inside jiff's range on both sides of the lookback.
const REQ_AT_2026: PollRequest = PollRequest { now: Timestamp::constant(1_764_000_000, 0), ..REQ };

/// Two profiles; each poll waits `queue` to be ready, then takes `latency` (forever for `None`) and is counted.
struct Counting {
    metas: Vec<ProfileMeta>,
    queue: Duration,
    latency: Option<Duration>,
    polls: AtomicUsize,
}

impl Counting {
    fn new(latency: Option<Duration>) -> Arc<Self> {
        Self::queued(Duration::ZERO, latency)
    }

    fn queued(queue: Duration, latency: Option<Duration>) -> Arc<Self> {
        let meta = |name: &str| ProfileMeta { name: name.into(), region: "ap-northeast-1".into() };
        let metas = vec![meta("account-a"), meta("account-b")];
        Arc::new(Self { metas, queue, latency, polls: AtomicUsize::new(0) })
    }

    fn polls(&self) -> usize {
        self.polls.load(Ordering::SeqCst)
    }
}

impl Source for Counting {
    fn profiles(&self) -> &[ProfileMeta] {
        &self.metas
    }

    async fn prepare(&self, _index: usize) {
        tokio::time::sleep(self.queue).await;
    }

    async fn poll(&self, index: usize, _req: PollRequest) -> ProfileSnapshot {
        self.polls.fetch_add(1, Ordering::SeqCst);
        match self.latency {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending::<()>().await,
        }
        ProfileSnapshot { warnings: vec![format!("profile {index}")], ..ProfileSnapshot::default() }
    }
}

fn spawn(source: &Arc<Counting>) -> (Poller, mpsc::UnboundedReceiver<PollEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Poller::spawn(Arc::clone(source), REFRESH, LOOKBACK, GRACE, TIMEOUT, tx), rx)
}

#[tokio::test(start_paused = true)]
async fn one_poll_of_every_profile_comes_back_in_profile_order() {
    let source = Counting::new(Some(Duration::from_millis(10)));
    let snaps = poll_every_profile(Arc::clone(&source), REQ, TIMEOUT).await;
    let warnings: Vec<_> = snaps.iter().map(|s| s.warnings.clone()).collect();
    assert_eq!(warnings, [["profile 0"], ["profile 1"]]);
    assert_eq!(source.polls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_hung_poll_is_cut_at_the_timeout() {
    let source = Counting::new(None);
    let snaps = poll_every_profile(Arc::clone(&source), REQ, TIMEOUT).await;
    assert_eq!(snaps[1].error_line().as_deref(), Some("poll timed out after 2s (endpoint not answering?)"));
}

#[tokio::test(start_paused = true)]
async fn the_wait_to_be_ready_does_not_count_against_the_timeout() {
    // Queued 5 s (an AssumeRole quota's turn), then 1.5 s of polling: within the 2 s timeout.
    let source = Counting::queued(Duration::from_secs(5), Some(Duration::from_millis(1500)));
    let started = Instant::now();
    let snaps = poll_every_profile(Arc::clone(&source), REQ, TIMEOUT).await;
    assert_eq!(snaps.iter().map(ProfileSnapshot::error_line).collect::<Vec<_>>(), [None, None]);
    assert_eq!(started.elapsed(), Duration::from_millis(6500));
}

#[tokio::test(start_paused = true)]
async fn profiles_poll_again_every_refresh_until_shutdown_ends_every_task() {
    let source = Counting::new(Some(Duration::from_millis(100)));
    let (mut poller, mut rx) = spawn(&source);
    assert_eq!(poller.running(), 2);
    tokio::time::sleep(REFRESH * 3).await;
    // A poll takes 0.1 s and the next starts 5 s after it ended: at 0, 5.1 and 10.2 s, then 15.3 s.
    assert_eq!(source.polls(), 6);
    let mut finished = 0;
    while let Ok(ev) = rx.try_recv() {
        finished += usize::from(matches!(ev, PollEvent::Finished { .. }));
    }
    assert_eq!(finished, 6);

    tokio::time::timeout(Duration::from_secs(1), poller.shutdown()).await.expect("every task ends at once");
    assert_eq!(poller.running(), 0);
    let polls = source.polls();
    tokio::time::sleep(REFRESH * 10).await;
    assert_eq!(source.polls(), polls, "no poll after shutdown");
    // Every task dropped its sender: the channel is closed once what was sent is read.
    while rx.try_recv().is_ok() {}
    assert!(rx.recv().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn dropping_the_poller_ends_a_hung_poll_and_the_sleeps() {
    let hung = Counting::new(None);
    let (poller, mut rx) = spawn(&hung);
    tokio::time::sleep(REFRESH).await;
    drop(poller);
    let ended = tokio::time::timeout(Duration::from_secs(1), async { while rx.recv().await.is_some() {} }).await;
    assert!(ended.is_ok(), "a task outlived its poller");

    let sleeping = Counting::new(Some(Duration::from_millis(10)));
    let (poller, mut rx) = spawn(&sleeping);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sleeping.polls(), 2);
    drop(poller);
    let ended = tokio::time::timeout(Duration::from_secs(1), async { while rx.recv().await.is_some() {} }).await;
    assert!(ended.is_ok(), "a sleeping task outlived its poller");
    tokio::time::sleep(REFRESH * 10).await;
    assert_eq!(sleeping.polls(), 2);
}

#[tokio::test(start_paused = true)]
async fn poll_now_wakes_idle_profiles() {
    let source = Counting::new(Some(Duration::from_millis(10)));
    let (poller, _rx) = spawn(&source);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(source.polls(), 2);
    poller.poll_now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(source.polls(), 4);
}

/// One profile whose core read finds web:latest pushed an hour before [`REQ`]'s `now`, with or without the run it
/// started, and its registry's replication (none); its explain step takes `explain_latency` (forever for `None`) and
/// is counted.
struct Explaining {
    metas: Vec<ProfileMeta>,
    with_run: bool,
    explain_latency: Option<Duration>,
    explains: AtomicUsize,
}

impl Explaining {
    fn new(with_run: bool, explain_latency: Option<Duration>) -> Arc<Self> {
        let metas = vec![ProfileMeta { name: "account-a".into(), region: "ap-northeast-1".into() }];
        Arc::new(Self { metas, with_run, explain_latency, explains: AtomicUsize::new(0) })
    }
}

impl Source for Explaining {
    fn profiles(&self) -> &[ProfileMeta] {
        &self.metas
    }

    async fn poll(&self, _index: usize, req: PollRequest) -> ProfileSnapshot {
        use crate::model::{ExecStatus, Execution, Image, Pipeline, WatchedSource};
        let pushed_at = req.now - jiff::SignedDuration::from_hours(1);
        let run = Execution {
            id: "run-1".into(),
            status: ExecStatus::Succeeded,
            trigger: "CloudWatchEvent".into(),
            trigger_detail: None,
            started_at: pushed_at + jiff::SignedDuration::from_secs(3),
            updated_at: None,
            revisions: Vec::new(),
            status_summary: None,
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
        ProfileSnapshot {
            pipelines: vec![Pipeline {
                name: "web-deploy".into(),
                sources: vec![WatchedSource {
                    action: "Source".into(),
                    repository: "web".into(),
                    tag: "latest".into(),
                }],
                executions: if self.with_run { vec![run] } else { Vec::new() },
            }],
            images: vec![Image {
                repository: "web".into(),
                digest: "sha256:1".into(),
                tags: vec!["latest".into()],
                pushed_at,
                ..Image::default()
            }],
            diagnostics: crate::model::Diagnostics { replication: Lookup::Done(Vec::new()), ..Default::default() },
            ..ProfileSnapshot::default()
        }
    }

    async fn explain(
        &self,
        _index: usize,
        _req: PollRequest,
        _snapshot: &ProfileSnapshot,
        needs: &crate::analysis::needs::Needs,
        budget: Duration,
    ) -> crate::source::Explanation {
        self.explains.fetch_add(1, Ordering::SeqCst);
        assert_eq!(needs.rules, ["web-deploy"]);
        assert_eq!(budget, TIMEOUT - Duration::from_millis(500), "the explain step gets what the core read left");
        match self.explain_latency {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending::<()>().await,
        }
        crate::source::Explanation {
            diagnostics: crate::model::Diagnostics {
                rules: crate::model::Lookup::Done(vec![("web-deploy".into(), vec![])]),
                ..Default::default()
            },
            warnings: vec!["explained".into()],
            stats: crate::model::PollStats { calls: vec![("events:DescribeRule".into(), 1)], phases: vec![] },
        }
    }
}

#[tokio::test(start_paused = true)]
async fn nothing_to_explain_means_no_explain_step() {
    let source = Explaining::new(true, Some(Duration::ZERO));
    let snap = poll_within(source.as_ref(), 0, REQ_AT_2026, TIMEOUT).await;
    assert_eq!(source.explains.load(Ordering::SeqCst), 0);
    let why = "not read: every push is accounted for";
    assert_eq!(snap.diagnostics.rules, Lookup::Skipped(why.into()));
    assert_eq!(snap.diagnostics.put_images, Lookup::Skipped(why.into()));
    assert_eq!(snap.diagnostics.other_rules, Lookup::Skipped(why.into()));
    assert_eq!(snap.diagnostics.trails, Lookup::Skipped(why.into()));
    assert_eq!(snap.diagnostics.failed_invocations, Lookup::Skipped(why.into()));
    assert_eq!(snap.diagnostics.replication, Lookup::Done(Vec::new()), "the core read's, kept");
    let phases: Vec<&str> = snap.stats.phases.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(phases, ["total"]);
}

#[tokio::test(start_paused = true)]
async fn an_untriggered_push_is_explained_within_the_same_timeout() {
    let source = Explaining::new(false, Some(Duration::from_millis(100)));
    let snap = poll_within(source.as_ref(), 0, REQ_AT_2026, TIMEOUT).await;
    assert_eq!(source.explains.load(Ordering::SeqCst), 1);
    assert_eq!(snap.diagnostics.rules, Lookup::Done(vec![("web-deploy".into(), vec![])]));
    assert_eq!(snap.diagnostics.replication, Lookup::Done(Vec::new()), "the core read's, kept");
    assert_eq!(snap.warnings, ["explained"]);
    assert_eq!(snap.stats.calls, [("events:DescribeRule".to_string(), 1)]);
    let phases: Vec<(&str, Duration)> = snap.stats.phases.iter().map(|(p, d)| (p.as_str(), *d)).collect();
    assert_eq!(phases, [("explain", Duration::from_millis(100)), ("total", Duration::from_millis(600))]);
}

#[tokio::test(start_paused = true)]
async fn a_hung_explain_step_is_a_warning_and_keeps_the_core_data() {
    let source = Explaining::new(false, None);
    let snap = poll_within(source.as_ref(), 0, REQ_AT_2026, TIMEOUT).await;
    assert_eq!(snap.error_line(), None, "the profile did not fail");
    assert_eq!(snap.images.len(), 1);
    assert_eq!(snap.pipelines.len(), 1);
    assert_eq!(
        snap.warnings,
        ["CloudTrail and EventBridge not checked: the poll's timeout (2s) ran out while explaining; what was read is \
          kept and the next poll goes on from there (a longer `timeout` leaves more time)"]
    );
    assert_eq!(snap.diagnostics.put_images, Lookup::Skipped("the poll's timeout (2s) ran out while explaining".into()));
    assert_eq!(snap.diagnostics.replication, Lookup::Done(Vec::new()), "the core read's, kept");
}
