//! Turns SDK errors into one-line messages people can act on (never including credentials).

use std::error::Error;

use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;

/// Describes an SDK error: the service's code and message, or the chain of causes for transport failures.
///
/// An answer the SDK could not read (an HTML page from a proxy, a bare HTTP 500, a truncated body) is named by its
/// HTTP status, followed by the parser's complaint: the SDK's own words ("unhandled error", "response error") do not
/// say what came back.
pub fn describe<E>(err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + Error + 'static,
{
    match err {
        SdkError::ServiceError(ctx) => {
            let e = ctx.err();
            match (e.code(), e.message()) {
                (Some(code), Some(msg)) => format!("{code}: {msg}"),
                (Some(code), None) => code.to_string(),
                _ => not_understood(ctx.raw().status().as_u16(), &chain(e)),
            }
        }
        SdkError::ResponseError(ctx) => {
            not_understood(ctx.raw().status().as_u16(), &err.source().map(chain).unwrap_or_default())
        }
        SdkError::TimeoutError(_) => "request timed out".to_string(),
        other => tidy(&chain(other)),
    }
}

fn not_understood(status: u16, why: &str) -> String {
    let mut why = why;
    for noise in ["unhandled error: ", "invalid input: "] {
        why = why.strip_prefix(noise).unwrap_or(why);
    }
    format!("HTTP {status}, response not understood ({why})")
}

/// Drops the SDK's plumbing words from a transport error and names credential failures plainly.
fn tidy(s: &str) -> String {
    let mut s = s;
    for noise in ["dispatch failure: ", "other: ", "io error: "] {
        s = s.strip_prefix(noise).unwrap_or(s);
    }
    let s = s.replace("io error: ", "").replace("client error (Connect): ", "");
    match s.strip_prefix("an error occurred while loading credentials: ") {
        Some(rest) => format!("could not get credentials: {rest}"),
        None => s,
    }
}

/// `a: b: c` from an error and its sources, skipping repeats.
pub fn chain(err: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn Error + 'static)> = Some(err);
    while let Some(e) = cur {
        // The AssumeRole error inside a credentials error is described like any API's (code and message, or HTTP
        // status), instead of through the SDK's Debug output. (Not at the root: `describe` of it calls `chain`.)
        if !std::ptr::addr_eq(e, err)
            && let Some(sts) = e.downcast_ref::<SdkError<AssumeRoleError, HttpResponse>>()
        {
            parts.push(format!("sts:AssumeRole: {}", describe(sts)));
            break;
        }
        let s = e.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = e.source();
    }
    parts.join(": ")
}

/// True for a failure saying the session's credentials expired (`ExpiredToken`, `ExpiredTokenException`).
pub fn is_expired_session(message: &str) -> bool {
    message.contains("ExpiredToken")
}

/// Groups `(api, message)` failures so that one cause shared by several calls (a refused role) is said once.
pub fn merge(failures: Vec<(String, String)>) -> Vec<String> {
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    for (api, msg) in failures {
        match grouped.iter_mut().find(|(m, _)| *m == msg) {
            Some((_, apis)) => {
                if !apis.contains(&api) {
                    apis.push(api);
                }
            }
            None => grouped.push((msg, vec![api])),
        }
    }
    grouped.into_iter().map(|(msg, apis)| format!("{}: {msg}", apis.join(", "))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_groups_identical_causes() {
        let out = merge(vec![
            ("sts:GetCallerIdentity".into(), "no credentials".into()),
            ("codepipeline:ListPipelines".into(), "no credentials".into()),
            ("ecr:DescribeImages web".into(), "RepositoryNotFoundException: gone".into()),
            ("codepipeline:ListPipelines".into(), "no credentials".into()),
        ]);
        assert_eq!(
            out,
            vec![
                "sts:GetCallerIdentity, codepipeline:ListPipelines: no credentials".to_string(),
                "ecr:DescribeImages web: RepositoryNotFoundException: gone".to_string(),
            ]
        );
    }

    #[test]
    fn chain_skips_repeated_causes() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "dispatch failure")
            }
        }
        impl Error for Outer {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = Outer(std::io::Error::other("connection refused"));
        assert_eq!(chain(&e), "dispatch failure: connection refused");
    }

    #[test]
    fn unreadable_answers_are_named_by_status() {
        assert_eq!(
            not_understood(500, "unhandled error: Error at offset 0: unexpected token '<'"),
            "HTTP 500, response not understood (Error at offset 0: unexpected token '<')"
        );
        assert_eq!(
            not_understood(200, "invalid input: unterminated string"),
            "HTTP 200, response not understood (unterminated string)"
        );
    }

    #[test]
    fn expired_sessions_are_recognised() {
        assert!(is_expired_session("codepipeline:ListPipelines: ExpiredTokenException: The security token ..."));
        assert!(is_expired_session("sts:GetCallerIdentity: ExpiredToken: The security token included ..."));
        assert!(!is_expired_session("ecr:DescribeImages web: AccessDeniedException: denied"));
    }

    #[test]
    fn tidy_names_credential_failures() {
        assert_eq!(
            tidy("dispatch failure: other: an error occurred while loading credentials: failed to assume role"),
            "could not get credentials: failed to assume role"
        );
        assert_eq!(tidy("dispatch failure: io error: connection refused"), "connection refused");
    }
}
