//! The signing layer: puts `Accept`, `Content-Type`, optional `Content-MD5` and the `x-ca-*`
//! headers on every attempt, with a fresh nonce and millisecond timestamp each time.

use super::sign::{content_md5, signature, SignInput};
use crate::secret::Secret;
use crate::upstream::UpstreamRequest;
use http::{HeaderName, HeaderValue};
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// What the signer needs; the header values are sent exactly as signed.
#[derive(Debug, Clone)]
pub struct SignerConfig {
    pub app_key: String,
    pub app_secret: Secret,
    pub accept: String,
    pub content_type: String,
    pub send_content_md5: bool,
}

#[derive(Clone)]
pub struct SignLayer {
    config: Arc<SignerConfig>,
}

impl SignLayer {
    pub fn new(config: SignerConfig) -> Self {
        Self {
            config: Arc::new(config),
        }
    }
}

impl<S> Layer<S> for SignLayer {
    type Service = Signed<S>;
    fn layer(&self, inner: S) -> Signed<S> {
        Signed {
            inner,
            config: self.config.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Signed<S> {
    inner: S,
    config: Arc<SignerConfig>,
}

impl<S: Service<UpstreamRequest>> Service<UpstreamRequest> for Signed<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: UpstreamRequest) -> S::Future {
        sign_request(&self.config, &mut req, &fresh_nonce(), &now_millis());
        self.inner.call(req)
    }
}

pub fn fresh_nonce() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn now_millis() -> String {
    chrono::Utc::now().timestamp_millis().to_string()
}

/// Set every signed header on `req` for this nonce and timestamp; returns the string to sign.
pub fn sign_request(
    config: &SignerConfig,
    req: &mut UpstreamRequest,
    nonce: &str,
    timestamp: &str,
) -> String {
    let md5 = config.send_content_md5.then(|| content_md5(&req.body));
    let input = SignInput {
        method: req.method.as_str().to_string(),
        accept: Some(config.accept.clone()),
        content_md5: md5.clone(),
        content_type: Some(config.content_type.clone()),
        date: None,
        headers: vec![
            ("x-ca-key".into(), config.app_key.clone()),
            ("x-ca-nonce".into(), nonce.to_string()),
            ("x-ca-timestamp".into(), timestamp.to_string()),
        ],
        path: req.path.clone(),
        query: req.query.clone(),
    };
    let string_to_sign = input.string_to_sign();
    let sig = signature(config.app_secret.expose(), &string_to_sign);
    let h = &mut req.headers;
    let mut put = |name: &'static str, value: &str| {
        // Values come from validated configuration, UUIDs, digits and base64.
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(HeaderName::from_static(name), v);
        }
    };
    put("accept", &config.accept);
    put("content-type", &config.content_type);
    if let Some(md5) = &md5 {
        put("content-md5", md5);
    }
    put("x-ca-key", &config.app_key);
    put("x-ca-nonce", nonce);
    put("x-ca-timestamp", timestamp);
    put("x-ca-signature-headers", &input.signature_headers());
    put("x-ca-signature", &sig);
    tracing::debug!(path = %req.path, string_to_sign = %string_to_sign.replace('\n', "\\n"), "signed");
    string_to_sign
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn request_headers_match_vector_v1() {
        let config = SignerConfig {
            app_key: "26744628".into(),
            app_secret: Secret::new("Zq8n2kQpX3vL9mTz"),
            accept: "*/*".into(),
            content_type: "application/json;charset=UTF-8".into(),
            send_content_md5: false,
        };
        let mut req = UpstreamRequest::new(
            http::Method::POST,
            "/artemis/api/resource/v1/person/advance/personList",
            Bytes::from_static(br#"{"pageNo":1,"pageSize":1,"personCode":"1234567890"}"#),
        );
        sign_request(
            &config,
            &mut req,
            "c2b0f4e1-6f4a-4e8e-9a39-1f0a6f8d2b11",
            "1767225600000",
        );
        let h = |n: &str| req.headers.get(n).unwrap().to_str().unwrap().to_string();
        assert_eq!(
            h("x-ca-signature"),
            "AatfkWH42T5dSKszEh45ubmGconjKY06HImhhriNXtU="
        );
        assert_eq!(
            h("x-ca-signature-headers"),
            "x-ca-key,x-ca-nonce,x-ca-timestamp"
        );
        assert_eq!(h("content-type"), "application/json;charset=UTF-8");
        assert_eq!(h("accept"), "*/*");
        assert!(req.headers.get("content-md5").is_none());
    }

    #[test]
    fn content_md5_is_sent_and_signed_when_enabled() {
        let config = SignerConfig {
            app_key: "26744628".into(),
            app_secret: Secret::new("Zq8n2kQpX3vL9mTz"),
            accept: "application/json".into(),
            content_type: "application/json;charset=UTF-8".into(),
            send_content_md5: true,
        };
        let mut req = UpstreamRequest::new(
            http::Method::POST,
            "/artemis/api/resource/v1/person/advance/personList",
            Bytes::from_static(br#"{"pageNo":1,"pageSize":1,"personCode":"1234567890"}"#),
        );
        sign_request(
            &config,
            &mut req,
            "c2b0f4e1-6f4a-4e8e-9a39-1f0a6f8d2b11",
            "1767225600000",
        );
        // Vector V2.
        assert_eq!(
            req.headers.get("x-ca-signature").unwrap(),
            "hqj8MqjD4YYX0AFX+YgQ0wEyP0iwzAFryKpOiT4DZSk="
        );
        assert_eq!(
            req.headers.get("content-md5").unwrap(),
            "qGZQO+8MShztQgnCtEc86Q=="
        );
    }
}
