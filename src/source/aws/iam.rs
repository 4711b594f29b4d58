//! Whether a rule target's role may call `codepipeline:StartPipelineExecution` on the pipeline, by IAM's policy
//! simulator ([SimulatePrincipalPolicy](https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html):
//! "The simulation does not perform the API operations"; it evaluates the role's identity-based policies and SCPs,
//! not its trust policy, and "can differ from your live AWS environment").

use super::convert::{self, START_PIPELINE};
use super::errors::poll_error;
use super::profile_poll::ProfilePoll;
use crate::model::{Lookup, RolePermission};

/// The start of the reason a role of another account is not simulated.
pub(super) const OTHER_ACCOUNT: &str = "the role is in account";

/// What the simulator says of `role` and `codepipeline:StartPipelineExecution` on `pipeline_arn`: `NoSuchRole`
/// when IAM has no such role; skipped, with the reason, when the simulation cannot be made here (a role of another
/// account) or was refused.
pub(super) async fn may_start(p: &ProfilePoll<'_>, role: &str, pipeline_arn: &str) -> Lookup<RolePermission> {
    let account = |arn: &str| arn.split(':').nth(4).unwrap_or_default().to_string();
    let (role_account, pipeline_account) = (account(role), account(pipeline_arn));
    if role_account != pipeline_account {
        return Lookup::Skipped(format!("{OTHER_ACCOUNT} {role_account}, whose policies are not read from here"));
    }
    let out = {
        let _slot = p.slot("iam:SimulatePrincipalPolicy").await;
        p.clients
            .explain()
            .iam
            .simulate_principal_policy()
            .policy_source_arn(role)
            .action_names(START_PIPELINE)
            .resource_arns(pipeline_arn)
            .customize()
            .config_override(p.clients.auth())
            .send()
            .await
    };
    match out {
        Ok(out) => Lookup::Done(convert::role_permission(&out, pipeline_arn)),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => {
            Lookup::Done(RolePermission::NoSuchRole)
        }
        Err(e) => Lookup::Skipped(poll_error("iam:SimulatePrincipalPolicy", &e).to_string()),
    }
}
