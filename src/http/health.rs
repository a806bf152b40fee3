//! `/health` (liveness: the process answers) and `/ready` (readiness: JSON per dependency).

use crate::app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};
use std::time::Duration;

/// Liveness: no dependency is consulted, so a slow database never restarts the container.
pub async fn live() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// Readiness: the store must answer and every worker must be running; upstream trouble is a
/// warning (the service keeps accepting and queueing work) and does not fail readiness.
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let store = match tokio::time::timeout(Duration::from_secs(2), state.store().ping()).await {
        Ok(Ok(())) => json!({"status": "ok", "backend": state.store().backend().to_string()}),
        Ok(Err(e)) => json!({"status": "error", "error": e.to_string()}),
        Err(_) => json!({"status": "error", "error": "no answer within 2 s"}),
    };
    let workers = state.workers().report();
    let upstreams = state.upstream_report();
    let store_ok = store["status"] == "ok";
    let workers_ok = workers["status"] == "ok";
    let warning = upstreams
        .as_object()
        .is_some_and(|m| m.values().any(|u| u["status"] == "warning"));
    let (status, overall) = match (store_ok && workers_ok, warning) {
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
        (true, true) => (StatusCode::OK, "degraded"),
        (true, false) => (StatusCode::OK, "ready"),
    };
    let body: Value = json!({
        "status": overall,
        "checks": {"store": store, "workers": workers, "upstreams": upstreams},
    });
    (status, Json(body))
}
