//! The left pane: ECR pushes, newest first, with their status badge and the run they were matched to.
//! Untriggered rows are red and bold and carry the `!! UNTRIGGERED` text marker, so they stand out without colour.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{column_widths, constraints, fit, safe, width};
use crate::analysis::PushVerdict;
use crate::analysis::correlate::PushStatus;
use crate::analysis::diagnose::Code;
use crate::display::{age, place, short_digest};
use crate::tui::app::App;
use crate::tui::layout::list_height;
use crate::tui::theme::push_badge;
use crate::tui::view::{Pane, scroll_offset};

/// `repo:tag` with ` +N` for N more tags (or `repo <untagged>`), cleaned; the popup lists every tag.
pub fn image(p: &PushVerdict) -> String {
    match p.push.tags.as_slice() {
        [] => safe(&format!("{} <untagged>", p.push.repository)),
        [tag] => safe(&format!("{}:{tag}", p.push.repository)),
        [tag, more @ ..] => safe(&format!("{}:{tag} +{}", p.push.repository, more.len())),
    }
}

/// A few words on why an untriggered push started nothing, for its row (the popup has the whole finding).
pub fn short_cause(p: &PushVerdict, names: &dyn Fn(&str) -> Option<String>) -> String {
    let Some(f) = p.findings.first() else { return format!("none ({})", safe(&p.watched_by.join(","))) };
    match f.code {
        Code::CrossAccountPush => {
            let account = p.pusher.as_ref().map_or_else(String::new, |w| w.account.clone());
            let who = names(&account).unwrap_or(account);
            format!("cross-account by {}", safe(&who))
        }
        Code::NoTriggerRule => "no trigger rule".into(),
        Code::RuleDisabled => "rule disabled".into(),
        Code::RulePatternMismatch => "rule pattern mismatch".into(),
        Code::CloudtrailPatternWithoutTrail => "rule needs a trail".into(),
        Code::RuleResourcesFilter => "rule filters on resources".into(),
        Code::ReplicationNotMatched => "replicated, rule wants a push".into(),
        Code::RuleTargetsOtherPipeline => "rule starts another pipeline".into(),
        Code::TargetWithoutRole => "rule target has no role".into(),
        Code::TargetRoleDenied => "target role may not start it".into(),
        Code::RuleInvocationsFailed => "rule invocations failed".into(),
        Code::DeployedWithoutTrigger => "deployed without trigger".into(),
        Code::TagNotWatched => "tag not watched".into(),
        Code::Unknown => "no run, cause unknown".into(),
    }
}

/// Who started a run not started by a push, in a word or two.
fn started_how(trigger: &str) -> &'static str {
    match trigger {
        "StartPipelineExecution" => "a release by hand",
        "Webhook" | "WebhookV2" | "PollForSourceChanges" => "another source",
        "ManualRollback" | "AutomatedRollback" => "a rollback",
        _ => "another start",
    }
}

/// What the "run" column says about a push.
fn run(p: &PushVerdict, now: Timestamp, grace: std::time::Duration, names: &dyn Fn(&str) -> Option<String>) -> String {
    match (&p.execution, p.status) {
        (Some(e), _) => {
            format!("{} {} ({})", safe(&e.pipeline), safe(e.id.get(..8).unwrap_or(&e.id)), e.matched_by.as_str())
        }
        (None, PushStatus::Untriggered) => match &p.deployed_by {
            // The cause first; the run that hid it after.
            Some(d) if p.findings.len() > 1 => format!("{}; {} ran it", short_cause(p, names), started_how(&d.trigger)),
            _ => short_cause(p, names),
        },
        (None, PushStatus::Pending) => {
            let left = jiff::SignedDuration::try_from(grace)
                .ok()
                .and_then(|g| p.push.pushed_at.checked_add(g).ok())
                .map_or_else(|| "?".to_string(), |deadline| age(deadline, now));
            format!("waiting, flagged in {left}")
        }
        (None, _) => "-".to_string(),
    }
}

/// Draws the pushes pane.
pub fn draw(f: &mut Frame, area: Rect, app: &App, now: Timestamp) {
    let t = app.theme;
    let focused = app.focus == Pane::Pushes;
    let title = format!(" Pushes {}/{} ", app.push_rows.len(), app.analysis.pushes.len());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border(focused))
        .title(Line::styled(title, t.border(focused)));
    let inner = block.inner(area);
    if app.push_rows.is_empty() {
        let in_profile = |p: &&PushVerdict| app.filters.shows(&p.profile, &p.region);
        let msg = if app.loading() {
            "waiting for the first poll…".to_string()
        } else if !app.analysis.pushes.iter().any(|p| in_profile(&p)) {
            match app.filters.profile_label(app.analysis.several_regions()) {
                Some(name) => format!("{}: no pushes in the lookback window", safe(&name)),
                None => "no pushes in the lookback window".to_string(),
            }
        } else {
            "no push matches the filters".to_string()
        };
        let p = Paragraph::new(Line::styled(msg, t.dim())).wrap(Wrap { trim: true }).block(block);
        f.render_widget(p, area);
        return;
    }

    // Only the visible rows are built: a frame costs the same with 40 pushes or 10,000.
    // `update` keeps the offset in step with the selection; recomputing it keeps a frame of another size right.
    let height = list_height(area);
    let offset = scroll_offset(app.pushes.offset, app.pushes.index, height, app.push_rows.len());
    let end = (offset + height).min(app.push_rows.len());
    let pushes: Vec<&PushVerdict> = app.push_rows[offset..end].iter().map(|&i| &app.analysis.pushes[i]).collect();
    // The profile column only when the rows come from more than one profile.
    // The profile is shown with its region when a profile polls several.
    let regions = app.analysis.several_regions();
    let profile = |p: &PushVerdict| safe(&place(&p.profile, &p.region, regions));
    let several = pushes.iter().any(|p| profile(p) != profile(pushes[0]));
    let profile_w = if several {
        pushes.iter().map(|p| width(&profile(p))).max().unwrap_or(0).min(if regions { 24 } else { 16 })
    } else {
        0
    };
    let image_w = pushes.iter().map(|p| width(&image(p))).max().unwrap_or(0).min(48);
    // Account ids to profile names, so a cross-account push says "by account-b".
    let names = |account: &str| -> Option<String> {
        app.metas.iter().zip(&app.profiles).find_map(|(m, st)| {
            let id = st.snapshot.as_ref()?.identity.as_ref()?;
            (id.account == account).then(|| m.name.clone())
        })
    };
    let runs: Vec<String> = pushes.iter().map(|p| run(p, now, app.grace, &names)).collect();
    let run_w = runs.iter().map(|r| width(r)).max().unwrap_or(0).min(48);
    // Order of priority: status, age, image (required), then profile, digest, run.
    let widths = column_widths(
        usize::from(inner.width).saturating_sub(1),
        &[
            (14, 14, true),
            (4, 4, true),
            (12, image_w.max(12), true),
            (profile_w, profile_w, false),
            (12, 12, false),
            (16, run_w.max(16), false),
        ],
    );
    let [ws, wa, wi, wp, wd, wr] = [widths[0], widths[1], widths[2], widths[3], widths[4], widths[5]];

    // Display order: status, age, profile, image, digest, run.
    let header = {
        let mut h = vec!["STATUS", "AGE"];
        if wp > 0 {
            h.push("PROFILE");
        }
        h.push("IMAGE");
        if wd > 0 {
            h.push("DIGEST");
        }
        if wr > 0 {
            h.push("RUN");
        }
        Row::new(h).style(t.header())
    };
    let rows: Vec<Row> = pushes
        .iter()
        .zip(&runs)
        .map(|(p, r)| {
            let mut cells = vec![
                Cell::from(Span::styled(push_badge(p.status), t.push_status(p.status))),
                Cell::from(Line::from(format!("{:>4}", age(now, p.push.pushed_at)))),
            ];
            if wp > 0 {
                cells.push(Cell::from(fit(&profile(p), wp).into_owned()));
            }
            cells.push(Cell::from(fit(&image(p), wi).into_owned()));
            if wd > 0 {
                cells.push(Cell::from(safe(short_digest(&p.push.digest))));
            }
            if wr > 0 {
                cells.push(Cell::from(fit(r, wr).into_owned()));
            }
            let row = Row::new(cells);
            if p.status == PushStatus::Untriggered { row.style(t.untriggered()) } else { row }
        })
        .collect();
    let shown = [ws, wa, wp, wi, wd, wr];
    let table = Table::new(rows, constraints(&shown))
        .header(header)
        .block(block)
        .column_spacing(1)
        .highlight_symbol(">")
        .row_highlight_style(t.selected(focused));
    let mut state = TableState::default().with_selected(app.pushes.index.checked_sub(offset));
    f.render_stateful_widget(table, area, &mut state);
}
