//! The dashboard's state, and what the screen asks of it (is a poll in flight, when is the next one).
//!
//! Per profile it keeps the latest good snapshot, the last error, whether a poll is in flight and when the last
//! poll succeeded. The state changes only through `App::update` (in `update.rs`); drawing reads it and writes
//! nothing back.

use std::time::Duration;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use ratatui::layout::Rect;

use super::theme::Theme;
use super::view::{Cursor, ExecKey, ExecRow, Filters, Pane, PipeKey, PipeRow, PushKey, Sort};
use crate::analysis::Analysis;
use crate::config::keys::KeyMap;
use crate::model::{ProfileMeta, ProfileSnapshot};

/// A message in the footer for a few seconds: what a key did, or why it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    /// Shown until then.
    pub until: Timestamp,
}

/// What the dashboard knows about one profile: the feed of its polls.
#[derive(Debug, Clone, Default)]
pub struct ProfileFeed {
    /// The latest good data (or the partial data of a failed first poll).
    pub snapshot: Option<ProfileSnapshot>,
    /// The error of the latest poll, if it failed; older data is then stale.
    pub error: Option<String>,
    /// A poll is in flight.
    pub polling: bool,
    /// When the last successful poll finished.
    pub last_success: Option<Timestamp>,
    /// When the last poll (successful or not) finished; the next one starts `refresh` later.
    pub last_finished: Option<Timestamp>,
}

/// A window drawn over the panes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    /// The key list.
    Help,
    /// Details of one push.
    Push(PushKey),
    /// Details of one execution.
    Execution(ExecKey),
}

/// The whole state of the dashboard.
#[derive(Debug)]
pub struct App {
    pub metas: Vec<ProfileMeta>,
    /// Parallel to `metas`.
    pub profiles: Vec<ProfileFeed>,
    pub grace: Duration,
    pub refresh: Duration,
    /// Zone for absolute times (the system's; UTC in tests).
    pub tz: TimeZone,
    pub theme: Theme,
    pub analysis: Analysis,
    /// The terminal's area, from the last resize: the layout `update` works with (see `layout::Screen`).
    pub area: Rect,
    /// Visible pushes: indices into `analysis.pushes`.
    pub push_rows: Vec<usize>,
    /// Visible executions.
    pub exec_rows: Vec<ExecRow>,
    /// Visible pipelines, worst first.
    pub pipe_rows: Vec<PipeRow>,
    pub pushes: Cursor<PushKey>,
    pub execs: Cursor<ExecKey>,
    pub pipes: Cursor<PipeKey>,
    pub focus: Pane,
    /// The pane the pipelines view returns to.
    pub back_to: Pane,
    /// How the pushes are ordered.
    pub sort: Sort,
    /// Which key does what (`[keys]`).
    pub keys: KeyMap,
    /// The footer's message, if any.
    pub notice: Option<Notice>,
    pub filters: Filters,
    /// The text filter is being typed.
    pub editing: bool,
    /// Index into `metas` of the only profile shown.
    pub profile_filter: Option<usize>,
    pub popup: Option<Popup>,
    /// First line shown in the popup (at most its last screenful).
    pub popup_scroll: u16,
    /// Set when the dashboard should end, with the process exit code.
    pub exit: Option<u8>,
    /// When a pending push becomes untriggered (the analysis is redone then).
    pub next_deadline: Option<Timestamp>,
    /// New data arrived since the analysis was made: [`App::settle`] redoes it, once per burst of messages.
    pub stale: bool,
}

impl App {
    /// A dashboard for `metas`, with nothing polled yet and no terminal size known.
    pub fn new(metas: Vec<ProfileMeta>, grace: Duration, refresh: Duration, tz: TimeZone, theme: Theme) -> Self {
        let analysis = Analysis::new(&[], &[], Timestamp::UNIX_EPOCH, grace);
        Self {
            profiles: vec![ProfileFeed::default(); metas.len()],
            metas,
            grace,
            refresh,
            tz,
            theme,
            analysis,
            area: Rect::default(),
            push_rows: Vec::new(),
            exec_rows: Vec::new(),
            pipe_rows: Vec::new(),
            pushes: Cursor::default(),
            execs: Cursor::default(),
            pipes: Cursor::default(),
            focus: Pane::Pushes,
            back_to: Pane::Pushes,
            sort: Sort::default(),
            keys: KeyMap::default(),
            notice: None,
            filters: Filters::default(),
            editing: false,
            profile_filter: None,
            popup: None,
            popup_scroll: 0,
            exit: None,
            next_deadline: None,
            stale: false,
        }
    }

    /// The same dashboard with `keys` bound.
    pub fn with_keys(mut self, keys: KeyMap) -> Self {
        self.keys = keys;
        self
    }

    /// True while a spinner is on screen (some poll in flight), so the loop ticks faster.
    pub fn busy(&self) -> bool {
        self.profiles.iter().any(|p| p.polling)
    }

    /// True before any profile has data or an answer.
    pub fn loading(&self) -> bool {
        self.profiles.iter().all(|p| p.snapshot.is_none() && p.last_finished.is_none())
    }

    /// When the next poll starts, or `None` while one is in flight or before the first has finished.
    pub fn next_poll(&self) -> Option<Timestamp> {
        if self.busy() {
            return None;
        }
        let refresh = SignedDuration::try_from(self.refresh).unwrap_or(SignedDuration::MAX);
        self.profiles.iter().filter_map(|p| p.last_finished?.checked_add(refresh).ok()).min()
    }
}
