//! `/health` (liveness: the process answers) and `/ready` (readiness: JSON per dependency).

use crate::http::openapi::schemas::{Health, Readiness};
use crate::http::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};
use std::time::Duration;

/// Liveness: the process answers
///
/// No dependency is consulted, so a slow database never restarts the container.
#[utoipa::path(get, path = "/health", tag = "service", responses(
    (status = 200, description = "The process answers", body = Health)
))]
pub async fn live() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// Readiness: JSON per dependency
///
/// The store must answer and accept writes, and no worker may be failing; upstream
/// trouble is a warning (the service keeps accepting and queueing work) and does not fail
/// readiness. A failed write keeps readiness at 503, with the database's message, until a
/// write succeeds again (the heartbeat retries one every few seconds).
#[utoipa::path(get, path = "/ready", tag = "service", responses(
    (status = 200, description = "`ready`, or `degraded` while an upstream warns", body = Readiness),
    (status = 503, description = "`not_ready`: the store fails or a worker is failing", body = Readiness),
))]
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let backend = state.store().backend().to_string();
    let store = match tokio::time::timeout(Duration::from_secs(2), state.store().ping()).await {
        Ok(Ok(())) => match state.store().write_health().failure() {
            None => json!({"status": "ok", "backend": backend}),
            Some(f) => json!({
                "status": "error",
                "backend": backend,
                "error": format!("writes are failing since {}: {}", f.since.to_rfc3339(), f.error),
                "failures": f.failures,
            }),
        },
        Ok(Err(e)) => json!({"status": "error", "backend": backend, "error": e.to_string()}),
        Err(_) => json!({"status": "error", "backend": backend, "error": "no answer within 2 s"}),
    };
    let report = state.workers().report();
    let workers_ok = report.ok;
    let workers = json!({
        "status": if workers_ok { "ok" } else { "error" },
        "workers": report.workers,
    });
    let (replica, leader) = state.cluster_role();
    let cluster = json!({"replica": replica, "role": if leader { "leader" } else { "follower" }});
    let upstreams = state.upstream_report();
    let store_ok = store["status"] == "ok";
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
        "cluster": cluster,
        "checks": {"store": store, "workers": workers, "upstreams": upstreams},
    });
    (status, Json(body))
}
