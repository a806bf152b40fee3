//! Removing what is no longer needed, in bounded batches so a large backlog never holds a long
//! write lock: raw events once decided and nothing waits on them, finished punches, rejected
//! events, and events left out of the time window that no operator admitted.

use super::{Store, StoreError};

/// Rows removed in one retention pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Pruned {
    pub events: u64,
    pub punches: u64,
    pub rejected: u64,
    pub out_of_window: u64,
}

impl Pruned {
    pub fn total(&self) -> u64 {
        self.events + self.punches + self.rejected + self.out_of_window
    }
}

/// The cut-offs of one retention pass, in UTC milliseconds: what is older may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneBefore {
    /// Decided events received before this whose punch (if any) is finished.
    pub events_ms: i64,
    /// Delivered, dry-run and discarded punches last changed before this.
    pub punches_ms: i64,
    /// Rejected events received before this.
    pub rejected_ms: i64,
    /// Events still `out_of_window` (never admitted) received before this.
    pub out_of_window_ms: i64,
}

/// Rows per DELETE statement.
const BATCH: i64 = 2000;

impl Store {
    /// Remove, in batches, what is older than `before` (see [`PruneBefore`]).
    pub async fn prune(&self, before: &PruneBefore) -> Result<Pruned, StoreError> {
        let punches = self
            .prune_batches(
                "DELETE FROM punches WHERE id IN (SELECT id FROM punches WHERE state IN \
                 ('delivered', 'dry_run', 'discarded') AND updated_at_ms < $1 LIMIT $2)",
                before.punches_ms,
            )
            .await?;
        let events = self
            .prune_batches(
                "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE \
                 e.state = 'decided' AND e.received_at_ms < $1 AND NOT EXISTS (SELECT 1 FROM \
                 punches p WHERE p.event_id = e.event_id AND p.state IN ('queued', 'sending', \
                 'parked')) LIMIT $2)",
                before.events_ms,
            )
            .await?;
        let rejected = self
            .prune_batches(
                "DELETE FROM rejected_events WHERE id IN (SELECT id FROM rejected_events \
                 WHERE received_at_ms < $1 LIMIT $2)",
                before.rejected_ms,
            )
            .await?;
        let out_of_window = self
            .prune_batches(
                "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE \
                 state = 'out_of_window' AND received_at_ms < $1 LIMIT $2)",
                before.out_of_window_ms,
            )
            .await?;
        Ok(Pruned {
            events,
            punches,
            rejected,
            out_of_window,
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
