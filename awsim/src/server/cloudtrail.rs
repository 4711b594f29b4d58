//! AWS CloudTrail (awsJson1_1, `CloudTrail_20131101`): LookupEvents, DescribeTrails, GetTrailStatus,
//! GetEventSelectors. Shapes: [LookupEvents](https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html),
//! [DescribeTrails](https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DescribeTrails.html),
//! [GetTrailStatus](https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html),
//! [GetEventSelectors](https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetEventSelectors.html);
//! corpus `cloudtrail/` and FACTS.md §6-§7.

use jiff::SignedDuration;
use serde_json::{Value, json};

use super::ecr::unknown;
use super::json::{epoch, required, str_field, time_field};
use super::{ApiError, Cx};
use crate::model::{Selectors, Trail, TrailRecord};
use crate::world::State;

/// "You can look up events that occurred in a Region within the last 90 days."
const HISTORY: SignedDuration = SignedDuration::from_hours(90 * 24);
/// "The default number of results returned is 50, with a maximum of 50 possible."
const PAGE: u64 = 50;

pub(crate) fn handle(st: &mut State, cx: &Cx, op: &str, body: &Value) -> Result<Value, ApiError> {
    match op {
        "LookupEvents" => lookup_events(st, cx, body),
        "DescribeTrails" => {
            let names: Vec<&str> =
                body["trailNameList"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            // includeShadowTrails: "The default is true." Shadow trails: other regions' copies of a multi-region
            // trail, and an organization trail as member accounts see it.
            let shadows = body["includeShadowTrails"].as_bool().unwrap_or(true);
            let list: Vec<Value> = st
                .trails
                .iter()
                .filter(|t| visible(st, cx, t, shadows))
                .filter(|t| names.is_empty() || names.iter().any(|n| *n == t.name || *n == t.arn()))
                .map(trail_json)
                .collect();
            Ok(json!({"trailList": list}))
        }
        "GetTrailStatus" => {
            let t = find(st, cx, required(body, "Name")?)?;
            let mut out = json!({"IsLogging": t.logging, "StartLoggingTime": epoch(cx.now - SignedDuration::from_hours(24 * 400))});
            if t.logging {
                out["LatestDeliveryTime"] = epoch(cx.now - SignedDuration::from_mins(2));
            } else {
                out["StopLoggingTime"] = epoch(cx.now - SignedDuration::from_hours(24));
            }
            Ok(out)
        }
        "GetEventSelectors" => {
            let t = find(st, cx, required(body, "TrailName")?)?;
            Ok(match t.selectors {
                Selectors::Basic { read_write, management } => {
                    let rw = match read_write {
                        crate::model::ReadWrite::ReadOnly => "ReadOnly",
                        crate::model::ReadWrite::WriteOnly => "WriteOnly",
                        crate::model::ReadWrite::All => "All",
                    };
                    json!({"TrailARN": t.arn(), "EventSelectors": [{"ReadWriteType": rw,
                        "IncludeManagementEvents": management, "DataResources": [],
                        "ExcludeManagementEventSources": []}]})
                }
                Selectors::AdvancedManagement { read_only } => {
                    let mut fields = vec![json!({"Field": "eventCategory", "Equals": ["Management"]})];
                    if let Some(ro) = read_only {
                        fields.push(json!({"Field": "readOnly", "Equals": [ro.to_string()]}));
                    }
                    json!({"TrailARN": t.arn(), "AdvancedEventSelectors": [{"Name": "Management events",
                        "FieldSelectors": fields}]})
                }
            })
        }
        _ => Err(unknown(op)),
    }
}

/// Whether DescribeTrails in the caller's account and region lists `t`.
fn visible(st: &State, cx: &Cx, t: &Trail, shadows: bool) -> bool {
    let in_region = t.home_region == cx.region || (t.multi_region && shadows);
    let own = t.account == cx.account;
    let member = t.organization && shadows && crate::world::in_organization(st, &t.account, &cx.account);
    in_region && (own || member)
}

/// A trail by name (the caller's own) or ARN ("If the trail is an organization trail and you are a member account
/// in the organization in Organizations, you must provide the full ARN of that trail", GetTrailStatus).
fn find<'a>(st: &'a State, cx: &Cx, name: &str) -> Result<&'a Trail, ApiError> {
    st.trails
        .iter()
        .filter(|t| visible(st, cx, t, true))
        .find(|t| t.arn() == name || (t.name == name && t.account == cx.account))
        .ok_or_else(|| {
            ApiError::new("TrailNotFoundException", format!("Unknown trail: {name} for the user: {}", cx.account))
        })
}

fn trail_json(t: &Trail) -> Value {
    json!({"Name": t.name, "S3BucketName": format!("cloudtrail-logs-{}", t.account), "IncludeGlobalServiceEvents": true,
        "IsMultiRegionTrail": t.multi_region, "HomeRegion": t.home_region, "TrailARN": t.arn(),
        "LogFileValidationEnabled": true,
        "HasCustomEventSelectors": matches!(t.selectors, Selectors::Basic { read_write, management }
            if read_write != crate::model::ReadWrite::All || !management),
        "HasInsightSelectors": false, "IsOrganizationTrail": t.organization})
}

fn lookup_events(st: &State, cx: &Cx, body: &Value) -> Result<Value, ApiError> {
    let attrs = body["LookupAttributes"].as_array().cloned().unwrap_or_default();
    // "Currently the list can contain only one item."
    if attrs.len() > 1 {
        return Err(ApiError::new("InvalidLookupAttributesException", "You can only specify one lookup attribute"));
    }
    let attr = attrs.first().map(|a| {
        (
            a["AttributeKey"].as_str().unwrap_or_default().to_string(),
            a["AttributeValue"].as_str().unwrap_or_default().to_string(),
        )
    });
    let max = body["MaxResults"].as_u64().unwrap_or(PAGE);
    if !(1..=PAGE).contains(&max) {
        return Err(ApiError::new("InvalidMaxResultsException", "MaxResults must be between 1 and 50"));
    }
    let start = time_field(body, "StartTime");
    let end = time_field(body, "EndTime");
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(ApiError::new("InvalidTimeRangeException", "StartTime must be before EndTime"));
    }
    // The token "must be passed in with the same parameters that were specified in the original call".
    let params = format!("{attr:?}/{start:?}/{end:?}");
    let delay = st.settings.cloudtrail_delay;
    let oldest = cx.now - HISTORY;
    let empty = Vec::new();
    let history = st.region_ref(&cx.account, &cx.region).map(|r| &r.trail).unwrap_or(&empty);
    let mut events: Vec<(usize, &TrailRecord)> = history
        .iter()
        .enumerate()
        .filter(|(_, r)| r.event_time.saturating_add(delay).is_ok_and(|v| v <= cx.now) && r.event_time >= oldest)
        .filter(|(_, r)| start.is_none_or(|s| r.event_time >= s) && end.is_none_or(|e| r.event_time <= e))
        .filter(|(_, r)| attr.as_ref().is_none_or(|(k, v)| attribute(r, k) == Some(v.as_str())))
        .collect();
    // "sorted by time. The most recent event is listed first."
    events.sort_by_key(|(i, r)| (std::cmp::Reverse(r.event_time), std::cmp::Reverse(*i)));
    let from = match str_field(body, "NextToken") {
        None => 0,
        Some(token) => {
            let bad = || ApiError::new("InvalidNextTokenException", "Invalid NextToken");
            let (id, p) = token.split_once('|').ok_or_else(bad)?;
            if p != hash(&params) {
                return Err(bad());
            }
            events.iter().position(|(_, r)| r.event_id == id).ok_or_else(bad)? + 1
        }
    };
    let page: Vec<&TrailRecord> = events.iter().skip(from).take(max as usize).map(|(_, r)| *r).collect();
    let more = from + page.len() < events.len();
    let items: Vec<Value> = page
        .iter()
        .map(|r| {
            let mut e = json!({"EventId": r.event_id, "EventName": r.event_name,
                "ReadOnly": r.record["readOnly"].as_bool().unwrap_or(false).to_string(),
                "EventTime": epoch(r.event_time), "EventSource": r.event_source, "Resources": [],
                "CloudTrailEvent": r.record.to_string()});
            if let Some(k) = &r.access_key_id {
                e["AccessKeyId"] = json!(k);
            }
            if let Some(u) = &r.username {
                e["Username"] = json!(u);
            }
            e
        })
        .collect();
    let mut out = json!({"Events": items});
    if let (true, Some(last)) = (more, page.last()) {
        out["NextToken"] = json!(format!("{}|{}", last.event_id, hash(&params)));
    }
    Ok(out)
}

fn attribute<'a>(r: &'a TrailRecord, key: &str) -> Option<&'a str> {
    match key {
        "EventName" => Some(&r.event_name),
        "EventId" => Some(&r.event_id),
        "EventSource" => Some(&r.event_source),
        "Username" => r.username.as_deref(),
        "AccessKeyId" => r.access_key_id.as_deref(),
        "ReadOnly" => Some(if r.record["readOnly"].as_bool().unwrap_or(false) { "true" } else { "false" }),
        _ => None,
    }
}

fn hash(s: &str) -> String {
    crate::oci::sha256(s.as_bytes())[7..23].to_string()
}
