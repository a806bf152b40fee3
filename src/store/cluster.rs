//! Several replicas on one database: named leases (who runs the cluster-wide workers) and the
//! replicas' heartbeats. Both are plain rows, so they work the same on SQLite and PostgreSQL.

use super::{Store, StoreError};

impl Store {
    /// Take or renew lease `name` for `owner` until `now_ms + ttl_ms`. Succeeds when the lease
    /// is free, expired, or already `owner`'s; the database decides, so two replicas asking at
    /// once never both get it.
    pub async fn try_lease(
        &self,
        name: &str,
        owner: &str,
        ttl_ms: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO leases (name, owner, until_ms, acquired_at_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until_ms = excluded.until_ms, \
             acquired_at_ms = CASE WHEN leases.owner = excluded.owner THEN leases.acquired_at_ms \
             ELSE excluded.acquired_at_ms END \
             WHERE leases.owner = excluded.owner OR leases.until_ms < $4",
        )
        .bind(name)
        .bind(owner)
        .bind(now_ms.saturating_add(ttl_ms))
        .bind(now_ms)
        .execute(self.pool())
        .await;
        let done = self.track_write(done)?;
        Ok(done.rows_affected() == 1)
    }

    /// Give lease `name` up at once if `owner` holds it (clean shutdown: no wait for expiry).
    pub async fn release_lease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND owner = $2")
            .bind(name)
            .bind(owner)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Record that `owner` is alive. Also the store's write probe: its outcome updates
    /// [`Store::write_health`], so a store that failed recovers its status without traffic.
    pub async fn heartbeat(
        &self,
        owner: &str,
        started_at_ms: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "INSERT INTO replicas (owner, started_at_ms, seen_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (owner) DO UPDATE SET seen_at_ms = excluded.seen_at_ms",
        )
        .bind(owner)
        .bind(started_at_ms)
        .bind(now_ms)
        .execute(self.pool())
        .await;
        self.track_write(done).map(|_| ())
    }

    /// Record a single-statement write's outcome in the write health.
    pub(crate) fn track_write<T>(&self, result: Result<T, sqlx::Error>) -> Result<T, StoreError> {
        match result {
            Ok(v) => {
                self.write_health().succeeded();
                Ok(v)
            }
            Err(e) => {
                self.write_health().failed(&e.to_string());
                Err(e.into())
            }
        }
    }
}
