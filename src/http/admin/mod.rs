//! The admin API (bearer tokens from `api.tokens`): punches and parked items with their
//! reasons, retry or discard, an employee's day (events → decisions → deliveries), employee-id
//! overrides (also as CSV), doors waiting to be mapped, and events outside the time window
//! (listed and admitted: out_of_window.rs).

pub(super) mod audit;
pub(super) mod out_of_window;
pub(super) mod overrides;
pub(super) mod timeline;

use crate::error::ApiError;
use crate::http::AppState;
use crate::store::audit::Actor;
use crate::store::PunchFilter;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;

use super::openapi::admin_answers::{
    DoorList, EventRequeued, EventWithPunch, NotParked, Parked, PunchList, PunchMoved, Redecided,
    Summary,
};
use super::openapi::schemas::ErrorBody;

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/summary", get(summary))
        .route("/admin/punches", get(list_punches))
        .route("/admin/punches/{id}/retry", post(retry_punch))
        .route("/admin/punches/{id}/discard", post(discard_punch))
        .route("/admin/parked", get(parked))
        .route("/admin/events/{event_id}", get(event))
        .route("/admin/events/{event_id}/retry", post(retry_event))
        .route("/admin/timeline/{employee}/{day}", get(timeline::timeline))
        .route(
            "/admin/overrides",
            get(overrides::list_overrides).post(overrides::import_overrides),
        )
        .route(
            "/admin/overrides/{person_code}",
            put(overrides::set_override).delete(overrides::delete_override),
        )
        .route("/admin/doors/unmapped", get(unmapped_doors))
        .route("/admin/events/redecide", post(redecide))
        .route("/admin/out-of-window", get(out_of_window::list))
        .route(
            "/admin/events/{event_id}/admit",
            post(out_of_window::admit_one),
        )
        .route("/admin/events/admit", post(out_of_window::admit_range))
        .route("/admin/rejected", get(super::rejected::list))
        .route("/admin/session", get(audit::session))
        .route("/admin/audit", get(audit::list))
        .route("/admin/audit.csv", get(audit::csv))
        .route("/admin/people/{ci}/history", get(audit::person_history))
        .route_layer(axum::middleware::map_response(super::times::add_rfc3339))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            super::auth::require_scope,
        ))
}

fn store_err(e: crate::store::StoreError) -> ApiError {
    ApiError::internal(e)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Counts at a glance
///
/// Events, rejected events, punches per state, parked events, events outside the time window,
/// unmapped doors and delivery.
#[utoipa::path(get, path = "/admin/summary", tag = "admin", responses(
    (status = 200, description = "The counts", body = Summary)
))]
async fn summary(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    let counts = s.store().punches().counts().await.map_err(store_err)?;
    let punches: serde_json::Map<String, Value> = counts
        .into_iter()
        .map(|(k, n)| (k.as_str().to_owned(), json!(n)))
        .collect();
    let parked_events = s.store().count_parked_events().await.map_err(store_err)?;
    let unmapped = s.store().unmapped_doors().await.map_err(store_err)?.len();
    let out_of_window = s
        .store()
        .count_out_of_window_events()
        .await
        .map_err(store_err)?;
    Ok(Json(json!({
        "events": s.store().inbox().count().await.map_err(store_err)?,
        "rejected_events": s.store().count_rejected_events().await.map_err(store_err)?,
        "punches": punches,
        "parked_events": parked_events,
        "out_of_window_events": out_of_window,
        "unmapped_doors": unmapped,
        "delivery": s.delivery().status(),
    })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct PunchQuery {
    /// `queued`, `sending`, `delivered`, `parked`, `dry_run` or `discarded`.
    state: Option<String>,
    /// A Humand employeeId.
    employee: Option<String>,
    /// A local day, `YYYY-MM-DD`.
    day: Option<String>,
    /// 200 by default, 1 to 5000.
    limit: Option<i64>,
}

/// Punches, oldest first
#[utoipa::path(get, path = "/admin/punches", tag = "admin", params(PunchQuery), responses(
    (status = 200, description = "The punches", body = PunchList),
    (status = 400, description = "`http_error`: a query value of the wrong type", body = ErrorBody),
))]
async fn list_punches(
    State(s): State<AppState>,
    Query(q): Query<PunchQuery>,
) -> Result<Json<Value>, ApiError> {
    // A misspelt filter must not quietly list everything.
    let state = match q.state.as_deref() {
        None => None,
        Some(word) => Some(word.parse::<crate::store::PunchState>().map_err(|_| {
            ApiError::bad_request(format!(
                "state {:?} is not a punch state; use one of {}",
                word.escape_debug().to_string(),
                crate::store::PunchState::words()
            ))
        })?),
    };
    if let Some(day) = q.day.as_deref() {
        if NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err() {
            return Err(ApiError::bad_request(format!(
                "day {:?} is not a date like 2026-01-27 (YYYY-MM-DD)",
                day.escape_debug().to_string()
            )));
        }
    }
    let filter = PunchFilter {
        state,
        employee_id: q.employee,
        local_day: q.day,
        limit: q.limit.unwrap_or(200).clamp(1, 5000),
    };
    let items = s.store().punches().list(&filter).await.map_err(store_err)?;
    Ok(Json(json!({"count": items.len(), "items": items})))
}

/// Parked punches and parked events
#[utoipa::path(get, path = "/admin/parked", tag = "admin", responses(
    (status = 200, description = "Everything parked (5000 of each at most)", body = Parked)
))]
async fn parked(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    let filter = PunchFilter {
        state: Some(crate::store::PunchState::Parked),
        limit: 5000,
        ..PunchFilter::default()
    };
    let punches = s.store().punches().list(&filter).await.map_err(store_err)?;
    let events = s.store().parked_events(5000).await.map_err(store_err)?;
    Ok(Json(json!({"punches": punches, "events": events})))
}

/// Queue a parked punch for delivery again
#[utoipa::path(post, path = "/admin/punches/{id}/retry", tag = "admin",
    params(("id" = i64, Path, description = "The punch's id")),
    responses(
        (status = 202, description = "Queued", body = PunchMoved,
            example = json!({"id": 42, "state": "queued"})),
        NotParked,
    ))]
async fn retry_punch(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    if s.store()
        .retry_parked_punch(id, &actor, now_ms())
        .await
        .map_err(store_err)?
    {
        s.delivery().wake();
        Ok((
            StatusCode::ACCEPTED,
            Json(json!({"id": id, "state": "queued"})),
        ))
    } else {
        Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_parked",
            format!("punch {id} does not exist or is not parked"),
        ))
    }
}

/// Discard a parked punch
#[utoipa::path(post, path = "/admin/punches/{id}/discard", tag = "admin",
    params(("id" = i64, Path, description = "The punch's id")),
    responses(
        (status = 200, description = "Discarded", body = PunchMoved,
            example = json!({"id": 42, "state": "discarded"})),
        NotParked,
    ))]
async fn discard_punch(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    if s.store()
        .discard_parked_punch(id, &actor, now_ms())
        .await
        .map_err(store_err)?
    {
        Ok(Json(json!({"id": id, "state": "discarded"})))
    } else {
        Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_parked",
            format!("punch {id} does not exist or is not parked"),
        ))
    }
}

/// One stored event and its punch
#[utoipa::path(get, path = "/admin/events/{event_id}", tag = "admin",
    params(("event_id" = String, Path, description = "HikCentral's eventId")),
    responses(
        (status = 200, description = "The event; `punch` is null when it made none",
            body = EventWithPunch),
        (status = 404, description = "`not_found`: no such event", body = ErrorBody),
    ))]
async fn event(
    State(s): State<AppState>,
    Path(event_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ev = s.store().inbox().get(&event_id).await.map_err(store_err)?;
    let Some(ev) = ev else {
        return Err(ApiError::not_found(format!("no event {event_id}")));
    };
    let punch = s
        .store()
        .punches()
        .by_event(&event_id)
        .await
        .map_err(store_err)?;
    Ok(Json(json!({"event": ev, "punch": punch})))
}

/// Decide a parked event again
#[utoipa::path(post, path = "/admin/events/{event_id}/retry", tag = "admin",
    params(("event_id" = String, Path, description = "HikCentral's eventId")),
    responses(
        (status = 202, description = "Back to `new`", body = EventRequeued),
        (status = 409, description = "`not_parked`: no such event, or it is not parked",
            body = ErrorBody),
    ))]
async fn retry_event(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(event_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    if s.store()
        .retry_parked_event(&event_id, &actor, now_ms())
        .await
        .map_err(store_err)?
    {
        Ok((
            StatusCode::ACCEPTED,
            Json(json!({"event_id": event_id, "state": "new"})),
        ))
    } else {
        Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_parked",
            format!("event {event_id} does not exist or is not parked"),
        ))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct RedecideQuery {
    /// `unmapped_door`, `ignored_door` or `not_granted`.
    reason: String,
}

/// Decide skipped events again
///
/// `POST /admin/events/redecide?reason=unmapped_door`: after mapping doors (or changing the
/// rules), events skipped for that reason are decided again. Only skip reasons that a
/// configuration change can alter are accepted.
#[utoipa::path(post, path = "/admin/events/redecide", tag = "admin", params(RedecideQuery),
    responses(
        (status = 200, description = "How many events are decided again", body = Redecided),
        (status = 400, description = "`bad_request`: another reason; `http_error`: no reason",
            body = ErrorBody),
    ))]
async fn redecide(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(q): Query<RedecideQuery>,
) -> Result<Json<Value>, ApiError> {
    if !matches!(
        q.reason.as_str(),
        "unmapped_door" | "ignored_door" | "not_granted"
    ) {
        return Err(ApiError::bad_request(
            "reason must be unmapped_door, ignored_door or not_granted",
        ));
    }
    let n = s
        .store()
        .redecide_skipped(&q.reason, &actor, now_ms())
        .await
        .map_err(store_err)?;
    Ok(Json(json!({"reason": q.reason, "events": n})))
}

/// Doors waiting to be mapped
#[utoipa::path(get, path = "/admin/doors/unmapped", tag = "admin", responses(
    (status = 200, description = "Doors events came from that `attendance.doors` does not map",
        body = DoorList)
))]
async fn unmapped_doors(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    let items: Vec<Value> = s
        .store()
        .unmapped_doors()
        .await
        .map_err(store_err)?
        .into_iter()
        .map(|(index, name, events)| {
            json!({"door_index": index, "door_name": name, "events": events,
                   "map_with": format!("attendance.doors = [\"code:{index}=entry\"]  (or exit | toggle | ignore)")})
        })
        .collect();
    Ok(Json(json!({"count": items.len(), "items": items})))
}
