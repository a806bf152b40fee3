//! Lifecycle runs and their actions: a run is planned (one action per person, with its reason),
//! perhaps held for an operator, then applied action by action. Each action keeps the step it
//! reached, so an interrupted run resumes where it stopped without repeating a call; each state
//! change an operator makes is recorded in the audit log in the same transaction.

mod actions;
mod erasure;
mod people;
mod words;

pub use actions::{audit_action, ActionEnd, ActionFilter, LifecycleAction};
pub use erasure::ErasureHalt;
pub use people::{LifecyclePerson, PersonChange, PersonState};
pub use words::{ActionKind, ActionState, RunKind, RunState};

use super::audit::{append, Actor, AuditAction, AuditOutcome, AuditRecord};
use super::{values_rows, Store, StoreError, WriteTx};
use serde::Serialize;

/// One run, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LifecycleRun {
    pub id: String,
    pub kind: RunKind,
    #[serde(skip)]
    pub apply_requested: i64,
    pub state: RunState,
    pub held_reason: Option<String>,
    pub note: Option<String>,
    pub error: Option<String>,
    #[serde(skip)]
    pub summary: Option<String>,
    pub created_by_client: String,
    pub created_by_user: Option<String>,
    pub approved_by_client: Option<String>,
    pub approved_by_user: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub planned_at_ms: Option<i64>,
    pub finished_at_ms: Option<i64>,
}

impl LifecycleRun {
    pub fn wants_apply(&self) -> bool {
        self.apply_requested != 0
    }

    /// Who the run's changes are recorded as: the administrator who approved or applied it,
    /// else its creator; request id `run:<id>`.
    pub fn actor(&self) -> Actor {
        let mut actor = match &self.approved_by_client {
            Some(client) => Actor::new(client.clone(), self.approved_by_user.clone()),
            None => Actor::new(self.created_by_client.clone(), self.created_by_user.clone()),
        };
        actor.request_id = Some(format!("run:{}", self.id));
        actor
    }
}

/// An action decided by a plan, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAction {
    pub ci: String,
    pub person_id: Option<String>,
    pub person_type: Option<String>,
    pub action: ActionKind,
    pub reason: String,
}

const RUN_COLUMNS: &str = "id, kind, apply_requested, state, held_reason, note, error, summary, \
    created_by_client, created_by_user, approved_by_client, approved_by_user, created_at_ms, \
    updated_at_ms, planned_at_ms, finished_at_ms";
/// Actions written per INSERT.
const INSERT_BATCH: usize = 500;

/// How a plan ends: the run's next state and what to say about it.
#[derive(Debug, Clone)]
pub struct PlanOutcome<'a> {
    pub state: RunState,
    pub held_reason: Option<&'a str>,
    pub note: Option<&'a str>,
    /// JSON for operators (roster parts, counts).
    pub summary: &'a str,
}

async fn record(
    tx: &mut WriteTx,
    actor: &Actor,
    action: AuditAction,
    run: &str,
    detail: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    let rec = AuditRecord {
        action,
        target_kind: "run",
        target: run,
        outcome: AuditOutcome::Ok,
        detail,
    };
    append(tx, actor, &rec, now_ms).await.map(|_| ())
}

impl Store {
    /// A new run waiting to be planned, recorded as `actor`'s.
    pub async fn create_lifecycle_run(
        &self,
        id: &str,
        kind: RunKind,
        apply: bool,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = async {
            sqlx::query(
                "INSERT INTO lifecycle_runs (id, kind, apply_requested, state, created_by_client, \
                 created_by_user, created_at_ms, updated_at_ms) \
                 VALUES ($1, $2, $3, 'planning', $4, $5, $6, $6)",
            )
            .bind(id)
            .bind(kind.as_str())
            .bind(i64::from(apply))
            .bind(&actor.client)
            .bind(actor.user.clone())
            .bind(now_ms)
            .execute(tx.conn())
            .await?;
            let detail = format!(
                "{kind} run, {}",
                if apply { "to apply" } else { "plan only" }
            );
            record(&mut tx, actor, AuditAction::RunCreate, id, &detail, now_ms).await
        }
        .await;
        tx.finish(done).await
    }

    pub async fn lifecycle_run(&self, id: &str) -> Result<Option<LifecycleRun>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {RUN_COLUMNS} FROM lifecycle_runs WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The newest runs first.
    pub async fn lifecycle_runs(&self, limit: i64) -> Result<Vec<LifecycleRun>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {RUN_COLUMNS} FROM lifecycle_runs ORDER BY created_at_ms DESC, id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// The run to work on: one being applied (resumed), else the oldest waiting to be planned.
    pub async fn next_lifecycle_run(&self) -> Result<Option<LifecycleRun>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {RUN_COLUMNS} FROM lifecycle_runs WHERE state IN ('applying', 'planning') \
             ORDER BY CASE state WHEN 'applying' THEN 0 ELSE 1 END, created_at_ms, id LIMIT 1"
        ))
        .fetch_optional(self.pool())
        .await?)
    }

    /// Whether any run was ever planned here (the first run of an installation only plans).
    /// Erasure runs do not count: they are made ready to apply without a plan of the roster.
    pub async fn lifecycle_ever_planned(&self) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM lifecycle_runs WHERE planned_at_ms IS NOT NULL \
             AND kind <> 'erasure'",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }

    /// Store a plan's actions and move the run on, in one transaction. Only a run still
    /// `planning` takes a plan (false otherwise: it was cancelled meanwhile).
    pub async fn record_lifecycle_plan(
        &self,
        id: &str,
        actions: &[PlannedAction],
        outcome: &PlanOutcome<'_>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = async {
            let n = sqlx::query(
                "UPDATE lifecycle_runs SET state = $2, held_reason = $3, note = $4, summary = $5, \
                 planned_at_ms = $6, updated_at_ms = $6 WHERE id = $1 AND state = 'planning'",
            )
            .bind(id)
            .bind(outcome.state.as_str())
            .bind(outcome.held_reason.map(str::to_owned))
            .bind(outcome.note.map(str::to_owned))
            .bind(outcome.summary)
            .bind(now_ms)
            .execute(tx.conn())
            .await?
            .rows_affected();
            if n == 0 {
                return Ok(false);
            }
            for (chunk_no, chunk) in actions.chunks(INSERT_BATCH).enumerate() {
                let sql = format!(
                    "INSERT INTO lifecycle_actions (run_id, position, ci, person_id, person_type, \
                     action, reason, state, step) VALUES {}",
                    values_rows(tx.backend(), 9, chunk.len())
                );
                let mut q = sqlx::query(&sql);
                for (i, a) in chunk.iter().enumerate() {
                    let state = if a.action.acts() {
                        ActionState::Pending
                    } else {
                        ActionState::Reported
                    };
                    q = q
                        .bind(id)
                        .bind((chunk_no * INSERT_BATCH + i) as i64)
                        .bind(&a.ci)
                        .bind(a.person_id.clone())
                        .bind(a.person_type.clone())
                        .bind(a.action.as_str())
                        .bind(&a.reason)
                        .bind(state.as_str())
                        .bind(0_i64);
                }
                q.execute(tx.conn()).await?;
            }
            Ok(true)
        }
        .await;
        tx.finish(done).await
    }

    /// A run ends (`applied`), or fails with `error`.
    pub async fn finish_lifecycle_run(
        &self,
        id: &str,
        state: RunState,
        error: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE lifecycle_runs SET state = $2, error = $3, updated_at_ms = $4, \
             finished_at_ms = $4 WHERE id = $1 AND state IN ('planning', 'applying')",
        )
        .bind(id)
        .bind(state.as_str())
        .bind(error.map(str::to_owned))
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// An administrator applies a planned run or approves a held one: it goes to `applying`
    /// and its changes are recorded as theirs. False when it is in another state.
    pub async fn approve_lifecycle_run(
        &self,
        id: &str,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = async {
            let n = sqlx::query(
                "UPDATE lifecycle_runs SET state = 'applying', approved_by_client = $2, \
                 approved_by_user = $3, updated_at_ms = $4 \
                 WHERE id = $1 AND state IN ('planned', 'held')",
            )
            .bind(id)
            .bind(&actor.client)
            .bind(actor.user.clone())
            .bind(now_ms)
            .execute(tx.conn())
            .await?
            .rows_affected();
            if n == 1 {
                record(
                    &mut tx,
                    actor,
                    AuditAction::RunApply,
                    id,
                    "approved: to be applied",
                    now_ms,
                )
                .await?;
            }
            Ok(n == 1)
        }
        .await;
        tx.finish(done).await
    }

    /// An operator discards a plan (`planned`, `held`) or cancels a run (`planning`,
    /// `applying`: it stops between two actions; the actions not done are left undone).
    pub async fn cancel_lifecycle_run(
        &self,
        id: &str,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = async {
            let n = sqlx::query(
                "UPDATE lifecycle_runs SET state = 'cancelled', updated_at_ms = $2, \
                 finished_at_ms = $2 WHERE id = $1 \
                 AND state IN ('planning', 'planned', 'held', 'applying')",
            )
            .bind(id)
            .bind(now_ms)
            .execute(tx.conn())
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query(
                    "UPDATE lifecycle_actions SET state = 'cancelled' \
                     WHERE run_id = $1 AND state = 'pending'",
                )
                .bind(id)
                .execute(tx.conn())
                .await?;
                record(
                    &mut tx,
                    actor,
                    AuditAction::RunDiscard,
                    id,
                    "discarded or cancelled: what was not applied stays undone",
                    now_ms,
                )
                .await?;
            }
            Ok(n == 1)
        }
        .await;
        tx.finish(done).await
    }
}
