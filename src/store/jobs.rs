//! Bulk sync jobs and their items.

use super::audit::{append, Actor, AuditAction, AuditOutcome, AuditRecord};
use super::{Store, StoreError};
use crate::store::operator::{Key, OneRow};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncJob {
    pub id: String,
    pub kind: String,
    pub filter: String,
    pub dry_run: bool,
    pub state: super::JobState,
    pub total: i64,
    pub current_ci: Option<String>,
    pub current_name: Option<String>,
    pub error: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    /// Who created it (the client, and the acting user when known): its persons' changes are
    /// recorded in their name (read through the audit log, not shown in job answers).
    #[serde(skip)]
    pub created_by_client: Option<String>,
    #[serde(skip)]
    pub created_by_user: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncJobItem {
    pub position: i64,
    pub ci: String,
    pub name: String,
    pub outcome: Option<String>,
    pub code: Option<String>,
    pub reason: Option<String>,
    pub person_id: Option<String>,
}

const JOB_COLUMNS: &str = "id, kind, filter, dry_run, state, total, current_ci, current_name, \
     error, created_at_ms, updated_at_ms, finished_at_ms, created_by_client, created_by_user";

fn job(r: &sqlx::any::AnyRow) -> Result<SyncJob, StoreError> {
    Ok(SyncJob {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        filter: r.try_get("filter")?,
        dry_run: r.try_get::<i64, _>("dry_run")? != 0,
        state: r.try_get("state")?,
        total: r.try_get("total")?,
        current_ci: r.try_get("current_ci")?,
        current_name: r.try_get("current_name")?,
        error: r.try_get("error")?,
        created_at_ms: r.try_get("created_at_ms")?,
        updated_at_ms: r.try_get("updated_at_ms")?,
        finished_at_ms: r.try_get("finished_at_ms")?,
        created_by_client: r.try_get("created_by_client")?,
        created_by_user: r.try_get("created_by_user")?,
    })
}

impl SyncJob {
    /// Who the job's changes are recorded as: its creator (the service, for a job from before
    /// creators were kept).
    pub fn actor(&self) -> Actor {
        match &self.created_by_client {
            Some(client) => Actor::new(client.clone(), self.created_by_user.clone()),
            None => Actor::service(),
        }
    }
}

impl Store {
    /// Create a queued job with its people (ci, name) in order, in one transaction.
    /// …created by `actor`, recorded in the audit log in the same transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_sync_job(
        &self,
        id: &str,
        kind: &str,
        filter: &str,
        dry_run: bool,
        people: &[(String, String)],
        actor: &Actor,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let result = async {
            Self::insert_job(&mut tx, id, kind, filter, dry_run, people, actor, now_ms).await?;
            let detail = format!(
                "{kind} job of {} people{}",
                people.len(),
                if dry_run { " (dry run)" } else { "" }
            );
            let rec = AuditRecord {
                action: AuditAction::JobCreate,
                target_kind: "job",
                target: id,
                outcome: AuditOutcome::Ok,
                detail: &detail,
            };
            append(&mut tx, actor, &rec, now_ms).await.map(|_| ())
        }
        .await;
        tx.finish(result).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_job(
        tx: &mut super::WriteTx,
        id: &str,
        kind: &str,
        filter: &str,
        dry_run: bool,
        people: &[(String, String)],
        actor: &Actor,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sync_jobs (id, kind, filter, dry_run, state, total, created_at_ms, \
             updated_at_ms, created_by_client, created_by_user) \
             VALUES ($1, $2, $3, $4, 'queued', $5, $6, $6, $7, $8)",
        )
        .bind(id)
        .bind(kind)
        .bind(filter)
        .bind(i64::from(dry_run))
        .bind(people.len() as i64)
        .bind(now_ms)
        .bind(&actor.client)
        .bind(actor.user.clone())
        .execute(tx.conn())
        .await?;
        for (i, (ci, name)) in people.iter().enumerate() {
            sqlx::query(
                "INSERT INTO sync_job_items (job_id, position, ci, name) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(i as i64)
            .bind(ci.as_str())
            .bind(name.as_str())
            .execute(tx.conn())
            .await?;
        }
        Ok(())
    }

    pub async fn sync_job(&self, id: &str) -> Result<Option<SyncJob>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM sync_jobs WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(job).transpose()
    }

    /// The newest jobs first.
    pub async fn recent_sync_jobs(&self, limit: i64) -> Result<Vec<SyncJob>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM sync_jobs ORDER BY created_at_ms DESC, id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(job).collect()
    }

    /// The oldest job that is queued or was running (a restart resumes it).
    pub async fn next_sync_job(&self) -> Result<Option<SyncJob>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM sync_jobs WHERE state IN ('running', 'queued') \
             ORDER BY CASE state WHEN 'running' THEN 0 ELSE 1 END, created_at_ms, id LIMIT 1"
        ))
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(job).transpose()
    }

    pub async fn set_sync_job_state(
        &self,
        id: &str,
        state: super::JobState,
        error: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let finished = state.is_finished().then_some(now_ms);
        sqlx::query(
            "UPDATE sync_jobs SET state = $2, error = COALESCE($3, error), updated_at_ms = $4, \
             finished_at_ms = COALESCE($5, finished_at_ms), \
             current_ci = CASE WHEN $5 IS NULL THEN current_ci ELSE NULL END, \
             current_name = CASE WHEN $5 IS NULL THEN current_name ELSE NULL END WHERE id = $1",
        )
        .bind(id)
        .bind(state.as_str())
        .bind(error.map(str::to_string))
        .bind(now_ms)
        .bind(finished)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Cancel a queued or running job, recorded. False when it had ended already.
    pub async fn cancel_sync_job(
        &self,
        id: &str,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let change = OneRow {
            sql: "UPDATE sync_jobs SET state = 'cancelled', updated_at_ms = $2, finished_at_ms = $2, \
                  current_ci = NULL, current_name = NULL WHERE id = $1 AND state IN ('queued', 'running')",
            with_time: true,
            key: Key::Text(id),
            action: AuditAction::JobCancel,
            kind: "job",
            detail: "cancelled: the persons not yet processed are left as they are",
        };
        self.change_one(change, actor, now_ms).await
    }

    pub async fn set_sync_job_current(
        &self,
        id: &str,
        ci: &str,
        name: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE sync_jobs SET current_ci = $2, current_name = $3, updated_at_ms = $4 WHERE id = $1")
            .bind(id)
            .bind(ci)
            .bind(name)
            .bind(now_ms)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Items not processed yet, in order.
    pub async fn pending_sync_items(&self, id: &str) -> Result<Vec<SyncJobItem>, StoreError> {
        self.sync_items(id, true).await
    }

    pub async fn sync_items(
        &self,
        id: &str,
        pending_only: bool,
    ) -> Result<Vec<SyncJobItem>, StoreError> {
        let filter = if pending_only {
            "AND outcome IS NULL"
        } else {
            ""
        };
        let rows = sqlx::query(&format!(
            "SELECT position, ci, name, outcome, code, reason, person_id FROM sync_job_items \
             WHERE job_id = $1 {filter} ORDER BY position"
        ))
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SyncJobItem {
                    position: r.try_get("position")?,
                    ci: r.try_get("ci")?,
                    name: r.try_get("name")?,
                    outcome: r.try_get("outcome")?,
                    code: r.try_get("code")?,
                    reason: r.try_get("reason")?,
                    person_id: r.try_get("person_id")?,
                })
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn record_sync_item(
        &self,
        id: &str,
        position: i64,
        outcome: &str,
        code: Option<&str>,
        reason: &str,
        person_id: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sync_job_items SET outcome = $3, code = $4, reason = $5, person_id = $6, \
             done_at_ms = $7 WHERE job_id = $1 AND position = $2",
        )
        .bind(id)
        .bind(position)
        .bind(outcome)
        .bind(code.map(str::to_string))
        .bind(reason)
        .bind(person_id.map(str::to_string))
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Processed items per outcome.
    pub async fn sync_job_counts(&self, id: &str) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(self
            .sync_job_counts_of(&[id])
            .await?
            .remove(id)
            .unwrap_or_default())
    }

    /// Processed items per outcome of each job in `ids`, in one query (per
    /// [`super::MAX_LIST_PARAMS`] jobs) instead of one per job. A job with nothing processed
    /// yet is absent.
    pub async fn sync_job_counts_of(
        &self,
        ids: &[&str],
    ) -> Result<HashMap<String, Vec<(String, i64)>>, StoreError> {
        let mut counts: HashMap<String, Vec<(String, i64)>> = HashMap::new();
        for chunk in ids.chunks(super::MAX_LIST_PARAMS) {
            let sql = format!(
                "SELECT job_id, outcome, COUNT(*) AS n FROM sync_job_items \
                 WHERE job_id IN ({}) AND outcome IS NOT NULL \
                 GROUP BY job_id, outcome ORDER BY job_id, outcome",
                super::placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(self.pool()).await? {
                counts
                    .entry(r.try_get("job_id")?)
                    .or_default()
                    .push((r.try_get("outcome")?, r.try_get("n")?));
            }
        }
        Ok(counts)
    }
}
