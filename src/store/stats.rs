//! Figures for operators: counts and ages that `/admin/summary`, the dashboard and `/metrics`
//! show. Read-only, one small query each.

use super::{RejectedEvent, Store, StoreError};
use sqlx::Row;

impl Store {
    /// Rows in `rejected_events` (a push's omitted items count as one row).
    pub async fn count_rejected_events(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) FROM rejected_events")
            .fetch_one(self.pool())
            .await?
            .try_get(0)?)
    }

    /// The newest rejected events first.
    pub async fn newest_rejected_events(
        &self,
        limit: i64,
    ) -> Result<Vec<RejectedEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT event_id, source, reason, raw, received_at_ms FROM rejected_events \
             ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(super::inbox::rejected_event).collect()
    }

    /// When the oldest punch still waiting to go out (`queued` or `sending`) was created.
    pub async fn oldest_undelivered_punch_ms(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query(
            "SELECT MIN(created_at_ms) FROM punches WHERE state IN ('queued', 'sending')",
        )
        .fetch_one(self.pool())
        .await?
        .try_get(0)?)
    }
}
