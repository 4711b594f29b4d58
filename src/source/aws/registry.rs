//! Where the profile's registry replicates its images (`ecr:DescribeRegistry`, the registry's replication
//! configuration): the analysis recognises another profile's image as replicated from here when this registry
//! copies its repository to that profile's account and region and holds the same digest. Replicated images raise
//! "ECR Replication Action", not a push's "ECR Image Action" ([Amazon ECR events and EventBridge](https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html)).

use super::convert;
use super::errors::poll_error;
use super::profile_poll::ProfilePoll;
use crate::model::{Lookup, ReplicationRule};

/// The registry's replication rules.
pub(super) async fn read(p: &ProfilePoll<'_>) -> Lookup<Vec<ReplicationRule>> {
    let out = {
        let _slot = p.slot("ecr:DescribeRegistry").await;
        p.clients.ecr.describe_registry().customize().config_override(p.clients.auth()).send().await
    };
    match out {
        Ok(out) => Lookup::Done(convert::replication_rules(&out)),
        Err(e) => Lookup::Skipped(poll_error("ecr:DescribeRegistry", &e).to_string()),
    }
}
