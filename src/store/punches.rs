//! The outbox: punches waiting for, in, or done with delivery to Humand.

use super::{Backend, StoreError};
use serde::Serialize;
use sqlx::{AnyPool, Row};
use std::collections::HashMap;

/// A decided punch to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPunch {
    pub event_id: String,
    pub employee_id: String,
    /// `entry` | `exit`.
    pub direction: String,
    pub at_ms: i64,
    pub local_day: String,
    pub door: String,
    /// When delivery may first send it (decision time plus `delivery.settle_secs`).
    pub due_at_ms: i64,
}

/// One row of `punches`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Punch {
    pub id: i64,
    pub event_id: String,
    pub employee_id: String,
    pub direction: String,
    pub at_ms: i64,
    pub local_day: String,
    pub door: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at_ms: i64,
    pub last_error: Option<String>,
    pub request: Option<String>,
    pub response_status: Option<i64>,
    pub response_body: Option<String>,
    pub humand_entry_id: Option<String>,
    pub park_reason: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// States a punch can be in.
pub mod state {
    pub const QUEUED: &str = "queued";
    /// Sent (or about to be) with no recorded outcome: checked against Humand before resending.
    pub const SENDING: &str = "sending";
    pub const DELIVERED: &str = "delivered";
    pub const PARKED: &str = "parked";
    pub const DRY_RUN: &str = "dry_run";
    pub const DISCARDED: &str = "discarded";
    /// Every state, in the order operators read them.
    pub const ALL: [&str; 6] = [QUEUED, SENDING, PARKED, DELIVERED, DRY_RUN, DISCARDED];
}

const COLUMNS: &str = "id, event_id, employee_id, direction, at_ms, local_day, door, state, \
     attempts, next_attempt_at_ms, last_error, request, response_status, response_body, \
     humand_entry_id, park_reason, created_at_ms, updated_at_ms";

/// Filters for listing punches.
#[derive(Debug, Clone, Default)]
pub struct PunchFilter {
    pub state: Option<String>,
    pub employee_id: Option<String>,
    pub local_day: Option<String>,
    pub limit: i64,
}

pub struct Punches<'a> {
    pool: &'a AnyPool,
    backend: Backend,
    /// The replica whose claims the state changes below act on; empty = no claim checked
    /// (single-process tools and tests).
    owner: &'a str,
}

impl<'a> Punches<'a> {
    pub(super) fn new(pool: &'a AnyPool, backend: Backend, owner: &'a str) -> Self {
        Self {
            pool,
            backend,
            owner,
        }
    }

    /// The employee's punches between two instants that count for the rules (not parked or
    /// discarded), oldest first, as (direction, at_ms).
    pub async fn history(
        &self,
        employee_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT direction, at_ms FROM punches WHERE employee_id = $1 AND at_ms >= $2 \
             AND at_ms <= $3 AND state NOT IN ('parked', 'discarded') ORDER BY at_ms, id",
        )
        .bind(employee_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("direction")?, r.try_get("at_ms")?)))
            .collect()
    }

    /// [`Punches::history`] of several employees at once, each list in time order.
    pub async fn histories(
        &self,
        employee_ids: &[&str],
        from_ms: i64,
        to_ms: i64,
    ) -> Result<HashMap<String, Vec<(String, i64)>>, StoreError> {
        let mut found: HashMap<String, Vec<(String, i64)>> = HashMap::new();
        for chunk in employee_ids.chunks(super::MAX_LIST_PARAMS) {
            let sql = format!(
                "SELECT employee_id, direction, at_ms FROM punches WHERE employee_id IN ({}) \
                 AND at_ms >= $1 AND at_ms <= $2 AND state NOT IN ('parked', 'discarded') \
                 ORDER BY at_ms, id",
                super::placeholders(3, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(from_ms).bind(to_ms);
            for e in chunk {
                q = q.bind(*e);
            }
            for r in q.fetch_all(self.pool).await? {
                found
                    .entry(r.try_get("employee_id")?)
                    .or_default()
                    .push((r.try_get("direction")?, r.try_get("at_ms")?));
            }
        }
        Ok(found)
    }

    /// Claim, for this repository's owner until `lease_until_ms`, the due heads of up to
    /// `limit` employees' queues that no live claim holds, most overdue first. A head stays
    /// claimed until its outcome is recorded, its lease expires, or its replica's last
    /// heartbeat is older than `dead_before_ms` (the replica died), so no punch is ever in
    /// flight from two live replicas; on PostgreSQL `FOR UPDATE SKIP LOCKED` makes concurrent
    /// claimers pass each other instead of waiting or double-claiming.
    pub async fn claim_due_heads(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        dead_before_ms: i64,
        limit: i64,
    ) -> Result<Vec<Punch>, StoreError> {
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE OF p SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let rows = sqlx::query(&format!(
            "UPDATE punches SET lease_owner = $3, lease_until_ms = $4 WHERE id IN (\
             SELECT p.id FROM punches p WHERE p.state IN ('queued', 'sending') \
             AND p.next_attempt_at_ms <= $1 \
             AND (p.lease_until_ms IS NULL OR p.lease_until_ms < $1 OR p.lease_owner = $3 \
             OR NOT EXISTS (SELECT 1 FROM replicas r WHERE r.owner = p.lease_owner \
             AND r.seen_at_ms >= $5)) \
             AND NOT EXISTS (SELECT 1 FROM punches q \
             WHERE q.employee_id = p.employee_id AND q.state IN ('queued', 'sending') \
             AND (q.at_ms < p.at_ms OR (q.at_ms = p.at_ms AND q.id < p.id))) \
             ORDER BY p.next_attempt_at_ms, p.id LIMIT $2{lock}) \
             RETURNING {COLUMNS}"
        ))
        .bind(now_ms)
        .bind(limit)
        .bind(self.owner)
        .bind(lease_until_ms)
        .bind(dead_before_ms)
        .fetch_all(self.pool)
        .await?;
        let mut claimed = rows.iter().map(punch).collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|p| (p.next_attempt_at_ms, p.id));
        Ok(claimed)
    }

    /// Give up this owner's claims (shutdown, or leadership lost) so another replica need not
    /// wait for them to expire. Punches left `sending` are looked up before any resend.
    pub async fn release_claims(&self) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE punches SET lease_owner = NULL, lease_until_ms = NULL WHERE lease_owner = $1",
        )
        .bind(self.owner)
        .execute(self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// The latest punch already delivered for `employee_id` after `at_ms`, if any (a punch
    /// arriving now for `at_ms` is late: its successor already reached Humand).
    pub async fn delivered_after(
        &self,
        employee_id: &str,
        at_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query(
            "SELECT MAX(at_ms) FROM punches WHERE employee_id = $1 AND at_ms > $2 \
             AND state = 'delivered'",
        )
        .bind(employee_id)
        .bind(at_ms)
        .fetch_one(self.pool)
        .await?
        .try_get::<Option<i64>, _>(0)?)
    }

    /// Humand entry ids already attributed to `employee_id`'s other punches: a record read back
    /// for an unknown outcome must not be one of these (it belongs to another punch).
    pub async fn attributed_entry_ids(
        &self,
        employee_id: &str,
        except_punch: i64,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT humand_entry_id FROM punches WHERE employee_id = $1 AND id <> $2 \
             AND humand_entry_id IS NOT NULL",
        )
        .bind(employee_id)
        .bind(except_punch)
        .fetch_all(self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Release every claim (SQLite at start: no other process can hold one).
    pub async fn release_all_claims(&self) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE punches SET lease_owner = NULL, lease_until_ms = NULL \
             WHERE lease_owner IS NOT NULL",
        )
        .execute(self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// When the next queued punch becomes due, if any.
    pub async fn next_due_at(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query(
            "SELECT MIN(next_attempt_at_ms) FROM punches WHERE state IN ('queued', 'sending')",
        )
        .fetch_one(self.pool)
        .await?
        .try_get::<Option<i64>, _>(0)?)
    }

    pub async fn get(&self, id: i64) -> Result<Option<Punch>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM punches WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool)
            .await?;
        row.as_ref().map(punch).transpose()
    }

    pub async fn by_event(&self, event_id: &str) -> Result<Option<Punch>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM punches WHERE event_id = $1"
        ))
        .bind(event_id)
        .fetch_optional(self.pool)
        .await?;
        row.as_ref().map(punch).transpose()
    }

    pub async fn list(&self, f: &PunchFilter) -> Result<Vec<Punch>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM punches WHERE ($1 = '' OR state = $1) \
             AND ($2 = '' OR employee_id = $2) AND ($3 = '' OR local_day = $3) \
             ORDER BY at_ms, id LIMIT $4"
        ))
        .bind(f.state.clone().unwrap_or_default())
        .bind(f.employee_id.clone().unwrap_or_default())
        .bind(f.local_day.clone().unwrap_or_default())
        .bind(if f.limit > 0 { f.limit } else { 200 })
        .fetch_all(self.pool)
        .await?;
        rows.iter().map(punch).collect()
    }

    /// Counts per state.
    pub async fn counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows =
            sqlx::query("SELECT state, COUNT(*) AS n FROM punches GROUP BY state ORDER BY state")
                .fetch_all(self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
            .collect()
    }

    /// Record that the request is about to go out: from here on the outcome is unknown until
    /// recorded, so a crash leaves the punch `sending` and it is checked before any resend.
    /// False (nothing changed, do not send) when this owner's claim has expired or moved on.
    pub async fn mark_sending(
        &self,
        id: i64,
        request: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE punches SET state = 'sending', attempts = attempts + 1, request = $2, \
             updated_at_ms = $3 WHERE id = $1 AND ($4 = '' OR (lease_owner = $4 \
             AND lease_until_ms > $3))",
        )
        .bind(id)
        .bind(request)
        .bind(now_ms)
        .bind(self.owner)
        .execute(self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn mark_delivered(
        &self,
        id: i64,
        entry_id: &str,
        status: i64,
        body: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE punches SET state = 'delivered', humand_entry_id = $2, response_status = $3, \
             response_body = $4, last_error = NULL, updated_at_ms = $5, lease_owner = NULL, \
             lease_until_ms = NULL WHERE id = $1 AND ($6 = '' OR lease_owner = $6)",
        )
        .bind(id)
        .bind(entry_id)
        .bind(status)
        .bind(body)
        .bind(now_ms)
        .bind(self.owner)
        .execute(self.pool)
        .await?;
        self.claim_held(id, done.rows_affected())
    }

    /// Try again at `next_at_ms`. `outcome_unknown` keeps the punch `sending` so the next
    /// attempt first looks for the entry in Humand.
    pub async fn retry_later(
        &self,
        id: i64,
        next_at_ms: i64,
        error: &str,
        outcome_unknown: bool,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE punches SET state = $2, next_attempt_at_ms = $3, last_error = $4, \
             updated_at_ms = $5, lease_owner = NULL, lease_until_ms = NULL \
             WHERE id = $1 AND ($6 = '' OR lease_owner = $6)",
        )
        .bind(id)
        .bind(if outcome_unknown {
            state::SENDING
        } else {
            state::QUEUED
        })
        .bind(next_at_ms)
        .bind(error)
        .bind(now_ms)
        .bind(self.owner)
        .execute(self.pool)
        .await?;
        self.claim_held(id, done.rows_affected())
    }

    /// Needs a human: keep Humand's answer and the reason.
    pub async fn park(
        &self,
        id: i64,
        reason: &str,
        status: Option<i64>,
        body: Option<&str>,
        error: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE punches SET state = 'parked', park_reason = $2, response_status = $3, \
             response_body = $4, last_error = $5, updated_at_ms = $6, lease_owner = NULL, \
             lease_until_ms = NULL WHERE id = $1 AND ($7 = '' OR lease_owner = $7)",
        )
        .bind(id)
        .bind(reason)
        .bind(status)
        .bind(body.map(str::to_string))
        .bind(error)
        .bind(now_ms)
        .bind(self.owner)
        .execute(self.pool)
        .await?;
        self.claim_held(id, done.rows_affected())
    }

    pub async fn mark_dry_run(
        &self,
        id: i64,
        request: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE punches SET state = 'dry_run', request = $2, updated_at_ms = $3, \
             lease_owner = NULL, lease_until_ms = NULL WHERE id = $1 \
             AND ($4 = '' OR lease_owner = $4)",
        )
        .bind(id)
        .bind(request)
        .bind(now_ms)
        .bind(self.owner)
        .execute(self.pool)
        .await?;
        self.claim_held(id, done.rows_affected())
    }

    /// An outcome recorded by a replica whose claim had already expired and been taken over:
    /// nothing was changed here, and the new holder looks the punch up before any resend.
    fn claim_held(&self, id: i64, rows: u64) -> Result<(), StoreError> {
        if rows == 0 && !self.owner.is_empty() {
            tracing::warn!(punch = id, "the claim on this punch had expired; its outcome is left to the replica that holds it now");
        }
        Ok(())
    }

    /// Operator action: a parked punch goes back to the queue now. False if it was not parked.
    pub async fn retry_parked(&self, id: i64, now_ms: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE punches SET state = 'queued', park_reason = NULL, next_attempt_at_ms = $2, \
             updated_at_ms = $2 WHERE id = $1 AND state = 'parked'",
        )
        .bind(id)
        .bind(now_ms)
        .execute(self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Operator action: a parked punch will never be sent. False if it was not parked.
    pub async fn discard_parked(&self, id: i64, now_ms: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE punches SET state = 'discarded', updated_at_ms = $2 WHERE id = $1 AND state = 'parked'",
        )
        .bind(id)
        .bind(now_ms)
        .execute(self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

pub(super) fn punch(r: &sqlx::any::AnyRow) -> Result<Punch, StoreError> {
    Ok(Punch {
        id: r.try_get("id")?,
        event_id: r.try_get("event_id")?,
        employee_id: r.try_get("employee_id")?,
        direction: r.try_get("direction")?,
        at_ms: r.try_get("at_ms")?,
        local_day: r.try_get("local_day")?,
        door: r.try_get("door")?,
        state: r.try_get("state")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at_ms: r.try_get("next_attempt_at_ms")?,
        last_error: r.try_get("last_error")?,
        request: r.try_get("request")?,
        response_status: r.try_get("response_status")?,
        response_body: r.try_get("response_body")?,
        humand_entry_id: r.try_get("humand_entry_id")?,
        park_reason: r.try_get("park_reason")?,
        created_at_ms: r.try_get("created_at_ms")?,
        updated_at_ms: r.try_get("updated_at_ms")?,
    })
}
