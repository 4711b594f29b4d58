//! Judges an EventBridge event pattern against an ECR push of (repository, tag).
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
    let Some(native_err) = native_err else { return RuleMatch::Matches };
    let trail = [
        (vec!["detail-type"], "AWS API Call via CloudTrail"),
        (vec!["detail", "eventSource"], "ecr.amazonaws.com"),
        (vec!["detail", "eventName"], "PutImage"),
        (vec!["detail", "requestParameters", "repositoryName"], repo),
        (vec!["detail", "requestParameters", "imageTag"], tag),
    ];
    let names_trail = p.get("detail-type").is_some();
    if names_trail && trail.iter().all(|(path, v)| field(&p, path, v).is_ok()) {
        return RuleMatch::CloudTrailStyle;
    }
    RuleMatch::Mismatch(native_err)
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
    fn wildcard_matching() {
        assert!(wildcard("a*c", "abbbc"));
        assert!(wildcard("*", ""));
        assert!(!wildcard("a*c", "abd"));
        assert!(wildcard("a*b*c", "aXbYc"));
    }
}
