//! `FailedInvocations` of the rules that target the watched pipelines (`cloudwatch:GetMetricData`, namespace
//! `AWS/Events`, statistic `Sum`): "The number of invocations that failed permanently"; "Metrics that specify only
//! the `RuleName` dimension refer to the default event bus. Metrics that specify both the `EventBusName` and
//! `RuleName` dimensions refer to a custom event bus"; "EventBridge only sends this metric to CloudWatch if it isn't
//! zero" ([Monitoring Amazon EventBridge](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html)).
//! One call answers up to 500 rules; the SDK speaks Smithy RPC v2 CBOR to CloudWatch.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use jiff::Timestamp;

use super::convert;
use super::errors::poll_error;
use super::profile_poll::ProfilePoll;
use crate::model::{FailedInvocations, Lookup};

/// Queries in one GetMetricData call (the API's limit).
const QUERIES_PER_CALL: usize = 500;

/// The datapoint period for a read that starts `age` ago: one minute within 15 days, five minutes within 63 days,
/// an hour beyond (the periods CloudWatch keeps for each age).
fn period(age: Duration) -> Duration {
    const DAY: u64 = 24 * 3600;
    match age.as_secs() {
        s if s <= 15 * DAY => Duration::from_secs(60),
        s if s <= 63 * DAY => Duration::from_secs(300),
        _ => Duration::from_secs(3600),
    }
}

/// `FailedInvocations` of each `(rule name, event bus)` from the start of the lookback to now.
pub(super) async fn read(p: &ProfilePoll<'_>, rules: &[(String, Option<String>)]) -> Lookup<FailedInvocations> {
    let age = Duration::try_from(p.now.duration_since(p.since)).unwrap_or_default();
    let period = period(age);
    let step = period.as_secs() as i64;
    // Whole periods, so that each datapoint covers one.
    let from = Timestamp::from_second(p.since.as_second().div_euclid(step) * step).unwrap_or(p.since);
    let until = p.now;
    let mut by_rule: Vec<(String, Vec<(Timestamp, u64)>)> =
        rules.iter().map(|(n, _)| (n.clone(), Vec::new())).collect();
    for (chunk_no, chunk) in rules.chunks(QUERIES_PER_CALL).enumerate() {
        let queries: Vec<MetricDataQuery> = chunk
            .iter()
            .enumerate()
            .map(|(i, (name, bus))| {
                let mut metric = Metric::builder()
                    .namespace("AWS/Events")
                    .metric_name("FailedInvocations")
                    .dimensions(Dimension::builder().name("RuleName").value(name).build());
                if let Some(bus) = bus.as_deref().filter(|b| *b != "default" && !b.is_empty()) {
                    metric = metric.dimensions(Dimension::builder().name("EventBusName").value(bus).build());
                }
                let stat = MetricStat::builder().metric(metric.build()).period(step as i32).stat("Sum").build();
                MetricDataQuery::builder().id(format!("r{}", chunk_no * QUERIES_PER_CALL + i)).metric_stat(stat).build()
            })
            .collect();
        let mut token: Option<String> = None;
        let mut points: HashMap<String, Vec<(Timestamp, u64)>> = HashMap::new();
        loop {
            let page = {
                let _slot = p.slot("cloudwatch:GetMetricData").await;
                p.clients
                    .explain()
                    .cloudwatch
                    .get_metric_data()
                    .set_metric_data_queries(Some(queries.clone()))
                    .start_time(convert::datetime(from))
                    .end_time(convert::datetime(until))
                    .set_next_token(token.take())
                    .customize()
                    .config_override(p.clients.auth())
                    .send()
                    .await
            };
            let page = match page {
                Ok(page) => page,
                Err(e) => return Lookup::Skipped(poll_error("cloudwatch:GetMetricData", &e).to_string()),
            };
            for r in page.metric_data_results() {
                let (id, p) = convert::datapoints(r);
                points.entry(id).or_default().extend(p);
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        for (id, mut p) in points {
            let Some(i) = id.strip_prefix('r').and_then(|n| n.parse::<usize>().ok()) else { continue };
            if let Some((_, slot)) = by_rule.get_mut(i) {
                p.sort_by_key(|(at, _)| *at);
                slot.extend(p);
            }
        }
    }
    Lookup::Done(FailedInvocations { from, until, period, by_rule })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_follows_what_cloudwatch_keeps() {
        assert_eq!(period(Duration::from_secs(24 * 3600)), Duration::from_secs(60));
        assert_eq!(period(Duration::from_secs(30 * 24 * 3600)), Duration::from_secs(300));
        assert_eq!(period(Duration::from_secs(90 * 24 * 3600)), Duration::from_secs(3600));
    }
}
