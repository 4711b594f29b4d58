//! A minimal HTTP/1.1 server side over tokio: requests with `Content-Length` or chunked bodies, keep-alive, and
//! `Expect: 100-continue`. Enough for the AWS SDK's hyper client; written here so that awsim does not switch on
//! hyper's server feature (which would rebuild the AWS SDK in every test build of the workspace).

use std::io;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// Upper bound on a request's header block and body.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Response { status, headers: vec![("content-type".into(), content_type.into())], body }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Reads one CRLF- or LF-terminated line, bounded by `budget`.
async fn line<R: AsyncRead + Unpin>(r: &mut BufReader<R>, budget: &mut usize) -> io::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = (&mut *r).take(*budget as u64 + 1).read_until(b'\n', &mut buf).await?;
    if n == 0 {
        return Ok(None);
    }
    if n > *budget {
        return Err(bad("header block too large"));
    }
    *budget -= n;
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    String::from_utf8(buf).map(Some).map_err(|_| bad("header not UTF-8"))
}

/// Reads one request; `None` when the client closed the connection between requests.
pub(crate) async fn read_request<R, W>(r: &mut BufReader<R>, w: &mut W) -> io::Result<Option<Request>>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut budget = MAX_HEAD;
    let start = loop {
        match line(r, &mut budget).await? {
            None => return Ok(None),
            Some(l) if l.is_empty() => continue,
            Some(l) => break l,
        }
    };
    let mut parts = start.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else { return Err(bad("bad request line")) };
    let mut req = Request { method: method.into(), path: path.into(), ..Request::default() };
    loop {
        let l = line(r, &mut budget).await?.ok_or_else(|| bad("connection closed in headers"))?;
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').ok_or_else(|| bad("bad header"))?;
        req.headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    if req.header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
        w.flush().await?;
    }
    if req.header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        loop {
            let size = line(r, &mut budget).await?.ok_or_else(|| bad("closed in chunk"))?;
            let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad("bad chunk size"))?;
            if size == 0 {
                while line(r, &mut budget).await?.is_some_and(|l| !l.is_empty()) {}
                break;
            }
            if req.body.len() + size > MAX_BODY {
                return Err(bad("body too large"));
            }
            let at = req.body.len();
            req.body.resize(at + size, 0);
            r.read_exact(&mut req.body[at..]).await?;
            line(r, &mut budget).await?;
        }
    } else if let Some(len) = req.header("content-length") {
        let len: usize = len.parse().map_err(|_| bad("bad content-length"))?;
        if len > MAX_BODY {
            return Err(bad("body too large"));
        }
        req.body.resize(len, 0);
        r.read_exact(&mut req.body).await?;
    }
    Ok(Some(req))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

pub(crate) async fn write_response<W: AsyncWrite + Unpin>(w: &mut W, resp: &Response) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (k, v) in &resp.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    // Every AWS answer carries the HTTP `Date` header (RFC 9110 section 6.6.1); clients such as `pipewatch doctor`
    // read clock skew from it. The server's own clock, as AWS's is its own.
    let date = jiff::Timestamp::now().strftime("%a, %d %b %Y %H:%M:%S GMT");
    head.push_str(&format!("date: {date}\r\n"));
    head.push_str(&format!("content-length: {}\r\n\r\n", resp.body.len()));
    w.write_all(head.as_bytes()).await?;
    w.write_all(&resp.body).await?;
    w.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_sized_and_chunked_bodies() {
        let raw = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}POST /b HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        let mut r = BufReader::new(&raw[..]);
        let mut sink = Vec::new();
        let a = read_request(&mut r, &mut sink).await.unwrap().unwrap();
        assert_eq!((a.path.as_str(), a.body.as_slice(), a.header("host")), ("/", &b"{}"[..], Some("x")));
        let b = read_request(&mut r, &mut sink).await.unwrap().unwrap();
        assert_eq!(b.body, b"abc");
        assert!(read_request(&mut r, &mut sink).await.unwrap().is_none());
    }
}
