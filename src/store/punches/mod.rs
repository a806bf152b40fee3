//! The outbox: punches waiting for, in, or done with delivery to Humand.

mod outcomes;
mod state;

pub use state::{PunchState, UnknownPunchState};

use super::{Backend, StoreError};
use crate::attendance::Direction;
use serde::Serialize;
use sqlx::{AnyPool, Row};
use std::collections::HashMap;

/// A decided punch to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPunch {
    pub event_id: String,
    pub employee_id: String,
    pub direction: Direction,
    pub at_ms: i64,
    pub local_day: String,
    pub door: String,
    /// When delivery may first send it (decision time plus `delivery.settle_secs`).
    pub due_at_ms: i64,
}

/// One row of `punches` (the columns of [`COLUMNS`], by name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Punch {
    pub id: i64,
    pub event_id: String,
    pub employee_id: String,
    pub direction: Direction,
    pub at_ms: i64,
    pub local_day: String,
    pub door: String,
    pub state: PunchState,
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

const COLUMNS: &str = "id, event_id, employee_id, direction, at_ms, local_day, door, state, \
     attempts, next_attempt_at_ms, last_error, request, response_status, response_body, \
     humand_entry_id, park_reason, created_at_ms, updated_at_ms";

/// Filters for listing punches.
#[derive(Debug, Clone, Default)]
pub struct PunchFilter {
    pub state: Option<PunchState>,
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
    ) -> Result<Vec<(Direction, i64)>, StoreError> {
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
    ) -> Result<HashMap<String, Vec<(Direction, i64)>>, StoreError> {
        let mut found: HashMap<String, Vec<(Direction, i64)>> = HashMap::new();
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

    /// The punches of several events at once, by event id.
    pub async fn by_events(
        &self,
        event_ids: &[&str],
    ) -> Result<HashMap<String, Punch>, StoreError> {
        let mut found = HashMap::new();
        for chunk in event_ids.chunks(super::MAX_LIST_PARAMS) {
            let sql = format!(
                "SELECT {COLUMNS} FROM punches WHERE event_id IN ({})",
                super::placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(self.pool).await? {
                let p = punch(&row)?;
                found.insert(p.event_id.clone(), p);
            }
        }
        Ok(found)
    }

    pub async fn list(&self, f: &PunchFilter) -> Result<Vec<Punch>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM punches WHERE ($1 = '' OR state = $1) \
             AND ($2 = '' OR employee_id = $2) AND ($3 = '' OR local_day = $3) \
             ORDER BY at_ms, id LIMIT $4"
        ))
        .bind(f.state.map_or("", PunchState::as_str))
        .bind(f.employee_id.clone().unwrap_or_default())
        .bind(f.local_day.clone().unwrap_or_default())
        .bind(if f.limit > 0 { f.limit } else { 200 })
        .fetch_all(self.pool)
        .await?;
        rows.iter().map(punch).collect()
    }

    /// Counts per state.
    pub async fn counts(&self) -> Result<Vec<(PunchState, i64)>, StoreError> {
        let rows =
            sqlx::query("SELECT state, COUNT(*) AS n FROM punches GROUP BY state ORDER BY state")
                .fetch_all(self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
            .collect()
    }

    /// An outcome recorded by a replica whose claim had already expired and been taken over:
    /// nothing was changed here, and the new holder looks the punch up before any resend.
    fn claim_held(&self, id: i64, rows: u64) -> Result<(), StoreError> {
        if rows == 0 && !self.owner.is_empty() {
            tracing::warn!(punch = id, "the claim on this punch had expired; its outcome is left to the replica that holds it now");
        }
        Ok(())
    }
}

pub(super) fn punch(r: &sqlx::any::AnyRow) -> Result<Punch, StoreError> {
    Ok(sqlx::FromRow::from_row(r)?)
}
