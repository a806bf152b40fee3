//! Events outside the time window (`out_of_window`): listed for operators and admitted by them,
//! one by one or by event-time range. An admitted event is `new` again and the decider decides
//! it like any other (its rules, including future-time holds, apply as usual).

use super::store_err;
use crate::error::ApiError;
use crate::http::openapi::admin_answers::{Admitted, EventRequeued, OutOfWindowList};
use crate::http::openapi::schemas::ErrorBody;
use crate::http::AppState;
use crate::store::audit::Actor;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use chrono::DateTime;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    /// 200 by default, 1 to 5000.
    limit: Option<i64>,
}

/// Events outside the time window, oldest event time first
///
/// Well-formed events whose time was outside `events.accept_past_hours` /
/// `events.accept_future_secs` when they arrived: stored, but they clock no one until an
/// operator admits them. `reason` is `too_old` or `too_far_ahead`, `detail` names the setting;
/// `total` counts every one waiting.
#[utoipa::path(get, path = "/admin/out-of-window", tag = "admin", operation_id = "list_out_of_window", params(ListQuery), responses(
    (status = 200, description = "The events waiting to be admitted", body = OutOfWindowList),
    (status = 400, description = "`http_error`: an unknown query parameter, or `limit` not a number",
        body = ErrorBody),
))]
pub(super) async fn list(
    State(s): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(200).clamp(1, 5000);
    let items = s
        .store()
        .out_of_window_events(limit)
        .await
        .map_err(store_err)?;
    let total = s
        .store()
        .count_out_of_window_events()
        .await
        .map_err(store_err)?;
    Ok(Json(
        json!({"total": total, "count": items.len(), "items": items}),
    ))
}

/// Admit one event outside the time window
///
/// The event becomes `new` and is decided like any other event.
#[utoipa::path(post, path = "/admin/events/{event_id}/admit", tag = "admin",
    params(("event_id" = String, Path, description = "HikCentral's eventId")),
    responses(
        (status = 202, description = "Back to `new`", body = EventRequeued),
        (status = 409, description = "`not_out_of_window`: no such event, or it is not \
            `out_of_window`", body = ErrorBody),
    ))]
pub(super) async fn admit_one(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(event_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let admitted = s
        .store()
        .admit_event(&event_id, &actor, chrono::Utc::now().timestamp_millis())
        .await
        .map_err(store_err)?;
    if !admitted {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_out_of_window",
            format!("event {event_id} does not exist or is not out_of_window"),
        ));
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"event_id": event_id, "state": "new"})),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct RangeQuery {
    /// RFC 3339 with an offset: the earliest event time admitted.
    from: String,
    /// RFC 3339 with an offset: event times before this are admitted (`to` itself is not).
    to: String,
}

/// Admit the events outside the time window that happened in a range
///
/// `POST /admin/events/admit?from=2026-10-01T00:00:00-05:00&to=2026-11-01T00:00:00-05:00`:
/// every `out_of_window` event whose time is in `from .. to` becomes `new` and is decided like
/// any other. Both ends are required, so junk times (the year 1, the year 9999) are never
/// admitted by accident.
#[utoipa::path(post, path = "/admin/events/admit", tag = "admin", params(RangeQuery),
    responses(
        (status = 200, description = "How many events are admitted", body = Admitted),
        (status = 400, description = "`bad_request`: a time without an offset, or `from` not \
            before `to`; `http_error`: `from` or `to` missing", body = ErrorBody),
    ))]
pub(super) async fn admit_range(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(q): Query<RangeQuery>,
) -> Result<Json<Value>, ApiError> {
    let from = instant("from", &q.from)?;
    let to = instant("to", &q.to)?;
    if from >= to {
        return Err(ApiError::bad_request(format!(
            "from ({}) must be before to ({})",
            q.from.escape_debug(),
            q.to.escape_debug()
        )));
    }
    let events = s
        .store()
        .admit_out_of_window(from, to, &actor, chrono::Utc::now().timestamp_millis())
        .await
        .map_err(store_err)?;
    Ok(Json(json!({"from": q.from, "to": q.to, "events": events})))
}

/// An RFC 3339 time in UTC milliseconds, or a 400 naming the parameter.
fn instant(name: &str, value: &str) -> Result<i64, ApiError> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            ApiError::bad_request(format!(
                "{name} {:?} is not an RFC 3339 time with an offset, like \
                 2026-10-01T00:00:00-05:00",
                value.escape_debug().to_string()
            ))
        })
}
