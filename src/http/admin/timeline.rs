//! `GET /admin/timeline/{employee}/{day}`: one employee's local day, event by event, with each
//! decision and its punch's delivery.

use super::store_err;
use crate::error::ApiError;
use crate::http::openapi::admin_answers::Timeline;
use crate::http::openapi::schemas::ErrorBody;
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::Json;
use chrono::{NaiveDate, TimeZone};
use serde_json::{json, Value};

/// One employee's day
///
/// Everything about one employee's local day: events → decisions → deliveries.
#[utoipa::path(get, path = "/admin/timeline/{employee}/{day}", tag = "admin",
    params(
        ("employee" = String, Path, description = "A Humand employeeId"),
        ("day" = String, Path, description = "A local day, `YYYY-MM-DD` (`attendance` time zone)"),
    ),
    responses(
        (status = 200, description = "The day", body = Timeline),
        (status = 400, description = "`bad_request`: the day is not `YYYY-MM-DD`", body = ErrorBody),
    ))]
pub(super) async fn timeline(
    State(s): State<AppState>,
    Path((employee, day)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let date = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request(format!("day {day:?} is not YYYY-MM-DD")))?;
    let tz = s.settings().attendance.time_zone;
    let bound = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| tz.from_local_datetime(&t).earliest())
            .map(|t| t.timestamp_millis())
            .ok_or_else(|| ApiError::bad_request(format!("day {d} has no local midnight")))
    };
    let from = bound(date)?;
    let to = bound(date.succ_opt().unwrap_or(date))?;
    let events = s
        .store()
        .employee_events(&employee, from, to)
        .await
        .map_err(store_err)?;
    // One query for the day's punches, not one per event.
    let ids: Vec<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
    let mut punches = s
        .store()
        .punches()
        .by_events(&ids)
        .await
        .map_err(store_err)?;
    let mut rows = Vec::new();
    for ev in events {
        let punch = punches.remove(&ev.event_id);
        rows.push(json!({
            "event_id": ev.event_id, "happen_time": ev.happen_time, "door": ev.door_name, "event_type": ev.event_type,
            "source": ev.source, "state": ev.state, "decision": ev.decision, "reason": ev.reason, "detail": ev.detail,
            "punch": punch,
        }));
    }
    Ok(Json(
        json!({"employee": employee, "day": day, "time_zone": tz.name(), "timeline": rows}),
    ))
}
