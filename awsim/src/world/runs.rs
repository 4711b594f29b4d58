//! Pipeline runs: started by a rule, by hand, or by other triggers; their source revisions and statuses.

use jiff::Timestamp;

use super::{EventStartRevision, RegionState, State, World, WorldError};
use crate::identity::Principal;
use crate::model::{ExecStatus, Execution, Revision, RevisionId, Source, TriggerType};

/// How a run starts.
pub(crate) struct Start {
    pub trigger: TriggerType,
    pub detail: Option<String>,
    pub at: Timestamp,
    /// (action, revision) pairs that override the sources' revisions.
    pub overrides: Vec<(String, String)>,
    /// The (repository, digest) of the push whose event starts the run, if any.
    pub pushed: Option<(String, String)>,
}

/// Starts a run of `pipeline`; returns its id.
pub(crate) fn start(
    st: &mut State,
    account: &str,
    region: &str,
    pipeline: &str,
    how: Start,
) -> Result<String, WorldError> {
    let id = st.uuid();
    let policy = st.settings.event_start_revision;
    let status = st.settings.new_run_status;
    let r = st.region(account, region);
    let heads = r.heads.clone();
    let p = r.pipelines.get_mut(pipeline).ok_or_else(|| WorldError::NoPipeline(pipeline.into()))?;
    let revisions = p
        .sources
        .iter()
        .map(|s| {
            let id = match how.overrides.iter().find(|(a, _)| a == s.action()) {
                Some((_, v)) => RevisionId::Fixed(v.clone()),
                None => match s {
                    Source::Ecr { repository, tag, .. } => match (&how.pushed, how.trigger, policy) {
                        (Some((repo, digest)), TriggerType::CloudWatchEvent, EventStartRevision::PushedDigest)
                            if repo == repository =>
                        {
                            RevisionId::Fixed(digest.clone())
                        }
                        // "begins processing the latest commit to the source location" (StartPipelineExecution):
                        // the digest the tag holds when the source action runs, resolved when read.
                        _ => RevisionId::TagAt {
                            repository: repository.clone(),
                            tag: tag.clone().unwrap_or_else(|| "latest".into()),
                            at: how.at,
                        },
                    },
                    Source::CodeCommit { repository, .. } | Source::Connection { repository, .. } => {
                        RevisionId::Fixed(heads.get(repository).cloned().unwrap_or_else(|| "0".repeat(40)))
                    }
                },
            };
            let summary = match s {
                Source::Ecr { .. } => None,
                _ => Some("commit message".to_string()),
            };
            Revision { action: s.action().to_string(), id, summary }
        })
        .collect();
    p.executions.push(Execution {
        id: id.clone(),
        status,
        started_at: how.at,
        updated_at: how.at,
        trigger: how.trigger,
        trigger_detail: how.detail,
        revisions,
        mode: p.mode,
    });
    Ok(id)
}

/// A revision's id as ListPipelineExecutions shows it (none when the tag held nothing yet: the source action
/// would have failed).
pub(crate) fn resolve(region: &RegionState, rev: &RevisionId) -> Option<String> {
    match rev {
        RevisionId::Fixed(s) => Some(s.clone()),
        RevisionId::TagAt { repository, tag, at } => {
            region.repositories.get(repository)?.tag_at(tag, *at).map(str::to_string)
        }
    }
}

impl World {
    /// A manual release ("Release change", `aws codepipeline start-pipeline-execution`): trigger
    /// `StartPipelineExecution` with the caller's ARN as `triggerDetail` ("the user ARN for a user-initiated
    /// start-pipeline-execution CLI command", [ExecutionTrigger](https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_ExecutionTrigger.html)),
    /// and the revisions the sources hold at that moment ("begins processing the latest commit to the source
    /// location", [StartPipelineExecution](https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_StartPipelineExecution.html)).
    pub fn start_execution(
        &self,
        account: &str,
        region: &str,
        pipeline: &str,
        caller: &Principal,
        at: Timestamp,
    ) -> Result<String, WorldError> {
        self.start_execution_by(account, region, pipeline, TriggerType::StartPipelineExecution, Some(caller.arn()), at)
    }

    /// A run started by any trigger (`Webhook` with the webhook ARN, `PollForSourceChanges`, `CreatePipeline`, ...),
    /// with the sources' current revisions.
    pub fn start_execution_by(
        &self,
        account: &str,
        region: &str,
        pipeline: &str,
        trigger: TriggerType,
        detail: Option<String>,
        at: Timestamp,
    ) -> Result<String, WorldError> {
        let how = Start { trigger, detail, at, overrides: Vec::new(), pushed: None };
        start(&mut self.lock(), account, region, pipeline, how)
    }

    /// Sets a run's status (and its last update time to now).
    pub fn set_status(
        &self,
        account: &str,
        region: &str,
        pipeline: &str,
        execution_id: &str,
        status: ExecStatus,
    ) -> Result<(), WorldError> {
        let mut st = self.lock();
        let now = st.now();
        let p = st
            .region(account, region)
            .pipelines
            .get_mut(pipeline)
            .ok_or_else(|| WorldError::NoPipeline(pipeline.into()))?;
        let e = p
            .executions
            .iter_mut()
            .find(|e| e.id == execution_id)
            .ok_or_else(|| WorldError::NoExecution(execution_id.into()))?;
        e.status = status;
        e.updated_at = now.max(e.started_at);
        Ok(())
    }

    /// A pipeline's runs, oldest first, with each revision resolved: (run, [(action, revision id)]).
    pub fn executions(&self, account: &str, region: &str, pipeline: &str) -> Vec<(Execution, Vec<(String, String)>)> {
        let st = self.lock();
        let Some(r) = st.region_ref(account, region) else { return Vec::new() };
        let Some(p) = r.pipelines.get(pipeline) else { return Vec::new() };
        p.executions
            .iter()
            .map(|e| {
                let revs = e.revisions.iter().filter_map(|v| Some((v.action.clone(), resolve(r, &v.id)?))).collect();
                (e.clone(), revs)
            })
            .collect()
    }
}
