//! Write transactions that can never leave a pooled connection inside a failed transaction.
//!
//! sqlx tracks the transaction depth of a connection itself. When SQLite rolls a transaction
//! back on its own (`SQLITE_FULL`, `SQLITE_IOERR`) or a `ROLLBACK` fails, that count and the
//! database disagree: the next `begin()` on the connection issues a `SAVEPOINT` inside a
//! transaction that is still open, and its `commit()` only releases the savepoint — an answer
//! of "committed" for rows that vanish at the next restart. A [`WriteTx`] therefore runs
//! `BEGIN`/`COMMIT` itself and, unless `COMMIT` succeeded, **closes** the connection instead of
//! returning it to the pool (closing rolls back whatever the database still holds). The next
//! write gets a fresh connection, so the store recovers by itself once space or the server is
//! back.

use super::{Backend, StoreError, WriteHealth};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool};
use std::sync::Arc;

/// One write transaction on a connection of its own; see the module docs.
pub struct WriteTx {
    conn: Option<PoolConnection<Any>>,
    backend: Backend,
    health: Arc<WriteHealth>,
    /// SQLite: this process's turn to write, held until the transaction ends (dropped after
    /// the connection, which is declared first).
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    /// `BEGIN` (SQLite: `BEGIN IMMEDIATE`, so the write lock is taken up front and a busy
    /// database is waited for by `busy_timeout` instead of failing half-way).
    pub(super) async fn begin(
        pool: &AnyPool,
        backend: Backend,
        health: Arc<WriteHealth>,
        turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    ) -> Result<WriteTx, StoreError> {
        let conn = match pool.acquire().await {
            Ok(c) => c,
            Err(e) => {
                health.failed(&e.to_string());
                return Err(e.into());
            }
        };
        let mut tx = WriteTx {
            conn: Some(conn),
            backend,
            health,
            _turn: turn,
        };
        let begin = match backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        if let Err(e) = sqlx::query(begin).execute(tx.conn()).await {
            tx.health.failed(&e.to_string());
            return Err(e.into());
        }
        Ok(tx)
    }

    /// The database this transaction writes to (placeholder style, SQL dialect).
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection, for statements inside the transaction.
    pub fn conn(&mut self) -> &mut AnyConnection {
        match self.conn.as_mut() {
            Some(c) => c,
            // Only `commit` takes the connection, and it consumes `self`.
            None => unreachable!("WriteTx used after commit"),
        }
    }

    /// `COMMIT`. On success the connection goes back to the pool; on failure it is closed.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        match sqlx::query("COMMIT").execute(self.conn()).await {
            Ok(_) => {
                self.health.succeeded();
                // A clean connection: back to the pool (Drop sees `None`).
                drop(self.conn.take());
                Ok(())
            }
            Err(e) => {
                self.health.failed(&e.to_string());
                Err(e.into())
            }
        }
    }

    /// Commit when the statements succeeded; otherwise record the failure and drop (close)
    /// the connection. `result` is what the statements returned.
    pub async fn finish<T>(self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        match result {
            Ok(v) => {
                self.commit().await?;
                Ok(v)
            }
            Err(e) => {
                self.health.failed(&e.to_string());
                Err(e)
            }
        }
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            // Not committed: never hand this connection to anyone else.
            conn.close_on_drop();
        }
    }
}
