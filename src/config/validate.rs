//! Checks of the AWS names a profile carries (role ARN, session name, external id, session duration, credential
//! source, endpoint URL), each turning the file's text into the value or into a message for people.
//!
//! The messages name neither the file nor the key: resolution adds both.

use std::time::Duration;

use super::CredentialSource;
use super::duration::parse_duration;
use super::error::quote;

/// STS `DurationSeconds` bounds (the role's own maximum may be lower).
const MIN_SESSION: Duration = Duration::from_secs(15 * 60);
const MAX_SESSION: Duration = Duration::from_secs(12 * 60 * 60);
const ROLE_ARN_SHAPE: &str = "arn:aws:iam::<12-digit account>:role/<name>";

/// Any text but blank.
pub(super) fn non_empty(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        return Err("must not be empty".to_owned());
    }
    Ok(value.to_owned())
}

/// `arn:<aws|aws-cn|aws-us-gov>:iam::<12 digits>:role/<path/><name>`.
pub(super) fn role_arn(arn: &str) -> Result<String, String> {
    match role_arn_problem(arn) {
        None => Ok(arn.to_owned()),
        Some(reason) => Err(format!("{} is not an IAM role ARN (expected {ROLE_ARN_SHAPE}): {reason}", quote(arn))),
    }
}

/// Why `arn` is not a role ARN, if it is not.
fn role_arn_problem(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return Some("it does not have the six colon-separated fields of an ARN".to_owned());
    };
    if prefix != "arn" {
        return Some("it does not start with \"arn:\"".to_owned());
    }
    if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
        return Some(format!("unknown partition {} (expected aws, aws-cn or aws-us-gov)", quote(partition)));
    }
    if service != "iam" {
        return Some(format!(
            "the service is {}, not \"iam\" (an assumed-role or user ARN will not do)",
            quote(service)
        ));
    }
    if !region.is_empty() {
        return Some(format!("IAM ARNs have no region, found {}", quote(region)));
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("the account id {} is not 12 digits", quote(account)));
    }
    let Some(role) = resource.strip_prefix("role/") else {
        return Some(format!("the resource {} is not role/<name>", quote(resource)));
    };
    let role_name = role.rsplit('/').next().unwrap_or(role);
    if role_name.is_empty() || role.starts_with('/') || role.contains("//") {
        return Some("the role name is missing".to_owned());
    }
    if role_name.len() > 64 {
        return Some("the role name is longer than 64 characters".to_owned());
    }
    if !role.chars().all(|c| is_iam_name_char(c) || c == '/') {
        return Some("the role name has characters outside [A-Za-z0-9+=,.@_-]".to_owned());
    }
    None
}

/// `[\w+=,.@-]` as IAM and STS use it (ASCII only).
fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// STS: 2..=64 characters of `[\w+=,.@-]`.
pub(super) fn session_name(name: &str) -> Result<String, String> {
    let len = name.chars().count();
    if !(2..=64).contains(&len) {
        return Err(format!("{} must be 2 to 64 characters long (it is {len})", quote(name)));
    }
    if !name.chars().all(is_iam_name_char) {
        return Err(format!("{} may only contain letters, digits and _+=,.@-", quote(name)));
    }
    Ok(name.to_owned())
}

/// STS: 2..=1224 characters of `[\w+=,.@:/-]`. The value is not echoed back.
pub(super) fn external_id(id: &str) -> Result<String, String> {
    let len = id.chars().count();
    if !(2..=1224).contains(&len) {
        return Err(format!("must be 2 to 1224 characters long (it is {len})"));
    }
    if !id.chars().all(|c| is_iam_name_char(c) || c == ':' || c == '/') {
        return Err("may only contain letters, digits and _+=,.@:/-".to_owned());
    }
    Ok(id.to_owned())
}

/// A duration that STS accepts as `DurationSeconds`: whole seconds within 15m..=12h.
pub(super) fn session_duration(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    let problem = if d < MIN_SESSION || d > MAX_SESSION {
        Some("is outside 15m..12h (the limits of an assumed-role session)")
    } else if d.subsec_nanos() != 0 {
        Some("is not a whole number of seconds")
    } else {
        None
    };
    match problem {
        Some(m) => Err(format!("{} {m}", quote(s))),
        None => Ok(d),
    }
}

/// One of [`CredentialSource::ALL`], spelled exactly; a near miss gets a suggestion.
pub(super) fn credential_source(s: &str) -> Result<CredentialSource, String> {
    if let Some(found) = CredentialSource::ALL.into_iter().find(|c| c.as_str() == s) {
        return Ok(found);
    }
    let valid = "expected Environment, EcsContainer or Ec2InstanceMetadata";
    match CredentialSource::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(s.trim())) {
        Some(close) => Err(format!("unknown credential source {} ({valid}; did you mean {close}?)", quote(s))),
        None => Err(format!("unknown credential source {} ({valid})", quote(s))),
    }
}

/// `http://` or `https://` and a host without blanks or control characters.
pub(super) fn endpoint_url(url: &str) -> Result<String, String> {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            Ok(url.to_owned())
        }
        Some(_) => Err(format!("{} has no host", quote(url))),
        None => Err(format!("{} must start with http:// or https://", quote(url))),
    }
}
