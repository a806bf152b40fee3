//! A run's actions: reading them (pending, a page, counts), the step an action reached, and
//! its end — the action row, the person's lifecycle state and the audit row of the change in
//! one transaction.

use super::people::{apply_change, PersonChange};
use super::{ActionKind, ActionState};
use crate::store::audit::{append, Actor, AuditAction, AuditOutcome, AuditRecord};
use crate::store::{Store, StoreError};
use serde::Serialize;

/// One action, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LifecycleAction {
    #[serde(skip)]
    pub run_id: String,
    pub position: i64,
    pub ci: String,
    pub person_id: Option<String>,
    pub person_type: Option<String>,
    pub action: ActionKind,
    pub reason: String,
    pub state: ActionState,
    /// Steps already done (a resumed action starts after them).
    pub step: i64,
    /// `ok`, `refused`, `failed` or `partial` once done or failed.
    pub outcome: Option<String>,
    pub detail: Option<String>,
    pub upstream_code: Option<String>,
    pub upstream_msg: Option<String>,
    pub done_at_ms: Option<i64>,
}

const ACTION_COLUMNS: &str = "run_id, position, ci, person_id, person_type, action, reason, \
    state, step, outcome, detail, upstream_code, upstream_msg, done_at_ms";

/// Which of a run's actions to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ActionFilter {
    /// Only this action.
    pub action: Option<ActionKind>,
    /// Only actions that did not end well (failed, refused, or partial).
    pub problems_only: bool,
}

impl ActionFilter {
    /// Every action of one kind.
    pub fn of(action: ActionKind) -> Self {
        Self {
            action: Some(action),
            problems_only: false,
        }
    }
}

/// How an action ended.
#[derive(Debug, Clone)]
pub struct ActionEnd<'a> {
    pub state: ActionState,
    /// `ok`, `refused`, `failed` or `partial` (done, but a device reported an error).
    pub outcome: &'a str,
    pub detail: &'a str,
    /// HikCentral's code and message, when it answered one.
    pub upstream: Option<(&'a str, &'a str)>,
}

/// The audit action of a lifecycle action.
pub fn audit_action(kind: ActionKind) -> AuditAction {
    match kind {
        ActionKind::Register => AuditAction::PersonRegister,
        ActionKind::RefreshFace => AuditAction::PersonFaceUpdate,
        ActionKind::RefreshPerson => AuditAction::PersonRefresh,
        ActionKind::Revoke => AuditAction::PersonRevoke,
        ActionKind::Restore => AuditAction::PersonRestore,
        ActionKind::Erase => AuditAction::PersonErase,
        ActionKind::Unmanaged | ActionKind::Skip => AuditAction::HttpRequest,
    }
}

impl Store {
    /// The actions of a run not applied yet, in order (at most `limit`).
    pub async fn pending_lifecycle_actions(
        &self,
        run_id: &str,
        limit: i64,
    ) -> Result<Vec<LifecycleAction>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ACTION_COLUMNS} FROM lifecycle_actions \
             WHERE run_id = $1 AND state = 'pending' ORDER BY position LIMIT $2"
        ))
        .bind(run_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Actions of a run in order after position `after` (optionally of one kind, and only
    /// those that did not end well: failed, refused or partial), at most `limit`.
    pub async fn lifecycle_actions(
        &self,
        run_id: &str,
        filter: ActionFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<LifecycleAction>, StoreError> {
        let mut sql = format!(
            "SELECT {ACTION_COLUMNS} FROM lifecycle_actions WHERE run_id = $1 AND position > $2"
        );
        if filter.action.is_some() {
            sql.push_str(" AND action = $4");
        }
        if filter.problems_only {
            sql.push_str(" AND (state = 'failed' OR outcome IN ('refused', 'failed', 'partial'))");
        }
        sql.push_str(" ORDER BY position LIMIT $3");
        let mut q = sqlx::query_as(&sql).bind(run_id).bind(after).bind(limit);
        if let Some(a) = filter.action {
            q = q.bind(a.as_str());
        }
        Ok(q.fetch_all(self.pool()).await?)
    }

    /// The newest run (erasure requests apart) when it failed, or was applied with actions
    /// that failed (HikCentral errors; a refused photo is not a failure): its id and why.
    pub async fn lifecycle_latest_failure(&self) -> Result<Option<(String, String)>, StoreError> {
        use super::{RunKind, RunState};
        let runs = self.lifecycle_runs(20).await?;
        let Some(r) = runs.iter().find(|r| r.kind != RunKind::Erasure) else {
            return Ok(None);
        };
        match r.state {
            RunState::Failed => Ok(Some((r.id.clone(), r.error.clone().unwrap_or_default()))),
            RunState::Applied => {
                let n: i64 = self
                    .lifecycle_counts(&r.id)
                    .await?
                    .iter()
                    .filter(|(_, state, outcome, _)| {
                        state == "failed" || outcome.as_deref() == Some("failed")
                    })
                    .map(|(_, _, _, n)| n)
                    .sum();
                Ok((n > 0).then(|| {
                    let why = format!(
                        "{n} of its actions failed (GET /admin/lifecycle/runs/{}/actions?problems=true)",
                        r.id
                    );
                    (r.id.clone(), why)
                }))
            }
            _ => Ok(None),
        }
    }

    /// How many actions a run has, per (action, state, outcome).
    pub async fn lifecycle_counts(
        &self,
        run_id: &str,
    ) -> Result<Vec<(String, String, Option<String>, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT action, state, outcome, COUNT(*) FROM lifecycle_actions WHERE run_id = $1 \
             GROUP BY action, state, outcome ORDER BY action, state, outcome",
        )
        .bind(run_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Record that an action finished step `step` (a resume starts after it), with what a
    /// later step needs to know (`note`, kept in `detail` until the action ends).
    pub async fn lifecycle_step_done(
        &self,
        run_id: &str,
        position: i64,
        step: i64,
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE lifecycle_actions SET step = $3, detail = COALESCE($4, detail) \
             WHERE run_id = $1 AND position = $2 AND step < $3",
        )
        .bind(run_id)
        .bind(position)
        .bind(step)
        .bind(note.map(str::to_owned))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// An action ends: its row, the person's lifecycle state (when it changed) and the audit
    /// row of the change, in one transaction.
    /// `actor` is `None` when the change recorded itself (a registration or face update through
    /// person sync writes its own audit row).
    pub async fn finish_lifecycle_action(
        &self,
        action: &LifecycleAction,
        end: &ActionEnd<'_>,
        person: Option<&PersonChange<'_>>,
        actor: Option<&Actor>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = async {
            sqlx::query(
                "UPDATE lifecycle_actions SET state = $3, outcome = $4, detail = $5, \
                 upstream_code = $6, upstream_msg = $7, done_at_ms = $8 \
                 WHERE run_id = $1 AND position = $2",
            )
            .bind(&action.run_id)
            .bind(action.position)
            .bind(end.state.as_str())
            .bind(end.outcome)
            .bind(end.detail)
            .bind(end.upstream.map(|u| u.0.to_owned()))
            .bind(end.upstream.map(|u| u.1.to_owned()))
            .bind(now_ms)
            .execute(tx.conn())
            .await?;
            if let Some(change) = person {
                apply_change(&mut tx, &action.ci, change, now_ms).await?;
            }
            let Some(actor) = actor else {
                return Ok(());
            };
            let rec = AuditRecord {
                action: audit_action(action.action),
                target_kind: "person",
                target: &action.ci,
                outcome: match end.outcome {
                    "ok" | "partial" => AuditOutcome::Ok,
                    "refused" => AuditOutcome::Refused,
                    _ => AuditOutcome::Failed,
                },
                detail: end.detail,
            };
            append(&mut tx, actor, &rec, now_ms).await.map(|_| ())
        }
        .await;
        tx.finish(done).await
    }
}
