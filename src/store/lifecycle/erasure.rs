//! Erasures: a request makes a run of one `erase` action at once (revoke, then delete), keeps
//! the CI out of `register`, and is recorded; and the halt that stops every erasure after
//! HikCentral refused the admin password (kept in `service_meta`, with the SHA-256 of the
//! refused password: the same password is never sent again, a new one gets one try).

use super::people::request_erasure_in;
use super::{record, ActionKind, ActionState, RunKind};
use crate::store::audit::{Actor, AuditAction};
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};

const HALT_KEY: &str = "lifecycle.erasure_halted";

/// Why erasures are stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureHalt {
    /// SHA-256 (hex) of the admin password HikCentral refused; empty when the halt is not
    /// about a password (deletion unsupported).
    pub password_sha256: String,
    pub at_ms: i64,
    pub message: String,
}

impl Store {
    /// An erasure request for `ci`: the CI is blocked from `register`, and a run with one
    /// `erase` action is created ready to apply, in one transaction with its audit rows.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_erasure_run(
        &self,
        run_id: &str,
        ci: &str,
        person_id: Option<&str>,
        person_type: Option<&str>,
        reason: &str,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = async {
            sqlx::query(
                "INSERT INTO lifecycle_runs (id, kind, apply_requested, state, created_by_client, \
                 created_by_user, approved_by_client, approved_by_user, created_at_ms, \
                 updated_at_ms, planned_at_ms, summary) \
                 VALUES ($1, $2, 1, 'applying', $3, $4, $3, $4, $5, $5, $5, '{}')",
            )
            .bind(run_id)
            .bind(RunKind::Erasure.as_str())
            .bind(&actor.client)
            .bind(actor.user.clone())
            .bind(now_ms)
            .execute(tx.conn())
            .await?;
            sqlx::query(
                "INSERT INTO lifecycle_actions (run_id, position, ci, person_id, person_type, \
                 action, reason, state, step) VALUES ($1, 0, $2, $3, $4, $5, $6, $7, 0)",
            )
            .bind(run_id)
            .bind(ci)
            .bind(person_id.map(str::to_owned))
            .bind(person_type.map(str::to_owned))
            .bind(ActionKind::Erase.as_str())
            .bind(format!("erasure requested: {reason}"))
            .bind(ActionState::Pending.as_str())
            .execute(tx.conn())
            .await?;
            request_erasure_in(&mut tx, ci, reason, actor, now_ms).await?;
            let detail = format!("erasure of one person, requested: {reason}");
            record(
                &mut tx,
                actor,
                AuditAction::RunCreate,
                run_id,
                &detail,
                now_ms,
            )
            .await
        }
        .await;
        tx.finish(done).await
    }

    /// Why erasures are stopped, if they are.
    pub async fn erasure_halt(&self) -> Result<Option<ErasureHalt>, StoreError> {
        let value: Option<String> =
            sqlx::query_scalar("SELECT value FROM service_meta WHERE key = $1")
                .bind(HALT_KEY)
                .fetch_optional(self.pool())
                .await?;
        Ok(value.and_then(|v| serde_json::from_str(&v).ok()))
    }

    /// Stop every erasure until the password changes (or, for an unsupported deletion, an
    /// operator clears it).
    pub async fn halt_erasures(&self, halt: &ErasureHalt) -> Result<(), StoreError> {
        let value = serde_json::to_string(halt).unwrap_or_default();
        sqlx::query(
            "INSERT INTO service_meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(HALT_KEY)
        .bind(value)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Let erasures go on (a new password was configured, or an operator cleared the halt).
    pub async fn clear_erasure_halt(&self) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM service_meta WHERE key = $1")
            .bind(HALT_KEY)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
