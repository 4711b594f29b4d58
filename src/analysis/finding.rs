//! A finding: one reason (or possible reason) a push did not start a run, with a stable code, what was seen, what is
//! inferred, and the fix. Shared by the diagnosis that writes findings and the hop checks that find them.

/// Stable finding codes (part of the JSON contract, spelled by [`Code::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Pushed with another account's identity: by all that is known, no ECR event reaches the repository's account.
    CrossAccountPush,
    /// No EventBridge rule targets the pipeline.
    NoTriggerRule,
    /// The rules that target the pipeline are disabled.
    RuleDisabled,
    /// Enabled rules exist, but none matches this push's repository and tag.
    RulePatternMismatch,
    /// The rule filters on `resources`, which an ECR push event leaves empty.
    RuleResourcesFilter,
    /// The rule matches CloudTrail-delivered PutImage calls, and no trail logs them in the region.
    CloudtrailPatternWithoutTrail,
    /// The image arrived by replication ("ECR Replication Action"), and the rules match only pushes.
    ReplicationNotMatched,
    /// A rule matches the push but starts another pipeline.
    RuleTargetsOtherPipeline,
    /// The rule's target names no role, so EventBridge cannot start the pipeline.
    TargetWithoutRole,
    /// The target's role may not call `codepipeline:StartPipelineExecution` on the pipeline (or does not exist).
    TargetRoleDenied,
    /// The rule's invocations failed (`FailedInvocations`) around the push.
    RuleInvocationsFailed,
    /// The push's tag is not the one the pipeline watches.
    TagNotWatched,
    /// The push started no run, yet a run started another way (a release by hand, another source's change, a
    /// rollback) deployed its image: the trigger is broken and the deployment hides it.
    DeployedWithoutTrigger,
    /// Nothing explains it; the message lists what was checked.
    Unknown,
}

impl Code {
    /// The code as written in JSON and text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CrossAccountPush => "cross_account_push",
            Self::NoTriggerRule => "no_trigger_rule",
            Self::RuleDisabled => "rule_disabled",
            Self::RulePatternMismatch => "rule_pattern_mismatch",
            Self::RuleResourcesFilter => "rule_resources_filter",
            Self::CloudtrailPatternWithoutTrail => "cloudtrail_pattern_without_trail",
            Self::ReplicationNotMatched => "replication_not_matched",
            Self::RuleTargetsOtherPipeline => "rule_targets_other_pipeline",
            Self::TargetWithoutRole => "target_without_role",
            Self::TargetRoleDenied => "target_role_denied",
            Self::RuleInvocationsFailed => "rule_invocations_failed",
            Self::TagNotWatched => "tag_not_watched",
            Self::DeployedWithoutTrigger => "deployed_without_trigger",
            Self::Unknown => "unknown",
        }
    }
}

/// One reason (or possible reason) a push did not start a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    pub message: String,
    pub fix: String,
    /// What pipewatch saw that supports it, each with where it was seen (a CloudTrail event, a rule, a target, a
    /// metric).
    pub evidence: Vec<String>,
    /// What the finding infers beyond what was seen, and on what it rests; `None` when all of it was seen.
    pub inferred: Option<String>,
}

impl Finding {
    /// A finding with no evidence listed yet.
    pub fn new(code: Code, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { code, message: message.into(), fix: fix.into(), evidence: Vec::new(), inferred: None }
    }

    /// The same, with `evidence` listed.
    pub fn seen(mut self, evidence: impl Into<String>) -> Self {
        self.evidence.push(evidence.into());
        self
    }

    /// The same, saying what it infers.
    pub fn inferring(mut self, inferred: impl Into<String>) -> Self {
        self.inferred = Some(inferred.into());
        self
    }
}
