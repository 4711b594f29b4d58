//! CloudTrail: the `PutImage` records a push writes, which trails cover an account and region, and the
//! CloudTrail-delivered EventBridge event.
//!
//! Record fields: [CloudTrail record contents](https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html)
//! and the ECR PutImage example of [Logging Amazon ECR actions with CloudTrail](https://docs.aws.amazon.com/AmazonECR/latest/userguide/logging-using-cloudtrail.html),
//! as in the corpus (`cloudtrail/lookup-events/put-image-page1.json`).

use jiff::Timestamp;
use serde_json::{Value, json};

use super::State;
use super::repository_arn;
use crate::model::TrailRecord;

/// RFC 3339 in whole seconds, as CloudTrail and EventBridge write times.
pub(crate) fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// What a `PutImage` call wrote.
pub(crate) struct PutImageCall<'a> {
    pub repo_account: &'a str,
    pub region: &'a str,
    pub repository: &'a str,
    pub digest: &'a str,
    pub tag: Option<&'a str>,
    pub manifest: &'a str,
    pub at: Timestamp,
}

/// The record as `recipient` sees it, with `identity` as its `userIdentity`.
pub(crate) fn put_image_record(
    st: &mut State,
    call: &PutImageCall<'_>,
    recipient: &str,
    identity: Value,
    source: &str,
    shared_event_id: Option<&str>,
) -> (String, Value) {
    let event_id = st.uuid();
    let request_id = st.uuid();
    let mut request = json!({"repositoryName": call.repository, "registryId": call.repo_account,
        "imageManifest": call.manifest});
    let mut image_id = json!({"imageDigest": call.digest});
    if let Some(tag) = call.tag {
        request["imageTag"] = json!(tag);
        image_id["imageTag"] = json!(tag);
    }
    let mut rec = json!({
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": rfc3339(call.at),
        "eventSource": "ecr.amazonaws.com",
        "eventName": "PutImage",
        "awsRegion": call.region,
        // A registry push is made by the Docker client through ECR's registry API; the field report's records
        // show "AWS Internal" for both (tests/fixtures/cloudtrail-same-account.json). A service shows its name.
        "sourceIPAddress": source,
        "userAgent": source,
        "requestParameters": request,
        "responseElements": {"image": {"repositoryName": call.repository, "imageManifest": call.manifest,
            "registryId": call.repo_account, "imageId": image_id}},
        "requestID": request_id,
        "eventID": event_id,
        "readOnly": false,
        "resources": [{"accountId": call.repo_account,
            "ARN": repository_arn(call.repo_account, call.region, call.repository)}],
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": recipient,
        "eventCategory": "Management"
    });
    if let Some(shared) = shared_event_id {
        // "present only when CloudTrail events are delivered to multiple accounts" (record contents page).
        rec["sharedEventID"] = json!(shared);
    }
    (event_id, rec)
}

/// Stores a record in `account`'s event history for the region.
pub(crate) fn store(
    st: &mut State,
    account: &str,
    region: &str,
    record: &Value,
    access_key: Option<String>,
    username: Option<String>,
    at: Timestamp,
) {
    let rec = TrailRecord {
        event_id: record["eventID"].as_str().unwrap_or_default().to_string(),
        event_name: record["eventName"].as_str().unwrap_or_default().to_string(),
        event_time: at,
        event_source: record["eventSource"].as_str().unwrap_or_default().to_string(),
        access_key_id: access_key,
        username,
        resources: Vec::new(),
        record: record.clone(),
    };
    st.region(account, region).trail.push(rec);
}

/// Whether a trail with logging on records write management events for `account` in `region`: "To record events
/// with a `detail-type` value of `AWS API Call via CloudTrail`, a CloudTrail trail with logging enabled is
/// required" (FACTS.md §6). Inferred there, and followed here: an organization trail covers member accounts and a
/// multi-region trail every region.
pub(crate) fn logs_writes(st: &State, account: &str, region: &str) -> bool {
    st.trails.iter().any(|t| {
        t.logging && t.selectors.logs_write_management() && (t.multi_region || t.home_region == region) && {
            t.account == account || (t.organization && in_organization(st, &t.account, account))
        }
    })
}

/// Whether `account` belongs to the organization managed by `management`.
pub(crate) fn in_organization(st: &State, management: &str, account: &str) -> bool {
    st.organization
        .as_ref()
        .is_some_and(|(m, members)| m == management && (account == m || members.iter().any(|a| a.id == account)))
}

/// The CloudTrail-delivered event: `detail-type: AWS API Call via CloudTrail`, the record under `detail`
/// ([EventBridge: AWS service events delivered via CloudTrail](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html), corpus
/// `events/events/cloudtrail-put-image.json`).
pub(crate) fn delivered_event(st: &mut State, account: &str, region: &str, record: &Value, at: Timestamp) -> Value {
    json!({
        "version": "0", "id": st.uuid(), "detail-type": "AWS API Call via CloudTrail", "source": "aws.ecr",
        "account": account, "time": rfc3339(at), "region": region, "resources": [], "detail": record
    })
}
