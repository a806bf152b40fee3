//! The Artemis gateway in front of every API: AppKey, signature (rebuilt from the bytes that
//! actually arrived), optional Content-MD5, the caller's IP lock, then the throttle.

use super::wire::{code, envelope};
use super::HikSim;
use crate::artemis::sign::{self, SignInput};
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

/// The IP a request came from (unspecified when the server was not given it), for the APIs
/// that lock it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CallerIp(pub IpAddr);

/// Largest request body the gateway reads (faces are a few hundred KB of base64).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// A header named in `x-ca-signature-headers` was not sent.
    MissingSignedHeader(String),
    /// `Content-MD5` was sent and is not the MD5 of the body.
    ContentMd5Mismatch,
    /// The signature differs from the one computed over `string_to_sign`.
    Mismatch { string_to_sign: String },
}

impl Rejection {
    /// The `X-Ca-Error-Message` text (newlines escaped so it fits in a header).
    pub fn message(&self) -> String {
        match self {
            Self::MissingSignedHeader(h) => {
                format!("Invalid Signature, signed header {h} is missing")
            }
            Self::ContentMd5Mismatch => {
                "Invalid Signature, Content-MD5 does not match the body".into()
            }
            Self::Mismatch { string_to_sign } => format!(
                "Invalid Signature, Server StringToSign:`{}`",
                escape_for_header(string_to_sign)
            ),
        }
    }
}

/// The first value of a header, as the bytes that arrived (lossy UTF-8).
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Rebuild what the client must have signed from the request as received.
pub(crate) fn sign_input(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<SignInput, Rejection> {
    let mut names: Vec<String> = header(headers, "x-ca-signature-headers")
        .unwrap_or_default()
        .split(',')
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty() && n != "x-ca-signature" && n != "x-ca-signature-headers")
        .collect();
    names.sort();
    names.dedup();
    let mut signed = Vec::with_capacity(names.len());
    for name in names {
        let value = header(headers, &name).ok_or(Rejection::MissingSignedHeader(name.clone()))?;
        signed.push((name, value));
    }
    let content_type = header(headers, "content-type");
    let mut query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let is_form = content_type
        .as_deref()
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        query.extend(url::form_urlencoded::parse(body).into_owned());
    }
    Ok(SignInput {
        method: method.as_str().to_string(),
        accept: header(headers, "accept"),
        content_md5: header(headers, "content-md5"),
        content_type,
        date: header(headers, "date"),
        headers: signed,
        path: uri.path().to_string(),
        query,
    })
}

/// Check `Content-MD5` (when sent) and the signature against `app_secret`.
pub(crate) fn verify(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    app_secret: &str,
    provided: &str,
) -> Result<(), Rejection> {
    let input = sign_input(method, uri, headers, body)?;
    if let Some(md5) = &input.content_md5 {
        if md5 != &sign::content_md5(body) {
            return Err(Rejection::ContentMd5Mismatch);
        }
    }
    let string_to_sign = input.string_to_sign();
    if sign::signatures_match(provided, &sign::signature(app_secret, &string_to_sign)) {
        Ok(())
    } else {
        Err(Rejection::Mismatch { string_to_sign })
    }
}

/// Newlines as `\n` and other control characters as `\xNN`, so the text is a valid header.
pub(crate) fn escape_for_header(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// A fixed one-second window that opens with the first request after the previous one closed.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    window_start: Option<Instant>,
    count: u32,
}

impl Throttle {
    /// Whether one more request fits in the current window (`None` = unlimited).
    pub fn admit(&mut self, now: Instant, per_second: Option<u32>) -> bool {
        let Some(limit) = per_second else {
            return true;
        };
        let in_window = self
            .window_start
            .is_some_and(|s| now.saturating_duration_since(s) < Duration::from_secs(1));
        if !in_window {
            self.window_start = Some(now);
            self.count = 0;
        }
        self.count = self.count.saturating_add(1);
        self.count <= limit
    }
}

/// A gateway answer with `X-Ca-Error-Message` and `X-Ca-Request-Id`.
fn gateway_error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut res = (status, Json(envelope(code, message, None))).into_response();
    let h = res.headers_mut();
    let msg = HeaderValue::from_str(message)
        .unwrap_or_else(|_| HeaderValue::from_static("Invalid Signature"));
    h.insert("x-ca-error-message", msg);
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        h.insert("x-ca-request-id", id);
    }
    res
}

fn unauthorized(message: &str) -> Response {
    gateway_error(StatusCode::UNAUTHORIZED, "401", message)
}

/// The gateway middleware (`route_layer`: unknown paths are a plain 404 before it).
pub(crate) async fn check(State(sim): State<HikSim>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    parts.extensions.insert(CallerIp(ip));
    let (app_key, app_secret) = sim.credentials();
    let Some(key) = header(&parts.headers, "x-ca-key") else {
        return unauthorized("Missing AppKey");
    };
    if key != app_key {
        return unauthorized("Invalid AppKey");
    }
    let Some(provided) = header(&parts.headers, "x-ca-signature") else {
        return unauthorized("Missing Signature");
    };
    if !parts.headers.contains_key("x-ca-signature-headers") {
        return unauthorized("Missing X-Ca-Signature-Headers");
    }
    let bytes: Bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return gateway_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                code::BAD_PARAMETER,
                "request body too large",
            )
        }
    };
    let checked = verify(
        &parts.method,
        &parts.uri,
        &parts.headers,
        &bytes,
        &app_secret,
        &provided,
    );
    if let Err(rejection) = checked {
        sim.count_rejected();
        tracing::debug!(path = %parts.uri.path(), reason = %rejection.message(), "simulated HikCentral refused a signature");
        return gateway_error(
            StatusCode::OK,
            code::INVALID_SIGNATURE,
            &rejection.message(),
        );
    }
    // The delete API checks the lock itself, so its refusals are recorded as attempts.
    let password_call = parts.uri.path().ends_with("/person/single/delete");
    if !password_call && sim.ip_locked_for_every_call(ip) {
        return super::persons::locked_error().into_response();
    }
    if let Some(http_429) = sim.throttle() {
        let message = "Maximum API calling attempts reached";
        if http_429 {
            let mut res = gateway_error(StatusCode::TOO_MANY_REQUESTS, code::THROTTLED, message);
            res.headers_mut()
                .insert("retry-after", HeaderValue::from_static("1"));
            return res;
        }
        return gateway_error(StatusCode::OK, code::THROTTLED, message);
    }
    sim.count_call(parts.uri.path());
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Zq8n2kQpX3vL9mTz";
    const PATH: &str = "/artemis/api/resource/v1/person/advance/personList";

    fn v1_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("accept", HeaderValue::from_static("*/*"));
        h.insert(
            "content-type",
            HeaderValue::from_static("application/json;charset=UTF-8"),
        );
        h.insert("x-ca-key", HeaderValue::from_static("26744628"));
        h.insert(
            "x-ca-nonce",
            HeaderValue::from_static("c2b0f4e1-6f4a-4e8e-9a39-1f0a6f8d2b11"),
        );
        h.insert("x-ca-timestamp", HeaderValue::from_static("1767225600000"));
        h.insert(
            "x-ca-signature-headers",
            HeaderValue::from_static("x-ca-timestamp,X-Ca-Key,x-ca-nonce"),
        );
        h
    }

    #[test]
    fn rebuilds_reference_vector_v1_from_a_header_map() {
        let uri: Uri = PATH.parse().unwrap();
        let input = sign_input(&Method::POST, &uri, &v1_headers(), b"{}").unwrap();
        assert_eq!(
            sign::signature(SECRET, &input.string_to_sign()),
            "AatfkWH42T5dSKszEh45ubmGconjKY06HImhhriNXtU="
        );
        let ok = verify(
            &Method::POST,
            &uri,
            &v1_headers(),
            b"{}",
            SECRET,
            "AatfkWH42T5dSKszEh45ubmGconjKY06HImhhriNXtU=",
        );
        assert_eq!(ok, Ok(()));
    }

    #[test]
    fn query_is_decoded_and_sorted_for_vector_v3() {
        let uri: Uri = format!("{PATH}?pageSize=1&pageNo=1").parse().unwrap();
        let input = sign_input(&Method::POST, &uri, &v1_headers(), b"").unwrap();
        assert_eq!(
            sign::signature(SECRET, &input.string_to_sign()),
            "1kK/jioBxCsPD4mBZPDdv1Tn++EOXM5HiNeQ72XML7g="
        );
        let uri: Uri = "/artemis/x?b=a%20b%2Fc&Mid=%C3%B1".parse().unwrap();
        let input = sign_input(&Method::POST, &uri, &HeaderMap::new(), b"").unwrap();
        assert_eq!(input.string_to_sign(), "POST\n/artemis/x?Mid=ñ&b=a b/c");
    }

    #[test]
    fn a_listed_header_that_was_not_sent_is_a_rejection() {
        let mut h = v1_headers();
        h.remove("x-ca-nonce");
        let uri: Uri = PATH.parse().unwrap();
        let err = sign_input(&Method::POST, &uri, &h, b"").unwrap_err();
        assert_eq!(err, Rejection::MissingSignedHeader("x-ca-nonce".into()));
    }

    #[test]
    fn absent_optional_headers_add_no_line() {
        let mut h = HeaderMap::new();
        h.insert("x-ca-key", HeaderValue::from_static("k"));
        h.insert(
            "x-ca-signature-headers",
            HeaderValue::from_static("x-ca-key"),
        );
        let uri: Uri = "/artemis/api/common/v1/version".parse().unwrap();
        let input = sign_input(&Method::POST, &uri, &h, b"{}").unwrap();
        assert_eq!(
            input.string_to_sign(),
            "POST\nx-ca-key:k\n/artemis/api/common/v1/version"
        );
    }

    #[test]
    fn content_md5_must_match_the_body() {
        let mut h = v1_headers();
        h.insert(
            "content-md5",
            HeaderValue::from_str(&sign::content_md5(b"{}")).unwrap(),
        );
        let uri: Uri = PATH.parse().unwrap();
        let sts = sign_input(&Method::POST, &uri, &h, b"{}")
            .unwrap()
            .string_to_sign();
        let sig = sign::signature(SECRET, &sts);
        assert_eq!(verify(&Method::POST, &uri, &h, b"{}", SECRET, &sig), Ok(()));
        assert_eq!(
            verify(&Method::POST, &uri, &h, b"{ }", SECRET, &sig),
            Err(Rejection::ContentMd5Mismatch)
        );
    }

    #[test]
    fn mismatch_message_carries_the_escaped_string_to_sign() {
        let uri: Uri = PATH.parse().unwrap();
        let err = verify(&Method::POST, &uri, &v1_headers(), b"", SECRET, "nope").unwrap_err();
        let msg = err.message();
        assert!(msg.contains("POST\\n*/*\\napplication/json;charset=UTF-8\\nx-ca-key:26744628"));
        assert!(HeaderValue::from_str(&msg).is_ok());
        assert_eq!(escape_for_header("a\tb\nc"), "a\\x09b\\nc");
    }

    #[test]
    fn throttle_counts_within_one_second_windows() {
        let mut t = Throttle::default();
        let t0 = Instant::now();
        assert!(t.admit(t0, Some(2)));
        assert!(t.admit(t0 + Duration::from_millis(10), Some(2)));
        assert!(!t.admit(t0 + Duration::from_millis(20), Some(2)));
        assert!(t.admit(t0 + Duration::from_millis(1000), Some(2)));
        assert!(t.admit(t0, None));
    }
}
