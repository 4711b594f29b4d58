//! The HTTP side of `serve`: one small axum router over the latest [`Board`]. `/metrics` (the format negotiated on
//! `Accept`), `/api/report` (the JSON document of `--once --output json`), `/healthz`, `/readyz`; any other path is
//! 404 and any other method 405. Handlers only render; the board is swapped whole by the feed.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::board::Board;
use super::metrics::{self, Format};
use crate::report;
use crate::sanitize::clean;

/// The latest board, as every request reads it.
pub type Latest = watch::Receiver<Arc<Board>>;

/// Serves the router on `listener` until `shutdown` resolves; requests in flight then finish first.
pub async fn serve(listener: TcpListener, latest: Latest, shutdown: impl Future<Output = ()> + Send + 'static) {
    if let Err(e) = axum::serve(listener, router(latest)).with_graceful_shutdown(shutdown).await {
        tracing::error!("serve: the HTTP server stopped: {e}");
    }
}

/// The routes.
pub fn router(latest: Latest) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/api/report", get(api_report))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(not_found)
        .with_state(latest)
}

async fn metrics(State(latest): State<Latest>, headers: HeaderMap) -> Response {
    let format = negotiate(headers.get(ACCEPT).and_then(|v| v.to_str().ok()));
    let board = Arc::clone(&latest.borrow());
    // Rendering thousands of series is CPU work: off the threads that poll and answer.
    match tokio::task::spawn_blocking(move || metrics::render(board, format)).await {
        Ok(body) => ([(CONTENT_TYPE, format.content_type())], body).into_response(),
        Err(e) => failed(&format!("rendering the metrics failed: {e}")),
    }
}

async fn api_report(State(latest): State<Latest>) -> Response {
    let board = Arc::clone(&latest.borrow());
    if !board.ready() {
        return not_ready(&board);
    }
    let rendered = tokio::task::spawn_blocking(move || {
        let mut body = Vec::new();
        report::json::write(&board.analysis, &mut body).map(|()| body)
    })
    .await;
    match rendered {
        Ok(Ok(body)) => ([(CONTENT_TYPE, "application/json")], body).into_response(),
        Ok(Err(e)) => failed(&format!("writing the report failed: {e}")),
        Err(e) => failed(&format!("writing the report failed: {e}")),
    }
}

async fn healthz() -> Response {
    text(StatusCode::OK, "ok\n".to_owned())
}

async fn readyz(State(latest): State<Latest>) -> Response {
    let board = Arc::clone(&latest.borrow());
    if board.ready() { text(StatusCode::OK, "ready\n".to_owned()) } else { not_ready(&board) }
}

async fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "not found: pipewatch serves /metrics, /api/report, /healthz and /readyz\n".to_owned())
}

/// 503, naming the profiles whose first poll has not finished.
fn not_ready(board: &Board) -> Response {
    let pending: Vec<_> = board.pending().into_iter().map(clean).collect();
    text(StatusCode::SERVICE_UNAVAILABLE, format!("not ready: waiting for the first poll of {}\n", pending.join(", ")))
}

fn failed(message: &str) -> Response {
    tracing::error!("serve: {message}");
    text(StatusCode::INTERNAL_SERVER_ERROR, format!("{message}\n"))
}

fn text(status: StatusCode, body: String) -> Response {
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8")),
        (CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    (status, headers, body).into_response()
}

/// The exposition format an `Accept` header asks for: OpenMetrics when it is preferred (by its `q`, or by coming
/// first at an equal `q`) over the classic text format, which is the default (no header, `*/*`, or neither named).
pub fn negotiate(accept: Option<&str>) -> Format {
    let Some(accept) = accept else { return Format::Text };
    // (q, position) of the best range naming each format; wildcards count for the text format only.
    let mut open: Option<(f32, usize)> = None;
    let mut plain: Option<(f32, usize)> = None;
    for (i, range) in accept.split(',').enumerate() {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let mut q = 1.0f32;
        let mut version = None;
        for param in parts {
            match param.split_once('=').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"'))) {
                Some((k, v)) if k == "q" => q = v.parse().unwrap_or(0.0),
                Some((k, v)) if k == "version" => version = Some(v.to_owned()),
                _ => {}
            }
        }
        if q <= 0.0 {
            continue;
        }
        let slot = match media.as_str() {
            "application/openmetrics-text" if matches!(version.as_deref(), None | Some("1.0.0" | "0.0.1")) => &mut open,
            "text/plain" if matches!(version.as_deref(), None | Some("0.0.4")) => &mut plain,
            "text/*" | "*/*" => &mut plain,
            _ => continue,
        };
        if slot.is_none_or(|(best, _)| q > best) {
            *slot = Some((q, i));
        }
    }
    match (open, plain) {
        (Some(_), None) => Format::OpenMetrics,
        (Some((oq, oi)), Some((pq, pi))) if oq > pq || (oq == pq && oi < pi) => Format::OpenMetrics,
        _ => Format::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openmetrics_only_when_preferred() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;\
                          q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        let cases = [
            (None, Format::Text),
            (Some(""), Format::Text),
            (Some("*/*"), Format::Text),
            (Some("text/plain"), Format::Text),
            (Some("application/json"), Format::Text),
            (Some(prometheus), Format::OpenMetrics),
            (Some("application/openmetrics-text"), Format::OpenMetrics),
            (Some("Application/OpenMetrics-Text; version=\"1.0.0\""), Format::OpenMetrics),
            (Some("text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5"), Format::Text),
            (Some("text/plain, application/openmetrics-text"), Format::Text),
            (Some("application/openmetrics-text, text/plain"), Format::OpenMetrics),
            (Some("application/openmetrics-text;version=2.0.0,text/plain;q=0.1"), Format::Text),
            (Some("application/openmetrics-text;q=0"), Format::Text),
            (Some("application/openmetrics-text;q=garbage"), Format::Text),
        ];
        for (accept, expected) in cases {
            assert_eq!(negotiate(accept), expected, "Accept: {accept:?}");
        }
    }
}
