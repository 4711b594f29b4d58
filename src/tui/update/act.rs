//! `open` and `copy`: what the selected item (or the open popup's) is worth opening or copying, and the footer
//! notice that says what happened. The loop does the I/O (`Effect::Open`, `Effect::Copy`).

use jiff::{SignedDuration, Timestamp};

use crate::console::Console;
use crate::display::short_digest;
use crate::sanitize::clean;
use crate::tui::app::{App, Notice, Popup};
use crate::tui::msg::Effect;
use crate::tui::view::{ExecKey, Pane, PipeKey, PushKey};

/// How long a notice stays in the footer.
const NOTICE_FOR: SignedDuration = SignedDuration::from_secs(5);

/// The item `open` and `copy` act on.
enum Item {
    Push(PushKey),
    Execution(ExecKey),
    Pipeline(PipeKey),
}

impl App {
    /// Shows `text` in the footer for a few seconds.
    pub(crate) fn notify(&mut self, now: Timestamp, text: String, error: bool) {
        self.notice = Some(Notice { text, error, until: now.saturating_add(NOTICE_FOR).unwrap_or(now) });
    }

    /// The open popup's item, else the focused pane's selection.
    fn item(&self) -> Option<Item> {
        match &self.popup {
            Some(Popup::Push(k)) => return Some(Item::Push(k.clone())),
            Some(Popup::Execution(k)) => return Some(Item::Execution(k.clone())),
            Some(Popup::Help) | None => {}
        }
        match self.focus {
            Pane::Pushes => self.pushes.key.clone().map(Item::Push),
            Pane::Executions => self.execs.key.clone().map(Item::Execution),
            Pane::Pipelines => self.pipes.key.clone().map(Item::Pipeline),
        }
    }

    /// The console of `profile` in `region`, from its identity.
    fn console(&self, profile: &str, region: &str) -> Option<Console> {
        self.analysis.outcome(profile, region).and_then(Console::of_profile)
    }

    /// The console URL of `item`, and what it shows (for the notice).
    fn url_of(&self, item: &Item) -> Option<(String, &'static str)> {
        match item {
            Item::Push(k) => Some((self.console(&k.profile, &k.region)?.image(&k.repository, &k.digest)?, "the image")),
            Item::Execution(k) => {
                Some((self.console(&k.profile, &k.region)?.execution(&k.pipeline, &k.id), "the execution"))
            }
            Item::Pipeline(k) => Some((self.console(&k.profile, &k.region)?.pipeline(&k.name), "the pipeline")),
        }
    }

    /// The console URL of the open popup's item, for its OSC 8 link.
    pub(crate) fn popup_url(&self) -> Option<String> {
        match &self.popup {
            Some(Popup::Push(k)) => self.url_of(&Item::Push(k.clone())).map(|(u, _)| u),
            Some(Popup::Execution(k)) => self.url_of(&Item::Execution(k.clone())).map(|(u, _)| u),
            _ => None,
        }
    }

    pub(super) fn open(&mut self, now: Timestamp) -> Effect {
        let Some(item) = self.item() else { return Effect::None };
        match self.url_of(&item) {
            Some((url, what)) => {
                self.notify(now, format!("opening {what} in the AWS console…"), false);
                Effect::Open(url)
            }
            None => {
                self.notify(now, "no console link: the profile's account or region is not known yet".into(), true);
                Effect::None
            }
        }
    }

    pub(super) fn copy(&mut self, now: Timestamp) -> Effect {
        let Some(item) = self.item() else { return Effect::None };
        // What a teammate asks for: the digest of a push, the id of a run, the link to a pipeline. Cleaned, so
        // that pasting it runs nothing.
        let (value, what) = match &item {
            Item::Push(k) => (clean(&k.digest).into_owned(), "digest"),
            Item::Execution(k) => (clean(&k.id).into_owned(), "execution id"),
            Item::Pipeline(_) => match self.url_of(&item) {
                Some((url, _)) => (url, "console link"),
                None => return Effect::None,
            },
        };
        let shown = if what == "digest" { short_digest(&value).to_string() } else { value.clone() };
        self.notify(now, format!("copied {what} {} (OSC 52)", crate::tui::panes::fit(&shown, 40)), false);
        Effect::Copy(value)
    }
}
