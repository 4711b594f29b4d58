//! The server: answers the AWS SDK for Rust's requests from the world. Every service's client of a profile POSTs
//! to one endpoint, so requests are routed by protocol: awsJson1_1 (`X-Amz-Target`), Smithy RPC v2 CBOR
//! (`/service/<Service>/operation/<Op>`), awsQuery (form body `Action=…`).
//!
//! The caller is the access key of the SigV4 `Authorization` header (`Credential=AKID/date/region/service/…`):
//! keys issued by AssumeRole map back to their role session, any other key to the world's base identity.
//! Signatures are never checked. Every request is logged and passes the token bucket of its (account, region,
//! API) first.

mod admin;
mod cbor;
mod cloudtrail;
mod codepipeline;
mod ecr;
mod events;
mod http;
mod json;
mod organizations;
mod query;
#[cfg(test)]
mod tests;

use std::io;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use jiff::Timestamp;
use tokio::io::BufReader;
use tokio::sync::oneshot;

use crate::identity::Principal;
use crate::limits::RequestRecord;
use crate::world::{State, World};
use http::{Request, Response};

/// Who is calling, from where, and when.
pub(crate) struct Cx {
    pub account: String,
    pub region: String,
    pub caller: Principal,
    pub now: Timestamp,
}

/// An error answer in the protocol of the request.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ApiError { status: 400, code: code.into(), message: message.into() }
    }
}

/// How a request is encoded, and so how its answer must be.
enum Protocol {
    Json,
    Cbor,
    Query,
}

/// A running server on a loopback port. Dropping it stops it.
pub struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `world` on an ephemeral port of 127.0.0.1.
    pub fn start(world: World) -> io::Result<Server> {
        Server::start_on(world, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn start_on(world: World, addr: SocketAddr) -> io::Result<Server> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel();
        let thread = std::thread::Builder::new().name("awsim".into()).spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => return eprintln!("awsim: no tokio runtime: {e}"),
            };
            rt.block_on(serve(world, listener, rx));
        })?;
        Ok(Server { addr, stop: Some(tx), thread: Some(thread) })
    }

    /// `http://127.0.0.1:PORT`, for `endpoint_url`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until the process ends (for the binary).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(world: World, listener: std::net::TcpListener, mut stop: oneshot::Receiver<()>) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => return eprintln!("awsim: listener: {e}"),
    };
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let world = world.clone();
                tokio::spawn(async move {
                    let _ = connection(world, stream).await;
                });
            }
        }
    }
}

async fn connection(world: World, stream: tokio::net::TcpStream) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    while let Some(req) = http::read_request(&mut r, &mut w).await? {
        let close = req.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let latency = world.lock().settings.latency;
        let resp = handle(&world, &req);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        http::write_response(&mut w, &resp).await?;
        if close {
            break;
        }
    }
    Ok(())
}

/// (access key, region, service) of the SigV4 credential scope.
fn credential_scope(req: &Request) -> (String, String, String) {
    let auth = req.header("authorization").unwrap_or_default();
    let Some(cred) = auth.split("Credential=").nth(1) else { return Default::default() };
    let cred = cred.split([',', ' ']).next().unwrap_or_default();
    let parts: Vec<&str> = cred.split('/').collect();
    let at = |i: usize| parts.get(i).map(|s| s.to_string()).unwrap_or_default();
    (at(0), at(2), at(3))
}

/// The service and operation a request names, and its protocol.
fn route(req: &Request, form: &[(String, String)], scope_service: &str) -> Option<(String, String, Protocol)> {
    if let Some(target) = req.header("x-amz-target") {
        let (prefix, op) = target.rsplit_once('.')?;
        let service = match prefix {
            "AmazonEC2ContainerRegistry_V20150921" => "ecr",
            "CodePipeline_20150709" => "codepipeline",
            "AWSEvents" => "events",
            // The Rust SDK sends the short form; the brief and botocore name the long one.
            "CloudTrail_20131101" | "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101" => "cloudtrail",
            "AWSOrganizationsV20161128" => "organizations",
            _ => return None,
        };
        return Some((service.into(), op.into(), Protocol::Json));
    }
    if req.header("smithy-protocol") == Some("rpc-v2-cbor") || req.path.starts_with("/service/") {
        let op = req.path.rsplit('/').next()?.to_string();
        return Some(("monitoring".into(), op, Protocol::Cbor));
    }
    let action = form.iter().find(|(k, _)| k == "Action").map(|(_, v)| v.clone())?;
    let service = match (scope_service, action.as_str()) {
        ("iam", _) | (_, "SimulatePrincipalPolicy") => "iam",
        _ => "sts",
    };
    Some((service.into(), action, Protocol::Query))
}

pub(crate) fn handle(world: &World, req: &Request) -> Response {
    if req.path.starts_with(admin::PREFIX) {
        return admin::handle(world, req);
    }
    let (key, region, scope_service) = credential_scope(req);
    let is_form = req.header("content-type").is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let form: Vec<(String, String)> =
        if is_form { form_urlencoded::parse(&req.body).into_owned().collect() } else { Vec::new() };
    let routed = if req.method == "POST" { route(req, &form, &scope_service) } else { None };
    let Some((service, op, protocol)) = routed else {
        return Response::new(404, "text/plain", b"awsim: no such service or operation".to_vec());
    };
    let mut st = world.lock();
    let caller = st.credentials.get(&key).cloned().unwrap_or_else(|| st.settings.base_identity.clone());
    let cx = Cx { account: caller.account().unwrap_or_default().to_string(), region, caller, now: st.now() };
    let api = format!("{service}:{op}");
    let rate = st.settings.rates.get(&api).copied().or(st.settings.default_rate);
    let admitted = match rate {
        Some(rate) => st.buckets.take((cx.account.clone(), cx.region.clone(), api), rate, cx.now),
        None => true,
    };
    let result = if admitted {
        call(&mut st, &cx, &service, &op, &protocol, req, &form)
    } else {
        let code = if matches!(protocol, Protocol::Query) { "Throttling" } else { "ThrottlingException" };
        Err(ApiError::new(code, "Rate exceeded"))
    };
    st.log.push(RequestRecord {
        at: cx.now,
        account: cx.account.clone(),
        region: cx.region.clone(),
        service: service.clone(),
        operation: op.clone(),
        caller_arn: cx.caller.arn(),
        error: result.as_ref().err().map(|e| e.code.clone()),
    });
    drop(st);
    let request_id = format!("{:08x}-awsim", world.lock().log.len());
    let resp = match (protocol, result) {
        (_, Ok(resp)) => resp,
        (Protocol::Json, Err(e)) => json::error(&e),
        (Protocol::Cbor, Err(e)) => cbor::error(&e),
        (Protocol::Query, Err(e)) => query::error(&e, &request_id),
    };
    resp.header("x-amzn-requestid", &request_id)
}

fn call(
    st: &mut State,
    cx: &Cx,
    service: &str,
    op: &str,
    protocol: &Protocol,
    req: &Request,
    form: &[(String, String)],
) -> Result<Response, ApiError> {
    match protocol {
        Protocol::Json => {
            let body: serde_json::Value = if req.body.is_empty() {
                serde_json::json!({})
            } else {
                serde_json::from_slice(&req.body).map_err(|e| ApiError::new("SerializationException", e.to_string()))?
            };
            let out = match service {
                "ecr" => ecr::handle(st, cx, op, &body),
                "codepipeline" => codepipeline::handle(st, cx, op, &body),
                "events" => events::handle(st, cx, op, &body),
                "cloudtrail" => cloudtrail::handle(st, cx, op, &body),
                _ => organizations::handle(st, cx, op, &body),
            }?;
            Ok(json::ok(&out))
        }
        Protocol::Cbor => cbor::handle(st, cx, op, &req.body),
        Protocol::Query => query::handle(st, cx, service, op, form),
    }
}
