//! `[notify] webhook`: one JSON POST per push over the HTTP stack the AWS SDK already brings (hyper 1, hyper-util's
//! client, rustls with the system's root certificates).
//!
//! The URL often carries a secret (Slack puts it in the path): logs and errors name its host only.

use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, USER_AGENT};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Where to POST, with what, and the bound on one POST (connecting, sending and the answer's head and body).
pub(super) struct Webhook {
    uri: http::Uri,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook").field("host", &self.host()).field("timeout", &self.timeout).finish()
    }
}

impl Webhook {
    pub(super) fn new(url: &str, timeout: Duration) -> Result<Self, String> {
        let uri: http::Uri = url.parse().map_err(|_| "the webhook is not a URL".to_owned())?;
        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        let builder = match builder.with_native_roots() {
            Ok(builder) => builder,
            Err(e) => {
                tracing::warn!("notify: no system root certificates ({e}); an https:// webhook cannot be verified");
                let config = rustls::ClientConfig::builder()
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth();
                hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config)
            }
        };
        let connector = builder.https_or_http().enable_http1().build();
        let client = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(1).build(connector);
        Ok(Webhook { uri, client, timeout })
    }

    /// The URL's host, the only part of it logs show.
    pub(super) fn host(&self) -> String {
        self.uri.host().unwrap_or("?").to_owned()
    }

    /// POSTs `body` as JSON; a 2xx answer is success.
    pub(super) async fn post(&self, body: &[u8]) -> Result<(), String> {
        let request = http::Request::post(self.uri.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, concat!("pipewatch/", env!("CARGO_PKG_VERSION")))
            .body(Full::new(Bytes::copy_from_slice(body)))
            .map_err(|e| format!("cannot build the request: {e}"))?;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| describe(&e))?;
            let status = response.status();
            // Read the answer whole so that the connection can be reused.
            let _ = response.into_body().collect().await;
            Ok::<_, String>(status)
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(Ok(status)) if status.is_success() => Ok(()),
            Ok(Ok(status)) => Err(format!("the webhook at {} answered {status}", self.host())),
            Ok(Err(e)) => Err(format!("POST to {} failed: {e}", self.host())),
            Err(_) => Err(format!(
                "the webhook at {} did not answer within {}",
                self.host(),
                humantime::format_duration(self.timeout)
            )),
        }
    }
}

/// An error and its causes on one line (hyper-util's own message is only "client error (Connect)").
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut line = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        line += &format!(": {s}");
        source = s.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    use super::*;

    /// A one-shot HTTP server answering `status`; returns its URL and a handle yielding the request it read.
    fn receiver(status: &'static str) -> (String, std::thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/services/T0/B0/secret-token", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !String::from_utf8_lossy(&request).contains("\"end\"") {
                let n = stream.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            write!(stream, "HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").unwrap();
            String::from_utf8_lossy(&request).into_owned()
        });
        (url, handle)
    }

    #[tokio::test]
    async fn posts_json_and_takes_2xx_as_success() {
        let (url, got) = receiver("200 OK");
        let hook = Webhook::new(&url, Duration::from_secs(10)).unwrap();
        hook.post(br#"{"text": "hi", "end": 1}"#).await.unwrap();
        let request = got.join().unwrap();
        assert!(request.starts_with("POST /services/T0/B0/secret-token HTTP/1.1\r\n"), "{request}");
        assert!(request.to_lowercase().contains("content-type: application/json"), "{request}");
        assert!(request.ends_with(r#"{"text": "hi", "end": 1}"#), "{request}");
    }

    #[tokio::test]
    async fn failures_name_the_host_never_the_secret_path() {
        let (url, got) = receiver("500 Internal Server Error");
        let hook = Webhook::new(&url, Duration::from_secs(10)).unwrap();
        let e = hook.post(br#"{"end": 1}"#).await.unwrap_err();
        got.join().unwrap();
        assert_eq!(e, "the webhook at 127.0.0.1 answered 500 Internal Server Error");

        // Nothing listens there any more.
        let e = hook.post(br#"{"end": 1}"#).await.unwrap_err();
        assert!(e.starts_with("POST to 127.0.0.1 failed: "), "{e}");
        assert!(!e.contains("secret-token"), "{e}");
        assert!(!format!("{hook:?}").contains("secret-token"));
    }
}
