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
    /// The version of the SIAD photo last sent or compared (a digest of its bytes).
    pub siad_photo_version: Option<String>,
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
    /// `None` keeps the stored version of the SIAD photo.
    pub photo_version: Option<&'a str>,
    pub outcome: &'a str,
    pub reason: &'a str,
}

/// A ledger row as read by the queries below (every column of `LedgerEntry`).
fn entry(r: &sqlx::any::AnyRow) -> Result<LedgerEntry, StoreError> {
    Ok(LedgerEntry {
        ci: r.try_get("ci")?,
        person_id: r.try_get("person_id")?,
        person_type: r.try_get("person_type")?,
        photo_hash: r.try_get("photo_hash")?,
        last_sync_at_ms: r.try_get("last_sync_at_ms")?,
        last_outcome: r.try_get("last_outcome")?,
        last_reason: r.try_get("last_reason")?,
        siad_photo_version: r.try_get("siad_photo_version")?,
    })
}

impl Store {
    pub async fn ledger_entry(&self, ci: &str) -> Result<Option<LedgerEntry>, StoreError> {
        let row = sqlx::query(
            "SELECT ci, person_id, person_type, photo_hash, last_sync_at_ms, last_outcome, \
             last_reason, siad_photo_version FROM ledger WHERE ci = $1",
        )
        .bind(ci)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(entry).transpose()
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

    /// Every ledger row (the lifecycle's plan reads them all), read row by row so the raw
    /// rows are never all held at once.
    pub async fn ledger_all(&self) -> Result<Vec<LedgerEntry>, StoreError> {
        use futures::TryStreamExt;
        let mut rows = sqlx::query(
            "SELECT ci, person_id, person_type, photo_hash, last_sync_at_ms, last_outcome, \
             last_reason, siad_photo_version FROM ledger",
        )
        .fetch(self.pool());
        let mut out = Vec::new();
        while let Some(r) = rows.try_next().await? {
            out.push(entry(&r)?);
        }
        Ok(out)
    }

    /// Remember SIAD photo versions found unchanged in substance (compared, and alike): the
    /// next plan does not compare them again. `(ci, version)`.
    pub async fn set_photo_versions(&self, seen: &[(String, String)]) -> Result<(), StoreError> {
        if seen.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        let done = async {
            for (ci, version) in seen {
                sqlx::query("UPDATE ledger SET siad_photo_version = $2 WHERE ci = $1")
                    .bind(ci)
                    .bind(version)
                    .execute(tx.conn())
                    .await?;
            }
            Ok(())
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
         last_outcome, last_reason, updated_at_ms, siad_photo_version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $5, $8) \
         ON CONFLICT (ci) DO UPDATE SET \
         person_id = COALESCE(excluded.person_id, ledger.person_id), \
         person_type = COALESCE(excluded.person_type, ledger.person_type), \
         photo_hash = COALESCE(excluded.photo_hash, ledger.photo_hash), \
         siad_photo_version = COALESCE(excluded.siad_photo_version, ledger.siad_photo_version), \
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
    .bind(u.photo_version.map(str::to_string))
    .execute(conn)
    .await?;
    Ok(())
}
