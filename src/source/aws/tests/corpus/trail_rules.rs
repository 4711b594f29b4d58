//! CloudTrail and EventBridge answers of the corpus: LookupEvents pages into `PutImage` records (every identity
//! type), DescribeRule into trigger rules with their patterns, ListRuleNamesByTarget pages, and the
//! CloudTrail-delivered event through the record parser.

use aws_smithy_mocks::{RuleMode, mock, mock_client};

use super::*;
use crate::cloudtrail::parse_put_image;
use crate::model::PutImageRecord;
use crate::source::aws::convert;

/// `event8 time repo:tag digest8 recipient identity-type account arn-tail cross?`.
fn line(r: &PutImageRecord) -> String {
    let arn = r.pusher.arn.as_deref().map_or("-", |a| a.rsplit(':').next().unwrap_or(a));
    format!(
        "{} {} {}:{} {} {} {} {} {arn}{}",
        &r.event_id[..8],
        r.event_time,
        r.repository,
        r.tag.as_deref().unwrap_or("-"),
        r.digest.as_deref().map_or("-", |d| &d[7..15]),
        r.recipient_account.as_deref().unwrap_or("-"),
        r.pusher.identity_type,
        r.pusher.account,
        if r.pusher.cross_account { " cross-account" } else { "" },
    )
}

#[tokio::test]
async fn lookup_events_yield_put_image_records_of_every_identity() {
    for (path, name) in files_of("cloudtrail:LookupEvents") {
        let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events)
            .sequence()
            .http_status(200, Some(body(path)))
            .repeatedly()
            .build();
        let trail = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&rule]);
        let out = trail.lookup_events().send().await.unwrap_or_else(|e| panic!("{path}: {e:?}"));
        let file = raw(path);
        assert_eq!(out.next_token().map(str::to_string), opt(&file, "NextToken"), "{path}");
        let events = file["Events"].as_array().unwrap();
        assert_eq!(out.events().len(), events.len(), "{path}");
        for (e, r) in out.events().iter().zip(events) {
            assert_eq!(e.event_id().map(str::to_string), opt(r, "EventId"), "{path}");
            assert_eq!(e.event_time().and_then(convert::timestamp).map(ms), Some(epoch(&r["EventTime"])), "{path}");
            assert_eq!(
                e.cloud_trail_event().map(str::to_string),
                opt(r, "CloudTrailEvent"),
                "{path}: the record intact"
            );
        }
        let records: Vec<String> = out
            .events()
            .iter()
            .filter_map(|e| convert::put_image_record(e, Some("111111111111")))
            .map(|r| line(&r))
            .collect();
        let codebuild = "assumed-role/codebuild-web-service-role/AWSCodeBuild-5f2d8c1e-9b7a-4e36-a1d4-0c6e3b8f2a57";
        let want: Vec<String> = match name {
            // The fourth record (replication, `AWSService`) names no account in `userIdentity`: the parser needs one,
            // so it is not read (its shape is assumed anyway, see the corpus README).
            "put-image-page1.json" => vec![
                format!("0b6f4a2d 2026-11-20T09:00:02Z web:latest f18e45cf 111111111111 AssumedRole 111111111111 {codebuild}"),
                format!("5c8e1b3f 2026-11-20T09:00:00Z web:- a830d414 111111111111 AssumedRole 111111111111 {codebuild}"),
                "9197e795 2026-11-20T08:30:01Z api:release 9c85973f 111111111111 AWSAccount 222222222222 - cross-account"
                    .into(),
            ],
            "put-image-page2.json" => vec![
                "2bfd4ee2 2026-11-19T09:00:15Z tools:v42 6fc6050c 111111111111 IAMUser 111111111111 user/Mary_Major"
                    .into(),
                "d84f1c2a 2026-11-18T09:00:07Z tools:9f8e7d6 338a3fdd 111111111111 Root 111111111111 root".into(),
            ],
            "empty.json" => vec![],
            other => panic!("no expectation for cloudtrail/lookup-events/{other}"),
        };
        assert_eq!(records, want, "{path}");
    }
}

#[tokio::test]
async fn describe_rule_yields_state_and_pattern() {
    for (path, name) in files_of("events:DescribeRule") {
        let rule = mock!(aws_sdk_eventbridge::Client::describe_rule)
            .sequence()
            .http_status(200, Some(body(path)))
            .repeatedly()
            .build();
        let bus = mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, [&rule]);
        let out = bus.describe_rule().name("any").send().await.unwrap_or_else(|e| panic!("{path}: {e:?}"));
        let file = raw(path);
        let got = convert::trigger_rule(out.name().unwrap(), &out);
        assert_eq!(Some(got.name.clone()), opt(&file, "Name"), "{path}");
        assert_eq!(got.pattern, opt(&file, "EventPattern"), "{path}: the pattern string intact");
        let pattern: Value = serde_json::from_str(got.pattern.as_deref().unwrap()).unwrap();
        // What each pattern asks of the event: its detail-type, and the repository and tag it names.
        let asks = |keys: &[&str]| -> String {
            let v = keys.iter().try_fold(&pattern, |v, k| v.get(k));
            v.map_or("-".into(), |v| v.to_string())
        };
        let shown = format!(
            "{} {} detail-type={} repo={} tag={} resources={}",
            got.state,
            opt(&file, "EventBusName").unwrap_or_default(),
            asks(&["detail-type"]),
            asks(&["detail", "repository-name"]),
            asks(&["detail", "image-tag"]),
            asks(&["resources"]),
        );
        let want = match name {
            "native-ecr-push.json" => {
                r#"ENABLED default detail-type=["ECR Image Action"] repo=["web"] tag=["latest"] resources=-"#
            }
            "native-ecr-push-disabled.json" => {
                r#"DISABLED default detail-type=["ECR Image Action"] repo=["api"] tag=["release"] resources=-"#
            }
            "cloudtrail-pattern-cdk-before-21580.json" => {
                r#"ENABLED default detail-type=["AWS API Call via CloudTrail"] repo=- tag=- resources=-"#
            }
            "resources-filter-cdk-onevent.json" => {
                r#"ENABLED default detail-type=["ECR Image Action"] repo=["batch"] tag=- resources=["arn:aws:ecr:ap-northeast-1:111111111111:repository/batch"]"#
            }
            "custom-bus.json" => {
                r#"ENABLED deploy-bus detail-type=["ECR Image Action"] repo=["web"] tag=["latest"] resources=-"#
            }
            "push-or-replicate.json" => {
                r#"ENABLED default detail-type=["ECR Image Action","ECR Replication Action"] repo=["web"] tag=["latest"] resources=-"#
            }
            other => panic!("no expectation for events/describe-rule/{other}"),
        };
        assert_eq!(shown, want, "{path}");
        assert_eq!(got.enabled(), got.state == "ENABLED", "{path}");
    }
}

#[tokio::test]
async fn rule_names_by_target_read_with_their_paging() {
    for (path, name) in files_of("events:ListRuleNamesByTarget") {
        let rule = mock!(aws_sdk_eventbridge::Client::list_rule_names_by_target)
            .sequence()
            .http_status(200, Some(body(path)))
            .repeatedly()
            .build();
        let bus = mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, [&rule]);
        let out =
            bus.list_rule_names_by_target().target_arn("arn").send().await.unwrap_or_else(|e| panic!("{path}: {e:?}"));
        let (want, more): (&[&str], bool) = match name {
            "web-deploy.json" => (&["web-deploy-ecr-latest", "web-push-or-replicate"], false),
            "paged-page1.json" => (&["web-deploy-ecr-latest"], true),
            "paged-page2.json" => (&["web-push-or-replicate"], false),
            "none.json" => (&[], false),
            other => panic!("no expectation for events/list-rule-names-by-target/{other}"),
        };
        assert_eq!(out.rule_names(), want, "{path}");
        assert_eq!(out.next_token().is_some(), more, "{path}");
    }
}

#[test]
fn the_cloudtrail_delivered_event_reads_as_its_record() {
    for (path, name) in files_of("event: AWS API Call via CloudTrail") {
        let r = parse_put_image(&body(path), None).unwrap_or_else(|e| panic!("{path}: {e}"));
        let want = match name {
            "cloudtrail-put-image.json" => {
                "0b6f4a2d 2026-11-20T09:00:02Z web:latest f18e45cf 111111111111 AssumedRole 111111111111 \
                 assumed-role/codebuild-web-service-role/AWSCodeBuild-5f2d8c1e-9b7a-4e36-a1d4-0c6e3b8f2a57"
            }
            other => panic!("no expectation for events/events/{other}"),
        };
        assert_eq!(line(&r), want, "{path}: the record under `detail`, the recipient from it");
    }
}
