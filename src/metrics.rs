//! Prometheus metrics: the names, one function per thing measured, and the exporter behind
//! `GET /metrics` (the `metrics` facade with `metrics-exporter-prometheus`, no hand-written
//! text format).
//!
//! Counters and histograms are recorded where things happen (ingest, decisions, deliveries,
//! upstream calls, pace waits, bulk jobs). Gauges that describe state (outbox depth and age,
//! events out of the time window, workers, write health, delivery pause, poller) are set when
//! `/metrics` is scraped, from the same sources `/ready` and `/admin/summary` read, so they can
//! never drift from them.
//!
//! Labels are fixed sets (a source, an outcome word, an upstream and its operation with ids
//! replaced): never a secret, a CI, an employee id or text from outside.

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

/// Histogram buckets for latencies, in seconds (1 ms … 60 s).
const SECONDS_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0,
];
/// Buckets for the events per group commit.
const BATCH_BUCKETS: [f64; 10] = [1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 2048.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Install the process-wide recorder once (later calls reuse it); `None` when another
/// recorder was installed first, in which case `/metrics` says so.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("hikbridge_ingest_batch_size".into()),
                        &BATCH_BUCKETS,
                    )
                });
            match builder.map(PrometheusBuilder::install_recorder) {
                Ok(Ok(h)) => Some(h),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "metrics recorder not installed: /metrics is empty");
                    None
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics buckets refused: /metrics is empty");
                    None
                }
            }
        })
        .as_ref()
}

/// Events stored by one commit, by `source` (`push` or `poll`), out-of-window ones included.
pub fn events_ingested(source: &'static str, count: u64) {
    counter!("hikbridge_events_ingested_total", "source" => source).increment(count);
}

/// Events stored outside the time window (kept for an operator to admit), by `source`.
pub fn events_out_of_window(source: &'static str, count: u64) {
    counter!("hikbridge_events_out_of_window_total", "source" => source).increment(count);
}

/// Events kept as rejected, by reason kind.
pub fn events_rejected(reason: &'static str, count: u64) {
    counter!("hikbridge_events_rejected_total", "reason" => reason).increment(count);
}

/// A whole push refused before anything was stored (wrong secret, too large, busy, …).
pub fn push_refused(reason: &'static str) {
    counter!("hikbridge_pushes_refused_total", "reason" => reason).increment(1);
}

/// One group commit of the inbox writer: how long and how many events.
pub fn ingest_commit(took: Duration, events: usize) {
    histogram!("hikbridge_ingest_commit_seconds").record(took.as_secs_f64());
    histogram!("hikbridge_ingest_batch_size").record(events as f64);
}

/// A decision recorded: `punch`, `skip`, `park` or `hold`.
pub fn decision(outcome: &'static str) {
    counter!("hikbridge_decisions_total", "outcome" => outcome).increment(1);
}

/// One delivery attempt's outcome: `delivered`, `parked`, `retry`, `dry_run`, `paused`.
pub fn punch_delivery(outcome: &'static str) {
    counter!("hikbridge_punch_deliveries_total", "outcome" => outcome).increment(1);
}

/// What Humand's `RateLimit` header says is left in the window.
pub fn humand_budget(remaining: u32, limit: u32) {
    gauge!("hikbridge_humand_budget_remaining").set(f64::from(remaining));
    gauge!("hikbridge_humand_budget_limit").set(f64::from(limit));
}

/// Time a call waited for its turn on an upstream's pace (`hikcentral` or `humand`).
pub fn pace_wait(upstream: &'static str, waited: Duration) {
    histogram!("hikbridge_pace_wait_seconds", "upstream" => upstream).record(waited.as_secs_f64());
}

/// One HTTP exchange with an upstream. `status` is the HTTP status, or `error` when no
/// answer came; `path` is reduced to an operation without ids.
pub fn upstream_request(upstream: &'static str, path: &str, status: Option<u16>, took: Duration) {
    let status = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
    histogram!(
        "hikbridge_upstream_request_duration_seconds",
        "upstream" => upstream,
        "operation" => operation_of(path),
        "status" => status
    )
    .record(took.as_secs_f64());
}

/// One person of a bulk job finished: `created`, `updated`, `skipped`, `failed`, ….
pub fn sync_job_item(outcome: &'static str) {
    counter!("hikbridge_sync_job_items_total", "outcome" => outcome).increment(1);
}

/// A lifecycle action ended: `action` and `outcome` are fixed words.
pub fn lifecycle_action(action: &'static str, outcome: &str) {
    let outcome: &'static str = match outcome {
        "ok" => "ok",
        "refused" => "refused",
        "partial" => "partial",
        "skipped" => "skipped",
        _ => "failed",
    };
    counter!("hikbridge_lifecycle_actions_total", "action" => action, "outcome" => outcome)
        .increment(1);
}

/// A lifecycle run failed as a whole (its roster or HikCentral's list could not be read).
pub fn lifecycle_run_failed() {
    counter!("hikbridge_lifecycle_runs_failed_total").increment(1);
}

/// Erasures were stopped (a refused admin password, or deletion unsupported).
pub fn lifecycle_erasure_halted() {
    counter!("hikbridge_lifecycle_erasure_halts_total").increment(1);
}

/// A request's audit row could not be written (the request had already been answered).
pub fn audit_write_failed() {
    counter!("hikbridge_audit_write_failures_total").increment(1);
}

/// A call refused for a missing scope, by client name (configured names only: bounded).
pub fn access_denied(client: &str) {
    counter!("hikbridge_access_denied_total", "client" => client.to_owned()).increment(1);
}

/// State read at scrape time (see the module doc), also what alerts are decided on.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    /// (state, count) of punches in the outbox; empty when the store did not answer.
    pub outbox: Vec<(&'static str, i64)>,
    /// Age of the oldest punch waiting to go out (zero when none waits); `None`: unknown now.
    pub oldest_queued_age: Option<Duration>,
    /// (worker, up).
    pub workers: Vec<(String, bool)>,
    /// The database's message while store writes fail.
    pub store_write_failure: Option<String>,
    /// Events waiting in the inbox as `out_of_window` (for an operator); `None`: unknown now.
    pub out_of_window_events: Option<i64>,
    /// Why delivery is paused, while it is.
    pub delivery_paused: Option<String>,
    /// Back-fill passes failed in a row, and the latest error.
    pub poller_failures: u32,
    pub poller_error: Option<String>,
    pub leader: bool,
    /// The lifecycle's state for operators; `None`: unknown now (the store did not answer).
    pub lifecycle: Option<LifecycleStatus>,
}

/// What of the lifecycle needs a person.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LifecycleStatus {
    /// (run id, why) of a plan held for an administrator's approval.
    pub held: Option<(String, String)>,
    /// (run id, error) of the newest run, when it failed.
    pub failed: Option<(String, String)>,
    /// Why erasures are stopped, when they are.
    pub erasure_halt: Option<String>,
}

impl Snapshot {
    /// Punches in `state`, when the store answered.
    pub fn outbox_count(&self, state: &str) -> Option<i64> {
        self.outbox
            .iter()
            .find(|(s, _)| *s == state)
            .map(|(_, n)| *n)
    }
}

/// Set the state gauges from `snap`.
pub fn set_snapshot(snap: &Snapshot) {
    for (state, n) in &snap.outbox {
        gauge!("hikbridge_outbox_depth", "state" => *state).set(*n as f64);
    }
    if let Some(age) = snap.oldest_queued_age {
        gauge!("hikbridge_outbox_oldest_age_seconds").set(age.as_secs_f64());
    }
    for (worker, up) in &snap.workers {
        gauge!("hikbridge_worker_up", "worker" => worker.clone()).set(flag(*up));
    }
    if let Some(n) = snap.out_of_window_events {
        gauge!("hikbridge_events_out_of_window").set(n as f64);
    }
    gauge!("hikbridge_store_write_failing").set(flag(snap.store_write_failure.is_some()));
    gauge!("hikbridge_delivery_paused").set(flag(snap.delivery_paused.is_some()));
    gauge!("hikbridge_poller_failing").set(flag(snap.poller_failures > 0));
    gauge!("hikbridge_cluster_leader").set(flag(snap.leader));
    if let Some(l) = &snap.lifecycle {
        gauge!("hikbridge_lifecycle_plan_held").set(flag(l.held.is_some()));
        gauge!("hikbridge_lifecycle_erasure_halted").set(flag(l.erasure_halt.is_some()));
    }
}

fn flag(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// A path as a label: the query dropped, the `/artemis/api` and `/public/api/v1` prefixes
/// dropped, and any segment holding a digit (an id, a CI, a date) replaced by `{id}`.
pub fn operation_of(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let path = path
        .strip_prefix("/artemis/api/")
        .or_else(|| path.strip_prefix("/public/api/v1/"))
        .unwrap_or(path)
        .trim_matches('/');
    let parts: Vec<&str> = path
        .split('/')
        .take(8)
        .map(|seg| {
            if seg.chars().any(|c| c.is_ascii_digit()) && !is_version(seg) {
                "{id}"
            } else if seg.len() > 40
                || !seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            {
                "{other}"
            } else {
                seg
            }
        })
        .collect();
    parts.join("/")
}

/// `v1`, `v2`: part of the operation, not an id.
fn is_version(seg: &str) -> bool {
    seg.strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.len() <= 2 && n.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_keep_no_id_and_no_outside_text() {
        assert_eq!(
            operation_of("/artemis/api/resource/v1/person/single/add"),
            "resource/v1/person/single/add"
        );
        assert_eq!(
            operation_of("/public/api/v1/users/10000001/time-tracking?x=1"),
            "users/{id}/time-tracking"
        );
        assert_eq!(
            operation_of("/public/api/v1/time-tracking/day-summaries/2026-01-27"),
            "time-tracking/day-summaries/{id}"
        );
        assert_eq!(operation_of("/x/<script>/y"), "x/{other}/y");
        assert_eq!(operation_of("/a/b/c/d/e/f/g/h/i/j/k").split('/').count(), 8);
    }
}
