//! The bulk sync runner: what the browser loop should have been. One job at a time, person by
//! person, through the same paced HikCentral client as the frontend's own calls; every outcome
//! recorded; resumes where it stopped after a restart; cancellable between persons.
//!
//! An item's reason is stored as a catalogue message (key and parameters, JSON), not as text:
//! the CSV report renders it in the language of whoever reads it.

use crate::i18n::Message;
use crate::person_sync::{PersonSync, SyncFailure};
use crate::store::audit::{Actor, AuditAction, AuditOutcome, AuditRecord};
use crate::store::{JobState, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Attempts per person for passing trouble (HikCentral throttled or unreachable, SIAD down).
const ATTEMPTS: u32 = 3;

#[derive(Clone)]
pub struct SyncJobs {
    store: Store,
    sync: PersonSync,
    wake: Arc<Notify>,
    retry_delay: Duration,
    /// Bumped whenever a job's progress changes here, so progress streams wait for a change
    /// instead of polling the store.
    changed: Arc<watch::Sender<u64>>,
    lifecycle: Option<crate::lifecycle::Lifecycle>,
}

/// How long a lifecycle run stopped by an outage waits before it is tried again.
pub const LIFECYCLE_RETRY: Duration = Duration::from_secs(30);

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The outcome word for a contract code.
fn outcome_of(code: &str) -> &'static str {
    match code {
        "0" => "registered",
        "131" => "already_registered",
        "128" => "photo_rejected",
        "dry_run" => "would_register",
        _ => "failed",
    }
}

impl SyncJobs {
    pub fn new(store: Store, sync: PersonSync, wake: Arc<Notify>) -> Self {
        Self {
            store,
            sync,
            wake,
            retry_delay: Duration::from_secs(5),
            lifecycle: None,
            changed: Arc::new(watch::Sender::new(0)),
        }
    }

    /// A receiver that sees every progress change made in this process.
    pub fn progress_changes(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Say that a job's progress changed (the runner, or an operator's cancel).
    pub fn progress_changed(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Plan and apply lifecycle runs too, between bulk jobs (one job at a time, one pace).
    pub fn with_lifecycle(mut self, lifecycle: crate::lifecycle::Lifecycle) -> Self {
        self.lifecycle = Some(lifecycle);
        self
    }

    /// Shorter waits between attempts (tests).
    pub fn with_retry_delay(mut self, d: Duration) -> Self {
        self.retry_delay = d;
        self
    }

    /// Tell the runner a job was created.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Run until aborted: bulk jobs first, then lifecycle runs. A lifecycle pass stopped by a
    /// HikCentral outage is tried again after [`LIFECYCLE_RETRY`] (its actions resume where
    /// they stopped).
    pub async fn run(self) -> anyhow::Result<()> {
        loop {
            match self.run_next().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "sync job runner hiccup; retrying")
                }
            }
            if let Some(lifecycle) = &self.lifecycle {
                match lifecycle.run_next().await {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(error = %format!("{e:#}").escape_debug(), "lifecycle run stopped (HikCentral or SIAD unavailable?); trying again later");
                        let _ = tokio::time::timeout(LIFECYCLE_RETRY, self.wake.notified()).await;
                        continue;
                    }
                }
            }
            let _ = tokio::time::timeout(Duration::from_secs(2), self.wake.notified()).await;
        }
    }

    /// Work on the next job until it ends or is cancelled; false when there was none.
    pub async fn run_next(&self) -> anyhow::Result<bool> {
        let Some(job) = self.store.next_sync_job().await? else {
            return Ok(false);
        };
        if job.state == JobState::Queued {
            self.store
                .set_sync_job_state(&job.id, JobState::Running, None, now_ms())
                .await?;
            self.progress_changed();
            tracing::info!(job = %job.id, total = job.total, dry_run = job.dry_run, "sync job started");
        } else {
            tracing::info!(job = %job.id, "sync job resumed");
        }
        let mut counts = std::collections::BTreeMap::new();
        // Each person's change is recorded as the job creator's, marked with the job.
        let mut creator = job.actor();
        creator.scope = Some(crate::config::Scope::Sync.as_str());
        creator.request_id = Some(format!("job:{}", job.id));
        for item in self.store.pending_sync_items(&job.id).await? {
            // Cancel is checked between persons.
            match self.store.sync_job(&job.id).await?.map(|j| j.state) {
                Some(JobState::Running) => {}
                _ => {
                    tracing::info!(job = %job.id, "sync job cancelled");
                    return Ok(true);
                }
            }
            self.store
                .set_sync_job_current(&job.id, &item.ci, &item.name, now_ms())
                .await?;
            self.progress_changed();
            let actor = creator.on_behalf();
            let (outcome, code, reason, pid) = self.one(&item.ci, job.dry_run, &actor).await;
            if !job.dry_run && !actor.recorded() && outcome == "failed" {
                self.record_failure(&item.ci, &reason, &actor).await;
            }
            crate::metrics::sync_job_item(outcome);
            *counts.entry(outcome).or_insert(0u32) += 1;
            self.store
                .record_sync_item(
                    &job.id,
                    item.position,
                    outcome,
                    code.as_deref(),
                    &reason.to_stored(),
                    pid.as_deref(),
                    now_ms(),
                )
                .await?;
            self.progress_changed();
        }
        self.store
            .set_sync_job_state(&job.id, JobState::Done, None, now_ms())
            .await?;
        self.progress_changed();
        tracing::info!(job = %job.id, outcomes = ?counts, "sync job done");
        Ok(true)
    }

    /// A person the job could not register, for a reason that changed nothing in HikCentral
    /// (an outage after the retries, a store error): still on record as an attempt.
    async fn record_failure(&self, ci: &str, reason: &Message, actor: &Actor) {
        let detail = reason.english();
        let rec = AuditRecord {
            action: AuditAction::PersonRegister,
            target_kind: "person",
            target: ci,
            outcome: AuditOutcome::Failed,
            detail: &detail,
        };
        if let Err(e) = self.store.record_audit(actor, &rec).await {
            crate::metrics::audit_write_failed();
            tracing::error!(error = %e, "could not record a bulk job's failed person in the audit log");
        }
    }

    /// (outcome, contract code, reason, personId) for one person.
    async fn one(
        &self,
        ci: &str,
        dry_run: bool,
        actor: &Actor,
    ) -> (&'static str, Option<String>, Message, Option<String>) {
        let mut attempt = 1;
        loop {
            let result = if dry_run {
                self.sync.plan(ci).await
            } else {
                self.sync.register(ci, actor).await
            };
            match result {
                Ok(c) => {
                    let pid = c.data.filter(|s| !s.is_empty());
                    let code = c.code.code().to_owned();
                    return (outcome_of(&code), Some(code), c.reason, pid);
                }
                Err(e @ SyncFailure::UnknownCi(_)) => {
                    return ("unknown_ci", None, e.message(), None)
                }
                Err(e @ SyncFailure::BadCi(_)) => return ("failed", None, e.message(), None),
                Err(e)
                    if attempt < ATTEMPTS
                        && e.status().as_u16() >= 429
                        && e.status().as_u16() != 500 =>
                {
                    tracing::warn!(ci, attempt, error = %e, "sync of one person will be retried");
                    tokio::time::sleep(self.retry_delay * attempt).await;
                    attempt += 1;
                }
                Err(e @ SyncFailure::Store(_)) => {
                    tracing::error!(error = %e, "sync of one person could not be recorded");
                    return ("failed", None, Message::LedgerFailed, None);
                }
                Err(e) => return ("failed", None, e.message(), None),
            }
        }
    }
}
