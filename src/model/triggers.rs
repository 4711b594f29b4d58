//! What lies past a rule on a push's way to a run, as the AWS layer read it: the rule's targets and whether their
//! roles may start the pipeline, the rule's failed invocations, the trails that deliver CloudTrail events to
//! EventBridge, and where a registry replicates its images. The analysis judges them; nothing here judges.

use std::time::Duration;

use jiff::Timestamp;

use super::Lookup;

/// One target of an EventBridge rule (`events:ListTargetsByRule`, [Target](https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleTarget {
    /// The target's id within the rule (`put-targets --targets Id=…`).
    pub id: String,
    /// The target's ARN: a pipeline's (`arn:<partition>:codepipeline:<region>:<account>:<name>`) or anything else.
    pub arn: String,
    /// "The Amazon Resource Name (ARN) of the IAM role to be used for this target when the rule is triggered";
    /// `None` when the target names none (then EventBridge cannot start a pipeline with it).
    pub role_arn: Option<String>,
    /// The source action whose revision the target's input transformer sets to the event's
    /// `$.detail.image-digest` (the documented source-revision override: such a run carries the pushed digest); empty
    /// when the template names no action.
    pub digest_override: Option<String>,
    /// Whether the role may call `codepipeline:StartPipelineExecution` on the target (`iam:SimulatePrincipalPolicy`);
    /// skipped, with the reason, when the target has no role, is not a pipeline, or the simulation was refused.
    pub may_start: Lookup<RolePermission>,
}

/// What IAM's policy simulator says about a target's role and `codepipeline:StartPipelineExecution` on the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolePermission {
    /// `allowed`.
    Allowed,
    /// `implicitDeny` or `explicitDeny`, as the simulator spelled it.
    Denied(String),
    /// The role does not exist (`NoSuchEntity`).
    NoSuchRole,
}

/// One trail that applies in the profile's region (`cloudtrail:DescribeTrails` with shadow trails: its own, a
/// multi-region trail of another home region, an organization trail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailState {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    pub multi_region: bool,
    pub organization: bool,
    /// `IsLogging` (`cloudtrail:GetTrailStatus`, called with the trail's ARN).
    pub logging: Lookup<bool>,
    /// What its event selectors log (`cloudtrail:GetEventSelectors`).
    pub selectors: Lookup<SelectorCheck>,
}

/// Whether a trail's event selectors log ECR's `PutImage` (a write management event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorCheck {
    pub logs_put_image: bool,
    /// The selectors in a few words, e.g. `management events, ReadWriteType ReadOnly`.
    pub summary: String,
}

/// The `FailedInvocations` metric (`AWS/Events`) of the rules that target the profile's pipelines, read over
/// `[from, until]` (`cloudwatch:GetMetricData`, statistic `Sum`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedInvocations {
    pub from: Timestamp,
    pub until: Timestamp,
    /// The length of each datapoint's period.
    pub period: Duration,
    /// Datapoints (start of the period, failed invocations in it) by rule name. "EventBridge only sends this metric
    /// to CloudWatch if it isn't zero": a rule read without datapoints had no failed invocation.
    pub by_rule: Vec<(String, Vec<(Timestamp, u64)>)>,
}

impl FailedInvocations {
    /// Failed invocations of `rule` in the periods that overlap `[start, end]`; `None` when the rule or that part
    /// of time was not read.
    pub fn between(&self, rule: &str, start: Timestamp, end: Timestamp) -> Option<u64> {
        if start < self.from || end > self.until {
            return None;
        }
        let (_, points) = self.by_rule.iter().find(|(r, _)| r == rule)?;
        let period = jiff::SignedDuration::try_from(self.period).ok()?;
        Some(
            points
                .iter()
                .filter(|(at, _)| *at <= end && at.checked_add(period).is_ok_and(|stop| stop > start))
                .map(|(_, n)| n)
                .sum(),
        )
    }
}

/// One rule of a registry's replication configuration (`ecr:DescribeRegistry`): which repositories it copies, and
/// where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationRule {
    /// `(region, registry id)` of each destination; the registry id is the destination account.
    pub destinations: Vec<(String, String)>,
    /// Repository name prefixes (`PREFIX_MATCH` filters); empty: every repository.
    pub prefixes: Vec<String>,
}

impl ReplicationRule {
    /// Whether the rule copies `repository` to `region` of `account`.
    pub fn copies(&self, repository: &str, region: &str, account: &str) -> bool {
        (self.prefixes.is_empty() || self.prefixes.iter().any(|p| repository.starts_with(p.as_str())))
            && self.destinations.iter().any(|(r, a)| r == region && a == account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_764_000_000 + s).unwrap()
    }

    #[test]
    fn failed_invocations_count_the_periods_that_overlap_the_window() {
        let m = FailedInvocations {
            from: t(-3600),
            until: t(0),
            period: Duration::from_secs(300),
            by_rule: vec![("r".into(), vec![(t(-1200), 2), (t(-600), 1)]), ("quiet".into(), vec![])],
        };
        assert_eq!(m.between("r", t(-1000), t(-700)), Some(2), "the period starting at -1200 covers -1000");
        assert_eq!(m.between("r", t(-950), t(-600)), Some(3));
        assert_eq!(m.between("r", t(-900), t(-600)), Some(1), "the period starting at -1200 ends at -900");
        assert_eq!(m.between("r", t(-300), t(0)), Some(0));
        assert_eq!(m.between("quiet", t(-300), t(0)), Some(0), "no datapoint: no failure");
        assert_eq!(m.between("unread", t(-300), t(0)), None);
        assert_eq!(m.between("r", t(-300), t(60)), None, "past what was read");
        assert_eq!(m.between("r", t(-7200), t(0)), None, "before what was read");
    }

    #[test]
    fn replication_rules_match_by_prefix_and_destination() {
        let rule = ReplicationRule {
            destinations: vec![("ap-northeast-1".into(), "111111111111".into())],
            prefixes: vec!["rep".into()],
        };
        assert!(rule.copies("reports", "ap-northeast-1", "111111111111"));
        assert!(!rule.copies("web", "ap-northeast-1", "111111111111"));
        assert!(!rule.copies("reports", "us-east-1", "111111111111"));
        assert!(!rule.copies("reports", "ap-northeast-1", "222222222222"));
        let all = ReplicationRule { prefixes: vec![], ..rule };
        assert!(all.copies("web", "ap-northeast-1", "111111111111"));
    }
}
