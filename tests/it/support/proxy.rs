//! A loopback HTTP/1.1 proxy in front of moto that injects faults, for the fault-matrix and hostile-input tests.
//!
//! Point a profile's `endpoint_url` at [`FaultProxy::endpoint`]. Every request is read whole, named by its
//! operation (the part after the last `.` of `X-Amz-Target` for the JSON services — `ListPipelines`,
//! `DescribeImages`, `LookupEvents`, `ListRuleNamesByTarget`, ... — or the `Action=` form field for STS —
//! `AssumeRole`, `GetCallerIdentity`), matched against the current [`Rule`]s, and then either answered with the
//! first matching rule's [`Fault`] or forwarded to moto (one fresh upstream connection per request). Client
//! connections are kept alive, like a real endpoint's.
//!
//! Rules can be replaced while pipewatch runs ([`FaultProxy::set_rules`]); the proxy counts requests per
//! operation, can rewrite JSON bodies both ways ([`FaultProxy::set_rewrite`]), and keeps the secret keys and
//! session tokens moto issued in AssumeRole responses ([`FaultProxy::issued_secrets`]).
//!
//! Threads: one accept thread per proxy and one per client connection. A connection thread ends when its client
//! closes the connection (pipewatch exiting closes them all), a hung one included; the accept thread ends when the
//! proxy is dropped.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use super::Moto;

/// Header names and values in arrival order.
type Headers = Vec<(String, String)>;

/// Upper bound on one request's or response's header block.
const MAX_HEAD: usize = 64 * 1024;
/// Upper bound on waiting for moto (a stuck upstream fails the request instead of hanging the test).
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(20);

/// What the proxy does to a request a [`Rule`] matched.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Read the request and never answer; the connection stays open until the client closes it.
    Hang,
    /// Forward to moto after this delay.
    Delay(Duration),
    /// HTTP 500 with a plain-text body, as a load balancer in front of a broken service sends.
    ServerError,
    /// The service's throttling error: HTTP 400 `ThrottlingException` (JSON) or `Throttling` (STS XML).
    Throttle,
    /// HTTP 400 `ExpiredTokenException` (JSON) or `ExpiredToken` (STS XML).
    ExpiredToken,
    /// `AccessDeniedException` (JSON, HTTP 400) or `AccessDenied` (STS XML, HTTP 403) naming the operation.
    AccessDenied,
    /// Any error in the service's protocol: HTTP status, error code, message.
    Error { status: u16, code: String, message: String },
    /// HTTP 200 with a body cut off in the middle (JSON or XML as the service speaks).
    Malformed,
    /// Forward to moto, send the status line, the headers and half of the body, then reset the connection.
    Reset,
}

/// Applies a fault to some operations, optionally only to the first `times` requests of each.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Operation names (`DescribeImages`, `AssumeRole`, ...); empty matches every request.
    pub ops: Vec<String>,
    pub fault: Fault,
    /// Only the first N matching requests of each operation (a burst); `None` for every one.
    pub times: Option<usize>,
}

impl Rule {
    /// `fault` on every request.
    pub fn all(fault: Fault) -> Rule {
        Rule { ops: Vec::new(), fault, times: None }
    }

    /// `fault` on the requests of these operations.
    pub fn on(ops: &[&str], fault: Fault) -> Rule {
        Rule { ops: ops.iter().map(|s| s.to_string()).collect(), fault, times: None }
    }

    /// Limits the rule to the first `n` matching requests of each operation.
    pub fn times(mut self, n: usize) -> Rule {
        self.times = Some(n);
        self
    }

    fn matches(&self, op: &str) -> bool {
        self.ops.is_empty() || self.ops.iter().any(|o| o == op)
    }
}

/// Which way a rewritten body travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From pipewatch to moto.
    Request,
    /// From moto to pipewatch.
    Response,
}

/// Rewrites a JSON body `(direction, operation, body)` in place.
pub type Rewrite = Arc<dyn Fn(Direction, &str, &mut Value) + Send + Sync>;

/// The secrets of one AssumeRole response.
#[derive(Debug, Clone)]
pub struct IssuedSecrets {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    /// Requests matched per (rule index, operation), for `times`.
    used: HashMap<(usize, String), usize>,
    /// Requests seen per operation.
    seen: HashMap<String, usize>,
    /// Requests answered with a fault per operation.
    faulted: HashMap<String, usize>,
    rewrite: Option<Rewrite>,
    issued: Vec<IssuedSecrets>,
    /// Session tokens whose requests are answered with ExpiredToken.
    expired: HashSet<String>,
    /// Protocol-level oddities seen (a request the proxy could not parse, say): tests assert it stays empty.
    problems: Vec<String>,
}

struct Shared {
    upstream: SocketAddr,
    state: Mutex<State>,
    closed: AtomicBool,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The proxy; stops accepting when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FaultProxy {
    /// A proxy in front of the shared moto server, with no rules (a transparent proxy).
    pub fn start() -> FaultProxy {
        FaultProxy::start_to(Moto::shared().port())
    }

    /// A proxy in front of the moto server on 127.0.0.1:`port` (a child process reaching its parent's moto).
    pub fn start_to(port: u16) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the fault proxy");
        let addr = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            upstream: SocketAddr::from(([127, 0, 0, 1], port)),
            state: Mutex::new(State::default()),
            closed: AtomicBool::new(false),
        });
        let accept_shared = Arc::clone(&shared);
        thread::Builder::new()
            .name(format!("fault-proxy-{}", addr.port()))
            .spawn(move || {
                for stream in listener.incoming() {
                    if accept_shared.closed.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let shared = Arc::clone(&accept_shared);
                    let _ = thread::Builder::new().name("fault-proxy-conn".into()).spawn(move || {
                        if let Err(e) = serve(&shared, stream) {
                            // A client going away mid-request is normal (a timed-out poll drops its connections).
                            if !matches!(
                                e.kind(),
                                io::ErrorKind::ConnectionReset
                                    | io::ErrorKind::BrokenPipe
                                    | io::ErrorKind::UnexpectedEof
                            ) {
                                shared.state().problems.push(format!("connection: {e}"));
                            }
                        }
                    });
                }
            })
            .expect("spawning the proxy thread");
        FaultProxy { addr, shared }
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replaces the rules (and forgets how often the old ones fired).
    pub fn set_rules(&self, rules: Vec<Rule>) {
        let mut st = self.shared.state();
        st.rules = rules;
        st.used.clear();
    }

    /// Removes every rule: the proxy forwards everything again.
    pub fn clear_rules(&self) {
        self.set_rules(Vec::new());
    }

    /// Rewrites JSON request and response bodies (None: forward them unchanged).
    pub fn set_rewrite(&self, rewrite: Option<Rewrite>) {
        self.shared.state().rewrite = rewrite;
    }

    /// Zeroes the request counters.
    pub fn reset_counts(&self) {
        let mut st = self.shared.state();
        st.seen.clear();
        st.faulted.clear();
    }

    /// Requests of operation `op` seen since the last [`reset_counts`](Self::reset_counts).
    pub fn requests(&self, op: &str) -> usize {
        self.shared.state().seen.get(op).copied().unwrap_or(0)
    }

    /// Requests of operation `op` answered with a fault.
    pub fn faulted(&self, op: &str) -> usize {
        self.shared.state().faulted.get(op).copied().unwrap_or(0)
    }

    /// Every operation seen and its count, sorted (for failure messages).
    pub fn counts(&self) -> Vec<(String, usize)> {
        let mut all: Vec<_> = self.shared.state().seen.iter().map(|(k, v)| (k.clone(), *v)).collect();
        all.sort();
        all
    }

    /// The credentials moto issued through this proxy, in order.
    pub fn issued_secrets(&self) -> Vec<IssuedSecrets> {
        self.shared.state().issued.clone()
    }

    /// From now on, requests signed with any session token issued so far get `ExpiredToken(Exception)`, as AWS
    /// answers once a session has expired; a fresh AssumeRole gets a token that works.
    pub fn expire_issued_sessions(&self) {
        let mut st = self.shared.state();
        let tokens: Vec<String> = st.issued.iter().map(|s| s.session_token.clone()).collect();
        st.expired.extend(tokens);
    }

    /// What went wrong inside the proxy itself (unparseable requests, moto unreachable).
    pub fn problems(&self) -> Vec<String> {
        self.shared.state().problems.clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)); // wakes the accept loop
    }
}

/// The wire protocol of a request, which decides how errors are shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// awsJson1_1 (CodePipeline, ECR, CloudTrail, EventBridge).
    Json,
    /// awsQuery (STS).
    Query,
}

struct Request {
    method: String,
    target: String,
    headers: Headers,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The operation name and protocol.
    fn operation(&self) -> (String, Protocol) {
        if let Some(target) = self.header("x-amz-target") {
            let op = target.rsplit('.').next().unwrap_or(target);
            return (op.to_string(), Protocol::Json);
        }
        let body = String::from_utf8_lossy(&self.body);
        let action = body.split('&').find_map(|kv| kv.strip_prefix("Action=")).unwrap_or("unknown");
        (action.to_string(), Protocol::Query)
    }
}

struct Response {
    status: u16,
    reason: String,
    headers: Headers,
    body: Vec<u8>,
}

impl Response {
    fn head(&self) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason);
        for (k, v) in &self.headers {
            if !["content-length", "transfer-encoding", "connection", "keep-alive"].contains(&&*k.to_lowercase()) {
                head += &format!("{k}: {v}\r\n");
            }
        }
        head += &format!("Content-Length: {}\r\nConnection: keep-alive\r\n\r\n", self.body.len());
        head.into_bytes()
    }
}

/// Serves one client connection until the client closes it.
fn serve(shared: &Shared, client: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut writer = client;
    loop {
        let Some(req) = read_request(&mut reader, &mut writer)? else { return Ok(()) };
        let (op, protocol) = req.operation();
        let fault = decide(shared, &req, &op);
        let response = match fault {
            None => forward(shared, req, &op)?,
            Some(Fault::Hang) => {
                // Hold the connection: read (and drop) whatever comes until the client gives up.
                io::copy(&mut reader, &mut io::sink())?;
                return Ok(());
            }
            Some(Fault::Delay(d)) => {
                thread::sleep(d);
                forward(shared, req, &op)?
            }
            Some(Fault::Reset) => {
                let full = forward(shared, req, &op)?;
                writer.write_all(&full.head())?;
                writer.write_all(&full.body[..full.body.len() / 2])?;
                writer.flush()?;
                // SO_LINGER 0: close() sends RST instead of FIN.
                socket2::SockRef::from(&writer).set_linger(Some(Duration::ZERO))?;
                return Ok(());
            }
            Some(fault) => fault_response(&fault, protocol, &op),
        };
        writer.write_all(&response.head())?;
        writer.write_all(&response.body)?;
        writer.flush()?;
    }
}

/// Counts the request and picks the fault for it, if any.
fn decide(shared: &Shared, req: &Request, op: &str) -> Option<Fault> {
    let mut guard = shared.state();
    let st = &mut *guard;
    *st.seen.entry(op.to_string()).or_default() += 1;
    let expired = req.header("x-amz-security-token").is_some_and(|t| st.expired.contains(t));
    let fault = if expired {
        Some(Fault::ExpiredToken)
    } else {
        st.rules.iter().enumerate().find_map(|(i, rule)| {
            if !rule.matches(op) {
                return None;
            }
            let used = st.used.entry((i, op.to_string())).or_default();
            if rule.times.is_some_and(|n| *used >= n) {
                return None;
            }
            *used += 1;
            Some(rule.fault.clone())
        })
    };
    if fault.is_some() {
        *st.faulted.entry(op.to_string()).or_default() += 1;
    }
    fault
}

/// The error (or broken body) a fault answers with, shaped like the service's own.
fn fault_response(fault: &Fault, protocol: Protocol, op: &str) -> Response {
    let denied = format!(
        "User: arn:aws:sts::123456789012:assumed-role/pipewatch-read/pipewatch is not authorized to perform: {op}"
    );
    let expired = "The security token included in the request is expired";
    match (fault, protocol) {
        (Fault::ServerError, _) => Response {
            status: 500,
            reason: "Internal Server Error".into(),
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: b"Internal Server Error".to_vec(),
        },
        (Fault::Throttle, Protocol::Json) => error(protocol, 400, "ThrottlingException", "Rate exceeded"),
        (Fault::Throttle, Protocol::Query) => error(protocol, 400, "Throttling", "Rate exceeded"),
        (Fault::ExpiredToken, Protocol::Json) => error(protocol, 400, "ExpiredTokenException", expired),
        (Fault::ExpiredToken, Protocol::Query) => error(protocol, 400, "ExpiredToken", expired),
        (Fault::AccessDenied, Protocol::Json) => error(protocol, 400, "AccessDeniedException", &denied),
        (Fault::AccessDenied, Protocol::Query) => error(protocol, 403, "AccessDenied", &denied),
        (Fault::Error { status, code, message }, _) => error(protocol, *status, code, message),
        (Fault::Malformed, Protocol::Json) => ok(protocol, br#"{"pipelines":[{"name":"web-dep"#.to_vec()),
        (Fault::Malformed, Protocol::Query) => {
            ok(protocol, format!("<{op}Response><{op}Result><Credentials><AccessKeyId>AS").into_bytes())
        }
        (Fault::Hang | Fault::Delay(_) | Fault::Reset, _) => unreachable!("handled by serve"),
    }
}

fn content_type(protocol: Protocol) -> (String, String) {
    let ct = if protocol == Protocol::Json { "application/x-amz-json-1.1" } else { "text/xml" };
    ("Content-Type".into(), ct.into())
}

fn ok(protocol: Protocol, body: Vec<u8>) -> Response {
    Response { status: 200, reason: "OK".into(), headers: vec![content_type(protocol)], body }
}

/// An error response as the service would send it.
fn error(protocol: Protocol, status: u16, code: &str, message: &str) -> Response {
    let reason = match status {
        400 => "Bad Request",
        403 => "Forbidden",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let mut headers = vec![content_type(protocol), ("x-amzn-RequestId".into(), "fault-proxy-0001".into())];
    let body = match protocol {
        Protocol::Json => {
            headers.push(("X-Amzn-ErrorType".into(), format!("{code}:http://internal.amazon.com/coral/")));
            serde_json::json!({"__type": code, "message": message}).to_string()
        }
        Protocol::Query => format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
             <Code>{}</Code><Message>{}</Message></Error><RequestId>fault-proxy-0001</RequestId></ErrorResponse>",
            xml_escape(code),
            xml_escape(message)
        ),
    };
    Response { status, reason: reason.into(), headers, body: body.into_bytes() }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Sends the request to moto and returns its response (rewritten and inspected).
fn forward(shared: &Shared, mut req: Request, op: &str) -> io::Result<Response> {
    let rewrite = shared.state().rewrite.clone();
    let req_is_json = req.header("x-amz-target").is_some();
    if let Some(rw) = &rewrite
        && req_is_json
    {
        rewrite_json(&mut req.body, |v| rw(Direction::Request, op, v));
    }
    let mut response = match exchange(shared.upstream, &req) {
        Ok(r) => r,
        Err(e) => {
            shared.state().problems.push(format!("{op}: moto unreachable: {e}"));
            return Ok(Response {
                status: 502,
                reason: "Bad Gateway".into(),
                headers: vec![("Content-Type".into(), "text/plain".into())],
                body: format!("fault proxy: moto unreachable: {e}").into_bytes(),
            });
        }
    };
    if op == "AssumeRole" && response.status == 200 {
        let body = String::from_utf8_lossy(&response.body);
        if let (Some(access_key_id), Some(secret_access_key), Some(session_token)) =
            (xml_field(&body, "AccessKeyId"), xml_field(&body, "SecretAccessKey"), xml_field(&body, "SessionToken"))
        {
            shared.state().issued.push(IssuedSecrets { access_key_id, secret_access_key, session_token });
        }
    }
    if let Some(rw) = &rewrite
        && req_is_json
    {
        rewrite_json(&mut response.body, |v| rw(Direction::Response, op, v));
    }
    Ok(response)
}

fn rewrite_json(body: &mut Vec<u8>, f: impl FnOnce(&mut Value)) {
    if let Ok(mut v) = serde_json::from_slice::<Value>(body) {
        f(&mut v);
        *body = serde_json::to_vec(&v).expect("serialising JSON");
    }
}

/// The text of `<name>...</name>` (moto's credentials hold no XML entities).
fn xml_field(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let len = xml[start..].find(&format!("</{name}>"))?;
    Some(xml[start..start + len].to_string())
}

/// One request/response exchange with moto over a fresh connection.
fn exchange(upstream: SocketAddr, req: &Request) -> io::Result<Response> {
    let mut stream = TcpStream::connect_timeout(&upstream, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(UPSTREAM_TIMEOUT))?;
    let mut head = format!("{} {} HTTP/1.1\r\n", req.method, req.target);
    for (k, v) in &req.headers {
        if !["content-length", "transfer-encoding", "connection", "keep-alive", "expect"].contains(&&*k.to_lowercase())
        {
            head += &format!("{k}: {v}\r\n");
        }
    }
    head += &format!("Content-Length: {}\r\nConnection: close\r\n\r\n", req.body.len());
    stream.write_all(head.as_bytes())?;
    stream.write_all(&req.body)?;
    stream.flush()?;
    let mut reader = BufReader::new(stream);
    let (status_line, headers) = read_head(&mut reader)?.ok_or_else(|| eof("moto closed without answering"))?;
    let mut parts = status_line.splitn(3, ' ');
    let _version = parts.next();
    let status = parts.next().and_then(|s| s.parse().ok()).ok_or_else(|| bad(&status_line))?;
    let reason = parts.next().unwrap_or("").to_string();
    let body = read_body(&mut reader, &headers, true)?;
    Ok(Response { status, reason, headers, body })
}

/// Reads one request; `None` when the client closed the connection between requests.
fn read_request(reader: &mut BufReader<TcpStream>, writer: &mut TcpStream) -> io::Result<Option<Request>> {
    let Some((line, headers)) = read_head(reader)? else { return Ok(None) };
    let mut parts = line.split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else { return Err(bad(&line)) };
    let (method, target) = (method.to_string(), target.to_string());
    let expects_continue =
        headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("expect") && v.eq_ignore_ascii_case("100-continue"));
    if expects_continue {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let body = read_body(reader, &headers, false)?;
    Ok(Some(Request { method, target, headers, body }))
}

/// The start line and headers; `None` on a clean EOF before the first byte.
fn read_head(reader: &mut impl BufRead) -> io::Result<Option<(String, Headers)>> {
    let mut start = String::new();
    if reader.read_line(&mut start)? == 0 {
        return Ok(None);
    }
    let mut headers = Vec::new();
    let mut size = start.len();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(eof("connection closed inside the headers"));
        }
        size += line.len();
        if size > MAX_HEAD {
            return Err(bad("header block too large"));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').ok_or_else(|| bad(line))?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    Ok(Some((start.trim_end().to_string(), headers)))
}

/// A body by `Content-Length`, chunked encoding, or (responses only) up to EOF.
fn read_body(reader: &mut impl BufRead, headers: &Headers, to_eof: bool) -> io::Result<Vec<u8>> {
    let header = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|te| te.to_lowercase().contains("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| bad(&format!("chunk size {size:?}")))?;
            let mut chunk = vec![0; size + 2]; // data and CRLF
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                return Ok(body); // (trailers are not used by moto or the SDK)
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    match header("content-length") {
        Some(len) => {
            let len: usize = len.parse().map_err(|_| bad(&format!("content-length {len:?}")))?;
            body.resize(len, 0);
            reader.read_exact(&mut body)?;
        }
        None if to_eof => {
            reader.read_to_end(&mut body)?;
        }
        None => {}
    }
    Ok(body)
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("fault proxy cannot parse {what:?}"))
}

fn eof(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, what.to_string())
}
