//! awsim's own endpoints, outside every AWS API: the request log for benchmark scripts (`GET /_awsim/requests`)
//! and its reset (`POST /_awsim/clear`), so that a script can count what one run of pipewatch asked for.

use super::http::{Request, Response};
use crate::world::World;

/// The prefix of awsim's own paths (no AWS API is routed by path there).
pub(super) const PREFIX: &str = "/_awsim/";

/// Answers a request for one of awsim's own paths.
pub(super) fn handle(world: &World, req: &Request) -> Response {
    match (req.method.as_str(), &req.path[PREFIX.len().min(req.path.len())..]) {
        ("GET", "requests") => Response::new(200, "text/tab-separated-values", requests_tsv(world).into_bytes()),
        ("POST", "clear") => {
            world.clear_requests();
            Response::new(200, "text/plain", b"cleared\n".to_vec())
        }
        _ => Response::new(404, "text/plain", b"awsim: GET /_awsim/requests or POST /_awsim/clear".to_vec()),
    }
}

/// One line per request: milliseconds since the Unix epoch, account, region, `service:Operation`, and the error
/// code answered (`-` on success).
fn requests_tsv(world: &World) -> String {
    let mut out = String::from("at_ms\taccount\tregion\tapi\terror\n");
    for r in world.requests() {
        out += &format!(
            "{}\t{}\t{}\t{}\t{}\n",
            r.at.as_millisecond(),
            r.account,
            r.region,
            r.api(),
            r.error.as_deref().unwrap_or("-")
        );
    }
    out
}
