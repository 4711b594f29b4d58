//! Parses CloudTrail `PutImage` records (the `CloudTrailEvent` JSON of LookupEvents) into push attributions.
//!
//! Two shapes occur: the bare CloudTrail record, and the same record wrapped in an EventBridge envelope
//! (`detail-type: "AWS API Call via CloudTrail"`, the record under `detail`). Both appear in the field report.

use jiff::Timestamp;
use serde_json::Value;

use crate::model::{Pusher, PutImageRecord};

/// Why a record could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    /// The text is not JSON.
    #[error("not JSON: {0}")]
    Json(String),
    /// The record is not a `PutImage` call.
    #[error("not a PutImage record (eventName {0:?})")]
    NotPutImage(String),
    /// A field every record has is missing.
    #[error("missing {0}")]
    Missing(&'static str),
}

/// Parses one record. `fallback_recipient` (the profile's account) is used when the record names no recipient.
pub fn parse_put_image(json: &str, fallback_recipient: Option<&str>) -> Result<PutImageRecord, ParseError> {
    let v: Value = serde_json::from_str(json).map_err(|e| ParseError::Json(e.to_string()))?;
    // EventBridge envelope: the record is under `detail`, the recipient account is the envelope's `account`.
    let (rec, envelope_account) = match v.get("detail") {
        Some(d) if d.get("eventName").is_some() => (d, v.get("account").and_then(Value::as_str)),
        _ => (&v, None),
    };
    let name = str_at(rec, &["eventName"]).unwrap_or_default();
    if name != "PutImage" {
        return Err(ParseError::NotPutImage(name.to_string()));
    }
    let event_time = str_at(rec, &["eventTime"])
        .and_then(|t| t.parse::<Timestamp>().ok())
        .ok_or(ParseError::Missing("eventTime"))?;
    let identity = rec.get("userIdentity").ok_or(ParseError::Missing("userIdentity"))?;
    let pusher_account = str_at(identity, &["accountId"]).ok_or(ParseError::Missing("userIdentity.accountId"))?;
    let recipient = str_at(rec, &["recipientAccountId"])
        .or(envelope_account)
        .or_else(|| str_at(rec, &["requestParameters", "registryId"]))
        .or(fallback_recipient)
        .map(str::to_string);
    let identity_type = str_at(identity, &["type"]).unwrap_or("Unknown").to_string();
    let arn = str_at(identity, &["arn"]).map(str::to_string);
    let cross_account = recipient.as_deref().is_some_and(|r| r != pusher_account);
    let repository = str_at(rec, &["requestParameters", "repositoryName"])
        .or_else(|| str_at(rec, &["responseElements", "image", "repositoryName"]))
        .ok_or(ParseError::Missing("requestParameters.repositoryName"))?
        .to_string();
    let tag = str_at(rec, &["responseElements", "image", "imageId", "imageTag"])
        .or_else(|| str_at(rec, &["requestParameters", "imageTag"]))
        .map(str::to_string);
    let digest = str_at(rec, &["responseElements", "image", "imageId", "imageDigest"])
        .or_else(|| str_at(rec, &["requestParameters", "imageDigest"]))
        .map(str::to_string);
    let event_id = str_at(rec, &["eventID"]).or_else(|| str_at(&v, &["id"])).unwrap_or_default().to_string();
    Ok(PutImageRecord {
        event_id,
        event_time,
        repository,
        tag,
        digest,
        recipient_account: recipient,
        pusher: Pusher {
            arn,
            account: pusher_account.to_string(),
            identity_type,
            principal_id: str_at(identity, &["principalId"]).map(str::to_string),
            cross_account,
        },
    })
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str().filter(|s| !s.is_empty())
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    const SAME: &str = include_str!("../tests/fixtures/cloudtrail-same-account.json");
    const CROSS: &str = include_str!("../tests/fixtures/cloudtrail-cross-account.json");

    #[test]
    fn same_account_record_in_eventbridge_envelope() {
        let r = parse_put_image(SAME, None).unwrap();
        assert_eq!(r.repository, "example");
        assert_eq!(r.tag.as_deref(), Some("latest"));
        assert_eq!(
            r.digest.as_deref(),
            Some("sha256:55e7a6f2bb43e38cc34285af03b4973d61f523d26cd8a57e9dexampleexample")
        );
        assert_eq!(r.recipient_account.as_deref(), Some("123456784623"));
        assert_eq!(r.pusher.account, "123456784623");
        assert_eq!(r.pusher.identity_type, "AssumedRole");
        assert_eq!(
            r.pusher.arn.as_deref(),
            Some("arn:aws:sts::123456784623:assumed-role/saiki.ko/1568725740989028000")
        );
        assert!(!r.pusher.cross_account);
        assert_eq!(r.event_time.to_string(), "2019-09-17T13:10:10Z");
        assert_eq!(r.event_id, "27556aba-1342-43bb-85bb-f17e2example");
    }

    #[test]
    fn cross_account_bare_record() {
        let r = parse_put_image(CROSS, None).unwrap();
        assert_eq!(r.recipient_account.as_deref(), Some("123456784623"));
        assert_eq!(r.pusher.account, "123456786985");
        assert_eq!(r.pusher.identity_type, "AWSAccount");
        assert_eq!(r.pusher.arn, None);
        assert!(r.pusher.cross_account);
        assert_eq!(r.tag.as_deref(), Some("latest"));
        assert_eq!(
            r.digest.as_deref(),
            Some("sha256:acd3ca9941a85e8ed16515bfc5328e4e2f8c128caa72959a58a127b7801ee01f")
        );
    }

    #[test]
    fn recipient_falls_back_to_registry_then_profile() {
        let rec = r#"{"eventName":"PutImage","eventTime":"2026-11-25T10:00:00Z","eventID":"e",
            "userIdentity":{"type":"AssumedRole","accountId":"222222222222","arn":"arn:aws:sts::222222222222:assumed-role/b/c"},
            "requestParameters":{"repositoryName":"web","imageTag":"v1"}}"#;
        let r = parse_put_image(rec, Some("111111111111")).unwrap();
        assert_eq!(r.recipient_account.as_deref(), Some("111111111111"));
        assert!(r.pusher.cross_account);
        assert_eq!(r.tag.as_deref(), Some("v1"));
        assert_eq!(r.digest, None);
    }

    #[test]
    fn rejects_other_events_and_garbage() {
        assert!(matches!(parse_put_image("{", None), Err(ParseError::Json(_))));
        assert_eq!(
            parse_put_image(r#"{"eventName":"BatchGetImage"}"#, None),
            Err(ParseError::NotPutImage("BatchGetImage".into()))
        );
        assert_eq!(
            parse_put_image(r#"{"eventName":"PutImage","eventTime":"2026-11-25T10:00:00Z"}"#, None),
            Err(ParseError::Missing("userIdentity"))
        );
    }
}
