//! Writing a decision: the event's outcome, its punch (if any) and the unmapped-door count,
//! in one transaction, so an event is never decided without its punch or vice versa.

use super::inbox::{stored_event, StoredEvent, SELECT_EVENT};
use super::punches::NewPunch;
use super::{Store, StoreError};
use std::collections::HashMap;

/// Rows per multi-row statement (at most 8 values each: well within both databases' limits).
const ROWS_PER_STATEMENT: usize = 400;

/// What was decided for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRecord {
    pub state: super::EventState,
    /// `punch` | `skip` | `park` | `hold`.
    pub decision: &'static str,
    /// Stable reason code (`not_granted`, `unmapped_door`, `double_scan`, …).
    pub reason: Option<&'static str>,
    /// A sentence for operators.
    pub detail: String,
    pub hold_until_ms: Option<i64>,
}

/// One event's decision as the decider hands it to the store: written with the rest of its
/// round in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRow {
    pub event_row_id: i64,
    pub record: DecisionRecord,
    pub punch: Option<NewPunch>,
    /// (index code, name) of a door no rule maps.
    pub unmapped_door: Option<(String, String)>,
}

/// Where a pass over the pending events has got to: (event time, row id) of the last event
/// read. Events after it in event-time order come next.
pub type PendingCursor = (i64, i64);

impl Store {
    /// Events waiting for a decision: new ones, and held ones whose time has come, in event-time
    /// order.
    pub async fn pending_events(
        &self,
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.pending_events_after(now_ms, None, limit).await
    }

    /// [`Store::pending_events`] after `cursor`. New and due held events are read separately,
    /// each through the `(state, happen_at_ms)` index, and merged.
    pub async fn pending_events_after(
        &self,
        now_ms: i64,
        cursor: Option<PendingCursor>,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let (at, id) = cursor.unwrap_or((i64::MIN, i64::MIN));
        let after = "happen_at_ms >= $2 AND (happen_at_ms > $2 OR id > $3)";
        let new = sqlx::query(&format!(
            "{SELECT_EVENT} WHERE state = 'new' AND {after} ORDER BY happen_at_ms, id LIMIT $1"
        ))
        .bind(limit)
        .bind(at)
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        let held = sqlx::query(&format!(
            "{SELECT_EVENT} WHERE state = 'held' AND hold_until_ms <= $4 AND {after} \
             ORDER BY happen_at_ms, id LIMIT $1"
        ))
        .bind(limit)
        .bind(at)
        .bind(id)
        .bind(now_ms)
        .fetch_all(self.pool())
        .await?;
        let mut events = new
            .iter()
            .chain(held.iter())
            .map(stored_event)
            .collect::<Result<Vec<_>, _>>()?;
        events.sort_by_key(|e| (e.happen_at_ms, e.id));
        events.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(events)
    }

    /// Record a round of decisions in one transaction: all of them or none. A few statements
    /// for the whole round (events updated from a `VALUES` list, punches in multi-row inserts,
    /// one upsert per unmapped door), not two or three per event.
    pub async fn record_decisions(
        &self,
        rows: &[DecisionRow],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        let result = Self::write_decisions(&mut tx, rows, now_ms).await;
        tx.finish(result).await
    }

    async fn write_decisions(
        tx: &mut super::WriteTx,
        rows: &[DecisionRow],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let backend = tx.backend();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "WITH v (id, state, decision, reason, detail, hold_until_ms, decided_at_ms) AS \
                 (VALUES {}) UPDATE events SET state = v.state, decision = v.decision, \
                 reason = v.reason, detail = v.detail, hold_until_ms = v.hold_until_ms, \
                 decided_at_ms = v.decided_at_ms FROM v WHERE events.id = v.id",
                super::values_rows(backend, 7, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(r.event_row_id)
                    .bind(r.record.state.as_str())
                    .bind(r.record.decision)
                    .bind(r.record.reason)
                    .bind(r.record.detail.as_str())
                    .bind(r.record.hold_until_ms)
                    .bind(now_ms);
            }
            q.execute(tx.conn()).await?;
        }
        let punches: Vec<&NewPunch> = rows.iter().filter_map(|r| r.punch.as_ref()).collect();
        for chunk in punches.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "WITH v (event_id, employee_id, direction, at_ms, local_day, door, \
                 next_attempt_at_ms, created_at_ms) AS (VALUES {}) \
                 INSERT INTO punches (event_id, employee_id, direction, at_ms, local_day, door, \
                 next_attempt_at_ms, state, created_at_ms, updated_at_ms) \
                 SELECT event_id, employee_id, direction, at_ms, local_day, door, \
                 next_attempt_at_ms, 'queued', created_at_ms, created_at_ms FROM v WHERE true \
                 ON CONFLICT (event_id) DO NOTHING",
                super::values_rows(backend, 8, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for p in chunk {
                q = q
                    .bind(p.event_id.as_str())
                    .bind(p.employee_id.as_str())
                    .bind(p.direction.as_str())
                    .bind(p.at_ms)
                    .bind(p.local_day.as_str())
                    .bind(p.door.as_str())
                    .bind(p.due_at_ms.max(now_ms))
                    .bind(now_ms);
            }
            q.execute(tx.conn()).await?;
        }
        let mut doors: HashMap<(&str, &str), i64> = HashMap::new();
        for (index, name) in rows.iter().filter_map(|r| r.unmapped_door.as_ref()) {
            *doors.entry((index.as_str(), name.as_str())).or_default() += 1;
        }
        for ((index, name), n) in doors {
            sqlx::query(
                "INSERT INTO unmapped_doors (door_index, door_name, events, last_seen_ms) \
                 VALUES ($1, $2, $4, $3) ON CONFLICT (door_index, door_name) DO UPDATE SET \
                 events = unmapped_doors.events + excluded.events, \
                 last_seen_ms = excluded.last_seen_ms",
            )
            .bind(index)
            .bind(name)
            .bind(now_ms)
            .bind(n)
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
