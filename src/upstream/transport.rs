//! The innermost service: one HTTP exchange with reqwest, the body read whole.

use super::{BoxError, TransportError, UpstreamRequest, UpstreamResponse};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Answers larger than this are cut off with an error (photos are far smaller).
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// Sends [`UpstreamRequest`]s to `base_url` + path.
#[derive(Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    base_url: url::Url,
    /// The upstream's name in metrics.
    upstream: &'static str,
}

impl HttpTransport {
    pub fn new(client: reqwest::Client, base_url: url::Url) -> Self {
        Self {
            client,
            base_url,
            upstream: "other",
        }
    }

    /// Name the upstream in `hikbridge_upstream_request_duration_seconds`.
    pub fn named(mut self, upstream: &'static str) -> Self {
        self.upstream = upstream;
        self
    }

    /// base + path, with the query percent-encoded.
    pub fn url_for(&self, path: &str, query: &[(String, String)]) -> url::Url {
        let mut url = self.base_url.clone();
        let base_path = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base_path}{path}"));
        if query.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(query);
        }
        url
    }
}

impl tower::Service<UpstreamRequest> for HttpTransport {
    type Response = UpstreamResponse;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<UpstreamResponse, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: UpstreamRequest) -> Self::Future {
        let url = self.url_for(&req.path, &req.query);
        let request = self
            .client
            .request(req.method, url)
            .headers(req.headers)
            .body(req.body);
        let (upstream, path) = (self.upstream, req.path);
        Box::pin(async move {
            let started = std::time::Instant::now();
            let resp = match request.send().await {
                Ok(r) => r,
                Err(e) => {
                    crate::metrics::upstream_request(upstream, &path, None, started.elapsed());
                    return Err(classify_reqwest(e));
                }
            };
            let status = resp.status();
            crate::metrics::upstream_request(
                upstream,
                &path,
                Some(status.as_u16()),
                started.elapsed(),
            );
            let headers = resp.headers().clone();
            let mut body = Vec::new();
            let mut resp = resp;
            while let Some(chunk) = resp.chunk().await.map_err(classify_reqwest)? {
                if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(TransportError::Other(format!(
                        "answer larger than {MAX_RESPONSE_BYTES} bytes"
                    ))
                    .into());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(UpstreamResponse {
                status,
                headers,
                body: body.into(),
            })
        })
    }
}

/// Map a reqwest error to a typed transport error, keeping the cause chain readable.
fn classify_reqwest(e: reqwest::Error) -> BoxError {
    let detail = error_chain(&e);
    let lower = detail.to_ascii_lowercase();
    let err = if lower.contains("certificate")
        || lower.contains("unknownissuer")
        || lower.contains("pin mismatch")
    {
        TransportError::Certificate(detail)
    } else if e.is_timeout() {
        TransportError::Timeout(std::time::Duration::ZERO)
    } else if e.is_connect() {
        TransportError::Connect(detail)
    } else if e.is_body() || e.is_decode() || e.is_request() {
        TransportError::Io(detail)
    } else {
        TransportError::Other(detail)
    };
    Box::new(err)
}

/// "outer: cause: root cause", without repeating the URL's query.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_joins_base_path_and_encodes_query() {
        let t = HttpTransport::new(
            reqwest::Client::new(),
            url::Url::parse("https://h.example:8443/public/api/v1").unwrap(),
        );
        let u = t.url_for(
            "/users",
            &[
                ("search".into(), "a b&c".into()),
                ("page".into(), "1".into()),
            ],
        );
        assert_eq!(
            u.as_str(),
            "https://h.example:8443/public/api/v1/users?search=a+b%26c&page=1"
        );
        let plain = HttpTransport::new(
            reqwest::Client::new(),
            url::Url::parse("http://127.0.0.1:9").unwrap(),
        );
        assert_eq!(
            plain.url_for("/artemis/api/x", &[]).as_str(),
            "http://127.0.0.1:9/artemis/api/x"
        );
    }
}
