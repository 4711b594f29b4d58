//! The right pane: pipeline executions of every shown profile, newest first, with status, trigger and revision.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{column_widths, constraints, fit, safe, width};
use crate::analysis::PipelineHistory;
use crate::display::{age, place, short_digest};
use crate::tui::app::App;
use crate::tui::layout::list_height;
use crate::tui::view::{Pane, scroll_offset};

/// Draws the executions pane.
pub fn draw(f: &mut Frame, area: Rect, app: &App, now: Timestamp) {
    let t = app.theme;
    let focused = app.focus == Pane::Executions;
    let total: usize = app.analysis.pipelines.iter().map(|p| p.executions.len()).sum();
    let title = format!(" Executions {}/{} ", app.exec_rows.len(), total);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border(focused))
        .title(Line::styled(title, t.border(focused)));
    let inner = block.inner(area);
    if app.exec_rows.is_empty() {
        let shown: Vec<_> =
            app.analysis.pipelines.iter().filter(|p| app.filters.shows(&p.profile, &p.region)).collect();
        let label = app.filters.profile_label(app.analysis.several_regions());
        let prefix = label.map(|n| format!("{}: ", safe(&n))).unwrap_or_default();
        let msg = if app.loading() {
            "waiting for the first poll…".to_string()
        } else if shown.is_empty() {
            format!("{prefix}no pipelines")
        } else if shown.iter().all(|p| p.executions.is_empty()) {
            format!("{prefix}no executions in the lookback window")
        } else {
            "no execution matches the filters".to_string()
        };
        let p = Paragraph::new(Line::styled(msg, t.dim())).wrap(Wrap { trim: true }).block(block);
        f.render_widget(p, area);
        return;
    }

    // Only the visible rows are built: a frame costs the same with 40 executions or 10,000.
    // `update` keeps the offset in step with the selection; recomputing it keeps a frame of another size right.
    let height = list_height(area);
    let offset = scroll_offset(app.execs.offset, app.execs.index, height, app.exec_rows.len());
    let end = (offset + height).min(app.exec_rows.len());
    let execs: Vec<_> = app.exec_rows[offset..end].iter().filter_map(|r| r.get(&app.analysis)).collect();
    // The profile column only when the rows come from more than one profile.
    // The profile is shown with its region when a profile polls several.
    let regions = app.analysis.several_regions();
    let profile = |p: &crate::analysis::PipelineHistory| safe(&place(&p.profile, &p.region, regions));
    let several = execs.iter().any(|(p, _)| execs.first().is_some_and(|(f, _)| profile(p) != profile(f)));
    let profile_w = if several {
        execs.iter().map(|(p, _)| width(&profile(p))).max().unwrap_or(0).min(if regions { 24 } else { 16 })
    } else {
        0
    };
    let pipe_w = execs.iter().map(|(p, _)| width(&pipeline_name(p))).max().unwrap_or(0).min(32);
    let trig_w = execs.iter().map(|(_, e)| width(&safe(&e.trigger))).max().unwrap_or(0).min(24);
    let trig_min = execs.iter().map(|(_, e)| width(short_trigger(&e.trigger))).max().unwrap_or(0).min(trig_w);
    // Priority: age, status, pipeline (required), then profile, revision, trigger (short when narrow).
    let w = column_widths(
        usize::from(inner.width).saturating_sub(1),
        &[
            (4, 4, true),
            (10, 10, true),
            (8, pipe_w.max(8), true),
            (profile_w, profile_w, false),
            (12, 12, false),
            (trig_min, trig_w, false),
        ],
    );
    let [wa, ws, wpl, wp, wr, wt] = [w[0], w[1], w[2], w[3], w[4], w[5]];
    let mut h = vec!["AGE", "STATUS"];
    if wp > 0 {
        h.push("PROFILE");
    }
    h.push("PIPELINE");
    if wt > 0 {
        h.push("TRIGGER");
    }
    if wr > 0 {
        h.push("REVISION");
    }
    let rows: Vec<Row> = execs
        .iter()
        .map(|(p, e)| {
            let mut cells = vec![
                Cell::from(format!("{:>4}", age(now, e.started_at))),
                Cell::from(Span::styled(fit(&safe(e.status.as_str()), ws).into_owned(), t.exec_status(&e.status))),
            ];
            if wp > 0 {
                cells.push(Cell::from(fit(&profile(p), wp).into_owned()));
            }
            cells.push(Cell::from(fit(&pipeline_name(p), wpl).into_owned()));
            if wt > 0 {
                let full = safe(&e.trigger);
                let shown = if width(&full) <= wt { full } else { safe(short_trigger(&e.trigger)) };
                cells.push(Cell::from(fit(&shown, wt).into_owned()));
            }
            if wr > 0 {
                let rev = e.revisions.first().map_or("-", |r| short_digest(&r.revision_id));
                cells.push(Cell::from(fit(&safe(rev), wr).into_owned()));
            }
            Row::new(cells)
        })
        .collect();
    let shown = [wa, ws, wp, wpl, wt, wr];
    let table = Table::new(rows, constraints(&shown))
        .header(Row::new(h).style(t.header()))
        .block(block)
        .column_spacing(1)
        .highlight_symbol(">")
        .row_highlight_style(t.selected(focused));
    let mut state = TableState::default().with_selected(app.execs.index.checked_sub(offset));
    f.render_stateful_widget(table, area, &mut state);
}

/// The pipeline's name as the pane shows it: marked when its runs are those of an earlier poll.
fn pipeline_name(p: &PipelineHistory) -> String {
    match &p.stale {
        Some(_) => format!("{} (stale)", safe(&p.name)),
        None => safe(&p.name),
    }
}

/// A short name for a CodePipeline trigger type, for narrow columns (unknown types are kept).
pub fn short_trigger(t: &str) -> &str {
    match t {
        "CloudWatchEvent" => "event",
        "StartPipelineExecution" => "start",
        "PollForSourceChanges" => "poll",
        "Webhook" | "WebhookV2" => "webhook",
        "CreatePipeline" => "create",
        "PutActionRevision" => "put-rev",
        "ManualRollback" | "AutomatedRollback" => "rollback",
        other => other,
    }
}
