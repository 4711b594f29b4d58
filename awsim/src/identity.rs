//! Who calls AWS: the principals of pushes, manual releases and SDK requests, with their ARNs and the CloudTrail
//! `userIdentity` element each type writes.
//!
//! Shapes follow [CloudTrail userIdentity element](https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html)
//! and the corpus (`tests/fixtures/aws/cloudtrail/lookup-events/put-image-page{1,2}.json`).

use serde_json::{Value, json};

/// An identity that calls AWS.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    /// A role session (`role` may carry an IAM path, e.g. `service-role/codebuild-web`).
    AssumedRole {
        account: String,
        role: String,
        session: String,
    },
    IamUser {
        account: String,
        user: String,
    },
    Root {
        account: String,
    },
    /// An AWS service acting on its own (replication: `replication.ecr.amazonaws.com`).
    Service {
        service: String,
    },
}

impl Principal {
    pub fn assumed_role(account: &str, role: &str, session: &str) -> Self {
        Principal::AssumedRole { account: account.into(), role: role.into(), session: session.into() }
    }

    pub fn iam_user(account: &str, user: &str) -> Self {
        Principal::IamUser { account: account.into(), user: user.into() }
    }

    pub fn root(account: &str) -> Self {
        Principal::Root { account: account.into() }
    }

    pub fn service(service: &str) -> Self {
        Principal::Service { service: service.into() }
    }

    /// The account the principal belongs to (none for a service).
    pub fn account(&self) -> Option<&str> {
        match self {
            Principal::AssumedRole { account, .. }
            | Principal::IamUser { account, .. }
            | Principal::Root { account } => Some(account),
            Principal::Service { .. } => None,
        }
    }

    /// The caller's ARN as GetCallerIdentity and a manual start's `triggerDetail` show it (a service: its name).
    pub fn arn(&self) -> String {
        match self {
            Principal::AssumedRole { account, role, session } => {
                format!("arn:aws:sts::{account}:assumed-role/{}/{session}", role_name(role))
            }
            Principal::IamUser { account, user } => format!("arn:aws:iam::{account}:user/{user}"),
            Principal::Root { account } => format!("arn:aws:iam::{account}:root"),
            Principal::Service { service } => service.clone(),
        }
    }

    /// GetCallerIdentity's `UserId`: `AROA…:session` for a role session, `AIDA…` for a user, the account for root.
    pub fn user_id(&self) -> String {
        match self {
            Principal::AssumedRole { account, role, session } => {
                format!("{}:{session}", fake_id("AROA", &format!("{account}/{role}")))
            }
            Principal::IamUser { account, user } => fake_id("AIDA", &format!("{account}/{user}")),
            Principal::Root { account } => account.clone(),
            Principal::Service { service } => service.clone(),
        }
    }

    /// The `userIdentity` of a CloudTrail record written in the caller's own account.
    pub(crate) fn user_identity(&self, access_key: &str, session_created: &str) -> Value {
        match self {
            Principal::AssumedRole { account, role, .. } => json!({
                "type": "AssumedRole",
                "principalId": self.user_id(),
                "arn": self.arn(),
                "accountId": account,
                "accessKeyId": access_key,
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": fake_id("AROA", &format!("{account}/{role}")),
                        "arn": format!("arn:aws:iam::{account}:role/{role}"),
                        "accountId": account,
                        "userName": role_name(role)
                    },
                    "webIdFederationData": {},
                    "attributes": {"creationDate": session_created, "mfaAuthenticated": "false"}
                }
            }),
            Principal::IamUser { account, user } => json!({
                "type": "IAMUser", "principalId": self.user_id(), "arn": self.arn(), "accountId": account,
                "accessKeyId": access_key, "userName": user
            }),
            Principal::Root { account } => json!({
                "type": "Root", "principalId": account, "arn": self.arn(), "accountId": account,
                "accessKeyId": access_key
            }),
            Principal::Service { service } => json!({"type": "AWSService", "invokedBy": service}),
        }
    }

    /// The `userIdentity` the *resource owner's* record shows when this principal acted in another account:
    /// `AWSAccount` ("The request was made by another AWS account", userIdentity element page), with no ARN, as in
    /// the field report's record (`tests/fixtures/cloudtrail-cross-account.json`, FACTS.md §5).
    pub(crate) fn foreign_identity(&self) -> Value {
        match self {
            Principal::Service { .. } => self.user_identity("", ""),
            _ => json!({
                "type": "AWSAccount",
                "principalId": self.user_id(),
                "accountId": self.account().unwrap_or_default()
            }),
        }
    }

    /// LookupEvents' `Username` for the record (the session, user or `root`; none for a foreign or service caller).
    pub(crate) fn username(&self) -> Option<String> {
        match self {
            Principal::AssumedRole { session, .. } => Some(session.clone()),
            Principal::IamUser { user, .. } => Some(user.clone()),
            Principal::Root { .. } => Some("root".into()),
            Principal::Service { .. } => None,
        }
    }

    /// A plausible access key id for this principal's calls (`ASIA…` for sessions, `AKIA…` otherwise).
    pub(crate) fn access_key(&self) -> String {
        match self {
            Principal::AssumedRole { .. } => fake_id("ASIA", &self.arn()),
            _ => fake_id("AKIA", &self.arn()),
        }
    }
}

/// The role's name without its IAM path.
pub(crate) fn role_name(role: &str) -> &str {
    role.rsplit('/').next().unwrap_or(role)
}

/// `prefix` plus 16 upper-case characters derived from `seed` (stable, looks like an AWS unique id).
pub(crate) fn fake_id(prefix: &str, seed: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = String::from(prefix);
    for _ in 0..16 {
        out.push(char::from(ALPHABET[(h % 32) as usize]));
        h = h.rotate_right(5).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5bd1_e995;
    }
    out
}

/// The role ARN's account and role (with path): `arn:aws:iam::111111111111:role/path/name`.
pub(crate) fn parse_role_arn(arn: &str) -> Option<(String, String)> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, service, _, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let role = resource.strip_prefix("role/")?;
    (service == "iam" && account.len() == 12 && !role.is_empty()).then(|| (account.to_string(), role.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_follow_the_documented_formats() {
        let p = Principal::assumed_role("111111111111", "service-role/codebuild-web", "build-7");
        assert_eq!(p.arn(), "arn:aws:sts::111111111111:assumed-role/codebuild-web/build-7");
        assert!(p.user_id().starts_with("AROA") && p.user_id().ends_with(":build-7"));
        assert_eq!(Principal::root("2").arn(), "arn:aws:iam::2:root");
        assert_eq!(parse_role_arn("arn:aws:iam::111111111111:role/a/b"), Some(("111111111111".into(), "a/b".into())));
        assert_eq!(parse_role_arn("arn:aws:iam::111111111111:user/a"), None);
    }

    #[test]
    fn a_foreign_caller_shows_as_an_aws_account() {
        let p = Principal::iam_user("222222222222", "dev");
        let id = p.foreign_identity();
        assert_eq!(id["type"], "AWSAccount");
        assert_eq!(id["accountId"], "222222222222");
        assert!(id.get("arn").is_none());
        assert_eq!(p.user_identity("AKIA1", "")["type"], "IAMUser");
    }
}
