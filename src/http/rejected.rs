//! `GET /admin/rejected`: the newest events that could not be used, with the reason (behind
//! the admin bearer, like the rest of `/admin`).

use crate::error::ApiError;
use crate::store::Store;
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;

use super::openapi::admin_answers::RejectedList;
use super::openapi::schemas::ErrorBody;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RejectedQuery {
    /// 50 by default, 1 to 1000.
    limit: Option<i64>,
}

/// Events that could not be used, newest first
///
/// `?limit=` (50 by default, at most 1000); `total` counts every kept row.
#[utoipa::path(get, path = "/admin/rejected", tag = "admin", operation_id = "list_rejected",
    params(RejectedQuery), responses(
    (status = 200, description = "The newest rejected events with the reason", body = RejectedList),
    (status = 400, description = "`http_error`: an unknown query parameter, or `limit` not a number",
        body = ErrorBody),
))]
pub async fn list(
    State(store): State<Store>,
    Query(q): Query<RejectedQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 1000);
    let items = store
        .newest_rejected_events(limit)
        .await
        .map_err(ApiError::internal)?;
    let total = store
        .count_rejected_events()
        .await
        .map_err(ApiError::internal)?;
    let items: Vec<Value> = items
        .into_iter()
        .map(|r| {
            json!({
                "event_id": r.event_id,
                "source": r.source,
                "reason": r.reason,
                "received_at_ms": r.received_at_ms,
                "received_at": chrono::DateTime::from_timestamp_millis(r.received_at_ms)
                    .map(|t| t.to_rfc3339()),
                "raw": r.raw,
            })
        })
        .collect();
    Ok(Json(
        json!({"total": total, "count": items.len(), "items": items}),
    ))
}
