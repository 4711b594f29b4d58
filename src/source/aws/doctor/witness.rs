//! An interceptor on the doctor's clients that remembers where the last request went and when AWS said its answer
//! was sent (the `Date` header), so that an unreachable endpoint is named and the clock compared.

use std::sync::{Arc, Mutex};

use aws_sdk_sts::config::interceptors::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_sts::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_sts::error::BoxError;
use jiff::Timestamp;

/// What the last request of a doctor client showed.
#[derive(Debug, Default)]
struct Seen {
    /// `scheme://host[:port]` of the last request.
    endpoint: Option<String>,
    /// The `Date` of the last answer, and the local clock when it came.
    date: Option<(Timestamp, Timestamp)>,
}

/// Shared by every client of one profile's checkup (the checks run one after another).
#[derive(Debug, Clone, Default)]
pub(in crate::source::aws) struct Witness(Arc<Mutex<Seen>>);

impl Witness {
    /// Forgets the last request.
    pub fn clear(&self) {
        if let Ok(mut s) = self.0.lock() {
            *s = Seen::default();
        }
    }

    /// Where the last request went.
    pub fn endpoint(&self) -> Option<String> {
        self.0.lock().ok()?.endpoint.clone()
    }

    /// AWS's clock minus ours, in whole seconds, from the last answer's `Date`.
    pub fn skew(&self) -> Option<i64> {
        let (theirs, ours) = self.0.lock().ok()?.date?;
        // `Date` has whole seconds: compare with our clock rounded the same way.
        Some(theirs.as_second() - ours.as_second())
    }
}

/// `scheme://authority` of a request URI, without path or query.
fn origin(uri: &str) -> String {
    match uri.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split(['/', '?']).next().unwrap_or(rest)),
        None => uri.split(['/', '?']).next().unwrap_or(uri).to_string(),
    }
}

impl Intercept for Witness {
    fn name(&self) -> &'static str {
        "pipewatch-doctor-witness"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Ok(mut s) = self.0.lock() {
            s.endpoint = Some(origin(context.request().uri()));
        }
        Ok(())
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let now = Timestamp::now();
        let date = context.response().headers().get("date").and_then(parse_http_date);
        if let (Some(date), Ok(mut s)) = (date, self.0.lock()) {
            s.date = Some((date, now));
        }
        Ok(())
    }
}

/// An HTTP `Date` (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn parse_http_date(s: &str) -> Option<Timestamp> {
    jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(s.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_dates() {
        assert_eq!(
            origin("https://sts.ap-northeast-1.amazonaws.com/?Action=x"),
            "https://sts.ap-northeast-1.amazonaws.com"
        );
        assert_eq!(origin("http://127.0.0.1:9/"), "http://127.0.0.1:9");
        assert_eq!(origin("http://127.0.0.1:9"), "http://127.0.0.1:9");
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some("1994-11-06T08:49:37Z".parse().unwrap()));
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
