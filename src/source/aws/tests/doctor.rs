//! `pipewatch doctor`'s API checks through the real SDK clients, with aws-smithy-mocks answering: a refused call is
//! `denied` with the exact statement to add, a missing resource still proves the permission, and the statements
//! printed for every API name the shipped policy's statements.

use std::time::Duration;

use aws_sdk_ecr::operation::describe_images::DescribeImagesError;
use aws_smithy_mocks::mock;
use aws_smithy_types::error::ErrorMetadata;

use super::{clients_with, get_pipeline, images, list_pipelines, no_runs};
use crate::config::Profile;
use crate::doctor::{Checkup, ProfileCheckup, Status};
use crate::source::aws::doctor::apis::Targets;
use crate::source::aws::doctor::witness::Witness;
use crate::source::aws::doctor::{api_checks, checked_actions, statement_sid};

fn profile() -> Profile {
    crate::config::parse(
        "[profiles.account-a]\nrole_arn = \"arn:aws:iam::111111111111:role/pipewatch-read\"\nregion = \"ap-northeast-1\"\n",
        std::path::Path::new("c.toml"),
    )
    .unwrap()
    .profiles
    .remove(0)
}

fn targets() -> Targets {
    Targets {
        partition: "aws".into(),
        region: "ap-northeast-1".into(),
        account: "111111111111".into(),
        ..Targets::default()
    }
}

#[tokio::test]
async fn access_denied_on_one_api_prints_the_statement_to_add() {
    let denied = mock!(aws_sdk_ecr::Client::describe_images).then_error(|| {
        DescribeImagesError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message(
                    "User: arn:aws:sts::111111111111:assumed-role/pipewatch-read/pipewatch is not authorized to \
                     perform: ecr:DescribeImages on resource: arn:aws:ecr:ap-northeast-1:111111111111:repository/web",
                )
                .build(),
        )
    });
    let missing = mock!(aws_sdk_ecr::Client::batch_get_image).then_error(|| {
        aws_sdk_ecr::operation::batch_get_image::BatchGetImageError::generic(
            ErrorMetadata::builder().code("RepositoryNotFoundException").message("no web").build(),
        )
    });
    let (lp, gp, runs) = (list_pipelines(), get_pipeline(), no_runs());
    let c = clients_with(&[], &[&lp, &gp, &runs], &[&denied, &missing], &[], &[]);
    let mut p = profile();
    (p.cloudtrail, p.eventbridge) = (false, false);
    let role = p.role_arn.clone().unwrap();
    let checks = api_checks(&p, &c, &mut targets(), &role, Duration::from_secs(5), &Witness::default()).await;
    let status: Vec<(&str, Status)> = checks.iter().map(|c| (c.name.as_str(), c.status)).collect();
    assert_eq!(
        status,
        [
            ("codepipeline:ListPipelines", Status::Ok),
            ("codepipeline:GetPipeline", Status::Ok),
            ("codepipeline:ListPipelineExecutions", Status::Ok),
            ("ecr:DescribeImages", Status::Denied),
            ("ecr:BatchGetImage", Status::Ok),
            ("cloudtrail:LookupEvents", Status::Skipped),
            ("events:ListRuleNamesByTarget", Status::Skipped),
            ("events:DescribeRule", Status::Skipped),
            ("events:ListRules", Status::Skipped),
            ("events:ListTargetsByRule", Status::Skipped),
            ("cloudtrail:DescribeTrails", Status::Skipped),
            ("cloudtrail:GetTrailStatus", Status::Skipped),
            ("cloudtrail:GetEventSelectors", Status::Skipped),
            ("cloudwatch:GetMetricData", Status::Skipped),
            ("ecr:DescribeRegistry", Status::Skipped),
            ("iam:SimulatePrincipalPolicy", Status::Skipped),
        ]
    );
    // The probes read what the account has: the pipeline ListPipelines found, the repository it watches.
    assert_eq!(checks[1].detail, "read web-deploy (ECR sources: 1)");
    assert_eq!(checks[5].detail, "cloudtrail = false in [profiles.account-a]");
    assert!(checks[4].detail.starts_with("allowed (nothing of that name to read: RepositoryNotFoundException"));

    let text = {
        let checkup = Checkup {
            config: None,
            profiles: vec![ProfileCheckup { name: p.name.clone(), region: "ap-northeast-1".into(), checks }],
        };
        let mut out = Vec::new();
        crate::report::doctor::write_text(&checkup, &mut out, false).unwrap();
        assert_eq!(checkup.exit_code(), 3);
        String::from_utf8(out).unwrap()
    };
    assert!(text.contains("  DENIED      ecr:DescribeImages\n"), "{text}");
    assert!(
        text.contains(
            r#"{"Sid": "PipewatchImages", "Effect": "Allow", "Action": ["ecr:DescribeImages"], "Resource": "*"}"#
        ),
        "{text}"
    );
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("fix: add the statement to the policy of arn:aws:iam::111111111111:role/pipewatch-read"),
        "{text}"
    );
}

#[tokio::test]
async fn images_found_are_read_again_by_digest() {
    let (lp, gp, runs, imgs) = (list_pipelines(), get_pipeline(), no_runs(), images());
    let batch = mock!(aws_sdk_ecr::Client::batch_get_image)
        .match_requests(|r| r.image_ids().first().and_then(|i| i.image_digest()) == Some(super::DIGEST))
        .then_output(|| aws_sdk_ecr::operation::batch_get_image::BatchGetImageOutput::builder().build());
    let c = clients_with(&[], &[&lp, &gp, &runs], &[&imgs, &batch], &[], &[]);
    let mut p = profile();
    (p.cloudtrail, p.eventbridge) = (false, false);
    let checks = api_checks(&p, &c, &mut targets(), "r", Duration::from_secs(5), &Witness::default()).await;
    assert!(checks.iter().all(|c| c.status != Status::Denied && c.status != Status::Failed), "{checks:#?}");
}

#[test]
fn every_checked_api_names_a_statement_of_the_shipped_policy() {
    let policy: serde_json::Value =
        serde_json::from_str(include_str!("../../../../assets/iam-readonly-policy.json")).unwrap();
    for action in checked_actions() {
        let sid = statement_sid(action).unwrap();
        let statement = policy["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == sid);
        let actions = statement.map(|s| s["Action"].clone()).unwrap_or_default();
        assert!(actions.as_array().is_some_and(|a| a.iter().any(|x| x == action)), "{action} not in {sid}");
    }
}
