//! Events outside the time window (inbox state `out_of_window`): stored like any other, never
//! taken by the decider, counted and listed for operators, and admitted by them (→ `new`, then
//! decided like any other event).

use super::inbox::{stored_event, StoredEvent, SELECT_EVENT};
use super::{Store, StoreError};
use sqlx::Row;

impl Store {
    /// How many events wait as `out_of_window`.
    pub async fn count_out_of_window_events(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query("SELECT COUNT(*) FROM events WHERE state = 'out_of_window'")
                .fetch_one(self.pool())
                .await?
                .try_get(0)?,
        )
    }

    /// Events waiting as `out_of_window`, oldest event time first.
    pub async fn out_of_window_events(&self, limit: i64) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT_EVENT} WHERE state = 'out_of_window' ORDER BY happen_at_ms, id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(stored_event).collect()
    }
}
