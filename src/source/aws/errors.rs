//! Turns SDK errors into [`PollError`]s: the kind from the error code or the SDK's error variant, and a one-line
//! message people can act on (never including credentials).
//!
//! An answer the SDK could not read (an HTML page from a proxy, a bare HTTP 500, a truncated body) is named by its
//! HTTP status: the parser's complaint (`Error at offset 0: unexpected token '<'`) says nothing to people, so it
//! goes to the log (`PIPEWATCH_LOG=warn`).

use std::error::Error;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;

use crate::model::{ErrorKind, PollError};
use crate::sanitize;

/// Error codes saying the session's credentials expired or were revoked.
const EXPIRED: &[&str] = &["ExpiredToken", "ExpiredTokenException"];
/// Error codes of a refused call.
const DENIED: &[&str] = &["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException"];
/// Error codes of throttling (the ones the SDK's retry classifier treats as throttling, for the services read).
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
];

/// The failure of the call `api`.
pub(super) fn poll_error<E>(api: impl Into<String>, err: &SdkError<E, HttpResponse>) -> PollError
where
    E: ProvideErrorMetadata + Error + 'static,
{
    let api = api.into();
    let (kind, message) = describe(&api, err);
    PollError::of_call(api, kind, message)
}

/// The kind of an error code.
fn kind_of_code(code: &str) -> ErrorKind {
    if EXPIRED.contains(&code) {
        ErrorKind::ExpiredCredentials
    } else if DENIED.contains(&code) {
        ErrorKind::AccessDenied
    } else if THROTTLED.contains(&code) {
        ErrorKind::Throttled
    } else {
        ErrorKind::Service
    }
}

/// Classifies and describes an SDK error of the call `api`: the service's code and message, or the chain of causes
/// for transport and credential failures.
fn describe<E>(api: &str, err: &SdkError<E, HttpResponse>) -> (ErrorKind, String)
where
    E: ProvideErrorMetadata + Error + 'static,
{
    match err {
        SdkError::ServiceError(ctx) => {
            let e = ctx.err();
            match (e.code(), e.message()) {
                (Some(code), Some(msg)) => (kind_of_code(code), format!("{code}: {msg}")),
                (Some(code), None) => (kind_of_code(code), code.to_string()),
                _ => not_understood(api, ctx.raw().status().as_u16(), &chain(e)),
            }
        }
        SdkError::ResponseError(ctx) => {
            let status = ctx.raw().status().as_u16();
            match io_cause(err) {
                // The connection broke while the answer was read: a network failure, not an unreadable answer.
                Some(io) => (ErrorKind::Transport, format!("HTTP {status}, answer cut off ({})", tidy(&io))),
                None => not_understood(api, status, &err.source().map(chain).unwrap_or_default()),
            }
        }
        SdkError::TimeoutError(_) => (ErrorKind::TimedOut, "request timed out".to_string()),
        SdkError::DispatchFailure(d) => {
            let kind = match credentials_cause(err) {
                Some(kind) => kind,
                None if d.is_timeout() => ErrorKind::TimedOut,
                None if d.is_user() => ErrorKind::Internal,
                None => ErrorKind::Transport,
            };
            let mut message = tidy(&chain(err));
            if assume_role_code(err).is_some_and(|code| kind_of_code(code) == ErrorKind::Throttled) {
                message.push_str(PACE_HINT);
            }
            (kind, message)
        }
        other => (ErrorKind::Internal, tidy(&chain(other))),
    }
}

/// Names an unreadable answer by its status and says what to do; the parser's words go to the log.
fn not_understood(api: &str, status: u16, why: &str) -> (ErrorKind, String) {
    let mut why = why;
    for noise in ["unhandled error: ", "invalid input: "] {
        why = why.strip_prefix(noise).unwrap_or(why);
    }
    tracing::warn!(api, status, parser = %sanitize::clean(why), "response not understood");
    (
        ErrorKind::Unreadable,
        format!(
            "HTTP {status}, response not understood (not an AWS answer? check endpoint_url and any proxy on the way; \
             PIPEWATCH_LOG=warn logs what the parser said)"
        ),
    )
}

/// What a credentials failure says when STS throttled the AssumeRole under it: the profiles that assume their roles
/// from one source account share its STS limit, which AWS does not publish.
const PACE_HINT: &str = " (the profiles assuming their roles from these credentials share the source account's STS \
                         limit: pace them with [settings] assume_role_rate, AssumeRole calls a second)";

/// The AssumeRole error under `err` (a credentials failure of the assumed role), when there is one.
fn assume_role_error<'a>(err: &'a (dyn Error + 'static)) -> Option<&'a SdkError<AssumeRoleError, HttpResponse>> {
    let mut cur: Option<&'a (dyn Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(sts) = e.downcast_ref::<SdkError<AssumeRoleError, HttpResponse>>() {
            return Some(sts);
        }
        cur = e.source();
    }
    None
}

/// The error code AWS answered the AssumeRole under `err` with, when there is one.
fn assume_role_code<'a>(err: &'a (dyn Error + 'static)) -> Option<&'a str> {
    assume_role_error(err)?.as_service_error()?.code()
}

/// The kind of a failure to get credentials: an expired session when AWS said so to AssumeRole, else no
/// credentials. `None` when `err` is not a credentials failure.
fn credentials_cause(err: &(dyn Error + 'static)) -> Option<ErrorKind> {
    if assume_role_error(err).is_some() {
        let expired = assume_role_code(err).is_some_and(|c| EXPIRED.contains(&c));
        return Some(if expired { ErrorKind::ExpiredCredentials } else { ErrorKind::NoCredentials });
    }
    let mut cur: Option<&(dyn Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if e.is::<CredentialsError>() {
            return Some(ErrorKind::NoCredentials);
        }
        cur = e.source();
    }
    None
}

/// The I/O error under `err`, rendered, when there is one.
fn io_cause(err: &(dyn Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if e.is::<std::io::Error>() {
            return Some(chain(e));
        }
        cur = e.source();
    }
    None
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
fn chain(err: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn Error + 'static)> = Some(err);
    while let Some(e) = cur {
        // The AssumeRole error inside a credentials error is described like any API's (code and message, or HTTP
        // status), instead of through the SDK's Debug output. (Not at the root: `describe` of it calls `chain`.)
        if !std::ptr::addr_eq(e, err)
            && let Some(sts) = e.downcast_ref::<SdkError<AssumeRoleError, HttpResponse>>()
        {
            parts.push(format!("sts:AssumeRole: {}", describe("sts:AssumeRole", sts).1));
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

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::time::Duration;

    use aws_credential_types::Credentials;
    use aws_credential_types::provider::{ProvideCredentials, future};
    use aws_sdk_codepipeline::config::SharedCredentialsProvider;
    use aws_sdk_sts::operation::assume_role::AssumeRoleError;
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;
    use aws_smithy_types::retry::RetryConfig;

    use super::*;

    fn retry() -> RetryConfig {
        RetryConfig::standard().with_max_attempts(2).with_initial_backoff(Duration::from_millis(1))
    }

    /// The failure of ListPipelines answered by `rule`.
    async fn list_pipelines_error(rule: Rule) -> PollError {
        let client = mock_client!(aws_sdk_codepipeline, RuleMode::MatchAny, [&rule], |c| c.retry_config(retry()));
        let err = client.list_pipelines().send().await.expect_err("the call fails");
        poll_error("codepipeline:ListPipelines", &err)
    }

    /// The failure of ListPipelines when `credentials` fail (no request is sent: the mocks would answer before the
    /// credentials are asked for).
    async fn credentials_error(credentials: Failing) -> PollError {
        let client = client_at("http://127.0.0.1:9", SharedCredentialsProvider::new(credentials));
        let err = client.list_pipelines().send().await.expect_err("the call fails");
        poll_error("codepipeline:ListPipelines", &err)
    }

    #[test]
    fn error_codes_name_their_kind() {
        let cases = [
            ("ExpiredToken", ErrorKind::ExpiredCredentials),
            ("ExpiredTokenException", ErrorKind::ExpiredCredentials),
            ("AccessDenied", ErrorKind::AccessDenied),
            ("AccessDeniedException", ErrorKind::AccessDenied),
            ("Throttling", ErrorKind::Throttled),
            ("ThrottlingException", ErrorKind::Throttled),
            ("TooManyRequestsException", ErrorKind::Throttled),
            ("RepositoryNotFoundException", ErrorKind::Service),
            ("InvalidClientTokenId", ErrorKind::Service),
            ("ValidationException", ErrorKind::Service),
        ];
        for (code, kind) in cases {
            assert_eq!(kind_of_code(code), kind, "{code}");
        }
    }

    #[tokio::test]
    async fn a_service_error_is_its_code_and_message() {
        let expired = mock!(aws_sdk_sts::Client::get_caller_identity).then_error(|| {
            GetCallerIdentityError::generic(
                ErrorMetadata::builder()
                    .code("ExpiredToken")
                    .message("The security token included in the request is expired")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&expired]);
        let err = client.get_caller_identity().send().await.unwrap_err();
        let e = poll_error("sts:GetCallerIdentity", &err);
        assert_eq!(e.kind, ErrorKind::ExpiredCredentials);
        assert!(e.kind.renews_session());
        assert_eq!(
            e.to_string(),
            "sts:GetCallerIdentity: ExpiredToken: The security token included in the request is expired"
        );
    }

    #[tokio::test]
    async fn an_unreadable_answer_is_named_by_its_status_without_the_parsers_words() {
        let html = mock!(aws_sdk_codepipeline::Client::list_pipelines)
            .sequence()
            .http_status(500, Some("<html><body>Internal Server Error</body></html>".into()))
            .repeatedly()
            .build();
        let cut = mock!(aws_sdk_codepipeline::Client::list_pipelines)
            .sequence()
            .http_status(200, Some(r#"{"pipelines":[{"name":"web-dep"#.into()))
            .repeatedly()
            .build();
        for (rule, status) in [(html, 500), (cut, 200)] {
            let e = list_pipelines_error(rule).await;
            assert_eq!(e.kind, ErrorKind::Unreadable);
            assert_eq!(
                e.to_string(),
                format!(
                    "codepipeline:ListPipelines: HTTP {status}, response not understood (not an AWS answer? check \
                     endpoint_url and any proxy on the way; PIPEWATCH_LOG=warn logs what the parser said)"
                )
            );
        }
    }

    /// Credentials that fail: with the `Err` of a mocked AssumeRole, or with none found.
    #[derive(Debug)]
    struct Failing(Option<aws_sdk_sts::Client>);

    impl ProvideCredentials for Failing {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            future::ProvideCredentials::new(async move {
                match &self.0 {
                    Some(sts) => {
                        let err =
                            sts.assume_role().role_arn("arn:aws:iam::1:role/r").role_session_name("s").send().await;
                        Err(CredentialsError::provider_error(err.expect_err("AssumeRole fails")))
                    }
                    None => Err(CredentialsError::not_loaded("no credentials in the environment")),
                }
            })
        }
    }

    #[tokio::test]
    async fn a_credentials_failure_is_no_credentials_unless_aws_said_the_session_expired() {
        let e = credentials_error(Failing(None)).await;
        assert_eq!(e.kind, ErrorKind::NoCredentials);
        assert_eq!(e.message, "the credential provider was not enabled: no credentials in the environment");

        let answer = |code: &'static str| {
            mock!(aws_sdk_sts::Client::assume_role).then_error(move || {
                AssumeRoleError::generic(ErrorMetadata::builder().code(code).message("said STS").build())
            })
        };
        let (denied, expired, throttled) = (answer("AccessDenied"), answer("ExpiredToken"), answer("Throttling"));
        let sts = |rule: &Rule| mock_client!(aws_sdk_sts, RuleMode::MatchAny, [rule], |c| c.retry_config(retry()));
        let e = credentials_error(Failing(Some(sts(&denied)))).await;
        assert_eq!(e.kind, ErrorKind::NoCredentials);
        assert!(e.message.starts_with("could not get credentials: "), "{e}");
        assert!(e.message.ends_with("sts:AssumeRole: AccessDenied: said STS"), "{e}");
        let e = credentials_error(Failing(Some(sts(&expired)))).await;
        assert_eq!(e.kind, ErrorKind::ExpiredCredentials);
        assert!(e.message.ends_with("sts:AssumeRole: ExpiredToken: said STS"), "{e}");
        let e = credentials_error(Failing(Some(sts(&throttled)))).await;
        assert_eq!(e.kind, ErrorKind::NoCredentials);
        assert!(e.message.contains("sts:AssumeRole: Throttling: said STS (the profiles assuming"), "{e}");
        assert!(e.message.ends_with("pace them with [settings] assume_role_rate, AssumeRole calls a second)"), "{e}");

        let html = mock!(aws_sdk_sts::Client::assume_role)
            .sequence()
            .http_status(500, Some("<html>".into()))
            .repeatedly()
            .build();
        let e = credentials_error(Failing(Some(sts(&html)))).await;
        assert_eq!(e.kind, ErrorKind::NoCredentials);
        assert!(e.message.contains("sts:AssumeRole: HTTP 500, response not understood (not an AWS answer?"), "{e}");
    }

    /// A client of a real HTTP endpoint at `url`.
    fn client_at(url: &str, credentials: SharedCredentialsProvider) -> aws_sdk_codepipeline::Client {
        let conf = aws_sdk_codepipeline::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_codepipeline::config::Region::new("us-east-1"))
            .endpoint_url(url)
            .credentials_provider(credentials)
            .retry_config(retry())
            .build();
        aws_sdk_codepipeline::Client::from_conf(conf)
    }

    fn static_credentials() -> SharedCredentialsProvider {
        SharedCredentialsProvider::new(Credentials::new("AKIDEXAMPLE", "secret", None, None, "test"))
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_transport_failure() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let err = client_at(&format!("http://127.0.0.1:{port}"), static_credentials())
            .list_pipelines()
            .send()
            .await
            .unwrap_err();
        let e = poll_error("codepipeline:ListPipelines", &err);
        assert_eq!(e.kind, ErrorKind::Transport);
        assert!(e.message.contains("Connection refused"), "{e}");
    }

    #[tokio::test]
    async fn a_connection_reset_mid_answer_is_a_transport_failure_that_says_so() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(2) {
                let mut stream = stream.unwrap();
                let mut buf = [0u8; 8192];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: 100\r\n\r\n{\"pipe",
                );
                let _ = stream.flush();
                std::thread::sleep(Duration::from_millis(50));
                // Close with RST rather than FIN.
                let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
            }
        });
        let err = client_at(&format!("http://127.0.0.1:{port}"), static_credentials())
            .list_pipelines()
            .send()
            .await
            .unwrap_err();
        let e = poll_error("codepipeline:ListPipelines", &err);
        assert_eq!(e.kind, ErrorKind::Transport, "{e}");
        assert!(e.message.starts_with("HTTP 200, answer cut off ("), "{e}");
        assert!(e.message.contains("Connection reset by peer"), "{e}");
    }
}
