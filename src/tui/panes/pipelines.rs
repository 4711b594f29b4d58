//! The pipelines view: one row per pipeline, worst first (most untriggered pushes, a failed last run, pending
//! pushes), with its profile, what it watches, its last push and its last run. `details` on a row shows only that
//! pipeline's pushes and runs.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::executions::short_trigger;
use super::{column_widths, constraints, fit, safe, width};
use crate::display::{age, place};
use crate::tui::app::App;
use crate::tui::layout::list_height;
use crate::tui::view::scroll_offset;

/// Draws the pipelines view.
pub fn draw(f: &mut Frame, area: Rect, app: &App, now: Timestamp) {
    let t = app.theme;
    let title = format!(" Pipelines {}/{} (worst first) ", app.pipe_rows.len(), app.analysis.pipelines.len());
    let block =
        Block::default().borders(Borders::ALL).border_style(t.border(true)).title(Line::styled(title, t.border(true)));
    let inner = block.inner(area);
    if app.pipe_rows.is_empty() {
        let msg = if app.loading() { "waiting for the first poll…" } else { "no pipeline matches the filters" };
        f.render_widget(Paragraph::new(Line::styled(msg, t.dim())).wrap(Wrap { trim: true }).block(block), area);
        return;
    }
    let height = list_height(area);
    let offset = scroll_offset(app.pipes.offset, app.pipes.index, height, app.pipe_rows.len());
    let end = (offset + height).min(app.pipe_rows.len());
    let rows = &app.pipe_rows[offset..end];
    let watches = |i: usize| {
        let p = &app.analysis.pipelines[i];
        let s: Vec<String> = p.sources.iter().map(|s| format!("{}:{}", s.repository, s.tag)).collect();
        if s.is_empty() { "no ECR source".to_string() } else { safe(&s.join(", ")) }
    };
    let name_w = rows.iter().map(|r| width(&safe(&app.analysis.pipelines[r.pipeline].name))).max().unwrap_or(0).min(32);
    // The profile, with its region when a profile polls several.
    let regions = app.analysis.several_regions();
    let profile = |p: &crate::analysis::PipelineHistory| safe(&place(&p.profile, &p.region, regions));
    let prof_w = rows
        .iter()
        .map(|r| width(&profile(&app.analysis.pipelines[r.pipeline])))
        .max()
        .unwrap_or(0)
        .min(if regions { 24 } else { 16 });
    let watch_w = rows.iter().map(|r| width(&watches(r.pipeline))).max().unwrap_or(0).min(40);
    // Priority: untriggered, pipeline, last run (required); then profile, last push, trigger, watches.
    let w = column_widths(
        usize::from(inner.width).saturating_sub(1),
        &[
            (5, 5, true),
            (8, name_w.max(8), true),
            (15, 15, true),
            (prof_w.max(7), prof_w.max(7), false),
            (9, 9, false),
            (7, 10, false),
            (10, watch_w.max(10), false),
        ],
    );
    let [wu, wn, wr, wp, wl, wt, ww] = [w[0], w[1], w[2], w[3], w[4], w[5], w[6]];
    let mut header = vec!["!!", "PIPELINE"];
    if wp > 0 {
        header.insert(1, "PROFILE");
    }
    header.push("LAST RUN");
    for (wid, name) in [(wt, "TRIGGER"), (wl, "LAST PUSH"), (ww, "WATCHES")] {
        if wid > 0 {
            header.push(name);
        }
    }
    let body: Vec<Row> = rows
        .iter()
        .map(|r| {
            let p = &app.analysis.pipelines[r.pipeline];
            let last = p.executions.first();
            let count = if r.untriggered > 0 { format!("{:>3}", r.untriggered) } else { "  -".to_string() };
            let mut cells =
                vec![Cell::from(Span::styled(count, if r.untriggered > 0 { t.untriggered() } else { t.dim() }))];
            if wp > 0 {
                cells.push(Cell::from(fit(&profile(p), wp).into_owned()));
            }
            cells.push(Cell::from(fit(&safe(&p.name), wn).into_owned()));
            cells.push(match last {
                Some(e) => Cell::from(Line::from(vec![
                    Span::styled(fit(&safe(e.status.as_str()), 10).into_owned(), t.exec_status(&e.status)),
                    Span::raw(format!(" {:>4}", age(now, e.started_at))),
                ])),
                None => Cell::from(Span::styled("no run", t.dim())),
            });
            if wt > 0 {
                let trig = last.map_or("-".to_string(), |e| safe(short_trigger(&e.trigger)));
                cells.push(Cell::from(fit(&trig, wt).into_owned()));
            }
            if wl > 0 {
                cells.push(Cell::from(r.last_push.map_or("-".to_string(), |at| format!("{:>4} ago", age(now, at)))));
            }
            if ww > 0 {
                cells.push(Cell::from(fit(&watches(r.pipeline), ww).into_owned()));
            }
            let row = Row::new(cells);
            if r.untriggered > 0 { row.style(t.untriggered()) } else { row }
        })
        .collect();
    let shown = [wu, wp, wn, wr, wt, wl, ww];
    let table = Table::new(body, constraints(&shown))
        .header(Row::new(header).style(t.header()))
        .block(block)
        .column_spacing(1)
        .highlight_symbol(">")
        .row_highlight_style(t.selected(true));
    let mut state = TableState::default().with_selected(app.pipes.index.checked_sub(offset));
    f.render_stateful_widget(table, area, &mut state);
}
