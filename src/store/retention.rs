//! Removing what is no longer needed, in bounded batches so a large backlog never holds a long
//! write lock: raw events once decided and nothing waits on them, finished punches, rejected
//! events.

use super::{Store, StoreError};

/// Rows removed in one retention pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Pruned {
    pub events: u64,
    pub punches: u64,
    pub rejected: u64,
}

/// Rows per DELETE statement.
const BATCH: i64 = 2000;

impl Store {
    /// Remove, in batches: decided events that arrived before `events_before_ms` and whose
    /// punch (if any) is finished; delivered/dry-run/discarded punches last changed before
    /// `punches_before_ms`; rejected events received before `rejected_before_ms`.
    pub async fn prune(
        &self,
        events_before_ms: i64,
        punches_before_ms: i64,
        rejected_before_ms: i64,
    ) -> Result<Pruned, StoreError> {
        let punches = self
            .prune_batches(
                "DELETE FROM punches WHERE id IN (SELECT id FROM punches WHERE state IN \
                 ('delivered', 'dry_run', 'discarded') AND updated_at_ms < $1 LIMIT $2)",
                punches_before_ms,
            )
            .await?;
        let events = self
            .prune_batches(
                "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE \
                 e.state = 'decided' AND e.received_at_ms < $1 AND NOT EXISTS (SELECT 1 FROM \
                 punches p WHERE p.event_id = e.event_id AND p.state IN ('queued', 'sending', \
                 'parked')) LIMIT $2)",
                events_before_ms,
            )
            .await?;
        let rejected = self
            .prune_batches(
                "DELETE FROM rejected_events WHERE id IN (SELECT id FROM rejected_events \
                 WHERE received_at_ms < $1 LIMIT $2)",
                rejected_before_ms,
            )
            .await?;
        Ok(Pruned {
            events,
            punches,
            rejected,
        })
    }

    async fn prune_batches(&self, sql: &str, before_ms: i64) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let done = sqlx::query(sql)
                .bind(before_ms)
                .bind(BATCH)
                .execute(self.pool())
                .await;
            let n = self.track_write(done)?.rows_affected();
            total += n;
            if n < BATCH as u64 {
                return Ok(total);
            }
            tokio::task::yield_now().await;
        }
    }
}
