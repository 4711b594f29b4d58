//! The state file of notifications: which pushes each sink delivered, so that a restart announces nothing twice.
//!
//! `$XDG_STATE_HOME/pipewatch/notified.json` (else `~/.local/state/pipewatch/notified.json`), a small JSON document
//! rewritten whole (write to a temporary file, then rename) after each delivery. Several pipewatch processes may
//! share it (instances over different profiles): each write merges what the file holds. Pushes older than the
//! retention are dropped. A file that cannot be read, parsed or written is a logged warning, never an error.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::{PushKey, SinkKind};

const FILE_NAME: &str = "notified.json";
const VERSION: u32 = 1;

/// What opening the state file found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Opened {
    /// No file yet, and one could be written: a first run.
    Fresh,
    /// The file was read.
    Loaded,
    /// The file cannot be trusted or kept (the reason, for a warning): announce only what becomes untriggered later.
    Baseline(String),
}

/// The state file and what it holds.
#[derive(Debug)]
pub(super) struct Store {
    /// `None` when there is no state directory.
    path: Option<PathBuf>,
    records: BTreeMap<PushKey, Record>,
    retention: Duration,
    /// The last write failed (warned once until one succeeds).
    failing: bool,
}

/// One push in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Record {
    pushed_at: Timestamp,
    /// `command`, `webhook`.
    delivered: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct FileJson {
    version: u32,
    pushes: Vec<RecordJson>,
}

#[derive(Serialize, Deserialize)]
struct RecordJson {
    #[serde(flatten)]
    key: PushKey,
    #[serde(flatten)]
    record: Record,
}

/// `$XDG_STATE_HOME/pipewatch` (an absolute path), else `$HOME/.local/state/pipewatch`.
pub(super) fn state_dir() -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_STATE_HOME").map(PathBuf::from).filter(|p| p.is_absolute());
    let base = xdg.or_else(|| {
        let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
        Some(Path::new(&home).join(".local").join("state"))
    })?;
    Some(base.join("pipewatch"))
}

impl Store {
    /// Opens the state file of this user, creating it when missing.
    pub(super) fn open(retention: Duration) -> (Store, Opened) {
        match state_dir() {
            Some(dir) => Self::open_at(dir.join(FILE_NAME), retention),
            None => {
                let store = Store { path: None, records: BTreeMap::new(), retention, failing: true };
                (store, Opened::Baseline("no state directory (set XDG_STATE_HOME or HOME)".to_owned()))
            }
        }
    }

    /// Opens the state file at `path`.
    pub(super) fn open_at(path: PathBuf, retention: Duration) -> (Store, Opened) {
        let mut store = Store { path: Some(path.clone()), records: BTreeMap::new(), retention, failing: false };
        let opened = match fs::read(&path) {
            Ok(bytes) => match parse(&bytes) {
                Ok(records) => {
                    store.records = records;
                    Opened::Loaded
                }
                Err(why) => {
                    let aside = path.with_extension(format!("json.corrupt-{}", Timestamp::now().as_second()));
                    let kept = match fs::rename(&path, &aside) {
                        Ok(()) => format!("kept as {}", aside.display()),
                        Err(e) => format!("cannot move it aside: {e}"),
                    };
                    Opened::Baseline(format!("the state file {} is unreadable ({why}; {kept})", path.display()))
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => Opened::Fresh,
            Err(e) => Opened::Baseline(format!("cannot read the state file {}: {e}", path.display())),
        };
        // Proves the file can be written now, rather than after the first delivery: deliveries that cannot be
        // remembered would be announced again after every restart.
        if let Err(e) = store.save() {
            store.failing = true;
            let cannot = format!("cannot write the state file {}: {e}", path.display());
            let why = match opened {
                Opened::Baseline(why) => format!("{why}; {cannot}"),
                _ => cannot,
            };
            return (store, Opened::Baseline(why));
        }
        (store, opened)
    }

    /// The file's path as logs show it.
    pub(super) fn shown_path(&self) -> String {
        self.path.as_ref().map_or_else(|| "(nowhere)".to_owned(), |p| p.display().to_string())
    }

    /// Every remembered push: its key, when it was pushed and the sinks that delivered it.
    pub(super) fn records(&self) -> impl Iterator<Item = (&PushKey, Timestamp, Vec<SinkKind>)> {
        self.records.iter().map(|(key, r)| {
            let kinds = [SinkKind::Command, SinkKind::Webhook];
            let delivered = kinds.into_iter().filter(|k| r.delivered.iter().any(|d| d == k.as_str())).collect();
            (key, r.pushed_at, delivered)
        })
    }

    /// Records that `sinks` delivered `pushes`, and writes the file (a failure is logged).
    pub(super) fn record(&mut self, pushes: &[(PushKey, Timestamp)], sinks: &[SinkKind]) {
        for (key, pushed_at) in pushes {
            let record =
                self.records.entry(key.clone()).or_insert_with(|| Record { pushed_at: *pushed_at, delivered: vec![] });
            for sink in sinks {
                if !record.delivered.iter().any(|d| d == sink.as_str()) {
                    record.delivered.push(sink.as_str().to_owned());
                }
            }
        }
        match self.save() {
            Ok(()) if self.failing => {
                self.failing = false;
                tracing::info!("notify: the state file {} is written again", self.shown_path());
            }
            Ok(()) => {}
            Err(e) if !self.failing => {
                self.failing = true;
                tracing::warn!(
                    "notify: cannot write the state file {}: {e} (announced pushes may be announced again after a \
                     restart)",
                    self.shown_path()
                );
            }
            Err(e) => tracing::debug!("notify: cannot write the state file: {e}"),
        }
    }

    /// Merges what the file holds now (another process may share it), drops old pushes, and replaces the file.
    fn save(&mut self) -> io::Result<()> {
        let Some(path) = self.path.clone() else {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no state directory"));
        };
        if let Ok(bytes) = fs::read(&path)
            && let Ok(theirs) = parse(&bytes)
        {
            for (key, record) in theirs {
                let ours = self.records.entry(key).or_insert_with(|| Record { delivered: vec![], ..record.clone() });
                for sink in record.delivered {
                    if !ours.delivered.contains(&sink) {
                        ours.delivered.push(sink);
                    }
                }
            }
        }
        let retention = SignedDuration::try_from(self.retention).unwrap_or(SignedDuration::MAX);
        if let Ok(oldest) = Timestamp::now().checked_sub(retention) {
            self.records.retain(|_, r| r.pushed_at >= oldest);
        }
        let file = FileJson {
            version: VERSION,
            pushes: self.records.iter().map(|(k, r)| RecordJson { key: k.clone(), record: r.clone() }).collect(),
        };
        let json = serde_json::to_vec_pretty(&file).map_err(io::Error::other)?;
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        let written = (|| {
            let mut f = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
            f.write_all(&json)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }
}

/// The records of a state file, or why it cannot be read.
fn parse(bytes: &[u8]) -> Result<BTreeMap<PushKey, Record>, String> {
    let file: FileJson = serde_json::from_slice(bytes).map_err(|e| format!("not a pipewatch state file: {e}"))?;
    if file.version != VERSION {
        return Err(format!("version {} (this pipewatch writes version {VERSION})", file.version));
    }
    Ok(file.pushes.into_iter().map(|r| (r.key, r.record)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    fn key(digest: &str) -> PushKey {
        PushKey { profile: "alpha".into(), repository: "web".into(), digest: digest.into() }
    }

    fn delivered(store: &Store) -> Vec<(String, Vec<SinkKind>)> {
        store.records().map(|(k, _, sinks)| (k.digest.clone(), sinks)).collect()
    }

    #[test]
    fn deliveries_survive_a_reopen_and_merge_with_another_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pipewatch").join(FILE_NAME);
        let (mut first, opened) = Store::open_at(path.clone(), DAY);
        assert_eq!(opened, Opened::Fresh);
        let (mut second, opened) = Store::open_at(path.clone(), DAY);
        assert_eq!(opened, Opened::Loaded);

        first.record(&[(key("sha256:a"), Timestamp::now())], &[SinkKind::Command]);
        second.record(&[(key("sha256:b"), Timestamp::now())], &[SinkKind::Webhook]);
        first.record(&[(key("sha256:a"), Timestamp::now())], &[SinkKind::Webhook]);

        let (third, opened) = Store::open_at(path.clone(), DAY);
        assert_eq!(opened, Opened::Loaded);
        assert_eq!(
            delivered(&third),
            [
                ("sha256:a".to_owned(), vec![SinkKind::Command, SinkKind::Webhook]),
                ("sha256:b".to_owned(), vec![SinkKind::Webhook])
            ]
        );
        let mode = fs::metadata(&path).unwrap().permissions();
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777, 0o600);
    }

    #[test]
    fn old_pushes_are_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let (mut store, _) = Store::open_at(path.clone(), DAY);
        let old = Timestamp::now().checked_sub(SignedDuration::from_hours(25)).unwrap();
        store.record(&[(key("sha256:old"), old), (key("sha256:new"), Timestamp::now())], &[SinkKind::Command]);
        let (store, _) = Store::open_at(path, DAY);
        assert_eq!(delivered(&store), [("sha256:new".to_owned(), vec![SinkKind::Command])]);
    }

    #[test]
    fn a_corrupt_file_is_moved_aside_and_asks_for_a_baseline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        fs::write(&path, "{ not json").unwrap();
        let (store, opened) = Store::open_at(path.clone(), DAY);
        let Opened::Baseline(why) = opened else { panic!("{opened:?}") };
        assert!(why.contains("unreadable") && why.contains("corrupt-"), "{why}");
        assert_eq!(delivered(&store), []);
        // A fresh file replaces it; the corrupt one is kept beside it.
        assert_eq!(Store::open_at(path.clone(), DAY).1, Opened::Loaded);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(names.iter().any(|n| n.to_string_lossy().starts_with("notified.json.corrupt-")), "{names:?}");
    }

    #[test]
    fn another_version_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        fs::write(&path, r#"{"version": 7, "pushes": []}"#).unwrap();
        let (_, opened) = Store::open_at(path, DAY);
        assert!(matches!(&opened, Opened::Baseline(why) if why.contains("version 7")), "{opened:?}");
    }

    #[test]
    fn an_unwritable_directory_asks_for_a_baseline_and_never_fails() {
        let dir = tempfile::tempdir().unwrap();
        // A regular file where the directory should be: nothing can be created below it.
        let blocker = dir.path().join("pipewatch");
        fs::write(&blocker, "").unwrap();
        let (mut store, opened) = Store::open_at(blocker.join(FILE_NAME), DAY);
        assert!(matches!(&opened, Opened::Baseline(why) if why.contains("cannot write")), "{opened:?}");
        store.record(&[(key("sha256:a"), Timestamp::now())], &[SinkKind::Command]);
        assert_eq!(delivered(&store), [("sha256:a".to_owned(), vec![SinkKind::Command])]);
    }
}
