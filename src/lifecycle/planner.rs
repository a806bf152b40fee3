//! Making a run's plan: the roster, HikCentral's census, the ledger and what the lifecycle
//! knows, SIAD asked about people off the roster it does not know yet, faces compared — then
//! the pure plan, the guardrails, and the run stored as held, planned or ready to apply. A
//! failure to read HikCentral's list fails the run: a plan is never made from part of it.

use super::plan::{self, Plan, PlanInput};
use super::{census, faces, roster, Lifecycle};
use crate::siad::Directory;
use crate::store::lifecycle::{LifecycleRun, PlanOutcome, RunState};
use crate::store::LedgerEntry;
use futures::StreamExt;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// SIAD lookups of people off the roster at once.
const CONCURRENT_LOOKUPS: usize = 4;

/// What a run's summary says, beside its actions.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub roster: roster::RosterSummary,
    /// Persons in HikCentral's list (with a personCode), and without one.
    pub hikcentral: usize,
    pub hikcentral_without_code: u64,
    pub managed: u64,
    pub unchanged: u64,
    pub faces_compared: u64,
    pub faces_deferred: u64,
}

/// A plan and what it was made from.
pub struct Made {
    pub plan: Plan,
    pub summary: Summary,
}

impl Lifecycle {
    /// Read everything and decide. With `record`, the photo versions found alike and who was
    /// first found off the roster are remembered (a run does; a look from the command line
    /// does not).
    pub async fn compute_plan(&self, now_ms: i64, record: bool) -> anyhow::Result<Made> {
        let dir = self
            .sync
            .siad()
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .clone();
        let hik = self.hik()?;
        let roster = roster::read(dir.as_ref(), &self.config.lifecycle).await;
        let census = census::read(hik).await?;
        let ledger: HashMap<String, LedgerEntry> = self
            .store
            .ledger_all()
            .await?
            .into_iter()
            .map(|e| (e.ci.clone(), e))
            .collect();
        let people = self
            .store
            .lifecycle_people()
            .await?
            .into_iter()
            .map(|p| (p.ci.clone(), p))
            .collect::<HashMap<_, _>>();
        let rules = self.rules();
        // Who is who: roster CIs by code, and the codes HikCentral has.
        let mut registered = Vec::new();
        let mut candidates = Vec::new();
        let mut on_roster_codes = HashSet::new();
        for ci in roster.people.keys() {
            let Some(code) = rules.code(ci) else { continue };
            if census.by_code.contains_key(&code) {
                registered.push(ci.clone());
            } else {
                candidates.push(ci.clone());
            }
            on_roster_codes.insert(code);
        }
        // Off the roster, in a managed organisation, and not known to be SIAD people: ask SIAD.
        let unknown: Vec<String> = census
            .by_code
            .iter()
            .filter(|(code, h)| {
                !on_roster_codes.contains(code.as_str())
                    && rules.managed_orgs.contains(&h.org)
                    && !people.contains_key(code.as_str())
                    && !ledger.get(code.as_str()).is_some_and(|e| {
                        e.person_type.is_some()
                            && matches!(e.last_outcome.as_deref(), Some("registered" | "updated"))
                    })
            })
            .map(|(code, _)| code.clone())
            .collect();
        let siad_types = lookup_types(dir.as_ref(), unknown).await;
        let faces = faces::check(
            dir.as_ref(),
            &ledger,
            &registered,
            &candidates,
            &self.config.lifecycle,
            &self.config.photo,
        )
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e.to_string().escape_debug(), "SIAD photo versions could not be read: faces are not compared this time");
            faces::Faces::default()
        });
        if record {
            self.store.set_photo_versions(&faces.seen).await?;
        }
        let plan = plan::plan(&PlanInput {
            roster: &roster.people,
            students: &roster.students,
            staff: &roster.staff,
            census: &census.by_code,
            ledger: &ledger,
            people: &people,
            siad_types: &siad_types,
            new_faces: &faces.new_faces,
            with_photo: &faces.with_photo,
            rules: &rules,
            now_ms,
        });
        if record {
            self.store
                .note_roster_presence(&plan.newly_off, &plan.back, now_ms)
                .await?;
        }
        let summary = Summary {
            roster: roster.summary,
            hikcentral: census.by_code.len(),
            hikcentral_without_code: census.without_code,
            managed: plan.managed,
            unchanged: plan.unchanged,
            faces_compared: faces.compared,
            faces_deferred: faces.deferred,
        };
        Ok(Made { plan, summary })
    }

    /// Plan `run` and store the plan: held past a guardrail, planned when only a plan was
    /// asked (or this is the installation's first run), else ready to apply.
    pub(super) async fn plan_run(&self, run: &LifecycleRun) -> anyhow::Result<()> {
        let now = chrono::Utc::now().timestamp_millis();
        let first = !self.store.lifecycle_ever_planned().await?;
        let made = match self.compute_plan(now, true).await {
            Ok(m) => m,
            Err(e) => {
                let why = format!("{e:#}");
                tracing::warn!(run = %run.id, error = %why.escape_debug(), "lifecycle plan failed");
                self.store
                    .finish_lifecycle_run(&run.id, RunState::Failed, Some(&why), now)
                    .await?;
                crate::metrics::lifecycle_run_failed();
                self.moved();
                return Ok(());
            }
        };
        let held = made.plan.hold_reason(&self.rules());
        let first_note = "the first run of an installation only plans: review it, then apply it (POST /admin/lifecycle/runs/{id}/apply)";
        let (state, note) = match (&held, run.wants_apply(), first) {
            (Some(_), _, _) => (RunState::Held, None),
            (None, true, true) => (RunState::Planned, Some(first_note)),
            (None, true, false) => (RunState::Applying, None),
            (None, false, _) => (RunState::Planned, None),
        };
        let summary = serde_json::to_string(&made.summary).unwrap_or_default();
        let stored = self
            .store
            .record_lifecycle_plan(
                &run.id,
                &made.plan.actions,
                &PlanOutcome {
                    state,
                    held_reason: held.as_deref(),
                    note,
                    summary: &summary,
                },
                now,
            )
            .await?;
        if stored {
            tracing::info!(
                run = %run.id,
                state = %state,
                actions = made.plan.actions.len(),
                revoke = made.plan.count(crate::store::lifecycle::ActionKind::Revoke),
                managed = made.plan.managed,
                "lifecycle plan made"
            );
            if state == RunState::Held {
                tracing::warn!(run = %run.id, reason = %held.as_deref().unwrap_or_default(), "lifecycle plan held for an administrator's approval");
            }
        }
        self.moved();
        Ok(())
    }
}

/// The SIAD person type of each CI, or `None` when SIAD does not know it; CIs SIAD could not be
/// asked about (an error) are left out.
async fn lookup_types(dir: &dyn Directory, cis: Vec<String>) -> HashMap<String, Option<String>> {
    futures::stream::iter(cis)
        .map(|ci| async move {
            match dir.person_by_ci(&ci).await {
                Ok(Some(p)) => Some((ci, Some(p.person_type))),
                Ok(None) => Some((ci, None)),
                Err(e) => {
                    tracing::warn!(error = %e.to_string().escape_debug(), "SIAD could not say who a person off the roster is; left alone this time");
                    None
                }
            }
        })
        .buffer_unordered(CONCURRENT_LOOKUPS)
        .filter_map(|x| async move { x })
        .collect()
        .await
}
