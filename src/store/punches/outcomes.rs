//! Claims and outcomes: which replica delivers which punch (leased claims, released at
//! shutdown or taken over from a dead replica), and every state change delivery or an operator
//! makes, each only on this repository's own claim where delivery is concerned.

use super::{punch, Punch, PunchState, Punches, COLUMNS};
use crate::store::{Backend, StoreError};

impl<'a> Punches<'a> {
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
            PunchState::Sending.as_str()
        } else {
            PunchState::Queued.as_str()
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
}
