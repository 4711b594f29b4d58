//! Properties of the EventBridge pattern judge over hostile and malformed patterns (issue 10): any text and any
//! JSON value is judged without a panic, and the `wildcard` operator agrees with a plain definition of `*`.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// Any JSON value, nested a few levels, with the pattern language's operators among the keys.
fn any_pattern() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        Just(json!("aws.ecr")),
        Just(json!("web")),
        Just(json!("latest")),
    ];
    let key = prop_oneof![
        Just("source".to_string()),
        Just("detail-type".to_string()),
        Just("detail".to_string()),
        Just("resources".to_string()),
        Just("repository-name".to_string()),
        Just("image-tag".to_string()),
        Just("prefix".to_string()),
        Just("suffix".to_string()),
        Just("wildcard".to_string()),
        Just("anything-but".to_string()),
        Just("exists".to_string()),
        Just("equals-ignore-case".to_string()),
        ".{0,8}",
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..5).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Whether `*`-separated `pattern` matches `value`, by trying every split (the definition, not the algorithm).
fn wildcard_by_definition(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == value,
        Some((head, rest)) => {
            let Some(tail) = value.strip_prefix(head) else { return false };
            tail.char_indices().map(|(i, _)| i).chain([tail.len()]).any(|i| wildcard_by_definition(rest, &tail[i..]))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Arbitrary text as a pattern: judged (a mismatch saying it cannot be read), never a panic.
    #[test]
    fn any_text_is_judged(text in any::<String>(), repo in ".{0,8}", tag in ".{0,8}") {
        let _ = judge_rule(&text, &repo, &tag);
        let _ = judge_replication(&text, &repo, &tag);
        let _ = without_resources(&text);
        let _ = with_replication(&text);
    }

    /// Arbitrary JSON patterns: judged, and a mismatch always names a reason.
    #[test]
    fn any_json_pattern_is_judged_with_a_reason(p in any_pattern(), repo in "[a-z]{0,6}", tag in ".{0,6}") {
        let text = p.to_string();
        for judged in [judge_rule(&text, &repo, &tag), judge_replication(&text, &repo, &tag)] {
            match judged {
                RuleMatch::Mismatch(why) => prop_assert!(!why.is_empty()),
                RuleMatch::ResourcesFilter(filter) => prop_assert!(!filter.is_empty()),
                RuleMatch::Matches | RuleMatch::CloudTrailStyle => {}
            }
        }
        if let Some(widened) = with_replication(&text) {
            prop_assert!(serde_json::from_str::<Value>(&widened).is_ok());
        }
    }

    /// `wildcard` agrees with the definition of `*` on short alphabets, where matches and near-misses are common.
    #[test]
    fn wildcard_agrees_with_its_definition(pattern in "[ab*]{0,8}", value in "[ab]{0,10}") {
        prop_assert_eq!(wildcard(&pattern, &value), wildcard_by_definition(&pattern, &value), "{} vs {}", pattern, value);
    }

    /// A tag rule made of the pushed tag with `*` inserted anywhere matches that push.
    #[test]
    fn a_tag_with_stars_inserted_matches_it(tag in "[a-z0-9.-]{1,16}", cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..3)) {
        let mut pattern = tag.clone();
        for cut in &cuts {
            let at = cut.index(pattern.len() + 1);
            pattern.insert(at, '*');
        }
        let rule = json!({"source": ["aws.ecr"], "detail-type": ["ECR Image Action"],
            "detail": {"action-type": ["PUSH"], "result": ["SUCCESS"], "repository-name": ["web"],
                       "image-tag": [{"wildcard": pattern}]}});
        prop_assert_eq!(judge_rule(&rule.to_string(), "web", &tag), RuleMatch::Matches);
    }
}
