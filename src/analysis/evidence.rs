//! Everything the hop checks and the diagnosis look at for one push: the push and its status, the pipelines that
//! watch it, the profile's diagnostics, its CloudTrail record, how it arrived, and where the profile is.

use std::time::Duration;

use crate::analysis::correlate::{MatchedBy, PushStatus};
use crate::analysis::replication::Arrival;
use crate::model::{Diagnostics, Execution, Identity, ImagePush, Pipeline, PutImageRecord};

/// Everything `diagnose` and `chain` look at for one push.
pub struct Evidence<'a> {
    pub push: &'a ImagePush,
    pub status: PushStatus,
    /// Pipelines (of the push's profile) that watch the push.
    pub watchers: Vec<&'a Pipeline>,
    /// Every pipeline of the profile (for tag mismatches).
    pub pipelines: &'a [Pipeline],
    pub diagnostics: &'a Diagnostics,
    pub record: Option<&'a PutImageRecord>,
    pub grace: Duration,
    /// How the image came into the repository, when not by a push of its own (replication from another polled
    /// registry).
    pub arrival: Option<&'a Arrival>,
    /// The profile's region.
    pub region: &'a str,
    /// Who the profile's credentials are (its account), when known.
    pub identity: Option<&'a Identity>,
    /// The run started another way (by hand, by another source) that deployed the image of a push that started
    /// none.
    pub deployed_by: Option<Deployment<'a>>,
}

/// A run that deployed a push's image without the push starting it.
#[derive(Debug, Clone, Copy)]
pub struct Deployment<'a> {
    pub pipeline: &'a Pipeline,
    pub run: &'a Execution,
    /// `Digest`: the run's source revision is the push's digest; `Time`: the run carries no revision and started
    /// within the push's grace period, before any later push of the tag.
    pub by: MatchedBy,
}

impl Evidence<'_> {
    /// The repository's account, as far as it is known.
    pub fn account(&self) -> &str {
        self.identity.map(|i| i.account.as_str()).filter(|a| !a.is_empty()).unwrap_or("<account>")
    }

    /// The ARN of the profile's pipeline `name` (`arn:<partition>:codepipeline:<region>:<account>:<name>`), the
    /// partition taken from the caller's ARN.
    pub fn pipeline_arn(&self, name: &str) -> String {
        let partition = self.identity.and_then(|i| i.arn.split(':').nth(1)).filter(|p| !p.is_empty()).unwrap_or("aws");
        format!("arn:{partition}:codepipeline:{}:{}:{name}", self.region, self.account())
    }

    /// The ARN of a role of the repository's account, for the fixes (`arn:<partition>:iam::<account>:role/<name>`).
    pub fn role_arn(&self, name: &str) -> String {
        let partition = self.identity.and_then(|i| i.arn.split(':').nth(1)).filter(|p| !p.is_empty()).unwrap_or("aws");
        format!("arn:{partition}:iam::{}:role/{name}", self.account())
    }
}
