//! SDK types to domain types: every place where an AWS answer becomes a `model` value, so that the readers only
//! call and page, and nothing above the AWS layer sees an SDK type.

use std::collections::HashMap;

use aws_sdk_cloudtrail::types::Event;
use aws_sdk_codepipeline::primitives::DateTime;
use aws_sdk_codepipeline::types::{ActionCategory, ActionOwner, PipelineDeclaration, PipelineExecutionSummary};
use aws_sdk_ecr::types::{Image as EcrImage, ImageDetail};
use aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput;
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
use jiff::Timestamp;

mod triggers;

pub(super) use triggers::*;

use crate::cloudtrail::parse_put_image;
use crate::model::{
    ExecStatus, Execution, Identity, Image, IndexEntry, Lookup, PutImageRecord, Revision, TriggerRule, WatchedSource,
};
use crate::oci::{self, ParseError};

/// The caller identity (missing fields empty).
pub(super) fn identity(out: &GetCallerIdentityOutput) -> Identity {
    Identity {
        account: out.account().unwrap_or_default().to_string(),
        arn: out.arn().unwrap_or_default().to_string(),
        user_id: out.user_id().unwrap_or_default().to_string(),
    }
}

/// The ECR source actions of a pipeline definition: the (repository, tag) each watches, `latest` when it names no
/// tag.
pub(super) fn watched_sources(decl: &PipelineDeclaration) -> Vec<WatchedSource> {
    let empty = HashMap::new();
    decl.stages()
        .iter()
        .flat_map(|s| s.actions())
        .filter(|a| {
            a.action_type_id().is_some_and(|t| {
                *t.category() == ActionCategory::Source && *t.owner() == ActionOwner::Aws && t.provider() == "ECR"
            })
        })
        .filter_map(|a| {
            let conf = a.configuration().unwrap_or(&empty);
            let repository = conf.get("RepositoryName")?.clone();
            let tag = conf.get("ImageTag").filter(|t| !t.is_empty()).cloned().unwrap_or_else(|| "latest".into());
            Some(WatchedSource { action: a.name().to_string(), repository, tag })
        })
        .collect()
}

/// One execution summary; `None` when it lacks an id or a start time.
pub(super) fn execution(s: &PipelineExecutionSummary) -> Option<Execution> {
    Some(Execution {
        id: s.pipeline_execution_id()?.to_string(),
        status: ExecStatus::parse(s.status().map(|st| st.as_str()).unwrap_or("Unknown")),
        trigger: s.trigger().and_then(|t| t.trigger_type()).map(|t| t.as_str().to_string()).unwrap_or_default(),
        // moto (and perhaps other emulators) sends an empty detail: no detail is said as `None`.
        trigger_detail: s.trigger().and_then(|t| t.trigger_detail()).filter(|d| !d.is_empty()).map(str::to_string),
        started_at: timestamp(s.start_time()?)?,
        updated_at: s.last_update_time().and_then(timestamp),
        revisions: s
            .source_revisions()
            .iter()
            .filter_map(|r| {
                Some(Revision {
                    action: r.action_name().to_string(),
                    revision_id: r.revision_id()?.to_string(),
                    summary: r.revision_summary().map(str::to_string),
                })
            })
            .collect(),
        status_summary: s.status_summary().map(str::to_string),
    })
}

/// One image of `repository` as DescribeImages lists it (tags sorted); `None` when it lacks a digest or a push time.
pub(super) fn image(repository: &str, d: &ImageDetail) -> Option<Image> {
    let mut tags = d.image_tags().to_vec();
    tags.sort();
    Some(Image {
        repository: repository.to_string(),
        digest: d.image_digest()?.to_string(),
        tags,
        pushed_at: timestamp(d.image_pushed_at()?)?,
        manifest_media_type: d.image_manifest_media_type().map(str::to_string),
        artifact_media_type: d.artifact_media_type().map(str::to_string),
        subject: d.subject_manifest_digest().map(str::to_string),
    })
}

/// The digest of an image BatchGetImage returned and what its manifest lists when it is an image index; `None`
/// without a digest or a manifest.
pub(super) fn index_entries(image: &EcrImage) -> Option<(String, Result<Vec<IndexEntry>, ParseError>)> {
    let digest = image.image_id()?.image_digest()?.to_string();
    Some((digest, oci::parse_index(image.image_manifest()?)))
}

/// An EventBridge rule from DescribeRule (state `UNKNOWN` when the answer names none).
pub(super) fn trigger_rule(name: &str, out: &DescribeRuleOutput) -> TriggerRule {
    TriggerRule {
        name: name.to_string(),
        state: out.state().map(|s| s.as_str().to_string()).unwrap_or_else(|| "UNKNOWN".into()),
        pattern: out.event_pattern().map(str::to_string),
        arn: out.arn().map(str::to_string),
        event_bus: out.event_bus_name().map(str::to_string),
        targets: Lookup::default(),
    }
}

/// The `PutImage` record a LookupEvents event carries (its `CloudTrailEvent` JSON); `None` for any other record or
/// one that does not parse. `account` is the profile's, for records that name no recipient.
pub(super) fn put_image_record(event: &Event, account: Option<&str>) -> Option<PutImageRecord> {
    event.cloud_trail_event().and_then(|json| parse_put_image(json, account).ok())
}

/// The SDK's timestamp as a `jiff` one.
pub(super) fn timestamp(dt: &DateTime) -> Option<Timestamp> {
    Timestamp::new(dt.secs(), i32::try_from(dt.subsec_nanos()).ok()?).ok()
}

/// A `jiff` timestamp as the SDK's (whole seconds, as LookupEvents takes them).
pub(super) fn datetime(t: Timestamp) -> DateTime {
    DateTime::from_secs(t.as_second())
}

#[cfg(test)]
mod tests {
    use aws_sdk_codepipeline::types::{
        ActionDeclaration, ActionTypeId, ExecutionTrigger, PipelineExecutionStatus, SourceRevision, StageDeclaration,
        TriggerType,
    };
    use aws_sdk_eventbridge::types::RuleState;

    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn action(name: &str, provider: &str, conf: &[(&str, &str)]) -> ActionDeclaration {
        let owner = if provider == "ECR" || provider == "S3" { ActionOwner::Aws } else { ActionOwner::ThirdParty };
        let type_id =
            ActionTypeId::builder().category(ActionCategory::Source).owner(owner).provider(provider).version("1");
        let mut b = ActionDeclaration::builder().name(name).action_type_id(type_id.build().unwrap());
        for (k, v) in conf {
            b = b.configuration(*k, *v);
        }
        b.build().unwrap()
    }

    #[test]
    fn execution_summary_becomes_an_execution() {
        let s = PipelineExecutionSummary::builder()
            .pipeline_execution_id("exec-1")
            .status(PipelineExecutionStatus::InProgress)
            .start_time(DateTime::from_secs(1_764_000_000))
            .last_update_time(DateTime::from_secs_and_nanos(1_764_000_060, 500_000_000))
            .status_summary("Deploying")
            .trigger(
                ExecutionTrigger::builder()
                    .trigger_type(TriggerType::CloudWatchEvent)
                    .trigger_detail("arn:aws:events:ap-northeast-1:111111111111:rule/web")
                    .build(),
            )
            .source_revisions(
                SourceRevision::builder()
                    .action_name("Image")
                    .revision_id("sha256:abc")
                    .revision_summary("pushed by ci")
                    .build()
                    .unwrap(),
            )
            .source_revisions(SourceRevision::builder().action_name("Code").build().unwrap())
            .build();
        assert_eq!(
            execution(&s),
            Some(Execution {
                id: "exec-1".into(),
                status: ExecStatus::InProgress,
                trigger: "CloudWatchEvent".into(),
                trigger_detail: Some("arn:aws:events:ap-northeast-1:111111111111:rule/web".into()),
                started_at: ts("2025-11-24T16:00:00Z"),
                updated_at: Some(ts("2025-11-24T16:01:00.5Z")),
                revisions: vec![Revision {
                    action: "Image".into(),
                    revision_id: "sha256:abc".into(),
                    summary: Some("pushed by ci".into()),
                }],
                status_summary: Some("Deploying".into()),
            }),
            "a revision without an id is left out"
        );
    }

    #[test]
    fn execution_summary_without_id_or_start_is_dropped_and_unknown_status_kept() {
        let start = DateTime::from_secs(1_764_000_000);
        assert_eq!(execution(&PipelineExecutionSummary::builder().start_time(start).build()), None);
        assert_eq!(execution(&PipelineExecutionSummary::builder().pipeline_execution_id("e").build()), None);
        let bare = PipelineExecutionSummary::builder()
            .pipeline_execution_id("e")
            .start_time(start)
            .status(PipelineExecutionStatus::from("Paused"))
            .build();
        let e = execution(&bare).unwrap();
        assert_eq!(e.status, ExecStatus::Other("Paused".into()));
        assert_eq!((e.trigger.as_str(), e.trigger_detail, e.updated_at), ("", None, None));
        let no_status = PipelineExecutionSummary::builder().pipeline_execution_id("e").start_time(start).build();
        assert_eq!(execution(&no_status).unwrap().status, ExecStatus::Other("Unknown".into()));
    }

    #[test]
    fn image_detail_becomes_an_image_of_the_repository_read() {
        let d = ImageDetail::builder()
            .repository_name("web")
            .image_digest("sha256:abc")
            .image_tags("v2")
            .image_tags("latest")
            .image_pushed_at(DateTime::from_secs(1_764_000_000))
            .image_manifest_media_type("application/vnd.oci.image.manifest.v1+json")
            .artifact_media_type("application/vnd.cncf.notary.signature")
            .subject_manifest_digest("sha256:def")
            .build();
        assert_eq!(
            image("web", &d),
            Some(Image {
                repository: "web".into(),
                digest: "sha256:abc".into(),
                tags: vec!["latest".into(), "v2".into()],
                pushed_at: ts("2025-11-24T16:00:00Z"),
                manifest_media_type: Some("application/vnd.oci.image.manifest.v1+json".into()),
                artifact_media_type: Some("application/vnd.cncf.notary.signature".into()),
                subject: Some("sha256:def".into()),
            })
        );
        let untagged =
            ImageDetail::builder().image_digest("sha256:0ld").image_pushed_at(DateTime::from_secs(0)).build();
        let untagged = image("web", &untagged).unwrap();
        assert_eq!((untagged.tags, untagged.manifest_media_type, untagged.subject), (vec![], None, None));
        assert_eq!(image("web", &ImageDetail::builder().image_digest("sha256:abc").build()), None);
        assert_eq!(image("web", &ImageDetail::builder().image_pushed_at(DateTime::from_secs(0)).build()), None);
    }

    #[test]
    fn a_batch_get_image_answer_yields_the_index_entries() {
        use aws_sdk_ecr::types::ImageIdentifier;
        let manifest = r#"{"manifests":[{"digest":"sha256:a1","platform":{"os":"linux","architecture":"arm64"}}]}"#;
        let id = ImageIdentifier::builder().image_digest("sha256:1d").build();
        let img = EcrImage::builder().image_id(id.clone()).image_manifest(manifest).build();
        let (digest, entries) = index_entries(&img).unwrap();
        assert_eq!(digest, "sha256:1d");
        let entries = entries.unwrap();
        assert_eq!((entries[0].digest.as_str(), entries[0].platform.as_deref()), ("sha256:a1", Some("linux/arm64")));
        let not_an_index = EcrImage::builder().image_id(id.clone()).image_manifest(r#"{"layers":[]}"#).build();
        assert_eq!(index_entries(&not_an_index).unwrap().1, Err(ParseError::NotAnIndex));
        assert_eq!(index_entries(&EcrImage::builder().image_id(id).build()), None, "no manifest");
        assert_eq!(index_entries(&EcrImage::builder().image_manifest(manifest).build()), None, "no digest");
    }

    #[test]
    fn pipeline_declaration_yields_its_ecr_sources() {
        let source = StageDeclaration::builder()
            .name("Source")
            .actions(action("Image", "ECR", &[("RepositoryName", "web")]))
            .actions(action("Tools", "ECR", &[("RepositoryName", "tools"), ("ImageTag", "v1")]))
            .actions(action("Blank", "ECR", &[("RepositoryName", "blank"), ("ImageTag", "")]))
            .actions(action("NoRepo", "ECR", &[("ImageTag", "v1")]))
            .actions(action("Code", "GitHub", &[("Repo", "web")]))
            .actions(action("Bucket", "S3", &[("S3Bucket", "b")]))
            .build()
            .unwrap();
        let decl = PipelineDeclaration::builder()
            .name("web-deploy")
            .role_arn("arn:aws:iam::111111111111:role/cp")
            .stages(source)
            .build()
            .unwrap();
        let got: Vec<_> = watched_sources(&decl).into_iter().map(|s| (s.action, s.repository, s.tag)).collect();
        let want = [("Image", "web", "latest"), ("Tools", "tools", "v1"), ("Blank", "blank", "latest")]
            .map(|(a, r, t)| (a.to_string(), r.to_string(), t.to_string()));
        assert_eq!(got, want);
    }

    #[test]
    fn describe_rule_output_becomes_a_trigger_rule() {
        let out = DescribeRuleOutput::builder()
            .name("web-rule")
            .state(RuleState::EnabledWithAllCloudtrailManagementEvents)
            .event_pattern(r#"{"source":["aws.ecr"]}"#)
            .build();
        let rule = trigger_rule("web-rule", &out);
        assert_eq!(
            rule,
            TriggerRule {
                name: "web-rule".into(),
                state: "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS".into(),
                pattern: Some(r#"{"source":["aws.ecr"]}"#.into()),
                ..TriggerRule::default()
            }
        );
        assert!(rule.enabled());
        let bare = trigger_rule("r", &DescribeRuleOutput::builder().build());
        assert_eq!((bare.state.as_str(), bare.pattern.as_deref()), ("UNKNOWN", None));
        assert!(!bare.enabled());
    }

    #[test]
    fn lookup_event_carries_its_put_image_record() {
        let json = serde_json::json!({
            "eventName": "PutImage", "eventTime": "2025-11-24T15:00:00Z", "eventID": "e1",
            "userIdentity": {"type": "AssumedRole", "accountId": "222222222222",
                "arn": "arn:aws:sts::222222222222:assumed-role/ci/build"},
            "requestParameters": {"repositoryName": "web", "imageTag": "latest"},
            "responseElements": {"image": {"imageId": {"imageDigest": "sha256:abc", "imageTag": "latest"}}}
        })
        .to_string();
        let event = Event::builder().event_id("e1").event_name("PutImage").cloud_trail_event(json).build();
        let rec = put_image_record(&event, Some("111111111111")).unwrap();
        assert_eq!(rec.event_id, "e1");
        assert_eq!(rec.event_time, ts("2025-11-24T15:00:00Z"));
        assert_eq!(
            (rec.repository.as_str(), rec.tag.as_deref(), rec.digest.as_deref()),
            ("web", Some("latest"), Some("sha256:abc"))
        );
        assert_eq!(rec.recipient_account.as_deref(), Some("111111111111"), "the profile's account stands in");
        assert!(rec.pusher.cross_account);
        assert_eq!(rec.pusher.arn.as_deref(), Some("arn:aws:sts::222222222222:assumed-role/ci/build"));

        assert_eq!(put_image_record(&Event::builder().event_name("PutImage").build(), None), None);
        let other = Event::builder().cloud_trail_event(r#"{"eventName":"DeleteRepository"}"#).build();
        assert_eq!(put_image_record(&other, None), None);
        assert_eq!(put_image_record(&Event::builder().cloud_trail_event("<html>").build(), None), None);
    }

    #[test]
    fn caller_identity_and_timestamps_convert() {
        let out = GetCallerIdentityOutput::builder()
            .account("111111111111")
            .arn("arn:aws-cn:sts::111111111111:assumed-role/r/s")
            .user_id("AROA:s")
            .build();
        assert_eq!(
            identity(&out),
            Identity {
                account: "111111111111".into(),
                arn: "arn:aws-cn:sts::111111111111:assumed-role/r/s".into(),
                user_id: "AROA:s".into(),
            }
        );
        assert_eq!(identity(&GetCallerIdentityOutput::builder().build()).account, "");
        let t = ts("2025-11-24T16:00:00.25Z");
        assert_eq!(timestamp(&DateTime::from_secs_and_nanos(1_764_000_000, 250_000_000)), Some(t));
        assert_eq!(datetime(t), DateTime::from_secs(1_764_000_000), "LookupEvents takes whole seconds");
    }
}
