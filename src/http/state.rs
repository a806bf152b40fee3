//! The state every handler shares: the store, the upstream clients, the workers' handles and
//! the settings. The HTTP layer owns it; the composition root ([`crate::app`]) fills it, and
//! nothing below `http` sees it. Handlers that need one part take it through `FromRef`.

use crate::artemis::ArtemisClient;
use crate::config::Settings;
use crate::humand::HumandClient;
use crate::person_sync::PersonSync;
use crate::store::Store;
use crate::upstream::health::UpstreamHealth;
use crate::workers::delivery::Delivery;
use crate::workers::inbox_writer::InboxWriter;
use crate::workers::sync_jobs::SyncJobs;
use crate::workers::Workers;
use axum::extract::FromRef;
use serde_json::{json, Value};
use std::sync::Arc;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<StateParts>);

/// What [`AppState`] holds; built by the composition root ([`crate::app::App::build`]).
pub struct StateParts {
    pub settings: Settings,
    pub store: Store,
    pub hikcentral: Option<ArtemisClient>,
    pub humand: Option<HumandClient>,
    pub workers: Workers,
    pub inbox_writer: InboxWriter,
    pub delivery: Delivery,
    pub person_sync: PersonSync,
    pub sync_jobs: SyncJobs,
    /// `events.allowed_ips`, parsed once.
    pub push_networks: Vec<ipnet::IpNet>,
    /// One permit per push being read and parsed (`events.max_concurrent_pushes`).
    pub push_permits: tokio::sync::Semaphore,
    /// This process's name in leases and heartbeats.
    pub replica: String,
    pub leader: tokio::sync::watch::Receiver<bool>,
    /// HikCentral's `common/v1/version`, read at start.
    pub hikcentral_version: Arc<std::sync::Mutex<Option<String>>>,
    /// What `/metrics` and the alerts read the service's state from.
    pub status: crate::status::StatusSources,
    /// The API clients and user tokens, checked on every protected route.
    pub authenticator: crate::http::auth::Authenticator,
    /// Lifecycle runs and erasure requests.
    pub lifecycle: crate::lifecycle::Lifecycle,
}

impl AppState {
    pub fn new(parts: StateParts) -> Self {
        Self(Arc::new(parts))
    }

    pub fn allowed_push_networks(&self) -> &[ipnet::IpNet] {
        &self.0.push_networks
    }

    pub fn push_permits(&self) -> &tokio::sync::Semaphore {
        &self.0.push_permits
    }

    /// This replica's id, and whether it leads the cluster-wide workers now.
    pub fn cluster_role(&self) -> (&str, bool) {
        (&self.0.replica, *self.0.leader.borrow())
    }

    pub fn lifecycle(&self) -> &crate::lifecycle::Lifecycle {
        &self.0.lifecycle
    }

    pub fn authenticator(&self) -> &crate::http::auth::Authenticator {
        &self.0.authenticator
    }

    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn hikcentral(&self) -> Option<&ArtemisClient> {
        self.0.hikcentral.as_ref()
    }

    pub fn humand(&self) -> Option<&HumandClient> {
        self.0.humand.as_ref()
    }

    pub fn workers(&self) -> &Workers {
        &self.0.workers
    }

    pub fn inbox_writer(&self) -> &InboxWriter {
        &self.0.inbox_writer
    }

    pub fn delivery(&self) -> &Delivery {
        &self.0.delivery
    }

    pub fn person_sync(&self) -> &PersonSync {
        &self.0.person_sync
    }

    pub fn sync_jobs(&self) -> &SyncJobs {
        &self.0.sync_jobs
    }

    /// The service's state for `/metrics` and the alerts.
    pub fn status(&self) -> &crate::status::StatusSources {
        &self.0.status
    }

    /// Per upstream: `not_configured`, or the health of the latest calls.
    pub fn upstream_report(&self) -> Value {
        let one = |configured: bool, health: Option<&Arc<UpstreamHealth>>| -> Value {
            match (configured, health) {
                (false, _) | (_, None) => json!({"status": "not_configured"}),
                (true, Some(h)) => {
                    let snap = h.snapshot();
                    let mut v = serde_json::to_value(&snap).unwrap_or(Value::Null);
                    v["status"] = json!(snap.status());
                    v
                }
            }
        };
        let mut humand = one(self.0.humand.is_some(), self.humand().map(|c| c.health()));
        let mut hikcentral = one(
            self.0.hikcentral.is_some(),
            self.hikcentral().map(|c| c.health()),
        );
        if let Some(v) = self
            .0
            .hikcentral_version
            .lock()
            .ok()
            .and_then(|v| v.clone())
        {
            hikcentral["version"] = json!(v);
        }
        let delivery = self.delivery().status();
        if let Some(reason) = delivery.paused_reason {
            humand["status"] = json!("warning");
            humand["delivery_paused"] = json!(reason);
        }
        json!({
            "hikcentral": hikcentral,
            "humand": humand,
        })
    }
}

impl FromRef<AppState> for Store {
    fn from_ref(state: &AppState) -> Store {
        state.store().clone()
    }
}
