//! The durable store: one `sqlx::AnyPool` over SQLite or PostgreSQL, versioned migrations per
//! backend, and small repositories on top.
//!
//! Portable SQL rules (the Any driver passes SQL through unchanged, so every statement must be
//! accepted by both backends):
//! - placeholders are `$1, $2, …` (SQLite accepts them too);
//! - upserts use `ON CONFLICT (…) DO NOTHING / DO UPDATE SET … = excluded.…`; `RETURNING` is fine;
//! - times are `BIGINT` unix milliseconds, booleans `INTEGER` 0/1, JSON `TEXT`;
//! - each schema change is a migration with the same version number in `migrations/sqlite/` and
//!   `migrations/postgres/`.

pub mod audit;
mod checkpoints;
mod cluster;
mod connect;
mod decisions;
mod error;
mod event_state;
mod health;
mod inbox;
mod inbox_direct;
mod job_state;
mod jobs;
mod ledger;
pub mod lifecycle;
mod lock;
mod migrate;
mod operator;
mod out_of_window;
mod people;
mod punches;
mod retention;
mod stats;
mod tx;
mod url;
mod words;

pub use checkpoints::{Checkpoint, Checkpoints};
pub use decisions::{DecisionRecord, DecisionRow, PendingCursor};
pub use error::StoreError;
pub use event_state::{EventState, UnknownEventState};
pub use health::{WriteFailure, WriteHealth};
pub use inbox::{Inbox, IngestReport, RejectedEvent, StoredEvent};
pub use inbox_direct::EventGroup;
pub use job_state::{JobState, UnknownJobState};
pub use jobs::{SyncJob, SyncJobItem};
pub use ledger::{LedgerEntry, LedgerUpdate};
pub use lock::{lock_for_process, ProcessLock};
pub use operator::OverrideRow;
pub use punches::{NewPunch, Punch, PunchFilter, PunchState, Punches, UnknownPunchState};
pub use retention::{PruneBefore, Pruned};
pub use tx::WriteTx;
pub use url::{redact_url, sqlite_file};

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// Pool settings (from `[store]` in the configuration; the defaults serve tools and tests).
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Most connections the pool opens (an in-memory SQLite database always uses one).
    pub max_connections: u32,
    /// How long a SQLite statement waits for another writer before failing.
    pub busy_timeout: Duration,
    /// How long opening or acquiring a connection may take before failing.
    pub connect_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            busy_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// Most values bound in one `IN (…)` list.
pub(crate) const MAX_LIST_PARAMS: usize = 500;

/// `$first, $first+1, …` for `n` values.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `(…), (…), …`: `rows` tuples of `cols` placeholders, for a statement that has no other
/// placeholders. PostgreSQL gets `$1, $2, …`; SQLite gets bare `?`, bound by position: a
/// numbered or named SQLite parameter is found by a linear search on every bind, which made
/// binding a 5,600-value insert cost more than executing it.
pub(crate) fn values_rows(backend: Backend, cols: usize, rows: usize) -> String {
    let tuple = |r: usize| match backend {
        Backend::Sqlite => format!("({})", vec!["?"; cols].join(", ")),
        Backend::Postgres => format!("({})", placeholders(1 + r * cols, cols)),
    };
    (0..rows).map(tuple).collect::<Vec<_>>().join(", ")
}

/// The service's database. Cheap to clone: clones share one pool.
#[derive(Clone)]
pub struct Store {
    pool: sqlx::AnyPool,
    /// SQLite file: the connection write transactions use (see `connect::writer_pool`).
    writer: Option<sqlx::AnyPool>,
    backend: Backend,
    redacted_url: Arc<str>,
    health: Arc<WriteHealth>,
    /// SQLite: write transactions of this process take turns here (FIFO, woken at once) instead
    /// of in SQLite's busy handler, which sleeps up to 100 ms between tries.
    write_gate: Option<Arc<tokio::sync::Mutex<()>>>,
    /// SQLite file: the inbox's group commits, on a connection of their own.
    direct_inbox: Option<Arc<inbox_direct::DirectInbox>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("url", &self.redacted_url)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Open a pool for `url` without touching the schema. Accepts `sqlite://path` (relative or
    /// absolute; missing directories and the file are created), `sqlite::memory:` (tests) and
    /// `postgres://` / `postgresql://`.
    pub async fn connect(url: &str, opts: &StoreOptions) -> Result<Store, StoreError> {
        let connect::Pools {
            pool,
            writer,
            backend,
            sqlite_file,
        } = connect::open_pools(url, opts).await?;
        let health = Arc::new(WriteHealth::default());
        let direct_inbox = sqlite_file.map(|(path, read_only)| {
            Arc::new(inbox_direct::DirectInbox::new(
                path,
                read_only,
                opts.busy_timeout,
                health.clone(),
            ))
        });
        Ok(Store {
            pool,
            writer,
            backend,
            redacted_url: redact_url(url).into(),
            health,
            write_gate: (backend == Backend::Sqlite).then(|| Arc::new(tokio::sync::Mutex::new(()))),
            direct_inbox,
        })
    }

    /// Connect and bring the schema up to date: what the service does at start.
    pub async fn open(url: &str, opts: &StoreOptions) -> Result<Store, StoreError> {
        let store = Self::connect(url, opts).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Apply every migration this build knows that the database has not seen yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrate::run(&self.pool, self.backend).await
    }

    /// Check that the database answers (`SELECT 1`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The highest migration version applied, 0 for a database never migrated.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        migrate::schema_version(&self.pool, self.backend).await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &sqlx::AnyPool {
        &self.pool
    }

    /// The URL this store was opened with, password replaced by `***`.
    pub fn redacted_url(&self) -> String {
        self.redacted_url.to_string()
    }

    /// Close every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        if let Some(direct) = &self.direct_inbox {
            // Taken in turn, so no commit is half-way through on it.
            let _turn = self.write_turn().await;
            direct.close();
        }
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        self.pool.close().await;
    }

    /// Start a write transaction; see [`WriteTx`] for why this is the only way to write in
    /// more than one statement.
    pub async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let turn = self.write_turn().await;
        let pool = self.writer.as_ref().unwrap_or(&self.pool);
        WriteTx::begin(pool, self.backend, self.health.clone(), turn).await
    }

    /// SQLite: wait for this process's turn to write (held until the guard drops).
    async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.write_gate {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        }
    }

    /// Whether writes succeed (the last write transaction's outcome).
    pub fn write_health(&self) -> &WriteHealth {
        &self.health
    }

    pub fn checkpoints(&self) -> Checkpoints<'_> {
        Checkpoints::new(&self.pool)
    }

    pub fn inbox(&self) -> Inbox<'_> {
        Inbox::new(self)
    }

    /// The outbox, with no claim checked (tools, tests, operator actions).
    pub fn punches(&self) -> Punches<'_> {
        Punches::new(&self.pool, self.backend, "")
    }

    /// The outbox as delivery on replica `owner` uses it: state changes apply only to punches
    /// that `owner` has claimed.
    pub fn punches_claimed_by<'a>(&'a self, owner: &'a str) -> Punches<'a> {
        Punches::new(&self.pool, self.backend, owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_displays_its_config_name() {
        assert_eq!(Backend::Sqlite.to_string(), "sqlite");
        assert_eq!(Backend::Postgres.to_string(), "postgres");
    }
}
