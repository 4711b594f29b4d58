//! CloudWatch `GetMetricData` over Smithy RPC v2 CBOR, the protocol the Rust `aws-sdk-cloudwatch` speaks
//! ("CloudWatch SDKs started using two additional protocols: AWS JSON 1.0 and Smithy RPC v2 CBOR",
//! [FAQs on CloudWatch supported protocols](https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-protocols-faq.html)).
//!
//! Smithy's [RPC v2 CBOR protocol](https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html): requests
//! `POST /service/<Service>/operation/<Op>` with `smithy-protocol: rpc-v2-cbor`; answers carry the same header,
//! `Content-Type: application/cbor`, a CBOR map body, timestamps as tag 1 (epoch seconds); errors a map with
//! `__type` and `message`.
//!
//! The only metric is EventBridge's `AWS/Events` `FailedInvocations`: "Metrics that specify only the `RuleName`
//! dimension refer to the default event bus. Metrics that specify both the `EventBusName` and `RuleName`
//! dimensions refer to a custom event bus." and "EventBridge only sends this metric to CloudWatch if it isn't
//! zero" ([Monitoring Amazon EventBridge](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html)).

use ciborium::Value;
use jiff::Timestamp;

use super::http::Response;
use super::{ApiError, Cx};
use crate::world::State;

fn respond(status: u16, body: &Value) -> Response {
    let mut bytes = Vec::new();
    // Writing a Value into a Vec cannot fail.
    let _ = ciborium::ser::into_writer(body, &mut bytes);
    Response::new(status, "application/cbor", bytes).header("smithy-protocol", "rpc-v2-cbor")
}

pub(crate) fn error(e: &ApiError) -> Response {
    let body = Value::Map(vec![(text("__type"), text(&e.code)), (text("message"), text(&e.message))]);
    respond(e.status, &body)
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Map(entries) => entries.iter().find(|(k, _)| k.as_text() == Some(key)).map(|(_, v)| v),
        _ => None,
    }
}

fn get_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get(v, key).and_then(Value::as_text)
}

fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    get(v, key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

/// A timestamp: tag 1 over an integer or a float of epoch seconds (or a bare number).
fn time(v: Option<&Value>) -> Option<Timestamp> {
    let secs = match v? {
        Value::Tag(1, inner) => return time(Some(inner)),
        Value::Integer(i) => i128::from(*i) as f64,
        Value::Float(f) => *f,
        _ => return None,
    };
    Timestamp::from_millisecond((secs * 1000.0) as i64).ok()
}

fn time_value(t: Timestamp) -> Value {
    Value::Tag(1, Box::new(Value::Float(t.as_millisecond() as f64 / 1000.0)))
}

pub(crate) fn handle(st: &mut State, cx: &Cx, op: &str, body: &[u8]) -> Result<Response, ApiError> {
    if op != "GetMetricData" {
        return Err(ApiError::new("UnknownOperationException", format!("awsim does not implement {op}")));
    }
    let req: Value = ciborium::de::from_reader(body)
        .map_err(|e| ApiError::new("SerializationException", format!("not CBOR: {e}")))?;
    let invalid = |m: &str| ApiError::new("InvalidParameterValueException", m.to_string());
    let start = time(get(&req, "StartTime")).ok_or_else(|| invalid("StartTime is required"))?;
    let end = time(get(&req, "EndTime")).ok_or_else(|| invalid("EndTime is required"))?;
    let ascending = get_str(&req, "ScanBy") == Some("TimestampAscending");
    let empty = Vec::new();
    let points = st.region_ref(&cx.account, &cx.region).map(|r| &r.failed_invocations).unwrap_or(&empty);
    let mut results = Vec::new();
    for q in array(&req, "MetricDataQueries") {
        let id = get_str(q, "Id").ok_or_else(|| invalid("MetricDataQueries.Id is required"))?;
        let stat = get(q, "MetricStat").ok_or_else(|| invalid("awsim answers MetricStat queries only"))?;
        let metric = get(stat, "Metric");
        let period = get(stat, "Period").and_then(Value::as_integer).map(i128::from).unwrap_or(60).max(1) as i64;
        let dims: Vec<(&str, &str)> = metric
            .map(|m| array(m, "Dimensions"))
            .unwrap_or(&[])
            .iter()
            .filter_map(|d| Some((get_str(d, "Name")?, get_str(d, "Value")?)))
            .collect();
        let dim = |name: &str| dims.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        let ours = metric.and_then(|m| get_str(m, "Namespace")) == Some("AWS/Events")
            && metric.and_then(|m| get_str(m, "MetricName")) == Some("FailedInvocations");
        let rule = dim("RuleName");
        let bus = dim("EventBusName").unwrap_or("default");
        // Datapoints per period from StartTime; empty periods are absent ("only … if it isn't zero").
        let mut buckets: std::collections::BTreeMap<i64, f64> = std::collections::BTreeMap::new();
        for (b, r, at) in points.iter().filter(|_| ours) {
            if Some(r.as_str()) == rule && b == bus && *at >= start && *at < end {
                let k = (at.as_second() - start.as_second()) / period;
                *buckets.entry(k).or_default() += 1.0;
            }
        }
        let mut rows: Vec<(i64, f64)> = buckets.into_iter().collect();
        if !ascending {
            rows.reverse();
        }
        let stat_name = get_str(stat, "Stat").unwrap_or("Sum");
        let times: Vec<Value> = rows
            .iter()
            .filter_map(|(k, _)| Timestamp::from_second(start.as_second() + k * period).ok().map(time_value))
            .collect();
        let values: Vec<Value> = rows
            .iter()
            .map(|(_, n)| Value::Float(if matches!(stat_name, "Sum" | "SampleCount") { *n } else { 1.0 }))
            .collect();
        results.push(Value::Map(vec![
            (text("Id"), text(id)),
            (text("Label"), text("FailedInvocations")),
            (text("Timestamps"), Value::Array(times)),
            (text("Values"), Value::Array(values)),
            (text("StatusCode"), text("Complete")),
            (text("Messages"), Value::Array(Vec::new())),
        ]));
    }
    let body = Value::Map(vec![
        (text("MetricDataResults"), Value::Array(results)),
        (text("Messages"), Value::Array(Vec::new())),
    ]);
    Ok(respond(200, &body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::World;

    #[test]
    fn failed_invocations_per_period_newest_first() {
        let w = World::new();
        let t0: Timestamp = "2026-11-20T09:00:00Z".parse().unwrap();
        {
            let mut st = w.lock();
            let fails = &mut st.region("111111111111", "r").failed_invocations;
            for s in [10, 20, 130] {
                fails.push(("default".into(), "web-rule".into(), t0 + jiff::SignedDuration::from_secs(s)));
            }
            fails.push(("deploy-bus".into(), "web-rule".into(), t0));
        }
        let query = Value::Map(vec![
            (
                text("MetricDataQueries"),
                Value::Array(vec![Value::Map(vec![
                    (text("Id"), text("f")),
                    (
                        text("MetricStat"),
                        Value::Map(vec![
                            (
                                text("Metric"),
                                Value::Map(vec![
                                    (text("Namespace"), text("AWS/Events")),
                                    (text("MetricName"), text("FailedInvocations")),
                                    (
                                        text("Dimensions"),
                                        Value::Array(vec![Value::Map(vec![
                                            (text("Name"), text("RuleName")),
                                            (text("Value"), text("web-rule")),
                                        ])]),
                                    ),
                                ]),
                            ),
                            (text("Period"), Value::Integer(60.into())),
                            (text("Stat"), text("Sum")),
                        ]),
                    ),
                ])]),
            ),
            (text("StartTime"), time_value(t0)),
            (text("EndTime"), time_value(t0 + jiff::SignedDuration::from_mins(10))),
        ]);
        let mut body = Vec::new();
        ciborium::ser::into_writer(&query, &mut body).unwrap();
        let cx = Cx {
            account: "111111111111".into(),
            region: "r".into(),
            caller: crate::Principal::root("111111111111"),
            now: t0,
        };
        let resp = handle(&mut w.lock(), &cx, "GetMetricData", &body).unwrap();
        assert!(resp.headers.iter().any(|(k, v)| k == "smithy-protocol" && v == "rpc-v2-cbor"));
        let out: Value = ciborium::de::from_reader(&resp.body[..]).unwrap();
        let r = &array(&out, "MetricDataResults")[0];
        let values: Vec<f64> = array(r, "Values").iter().filter_map(Value::as_float).collect();
        assert_eq!(values, [1.0, 2.0], "the custom bus's datapoint is not the default bus's rule");
        let times: Vec<Timestamp> = array(r, "Timestamps").iter().filter_map(|v| time(Some(v))).collect();
        assert_eq!(times, [t0 + jiff::SignedDuration::from_mins(2), t0]);
    }
}
