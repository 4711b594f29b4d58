//! The matcher against the examples of the EventBridge documentation (event patterns and comparison operators
//! pages) and the ECR events of pipewatch's corpus.

use serde_json::{Value, json};

use super::*;

/// The example event of the "Event patterns" page (EC2 state change).
fn ec2_event() -> Value {
    json!({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
        "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
        "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
        "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"}
    })
}

fn m(pattern: Value, event: &Value) -> bool {
    matches(&pattern, event).unwrap()
}

#[test]
fn exact_values_and_nested_detail() {
    let e = ec2_event();
    assert!(m(
        json!({"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"],
               "detail": {"state": ["terminated"]}}),
        &e
    ));
    assert!(!m(json!({"source": ["aws.ec2"], "detail": {"state": ["running", "pending"]}}), &e));
    // Every field named must be present.
    assert!(!m(json!({"detail": {"missing": ["x"]}}), &e));
}

#[test]
fn arrays_match_on_a_non_empty_intersection() {
    let e = ec2_event();
    assert!(m(json!({"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0", "x"]}), &e));
    assert!(!m(json!({"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/other"]}), &e));
}

#[test]
fn prefix_suffix_and_ignore_case() {
    let e = ec2_event();
    assert!(m(json!({"time": [{"prefix": "2017-12-22"}]}), &e));
    assert!(m(json!({"region": [{"prefix": "us-"}]}), &e));
    assert!(m(json!({"source": [{"prefix": {"equals-ignore-case": "AWS.E"}}]}), &e));
    assert!(m(json!({"detail": {"instance-id": [{"suffix": "cdef0"}]}}), &e));
    assert!(m(json!({"detail": {"state": [{"equals-ignore-case": "TERMINATED"}]}}), &e));
    assert!(!m(json!({"time": [{"prefix": "2018"}]}), &e));
}

#[test]
fn anything_but_in_its_documented_forms() {
    let e = ec2_event();
    assert!(m(json!({"detail": {"state": [{"anything-but": "initializing"}]}}), &e));
    assert!(!m(json!({"detail": {"state": [{"anything-but": ["stopped", "terminated"]}]}}), &e));
    assert!(!m(json!({"region": [{"anything-but": {"prefix": "us-"}}]}), &e));
    assert!(m(json!({"detail": {"state": [{"anything-but": {"suffix": ".png"}}]}}), &e));
    assert!(!m(json!({"detail": {"state": [{"anything-but": {"equals-ignore-case": "TERMINATED"}}]}}), &e));
    assert!(m(json!({"detail": {"instance-id": [{"anything-but": {"wildcard": "*/lib/*"}}]}}), &e));
    // A missing field matches nothing but `exists: false`.
    assert!(!m(json!({"detail": {"missing": [{"anything-but": "x"}]}}), &e));
}

#[test]
fn numeric_ranges_from_the_documentation() {
    let e = json!({"detail": {"c-count": 5, "d-count": 7, "x-limit": 301.8}});
    assert!(m(
        json!({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}],
                          "x-limit": [{"numeric": ["=", 3.018e2]}]}}),
        &e
    ));
    assert!(!m(json!({"detail": {"c-count": [{"numeric": [">", 5]}]}}), &e));
    // `$or` over the same leaves (documented example shape).
    assert!(m(
        json!({"detail": {"$or": [{"c-count": [{"numeric": [">", 10]}]}, {"d-count": [{"numeric": ["<", 10]}]}]}}),
        &e
    ));
    assert!(!m(json!({"detail": {"$or": [{"c-count": [{"numeric": [">", 10]}]}, {"d-count": [1]}]}}), &e));
}

#[test]
fn exists_judges_the_whole_field() {
    let e = ec2_event();
    assert!(m(json!({"detail": {"state": [{"exists": true}]}}), &e));
    assert!(!m(json!({"detail": {"state": [{"exists": false}]}}), &e));
    assert!(m(json!({"detail": {"colour": [{"exists": false}]}}), &e));
}

#[test]
fn wildcards_and_cidr() {
    assert!(wildcard("dir/*.png", "dir/a/b.png"));
    assert!(wildcard("*", ""));
    assert!(wildcard("a*b*c", "aXXbYYc"));
    assert!(!wildcard("a*b*c", "aXXbYY"));
    assert!(wildcard(r"a\*b", "a*b"));
    assert!(!wildcard(r"a\*b", "aXb"));
    let e = json!({"detail": {"file": "dir/a/b.png", "source-ip": "10.0.0.7"}});
    assert!(m(json!({"detail": {"file": [{"wildcard": "dir/*.png"}]}}), &e));
    assert!(m(json!({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}), &e));
    assert!(!m(json!({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}), &e));
}

#[test]
fn empty_strings_and_null_are_values() {
    let e = json!({"LastName": "", "x": null});
    assert!(m(json!({"LastName": [""]}), &e));
    assert!(m(json!({"x": [null]}), &e));
    assert!(!m(json!({"y": [null]}), &e));
}

#[test]
fn malformed_patterns_are_errors_not_panics() {
    let e = ec2_event();
    assert!(matches(&json!({"source": "aws.ec2"}), &e).is_err());
    assert!(matches(&json!({"source": [{"nope": 1}]}), &e).is_err());
    assert!(matches(&json!({"x": [{"numeric": [">"]}]}), &e).is_err());
    assert!(matches(&json!(["not an object"]), &e).is_err());
    assert!(matches_str("{", &e).is_err());
}

/// The ECR events of pipewatch's corpus against the patterns the CodePipeline console creates (FACTS.md §2-§4).
#[test]
fn ecr_events_of_the_corpus() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/aws/events/events/");
    let read =
        |f: &str| -> Value { serde_json::from_str(&std::fs::read_to_string(format!("{root}{f}")).unwrap()).unwrap() };
    let push = read("ecr-image-action-push-tagged.json");
    let untagged = read("ecr-image-action-push-untagged.json");
    let replicate = read("ecr-replication-action.json");
    let console = json!({"source": ["aws.ecr"], "detail-type": ["ECR Image Action"],
        "detail": {"action-type": ["PUSH"], "result": ["SUCCESS"], "repository-name": ["web"], "image-tag": ["latest"]}});
    assert!(m(console.clone(), &push));
    assert!(!m(console.clone(), &untagged), "an untagged push has no image-tag");
    assert!(!m(console, &replicate), "a PUSH rule does not match a REPLICATE event");
    // §3: a push's `resources` is empty, so a rule filtering on it never matches.
    let with_resources =
        json!({"source": ["aws.ecr"], "resources": ["arn:aws:ecr:ap-northeast-1:111111111111:repository/web"]});
    assert!(!m(with_resources, &push));
}
