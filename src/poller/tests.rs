//! The poller's tasks: polls come in profile order, a hung poll is cut at the timeout, and shutting the poller down
//! (or dropping it) ends every task, so no profile is polled after the dashboard quit.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::model::ProfileMeta;

const REFRESH: Duration = Duration::from_secs(5);
const TIMEOUT: Duration = Duration::from_secs(2);
const LOOKBACK: Duration = Duration::from_secs(3600);

/// Two profiles; each poll takes `latency` (forever for `None`) and is counted.
struct Counting {
    metas: Vec<ProfileMeta>,
    latency: Option<Duration>,
    polls: AtomicUsize,
}

impl Counting {
    fn new(latency: Option<Duration>) -> Arc<Self> {
        let meta = |name: &str| ProfileMeta { name: name.into(), region: "ap-northeast-1".into() };
        Arc::new(Self { metas: vec![meta("account-a"), meta("account-b")], latency, polls: AtomicUsize::new(0) })
    }

    fn polls(&self) -> usize {
        self.polls.load(Ordering::SeqCst)
    }
}

impl Source for Counting {
    fn profiles(&self) -> &[ProfileMeta] {
        &self.metas
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
    (Poller::spawn(Arc::clone(source), REFRESH, LOOKBACK, TIMEOUT, tx), rx)
}

#[tokio::test(start_paused = true)]
async fn one_poll_of_every_profile_comes_back_in_profile_order() {
    let source = Counting::new(Some(Duration::from_millis(10)));
    let snaps = poll_every_profile(Arc::clone(&source), Timestamp::UNIX_EPOCH, LOOKBACK, TIMEOUT).await;
    let warnings: Vec<_> = snaps.iter().map(|s| s.warnings.clone()).collect();
    assert_eq!(warnings, [["profile 0"], ["profile 1"]]);
    assert_eq!(source.polls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_hung_poll_is_cut_at_the_timeout() {
    let source = Counting::new(None);
    let snaps = poll_every_profile(Arc::clone(&source), Timestamp::UNIX_EPOCH, LOOKBACK, TIMEOUT).await;
    assert_eq!(snaps[1].error_line().as_deref(), Some("poll timed out after 2s (endpoint not answering?)"));
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
