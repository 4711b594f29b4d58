//! The one table of the APIs pipewatch calls in a polled account, each with the least-privilege statement that
//! allows it and the minimal read that `pipewatch doctor` makes to prove it works. Adding an API to the poll means
//! adding its row here: `tests/iam_policy.rs` fails while a call of the AWS layer has no row.
//!
//! Each probe reads as little as it can (one result) and passes what it learnt (a pipeline, a repository, a rule)
//! to the next, so later probes read real resources where there are some. A probe of a name that does not exist
//! still proves the permission: AWS checks IAM before it looks the resource up.

use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_sdk_ecr::types::ImageIdentifier;
use futures::future::BoxFuture;

use super::super::clients::ProfileClients;
use super::super::errors::poll_error;
use super::super::partition;
use crate::model::{ErrorKind, PollError};

/// A name no resource has, for probes with nothing real to read.
const PROBE_NAME: &str = "pipewatch-doctor-probe";
/// A digest no image has.
const PROBE_DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// What the probes learnt so far, and what the profile names.
#[derive(Debug, Clone, Default)]
pub(in crate::source::aws) struct Targets {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub pipeline: Option<String>,
    pub repository: Option<String>,
    pub digest: Option<String>,
    pub rule: Option<String>,
    /// A trail DescribeTrails listed.
    pub trail: Option<String>,
    /// Whose policies the simulation reads: the role pipewatch assumes, else the caller.
    pub principal: String,
}

/// When a check applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Needs {
    /// Every poll makes this call.
    Always,
    /// Only with `cloudtrail = true` (the default).
    CloudTrail,
    /// Only with `eventbridge = true` (the default).
    EventBridge,
}

/// A probe: one minimal call, answering what it saw (one line) or the call's failure.
pub(super) type Probe = for<'a> fn(&'a ProfileClients, &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>>;

/// One API pipewatch calls.
pub(super) struct Api {
    /// The IAM action (`codepipeline:ListPipelines`).
    pub action: &'static str,
    /// The `Sid` of the statement of `assets/iam-readonly-policy.json` that allows it.
    pub sid: &'static str,
    pub needs: Needs,
    pub probe: Probe,
}

/// Every API of a poll (but `sts:GetCallerIdentity`, the doctor's identity step), in the order they are checked.
pub(super) const APIS: &[Api] = &[
    Api {
        action: "codepipeline:ListPipelines",
        sid: "PipewatchPipelines",
        needs: Needs::Always,
        probe: list_pipelines,
    },
    Api { action: "codepipeline:GetPipeline", sid: "PipewatchPipelines", needs: Needs::Always, probe: get_pipeline },
    Api {
        action: "codepipeline:ListPipelineExecutions",
        sid: "PipewatchPipelines",
        needs: Needs::Always,
        probe: list_executions,
    },
    Api { action: "ecr:DescribeImages", sid: "PipewatchImages", needs: Needs::Always, probe: describe_images },
    Api { action: "ecr:BatchGetImage", sid: "PipewatchImages", needs: Needs::Always, probe: batch_get_image },
    Api {
        action: "cloudtrail:LookupEvents",
        sid: "PipewatchPushAttribution",
        needs: Needs::CloudTrail,
        probe: lookup_events,
    },
    Api {
        action: "events:ListRuleNamesByTarget",
        sid: "PipewatchTriggerRules",
        needs: Needs::EventBridge,
        probe: list_rule_names,
    },
    Api {
        action: "events:DescribeRule",
        sid: "PipewatchTriggerRules",
        needs: Needs::EventBridge,
        probe: describe_rule,
    },
    Api { action: "events:ListRules", sid: "PipewatchTriggerRules", needs: Needs::EventBridge, probe: list_rules },
    Api {
        action: "events:ListTargetsByRule",
        sid: "PipewatchTriggerRules",
        needs: Needs::EventBridge,
        probe: list_targets,
    },
    Api {
        action: "cloudtrail:DescribeTrails",
        sid: "PipewatchTriggerDiagnosis",
        needs: Needs::EventBridge,
        probe: describe_trails,
    },
    Api {
        action: "cloudtrail:GetTrailStatus",
        sid: "PipewatchTriggerDiagnosis",
        needs: Needs::EventBridge,
        probe: trail_status,
    },
    Api {
        action: "cloudtrail:GetEventSelectors",
        sid: "PipewatchTriggerDiagnosis",
        needs: Needs::EventBridge,
        probe: event_selectors,
    },
    Api {
        action: "cloudwatch:GetMetricData",
        sid: "PipewatchTriggerDiagnosis",
        needs: Needs::EventBridge,
        probe: metric_data,
    },
    Api {
        action: "ecr:DescribeRegistry",
        sid: "PipewatchTriggerDiagnosis",
        needs: Needs::EventBridge,
        probe: describe_registry,
    },
    Api {
        action: "iam:SimulatePrincipalPolicy",
        sid: "PipewatchTriggerDiagnosis",
        needs: Needs::EventBridge,
        probe: simulate,
    },
];

/// Error codes of a probe that reached a resource that does not exist: the permission was granted.
const NOT_FOUND: &[&str] = &[
    "PipelineNotFoundException",
    "RepositoryNotFoundException",
    "ResourceNotFoundException",
    "ImageNotFoundException",
    "TrailNotFoundException",
    "NoSuchEntity",
];

/// Whether `e` says the probed resource does not exist (after IAM allowed the call).
pub(super) fn is_not_found(e: &PollError) -> bool {
    e.kind == ErrorKind::Service && NOT_FOUND.iter().any(|code| e.message.starts_with(code))
}

fn some(name: &Option<String>) -> &str {
    name.as_deref().unwrap_or(PROBE_NAME)
}

fn list_pipelines<'a>(c: &'a ProfileClients, t: &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>> {
    Box::pin(async move {
        let api = "codepipeline:ListPipelines";
        let out = c.codepipeline.list_pipelines().max_results(1).send().await.map_err(|e| poll_error(api, &e))?;
        let first = out.pipelines().first().and_then(|p| p.name()).map(str::to_string);
        if t.pipeline.is_none() {
            t.pipeline = first.clone();
        }
        Ok(match first {
            Some(name) => format!("read one pipeline ({name})"),
            None => "allowed; this region has no pipeline".to_string(),
        })
    })
}

fn get_pipeline<'a>(c: &'a ProfileClients, t: &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>> {
    Box::pin(async move {
        let name = some(&t.pipeline).to_string();
        let out = c
            .codepipeline
            .get_pipeline()
            .name(&name)
            .send()
            .await
            .map_err(|e| poll_error("codepipeline:GetPipeline", &e))?;
        let sources = out.pipeline().map(super::super::convert::watched_sources).unwrap_or_default();
        if t.repository.is_none() {
            t.repository = sources.first().map(|s| s.repository.clone());
        }
        Ok(format!("read {name} (ECR sources: {})", sources.len()))
    })
}

fn list_executions<'a>(c: &'a ProfileClients, t: &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>> {
    Box::pin(async move {
        let name = some(&t.pipeline).to_string();
        let api = "codepipeline:ListPipelineExecutions";
        let call = c.codepipeline.list_pipeline_executions().pipeline_name(&name).max_results(1);
        let out = call.send().await.map_err(|e| poll_error(api, &e))?;
        Ok(format!("{name}: {} executions read (at most 1 asked)", out.pipeline_execution_summaries().len()))
    })
}

fn describe_images<'a>(c: &'a ProfileClients, t: &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>> {
    Box::pin(async move {
        let repo = some(&t.repository).to_string();
        let call = c.ecr.describe_images().repository_name(&repo).max_results(1);
        let out = call.send().await.map_err(|e| poll_error("ecr:DescribeImages", &e))?;
        t.digest = out.image_details().first().and_then(|d| d.image_digest()).map(str::to_string);
        Ok(format!("{repo}: {} images read (at most 1 asked)", out.image_details().len()))
    })
}

fn batch_get_image<'a>(c: &'a ProfileClients, t: &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>> {
    Box::pin(async move {
        let repo = some(&t.repository).to_string();
        let digest = t.digest.clone().unwrap_or_else(|| PROBE_DIGEST.to_string());
        let id = ImageIdentifier::builder().image_digest(&digest).build();
        let call = c.ecr.batch_get_image().repository_name(&repo).image_ids(id);
        let out = call.send().await.map_err(|e| poll_error("ecr:BatchGetImage", &e))?;
        Ok(format!("{repo}: {} manifests read", out.images().len()))
    })
}

fn lookup_events<'a>(c: &'a ProfileClients, _: &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>> {
    Box::pin(async move {
        let api = "cloudtrail:LookupEvents";
        let put_image = LookupAttribute::builder()
            .attribute_key(LookupAttributeKey::EventName)
            .attribute_value("PutImage")
            .build()
            .map_err(|e| PollError::of_call(api, ErrorKind::Internal, e.to_string()))?;
        let call = c.explain().cloudtrail.lookup_events().lookup_attributes(put_image).max_results(1);
        let out = call.send().await.map_err(|e| poll_error(api, &e))?;
        Ok(format!("{} PutImage records read (at most 1 asked)", out.events().len()))
    })
}

fn list_rule_names<'a>(c: &'a ProfileClients, t: &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>> {
    Box::pin(async move {
        let name = some(&t.pipeline).to_string();
        let arn = partition::pipeline_arn(&t.partition, &t.region, &t.account, &name);
        let call = c.explain().events.list_rule_names_by_target().target_arn(&arn).limit(1);
        let out = call.send().await.map_err(|e| poll_error("events:ListRuleNamesByTarget", &e))?;
        t.rule = out.rule_names().first().cloned();
        Ok(format!("{name}: {} rules read (at most 1 asked)", out.rule_names().len()))
    })
}

fn describe_rule<'a>(c: &'a ProfileClients, t: &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>> {
    Box::pin(async move {
        let name = some(&t.rule).to_string();
        let out = c
            .explain()
            .events
            .describe_rule()
            .name(&name)
            .send()
            .await
            .map_err(|e| poll_error("events:DescribeRule", &e))?;
        Ok(format!("read rule {name} ({})", out.state().map_or("no state", |s| s.as_str())))
    })
}

fn list_rules<'a>(c: &'a ProfileClients, _: &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>> {
    Box::pin(async move {
        let out =
            c.explain().events.list_rules().limit(1).send().await.map_err(|e| poll_error("events:ListRules", &e))?;
        Ok(format!("{} rules of the default bus read (at most 1 asked)", out.rules().len()))
    })
}

fn list_targets<'a>(c: &'a ProfileClients, t: &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>> {
    Box::pin(async move {
        let rule = some(&t.rule).to_string();
        let call = c.explain().events.list_targets_by_rule().rule(&rule).limit(1);
        let out = call.send().await.map_err(|e| poll_error("events:ListTargetsByRule", &e))?;
        Ok(format!("{rule}: {} targets read (at most 1 asked)", out.targets().len()))
    })
}

fn describe_trails<'a>(c: &'a ProfileClients, t: &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>> {
    Box::pin(async move {
        let call = c.explain().cloudtrail.describe_trails().include_shadow_trails(true);
        let out = call.send().await.map_err(|e| poll_error("cloudtrail:DescribeTrails", &e))?;
        t.trail = out.trail_list().first().and_then(|x| x.trail_arn()).map(str::to_string);
        Ok(format!("{} trails read", out.trail_list().len()))
    })
}

fn trail_status<'a>(c: &'a ProfileClients, t: &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>> {
    Box::pin(async move {
        let trail = some(&t.trail).to_string();
        let out = c.explain().cloudtrail.get_trail_status().name(&trail).send().await;
        let out = out.map_err(|e| poll_error("cloudtrail:GetTrailStatus", &e))?;
        Ok(format!("{trail}: logging {}", out.is_logging().unwrap_or(false)))
    })
}

fn event_selectors<'a>(c: &'a ProfileClients, t: &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>> {
    Box::pin(async move {
        let trail = some(&t.trail).to_string();
        let out = c.explain().cloudtrail.get_event_selectors().trail_name(&trail).send().await;
        let out = out.map_err(|e| poll_error("cloudtrail:GetEventSelectors", &e))?;
        Ok(format!(
            "{trail}: {} event selectors read",
            out.event_selectors().len() + out.advanced_event_selectors().len()
        ))
    })
}

fn metric_data<'a>(c: &'a ProfileClients, t: &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>> {
    use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
    Box::pin(async move {
        let rule = some(&t.rule).to_string();
        let metric = Metric::builder()
            .namespace("AWS/Events")
            .metric_name("FailedInvocations")
            .dimensions(Dimension::builder().name("RuleName").value(&rule).build())
            .build();
        let stat = MetricStat::builder().metric(metric).period(300).stat("Sum").build();
        let query = MetricDataQuery::builder().id("probe").metric_stat(stat).build();
        let now = aws_sdk_cloudwatch::primitives::DateTime::from(std::time::SystemTime::now());
        let from = aws_sdk_cloudwatch::primitives::DateTime::from_secs(now.secs() - 300);
        let call = c.explain().cloudwatch.get_metric_data().metric_data_queries(query).start_time(from).end_time(now);
        let out = call.send().await.map_err(|e| poll_error("cloudwatch:GetMetricData", &e))?;
        Ok(format!("{rule}: {} series read (FailedInvocations, last 5 minutes)", out.metric_data_results().len()))
    })
}

fn describe_registry<'a>(c: &'a ProfileClients, _: &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>> {
    Box::pin(async move {
        let out = c.ecr.describe_registry().send().await.map_err(|e| poll_error("ecr:DescribeRegistry", &e))?;
        let rules = out.replication_configuration().map_or(0, |r| r.rules().len());
        Ok(format!("registry {} read ({rules} replication rules)", out.registry_id().unwrap_or("?")))
    })
}

fn simulate<'a>(c: &'a ProfileClients, t: &'a mut Targets) -> BoxFuture<'a, Result<String, PollError>> {
    Box::pin(async move {
        let pipeline = some(&t.pipeline).to_string();
        let arn = partition::pipeline_arn(&t.partition, &t.region, &t.account, &pipeline);
        let call = c
            .explain()
            .iam
            .simulate_principal_policy()
            .policy_source_arn(&t.principal)
            .action_names("codepipeline:StartPipelineExecution")
            .resource_arns(&arn);
        let out = call.send().await.map_err(|e| poll_error("iam:SimulatePrincipalPolicy", &e))?;
        Ok(format!("simulated {} (the answer is not a permission pipewatch needs)", out.evaluation_results().len()))
    })
}
