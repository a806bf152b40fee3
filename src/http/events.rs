//! `POST /hikcentral/events/{secret}`: the `eventDest` HikCentral pushes `OnEventNotify` to.
//!
//! Every event of a POST is committed to the inbox before the answer
//! `200 {"code":"0","msg":"OK"}`. A wrong secret answers 404 (like any unknown URL), an address
//! outside `events.allowed_ips` 403, a body that is not an event notification 400 with what is
//! wrong, a body over the limit 413 — and in every error case nothing is stored.

use crate::app::AppState;
use crate::attendance::event::parse_notify;
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{Extensions, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::net::SocketAddr;

pub async fn receive(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    extensions: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if !secret_matches(state.settings().events.callback_secret.expose(), &secret) {
        return ApiError::for_status(StatusCode::NOT_FOUND).into_response();
    }
    let networks = state.settings().events.allowed_networks();
    if !networks.is_empty() {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if !peer.is_some_and(|ip| networks.iter().any(|n| n.contains(&ip))) {
            tracing::warn!(peer = ?peer, "event push from an address outside events.allowed_ips");
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this address may not push events (events.allowed_ips)",
            )
            .into_response();
        }
    }
    let body = match body {
        Ok(b) => b,
        // 413 and friends; the shared middleware gives them the JSON error shape.
        Err(rejection) => return rejection.into_response(),
    };
    let items = match parse_notify(&body) {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!(error = %e, bytes = body.len(), "event push refused");
            return ApiError::new(StatusCode::BAD_REQUEST, "invalid_payload", e.to_string())
                .into_response();
        }
    };
    match state.inbox_writer().commit(items, "push").await {
        Ok(report) => {
            tracing::info!(
                accepted = report.accepted,
                duplicates = report.duplicates,
                rejected = report.rejected,
                "events stored"
            );
            Json(json!({"code": "0", "msg": "OK"})).into_response()
        }
        Err(e) => {
            // Nothing was stored: HikCentral may push again, and the poller back-fills.
            ApiError::unavailable(format!("{e}; nothing was stored, push again later"))
                .into_response()
        }
    }
}

/// Constant-time comparison; an unset secret matches nothing.
fn secret_matches(expected: &str, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    !expected.is_empty()
        && expected.len() == given.len()
        && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::secret_matches;

    #[test]
    fn secrets_match_exactly_and_an_empty_secret_matches_nothing() {
        assert!(secret_matches(
            "s3cr3t-s3cr3t-s3cr3t",
            "s3cr3t-s3cr3t-s3cr3t"
        ));
        assert!(!secret_matches(
            "s3cr3t-s3cr3t-s3cr3t",
            "s3cr3t-s3cr3t-s3cr3"
        ));
        assert!(!secret_matches("", ""));
    }
}
