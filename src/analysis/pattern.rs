//! Judges an EventBridge event pattern against the events an image raises in its repository's account: the
//! "ECR Image Action" of a push (or its CloudTrail-delivered "AWS API Call via CloudTrail" PutImage), and the "ECR
//! Replication Action" of a replicated image ([Amazon ECR events and EventBridge](https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html)).
//!
//! Only the pattern language that rules for ECR sources use is interpreted: exact values, `prefix`, `suffix`,
//! `anything-but`, `wildcard`, `exists`, `equals-ignore-case`. An operator we do not know counts as matching, so we
//! never blame a rule we cannot read.

use serde_json::Value;

/// How a rule relates to a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleMatch {
    /// The native "ECR Image Action" event of this push matches.
    Matches,
    /// Only the CloudTrail-delivered "AWS API Call via CloudTrail" PutImage event would match.
    CloudTrailStyle,
    /// The event's detail matches, but the pattern filters on `resources`, which a push event leaves empty (the
    /// documented PUSH example has `"resources": []`; aws/aws-cdk#29225): the filter, compacted.
    ResourcesFilter(String),
    /// Neither matches; the reason names the field.
    Mismatch(String),
}

/// Judges `pattern` (the rule's EventPattern JSON) for a push of `repo:tag`.
pub fn judge_rule(pattern: &str, repo: &str, tag: &str) -> RuleMatch {
    let Ok(p) = serde_json::from_str::<Value>(pattern) else {
        return RuleMatch::Mismatch("the rule has no readable event pattern".into());
    };
    if let Err(why) = field(&p, &["source"], "aws.ecr") {
        return RuleMatch::Mismatch(why);
    }
    let native = [
        (vec!["detail-type"], "ECR Image Action"),
        (vec!["detail", "action-type"], "PUSH"),
        (vec!["detail", "result"], "SUCCESS"),
        (vec!["detail", "repository-name"], repo),
        (vec!["detail", "image-tag"], tag),
    ];
    let native_err = native.iter().find_map(|(path, v)| field(&p, path, v).err());
    let Some(native_err) = native_err else { return empty_resources(&p).unwrap_or(RuleMatch::Matches) };
    let trail = [
        (vec!["detail-type"], "AWS API Call via CloudTrail"),
        (vec!["detail", "eventSource"], "ecr.amazonaws.com"),
        (vec!["detail", "eventName"], "PutImage"),
        (vec!["detail", "requestParameters", "repositoryName"], repo),
        (vec!["detail", "requestParameters", "imageTag"], tag),
    ];
    let names_trail = p.get("detail-type").is_some();
    if names_trail && trail.iter().all(|(path, v)| field(&p, path, v).is_ok()) {
        return empty_resources(&p).unwrap_or(RuleMatch::CloudTrailStyle);
    }
    RuleMatch::Mismatch(native_err)
}

/// Judges `pattern` for the "ECR Replication Action" (`REPLICATE`) an image replicated into `repo:tag` raises: only
/// [`RuleMatch::Matches`] or [`RuleMatch::Mismatch`]. The replication event names the repository in `resources`, so
/// a `resources` filter is not held against it.
pub fn judge_replication(pattern: &str, repo: &str, tag: &str) -> RuleMatch {
    let Ok(p) = serde_json::from_str::<Value>(pattern) else {
        return RuleMatch::Mismatch("the rule has no readable event pattern".into());
    };
    let event = [
        (vec!["source"], "aws.ecr"),
        (vec!["detail-type"], "ECR Replication Action"),
        (vec!["detail", "action-type"], "REPLICATE"),
        (vec!["detail", "result"], "SUCCESS"),
        (vec!["detail", "repository-name"], repo),
        (vec!["detail", "image-tag"], tag),
    ];
    match event.iter().find_map(|(path, v)| field(&p, path, v).err()) {
        Some(why) => RuleMatch::Mismatch(why.replace("(push: ", "(replication: ")),
        None => RuleMatch::Matches,
    }
}

/// The pattern without its `resources` filter, for a fix; `None` when it is not a JSON object.
pub fn without_resources(pattern: &str) -> Option<String> {
    let mut p: Value = serde_json::from_str(pattern).ok()?;
    p.as_object_mut()?.remove("resources");
    Some(p.to_string())
}

/// The pattern matching replications as well as pushes (`detail-type` and `action-type` widened), for a fix;
/// `None` when it is not a JSON object.
pub fn with_replication(pattern: &str) -> Option<String> {
    let mut p: Value = serde_json::from_str(pattern).ok()?;
    let obj = p.as_object_mut()?;
    widen(obj, "detail-type", "ECR Replication Action");
    if let Some(detail) = obj.get_mut("detail").and_then(Value::as_object_mut) {
        widen(detail, "action-type", "REPLICATE");
    }
    Some(p.to_string())
}

/// Adds `value` to the list at `key`, when there is a list of plain values there.
fn widen(obj: &mut serde_json::Map<String, Value>, key: &str, value: &str) {
    if let Some(Value::Array(list)) = obj.get_mut(key)
        && list.iter().all(Value::is_string)
        && !list.iter().any(|v| v == value)
    {
        list.push(Value::String(value.into()));
    }
}

/// [`RuleMatch::ResourcesFilter`] when the pattern's `resources` can match nothing in an empty list: every entry a
/// value or a `prefix`/`suffix`/`wildcard`/`equals-ignore-case` test. `exists`, `anything-but` and operators we do not
/// know are not held against the rule.
fn empty_resources(p: &Value) -> Option<RuleMatch> {
    let allowed = p.get("resources")?;
    let list = match allowed {
        Value::Array(a) => a.as_slice(),
        other => std::slice::from_ref(other),
    };
    let needs_an_element = |v: &Value| match v {
        Value::String(_) => true,
        Value::Object(op) => {
            !op.is_empty()
                && op.keys().all(|k| matches!(k.as_str(), "prefix" | "suffix" | "wildcard" | "equals-ignore-case"))
        }
        _ => false,
    };
    (!list.is_empty() && list.iter().all(needs_an_element)).then(|| RuleMatch::ResourcesFilter(compact(allowed)))
}

/// Checks the pattern at `path` against `value`; an absent field matches anything.
fn field(p: &Value, path: &[&str], value: &str) -> Result<(), String> {
    let Some(allowed) = path.iter().try_fold(p, |v, k| v.get(k)) else { return Ok(()) };
    let list = match allowed {
        Value::Array(a) => a.as_slice(),
        other => std::slice::from_ref(other),
    };
    if list.iter().any(|a| allows(a, value)) {
        Ok(())
    } else {
        Err(format!("{} is {} (push: {value:?})", path.join("."), compact(allowed)))
    }
}

fn allows(a: &Value, value: &str) -> bool {
    match a {
        Value::String(s) => s == value,
        Value::Object(op) => op.iter().all(|(k, v)| match (k.as_str(), v) {
            ("prefix", Value::String(s)) => value.starts_with(s.as_str()),
            ("suffix", Value::String(s)) => value.ends_with(s.as_str()),
            ("equals-ignore-case", Value::String(s)) => value.eq_ignore_ascii_case(s),
            ("exists", Value::Bool(b)) => *b,
            ("wildcard", Value::String(s)) => wildcard(s, value),
            ("anything-but", Value::String(s)) => s != value,
            ("anything-but", Value::Array(xs)) => !xs.iter().any(|x| x.as_str() == Some(value)),
            ("anything-but", Value::Object(inner)) => !allows(&Value::Object(inner.clone()), value),
            _ => true,
        }),
        _ => false,
    }
}

/// `*` matches any run of characters.
fn wildcard(pattern: &str, value: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == value;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !value.starts_with(first) || !value[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &value[first.len()..value.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 80 { format!("{}…", &s[..s.char_indices().nth(79).map_or(s.len(), |(i, _)| i)]) } else { s }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    const NATIVE: &str = r#"{"source":["aws.ecr"],"detail-type":["ECR Image Action"],
        "detail":{"action-type":["PUSH"],"result":["SUCCESS"],"repository-name":["web"],"image-tag":["latest"]}}"#;
    const TRAIL: &str = r#"{"source":["aws.ecr"],"detail-type":["AWS API Call via CloudTrail"],
        "detail":{"eventSource":["ecr.amazonaws.com"],"eventName":["PutImage"],
                  "requestParameters":{"repositoryName":["web"],"imageTag":["latest"]}}}"#;

    #[test]
    fn native_rule_matches_its_repository_and_tag() {
        assert_eq!(judge_rule(NATIVE, "web", "latest"), RuleMatch::Matches);
    }

    #[test]
    fn native_rule_names_the_mismatching_field() {
        assert_eq!(
            judge_rule(NATIVE, "web", "v1.2"),
            RuleMatch::Mismatch(r#"detail.image-tag is ["latest"] (push: "v1.2")"#.into())
        );
        assert_eq!(
            judge_rule(NATIVE, "api", "latest"),
            RuleMatch::Mismatch(r#"detail.repository-name is ["web"] (push: "api")"#.into())
        );
    }

    #[test]
    fn cloudtrail_style_rule_is_recognised() {
        assert_eq!(judge_rule(TRAIL, "web", "latest"), RuleMatch::CloudTrailStyle);
        assert!(matches!(judge_rule(TRAIL, "web", "v2"), RuleMatch::Mismatch(_)));
    }

    #[test]
    fn absent_fields_and_operators() {
        assert_eq!(
            judge_rule(r#"{"source":["aws.ecr"],"detail-type":["ECR Image Action"]}"#, "x", "y"),
            RuleMatch::Matches
        );
        let prefix = r#"{"source":["aws.ecr"],"detail":{"image-tag":[{"prefix":"release-"}]}}"#;
        assert_eq!(judge_rule(prefix, "web", "release-7"), RuleMatch::Matches);
        assert!(matches!(judge_rule(prefix, "web", "latest"), RuleMatch::Mismatch(_)));
        let but = r#"{"source":["aws.ecr"],"detail":{"image-tag":[{"anything-but":["dev"]}]}}"#;
        assert_eq!(judge_rule(but, "web", "latest"), RuleMatch::Matches);
        assert!(matches!(judge_rule(but, "web", "dev"), RuleMatch::Mismatch(_)));
        let wild = r#"{"source":["aws.ecr"],"detail":{"repository-name":[{"wildcard":"team-*-web"}]}}"#;
        assert_eq!(judge_rule(wild, "team-a-web", "latest"), RuleMatch::Matches);
        assert!(matches!(judge_rule(wild, "team-a-api", "latest"), RuleMatch::Mismatch(_)));
    }

    #[test]
    fn other_sources_and_garbage_do_not_match() {
        assert!(matches!(judge_rule(r#"{"source":["aws.codecommit"]}"#, "web", "latest"), RuleMatch::Mismatch(_)));
        assert_eq!(
            judge_rule("", "web", "latest"),
            RuleMatch::Mismatch("the rule has no readable event pattern".into())
        );
    }

    #[test]
    fn a_resources_filter_never_matches_a_push() {
        // The CDK `Repository.onEvent` rule of the corpus (events/describe-rule/resources-filter-cdk-onevent.json).
        let cdk = r#"{"source":["aws.ecr"],"resources":["arn:aws:ecr:ap-northeast-1:111111111111:repository/batch"],
            "detail-type":["ECR Image Action"],"detail":{"action-type":["PUSH"],"result":["SUCCESS"],"repository-name":["batch"]}}"#;
        assert_eq!(
            judge_rule(cdk, "batch", "latest"),
            RuleMatch::ResourcesFilter(r#"["arn:aws:ecr:ap-northeast-1:111111111111:repository/batch"]"#.into())
        );
        // A detail mismatch is named first.
        assert!(matches!(judge_rule(cdk, "web", "latest"), RuleMatch::Mismatch(_)));
        // Operators that might match an empty list are not held against the rule.
        let exists = r#"{"source":["aws.ecr"],"resources":[{"exists":false}]}"#;
        assert_eq!(judge_rule(exists, "batch", "latest"), RuleMatch::Matches);
        let prefix = r#"{"source":["aws.ecr"],"resources":[{"prefix":"arn:aws:ecr:"}]}"#;
        assert!(matches!(judge_rule(prefix, "batch", "latest"), RuleMatch::ResourcesFilter(_)));
        let fixed = without_resources(cdk).unwrap();
        assert_eq!(judge_rule(&fixed, "batch", "latest"), RuleMatch::Matches);
    }

    #[test]
    fn replication_is_matched_only_by_rules_that_name_it() {
        assert_eq!(
            judge_replication(NATIVE, "web", "latest"),
            RuleMatch::Mismatch(
                r#"detail-type is ["ECR Image Action"] (replication: "ECR Replication Action")"#.into()
            )
        );
        // The user-written pattern of the corpus (events/describe-rule/push-or-replicate.json).
        let both = r#"{"source":["aws.ecr"],"detail-type":["ECR Image Action","ECR Replication Action"],
            "detail":{"action-type":["PUSH","REPLICATE"],"result":["SUCCESS"],"repository-name":["web"],"image-tag":["latest"]}}"#;
        assert_eq!(judge_replication(both, "web", "latest"), RuleMatch::Matches);
        assert_eq!(judge_rule(both, "web", "latest"), RuleMatch::Matches);
        let widened = with_replication(NATIVE).unwrap();
        assert_eq!(judge_replication(&widened, "web", "latest"), RuleMatch::Matches);
        assert_eq!(judge_rule(&widened, "web", "latest"), RuleMatch::Matches);
        assert_eq!(judge_replication("garbage", "web", "latest"), judge_rule("garbage", "web", "latest"));
    }

    #[test]
    fn wildcard_matching() {
        assert!(wildcard("a*c", "abbbc"));
        assert!(wildcard("*", ""));
        assert!(!wildcard("a*c", "abd"));
        assert!(wildcard("a*b*c", "aXbYc"));
    }
}
