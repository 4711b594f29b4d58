//! The answers the trigger diagnosis reads past the rules: ListTargetsByRule into rule targets (with the documented
//! input-transformer override), SimulatePrincipalPolicy into a role's permission, DescribeTrails / GetTrailStatus /
//! GetEventSelectors into trail coverage, GetMetricData (Smithy RPC v2 CBOR) into `FailedInvocations` datapoints,
//! DescribeRegistry into replication rules; and the corpus's rules as the pattern judge reads them.

use aws_sdk_eventbridge::config::http::HttpResponse;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_types::body::SdkBody;

use super::*;
use crate::analysis::pattern::{RuleMatch, judge_replication, judge_rule};
use crate::model::{ReplicationRule, RolePermission};
use crate::source::aws::convert;

/// A 200 answer with `body` (and `content_type`).
fn answer(content_type: &str, body: Vec<u8>) -> HttpResponse {
    let mut b = http::Response::builder().status(200).header("content-type", content_type);
    if content_type == "application/cbor" {
        b = b.header("smithy-protocol", "rpc-v2-cbor");
    }
    HttpResponse::try_from(b.body(SdkBody::from(body)).unwrap()).unwrap()
}

/// The corpus's CloudWatch files are the awsJson 1.0 form of the body; the Rust SDK speaks Smithy RPC v2 CBOR, so
/// the same members are encoded as CBOR, `Timestamps` as CBOR timestamps (tag 1), as the corpus README prescribes.
fn cbor(v: &Value) -> Vec<u8> {
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
    let mut e = aws_smithy_cbor::Encoder::new(Vec::new());
    encode(&mut e, v, false);
    e.into_writer()
}

#[tokio::test]
async fn list_targets_by_rule_yields_targets_roles_and_the_digest_override() {
    for (path, name) in files_of("events:ListTargetsByRule") {
        let body = body(path).into_bytes();
        let rule = mock!(aws_sdk_eventbridge::Client::list_targets_by_rule)
            .then_http_response(move || answer("application/x-amz-json-1.1", body.clone()));
        let bus = mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, [&rule]);
        let out = bus.list_targets_by_rule().rule("r").send().await.unwrap_or_else(|e| panic!("{path}: {e:?}"));
        let got: Vec<String> = out
            .targets()
            .iter()
            .map(convert::rule_target)
            .map(|t| {
                let pipeline = t.arn.rsplit(':').next().unwrap_or_default().to_string();
                let role = t.role_arn.as_deref().map_or("-", |r| r.rsplit('/').next().unwrap_or(r)).to_string();
                format!("{} {pipeline} role={role} override={:?}", t.id, t.digest_override)
            })
            .collect();
        let want = match name {
            "codepipeline-with-role.json" => {
                "codepipeline-web-deploy web-deploy role=cwe-role-ap-northeast-1-web-deploy override=None"
            }
            "codepipeline-without-role.json" => "1 api-deploy role=- override=None",
            "other-pipeline.json" => "codepipeline-web-deploy-old web-deploy-old role=Role-for-MyRule override=None",
            "input-transformer-digest.json" => {
                r#"codepipeline-batch-deploy batch-deploy role=Role-for-MyRule override=Some("Image")"#
            }
            other => panic!("no expectation for events/list-targets-by-rule/{other}"),
        };
        assert_eq!(got, [want], "{path}");
    }
}

#[tokio::test]
async fn simulate_principal_policy_yields_the_decision_for_the_pipeline() {
    for (path, name) in files_of("iam:SimulatePrincipalPolicy") {
        let (pipeline, want) = match name {
            "start-pipeline-allowed.xml" => ("web-deploy", RolePermission::Allowed),
            "start-pipeline-implicit-deny.xml" => ("api-deploy", RolePermission::Denied("implicitDeny".into())),
            other => panic!("no expectation for iam/simulate-principal-policy/{other}"),
        };
        let body = body(path).into_bytes();
        let rule = mock!(aws_sdk_iam::Client::simulate_principal_policy)
            .then_http_response(move || answer("text/xml", body.clone()));
        let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&rule]);
        let out = iam
            .simulate_principal_policy()
            .policy_source_arn("r")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e:?}"));
        let arn = format!("arn:aws:codepipeline:ap-northeast-1:111111111111:{pipeline}");
        assert_eq!(convert::role_permission(&out, &arn), want, "{path}");
    }
}

#[tokio::test]
async fn trails_yield_what_applies_where_and_whether_it_logs_put_image() {
    let client = |op_body: Vec<u8>| {
        let describe = mock!(aws_sdk_cloudtrail::Client::describe_trails).then_http_response({
            let b = op_body.clone();
            move || answer("application/x-amz-json-1.1", b.clone())
        });
        let status = mock!(aws_sdk_cloudtrail::Client::get_trail_status).then_http_response({
            let b = op_body.clone();
            move || answer("application/x-amz-json-1.1", b.clone())
        });
        let selectors = mock!(aws_sdk_cloudtrail::Client::get_event_selectors)
            .then_http_response(move || answer("application/x-amz-json-1.1", op_body.clone()));
        mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&describe, &status, &selectors])
    };
    for (path, name) in files_of("cloudtrail:DescribeTrails") {
        let out = client(body(path).into_bytes()).describe_trails().send().await.unwrap();
        let got: Vec<String> = out
            .trail_list()
            .iter()
            .filter_map(convert::trail)
            .map(|t| format!("{} home={} multi={} org={}", t.name, t.home_region, t.multi_region, t.organization))
            .collect();
        let want: &[&str] = match name {
            "organization-trail.json" => &["org-trail home=us-east-1 multi=true org=true"],
            "single-region-account-trail.json" => &["account-trail home=ap-northeast-1 multi=false org=false"],
            "none.json" => &[],
            other => panic!("no expectation for cloudtrail/describe-trails/{other}"),
        };
        assert_eq!(got, want, "{path}");
    }
    for (path, name) in files_of("cloudtrail:GetTrailStatus") {
        let out = client(body(path).into_bytes()).get_trail_status().name("t").send().await.unwrap();
        let want = match name {
            "logging.json" => true,
            "stopped.json" => false,
            other => panic!("no expectation for cloudtrail/get-trail-status/{other}"),
        };
        assert_eq!(out.is_logging(), Some(want), "{path}");
    }
    for (path, name) in files_of("cloudtrail:GetEventSelectors") {
        let out = client(body(path).into_bytes()).get_event_selectors().trail_name("t").send().await.unwrap();
        let check = convert::selector_check(&out);
        let want = match name {
            "basic-all-management.json" => (true, "management events, ReadWriteType All"),
            "basic-read-only-management.json" => (false, "management events, ReadWriteType ReadOnly"),
            "advanced-write-management.json" => {
                (true, "advanced selectors \"Write management events\" (eventCategory = Management, readOnly = false)")
            }
            other => panic!("no expectation for cloudtrail/get-event-selectors/{other}"),
        };
        assert_eq!((check.logs_put_image, check.summary.as_str()), want, "{path}");
    }
}

#[tokio::test]
async fn get_metric_data_yields_failed_invocations_through_cbor() {
    for (path, name) in files_of("cloudwatch:GetMetricData") {
        let body = cbor(&raw(path));
        let rule = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
            .then_http_response(move || answer("application/cbor", body.clone()));
        let cw = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&rule]);
        let out = cw.get_metric_data().send().await.unwrap_or_else(|e| panic!("{path}: {e:?}"));
        let (id, points) = convert::datapoints(&out.metric_data_results()[0]);
        let got: Vec<String> = points.iter().map(|(t, n)| format!("{t} {n}")).collect();
        let want: &[&str] = match name {
            "failed-invocations.json" => &["2026-11-20T09:01:00Z 1", "2026-11-20T09:00:00Z 2"],
            "no-datapoints.json" => &[],
            other => panic!("no expectation for cloudwatch/get-metric-data/{other}"),
        };
        assert_eq!(id, "failed", "{path}");
        assert_eq!(got, want, "{path}");
    }
}

#[tokio::test]
async fn describe_registry_yields_replication_rules() {
    for (path, name) in files_of("ecr:DescribeRegistry") {
        let body = body(path).into_bytes();
        let rule = mock!(aws_sdk_ecr::Client::describe_registry)
            .then_http_response(move || answer("application/x-amz-json-1.1", body.clone()));
        let ecr = mock_client!(aws_sdk_ecr, RuleMode::MatchAny, [&rule]);
        let out = ecr.describe_registry().send().await.unwrap_or_else(|e| panic!("{path}: {e:?}"));
        let want = match name {
            "replication-us-east-1.json" => vec![ReplicationRule {
                destinations: vec![("ap-northeast-1".into(), "111111111111".into())],
                prefixes: vec!["reports".into()],
            }],
            "no-replication.json" => vec![],
            other => panic!("no expectation for ecr/describe-registry/{other}"),
        };
        assert_eq!(convert::replication_rules(&out), want, "{path}");
    }
}

#[test]
fn the_corpus_rules_as_the_pattern_judge_reads_them() {
    let pattern = |name: &str| opt(&raw(&format!("events/describe-rule/{name}.json")), "EventPattern").unwrap();
    assert_eq!(
        judge_rule(&pattern("cloudtrail-pattern-cdk-before-21580"), "worker", "stable"),
        RuleMatch::CloudTrailStyle
    );
    assert_eq!(
        judge_rule(&pattern("resources-filter-cdk-onevent"), "batch", "latest"),
        RuleMatch::ResourcesFilter(r#"["arn:aws:ecr:ap-northeast-1:111111111111:repository/batch"]"#.into())
    );
    assert_eq!(judge_replication(&pattern("push-or-replicate"), "web", "latest"), RuleMatch::Matches);
    assert!(matches!(judge_replication(&pattern("native-ecr-push"), "web", "latest"), RuleMatch::Mismatch(_)));
    assert_eq!(judge_rule(&pattern("native-ecr-push"), "web", "latest"), RuleMatch::Matches);
}

#[tokio::test]
async fn the_cross_account_record_names_its_principal() {
    let path = "cloudtrail/lookup-events/put-image-page1.json";
    let body = body(path).into_bytes();
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .then_http_response(move || answer("application/x-amz-json-1.1", body.clone()));
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
