//! awsJson1_1 answers and the request-field helpers the JSON services share.
//!
//! Errors: HTTP 400 with `{"__type": "<code>", "message": "..."}`; the SDK reads the code from `__type` and
//! classifies `ThrottlingException` as throttling (aws-runtime `THROTTLING_ERRORS`).

use jiff::Timestamp;
use serde_json::{Value, json};

use super::ApiError;
use super::http::Response;

pub(crate) fn ok(body: &Value) -> Response {
    Response::new(200, "application/x-amz-json-1.1", body.to_string().into_bytes())
}

pub(crate) fn error(e: &ApiError) -> Response {
    let body = json!({"__type": e.code, "message": e.message});
    Response::new(e.status, "application/x-amz-json-1.1", body.to_string().into_bytes())
        .header("x-amzn-errortype", &e.code)
}

/// Epoch seconds with a fraction, as the JSON protocols send timestamps.
pub(crate) fn epoch(t: Timestamp) -> Value {
    json!(t.as_millisecond() as f64 / 1000.0)
}

/// An epoch-seconds request field.
pub(crate) fn time_field(body: &Value, key: &str) -> Option<Timestamp> {
    let v = body.get(key)?.as_f64()?;
    Timestamp::from_millisecond((v * 1000.0) as i64).ok()
}

pub(crate) fn str_field<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A required string field, or the service's validation error.
pub(crate) fn required<'a>(body: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    str_field(body, key).ok_or_else(|| ApiError::new("ValidationException", format!("{key} is required")))
}

/// One page of `items` from the offset in `token` (tokens are opaque to clients: `o<offset>`).
pub(crate) fn page<T: Clone>(
    items: &[T],
    token: Option<&str>,
    size: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let start = match token {
        None => 0,
        Some(t) => t
            .strip_prefix('o')
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| ApiError::new("InvalidNextTokenException", "The next token is not valid"))?,
    };
    let end = (start + size.max(1)).min(items.len());
    let next = (end < items.len()).then(|| format!("o{end}"));
    Ok((items[start..end].to_vec(), next))
}
