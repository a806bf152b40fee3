//! Revoking and restoring access, up to 20 people at a time, in four steps whose completion is
//! stored on each action, so an interrupted run resumes at the step it reached:
//!
//! 1. the validity window, on the whole record read back (revoke: ends now; restore: the
//!    window configured for the person type);
//! 2. out of (revoke) or into (restore) the access levels of the person type, one call per level
//!    for the whole group;
//! 3. the changes re-applied to the doors, one call for the group;
//! 4. the application result read back: devices that refused a person make its outcome
//!    `partial`, with HikCentral's error items; a result that cannot be read makes every
//!    outcome `partial` ("application not confirmed").

use super::apply::{is_transient, Step};
use super::{hik, Lifecycle};
use crate::artemis::ArtemisError;
use crate::store::audit::Actor;
use crate::store::lifecycle::{ActionEnd, ActionKind, ActionState, LifecycleAction, PersonChange};
use serde_json::{json, Map};
use std::collections::{BTreeMap, HashSet};

/// HikCentral's latest end of validity (device firmware is fed this; UNCONFIRMED for HCP).
pub const LATEST_END: &str = "2037-12-31T23:59:59";

impl Lifecycle {
    /// The window to send: revoke ends now (from the window last sent, else the type's);
    /// restore gives the type's window back (begin today when none is configured).
    async fn window(&self, a: &LifecycleAction, revoke: bool) -> anyhow::Result<(String, String)> {
        let now = chrono::Utc::now();
        let ptype = a.person_type.as_deref().unwrap_or_default();
        let configured = self.config.biometrico.validity_for(ptype);
        if revoke {
            let known = self.store.lifecycle_person(&a.ci).await?;
            let begin = known
                .and_then(|k| k.valid_from)
                .or_else(|| configured.map(|(b, _)| b))
                .unwrap_or_else(|| self.hik_time(now - chrono::Duration::days(1)));
            Ok((begin, self.hik_time(now)))
        } else {
            let offset = self.hik_time(now);
            let offset = offset.get(19..).unwrap_or("+00:00").to_owned();
            Ok(configured.unwrap_or_else(|| (self.hik_time(now), format!("{LATEST_END}{offset}"))))
        }
    }

    /// Apply a group of `revoke` (or `restore`) actions of one run.
    pub(super) async fn apply_access_group(
        &self,
        group: &[LifecycleAction],
        actor: &Actor,
    ) -> anyhow::Result<()> {
        let revoke = group
            .first()
            .is_some_and(|a| a.action == ActionKind::Revoke);
        let live = self.access_steps(group, revoke, actor).await?;
        if !live.is_empty() {
            self.read_back_and_finish(&live, revoke, actor).await?;
        }
        Ok(())
    }

    /// Steps 1–3 for `group` (revoke or restore); the actions still going, each at step 3 (the
    /// ones that failed are recorded as failed and left out).
    pub(super) async fn access_steps(
        &self,
        group: &[LifecycleAction],
        revoke: bool,
        actor: &Actor,
    ) -> anyhow::Result<Vec<LifecycleAction>> {
        let hik = self.hik()?;
        let mut live: Vec<LifecycleAction> = Vec::new();
        // Step 1: the validity window on each record.
        for a in group {
            if a.step >= 1 {
                live.push(a.clone());
                continue;
            }
            let Some(pid) = a.person_id.as_deref() else {
                self.fail(
                    a,
                    "no personId: HikCentral did not list this person",
                    None,
                    actor,
                )
                .await?;
                continue;
            };
            let (begin, end) = self.window(a, revoke).await?;
            let done = async {
                let record = hik::record(hik, pid).await?;
                let mut changes = Map::new();
                changes.insert("beginTime".into(), json!(begin));
                changes.insert("endTime".into(), json!(end));
                hik::update(hik, &hik::update_body(pid, &record, &changes)).await
            }
            .await;
            match done {
                Ok(()) => {
                    let note = format!("{begin}/{end}");
                    self.store
                        .lifecycle_step_done(
                            &a.run_id,
                            a.position,
                            Step::Validity as i64,
                            Some(&note),
                        )
                        .await?;
                    let mut a = a.clone();
                    a.step = 1;
                    a.detail = Some(note);
                    live.push(a);
                }
                Err(e) if is_transient(&e) => return Err(e.into()),
                Err(e) => {
                    self.fail(a, "the validity could not be set", Some(&e), actor)
                        .await?
                }
            }
        }
        if live.is_empty() {
            return Ok(live);
        }
        // Step 2: access levels, one call per level for the whole group.
        if live.iter().any(|a| a.step < 2) {
            let mut by_level: BTreeMap<String, Vec<&str>> = BTreeMap::new();
            for a in &live {
                let levels = self
                    .config
                    .biometrico
                    .access_levels_for(a.person_type.as_deref().unwrap_or_default());
                for level in levels {
                    by_level
                        .entry(level)
                        .or_default()
                        .extend(a.person_id.as_deref());
                }
            }
            for (level, ids) in &by_level {
                for chunk in ids.chunks(hik::LEVEL_BATCH) {
                    if let Err(e) = hik::set_level(hik, level, chunk, !revoke).await {
                        if is_transient(&e) {
                            return Err(e.into());
                        }
                        let what = format!("access level {level} could not be changed");
                        for a in &live {
                            self.fail(a, &what, Some(&e), actor).await?;
                        }
                        return Ok(Vec::new());
                    }
                }
            }
            for a in &mut live {
                self.store
                    .lifecycle_step_done(&a.run_id, a.position, Step::Levels as i64, None)
                    .await?;
                a.step = 2;
            }
        }
        // Step 3: re-apply to the doors.
        let ids: Vec<&str> = live.iter().filter_map(|a| a.person_id.as_deref()).collect();
        if live.iter().any(|a| a.step < 3) {
            match hik::reapply(hik, &ids).await {
                Ok(()) => {}
                Err(e) if is_transient(&e) => return Err(e.into()),
                Err(e) => {
                    for a in &live {
                        self.fail(
                            a,
                            "the change could not be re-applied to the doors",
                            Some(&e),
                            actor,
                        )
                        .await?;
                    }
                    return Ok(Vec::new());
                }
            }
            for a in &mut live {
                self.store
                    .lifecycle_step_done(&a.run_id, a.position, Step::Applied as i64, None)
                    .await?;
                a.step = 3;
            }
        }
        Ok(live)
    }

    /// Step 4: what the doors say, and each action's end.
    async fn read_back_and_finish(
        &self,
        live: &[LifecycleAction],
        revoke: bool,
        actor: &Actor,
    ) -> anyhow::Result<()> {
        let hik = self.hik()?;
        let codes: HashSet<String> = live
            .iter()
            .filter_map(|a| self.rules().code(&a.ci))
            .collect();
        let (failures, pending, unconfirmed) = match hik::application_result(hik, &codes).await {
            Ok((failures, pending)) => (failures, pending, None),
            Err(e) if is_transient(&e) => return Err(e.into()),
            Err(e) => {
                tracing::warn!(error = %e.to_string().escape_debug(), "the application result could not be read");
                (Default::default(), 0, Some(e.to_string()))
            }
        };
        for a in live {
            let window = a.detail.clone().unwrap_or_default();
            let (begin, end) = window.split_once('/').unwrap_or(("", ""));
            let levels = self
                .config
                .biometrico
                .access_levels_for(a.person_type.as_deref().unwrap_or_default())
                .join(", ");
            let code = self.rules().code(&a.ci).unwrap_or_default();
            let verb = if revoke {
                format!("validity ended {end}; removed from access levels [{levels}]; re-applied to the doors")
            } else {
                format!("validity {begin} to {end}; added to access levels [{levels}]; re-applied to the doors")
            };
            let (outcome, detail) = match failures.get(&code) {
                _ if unconfirmed.is_some() => (
                    "partial",
                    format!(
                        "{verb}; application not confirmed: the application result could not be read ({})",
                        unconfirmed.as_deref().unwrap_or_default()
                    ),
                ),
                Some(items) => (
                    "partial",
                    format!("{verb}; devices refused it (errorItems {items})"),
                ),
                None if pending > 0 => (
                    "ok",
                    format!("{verb}; HikCentral still counts {pending} edit(s) not applied"),
                ),
                None => ("ok", verb),
            };
            let change = if revoke {
                PersonChange::Revoked {
                    valid_from: begin,
                    valid_until: end,
                }
            } else {
                PersonChange::Restored {
                    valid_from: begin,
                    valid_until: end,
                }
            };
            let end = ActionEnd {
                state: ActionState::Done,
                outcome,
                detail: &detail,
                upstream: None,
            };
            self.finish(a, &end, Some(&change), Some(actor)).await?;
        }
        Ok(())
    }

    /// An action failed for a reason of its own; the run goes on.
    pub(super) async fn fail(
        &self,
        a: &LifecycleAction,
        what: &str,
        error: Option<&ArtemisError>,
        actor: &Actor,
    ) -> anyhow::Result<()> {
        let (detail, upstream) = match error {
            Some(ArtemisError::Api(code)) => (
                format!(
                    "{what}: HikCentral answered code {}: {}",
                    code.code(),
                    code.message()
                ),
                Some((code.code(), code.message().to_owned())),
            ),
            Some(e) => (format!("{what}: {e}"), None),
            None => (what.to_owned(), None),
        };
        let end = ActionEnd {
            state: ActionState::Failed,
            outcome: "failed",
            detail: &detail,
            upstream: upstream.as_ref().map(|(c, m)| (c.as_str(), m.as_str())),
        };
        self.finish(a, &end, None, Some(actor)).await
    }
}
