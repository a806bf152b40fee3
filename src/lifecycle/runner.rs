//! Runs start on demand (the admin API, the command line), on the schedule, or from an erasure
//! request; the job runner (on the leader, one job at a time beside bulk sync jobs) plans and
//! applies them. The schedule fires once a day at `lifecycle.schedule` in `attendance.time_zone`,
//! and not again that day after a restart.

use super::Lifecycle;
use crate::store::audit::Actor;
use crate::store::lifecycle::{RunKind, RunState};
use chrono::{TimeZone, Utc};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Why an erasure request cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum ErasureRefused {
    #[error("{0} is not a CI (1–32 letters or digits)")]
    BadCi(String),
    #[error("the person {0} is exempt from the lifecycle (lifecycle.exempt): remove the CI from it first")]
    Exempt(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl Lifecycle {
    /// Plan or apply the next waiting run; false when none waits.
    pub async fn run_next(&self) -> anyhow::Result<bool> {
        let Some(run) = self.store.next_lifecycle_run().await? else {
            return Ok(false);
        };
        match run.state {
            RunState::Planning => self.plan_run(&run).await?,
            RunState::Applying => self.apply_run(&run).await?,
            _ => {}
        }
        Ok(true)
    }

    /// A new run, planned (and applied, when asked and allowed) by the job runner.
    pub async fn start_run(
        &self,
        kind: RunKind,
        apply: bool,
        actor: &Actor,
    ) -> anyhow::Result<String> {
        let id = uuid::Uuid::new_v4().to_string();
        self.store
            .create_lifecycle_run(&id, kind, apply, actor, Utc::now().timestamp_millis())
            .await?;
        self.wake();
        self.moved();
        Ok(id)
    }

    /// An erasure request: the person is revoked and erased now, the CI kept out of later
    /// runs' `register` until an administrator lifts it.
    pub async fn request_erasure(
        &self,
        ci: &str,
        reason: &str,
        actor: &Actor,
    ) -> Result<String, ErasureRefused> {
        let ci = ci.trim();
        if !crate::person_sync::valid_ci(ci) {
            return Err(ErasureRefused::BadCi(ci.to_owned()));
        }
        if self.config.lifecycle.is_exempt(ci) {
            return Err(ErasureRefused::Exempt(ci.to_owned()));
        }
        let entry = self
            .store
            .ledger_entry(ci)
            .await
            .map_err(anyhow::Error::from)?;
        let mut person_id = entry.as_ref().and_then(|e| e.person_id.clone());
        let mut person_type = entry.and_then(|e| e.person_type);
        if person_id.is_none() {
            if let crate::person_sync::Registration::Registered { person_id: pid } = self
                .sync
                .registration(ci)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                person_id = Some(pid);
            }
        }
        if person_type.is_none() {
            if let Ok(dir) = self.sync.siad() {
                person_type = dir
                    .person_by_ci(ci)
                    .await
                    .ok()
                    .flatten()
                    .map(|p| p.person_type);
            }
        }
        let id = uuid::Uuid::new_v4().to_string();
        self.store
            .create_erasure_run(
                &id,
                ci,
                person_id.as_deref(),
                person_type.as_deref(),
                reason,
                actor,
                Utc::now().timestamp_millis(),
            )
            .await
            .map_err(anyhow::Error::from)?;
        self.wake();
        self.moved();
        Ok(id)
    }

    /// The next scheduled moment after `now`, in UTC.
    pub fn next_scheduled(&self, now: chrono::DateTime<Utc>) -> Option<chrono::DateTime<Utc>> {
        let at = self.config.lifecycle.schedule?;
        let tz = self.config.time_zone;
        let local = now.with_timezone(&tz).date_naive();
        [local, local.succ_opt()?]
            .into_iter()
            .filter_map(|d| tz.from_local_datetime(&d.and_time(at)).earliest())
            .map(|t| t.with_timezone(&Utc))
            .find(|t| *t > now)
    }

    /// The schedule: a run at each scheduled moment (the leader's worker). Nothing when no
    /// schedule is configured.
    pub async fn run_schedule(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        if self.config.lifecycle.schedule.is_none() {
            tracing::info!("lifecycle.schedule is empty: lifecycle runs happen on demand only");
            shutdown.cancelled().await;
            return Ok(());
        }
        loop {
            let now = Utc::now();
            let Some(next) = self.next_scheduled(now) else {
                anyhow::bail!("lifecycle.schedule has no next moment in attendance.time_zone");
            };
            let wait = (next - now).to_std().unwrap_or(Duration::ZERO);
            tracing::info!(at = %next.to_rfc3339(), "next scheduled lifecycle run");
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(wait) => {}
            }
            // Not twice for the same moment (another replica, or a restart just after it).
            let since = next.timestamp_millis() - 60_000;
            let done = self
                .store
                .lifecycle_runs(50)
                .await?
                .iter()
                .any(|r| r.kind == RunKind::Scheduled && r.created_at_ms >= since);
            if !done {
                let apply = self.config.lifecycle.schedule_applies;
                match self
                    .start_run(RunKind::Scheduled, apply, &Actor::service())
                    .await
                {
                    Ok(id) => tracing::info!(run = %id, apply, "scheduled lifecycle run started"),
                    Err(e) => {
                        tracing::warn!(error = %format!("{e:#}").escape_debug(), "scheduled lifecycle run could not start")
                    }
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(Duration::from_secs(61)) => {}
            }
        }
    }
}
