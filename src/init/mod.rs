//! `pipewatch init`: the starting config file, either the documented two-account example or one profile per ACTIVE
//! account of an AWS Organization, written where pipewatch will look for it (never over a file without `--force`).
//!
//! Everything here is pure and unit-tested: `names` turns account names into safe, collision-free profile names,
//! `render` writes the TOML (checked to load before it is written), `write` puts it in its file or on stdout. The
//! one AWS call, Organizations `ListAccounts`, lives in `source::aws::organization` and hands over [`OrgAccount`]s
//! or an [`OrgFailure`].

mod names;
mod render;
mod write;

use std::path::PathBuf;

pub use names::profile_names;
pub use render::{EXAMPLE, OrgOptions, render_org};
pub use write::{Destination, write};

/// An account of the organization, as `ListAccounts` lists it (strings as AWS sent them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    pub email: String,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`.
    pub status: String,
}

impl OrgAccount {
    /// Only ACTIVE accounts get a profile: a suspended or closing account cannot be read.
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }
}

/// Why the organization's accounts could not be listed, with AWS's own words in `detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgFailure {
    /// `AWSOrganizationsNotInUseException`: the caller's account is in no organization.
    NotInOrganization,
    /// `AccessDenied*`: not the management account or a delegated administrator, or no `organizations:ListAccounts`.
    AccessDenied,
    /// No credentials were found (or they were refused as invalid).
    NoCredentials,
    /// Anything else: network, throttling past retries, an unreadable answer, a timeout.
    Other,
}

/// What stops `pipewatch init`; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The file exists and `--force` was not given.
    #[error(
        "{}: the file exists; pass --force to replace it, --output PATH to write elsewhere, or --output - to print \
         the config",
        .0.display()
    )]
    Exists(PathBuf),
    /// The file or its directory cannot be written.
    #[error("{}: cannot write the config: {error}", .path.display())]
    Write { path: PathBuf, error: std::io::Error },
    /// The options make a config that does not load (a role name or external id pipewatch would refuse).
    #[error("the config init would write does not load: {0}")]
    Invalid(String),
    /// No ACTIVE account in the organization.
    #[error("the organization lists no ACTIVE account ({0} accounts, none ACTIVE): nothing to watch")]
    NoActiveAccount(usize),
    /// `ListAccounts` failed.
    #[error("{}", org_message(.failure, .detail))]
    Organization { failure: OrgFailure, detail: String },
}

impl InitError {
    /// The exit code: 3 when AWS could not list the organization, else 2 (usage: the file, the options).
    pub fn exit_code(&self) -> u8 {
        match self {
            InitError::Organization { .. } => crate::exit::PROFILE_FAILED,
            _ => crate::exit::USAGE,
        }
    }
}

/// The message of a failed `ListAccounts`: what happened (AWS's words, one line) and what to do.
fn org_message(failure: &OrgFailure, detail: &str) -> String {
    let detail = crate::sanitize::clean(detail);
    let advice = match failure {
        OrgFailure::NotInOrganization => {
            "these credentials' account is in no AWS Organization: run `pipewatch init` without --org for the \
             two-account example, or use the credentials of the organization's management account"
        }
        OrgFailure::AccessDenied => {
            "ListAccounts works only from the organization's management account or a delegated administrator \
             account, with organizations:ListAccounts allowed (assets/iam-organizations-policy.json)"
        }
        OrgFailure::NoCredentials => {
            "no usable AWS credentials: log in (`aws sso login`, or set AWS_PROFILE or AWS_ACCESS_KEY_ID / \
             AWS_SECRET_ACCESS_KEY) as the management or a delegated administrator account, then run init again"
        }
        OrgFailure::Other => {
            "check the network and the credentials, then run init again (PIPEWATCH_LOG=debug says more)"
        }
    };
    format!("cannot list the organization's accounts ({detail}): {advice}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_to_do_and_carry_their_exit_code() {
        let org = |failure| InitError::Organization { failure, detail: "Code: words\nmore".into() };
        let cases = [
            (org(OrgFailure::NotInOrganization), "in no AWS Organization", 3),
            (org(OrgFailure::AccessDenied), "assets/iam-organizations-policy.json", 3),
            (org(OrgFailure::NoCredentials), "no usable AWS credentials", 3),
            (org(OrgFailure::Other), "check the network", 3),
            (InitError::Exists("/c.toml".into()), "/c.toml: the file exists; pass --force", 2),
            (InitError::NoActiveAccount(3), "3 accounts, none ACTIVE", 2),
        ];
        for (e, needle, code) in cases {
            let text = e.to_string();
            assert!(text.contains(needle), "{text}");
            assert!(!text.contains('\n'), "{text:?}");
            assert_eq!(e.exit_code(), code, "{text}");
        }
        assert!(org(OrgFailure::Other).to_string().contains("(Code: words more)"));
    }
}
