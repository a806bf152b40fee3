//! The ledger: SIAD person (CI) ↔ HikCentral personId, photo hash, last sync and outcome.

use super::audit::{append, Actor, AuditRecord};
use super::{Store, StoreError};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    pub ci: String,
    pub person_id: Option<String>,
    pub person_type: Option<String>,
    pub photo_hash: Option<String>,
    pub last_sync_at_ms: Option<i64>,
    pub last_outcome: Option<String>,
    pub last_reason: Option<String>,
}

/// One sync result to write.
#[derive(Debug, Clone, Default)]
pub struct LedgerUpdate<'a> {
    pub ci: &'a str,
    /// `None` keeps the stored personId.
    pub person_id: Option<&'a str>,
    pub person_type: Option<&'a str>,
    /// `None` keeps the stored hash.
    pub photo_hash: Option<&'a str>,
    pub outcome: &'a str,
    pub reason: &'a str,
}

impl Store {
    pub async fn ledger_entry(&self, ci: &str) -> Result<Option<LedgerEntry>, StoreError> {
        let row = sqlx::query(
            "SELECT ci, person_id, person_type, photo_hash, last_sync_at_ms, last_outcome, \
             last_reason FROM ledger WHERE ci = $1",
        )
        .bind(ci)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(LedgerEntry {
                ci: r.try_get("ci")?,
                person_id: r.try_get("person_id")?,
                person_type: r.try_get("person_type")?,
                photo_hash: r.try_get("photo_hash")?,
                last_sync_at_ms: r.try_get("last_sync_at_ms")?,
                last_outcome: r.try_get("last_outcome")?,
                last_reason: r.try_get("last_reason")?,
            })
        })
        .transpose()
    }

    /// Record a sync result; absent fields keep what was stored.
    pub async fn record_ledger(&self, u: &LedgerUpdate<'_>, now_ms: i64) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        upsert_ledger(&mut conn, u, now_ms).await
    }

    /// Record a sync result that changed the person in HikCentral, and its audit row, in one
    /// transaction.
    pub async fn record_ledger_audited(
        &self,
        u: &LedgerUpdate<'_>,
        actor: &Actor,
        rec: &AuditRecord<'_>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = async {
            upsert_ledger(tx.conn(), u, now_ms).await?;
            append(&mut tx, actor, rec, now_ms).await.map(|_| ())
        }
        .await;
        tx.finish(done).await
    }

    /// The CIs the ledger knows as registered in HikCentral.
    pub async fn registered_cis(&self) -> Result<HashSet<String>, StoreError> {
        let rows = sqlx::query("SELECT ci FROM ledger WHERE person_id IS NOT NULL")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok(r.try_get("ci")?)).collect()
    }
}

/// Insert or update one ledger row; absent fields keep what was stored.
async fn upsert_ledger(
    conn: &mut sqlx::AnyConnection,
    u: &LedgerUpdate<'_>,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ledger (ci, person_id, person_type, photo_hash, last_sync_at_ms, \
         last_outcome, last_reason, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $5) \
         ON CONFLICT (ci) DO UPDATE SET \
         person_id = COALESCE(excluded.person_id, ledger.person_id), \
         person_type = COALESCE(excluded.person_type, ledger.person_type), \
         photo_hash = COALESCE(excluded.photo_hash, ledger.photo_hash), \
         last_sync_at_ms = excluded.last_sync_at_ms, last_outcome = excluded.last_outcome, \
         last_reason = excluded.last_reason, updated_at_ms = excluded.updated_at_ms",
    )
    .bind(u.ci)
    .bind(u.person_id.map(str::to_string))
    .bind(u.person_type.map(str::to_string))
    .bind(u.photo_hash.map(str::to_string))
    .bind(now_ms)
    .bind(u.outcome)
    .bind(u.reason)
    .execute(conn)
    .await?;
    Ok(())
}
