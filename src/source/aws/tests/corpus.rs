//! The corpus of response shapes (`tests/fixtures/aws/`, each file naming the documentation it follows) through the
//! real SDK deserializers, for what the trigger diagnosis reads: each body answers its operation through
//! `aws-smithy-mocks`, and the conversion gives the domain values the corpus's README describes.

use aws_sdk_eventbridge::config::http::HttpResponse;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::body::SdkBody;
use serde_json::Value;

use super::super::convert;
use crate::analysis::pattern::{RuleMatch, judge_replication, judge_rule};
use crate::model::{ReplicationRule, RolePermission};

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/aws/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn response(content_type: &str, extra: Option<(&str, &str)>, body: Vec<u8>) -> HttpResponse {
    let mut b = http::Response::builder().status(200).header("content-type", content_type);
    if let Some((k, v)) = extra {
        b = b.header(k, v);
    }
    HttpResponse::try_from(b.body(SdkBody::from(body)).unwrap()).unwrap()
}

/// An awsJson 1.1 answer (ECR, CloudTrail, EventBridge).
pub(super) fn json(path: &str) -> impl Fn() -> HttpResponse + Send + Sync + 'static {
    let body = fixture(path);
    move || response("application/x-amz-json-1.1", None, body.clone())
}

/// An awsQuery answer (IAM).
pub(super) fn xml(path: &str) -> impl Fn() -> HttpResponse + Send + Sync + 'static {
    let body = fixture(path);
    move || response("text/xml", None, body.clone())
}

/// The CloudWatch corpus is the awsJson 1.0 form of the body; the Rust SDK speaks Smithy RPC v2 CBOR, so the same
/// members are encoded as CBOR, `Timestamps` as CBOR timestamps (tag 1), as the corpus README prescribes.
fn cbor(path: &str) -> impl Fn() -> HttpResponse + Send + Sync + 'static {
    fn encode(e: &mut aws_smithy_cbor::Encoder, v: &Value, timestamps: bool) {
        match v {
            Value::Object(m) => {
                e.map(m.len());
                for (k, v) in m {
                    e.str(k);
                    encode(e, v, k == "Timestamps");
                }
            }
            Value::Array(a) => {
                e.array(a.len());
                for v in a {
                    encode(e, v, timestamps);
                }
            }
            Value::Number(n) if timestamps => {
                e.timestamp(&aws_smithy_types::DateTime::from_secs_f64(n.as_f64().unwrap()));
            }
            Value::Number(n) => {
                e.double(n.as_f64().unwrap());
            }
            Value::String(s) => {
                e.str(s);
            }
            Value::Bool(b) => {
                e.boolean(*b);
            }
            Value::Null => {
                e.null();
            }
        }
    }
    let v: Value = serde_json::from_slice(&fixture(path)).unwrap();
    let mut e = aws_smithy_cbor::Encoder::new(Vec::new());
    encode(&mut e, &v, false);
    let body = e.into_writer();
    move || response("application/cbor", Some(("smithy-protocol", "rpc-v2-cbor")), body.clone())
}

fn events(rule: Rule) -> aws_sdk_eventbridge::Client {
    mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, [&rule])
}

#[tokio::test]
async fn rule_targets_and_their_input_transformers() {
    let mut got = Vec::new();
    for file in ["codepipeline-with-role", "codepipeline-without-role", "other-pipeline", "input-transformer-digest"] {
        let rule = mock!(aws_sdk_eventbridge::Client::list_targets_by_rule)
            .then_http_response(json(&format!("events/list-targets-by-rule/{file}.json")));
        let out = events(rule).list_targets_by_rule().rule("r").send().await.unwrap();
        let t = convert::rule_target(&out.targets()[0]);
        got.push((file, t.arn, t.role_arn, t.digest_override));
    }
    let role = |name: &str| Some(format!("arn:aws:iam::111111111111:role/{name}"));
    assert_eq!(
        got,
        [
            (
                "codepipeline-with-role",
                "arn:aws:codepipeline:ap-northeast-1:111111111111:web-deploy".into(),
                role("service-role/cwe-role-ap-northeast-1-web-deploy"),
                None
            ),
            (
                "codepipeline-without-role",
                "arn:aws:codepipeline:ap-northeast-1:111111111111:api-deploy".into(),
                None,
                None
            ),
            (
                "other-pipeline",
                "arn:aws:codepipeline:ap-northeast-1:111111111111:web-deploy-old".into(),
                role("Role-for-MyRule"),
                None
            ),
            (
                "input-transformer-digest",
                "arn:aws:codepipeline:ap-northeast-1:111111111111:batch-deploy".into(),
                role("Role-for-MyRule"),
                Some("Image".into())
            ),
        ]
    );
}

#[tokio::test]
async fn described_rules_are_judged_as_the_corpus_says() {
    let describe = |file: &str| {
        let rule = mock!(aws_sdk_eventbridge::Client::describe_rule)
            .then_http_response(json(&format!("events/describe-rule/{file}.json")));
        async move { events(rule).describe_rule().name("r").send().await.unwrap() }
    };
    let trail = convert::trigger_rule("r", &describe("cloudtrail-pattern-cdk-before-21580").await);
    assert_eq!(judge_rule(trail.pattern.as_deref().unwrap(), "worker", "stable"), RuleMatch::CloudTrailStyle);

    let cdk = convert::trigger_rule("r", &describe("resources-filter-cdk-onevent").await);
    assert_eq!(
        judge_rule(cdk.pattern.as_deref().unwrap(), "batch", "latest"),
        RuleMatch::ResourcesFilter(r#"["arn:aws:ecr:ap-northeast-1:111111111111:repository/batch"]"#.into())
    );

    let custom = convert::trigger_rule("r", &describe("custom-bus").await);
    assert_eq!(custom.event_bus.as_deref(), Some("deploy-bus"));
    assert_eq!(
        custom.arn.as_deref(),
        Some("arn:aws:events:ap-northeast-1:111111111111:rule/deploy-bus/web-push-to-deploy")
    );

    let both = convert::trigger_rule("r", &describe("push-or-replicate").await);
    assert_eq!(judge_replication(both.pattern.as_deref().unwrap(), "web", "latest"), RuleMatch::Matches);
    let native = convert::trigger_rule("r", &describe("native-ecr-push").await);
    assert!(matches!(judge_replication(native.pattern.as_deref().unwrap(), "web", "latest"), RuleMatch::Mismatch(_)));

    let disabled = convert::trigger_rule("r", &describe("native-ecr-push-disabled").await);
    assert_eq!((disabled.state.as_str(), disabled.enabled()), ("DISABLED", false));
}

#[tokio::test]
async fn policy_simulations_answer_allowed_or_implicit_deny() {
    for (file, pipeline, want) in [
        ("start-pipeline-allowed", "web-deploy", RolePermission::Allowed),
        ("start-pipeline-implicit-deny", "api-deploy", RolePermission::Denied("implicitDeny".into())),
    ] {
        let rule = mock!(aws_sdk_iam::Client::simulate_principal_policy)
            .then_http_response(xml(&format!("iam/simulate-principal-policy/{file}.xml")));
        let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&rule]);
        let arn = format!("arn:aws:codepipeline:ap-northeast-1:111111111111:{pipeline}");
        let out =
            iam.simulate_principal_policy().policy_source_arn("arn:aws:iam::111111111111:role/r").send().await.unwrap();
        assert_eq!(convert::role_permission(&out, &arn), want, "{file}");
    }
}

#[tokio::test]
async fn trails_their_status_and_their_selectors() {
    let trails = |file: &str| {
        let rule = mock!(aws_sdk_cloudtrail::Client::describe_trails)
            .then_http_response(json(&format!("cloudtrail/describe-trails/{file}.json")));
        async move {
            let c = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule]);
            let out = c.describe_trails().send().await.unwrap();
            out.trail_list().iter().filter_map(convert::trail).collect::<Vec<_>>()
        }
    };
    let org = trails("organization-trail").await;
    assert_eq!(
        org.iter()
            .map(|t| (t.name.as_str(), t.home_region.as_str(), t.multi_region, t.organization))
            .collect::<Vec<_>>(),
        [("org-trail", "us-east-1", true, true)]
    );
    assert_eq!(org[0].arn, "arn:aws:cloudtrail:us-east-1:333333333333:trail/org-trail");
    let own = trails("single-region-account-trail").await;
    assert_eq!(
        (own[0].home_region.as_str(), own[0].multi_region, own[0].organization),
        ("ap-northeast-1", false, false)
    );
    assert!(trails("none").await.is_empty());

    for (file, logging) in [("logging", true), ("stopped", false)] {
        let rule = mock!(aws_sdk_cloudtrail::Client::get_trail_status)
            .then_http_response(json(&format!("cloudtrail/get-trail-status/{file}.json")));
        let c = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule]);
        assert_eq!(c.get_trail_status().name("t").send().await.unwrap().is_logging(), Some(logging), "{file}");
    }

    for (file, logs, summary) in [
        ("basic-all-management", true, "management events, ReadWriteType All"),
        ("basic-read-only-management", false, "management events, ReadWriteType ReadOnly"),
        (
            "advanced-write-management",
            true,
            "advanced selectors \"Write management events\" (eventCategory = Management, readOnly = false)",
        ),
    ] {
        let rule = mock!(aws_sdk_cloudtrail::Client::get_event_selectors)
            .then_http_response(json(&format!("cloudtrail/get-event-selectors/{file}.json")));
        let c = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule]);
        let check = convert::selector_check(&c.get_event_selectors().trail_name("t").send().await.unwrap());
        assert_eq!((check.logs_put_image, check.summary.as_str()), (logs, summary), "{file}");
    }
}

#[tokio::test]
async fn failed_invocations_through_the_cbor_protocol() {
    for (file, want) in [
        ("failed-invocations", vec![("2026-11-20T09:01:00Z", 1), ("2026-11-20T09:00:00Z", 2)]),
        ("no-datapoints", vec![]),
    ] {
        let rule = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
            .then_http_response(cbor(&format!("cloudwatch/get-metric-data/{file}.json")));
        let c = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&rule]);
        let out = c.get_metric_data().send().await.unwrap();
        let (id, points) = convert::datapoints(&out.metric_data_results()[0]);
        assert_eq!(id, "failed");
        let points: Vec<(String, u64)> = points.into_iter().map(|(t, v)| (t.to_string(), v)).collect();
        let want: Vec<(String, u64)> = want.into_iter().map(|(t, v)| (t.to_string(), v)).collect();
        assert_eq!(points, want, "{file}");
    }
}

#[tokio::test]
async fn registry_replication_rules() {
    for (file, want) in [
        (
            "replication-us-east-1",
            vec![ReplicationRule {
                destinations: vec![("ap-northeast-1".into(), "111111111111".into())],
                prefixes: vec!["reports".into()],
            }],
        ),
        ("no-replication", vec![]),
    ] {
        let rule = mock!(aws_sdk_ecr::Client::describe_registry)
            .then_http_response(json(&format!("ecr/describe-registry/{file}.json")));
        let c = mock_client!(aws_sdk_ecr, RuleMode::MatchAny, [&rule]);
        assert_eq!(convert::replication_rules(&c.describe_registry().send().await.unwrap()), want, "{file}");
    }
}

#[tokio::test]
async fn the_cross_account_record_names_its_principal() {
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .then_http_response(json("cloudtrail/lookup-events/put-image-page1.json"));
    let c = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule]);
    let out = c.lookup_events().send().await.unwrap();
    let records: Vec<_> =
        out.events().iter().filter_map(|e| convert::put_image_record(e, Some("111111111111"))).collect();
    let cross = records.iter().find(|r| r.pusher.cross_account).unwrap();
    assert_eq!(
        (cross.pusher.account.as_str(), cross.pusher.identity_type.as_str(), cross.pusher.principal_id.as_deref()),
        ("222222222222", "AWSAccount", Some("AIDAEXAMPLECROSSACCT"))
    );
    assert_eq!(cross.event_id, "9197e795-b1c5-4ca3-a793-011b1c2d3e4f");
}
