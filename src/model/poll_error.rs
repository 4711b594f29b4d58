//! Why a poll of one profile failed, as data: the call that failed, the kind of failure and a message for people.
//!
//! The kind decides what happens next (an expired session is renewed before the next poll) and how failures are
//! told: several calls failing for one profile-wide cause (no credentials, an expired session, a dead endpoint) are
//! one line naming every call; failures tied to one operation (access denied, throttled, an unreadable answer) are
//! one line per operation; other service errors are told one by one.

use std::fmt;

/// What kind of failure a poll met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// No usable credentials: none were found, or the role could not be assumed.
    NoCredentials,
    /// AWS says the session's credentials expired or were revoked (`ExpiredToken`).
    ExpiredCredentials,
    /// The credentials act in another account than the profile's role.
    WrongAccount,
    /// AWS refused the call: a permission is missing (`AccessDenied`).
    AccessDenied,
    /// AWS throttled the call past every retry.
    Throttled,
    /// No answer in time, for one request or for the whole poll.
    TimedOut,
    /// The connection failed: refused, reset, name resolution, TLS.
    Transport,
    /// An answer came that could not be read: an HTML page from a proxy, a bare HTTP 500, a cut-off body.
    Unreadable,
    /// AWS answered with another error.
    Service,
    /// The profile's configuration cannot be used as it is (no region).
    Misconfigured,
    /// pipewatch itself failed (a bug): a poll task ended abnormally.
    Internal,
}

impl ErrorKind {
    /// A stable `snake_case` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoCredentials => "no_credentials",
            Self::ExpiredCredentials => "expired_credentials",
            Self::WrongAccount => "wrong_account",
            Self::AccessDenied => "access_denied",
            Self::Throttled => "throttled",
            Self::TimedOut => "timed_out",
            Self::Transport => "transport",
            Self::Unreadable => "unreadable",
            Self::Service => "service",
            Self::Misconfigured => "misconfigured",
            Self::Internal => "internal",
        }
    }

    /// Whether a failure of this kind belongs to the profile, whatever call met it: several calls failing this way
    /// are one cause.
    pub fn is_profile_wide(self) -> bool {
        matches!(
            self,
            Self::NoCredentials
                | Self::ExpiredCredentials
                | Self::WrongAccount
                | Self::TimedOut
                | Self::Transport
                | Self::Misconfigured
                | Self::Internal
        )
    }

    /// Whether the profile should start a fresh session (assume its role again) before its next poll: the SDK's
    /// credential cache keeps a session until the expiry it was issued with, even when AWS ended it sooner.
    pub fn renews_session(self) -> bool {
        self == Self::ExpiredCredentials
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One failure of a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollError {
    /// The call that failed, e.g. `ecr:DescribeImages web` (`None` when the failure is not one call's, such as a
    /// poll cut off at its timeout).
    pub api: Option<String>,
    pub kind: ErrorKind,
    /// What happened and, where it helps, what to do; never credentials.
    pub message: String,
}

impl PollError {
    /// A failure that is not one call's.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { api: None, kind, message: message.into() }
    }

    /// The failure of the call `api`.
    pub fn of_call(api: impl Into<String>, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { api: Some(api.into()), kind, message: message.into() }
    }

    /// The operation of the call (`ecr:DescribeImages` of `ecr:DescribeImages web`).
    pub fn operation(&self) -> Option<&str> {
        self.api.as_deref().and_then(|a| a.split_whitespace().next())
    }
}

impl fmt::Display for PollError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.api {
            Some(api) => write!(f, "{api}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// What makes two failures one cause (see the module doc).
#[derive(PartialEq)]
enum Cause<'a> {
    Profile(ErrorKind),
    Operation(ErrorKind, Option<&'a str>),
    Call(usize),
}

fn cause(i: usize, e: &PollError) -> Cause<'_> {
    match e.kind {
        k if k.is_profile_wide() => Cause::Profile(k),
        ErrorKind::Service => Cause::Call(i),
        k => Cause::Operation(k, e.operation()),
    }
}

/// The failures as lines for people, one per cause in order of first appearance: `api, api: message`, the message
/// being the first one met of that cause.
pub fn lines(errors: &[PollError]) -> Vec<String> {
    let mut groups: Vec<(Cause<'_>, Vec<&str>, &PollError)> = Vec::new();
    for (i, e) in errors.iter().enumerate() {
        let c = cause(i, e);
        match groups.iter_mut().find(|(g, _, _)| *g == c) {
            Some((_, apis, _)) => {
                if let Some(api) = e.api.as_deref()
                    && !apis.contains(&api)
                {
                    apis.push(api);
                }
            }
            None => groups.push((c, e.api.as_deref().into_iter().collect(), e)),
        }
    }
    groups
        .into_iter()
        .map(|(_, apis, first)| match apis.is_empty() {
            true => first.message.clone(),
            false => format!("{}: {}", apis.join(", "), first.message),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(api: &str, kind: ErrorKind, message: &str) -> PollError {
        PollError::of_call(api, kind, message)
    }

    #[test]
    fn one_profile_wide_cause_is_one_line_naming_every_call() {
        let out = lines(&[
            call("sts:GetCallerIdentity", ErrorKind::NoCredentials, "no credentials"),
            call("codepipeline:ListPipelines", ErrorKind::NoCredentials, "no credentials"),
            call("ecr:DescribeImages web", ErrorKind::Service, "RepositoryNotFoundException: gone"),
            call("codepipeline:ListPipelines", ErrorKind::NoCredentials, "no credentials"),
        ]);
        assert_eq!(
            out,
            [
                "sts:GetCallerIdentity, codepipeline:ListPipelines: no credentials",
                "ecr:DescribeImages web: RepositoryNotFoundException: gone",
            ]
        );
    }

    #[test]
    fn an_expired_session_is_one_cause_whatever_each_service_calls_it() {
        let out = lines(&[
            call("sts:GetCallerIdentity", ErrorKind::ExpiredCredentials, "ExpiredToken: The security token expired"),
            call("codepipeline:ListPipelines", ErrorKind::ExpiredCredentials, "ExpiredTokenException: expired"),
        ]);
        assert_eq!(
            out,
            ["sts:GetCallerIdentity, codepipeline:ListPipelines: ExpiredToken: The security token expired"]
        );
    }

    #[test]
    fn operation_causes_group_by_operation_and_service_errors_stay_apart() {
        let out = lines(&[
            call("ecr:DescribeImages api", ErrorKind::AccessDenied, "AccessDeniedException: denied on api"),
            call("codepipeline:GetPipeline web-deploy", ErrorKind::AccessDenied, "AccessDeniedException: no"),
            call("ecr:DescribeImages web", ErrorKind::AccessDenied, "AccessDeniedException: denied on web"),
            call("ecr:DescribeImages tools", ErrorKind::Throttled, "ThrottlingException: Rate exceeded"),
            call("ecr:DescribeImages a", ErrorKind::Service, "ServerException: one"),
            call("ecr:DescribeImages b", ErrorKind::Service, "ServerException: one"),
        ]);
        assert_eq!(
            out,
            [
                "ecr:DescribeImages api, ecr:DescribeImages web: AccessDeniedException: denied on api",
                "codepipeline:GetPipeline web-deploy: AccessDeniedException: no",
                "ecr:DescribeImages tools: ThrottlingException: Rate exceeded",
                "ecr:DescribeImages a: ServerException: one",
                "ecr:DescribeImages b: ServerException: one",
            ]
        );
    }

    #[test]
    fn a_failure_of_no_call_is_its_message() {
        let timeout = PollError::new(ErrorKind::TimedOut, "poll timed out after 3s (endpoint not answering?)");
        assert_eq!(timeout.to_string(), "poll timed out after 3s (endpoint not answering?)");
        assert_eq!(lines(&[timeout]), ["poll timed out after 3s (endpoint not answering?)"]);
        assert_eq!(
            PollError::of_call("ecr:DescribeImages web", ErrorKind::Service, "x").operation(),
            Some("ecr:DescribeImages")
        );
    }

    #[test]
    fn only_an_expired_session_renews_it() {
        let renewing: Vec<_> = [
            ErrorKind::NoCredentials,
            ErrorKind::ExpiredCredentials,
            ErrorKind::WrongAccount,
            ErrorKind::AccessDenied,
            ErrorKind::Throttled,
            ErrorKind::TimedOut,
            ErrorKind::Transport,
            ErrorKind::Unreadable,
            ErrorKind::Service,
            ErrorKind::Misconfigured,
            ErrorKind::Internal,
        ]
        .into_iter()
        .filter(|k| k.renews_session())
        .collect();
        assert_eq!(renewing, [ErrorKind::ExpiredCredentials]);
    }
}
