//! Keeping HikCentral current with SIAD: who may enter now (the roster), who is in HikCentral
//! (the census), one action per person (the plan: register, refresh, revoke, restore, erase),
//! guarded against a wrong roster, then applied step by step with every change recorded.
//!
//! - `roster`, `census`, `faces`: reading SIAD and HikCentral;
//! - `plan`: the pure decision, and `planner`: a run's plan made and stored (held, planned or
//!   straight to applying);
//! - `apply` (with `access` for revoke/restore in groups and `erase`): a run's actions applied,
//!   each step recorded so a restart resumes without repeating a call;
//! - `hik`: the HikCentral calls; `runner`: the job runner's side and the schedule.

pub mod access;
pub mod apply;
pub mod census;
pub mod erase;
pub mod faces;
pub mod hik;
pub mod plan;
pub mod planner;
pub mod roster;
pub mod rules;
pub mod runner;

use crate::artemis::ArtemisClient;
use crate::config::{BiometricoSettings, LifecycleSettings};
use crate::person_sync::PersonSync;
use crate::photo::PhotoLimits;
use crate::store::Store;
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::{watch, Notify};

/// What the lifecycle needs from the settings.
#[derive(Debug, Clone)]
pub struct LifecycleConfig {
    pub lifecycle: LifecycleSettings,
    pub biometrico: BiometricoSettings,
    pub time_zone: chrono_tz::Tz,
    pub photo: PhotoLimits,
}

/// The lifecycle: plans and applies runs. Cheap to clone.
#[derive(Clone)]
pub struct Lifecycle {
    store: Store,
    sync: PersonSync,
    hik: Option<ArtemisClient>,
    config: Arc<LifecycleConfig>,
    wake: Arc<Notify>,
    changed: Arc<watch::Sender<u64>>,
}

impl Lifecycle {
    /// `wake` is the job runner's: a new run wakes it like a new bulk job does.
    pub fn new(
        store: Store,
        sync: PersonSync,
        hik: Option<ArtemisClient>,
        config: LifecycleConfig,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            store,
            sync,
            hik,
            config: Arc::new(config),
            wake,
            changed: Arc::new(watch::Sender::new(0)),
        }
    }

    pub fn config(&self) -> &LifecycleConfig {
        &self.config
    }

    /// Tell the runner a run is waiting.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Wait until woken (or `timeout`).
    pub async fn woken(&self, timeout: std::time::Duration) {
        let _ = tokio::time::timeout(timeout, self.wake.notified()).await;
    }

    /// Changes whenever a run moves (for watchers such as tests and the dashboard).
    pub fn progress(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn moved(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn hik(&self) -> anyhow::Result<&ArtemisClient> {
        self.hik.as_ref().ok_or_else(|| {
            anyhow::anyhow!(
                "HikCentral is not configured (hikcentral.base_url, app_key, AppSecret)"
            )
        })
    }

    /// The plan's rules from the settings.
    pub fn rules(&self) -> plan::Rules {
        let b = &self.config.biometrico;
        let l = &self.config.lifecycle;
        let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        plan::Rules {
            orgs: b.org_by_person_type.clone(),
            managed_orgs: b.org_by_person_type.values().cloned().collect(),
            person_code: b.person_code,
            exempt: l.exempt.iter().map(|c| c.trim().to_owned()).collect(),
            student_types: l
                .student_types
                .iter()
                .map(|t| t.trim().to_owned())
                .collect::<BTreeSet<_>>(),
            grace_ms: ms(l.grace),
            erase_after_ms: ms(l.erase_after),
            max_revoke_share: l.max_revoke_share,
            max_revoke_count: l.max_revoke_count,
        }
    }

    /// A moment in HikCentral's form: ISO 8601 with the offset of `attendance.time_zone`.
    pub fn hik_time(&self, at: chrono::DateTime<chrono::Utc>) -> String {
        at.with_timezone(&self.config.time_zone)
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    }
}
