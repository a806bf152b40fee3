//! The inbox: access events stored raw, unique by `eventId`, before HikCentral gets its answer.
//! Repeats (a second push, or push and poll of the same event) are counted, not stored twice.
//! Events whose meaning is unusable go to `rejected_events` with the reason; well-formed events
//! outside the time window are stored like any other, in state `out_of_window` with the reason.

use super::{EventGroup, StoreError};
use crate::attendance::event::{AccessEvent, OutsideWindow, Parsed};
use serde::Serialize;
use sqlx::{AnyPool, Row};

/// What one group of events (one POST, one polled page) did to the inbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// New events stored for a decision (state `new`).
    pub accepted: u32,
    /// New events stored as `out_of_window`: kept, decided only once an operator admits them.
    pub out_of_window: u32,
    /// Events already in the inbox (counted on the stored row).
    pub duplicates: u32,
    /// Events kept in `rejected_events` with a reason.
    pub rejected: u32,
}

impl IngestReport {
    pub fn total(&self) -> u32 {
        self.accepted + self.out_of_window + self.duplicates + self.rejected
    }
}

/// One stored event, as operators and the decision worker read it (the columns of
/// [`SELECT_EVENT`], by name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct StoredEvent {
    pub id: i64,
    pub event_id: String,
    pub source: String,
    pub event_type: i64,
    pub happen_at_ms: i64,
    pub happen_time: String,
    pub door_index: String,
    pub door_name: String,
    pub person_code: Option<String>,
    pub person_id: Option<String>,
    pub repeats: i64,
    pub state: super::EventState,
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub detail: Option<String>,
    pub raw: String,
}

/// One rejected event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RejectedEvent {
    pub event_id: Option<String>,
    pub source: String,
    pub reason: String,
    pub raw: String,
    pub received_at_ms: i64,
}

const EVENT_COLUMNS: &str = "event_id, source, event_type, happen_at_ms, happen_time, \
     door_index, door_name, person_code, person_id, isc_person_no, card_no, isc_in_out, raw, \
     received_at_ms";
const COLUMNS_PER_EVENT: usize = 14;
/// The columns an event outside the time window adds: its state, reason code and sentence.
const OUTSIDE_COLUMNS: &str = "state, reason, detail";
/// Rows per multi-row INSERT: at most 17 × 400 = 6,800 parameters, within SQLite's 32,766 and
/// PostgreSQL's 65,535.
const ROWS_PER_INSERT: usize = 400;

pub(super) const INSERT_REJECTED: &str =
    "INSERT INTO rejected_events (event_id, source, reason, raw, \
     received_at_ms) VALUES ($1, $2, $3, $4, $5)";

pub(super) const SELECT_EVENT: &str =
    "SELECT id, event_id, source, event_type, happen_at_ms, happen_time, \
     door_index, door_name, person_code, person_id, repeats, state, decision, reason, detail, raw \
     FROM events";

/// Repository over `events` and `rejected_events`; get one from [`super::Store::inbox`].
pub struct Inbox<'a> {
    pool: &'a AnyPool,
    store: &'a super::Store,
}

impl<'a> Inbox<'a> {
    pub(super) fn new(store: &'a super::Store) -> Self {
        Self {
            pool: store.pool(),
            store,
        }
    }

    /// Store several groups in **one** transaction (group commit): either every event of every
    /// group is durable, or none is. Returns one report per group, in order.
    ///
    /// On a SQLite file the transaction runs on the inbox's own connection, on a blocking
    /// thread ([`super::inbox_direct`]); otherwise through the pool.
    pub async fn commit_groups(
        &self,
        groups: &[EventGroup],
        source: &'static str,
        received_at_ms: i64,
    ) -> Result<Vec<IngestReport>, StoreError> {
        if let Some(direct) = &self.store.direct_inbox {
            let turn = self.store.write_turn().await;
            let (direct, groups) = (direct.clone(), groups.to_vec());
            return tokio::task::spawn_blocking(move || {
                let _turn = turn;
                direct.commit(&groups, source, received_at_ms)
            })
            .await
            .map_err(|e| StoreError::Interrupted(e.to_string()))?;
        }
        let groups: Vec<&[Parsed]> = groups.iter().map(|g| g.as_slice()).collect();
        let mut tx = self.store.begin_write().await?;
        let result = Self::insert_groups(&mut tx, &groups, source, received_at_ms).await;
        tx.finish(result).await
    }

    /// Accepted events go in multi-row `INSERT`s of [`ROWS_PER_INSERT`] (those outside the time
    /// window in their own, with their state and reason); an event id seen earlier in the same
    /// batch is inserted alone afterwards (one statement may not touch a row twice), so it
    /// counts as a repeat exactly as if it had come in a later push.
    async fn insert_groups(
        tx: &mut super::WriteTx,
        groups: &[&[Parsed]],
        source: &str,
        received_at_ms: i64,
    ) -> Result<Vec<IngestReport>, StoreError> {
        let mut reports = vec![IngestReport::default(); groups.len()];
        let mut seen = std::collections::HashSet::new();
        let mut first: Vec<NewRow<'_>> = Vec::new();
        let mut outside: Vec<NewRow<'_>> = Vec::new();
        let mut again: Vec<(usize, &AccessEvent)> = Vec::new();
        for (g, group) in groups.iter().enumerate() {
            for item in group.iter() {
                let (ev, why) = match item {
                    Parsed::Accepted(ev) => (ev, None),
                    Parsed::OutOfWindow(ev, why) => (ev, Some(why)),
                    Parsed::Rejected {
                        event_id,
                        reason,
                        raw,
                        ..
                    } => {
                        sqlx::query(INSERT_REJECTED)
                            .bind(event_id.clone())
                            .bind(source)
                            .bind(reason.as_str())
                            .bind(raw.to_string())
                            .bind(received_at_ms)
                            .execute(tx.conn())
                            .await?;
                        reports[g].rejected += 1;
                        continue;
                    }
                };
                if !seen.insert(ev.event_id.as_str()) {
                    again.push((g, ev));
                } else if let Some(why) = why {
                    outside.push((g, ev, Some(why)));
                } else {
                    first.push((g, ev, None));
                }
            }
        }
        for rows in [&first, &outside] {
            for chunk in rows.chunks(ROWS_PER_INSERT) {
                let new = Self::insert_new(tx, chunk, source, received_at_ms).await?;
                for ((g, _, why), stored) in chunk.iter().zip(new) {
                    let report = &mut reports[*g];
                    match (stored, why) {
                        (true, None) => report.accepted += 1,
                        (true, Some(_)) => report.out_of_window += 1,
                        (false, _) => report.duplicates += 1,
                    }
                }
            }
        }
        let one = multi_row_insert(tx.backend(), 1, false);
        for (g, ev) in again {
            bind_event(sqlx::query(&one), ev, source, received_at_ms)
                .execute(tx.conn())
                .await?;
            reports[g].duplicates += 1;
        }
        Ok(reports)
    }

    /// One multi-row `INSERT` of `rows`, all in the window or all outside it; for each row,
    /// whether it was new (not already in the inbox).
    async fn insert_new(
        tx: &mut super::WriteTx,
        rows: &[NewRow<'_>],
        source: &str,
        received_at_ms: i64,
    ) -> Result<Vec<bool>, StoreError> {
        let outside = rows.first().is_some_and(|(_, _, why)| why.is_some());
        let sql = multi_row_insert(tx.backend(), rows.len(), outside);
        let mut q = sqlx::query(&sql);
        for (_, ev, why) in rows {
            q = bind_event(q, ev, source, received_at_ms);
            if let Some(why) = why {
                q = q
                    .bind(super::EventState::OutOfWindow.as_str())
                    .bind(why.side.code())
                    .bind(why.detail.as_str());
            }
        }
        let mut repeats = std::collections::HashMap::new();
        for row in q.fetch_all(tx.conn()).await? {
            let id: String = row.try_get(0)?;
            let n: i64 = row.try_get(1)?;
            repeats.insert(id, n);
        }
        Ok(rows
            .iter()
            .map(|(_, ev, _)| repeats.get(ev.event_id.as_str()) == Some(&0))
            .collect())
    }

    pub async fn get(&self, event_id: &str) -> Result<Option<StoredEvent>, StoreError> {
        let row = sqlx::query(&format!("{SELECT_EVENT} WHERE event_id = $1"))
            .bind(event_id)
            .fetch_optional(self.pool)
            .await?;
        row.map(|r| stored_event(&r)).transpose()
    }

    /// Events in arrival order, at most `limit`, after row id `after`.
    pub async fn list(&self, after: i64, limit: i64) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT_EVENT} WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool)
        .await?;
        rows.iter().map(stored_event).collect()
    }

    pub async fn count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) FROM events")
            .fetch_one(self.pool)
            .await?
            .try_get(0)?)
    }

    pub async fn rejected(&self, limit: i64) -> Result<Vec<RejectedEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT event_id, source, reason, raw, received_at_ms FROM rejected_events \
             ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool)
        .await?;
        rows.iter().map(rejected_event).collect()
    }
}

/// A `rejected_events` row.
pub(super) fn rejected_event(r: &sqlx::any::AnyRow) -> Result<RejectedEvent, StoreError> {
    Ok(sqlx::FromRow::from_row(r)?)
}

/// An event of a batch, first seen in it: its group, and why it is outside the window (if so).
type NewRow<'a> = (usize, &'a AccessEvent, Option<&'a OutsideWindow>);

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Bind one event's 14 columns, in [`EVENT_COLUMNS`] order.
fn bind_event<'q>(
    q: AnyQuery<'q>,
    ev: &'q AccessEvent,
    source: &'q str,
    received_at_ms: i64,
) -> AnyQuery<'q> {
    let q = q
        .bind(ev.event_id.as_str())
        .bind(source)
        .bind(i64::from(ev.event_type))
        .bind(ev.happen_time.timestamp_millis())
        .bind(ev.happen_time.to_rfc3339())
        .bind(ev.door.index_code.as_str())
        .bind(ev.door.name.as_str())
        .bind(ev.person_code.as_ref().map(|c| c.as_str()))
        .bind(ev.person_id.as_deref())
        .bind(ev.isc_person_no.as_deref())
        .bind(ev.card_no.as_deref())
        .bind(ev.isc_in_out.map(|d| d.as_str()));
    // A pushed event is stored as the text that arrived; a polled record from its value.
    let q = match ev.raw.text() {
        Some(text) => q.bind(text),
        None => q.bind(ev.raw.value().to_string()),
    };
    q.bind(received_at_ms)
}

/// `INSERT … VALUES (…), (…) … ON CONFLICT … RETURNING event_id, repeats` for `rows` events;
/// with `outside`, each row also carries its state and reason ([`OUTSIDE_COLUMNS`]). A repeat
/// only counts: it never changes a stored event's state.
pub(super) fn multi_row_insert(backend: super::Backend, rows: usize, outside: bool) -> String {
    format!(
        "INSERT INTO events {} ON CONFLICT (event_id) DO UPDATE \
         SET repeats = events.repeats + 1 RETURNING event_id, repeats",
        columns_and_values(backend, rows, outside)
    )
}

/// `(columns) VALUES (…), …` of `rows` events, with the [`OUTSIDE_COLUMNS`] when `outside`.
fn columns_and_values(backend: super::Backend, rows: usize, outside: bool) -> String {
    let (extra, width) = if outside {
        (format!(", {OUTSIDE_COLUMNS}"), COLUMNS_PER_EVENT + 3)
    } else {
        (String::new(), COLUMNS_PER_EVENT)
    };
    format!(
        "({EVENT_COLUMNS}{extra}) VALUES {}",
        super::values_rows(backend, width, rows)
    )
}

/// One event into the inbox as SQLite's `INSERT OR IGNORE` (the inbox's own connection): a
/// repeat changes nothing, and [`COUNT_REPEAT`] then counts it. Without `RETURNING` and without
/// an abort on conflict SQLite keeps no statement journal (a copy of every page the insert
/// touches: 3 % of the service's CPU per event in the ingest benchmark's profile).
pub(super) fn insert_or_ignore(outside: bool) -> String {
    format!(
        "INSERT OR IGNORE INTO events {}",
        columns_and_values(super::Backend::Sqlite, 1, outside)
    )
}

/// A later arrival of a stored event id: counted on its row, whose state never changes.
pub(super) const COUNT_REPEAT: &str = "UPDATE events SET repeats = repeats + 1 WHERE event_id = ?";

pub(super) fn stored_event(r: &sqlx::any::AnyRow) -> Result<StoredEvent, StoreError> {
    Ok(sqlx::FromRow::from_row(r)?)
}
