//! What the service knows of each SIAD person's access over time (`lifecycle_people`): active,
//! revoked (since when) or erased; when they were first found off the roster (the grace runs
//! from there); the validity window last sent; and an erasure request that keeps the CI out of
//! `register` until an administrator lifts it.

use crate::store::audit::{append, Actor, AuditAction, AuditOutcome, AuditRecord};
use crate::store::operator::{Key, OneRow};
use crate::store::words::stored_words;
use crate::store::{placeholders, Store, StoreError, WriteTx, MAX_LIST_PARAMS};
use serde::Serialize;

stored_words! {
    /// A person's access, as the lifecycle left it.
    pub enum PersonState, unknown: UnknownPersonState {
        Active = "active",
        Revoked = "revoked",
        /// Deleted in HikCentral; local personal data and fingerprints removed.
        Erased = "erased",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LifecyclePerson {
    pub ci: String,
    pub state: PersonState,
    pub missing_since_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
    pub erased_at_ms: Option<i64>,
    #[serde(skip)]
    pub register_blocked: i64,
    pub erase_reason: Option<String>,
    pub erase_requested_at_ms: Option<i64>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
}

impl LifecyclePerson {
    /// Erased on request and kept out of `register` until lifted.
    pub fn blocked(&self) -> bool {
        self.register_blocked != 0
    }
}

/// What an applied action changed about a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonChange<'a> {
    /// In HikCentral with access (registered, refreshed): off-roster time forgotten.
    Active,
    /// Access ended, with the window sent.
    Revoked {
        valid_from: &'a str,
        valid_until: &'a str,
    },
    /// Access given back, with the window sent.
    Restored {
        valid_from: &'a str,
        valid_until: &'a str,
    },
    /// Deleted in HikCentral: the ledger row (personId, photo fingerprint and version) and the
    /// personId cache go; attendance records stay.
    Erased,
}

const COLUMNS: &str = "ci, state, missing_since_ms, revoked_at_ms, erased_at_ms, \
    register_blocked, erase_reason, erase_requested_at_ms, valid_from, valid_until";

/// The row of `ci`, created active when missing (so updates below always find one).
async fn ensure_row(tx: &mut WriteTx, ci: &str, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO lifecycle_people (ci, state, register_blocked, updated_at_ms) \
         VALUES ($1, 'active', 0, $2) ON CONFLICT (ci) DO NOTHING",
    )
    .bind(ci)
    .bind(now_ms)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Write `change` for `ci` inside `tx`.
pub(super) async fn apply_change(
    tx: &mut WriteTx,
    ci: &str,
    change: &PersonChange<'_>,
    now_ms: i64,
) -> Result<(), StoreError> {
    ensure_row(tx, ci, now_ms).await?;
    let (sql, from, until) = match change {
        PersonChange::Active => (
            "UPDATE lifecycle_people SET state = 'active', missing_since_ms = NULL, \
             updated_at_ms = $2 WHERE ci = $1",
            None,
            None,
        ),
        PersonChange::Revoked {
            valid_from,
            valid_until,
        } => (
            "UPDATE lifecycle_people SET state = 'revoked', revoked_at_ms = $2, \
             valid_from = $3, valid_until = $4, updated_at_ms = $2 WHERE ci = $1",
            Some(*valid_from),
            Some(*valid_until),
        ),
        PersonChange::Restored {
            valid_from,
            valid_until,
        } => (
            "UPDATE lifecycle_people SET state = 'active', revoked_at_ms = NULL, \
             missing_since_ms = NULL, valid_from = $3, valid_until = $4, updated_at_ms = $2 \
             WHERE ci = $1",
            Some(*valid_from),
            Some(*valid_until),
        ),
        PersonChange::Erased => (
            "UPDATE lifecycle_people SET state = 'erased', erased_at_ms = $2, \
             valid_from = NULL, valid_until = NULL, updated_at_ms = $2 WHERE ci = $1",
            None,
            None,
        ),
    };
    let mut q = sqlx::query(sql).bind(ci).bind(now_ms);
    if from.is_some() {
        q = q
            .bind(from.map(str::to_owned))
            .bind(until.map(str::to_owned));
    }
    q.execute(tx.conn()).await?;
    if *change == PersonChange::Erased {
        let person_id: Option<Option<String>> =
            sqlx::query_scalar("SELECT person_id FROM ledger WHERE ci = $1")
                .bind(ci)
                .fetch_optional(tx.conn())
                .await?;
        if let Some(Some(pid)) = person_id {
            sqlx::query("DELETE FROM person_cache WHERE person_id = $1")
                .bind(pid)
                .execute(tx.conn())
                .await?;
        }
        sqlx::query("DELETE FROM person_cache WHERE person_code = $1")
            .bind(ci)
            .execute(tx.conn())
            .await?;
        sqlx::query("DELETE FROM ledger WHERE ci = $1")
            .bind(ci)
            .execute(tx.conn())
            .await?;
    }
    Ok(())
}

impl Store {
    /// Every person the lifecycle knows.
    pub async fn lifecycle_people(&self) -> Result<Vec<LifecyclePerson>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM lifecycle_people ORDER BY ci"
        ))
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn lifecycle_person(&self, ci: &str) -> Result<Option<LifecyclePerson>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM lifecycle_people WHERE ci = $1"
        ))
        .bind(ci)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Note who is off the roster since `now_ms` (kept when already noted) and who is back on
    /// it (forgotten): the grace period runs from the first.
    pub async fn note_roster_presence(
        &self,
        off: &[String],
        back: &[String],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = async {
            for ci in off {
                sqlx::query(
                    "INSERT INTO lifecycle_people (ci, state, register_blocked, missing_since_ms, \
                     updated_at_ms) VALUES ($1, 'active', 0, $2, $2) ON CONFLICT (ci) DO UPDATE \
                     SET missing_since_ms = COALESCE(lifecycle_people.missing_since_ms, \
                     excluded.missing_since_ms)",
                )
                .bind(ci)
                .bind(now_ms)
                .execute(tx.conn())
                .await?;
            }
            for chunk in back.chunks(MAX_LIST_PARAMS) {
                let sql = format!(
                    "UPDATE lifecycle_people SET missing_since_ms = NULL WHERE ci IN ({})",
                    placeholders(1, chunk.len())
                );
                let mut q = sqlx::query(&sql);
                for ci in chunk {
                    q = q.bind(ci);
                }
                q.execute(tx.conn()).await?;
            }
            Ok(())
        }
        .await;
        tx.finish(done).await
    }

    /// Lift an erasure request's block: later runs may register the CI again. False when it
    /// was not blocked.
    pub async fn lift_erasure_block(
        &self,
        ci: &str,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let change = OneRow {
            sql: "UPDATE lifecycle_people SET register_blocked = 0, updated_at_ms = $2 \
                  WHERE ci = $1 AND register_blocked = 1",
            with_time: true,
            key: Key::Text(ci),
            action: AuditAction::PersonEraseLift,
            kind: "person",
            detail: "erasure block lifted: later runs may register this person again",
        };
        self.change_one(change, actor, now_ms).await
    }
}

/// An erasure request inside `tx`: the CI is kept out of `register` from now on, with the
/// reason, recorded as `actor`'s.
pub(super) async fn request_erasure_in(
    tx: &mut WriteTx,
    ci: &str,
    reason: &str,
    actor: &Actor,
    now_ms: i64,
) -> Result<(), StoreError> {
    ensure_row(tx, ci, now_ms).await?;
    sqlx::query(
        "UPDATE lifecycle_people SET register_blocked = 1, erase_reason = $2, \
         erase_requested_at_ms = $3, updated_at_ms = $3 WHERE ci = $1",
    )
    .bind(ci)
    .bind(reason)
    .bind(now_ms)
    .execute(tx.conn())
    .await?;
    let rec = AuditRecord {
        action: AuditAction::PersonEraseRequest,
        target_kind: "person",
        target: ci,
        outcome: AuditOutcome::Ok,
        detail: reason,
    };
    append(tx, actor, &rec, now_ms).await.map(|_| ())
}
