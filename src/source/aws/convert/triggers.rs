//! SDK answers about what lies past a rule, as domain values: rule targets and their input transformers, rules of
//! the bus, policy simulations, trails and their event selectors, `FailedInvocations` datapoints, registry
//! replication rules.

use aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput;
use aws_sdk_cloudtrail::types::{AdvancedFieldSelector, ReadWriteType, Trail};
use aws_sdk_cloudwatch::types::MetricDataResult;
use aws_sdk_ecr::operation::describe_registry::DescribeRegistryOutput;
use aws_sdk_eventbridge::types::{Rule, Target};
use aws_sdk_iam::operation::simulate_principal_policy::SimulatePrincipalPolicyOutput;
use aws_sdk_iam::types::PolicyEvaluationDecisionType;
use jiff::Timestamp;
use serde_json::Value;

use super::timestamp;
use crate::model::{Lookup, ReplicationRule, RolePermission, RuleTarget, SelectorCheck, TrailState, TriggerRule};

/// The action whose permission is simulated.
pub(in crate::source::aws) const START_PIPELINE: &str = "codepipeline:StartPipelineExecution";

/// One target of a rule (`may_start` left for the policy simulation).
pub(in crate::source::aws) fn rule_target(t: &Target) -> RuleTarget {
    RuleTarget {
        id: t.id().to_string(),
        arn: t.arn().to_string(),
        role_arn: t.role_arn().filter(|r| !r.is_empty()).map(str::to_string),
        digest_override: t
            .input_transformer()
            .and_then(|it| digest_override(it.input_paths_map(), it.input_template())),
        may_start: Lookup::default(),
    }
}

/// The source action an input transformer sets to the event's image digest (the documented source override:
/// `InputPathsMap {"revisionValue": "$.detail.image-digest"}`, a template with `sourceRevisions[{actionName,
/// revisionType: IMAGE_DIGEST, revisionValue: "<revisionValue>"}]`); empty when the template names no action.
fn digest_override(paths: Option<&std::collections::HashMap<String, String>>, template: &str) -> Option<String> {
    let var = paths?.iter().find(|(_, path)| path.as_str() == "$.detail.image-digest")?.0;
    let placeholder = format!("<{var}>");
    if !template.contains(&placeholder) {
        return None;
    }
    let action = serde_json::from_str::<Value>(template).ok().and_then(|v| {
        v.get("sourceRevisions")?.as_array()?.iter().find_map(|r| {
            (r.get("revisionValue")?.as_str()? == placeholder
                && r.get("revisionType").and_then(Value::as_str).is_none_or(|t| t == "IMAGE_DIGEST"))
            .then(|| r.get("actionName").and_then(Value::as_str).unwrap_or_default().to_string())
        })
    });
    Some(action.unwrap_or_default())
}

/// A rule as ListRules lists it (targets left for ListTargetsByRule); `None` without a name.
pub(in crate::source::aws) fn listed_rule(r: &Rule) -> Option<TriggerRule> {
    Some(TriggerRule {
        name: r.name().filter(|n| !n.is_empty())?.to_string(),
        state: r.state().map(|s| s.as_str().to_string()).unwrap_or_else(|| "UNKNOWN".into()),
        pattern: r.event_pattern().map(str::to_string),
        arn: r.arn().map(str::to_string),
        event_bus: r.event_bus_name().map(str::to_string),
        targets: Lookup::default(),
    })
}

/// What IAM's simulator says of `codepipeline:StartPipelineExecution` on `pipeline_arn`: the decision for that
/// resource when the answer has one ("a single EvaluationResult per action … per-resource decisions are in
/// ResourceSpecificResults"), else the action's.
pub(in crate::source::aws) fn role_permission(
    out: &SimulatePrincipalPolicyOutput,
    pipeline_arn: &str,
) -> RolePermission {
    let Some(result) = out.evaluation_results().iter().find(|r| r.eval_action_name() == START_PIPELINE) else {
        return RolePermission::Denied("no evaluation result".into());
    };
    let decision = result
        .resource_specific_results()
        .iter()
        .find(|r| r.eval_resource_name() == pipeline_arn)
        .map_or(result.eval_decision(), |r| r.eval_resource_decision());
    match decision {
        PolicyEvaluationDecisionType::Allowed => RolePermission::Allowed,
        other => RolePermission::Denied(other.as_str().to_string()),
    }
}

/// A trail as DescribeTrails lists it (status and selectors left for their own calls); `None` without an ARN.
pub(in crate::source::aws) fn trail(t: &Trail) -> Option<TrailState> {
    let arn = t.trail_arn().filter(|a| !a.is_empty())?.to_string();
    Some(TrailState {
        name: t.name().unwrap_or(&arn).to_string(),
        home_region: t.home_region().unwrap_or_default().to_string(),
        multi_region: t.is_multi_region_trail().unwrap_or(false),
        organization: t.is_organization_trail().unwrap_or(false),
        arn,
        logging: Lookup::default(),
        selectors: Lookup::default(),
    })
}

/// Whether a trail's selectors log ECR's `PutImage`, a write management event from `ecr.amazonaws.com`.
/// Basic selectors: management events included (the default) with `ReadWriteType` `All` (the default) or
/// `WriteOnly`, ECR not excluded. Advanced selectors: one whose field selectors all admit `eventCategory`
/// `Management`, `readOnly` `false`, `eventSource` `ecr.amazonaws.com` and `eventName` `PutImage` (fields it does
/// not name, or that this code does not know, admit anything) ([GetEventSelectors](https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetEventSelectors.html)).
pub(in crate::source::aws) fn selector_check(out: &GetEventSelectorsOutput) -> SelectorCheck {
    let advanced = out.advanced_event_selectors();
    if !advanced.is_empty() {
        let summaries: Vec<String> = advanced
            .iter()
            .map(|s| {
                let fields: Vec<String> = s.field_selectors().iter().map(describe_field).collect();
                match s.name() {
                    Some(n) => format!("\"{n}\" ({})", fields.join(", ")),
                    None => format!("({})", fields.join(", ")),
                }
            })
            .collect();
        let logs = advanced.iter().any(|s| s.field_selectors().iter().all(admits_put_image));
        return SelectorCheck { logs_put_image: logs, summary: format!("advanced selectors {}", summaries.join("; ")) };
    }
    let basic = out.event_selectors();
    if basic.is_empty() {
        // Not seen in any documented answer: judged as the default selector (all management events).
        return SelectorCheck {
            logs_put_image: true,
            summary: "no event selector (the default logs all management events)".into(),
        };
    }
    let mut parts = Vec::new();
    let mut logs = false;
    for s in basic {
        let management = s.include_management_events().unwrap_or(true);
        let rw = s.read_write_type().map_or("All", ReadWriteType::as_str);
        let excluded = s.exclude_management_event_sources().iter().any(|e| e == "ecr.amazonaws.com");
        logs |= management && rw != "ReadOnly" && !excluded;
        parts.push(if management {
            format!("management events, ReadWriteType {rw}")
        } else {
            "no management events".to_string()
        });
    }
    SelectorCheck { logs_put_image: logs, summary: parts.join("; ") }
}

fn describe_field(f: &AdvancedFieldSelector) -> String {
    let mut ops = Vec::new();
    for (op, values) in [
        ("=", f.equals()),
        ("starts with", f.starts_with()),
        ("ends with", f.ends_with()),
        ("≠", f.not_equals()),
        ("does not start with", f.not_starts_with()),
        ("does not end with", f.not_ends_with()),
    ] {
        if !values.is_empty() {
            ops.push(format!("{} {op} {}", f.field(), values.join("|")));
        }
    }
    ops.join(", ")
}

fn admits_put_image(f: &AdvancedFieldSelector) -> bool {
    let value = match f.field() {
        "eventCategory" => "Management",
        "readOnly" => "false",
        "eventSource" => "ecr.amazonaws.com",
        "eventName" => "PutImage",
        _ => return true,
    };
    let positive = !f.equals().is_empty() || !f.starts_with().is_empty() || !f.ends_with().is_empty();
    let admitted = !positive
        || f.equals().iter().any(|v| v == value)
        || f.starts_with().iter().any(|v| value.starts_with(v.as_str()))
        || f.ends_with().iter().any(|v| value.ends_with(v.as_str()));
    admitted
        && !f.not_equals().iter().any(|v| v == value)
        && !f.not_starts_with().iter().any(|v| value.starts_with(v.as_str()))
        && !f.not_ends_with().iter().any(|v| value.ends_with(v.as_str()))
}

/// The datapoints of each metric result, by the query id they answer.
/// (`FailedInvocations` are counts: each `Sum` is rounded to a whole number.)
pub(in crate::source::aws) fn datapoints(r: &MetricDataResult) -> (String, Vec<(Timestamp, u64)>) {
    let points = r
        .timestamps()
        .iter()
        .zip(r.values())
        .filter_map(|(t, v)| Some((timestamp(t)?, v.max(0.0).round() as u64)))
        .collect();
    (r.id().unwrap_or_default().to_string(), points)
}

/// The registry's replication rules (none when it replicates nothing).
pub(in crate::source::aws) fn replication_rules(out: &DescribeRegistryOutput) -> Vec<ReplicationRule> {
    out.replication_configuration()
        .map(|c| c.rules())
        .unwrap_or_default()
        .iter()
        .map(|r| ReplicationRule {
            destinations: r
                .destinations()
                .iter()
                .map(|d| (d.region().to_string(), d.registry_id().to_string()))
                .collect(),
            prefixes: r.repository_filters().iter().map(|f| f.filter().to_string()).collect(),
        })
        .collect()
}
