//! What every upstream client (HikCentral, Humand) is built from: a request/response pair and
//! tower layers around the HTTP call — pacing shared by the whole process, retry with backoff
//! and jitter, per-attempt timeout — plus TLS options and a health record for `/ready`.

pub mod health;
pub mod pace;
#[cfg(test)]
mod pace_tests;
pub mod retry;
pub mod tls;
pub mod transport;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};

pub use tower::BoxError;

/// One request to an upstream. `body` holds the exact bytes that are signed and sent.
#[derive(Debug, Clone)]
pub struct UpstreamRequest {
    pub method: Method,
    /// Path below the base URL, starting with `/`.
    pub path: String,
    /// Raw (unencoded) query parameters; the transport percent-encodes them.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// 1 for the first attempt; the retry layer counts up.
    pub attempt: u32,
}

impl UpstreamRequest {
    pub fn new(method: Method, path: impl Into<String>, body: Bytes) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            body,
            attempt: 1,
        }
    }
}

/// A complete answer: status, headers and the whole body.
#[derive(Debug, Clone)]
pub struct UpstreamResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl UpstreamResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The first bytes of the body as text, for error messages.
    pub fn body_snippet(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut s: String = text.chars().take(300).collect();
        if text.chars().count() > 300 {
            s.push('…');
        }
        s
    }
}

/// Transport-level failures, typed so the retry policy can tell what is worth retrying.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("no answer within {0:?}")]
    Timeout(std::time::Duration),
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The server's certificate was refused: retrying cannot help.
    #[error("TLS certificate refused: {0}")]
    Certificate(String),
    #[error("the connection broke: {0}")]
    Io(String),
    #[error("{0}")]
    Other(String),
    #[error("gave up after {attempts} attempt(s): {last}")]
    Exhausted { attempts: u32, last: String },
}

impl TransportError {
    /// Describe any error from the stack, including timeouts from `tower::timeout`.
    pub fn describe(err: &BoxError) -> String {
        if let Some(e) = err.downcast_ref::<TransportError>() {
            return e.to_string();
        }
        if err.is::<tower::timeout::error::Elapsed>() {
            return "no answer before the timeout".into();
        }
        err.to_string()
    }
}
