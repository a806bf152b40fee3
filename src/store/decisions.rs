//! Writing a decision: the event's outcome, its punch (if any) and the unmapped-door count,
//! in one transaction, so an event is never decided without its punch or vice versa.

use super::inbox::{stored_event, StoredEvent, SELECT_EVENT};
use super::punches::NewPunch;
use super::{Store, StoreError};

/// What was decided for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRecord {
    /// `decided` | `held` | `parked`.
    pub state: &'static str,
    /// `punch` | `skip` | `park` | `hold`.
    pub decision: &'static str,
    /// Stable reason code (`not_granted`, `unmapped_door`, `double_scan`, …).
    pub reason: Option<&'static str>,
    /// A sentence for operators.
    pub detail: String,
    pub hold_until_ms: Option<i64>,
}

impl Store {
    /// Events waiting for a decision: new ones, and held ones whose time has come, in event-time
    /// order.
    pub async fn pending_events(
        &self,
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT_EVENT} WHERE state = 'new' OR (state = 'held' AND hold_until_ms <= $1) \
             ORDER BY happen_at_ms, id LIMIT $2"
        ))
        .bind(now_ms)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(stored_event).collect()
    }

    /// Record the decision for event row `event_row_id`, with its punch and door count.
    pub async fn record_decision(
        &self,
        event_row_id: i64,
        rec: &DecisionRecord,
        punch: Option<&NewPunch>,
        unmapped_door: Option<(&str, &str)>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let result =
            Self::write_decision(&mut tx, event_row_id, rec, punch, unmapped_door, now_ms).await;
        tx.finish(result).await
    }

    async fn write_decision(
        tx: &mut super::WriteTx,
        event_row_id: i64,
        rec: &DecisionRecord,
        punch: Option<&NewPunch>,
        unmapped_door: Option<(&str, &str)>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE events SET state = $2, decision = $3, reason = $4, detail = $5, \
             hold_until_ms = $6, decided_at_ms = $7 WHERE id = $1",
        )
        .bind(event_row_id)
        .bind(rec.state)
        .bind(rec.decision)
        .bind(rec.reason)
        .bind(rec.detail.as_str())
        .bind(rec.hold_until_ms)
        .bind(now_ms)
        .execute(tx.conn())
        .await?;
        if let Some(p) = punch {
            sqlx::query(
                "INSERT INTO punches (event_id, employee_id, direction, at_ms, local_day, door, \
                 state, next_attempt_at_ms, created_at_ms, updated_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'queued', $8, $7, $7) \
                 ON CONFLICT (event_id) DO NOTHING",
            )
            .bind(p.event_id.as_str())
            .bind(p.employee_id.as_str())
            .bind(p.direction.as_str())
            .bind(p.at_ms)
            .bind(p.local_day.as_str())
            .bind(p.door.as_str())
            .bind(now_ms)
            .bind(p.due_at_ms.max(now_ms))
            .execute(tx.conn())
            .await?;
        }
        if let Some((index, name)) = unmapped_door {
            sqlx::query(
                "INSERT INTO unmapped_doors (door_index, door_name, events, last_seen_ms) \
                 VALUES ($1, $2, 1, $3) ON CONFLICT (door_index, door_name) DO UPDATE SET \
                 events = unmapped_doors.events + 1, last_seen_ms = excluded.last_seen_ms",
            )
            .bind(index)
            .bind(name)
            .bind(now_ms)
            .execute(tx.conn())
            .await?;
        }
        Ok(())
    }

    /// Doors seen in events but not mapped, most frequent first: (index code, name, events).
    pub async fn unmapped_doors(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT door_index, door_name, events FROM unmapped_doors ORDER BY events DESC, door_index",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("door_index")?,
                    r.try_get("door_name")?,
                    r.try_get("events")?,
                ))
            })
            .collect()
    }
}

impl Store {
    /// Operator action: a parked event is decided again (e.g. after adding an override).
    pub async fn retry_parked_event(&self, event_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE events SET state = 'new', decision = NULL, reason = NULL, detail = NULL \
             WHERE event_id = $1 AND state = 'parked'",
        )
        .bind(event_id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Operator action after a configuration change (e.g. a door was mapped): decided events
    /// skipped for `reason` are decided again. Returns how many.
    pub async fn redecide_skipped(&self, reason: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE events SET state = 'new', decision = NULL, reason = NULL, detail = NULL \
             WHERE state = 'decided' AND decision = 'skip' AND reason = $1",
        )
        .bind(reason)
        .execute(self.pool())
        .await?;
        if reason == "unmapped_door" {
            sqlx::query("DELETE FROM unmapped_doors")
                .execute(self.pool())
                .await?;
        }
        Ok(done.rows_affected())
    }

    /// How many events are parked.
    pub async fn count_parked_events(&self) -> Result<i64, StoreError> {
        use sqlx::Row;
        Ok(
            sqlx::query("SELECT COUNT(*) FROM events WHERE state = 'parked'")
                .fetch_one(self.pool())
                .await?
                .try_get(0)?,
        )
    }

    /// Parked events (needing a human), oldest first.
    pub async fn parked_events(&self, limit: i64) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT_EVENT} WHERE state = 'parked' ORDER BY happen_at_ms, id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(stored_event).collect()
    }

    /// Events of one employee between two instants: those that became their punches, and those
    /// carrying their person code (so skipped and parked ones show too).
    pub async fn employee_events(
        &self,
        employee_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT_EVENT} WHERE happen_at_ms >= $2 AND happen_at_ms < $3 AND (person_code = $1 \
             OR event_id IN (SELECT event_id FROM punches WHERE employee_id = $1) \
             OR person_code IN (SELECT person_code FROM employee_overrides WHERE employee_id = $1)) \
             ORDER BY happen_at_ms, id"
        ))
        .bind(employee_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(stored_event).collect()
    }
}
