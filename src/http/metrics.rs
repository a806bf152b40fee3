//! `GET /metrics`: Prometheus text. Counters and histograms come from where things happen
//! ([`crate::metrics`]); the state gauges are read here, at scrape time, through
//! [`crate::status::StatusSources`].

use crate::http::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// The Prometheus text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Prometheus metrics
///
/// Served here unless `metrics.listen` is set; then only on that address.
#[utoipa::path(get, path = "/metrics", tag = "service", responses(
    (status = 200, description = "The Prometheus text exposition format",
     content_type = "text/plain; version=0.0.4; charset=utf-8", body = String,
     example = "# TYPE hikbridge_events_ingested_total counter\nhikbridge_events_ingested_total{source=\"push\"} 12\n"),
    (status = 503, description = "`internal`: another metrics recorder is installed in this \
        process",
     body = crate::http::openapi::schemas::ErrorBody),
))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let Some(handle) = crate::metrics::handle() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "another metrics recorder is installed in this process",
        )
            .into_response();
    };
    crate::metrics::set_snapshot(&state.status().snapshot().await);
    handle.run_upkeep();
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], handle.render()).into_response()
}
