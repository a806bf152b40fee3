//! What state the service is in right now, gathered in one place for `/metrics` and the
//! built-in alerts: the outbox, the workers, store writes, the delivery pause and the poller.

use crate::metrics::Snapshot;
use crate::store::Store;
use crate::upstream::health::UpstreamHealth;
use crate::workers::delivery::Delivery;
use crate::workers::Workers;
use std::sync::Arc;
use std::time::Duration;

/// The handles a [`Snapshot`] is read from; cheap to clone.
#[derive(Clone)]
pub struct StatusSources {
    pub store: Store,
    pub workers: Workers,
    pub delivery: Delivery,
    /// The door-event back-fill's passes (`None` without HikCentral).
    pub poller: Option<Arc<UpstreamHealth>>,
    pub leader: tokio::sync::watch::Receiver<bool>,
}

impl StatusSources {
    /// Read everything; a figure the store cannot give within 2 s is left out (`outbox` empty,
    /// `oldest_queued_age` and `out_of_window_events` `None`).
    pub async fn snapshot(&self) -> Snapshot {
        let read = Duration::from_secs(2);
        let outbox = match tokio::time::timeout(read, self.store.punches().counts()).await {
            Ok(Ok(counts)) => crate::store::PunchState::ALL
                .iter()
                .map(|&s| {
                    let n = counts.iter().find(|(k, _)| *k == s).map_or(0, |(_, n)| *n);
                    (s.as_str(), n)
                })
                .collect(),
            _ => Vec::new(),
        };
        let now_ms = chrono::Utc::now().timestamp_millis();
        let oldest_queued_age =
            match tokio::time::timeout(read, self.store.oldest_undelivered_punch_ms()).await {
                Ok(Ok(Some(created))) => Some(Duration::from_millis(
                    u64::try_from(now_ms.saturating_sub(created)).unwrap_or(0),
                )),
                Ok(Ok(None)) => Some(Duration::ZERO),
                _ => None,
            };
        let out_of_window_events =
            match tokio::time::timeout(read, self.store.count_out_of_window_events()).await {
                Ok(Ok(n)) => Some(n),
                _ => None,
            };
        let report = self.workers.report();
        let workers = report
            .workers
            .iter()
            .map(|(name, w)| ((*name).to_owned(), w.running))
            .collect();
        let poller = self.poller.as_ref().map(|p| p.snapshot());
        let lifecycle = match tokio::time::timeout(read, self.lifecycle_status()).await {
            Ok(Ok(l)) => Some(l),
            _ => None,
        };
        Snapshot {
            outbox,
            oldest_queued_age,
            out_of_window_events,
            workers,
            store_write_failure: self.store.write_health().failure().map(|f| f.error),
            delivery_paused: self.delivery.status().paused_reason,
            poller_failures: poller.as_ref().map_or(0, |p| p.consecutive_failures),
            poller_error: poller.and_then(|p| p.last_error),
            leader: *self.leader.borrow(),
            lifecycle,
        }
    }

    /// A held plan, the newest run when it failed (or was applied with failed actions), and a
    /// halt of erasures.
    async fn lifecycle_status(
        &self,
    ) -> Result<crate::metrics::LifecycleStatus, crate::store::StoreError> {
        use crate::store::lifecycle::RunState;
        let runs = self.store.lifecycle_runs(20).await?;
        let held = runs
            .iter()
            .find(|r| r.state == RunState::Held)
            .map(|r| (r.id.clone(), r.held_reason.clone().unwrap_or_default()));
        let failed = self.store.lifecycle_latest_failure().await?;
        let erasure_halt = self.store.erasure_halt().await?.map(|h| h.message);
        Ok(crate::metrics::LifecycleStatus {
            held,
            failed,
            erasure_halt,
        })
    }
}
