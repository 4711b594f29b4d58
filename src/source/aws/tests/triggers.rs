//! Whole polls with the trigger diagnosis's reads answered (corpus bodies where the corpus has them): what the
//! push's findings and chain say, what the profile warns about, and which calls are not made.

use aws_sdk_codepipeline::operation::list_pipeline_executions::ListPipelineExecutionsOutput;
use aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput;
use aws_sdk_eventbridge::operation::list_rule_names_by_target::ListRuleNamesByTargetOutput;
use aws_sdk_eventbridge::operation::list_targets_by_rule::ListTargetsByRuleOutput;
use aws_sdk_eventbridge::types::{RuleState, Target};
use aws_sdk_iam::operation::simulate_principal_policy::SimulatePrincipalPolicyError;
use aws_smithy_mocks::mock;
use aws_smithy_types::error::ErrorMetadata;

use super::*;
use crate::analysis::PushVerdict;
use crate::analysis::chain::{HopKind, HopState, first_broken};
use crate::analysis::correlate::PushStatus;

const WEB_DEPLOY: &str = "arn:aws:codepipeline:ap-northeast-1:111111111111:web-deploy";
const NATIVE: &str = r#"{"source":["aws.ecr"],"detail-type":["ECR Image Action"],"detail":{"action-type":["PUSH"],"result":["SUCCESS"],"repository-name":["web"],"image-tag":["latest"]}}"#;
/// CDK's `EcrSourceAction` pattern before aws/aws-cdk#21580, for web:latest.
const CLOUDTRAIL: &str = r#"{"source":["aws.ecr"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"requestParameters":{"repositoryName":["web"],"imageTag":["latest"]},"eventName":["PutImage"]}}"#;

/// A corpus file (`tests/fixtures/aws/`) as the 200 answer of its operation.
fn corpus(
    path: &str,
    content_type: &'static str,
) -> impl Fn() -> aws_sdk_eventbridge::config::http::HttpResponse + Send + Sync + 'static {
    let full = format!("{}/tests/fixtures/aws/{path}", env!("CARGO_MANIFEST_DIR"));
    let body = std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    move || {
        let r = http::Response::builder().status(200).header("content-type", content_type);
        aws_sdk_eventbridge::config::http::HttpResponse::try_from(
            r.body(aws_smithy_types::body::SdkBody::from(body.clone())).unwrap(),
        )
        .unwrap()
    }
}

fn json(path: &str) -> impl Fn() -> aws_sdk_eventbridge::config::http::HttpResponse + Send + Sync + 'static {
    corpus(path, "application/x-amz-json-1.1")
}

fn xml(path: &str) -> impl Fn() -> aws_sdk_eventbridge::config::http::HttpResponse + Send + Sync + 'static {
    corpus(path, "text/xml")
}

fn rule(pattern: &'static str) -> (Rule, Rule) {
    let names = mock!(aws_sdk_eventbridge::Client::list_rule_names_by_target)
        .then_output(|| ListRuleNamesByTargetOutput::builder().rule_names("web-rule").build());
    let describe = mock!(aws_sdk_eventbridge::Client::describe_rule).then_output(move || {
        DescribeRuleOutput::builder().name("web-rule").state(RuleState::Enabled).event_pattern(pattern).build()
    });
    (names, describe)
}

fn targets(role: Option<&'static str>) -> Rule {
    mock!(aws_sdk_eventbridge::Client::list_targets_by_rule).then_output(move || {
        let t = Target::builder().id("1").arn(WEB_DEPLOY).set_role_arn(role.map(str::to_string)).build().unwrap();
        ListTargetsByRuleOutput::builder().targets(t).build()
    })
}

fn no_trail_records() -> Rule {
    mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .then_output(|| aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput::builder().build())
}

/// One whole poll (the core read, then the explain step the untriggered push calls for) of web-deploy (web:latest
/// pushed an hour ago, no run) with these events, CloudTrail, IAM and CloudWatch answers; the snapshot and the web
/// push's verdict.
async fn poll_web(
    events: &[&Rule],
    trail: &[&Rule],
    iam: &[&Rule],
    cloudwatch: &[&Rule],
) -> (ProfileSnapshot, PushVerdict) {
    let runs = mock!(aws_sdk_codepipeline::Client::list_pipeline_executions)
        .then_output(|| ListPipelineExecutionsOutput::builder().build());
    let lookup = no_trail_records();
    let mut trail: Vec<&Rule> = trail.to_vec();
    trail.push(&lookup);
    let (id, lp, gp, im) = (identity_ok(), list_pipelines(), get_pipeline(), images());
    let c = clients_all(&[&id], &[&lp, &gp, &runs], &[&im], &trail, events, iam, cloudwatch);
    let snap = poll_at(&source(c, Scope::default()), request()).await;
    let verdict = build_report(&snap).pushes.into_iter().find(|p| p.push.digest == DIGEST).unwrap();
    assert_eq!(verdict.status, PushStatus::Untriggered);
    (snap, verdict)
}

fn codes(v: &PushVerdict) -> Vec<&'static str> {
    v.findings.iter().map(|f| f.code.as_str()).collect()
}

#[tokio::test]
async fn a_rule_whose_target_has_no_role() {
    let simulate = mock!(aws_sdk_iam::Client::simulate_principal_policy)
        .then_http_response(xml("iam/simulate-principal-policy/start-pipeline-allowed.xml"));
    let (names, describe) = rule(NATIVE);
    let no_role = targets(None);
    let (snap, v) = poll_web(&[&names, &describe, &no_role], &[], &[&simulate], &[]).await;
    assert_eq!(codes(&v), ["target_without_role"]);
    assert_eq!(first_broken(&v.chain).map(|h| h.hop), Some(HopKind::Target));
    assert_eq!(simulate.num_calls(), 0, "a target without a role has nothing to simulate");
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
}

#[tokio::test]
async fn a_role_allowed_to_start_the_pipeline_establishes_the_target_hop() {
    let simulate = mock!(aws_sdk_iam::Client::simulate_principal_policy)
        .match_requests(|r| {
            r.resource_arns() == [WEB_DEPLOY] && r.action_names() == ["codepipeline:StartPipelineExecution"]
        })
        .then_http_response(xml("iam/simulate-principal-policy/start-pipeline-allowed.xml"));
    let with_role = mock!(aws_sdk_eventbridge::Client::list_targets_by_rule)
        .then_http_response(json("events/list-targets-by-rule/codepipeline-with-role.json"));
    let (names, describe) = rule(NATIVE);
    let (snap, v) = poll_web(&[&names, &describe, &with_role], &[], &[&simulate], &[]).await;
    assert_eq!(v.chain[3].state, HopState::Established, "{}", v.chain[3].evidence);
    assert!(v.chain[3].evidence.contains("cwe-role-ap-northeast-1-web-deploy"), "{}", v.chain[3].evidence);
    assert_eq!(codes(&v), ["unknown"]);
    assert_eq!(simulate.num_calls(), 1);
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
}

#[tokio::test]
async fn a_refused_simulation_is_not_checked_and_names_the_permission() {
    let refused = mock!(aws_sdk_iam::Client::simulate_principal_policy).then_error(|| {
        SimulatePrincipalPolicyError::generic(
            ErrorMetadata::builder()
                .code("AccessDenied")
                .message("not authorized to perform: iam:SimulatePrincipalPolicy")
                .build(),
        )
    });
    let (names, describe) = rule(NATIVE);
    let role = targets(Some("arn:aws:iam::111111111111:role/ev"));
    let (snap, v) = poll_web(&[&names, &describe, &role], &[], &[&refused], &[]).await;
    assert_eq!(v.chain[3].state, HopState::NotChecked);
    assert_eq!(codes(&v), ["unknown"], "never a blame");
    assert!(
        snap.warnings
            .iter()
            .any(|w| w.starts_with("target roles not checked: iam:SimulatePrincipalPolicy: AccessDenied")
                && w.ends_with("(needs iam:SimulatePrincipalPolicy)")),
        "{:?}",
        snap.warnings
    );
}

#[tokio::test]
async fn a_cloudtrail_style_rule_with_and_without_a_logging_trail() {
    let (names, describe) = rule(CLOUDTRAIL);
    let role = targets(Some("arn:aws:iam::111111111111:role/ev"));
    let events = [&names, &describe, &role];

    // The organization's trail, logging all management events: the rule hop holds, naming the trail.
    let org = mock!(aws_sdk_cloudtrail::Client::describe_trails)
        .match_requests(|r| r.include_shadow_trails() == Some(true))
        .then_http_response(json("cloudtrail/describe-trails/organization-trail.json"));
    let logging = mock!(aws_sdk_cloudtrail::Client::get_trail_status)
        .match_requests(|r| r.name() == Some("arn:aws:cloudtrail:us-east-1:333333333333:trail/org-trail"))
        .then_http_response(json("cloudtrail/get-trail-status/logging.json"));
    let all = mock!(aws_sdk_cloudtrail::Client::get_event_selectors)
        .then_http_response(json("cloudtrail/get-event-selectors/basic-all-management.json"));
    let (snap, v) = poll_web(&events, &[&org, &logging, &all], &[], &[]).await;
    assert_eq!(v.chain[2].state, HopState::Established, "{}", v.chain[2].evidence);
    assert!(v.chain[2].evidence.contains("trail org-trail (organization, multi-region, home us-east-1) is logging"));
    assert!(!codes(&v).contains(&"cloudtrail_pattern_without_trail"), "{:?}", codes(&v));
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);

    // No trail: blamed, with what was checked.
    let none = mock!(aws_sdk_cloudtrail::Client::describe_trails)
        .then_http_response(json("cloudtrail/describe-trails/none.json"));
    let (_, v) = poll_web(&events, &[&none], &[], &[]).await;
    assert_eq!(codes(&v), ["cloudtrail_pattern_without_trail"]);
    assert_eq!(first_broken(&v.chain).map(|h| h.hop), Some(HopKind::Rule));
    assert_eq!(v.findings[0].evidence, ["cloudtrail:DescribeTrails (with shadow trails) in ap-northeast-1: no trail"]);

    // The organization trail's selectors refused (a member account): not checked, and the permission named.
    let refused = mock!(aws_sdk_cloudtrail::Client::get_event_selectors).then_error(|| {
        aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsError::generic(
            ErrorMetadata::builder().code("AccessDeniedException").message("not authorized").build(),
        )
    });
    let (snap, v) = poll_web(&events, &[&org, &logging, &refused], &[], &[]).await;
    assert_eq!(v.chain[2].state, HopState::NotChecked, "{}", v.chain[2].evidence);
    assert_eq!(codes(&v), ["unknown"]);
    assert!(snap.warnings.iter().any(|w| w.contains("needs cloudtrail:GetEventSelectors")), "{:?}", snap.warnings);
}

#[tokio::test]
async fn trails_are_read_only_for_cloudtrail_style_rules() {
    let describe_trails = mock!(aws_sdk_cloudtrail::Client::describe_trails)
        .then_http_response(json("cloudtrail/describe-trails/none.json"));
    let (names, describe) = rule(NATIVE);
    let role = targets(Some("arn:aws:iam::111111111111:role/ev"));
    let _ = poll_web(&[&names, &describe, &role], &[&describe_trails], &[], &[]).await;
    assert_eq!(describe_trails.num_calls(), 0);
}

#[tokio::test]
async fn failed_invocations_around_the_push_break_the_target_hop() {
    let failed = mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_output(|| {
        let result =
            aws_sdk_cloudwatch::types::MetricDataResult::builder().id("r0").timestamps(dt(-3600)).values(2.0).build();
        aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput::builder()
            .metric_data_results(result)
            .build()
    });
    let (names, describe) = rule(NATIVE);
    let role = targets(Some("arn:aws:iam::111111111111:role/ev"));
    let (_, v) = poll_web(&[&names, &describe, &role], &[], &[], &[&failed]).await;
    assert_eq!(codes(&v), ["rule_invocations_failed"]);
    assert!(
        v.findings[0].message.starts_with("rule web-rule of web-deploy failed 2 invocation(s)"),
        "{}",
        v.findings[0].message
    );
}
