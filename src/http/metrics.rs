//! `GET /metrics`: Prometheus text. Counters and histograms come from where things happen
//! ([`crate::metrics`]); the state gauges are read here, at scrape time, from the store, the
//! workers' registry and the delivery status.

use crate::app::AppState;
use crate::metrics::Snapshot;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// The Prometheus text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub async fn metrics(State(state): State<AppState>) -> Response {
    let Some(handle) = crate::metrics::handle() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "another metrics recorder is installed in this process",
        )
            .into_response();
    };
    crate::metrics::set_snapshot(&snapshot(&state).await);
    handle.run_upkeep();
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], handle.render()).into_response()
}

/// The state gauges; a figure the store cannot give now is left as it was.
async fn snapshot(state: &AppState) -> Snapshot {
    let store = state.store();
    let read = Duration::from_secs(2);
    let outbox = match tokio::time::timeout(read, store.punches().counts()).await {
        Ok(Ok(counts)) => [
            "queued",
            "sending",
            "parked",
            "delivered",
            "dry_run",
            "discarded",
        ]
        .into_iter()
        .map(|s| {
            let n = counts.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
            (s, n)
        })
        .collect(),
        _ => Vec::new(),
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    let oldest_queued_age =
        match tokio::time::timeout(read, store.oldest_undelivered_punch_ms()).await {
            Ok(Ok(Some(created))) => Some(Duration::from_millis(
                u64::try_from(now_ms.saturating_sub(created)).unwrap_or(0),
            )),
            Ok(Ok(None)) => Some(Duration::ZERO),
            _ => None,
        };
    let workers = state
        .workers()
        .report()
        .workers
        .iter()
        .map(|(name, w)| ((*name).to_owned(), w.running))
        .collect();
    Snapshot {
        outbox,
        oldest_queued_age,
        workers,
        store_write_failing: store.write_health().failure().is_some(),
        delivery_paused: state.delivery().status().paused_reason.is_some(),
        poller_failing: state
            .poller_passes()
            .is_some_and(|p| p.snapshot().consecutive_failures > 0),
        leader: state.cluster_role().1,
    }
}
