//! CloudWatch GetMetricData over Smithy RPC v2 CBOR: not implemented yet.

use super::http::Response;
use super::{ApiError, Cx};
use crate::world::State;

pub(crate) fn handle(_st: &mut State, _cx: &Cx, op: &str, _body: &[u8]) -> Result<Response, ApiError> {
    Err(ApiError::new("UnknownOperationException", format!("awsim does not implement {op}")))
}

pub(crate) fn error(e: &ApiError) -> Response {
    Response::new(e.status, "text/plain", e.message.clone().into_bytes())
}
