//! What operators change by hand — parked punches retried or discarded, events decided again,
//! employee overrides — each written together with its audit row in one transaction.

use super::audit::{append, Actor, AuditAction, AuditOutcome, AuditRecord};
use super::{Store, StoreError, WriteTx};

/// One override: (person code, employee id, note).
pub type OverrideRow = (String, String, Option<String>);

async fn record(
    tx: &mut WriteTx,
    actor: &Actor,
    action: AuditAction,
    kind: &str,
    target: &str,
    detail: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    let rec = AuditRecord {
        action,
        target_kind: kind,
        target,
        outcome: AuditOutcome::Ok,
        detail,
    };
    append(tx, actor, &rec, now_ms).await.map(|_| ())
}

/// A value bound to one of the statements below (`$1` the key, `$2` the time when used).
pub(super) enum Key<'a> {
    Id(i64),
    Text(&'a str),
}

/// What one single-row operator change is: its statement (`$1` the key; `$2`, when
/// `with_time`, the time now), its key, and its audit row.
pub(super) struct OneRow<'a> {
    pub sql: &'a str,
    pub with_time: bool,
    pub key: Key<'a>,
    pub action: AuditAction,
    pub kind: &'a str,
    pub detail: &'a str,
}

impl Store {
    /// Run a statement that changes at most one row; when it did, record it in the same
    /// transaction. False (and nothing recorded) when no row was in the expected state.
    pub(super) async fn change_one(
        &self,
        c: OneRow<'_>,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = async {
            let query = sqlx::query(c.sql);
            let query = match c.key {
                Key::Id(id) => query.bind(id),
                Key::Text(t) => query.bind(t),
            };
            let query = if c.with_time {
                query.bind(now_ms)
            } else {
                query
            };
            let n = query.execute(tx.conn()).await?.rows_affected();
            if n == 1 {
                let target = match c.key {
                    Key::Id(id) => id.to_string(),
                    Key::Text(t) => t.to_owned(),
                };
                record(&mut tx, actor, c.action, c.kind, &target, c.detail, now_ms).await?;
            }
            Ok(n == 1)
        }
        .await;
        tx.finish(done).await
    }

    /// A parked punch back to the queue. False (and nothing recorded) if it was not parked.
    pub async fn retry_parked_punch(
        &self,
        id: i64,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let change = OneRow {
            sql:
                "UPDATE punches SET state = 'queued', park_reason = NULL, next_attempt_at_ms = $2, \
                  updated_at_ms = $2 WHERE id = $1 AND state = 'parked'",
            with_time: true,
            key: Key::Id(id),
            action: AuditAction::PunchRetry,
            kind: "punch",
            detail: "queued for delivery again",
        };
        self.change_one(change, actor, now_ms).await
    }

    /// A parked punch will never be sent. False (and nothing recorded) if it was not parked.
    pub async fn discard_parked_punch(
        &self,
        id: i64,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let change = OneRow {
            sql: "UPDATE punches SET state = 'discarded', updated_at_ms = $2 \
                  WHERE id = $1 AND state = 'parked'",
            with_time: true,
            key: Key::Id(id),
            action: AuditAction::PunchDiscard,
            kind: "punch",
            detail: "discarded: it will never be sent",
        };
        self.change_one(change, actor, now_ms).await
    }

    /// A parked event back to `new`, to be decided again. False if it was not parked.
    pub async fn retry_parked_event(
        &self,
        event_id: &str,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let change = OneRow {
            sql: "UPDATE events SET state = 'new', decision = NULL, reason = NULL, detail = NULL \
                  WHERE event_id = $1 AND state = 'parked'",
            with_time: false,
            key: Key::Text(event_id),
            action: AuditAction::EventRetry,
            kind: "event",
            detail: "to be decided again",
        };
        self.change_one(change, actor, now_ms).await
    }

    /// After a configuration change (e.g. a door was mapped): decided events skipped for
    /// `reason` are decided again. Returns how many; one row records it.
    pub async fn redecide_skipped(
        &self,
        reason: &str,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = async {
            let n = sqlx::query(
                "UPDATE events SET state = 'new', decision = NULL, reason = NULL, detail = NULL \
                 WHERE state = 'decided' AND decision = 'skip' AND reason = $1",
            )
            .bind(reason)
            .execute(tx.conn())
            .await?
            .rows_affected();
            if reason == "unmapped_door" {
                sqlx::query("DELETE FROM unmapped_doors")
                    .execute(tx.conn())
                    .await?;
            }
            let detail = format!("{n} events skipped as {reason} to be decided again");
            record(
                &mut tx,
                actor,
                AuditAction::EventRedecide,
                "events",
                reason,
                &detail,
                now_ms,
            )
            .await?;
            Ok(n)
        }
        .await;
        tx.finish(done).await
    }

    /// One `out_of_window` event becomes `new`, so the decider decides it like any other.
    /// False (and nothing recorded) when there is no such event or it is in another state.
    pub async fn admit_event(
        &self,
        event_id: &str,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let change = OneRow {
            sql: "UPDATE events SET state = 'new', decision = NULL, reason = NULL, detail = NULL \
                  WHERE event_id = $1 AND state = 'out_of_window'",
            with_time: false,
            key: Key::Text(event_id),
            action: AuditAction::EventAdmit,
            kind: "event",
            detail: "admitted: decided like any other event",
        };
        self.change_one(change, actor, now_ms).await
    }

    /// Every `out_of_window` event whose time is in `from_ms .. to_ms` (UTC milliseconds, end
    /// excluded) becomes `new`. Returns how many; one row records it.
    pub async fn admit_out_of_window(
        &self,
        from_ms: i64,
        to_ms: i64,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = async {
            let n = sqlx::query(
                "UPDATE events SET state = 'new', decision = NULL, reason = NULL, detail = NULL \
                 WHERE state = 'out_of_window' AND happen_at_ms >= $1 AND happen_at_ms < $2",
            )
            .bind(from_ms)
            .bind(to_ms)
            .execute(tx.conn())
            .await?
            .rows_affected();
            let range = format!("{from_ms}..{to_ms}");
            let detail =
                format!("{n} events outside the time window admitted (event times {range} ms)");
            record(
                &mut tx,
                actor,
                AuditAction::EventAdmit,
                "events",
                &range,
                &detail,
                now_ms,
            )
            .await?;
            Ok(n)
        }
        .await;
        tx.finish(done).await
    }

    /// Set overrides (one, or a whole CSV import in one transaction), each recorded.
    pub async fn set_employee_overrides(
        &self,
        rows: &[OverrideRow],
        actor: &Actor,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = async {
            for (code, emp, note) in rows {
                sqlx::query(
                    "INSERT INTO employee_overrides (person_code, employee_id, note, updated_at_ms) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (person_code) DO UPDATE SET \
                     employee_id = excluded.employee_id, note = excluded.note, \
                     updated_at_ms = excluded.updated_at_ms",
                )
                .bind(code)
                .bind(emp)
                .bind(note.clone())
                .bind(now_ms)
                .execute(tx.conn())
                .await?;
            }
            // The audit rows last: appending holds the chain's head until the commit.
            let action = if rows.len() == 1 {
                AuditAction::OverrideSet
            } else {
                AuditAction::OverrideImport
            };
            for (code, emp, _) in rows {
                let detail = format!("clocks as Humand employee {emp}");
                record(&mut tx, actor, action, "override", code, &detail, now_ms).await?;
            }
            Ok(())
        }
        .await;
        tx.finish(done).await
    }

    /// Remove an override. False (and nothing recorded) when there was none.
    pub async fn delete_employee_override(
        &self,
        person_code: &str,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let change = OneRow {
            sql: "DELETE FROM employee_overrides WHERE person_code = $1",
            with_time: false,
            key: Key::Text(person_code),
            action: AuditAction::OverrideDelete,
            kind: "override",
            detail: "removed: clocks as its own person code",
        };
        self.change_one(change, actor, now_ms).await
    }
}
