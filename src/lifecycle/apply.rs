//! Applying a run: its pending actions in order — revocations and restorations in groups of up
//! to 20, the others one by one — until none is left or the run is cancelled. A HikCentral
//! outage or throttling stops the pass with the actions left pending (the runner tries again
//! later and each action resumes at the step it reached); a refusal about one person fails that
//! action only.

use super::Lifecycle;
use crate::artemis::model::CodeClass;
use crate::artemis::ArtemisError;
use crate::person_sync::{Contract, SyncFailure};
use crate::store::audit::Actor;
use crate::store::lifecycle::{
    ActionEnd, ActionKind, ActionState, LifecycleAction, LifecycleRun, PersonChange, RunState,
};

/// The steps of an access change, as stored on its action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Validity = 1,
    Levels = 2,
    Applied = 3,
}

/// Actions read per round (a group of revocations or restorations is at most this many).
const ROUND: i64 = 20;

/// Whether trying again later may succeed: the pass stops, the action stays pending.
pub fn is_transient(e: &ArtemisError) -> bool {
    match e {
        ArtemisError::Api(code) => {
            matches!(code.class(), CodeClass::Throttled | CodeClass::Transient)
        }
        ArtemisError::Http { status, .. } => *status == 429 || *status >= 500,
        ArtemisError::Transport(_) | ArtemisError::GaveUp { .. } => true,
        ArtemisError::Decode(_) => false,
    }
}

impl Lifecycle {
    /// Store an action's end (and count it).
    pub(super) async fn finish(
        &self,
        a: &LifecycleAction,
        end: &ActionEnd<'_>,
        change: Option<&PersonChange<'_>>,
        actor: Option<&Actor>,
    ) -> anyhow::Result<()> {
        let now = chrono::Utc::now().timestamp_millis();
        self.store
            .finish_lifecycle_action(a, end, change, actor, now)
            .await?;
        crate::metrics::lifecycle_action(a.action.as_str(), end.outcome);
        self.moved();
        Ok(())
    }

    /// Apply `run` until its actions are all done (or it is cancelled).
    pub(super) async fn apply_run(&self, run: &LifecycleRun) -> anyhow::Result<()> {
        let mut actor = run.actor();
        // A scheduled run no operator approved acts as the service.
        if run.kind == crate::store::lifecycle::RunKind::Scheduled
            && run.approved_by_client.is_none()
        {
            actor = Actor::service();
            actor.request_id = Some(format!("run:{}", run.id));
        }
        loop {
            let state = self.store.lifecycle_run(&run.id).await?.map(|r| r.state);
            if state != Some(RunState::Applying) {
                tracing::info!(run = %run.id, "lifecycle run no longer applying (cancelled); stopped");
                self.moved();
                return Ok(());
            }
            let pending = self.store.pending_lifecycle_actions(&run.id, ROUND).await?;
            if self.skip_exempt(&pending).await? {
                continue;
            }
            let Some(first) = pending.first() else {
                let now = chrono::Utc::now().timestamp_millis();
                self.store
                    .finish_lifecycle_run(&run.id, RunState::Applied, None, now)
                    .await?;
                tracing::info!(run = %run.id, "lifecycle run applied");
                self.moved();
                return Ok(());
            };
            match first.action {
                ActionKind::Revoke | ActionKind::Restore => {
                    let kind = first.action;
                    let group: Vec<LifecycleAction> = pending
                        .iter()
                        .take_while(|a| a.action == kind)
                        .cloned()
                        .collect();
                    self.apply_access_group(&group, &actor).await?;
                }
                ActionKind::Register | ActionKind::RefreshFace => {
                    self.apply_person_sync(first, &actor).await?
                }
                ActionKind::RefreshPerson => self.apply_refresh_person(first, &actor).await?,
                ActionKind::Erase => self.apply_erase(first, &actor).await?,
                ActionKind::Unmanaged | ActionKind::Skip => {
                    // Never pending; mark reported should one be found so.
                    let end = ActionEnd {
                        state: ActionState::Reported,
                        outcome: "ok",
                        detail: "reported only",
                        upstream: None,
                    };
                    self.finish(first, &end, None, None).await?;
                }
            }
        }
    }

    /// Revocations and erasures of people made exempt (`lifecycle.exempt`) since the plan was
    /// made (a held plan approved later) are not applied: reported, with the reason. True when
    /// any was found.
    async fn skip_exempt(&self, pending: &[LifecycleAction]) -> anyhow::Result<bool> {
        let mut found = false;
        for a in pending.iter().filter(|a| {
            matches!(a.action, ActionKind::Revoke | ActionKind::Erase)
                && self.config.lifecycle.is_exempt(&a.ci)
        }) {
            let end = ActionEnd {
                state: ActionState::Reported,
                outcome: "skipped",
                detail: "exempt (lifecycle.exempt) when the run was applied: not done",
                upstream: None,
            };
            self.finish(a, &end, None, None).await?;
            found = true;
        }
        Ok(found)
    }

    /// Register or replace the face through person sync, exactly as the frontend's routes do
    /// (its own ledger and audit rows, as this run's actor).
    async fn apply_person_sync(&self, a: &LifecycleAction, actor: &Actor) -> anyhow::Result<()> {
        let result = match a.action {
            ActionKind::Register => self.sync.register(&a.ci, actor).await,
            _ => {
                self.sync
                    .update_photo(&a.ci, a.person_id.as_deref(), actor)
                    .await
            }
        };
        let contract: Result<Contract, SyncFailure> = result;
        match contract {
            Ok(c) => {
                let code = c.code.code().to_owned();
                let outcome = match code.as_str() {
                    "0" | "131" => "ok",
                    "128" => "refused",
                    _ => "failed",
                };
                let detail = c.reason.english();
                let upstream = c.upstream.clone();
                let state = if outcome == "failed" {
                    ActionState::Failed
                } else {
                    ActionState::Done
                };
                let end = ActionEnd {
                    state,
                    outcome,
                    detail: &detail,
                    upstream: upstream.as_ref().map(|(c, m)| (c.as_str(), m.as_str())),
                };
                let change = (outcome == "ok").then_some(PersonChange::Active);
                self.finish(a, &end, change.as_ref(), None).await
            }
            Err(SyncFailure::Upstream(e)) if is_transient(&e) => Err(e.into()),
            Err(e) => {
                let detail = e.message().english();
                let end = ActionEnd {
                    state: ActionState::Failed,
                    outcome: "failed",
                    detail: &detail,
                    upstream: None,
                };
                // Nothing reached HikCentral: this row is the only record of the attempt.
                self.finish(a, &end, None, Some(actor)).await
            }
        }
    }

    /// The validity window a person keeps across a rewrite (`person/single/update` clears what
    /// it is not sent, and personInfo may not answer it): the window last sent by the lifecycle,
    /// else the one HikCentral answered, else the window configured for the person type.
    async fn kept_window(
        &self,
        ci: &str,
        person_type: &str,
        record: &serde_json::Value,
    ) -> anyhow::Result<Option<(String, String)>> {
        let stored = self
            .store
            .lifecycle_person(ci)
            .await?
            .and_then(|k| Some((k.valid_from?, k.valid_until?)));
        let answered = || {
            let begin = record.get("beginTime")?.as_str()?.to_owned();
            let end = record.get("endTime")?.as_str()?.to_owned();
            Some((begin, end))
        };
        Ok(stored
            .or_else(answered)
            .or_else(|| self.config.biometrico.validity_for(person_type)))
    }

    /// Rewrite name, e-mail and organisation from SIAD on the whole record: cards and the rest
    /// sent back as they are, and the validity window the person should have (see
    /// [`Self::kept_window`]).
    async fn apply_refresh_person(&self, a: &LifecycleAction, actor: &Actor) -> anyhow::Result<()> {
        let hik = self.hik()?;
        let Some(pid) = a.person_id.as_deref() else {
            return self.fail(a, "no personId", None, actor).await;
        };
        let dir = self.sync.siad().map_err(|e| anyhow::anyhow!("{e}"))?;
        let Some(p) = dir.person_by_ci(&a.ci).await? else {
            return self
                .fail(a, "SIAD no longer knows this person", None, actor)
                .await;
        };
        let mut changes = serde_json::Map::new();
        changes.insert("personGivenName".into(), p.given_names.clone().into());
        changes.insert("personFamilyName".into(), p.family_name().into());
        if let Some(email) = &p.email {
            changes.insert("email".into(), email.clone().into());
        }
        if let Some(org) = self.config.biometrico.org_for(&p.person_type) {
            changes.insert("orgIndexCode".into(), org.into());
        }
        let record = match super::hik::record(hik, pid).await {
            Ok(r) => r,
            Err(e) if is_transient(&e) => return Err(e.into()),
            Err(e) => {
                return self
                    .fail(a, "the record could not be read", Some(&e), actor)
                    .await
            }
        };
        let window = self.kept_window(&a.ci, &p.person_type, &record).await?;
        if let Some((begin, end)) = &window {
            changes.insert("beginTime".into(), begin.clone().into());
            changes.insert("endTime".into(), end.clone().into());
        }
        let body = super::hik::update_body(pid, &record, &changes);
        match super::hik::update(hik, &body).await {
            Ok(()) => {
                let kept = match &window {
                    Some((begin, end)) => format!("cards and validity {begin} to {end} kept"),
                    None => "cards kept; no validity known to send".to_owned(),
                };
                let end = ActionEnd {
                    state: ActionState::Done,
                    outcome: "ok",
                    detail: &format!("rewritten from SIAD ({}); {kept}", a.reason),
                    upstream: None,
                };
                self.finish(a, &end, Some(&PersonChange::Active), Some(actor))
                    .await
            }
            Err(e) if is_transient(&e) => Err(e.into()),
            Err(e) => {
                self.fail(a, "the record could not be rewritten", Some(&e), actor)
                    .await
            }
        }
    }
}
