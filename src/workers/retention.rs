//! Retention: every `retention.interval_secs`, remove raw events, finished punches, rejected
//! events, events left out of the time window and audit-log rows older than their configured
//! periods ([`crate::store::Store::prune`], [`crate::store::Store::prune_audit`]), so the
//! database does not grow without bound. Runs on the cluster leader.

use crate::config::RetentionSettings;
use crate::store::{PruneBefore, Store};
use chrono::{TimeDelta, Utc};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub async fn run(
    store: Store,
    settings: RetentionSettings,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    if settings.interval.is_zero() {
        tracing::info!("retention.interval_secs is 0: nothing is ever pruned");
        shutdown.cancelled().await;
        return Ok(());
    }
    loop {
        let now = Utc::now();
        let before = |age: Duration| {
            TimeDelta::from_std(age)
                .ok()
                .and_then(|age| now.checked_sub_signed(age))
                .map_or(i64::MIN, |t| t.timestamp_millis())
        };
        let cutoffs = PruneBefore {
            events_ms: before(settings.keep_events),
            punches_ms: before(settings.keep_punches),
            rejected_ms: before(settings.keep_rejected),
            out_of_window_ms: before(settings.keep_out_of_window),
        };
        match store.prune(&cutoffs).await {
            Ok(p) if p.total() > 0 => tracing::info!(
                events = p.events,
                punches = p.punches,
                rejected = p.rejected,
                out_of_window = p.out_of_window,
                "retention: old rows removed"
            ),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e.to_string().escape_debug(), "retention pass failed; retrying at the next interval")
            }
        }
        // The audit log keeps its own, much longer, period; removing rows moves the chain's
        // anchor and is itself recorded.
        match store.prune_audit(before(settings.keep_audit)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "retention: old audit-log rows removed"),
            Err(e) => {
                tracing::warn!(error = %e.to_string().escape_debug(), "audit-log retention failed; retrying at the next interval")
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            () = tokio::time::sleep(settings.interval) => {}
        }
    }
}
