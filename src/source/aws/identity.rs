//! The caller identity (STS GetCallerIdentity), remembered for a while: it is what proves the credentials act in
//! the profile's account.

use std::time::Duration;

use tokio::time::Instant;

use super::convert;
use super::errors::poll_error;
use super::profile_poll::ProfilePoll;
use crate::model::{Identity, PollError};

/// How long the caller identity is trusted before GetCallerIdentity is called again.
const IDENTITY_TTL: Duration = Duration::from_secs(10 * 60);

/// The caller identity, from memory while it is younger than [`IDENTITY_TTL`].
/// The memory is the account's, shared by the profile's regions: the lock is held over the call so that the regions
/// of one poll ask once.
pub(super) async fn read(p: &ProfilePoll<'_>) -> Result<Identity, PollError> {
    let mut kept = p.memory.identity.lock().await;
    if let Some((at, id)) = kept.as_ref()
        && at.elapsed() < IDENTITY_TTL
    {
        return Ok(id.clone());
    }
    let out = {
        let _slot = p.slot("sts:GetCallerIdentity").await;
        p.clients
            .sts
            .get_caller_identity()
            .customize()
            .config_override(p.clients.auth())
            .send()
            .await
            .map_err(|e| poll_error("sts:GetCallerIdentity", &e))?
    };
    let id = convert::identity(&out);
    *kept = Some((Instant::now(), id.clone()));
    Ok(id)
}
