//! `pipewatch init --org`: the accounts of the AWS Organization (Organizations `ListAccounts`, every page), read
//! with the ambient credentials from the management or a delegated administrator account. The only Organizations
//! call pipewatch makes; its permission is the separate `assets/iam-organizations-policy.json`, since it runs in one
//! account only (so `pipewatch doctor`, which checks the polled accounts, does not probe it).

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_organizations::error::ProvideErrorMetadata;

use super::errors::poll_error;
use super::partition;
use crate::init::{OrgAccount, OrgFailure};
use crate::model::ErrorKind;

/// The region Organizations is called in when the environment names none (its endpoint is global per partition).
const FALLBACK_REGION: &str = "us-east-1";
/// TCP/TLS connect bound (as for the polled accounts).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The organization's accounts, with what the profiles written for them need to know.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Every account, whatever its state, in the order AWS listed them.
    pub accounts: Vec<OrgAccount>,
    /// From the accounts' ARNs, else from the region.
    pub partition: String,
    /// The ambient region (AWS_REGION, ~/.aws/config), when there is one.
    pub region: Option<String>,
}

/// The clients of the listing (one).
struct Clients {
    organizations: aws_sdk_organizations::Client,
}

/// Lists every account of the organization with the ambient credentials and region (the SDK's default chain,
/// `AWS_ENDPOINT_URL` included), within `timeout` for the whole listing.
pub async fn list_accounts(timeout: Duration) -> Result<Listing, (OrgFailure, String)> {
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard())
        .timeout_config(TimeoutConfig::builder().connect_timeout(CONNECT_TIMEOUT).build())
        .load()
        .await;
    let region = conf.region().map(|r| r.to_string());
    let conf = match &region {
        Some(_) => conf,
        None => conf.into_builder().region(Region::from_static(FALLBACK_REGION)).build(),
    };
    let c = Clients { organizations: aws_sdk_organizations::Client::new(&conf) };
    let read = async {
        let mut accounts = Vec::new();
        let mut pages = c.organizations.list_accounts().into_paginator().send();
        while let Some(page) = pages.next().await {
            accounts.extend(page.map_err(|e| failure(&e))?.accounts().iter().map(account));
        }
        Ok(accounts)
    };
    let accounts = match tokio::time::timeout(timeout, read).await {
        Ok(read) => read?,
        Err(_) => return Err((OrgFailure::Other, format!("no answer within {}", humantime::format_duration(timeout)))),
    };
    let partition = accounts
        .iter()
        .find_map(|a: &(OrgAccount, Option<String>)| a.1.as_deref().and_then(partition::of_arn).map(str::to_string))
        .unwrap_or_else(|| partition::of_region(region.as_deref().unwrap_or(FALLBACK_REGION)).to_string());
    Ok(Listing { accounts: accounts.into_iter().map(|(a, _)| a).collect(), partition, region })
}

/// An account as `ListAccounts` gave it, and its ARN. The state is `State` when AWS sends it, else the older
/// `Status` (deprecated by AWS in favour of `State`, and all some emulators send).
#[allow(deprecated)]
fn account(a: &aws_sdk_organizations::types::Account) -> (OrgAccount, Option<String>) {
    let status = match (a.state(), a.status()) {
        (Some(state), _) => state.as_str().to_string(),
        (None, Some(status)) => status.as_str().to_string(),
        (None, None) => String::new(),
    };
    let text = |s: Option<&str>| s.unwrap_or_default().to_string();
    let account = OrgAccount { id: text(a.id()), name: text(a.name()), email: text(a.email()), status };
    (account, a.arn().map(str::to_string))
}

/// Which failure an SDK error of `ListAccounts` is, and its one-line description.
fn failure<E>(
    e: &aws_sdk_organizations::error::SdkError<E, aws_sdk_organizations::config::http::HttpResponse>,
) -> (OrgFailure, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = e.as_service_error().and_then(|s| s.code()).unwrap_or_default().to_string();
    let described = poll_error("organizations:ListAccounts", e);
    let kind = if code == "AWSOrganizationsNotInUseException" {
        OrgFailure::NotInOrganization
    } else if matches!(
        code.as_str(),
        "UnrecognizedClientException" | "InvalidClientTokenId" | "InvalidSignatureException"
    ) {
        OrgFailure::NoCredentials
    } else {
        match described.kind {
            ErrorKind::AccessDenied => OrgFailure::AccessDenied,
            ErrorKind::NoCredentials | ErrorKind::ExpiredCredentials => OrgFailure::NoCredentials,
            _ => OrgFailure::Other,
        }
    };
    (kind, described.to_string())
}
