//! `POST /hikcentral/events/{secret}`: the `eventDest` HikCentral pushes `OnEventNotify` to.
//!
//! Every event of a POST is committed to the inbox before the answer
//! `200 {"code":"0","msg":"OK"}`. The work is bounded before any byte of the body is read: a
//! wrong secret answers 404 (like any unknown URL), an address outside `events.allowed_ips` 403,
//! and more concurrent pushes than `events.max_concurrent_pushes` 503 with `Retry-After`. Then a
//! body over the limit answers 413, more events than `events.max_events_per_push` 413, a body
//! that is not an event notification 400 with what is wrong, and a full writer queue or a
//! failing store 503 with `Retry-After` — and in every error case nothing is stored.

use crate::attendance::event::{cap_rejected, parse_notify_limited, PayloadError};
use crate::error::ApiError;
use crate::http::openapi::notify::{NotifyAck, OnEventNotify};
use crate::http::openapi::schemas::ErrorBody;
use crate::http::AppState;
use crate::workers::inbox_writer::IngestError;
use axum::extract::Request;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::time::Duration;

/// HikCentral's `OnEventNotify` push
///
/// Every event is committed to the inbox before the 200 answer; in every error case nothing is
/// stored. An event that cannot be used is kept as rejected and does not fail the push; a
/// well-formed event whose time is outside `events.accept_past_hours` /
/// `events.accept_future_secs` is stored as `out_of_window`, for an operator to admit.
#[utoipa::path(post, path = "/hikcentral/events/{secret}", tag = "hikcentral",
    params(("secret" = String, Path, description = "`events.callback_secret`; a wrong secret \
        answers 404 like any unknown URL")),
    request_body(content = OnEventNotify, content_type = "application/json"),
    responses(
        (status = 200, description = "All events are stored", body = NotifyAck),
        (status = 400, description = "`invalid_payload`: not an event notification (the message \
            says what is wrong); `refused_by_database`", body = ErrorBody,
            example = json!({"error": {"code": "invalid_payload", "message":
                "the body has no events list: expected an OnEventNotify body with `params.events` \
                 (an array), but found an object without `params` (keys: method)",
                "details": null}})),
        (status = 403, description = "`forbidden`: the address is outside `events.allowed_ips`",
            body = ErrorBody),
        (status = 404, description = "`not_found`: wrong (or no configured) secret", body = ErrorBody,
            example = json!({"error": {"code": "not_found", "message": "no such route", "details": null}})),
        (status = 413, description = "`payload_too_large` (over `server.body_limit_bytes`) or \
            `too_many_events` (over `events.max_events_per_push`)", body = ErrorBody),
        (status = 503, description = "`unavailable`: too many pushes at once, the writer's queue \
            is full or the store fails; push again", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds: 1, or 5 when the store fails"))),
    ))]
pub async fn receive(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    request: Request,
) -> Response {
    let events = &state.settings().events;
    if !secret_matches(events.callback_secret.expose(), &secret) {
        crate::metrics::push_refused("wrong_secret");
        return ApiError::for_status(StatusCode::NOT_FOUND).into_response();
    }
    let networks = state.allowed_push_networks();
    if !networks.is_empty() {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if !peer.is_some_and(|ip| networks.iter().any(|n| n.contains(&ip))) {
            tracing::warn!(peer = ?peer, "event push from an address outside events.allowed_ips");
            crate::metrics::push_refused("address_not_allowed");
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this address may not push events (events.allowed_ips)",
            )
            .into_response();
        }
    }
    // A short wait absorbs bursts; sustained overload is shed at once after it. (A free
    // permit is taken without arming the timer.)
    let permit = match state.push_permits().try_acquire() {
        Ok(p) => Some(p),
        Err(_) => tokio::time::timeout(Duration::from_millis(250), state.push_permits().acquire())
            .await
            .ok()
            .and_then(Result::ok),
    };
    let Some(permit) = permit else {
        crate::metrics::push_refused("too_many_pushes");
        return busy(
            "too many pushes are being received at once (events.max_concurrent_pushes); \
             nothing was stored, push again shortly",
            Duration::from_secs(1),
        );
    };
    let limit = state.settings().server.body_limit_bytes;
    let body = match http_body_util::Limited::new(request.into_body(), limit)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            crate::metrics::push_refused("too_large");
            return ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE).into_response();
        }
        Err(e) => {
            crate::metrics::push_refused("unreadable_body");
            return ApiError::bad_request(format!("the request body could not be read: {e}"))
                .into_response();
        }
    };
    let items = match parse_notify_limited(&body, events.max_events_per_push) {
        Ok(items) => items,
        Err(e @ PayloadError::TooMany { .. }) => {
            tracing::warn!(error = %e, "event push refused: too many events");
            crate::metrics::push_refused("too_many_events");
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_many_events",
                e.to_string(),
            )
            .into_response();
        }
        Err(e) => {
            tracing::warn!(error = %e.to_string().escape_debug(), bytes = body.len(), "event push refused");
            crate::metrics::push_refused("invalid_payload");
            return ApiError::new(StatusCode::BAD_REQUEST, "invalid_payload", e.to_string())
                .into_response();
        }
    };
    let items = cap_rejected(
        events.time_window().apply(items, chrono::Utc::now()),
        events.max_rejected_stored_per_push,
    );
    // The body is parsed: what waits for the commit is bounded by the writer's queue instead.
    drop((permit, body));
    let result = state.inbox_writer().commit(items, "push").await;
    if let Err(e) = &result {
        crate::metrics::push_refused(match e {
            IngestError::Refused(_) => "refused_by_database",
            IngestError::Busy => "writer_busy",
            IngestError::Store(_) | IngestError::Stopped => "store_failed",
        });
    }
    match result {
        Ok(report) => {
            // The counts go on the request's own access line ("answered"): one line per push,
            // `accepted=` always, the other counts when they are not zero.
            let span = tracing::Span::current();
            span.record("accepted", report.accepted);
            for (field, n) in [
                ("out_of_window", report.out_of_window),
                ("duplicates", report.duplicates),
                ("rejected", report.rejected),
            ] {
                if n > 0 {
                    span.record(field, n);
                }
            }
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                OK_ANSWER,
            )
                .into_response()
        }
        Err(IngestError::Refused(reason)) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "refused_by_database",
            format!(
                "the database refused these events ({reason}); nothing of this push was stored"
            ),
        )
        .into_response(),
        Err(IngestError::Busy) => busy(
            "the inbox writer's queue is full (events.writer_queue_depth); nothing was stored, \
             push again shortly",
            Duration::from_secs(1),
        ),
        // Nothing was stored: HikCentral may push again, and the poller back-fills.
        Err(e) => busy(
            &format!("{e}; nothing was stored, push again later"),
            Duration::from_secs(5),
        ),
    }
}

/// HikCentral's success answer, `{"code":"0","msg":"OK"}`, as it goes on the wire.
const OK_ANSWER: &str = r#"{"code":"0","msg":"OK"}"#;

/// 503 with `Retry-After`.
fn busy(message: &str, retry_after: Duration) -> Response {
    let mut res = ApiError::unavailable(message.to_owned()).into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after.as_secs().max(1).to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
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
