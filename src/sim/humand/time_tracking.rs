//! `/time-tracking/entries`: clockIn, clockOut and the per-employee listing.

use super::errors::ApiError;
use super::store::{ClockRequest, EntryKind};
use super::{lock, query, Shared};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/time-tracking/entries", get(list))
        .route("/time-tracking/day-summaries", get(day_summaries))
        .route("/time-tracking/entries/clockIn", post(clock_in))
        .route("/time-tracking/entries/clockOut", post(clock_out))
}

async fn clock_in(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    clock(&shared, EntryKind::Start, &body)
}

async fn clock_out(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    clock(&shared, EntryKind::End, &body)
}

fn clock(shared: &Shared, kind: EntryKind, body: &[u8]) -> Response {
    shared.clock_requests.fetch_add(1, Ordering::SeqCst);
    let mut req = match parse_clock_body(body, kind) {
        Ok(req) => req,
        Err(e) => return e.into_response(),
    };
    if shared.truncate_to_minute.load(Ordering::SeqCst) {
        use chrono::{DurationRound, TimeDelta};
        req.time = req
            .time
            .duration_trunc(TimeDelta::minutes(1))
            .unwrap_or(req.time);
    }
    let now = Utc::now();
    let latest_allowed = now
        .checked_add_signed(shared.future_tolerance)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    match lock(&shared.store).clock(req, now, latest_allowed) {
        Ok(entry) => (StatusCode::CREATED, Json(entry.to_json())).into_response(),
        Err(rule) => ApiError::new(shared.business_rule_status, "INVALID_DATA", rule.message())
            .into_response(),
    }
}

/// `{employeeId, now, comment?}`; `employeeId` as a string or a positive integer.
pub(crate) fn parse_clock_body(body: &[u8], kind: EntryKind) -> Result<ClockRequest, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("Body is not valid JSON: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(ApiError::invalid("Body must be a JSON object"));
    };
    let employee_id = match obj.get("employeeId") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n > 0) => n.to_string(),
        Some(_) => {
            return Err(ApiError::invalid(
                "employeeId must be a non-empty string or a positive integer",
            ))
        }
        None => return Err(ApiError::invalid("employeeId is required")),
    };
    let time = match obj.get("now") {
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map_err(|_| ApiError::invalid("now must be an RFC 3339 date-time"))?
            .with_timezone(&Utc),
        Some(_) => return Err(ApiError::invalid("now must be an RFC 3339 date-time")),
        None => return Err(ApiError::invalid("now is required")),
    };
    let comment = match obj.get("comment") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ApiError::invalid("comment must be a string")),
    };
    Ok(ClockRequest {
        employee_id,
        kind,
        time,
        comment,
    })
}

async fn list(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    if shared.entries_listing_refused.load(Ordering::SeqCst) {
        return Err(ApiError::invalid(
            "Bad Request: time tracking entries cannot be listed",
        ));
    }
    let q = query::params(raw.as_deref());
    let employee_id = q
        .get("employeeId")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid("employeeId is required"))?;
    let from = date_param(&q, "startDate")?;
    let to = date_param(&q, "endDate")?;
    if from > to {
        return Err(ApiError::invalid("startDate must not be after endDate"));
    }
    let page = query::page(&q)?;
    // The spec: minimum 10, default 10; production refused more than 50.
    let limit = query::limit(&q, 10, 10..=50)?;
    let store = lock(&shared.store);
    let all = store.entries_between(employee_id, from, to);
    let items: Vec<Value> = query::slice(&all, page, limit)
        .iter()
        .map(|e| e.to_json())
        .collect();
    Ok(Json(json!({
        "limit": limit,
        "page": page,
        "totalPages": all.len().div_ceil(limit as usize),
        "count": all.len(),
        "items": items,
    })))
}

/// Most day summaries in one answer: more are cut silently and `totalPages` stays 1, as
/// integrators report of production.
const DAY_SUMMARY_CAP: usize = 500;

/// `GET /time-tracking/day-summaries?employeeIds=a,b&startDate&endDate&page&limit`: one summary
/// per employee and day with that day's entries.
async fn day_summaries(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    if shared.day_summaries_refused.load(Ordering::SeqCst) {
        return Err(ApiError::invalid(
            "Bad Request: day summaries cannot be listed",
        ));
    }
    let q = query::params(raw.as_deref());
    let ids: Vec<&str> = q
        .get("employeeIds")
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if ids.is_empty() {
        return Err(ApiError::invalid("employeeIds is required"));
    }
    let from = date_param(&q, "startDate")?;
    let to = date_param(&q, "endDate")?;
    if from > to {
        return Err(ApiError::invalid("startDate must not be after endDate"));
    }
    let page = query::page(&q)?;
    let limit = query::limit(&q, 10, 10..=500)?;
    let store = lock(&shared.store);
    let mut summaries = Vec::new();
    for id in ids {
        let Some(user) = store.user(id) else { continue };
        let mut day = from;
        while day <= to && summaries.len() < DAY_SUMMARY_CAP {
            let entries: Vec<Value> = store
                .entries_between(id, day, day)
                .iter()
                .map(|e| e.to_json())
                .collect();
            summaries.push(json!({
                "id": format!("{id}-{day}"),
                "referenceDate": day.format("%Y-%m-%d").to_string(),
                "employeeId": id,
                "userId": user.id,
                "isWorkday": true,
                "hasSchedule": false,
                "hours": {"worked": 0.0, "scheduled": 0.0, "estimated": 0.0, "timeOff": 0.0},
                "entries": entries,
                "incidences": [],
            }));
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
    }
    let items: Vec<Value> = query::slice(&summaries, page, limit).to_vec();
    Ok(Json(json!({
        "limit": limit,
        "page": page,
        "totalPages": 1,
        "count": items.len(),
        "items": items,
    })))
}

fn date_param(q: &HashMap<String, String>, name: &str) -> Result<NaiveDate, ApiError> {
    let raw = q
        .get(name)
        .ok_or_else(|| ApiError::invalid(format!("{name} is required")))?;
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid(format!("{name} must be a date as YYYY-MM-DD")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<ClockRequest, ApiError> {
        parse_clock_body(body.as_bytes(), EntryKind::Start)
    }

    #[test]
    fn employee_id_may_be_a_string_or_a_positive_integer() {
        let r = parse(r#"{"employeeId":"43013830","now":"2026-01-27T08:12:45-03:00"}"#).unwrap();
        assert_eq!(r.employee_id, "43013830");
        assert_eq!(r.time.to_rfc3339(), "2026-01-27T11:12:45+00:00");
        let r = parse(r#"{"employeeId":43013830,"now":"2026-01-27T11:12:45Z","comment":"Door 1"}"#)
            .unwrap();
        assert_eq!(r.employee_id, "43013830");
        assert_eq!(r.comment.as_deref(), Some("Door 1"));
    }

    #[test]
    fn malformed_bodies_are_invalid_data() {
        for body in [
            "",
            "not json",
            "[]",
            r#"{"now":"2026-01-27T11:12:45Z"}"#,
            r#"{"employeeId":"1"}"#,
            r#"{"employeeId":0,"now":"2026-01-27T11:12:45Z"}"#,
            r#"{"employeeId":-4,"now":"2026-01-27T11:12:45Z"}"#,
            r#"{"employeeId":"","now":"2026-01-27T11:12:45Z"}"#,
            r#"{"employeeId":"1","now":"2026-01-27 11:12"}"#,
            r#"{"employeeId":"1","now":"2026-01-27T11:12:45"}"#,
            r#"{"employeeId":"1","now":1769512365}"#,
            r#"{"employeeId":"1","now":"2026-01-27T11:12:45Z","comment":5}"#,
        ] {
            let err = parse(body)
                .err()
                .unwrap_or_else(|| panic!("{body} accepted"));
            assert_eq!(
                (err.status, err.code),
                (StatusCode::BAD_REQUEST, "INVALID_DATA")
            );
        }
    }
}
