//! `Authorization: Basic <api_key>` checking and the time-tracking permission.
//!
//! The key Humand issues is already the Basic credential, so it is compared byte for byte (in
//! constant time) with what follows the scheme; it is never decoded and never logged.

use super::errors::ApiError;
use super::{lock, Shared};
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Whether an `Authorization` header value carries exactly `key` as its Basic credential.
/// The scheme name is case-insensitive (RFC 9110 §11.1); the credential is not.
pub(crate) fn credential_matches(header: Option<&[u8]>, key: &str) -> bool {
    let Some(value) = header else { return false };
    let Some((scheme, credential)) = value.split_at_checked(6) else {
        return false;
    };
    if key.is_empty() || !scheme.eq_ignore_ascii_case(b"basic ") {
        return false;
    }
    credential.ct_eq(key.as_bytes()).into()
}

/// Middleware: 401 `UNKNOWN_TOKEN` unless the request carries the accepted key.
pub(crate) async fn require_key(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let header = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
    let ok = credential_matches(header, &lock(&shared.api_key));
    if !ok {
        return ApiError::unknown_token().into_response();
    }
    next.run(req).await
}

/// Route layer for `/time-tracking`: 403 `ACCESS_DENIED` when the key lacks the permission.
pub(crate) async fn require_time_tracking(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    if !shared.time_tracking_allowed.load(Ordering::SeqCst) {
        return ApiError::access_denied().into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::credential_matches;

    const KEY: &str = "ZGVtby1pZDpkZW1vLXNlY3JldA==";

    #[test]
    fn accepts_the_key_exactly_as_issued() {
        let h = format!("Basic {KEY}");
        assert!(credential_matches(Some(h.as_bytes()), KEY));
        let h = format!("basic {KEY}");
        assert!(credential_matches(Some(h.as_bytes()), KEY));
    }

    #[test]
    fn rejects_missing_other_schemes_prefixes_and_re_encoded_keys() {
        let cases: Vec<Option<String>> = vec![
            None,
            Some(String::new()),
            Some("Basic".into()),
            Some("Basic ".into()),
            Some(format!("Bearer {KEY}")),
            Some(format!("Basic {}", &KEY[..10])),
            Some(format!("Basic {KEY}x")),
            Some(format!("Basic  {KEY}")),
            Some("Basic ZGVtby1pZDpkZW1vLXNlY3JldA".into()),
        ];
        for case in cases {
            assert!(
                !credential_matches(case.as_deref().map(str::as_bytes), KEY),
                "{case:?} must be refused"
            );
        }
    }

    #[test]
    fn an_empty_accepted_key_accepts_nothing() {
        assert!(!credential_matches(Some(b"Basic "), ""));
    }
}
