//! Properties of the CloudTrail record parser over hostile and malformed input (issue 10): any text, any JSON
//! value and any record whose fields hold arbitrary strings is either parsed or refused with a [`ParseError`] —
//! never a panic — and a record's strings come out exactly as they went in.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// Any JSON value, nested a few levels, with strings that include control characters and non-ASCII text.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        Just(Value::String("PutImage".into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("eventName".to_string()),
                        Just("eventTime".to_string()),
                        Just("userIdentity".to_string()),
                        Just("accountId".to_string()),
                        Just("detail".to_string()),
                        Just("requestParameters".to_string()),
                        Just("responseElements".to_string()),
                        any::<String>(),
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A PutImage record whose every string field is arbitrary; `envelope` wraps it as EventBridge delivers it.
fn record(fields: &[String; 6], envelope: bool) -> (Value, String) {
    let [account, arn, repo, tag, digest, id] = fields;
    let rec = json!({
        "eventName": "PutImage",
        "eventTime": "2026-11-25T10:00:00Z",
        "eventID": id,
        "userIdentity": {"type": "AssumedRole", "accountId": account, "arn": arn},
        "requestParameters": {"repositoryName": repo, "imageTag": tag},
        "responseElements": {"image": {"imageId": {"imageDigest": digest}}},
    });
    let v = if envelope {
        json!({"detail-type": "AWS API Call via CloudTrail", "account": "1", "detail": rec})
    } else {
        rec
    };
    let text = v.to_string();
    (v, text)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Arbitrary text: parsed or refused, no panic.
    #[test]
    fn any_text_is_parsed_or_refused(text in any::<String>(), fallback in proptest::option::of("[0-9]{12}")) {
        let _ = parse_put_image(&text, fallback.as_deref());
    }

    /// Arbitrary JSON (bare or under an envelope's `detail`): a refusal names why; a record it accepts is a
    /// PutImage whose repository is not empty.
    #[test]
    fn any_json_is_parsed_or_refused_with_a_reason(v in any_json(), wrap in any::<bool>()) {
        let v = if wrap { json!({"detail": v, "account": "111111111111"}) } else { v };
        match parse_put_image(&v.to_string(), None) {
            Ok(r) => prop_assert!(!r.repository.is_empty()),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    /// A well-formed record with hostile strings: every field comes out as it went in (sanitizing is the front
    /// ends' job, so nothing is lost here), and cross-account is exactly "recipient differs from the pusher".
    #[test]
    fn hostile_strings_come_out_unchanged(
        fields in prop::array::uniform6(".{1,40}"),
        envelope in any::<bool>(),
    ) {
        let (_, text) = record(&fields, envelope);
        let r = parse_put_image(&text, Some("111111111111")).expect("a well-formed record parses");
        let [account, arn, repo, tag, digest, id] = &fields;
        prop_assert_eq!(&r.pusher.account, account);
        prop_assert_eq!(r.pusher.arn.as_deref(), Some(arn.as_str()));
        prop_assert_eq!(&r.repository, repo);
        prop_assert_eq!(r.tag.as_deref(), Some(tag.as_str()));
        prop_assert_eq!(r.digest.as_deref(), Some(digest.as_str()));
        prop_assert_eq!(&r.event_id, id);
        let recipient = if envelope { "1" } else { "111111111111" };
        prop_assert_eq!(r.recipient_account.as_deref(), Some(recipient));
        prop_assert_eq!(r.pusher.cross_account, account != recipient);
    }

    /// Cutting a valid record anywhere gives text the parser refuses as not JSON, never a panic.
    #[test]
    fn truncated_records_are_refused(fields in prop::array::uniform6("[a-z0-9]{1,12}"), cut in any::<prop::sample::Index>()) {
        let (_, text) = record(&fields, false);
        let at = cut.index(text.len());
        prop_assert!(matches!(parse_put_image(&text[..at], None), Err(ParseError::Json(_))));
    }
}
