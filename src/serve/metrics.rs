//! `/metrics`: the [`Board`] in the Prometheus text format (0.0.4) or OpenMetrics 1.0, written by
//! `prometheus-client` (which escapes label values as the formats require). Rendering only: every number comes from
//! the board.
//!
//! Label values are names as AWS (or the config) spelled them, with control, bidi and zero-width characters made
//! visible as in the text report (`^[`, `<U+202E>`), so that the exposition is safe on a terminal; quotes and
//! backslashes are escaped by the format. No label holds an unbounded value on a hot series: digests and times stay
//! out; `pipewatch_untriggered_push_info` has one series per untriggered push.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};

use super::board::Board;
use crate::analysis::correlate::PushStatus;
use crate::sanitize::clean;

/// The exposition formats `/metrics` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The Prometheus text format, version 0.0.4 (what `promtool check metrics` and most agents read).
    Text,
    /// OpenMetrics 1.0 text (what Prometheus asks for first).
    OpenMetrics,
}

impl Format {
    /// The `Content-Type` of a body in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// The four push statuses, each a series of `pipewatch_pushes` for every polled profile (zeros included).
const STATUSES: [PushStatus; 4] =
    [PushStatus::Untriggered, PushStatus::Pending, PushStatus::Triggered, PushStatus::Unwatched];

/// The exposition of `board` in `format`.
pub fn render(board: Arc<Board>, format: Format) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Exposition(board)));
    let mut out = String::new();
    // Writing into a String fails only if a metric's encoding does, which ours never do.
    let _ = match format {
        Format::Text => prometheus_client::encoding::prometheus_text::encode(&mut out, &registry),
        Format::OpenMetrics => prometheus_client::encoding::text::encode(&mut out, &registry),
    };
    out
}

/// A label value: control, bidi and zero-width characters made visible.
fn value(s: &str) -> Cow<'_, str> {
    clean(s)
}

#[derive(Debug)]
struct Exposition(Arc<Board>);

impl Collector for Exposition {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let board = &*self.0;
        let polled: Vec<_> = board.polls.iter().filter(|p| p.last_poll.is_some()).collect();

        let mut m = enc.encode_descriptor("pipewatch_build", "The version of pipewatch.", None, MetricType::Info)?;
        m.encode_info(&[("version", env!("CARGO_PKG_VERSION"))])?;

        let help = "The interval between two polls of a profile (refresh).";
        let m = enc.encode_descriptor("pipewatch_refresh", help, Some(&Unit::Seconds), MetricType::Gauge)?;
        ConstGauge::new(board.refresh.as_secs_f64()).encode(m)?;

        let help = "1 when the profile's last poll succeeded, else 0.";
        let mut m = enc.encode_descriptor("pipewatch_up", help, None, MetricType::Gauge)?;
        for p in &polled {
            ConstGauge::new(i64::from(p.up))
                .encode(m.encode_family(&[("profile", value(&p.profile)), ("region", value(&p.region))])?)?;
        }

        let help = "Polls of the profile that failed in a row (0 after a successful poll).";
        let mut m = enc.encode_descriptor("pipewatch_consecutive_failed_polls", help, None, MetricType::Gauge)?;
        for p in &polled {
            let labels = [("profile", value(&p.profile)), ("region", value(&p.region))];
            ConstGauge::new(p.failures_in_a_row as i64).encode(m.encode_family(&labels)?)?;
        }

        let help = "When the profile's last poll finished (successfully or not), in Unix time.";
        let mut m =
            enc.encode_descriptor("pipewatch_last_poll_timestamp", help, Some(&Unit::Seconds), MetricType::Gauge)?;
        for p in &polled {
            let at = p.last_poll.map_or(0.0, |t| t.as_millisecond() as f64 / 1000.0);
            ConstGauge::new(at)
                .encode(m.encode_family(&[("profile", value(&p.profile)), ("region", value(&p.region))])?)?;
        }

        let help = "How long the profile's last poll took.";
        let mut m = enc.encode_descriptor("pipewatch_poll_duration", help, Some(&Unit::Seconds), MetricType::Gauge)?;
        for p in polled.iter().filter(|p| p.duration.is_some()) {
            let took = p.duration.map_or(0.0, |d| d.as_secs_f64());
            ConstGauge::new(took)
                .encode(m.encode_family(&[("profile", value(&p.profile)), ("region", value(&p.region))])?)?;
        }

        let help = "Pushes in the lookback window by status: untriggered, pending, triggered, unwatched.";
        let mut m = enc.encode_descriptor("pipewatch_pushes", help, None, MetricType::Gauge)?;
        let mut counts: HashMap<(&str, &str), [i64; STATUSES.len()]> = HashMap::new();
        for v in &board.analysis.pushes {
            if let Some(i) = STATUSES.iter().position(|s| *s == v.status) {
                counts.entry((v.profile.as_str(), v.region.as_str())).or_default()[i] += 1;
            }
        }
        for p in &polled {
            let n = counts.get(&(p.profile.as_str(), p.region.as_str())).copied().unwrap_or_default();
            for (status, n) in STATUSES.iter().zip(n) {
                let labels = [
                    ("profile", value(&p.profile)),
                    ("region", value(&p.region)),
                    ("status", Cow::Borrowed(status.as_str())),
                ];
                ConstGauge::new(n).encode(m.encode_family(&labels)?)?;
            }
        }

        let help = "One series per untriggered push: its repository, tags (comma-separated), the pipelines watching \
                    it and its first finding's code (README: Why didn't my push trigger?).";
        let mut m = enc.encode_descriptor("pipewatch_untriggered_push", help, None, MetricType::Info)?;
        for labels in untriggered(board) {
            m.encode_info(&labels)?;
        }

        let help = "AWS API calls made by the profile's polls, by API (service:Operation).";
        let mut m = enc.encode_descriptor("pipewatch_api_calls", help, None, MetricType::Counter)?;
        for p in &polled {
            for (api, n) in &p.calls {
                let labels = [("profile", value(&p.profile)), ("region", value(&p.region)), ("api", value(api))];
                ConstCounter::new(*n).encode(m.encode_family(&labels)?)?;
            }
        }

        let help = "Failures met by the profile's polls, by API (poll when the whole poll failed, e.g. timed out) \
                    and kind (no_credentials, expired_credentials, access_denied, throttled, timed_out, transport, …).";
        let mut m = enc.encode_descriptor("pipewatch_api_errors", help, None, MetricType::Counter)?;
        for p in &polled {
            for ((api, kind), n) in &p.errors {
                let labels = [
                    ("profile", value(&p.profile)),
                    ("region", value(&p.region)),
                    ("api", value(api)),
                    ("kind", Cow::Borrowed(*kind)),
                ];
                ConstCounter::new(*n).encode(m.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

/// The label sets of `pipewatch_untriggered_push_info`, sorted, each once (two pushes with the same labels are
/// one series).
fn untriggered(board: &Board) -> Vec<[(&'static str, Cow<'_, str>); 6]> {
    let mut all: Vec<_> = board
        .analysis
        .pushes
        .iter()
        .filter(|v| v.status == PushStatus::Untriggered)
        .map(|v| {
            let code = v.findings.first().map_or("unknown", |f| f.code.as_str());
            [
                ("profile", value(&v.profile)),
                ("region", value(&v.region)),
                ("repository", value(&v.push.repository)),
                ("tag", Cow::Owned(value(&v.push.tags.join(",")).into_owned())),
                ("pipeline", Cow::Owned(value(&v.watched_by.join(",")).into_owned())),
                ("code", Cow::Borrowed(code)),
            ]
        })
        .collect();
    all.sort();
    all.dedup();
    all
}

#[cfg(test)]
mod tests;
