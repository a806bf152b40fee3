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

    /// Operator action: one `out_of_window` event becomes `new`, so the decider decides it
    /// like any other. False when there is no such event or it is in another state.
    pub async fn admit_event(&self, event_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE events SET state = 'new', decision = NULL, reason = NULL, detail = NULL \
             WHERE event_id = $1 AND state = 'out_of_window'",
        )
        .bind(event_id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Operator action: every `out_of_window` event whose time is in `from_ms .. to_ms` (UTC
    /// milliseconds, end excluded) becomes `new`. Returns how many.
    pub async fn admit_out_of_window(&self, from_ms: i64, to_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE events SET state = 'new', decision = NULL, reason = NULL, detail = NULL \
             WHERE state = 'out_of_window' AND happen_at_ms >= $1 AND happen_at_ms < $2",
        )
        .bind(from_ms)
        .bind(to_ms)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}
