//! The inbox's group commit on a SQLite file, on a connection of its own that a blocking thread
//! drives directly (rusqlite, the same SQLite library sqlx links).
//!
//! Through sqlx every statement of a commit (`BEGIN`, the inserts, `COMMIT`) and every row an
//! insert returns is a round trip to sqlx's connection thread: a channel message and a futex
//! wake-up each way. A perf profile of the ingest benchmark put those thread switches first
//! (`docs/performance.md`). Here one commit is one hand-off: the batch goes to a blocking
//! thread, which runs the whole transaction with cached prepared statements and comes back
//! with the reports.
//!
//! The semantics are the [`super::WriteTx`] ones: the store's write gate is held for the whole
//! transaction, `BEGIN IMMEDIATE` waits up to `busy_timeout` for another process, the
//! connection runs `synchronous = FULL` (the commit is fsynced before anyone is answered), and a
//! connection whose transaction failed is closed, never reused: the next commit opens a fresh
//! one, so the store recovers by itself once the disk has room again.

use super::inbox::{insert_or_ignore, COUNT_REPEAT, INSERT_REJECTED};
use super::{EventState, IngestReport, StoreError, WriteHealth};
use crate::attendance::event::{AccessEvent, OutsideWindow, Parsed};
use rusqlite::{params, CachedStatement, Connection, OpenFlags};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One event group of a commit (one POST, one polled page), shared with the blocking thread.
pub type EventGroup = Arc<Vec<Parsed>>;

/// The inbox's own connection to a SQLite file; opened on the first commit.
pub(super) struct DirectInbox {
    path: PathBuf,
    read_only: bool,
    busy_timeout: Duration,
    health: Arc<WriteHealth>,
    conn: Mutex<Option<Connection>>,
    statements: Statements,
}

/// The inbox's one-row inserts, made once.
struct Statements {
    /// An event in the time window.
    event: String,
    /// An event outside it, with its state and reason.
    outside: String,
}

impl DirectInbox {
    pub(super) fn new(
        path: PathBuf,
        read_only: bool,
        busy_timeout: Duration,
        health: Arc<WriteHealth>,
    ) -> Self {
        Self {
            path,
            read_only,
            busy_timeout,
            health,
            conn: Mutex::new(None),
            statements: Statements {
                event: insert_or_ignore(false),
                outside: insert_or_ignore(true),
            },
        }
    }

    /// Commit `groups` in one transaction (blocking: call from a blocking thread, holding the
    /// store's write gate). One report per group, in order; on error nothing was stored.
    pub(super) fn commit(
        &self,
        groups: &[EventGroup],
        source: &str,
        received_at_ms: i64,
    ) -> Result<Vec<IngestReport>, StoreError> {
        let mut slot = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let conn = match slot.take() {
            Some(c) => c,
            None => self
                .open()
                .inspect_err(|e| self.health.failed(&e.to_string()))?,
        };
        let result = conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(StoreError::from)
            .and_then(|()| insert_groups(&conn, &self.statements, groups, source, received_at_ms))
            .and_then(|r| conn.execute_batch("COMMIT").map(|()| r).map_err(Into::into));
        match result {
            Ok(reports) => {
                self.health.succeeded();
                *slot = Some(conn);
                Ok(reports)
            }
            Err(e) => {
                // Never reuse a connection whose transaction failed: closing it rolls back
                // whatever SQLite still holds (see `WriteTx`).
                self.health.failed(&e.to_string());
                drop(conn);
                Err(e)
            }
        }
    }

    /// Close the connection (the store is closing).
    pub(super) fn close(&self) {
        let mut slot = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        drop(slot.take());
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let access = if self.read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        };
        let conn =
            Connection::open_with_flags(&self.path, access | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(self.busy_timeout)?;
        // The mode is stored in the file and the pool set it to WAL when it opened the store.
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        Ok(conn)
    }
}

/// Each event alone, through statements taken from the connection's cache once per commit (a
/// cache lookup per event cost about five allocations). An event id already in the inbox (or
/// earlier in this commit) is counted on the stored row and never changes its state.
fn insert_groups(
    conn: &Connection,
    sql: &Statements,
    groups: &[EventGroup],
    source: &str,
    received_at_ms: i64,
) -> Result<Vec<IngestReport>, StoreError> {
    let mut prepared = Prepared::new(conn, sql);
    let mut reports = vec![IngestReport::default(); groups.len()];
    for (group, report) in groups.iter().zip(reports.iter_mut()) {
        for item in group.iter() {
            match item {
                Parsed::Accepted(ev) => {
                    if prepared.insert_event(ev, None, source, received_at_ms)? {
                        report.accepted += 1;
                    } else {
                        report.duplicates += 1;
                    }
                }
                Parsed::OutOfWindow(ev, why) => {
                    if prepared.insert_event(ev, Some(why), source, received_at_ms)? {
                        report.out_of_window += 1;
                    } else {
                        report.duplicates += 1;
                    }
                }
                Parsed::Rejected {
                    event_id,
                    reason,
                    raw,
                    ..
                } => {
                    prepared.statement(Kind::Rejected)?.execute(params![
                        event_id,
                        source,
                        reason,
                        raw.to_string(),
                        received_at_ms
                    ])?;
                    report.rejected += 1;
                }
            }
        }
    }
    Ok(reports)
}

/// The statements of one commit, each taken from the connection's cache when first needed and
/// returned to it when the commit is done.
struct Prepared<'c> {
    conn: &'c Connection,
    sql: &'c Statements,
    taken: [Option<CachedStatement<'c>>; 4],
}

/// Which statement of [`Prepared`].
#[derive(Clone, Copy)]
enum Kind {
    /// An event in the time window.
    Event = 0,
    /// An event outside it.
    Outside = 1,
    /// A repeat of a stored event id.
    Repeat = 2,
    /// An unusable item.
    Rejected = 3,
}

impl<'c> Prepared<'c> {
    fn new(conn: &'c Connection, sql: &'c Statements) -> Self {
        Self {
            conn,
            sql,
            taken: [None, None, None, None],
        }
    }

    fn statement(&mut self, kind: Kind) -> Result<&mut CachedStatement<'c>, StoreError> {
        let slot = &mut self.taken[kind as usize];
        if let Some(statement) = slot {
            return Ok(statement);
        }
        let text = match kind {
            Kind::Event => self.sql.event.as_str(),
            Kind::Outside => self.sql.outside.as_str(),
            Kind::Repeat => COUNT_REPEAT,
            Kind::Rejected => INSERT_REJECTED,
        };
        Ok(slot.insert(self.conn.prepare_cached(text)?))
    }

    /// Insert one event; whether it was new.
    fn insert_event(
        &mut self,
        ev: &AccessEvent,
        outside: Option<&OutsideWindow>,
        source: &str,
        received_at_ms: i64,
    ) -> Result<bool, StoreError> {
        let raw = ev.raw.stored();
        let happen_time = ev.happen_time.to_rfc3339();
        let (event_type, happen_at_ms) =
            (i64::from(ev.event_type), ev.happen_time.timestamp_millis());
        let (event_id, door_index, door_name) = (
            ev.event_id.as_str(),
            ev.door.index_code.as_str(),
            ev.door.name.as_str(),
        );
        let person_code = ev.person_code.as_ref().map(|c| c.as_str());
        let isc_in_out = ev.isc_in_out.map(|d| d.as_str());
        let state = EventState::OutOfWindow.as_str();
        let reason = outside.map(|why| why.side.code());
        let detail = outside.map(|why| why.detail.as_str());
        let columns: [&dyn rusqlite::ToSql; 17] = [
            &event_id,
            &source,
            &event_type,
            &happen_at_ms,
            &happen_time,
            &door_index,
            &door_name,
            &person_code,
            &ev.person_id,
            &ev.isc_person_no,
            &ev.card_no,
            &isc_in_out,
            &raw,
            &received_at_ms,
            &state,
            &reason,
            &detail,
        ];
        let inserted = match outside {
            None => self.statement(Kind::Event)?.execute(&columns[..14])?,
            Some(_) => self.statement(Kind::Outside)?.execute(&columns[..])?,
        };
        if inserted == 1 {
            return Ok(true);
        }
        // Ignored: the id is stored already (every NOT NULL column is bound from a value, so
        // nothing else can be ignored; should it be, no row counts it and the commit fails).
        match self.statement(Kind::Repeat)?.execute([event_id])? {
            1 => Ok(false),
            n => Err(rusqlite::Error::StatementChangedRows(n).into()),
        }
    }
}
