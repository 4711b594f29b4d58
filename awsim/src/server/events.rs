//! Amazon EventBridge (awsJson1_1, `AWSEvents`): ListRuleNamesByTarget, ListRules, DescribeRule,
//! ListTargetsByRule. Shapes: [DescribeRule](https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DescribeRule.html),
//! [Target](https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html); corpus `events/`.
//! Without `EventBusName` each call acts on the default bus.

use serde_json::{Value, json};

use super::ecr::unknown;
use super::json::{page, required, str_field};
use super::{ApiError, Cx};
use crate::model::Rule;
use crate::world::State;

pub(crate) fn handle(st: &mut State, cx: &Cx, op: &str, body: &Value) -> Result<Value, ApiError> {
    // A bus may be named by name or ARN.
    let bus = str_field(body, "EventBusName").map(|b| b.rsplit('/').next().unwrap_or(b)).unwrap_or("default");
    let rules: Vec<Rule> = st
        .region_ref(&cx.account, &cx.region)
        .map(|r| r.rules.iter().filter(|r| r.bus == bus).cloned().collect())
        .unwrap_or_default();
    let size = body["Limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
    let token = str_field(body, "NextToken");
    let with_token = |mut v: Value, next: Option<String>| {
        if let Some(t) = next {
            v["NextToken"] = json!(t);
        }
        v
    };
    match op {
        "ListRuleNamesByTarget" => {
            let target = required(body, "TargetArn")?;
            let names: Vec<String> =
                rules.iter().filter(|r| r.targets.iter().any(|t| t.arn == target)).map(|r| r.name.clone()).collect();
            let (items, next) = page(&names, token, size)?;
            Ok(with_token(json!({"RuleNames": items}), next))
        }
        "ListRules" => {
            let prefix = str_field(body, "NamePrefix").unwrap_or("");
            let items: Vec<Value> =
                rules.iter().filter(|r| r.name.starts_with(prefix)).map(|r| describe(cx, r)).collect();
            let (items, next) = page(&items, token, size)?;
            Ok(with_token(json!({"Rules": items}), next))
        }
        "DescribeRule" => {
            let r = rule(&rules, required(body, "Name")?, bus)?;
            let mut d = describe(cx, r);
            d["CreatedBy"] = json!(cx.account);
            Ok(d)
        }
        "ListTargetsByRule" => {
            let r = rule(&rules, required(body, "Rule")?, bus)?;
            let targets: Vec<Value> = r
                .targets
                .iter()
                .map(|t| {
                    let mut v = json!({"Id": t.id, "Arn": t.arn});
                    if let Some(role) = &t.role_arn {
                        v["RoleArn"] = json!(role);
                    }
                    if let Some((paths, template)) = &t.input_transformer {
                        v["InputTransformer"] = json!({"InputPathsMap": paths, "InputTemplate": template});
                    }
                    v
                })
                .collect();
            let (items, next) = page(&targets, token, size)?;
            Ok(with_token(json!({"Targets": items}), next))
        }
        _ => Err(unknown(op)),
    }
}

fn rule<'a>(rules: &'a [Rule], name: &str, bus: &str) -> Result<&'a Rule, ApiError> {
    rules.iter().find(|r| r.name == name).ok_or_else(|| {
        ApiError::new("ResourceNotFoundException", format!("Rule {name} does not exist on EventBus {bus}."))
    })
}

fn describe(cx: &Cx, r: &Rule) -> Value {
    let mut d = json!({"Name": r.name, "Arn": r.arn(&cx.account, &cx.region), "EventPattern": r.pattern,
        "State": r.state.as_str(), "EventBusName": r.bus});
    if let Some(desc) = &r.description {
        d["Description"] = json!(desc);
    }
    d
}
