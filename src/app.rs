//! Composition root: builds the state (store, clients, workers) and the router, and runs the
//! server with graceful shutdown.

use crate::artemis::ArtemisClient;
use crate::config::Settings;
use crate::humand::HumandClient;
use crate::person_sync::PersonSync;
use crate::store::{Store, StoreOptions};
use crate::upstream::health::UpstreamHealth;
use crate::workers::decider::Decider;
use crate::workers::delivery::{Delivery, DeliveryOptions};
use crate::workers::inbox_writer::InboxWriter;
use crate::workers::sync_jobs::SyncJobs;
use crate::workers::Workers;
use anyhow::Context;
use serde_json::{json, Value};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Shared by every handler and worker; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    settings: Settings,
    store: Store,
    hikcentral: Option<ArtemisClient>,
    humand: Option<HumandClient>,
    workers: Workers,
    inbox_writer: InboxWriter,
    delivery: Delivery,
    person_sync: PersonSync,
    sync_jobs: SyncJobs,
}

impl AppState {
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
        let delivery = self.delivery().status();
        if let Some(reason) = delivery.paused_reason {
            humand["status"] = json!("warning");
            humand["delivery_paused"] = json!(reason);
        }
        json!({
            "hikcentral": one(self.0.hikcentral.is_some(), self.hikcentral().map(|c| c.health())),
            "humand": humand,
        })
    }
}

/// A built application: state plus router, ready to serve.
pub struct App {
    pub state: AppState,
    pub router: axum::Router,
}

impl App {
    /// Open the store (migrations applied), build the clients and the router.
    pub async fn build(settings: Settings) -> anyhow::Result<App> {
        let opts = StoreOptions {
            max_connections: settings.store.max_connections,
            busy_timeout_ms: settings.store.busy_timeout_ms,
            connect_timeout_ms: settings.store.connect_timeout_ms,
        };
        let store = Store::open(&settings.store.url, &opts)
            .await
            .with_context(|| "cannot open the store (store.url)")?;
        let hikcentral = if settings.hikcentral.is_configured() {
            let pacer = ArtemisClient::pacer_for(&settings.hikcentral);
            Some(ArtemisClient::new(&settings.hikcentral, pacer).context("HikCentral client")?)
        } else {
            tracing::info!("hikcentral.base_url is empty: HikCentral features are off");
            None
        };
        let humand = if settings.humand.is_configured() {
            let pacer = HumandClient::pacer_for(&settings.humand);
            Some(HumandClient::new(&settings.humand, pacer).context("Humand client")?)
        } else {
            tracing::info!("no Humand API key: delivery to Humand is off");
            None
        };
        if settings.events.callback_secret.is_empty() {
            tracing::info!("no events.callback_secret: the HikCentral event receiver is off");
        }
        let workers = Workers::default();
        let events_stored = Arc::new(tokio::sync::Notify::new());
        let punches_queued = Arc::new(tokio::sync::Notify::new());
        let inbox_writer =
            InboxWriter::spawn_with_notify(store.clone(), &workers, events_stored.clone());
        let decider = Decider::new(
            store.clone(),
            hikcentral.clone(),
            settings.attendance.rules(),
            events_stored,
            punches_queued.clone(),
        )
        .validating_with(
            humand
                .clone()
                .filter(|_| settings.attendance.validate_employees),
        );
        workers.spawn("decider", decider.run());
        let delivery = Delivery::new(
            store.clone(),
            humand.clone(),
            DeliveryOptions {
                dry_run: settings.delivery.dry_run,
                employee_id_integer: settings.delivery.employee_id_type == "integer",
                comment: settings.delivery.comment.clone(),
                concurrency: settings.delivery.concurrency,
                credentials_probe: Duration::from_secs(settings.delivery.credentials_probe_secs),
            },
            punches_queued,
        );
        if let Some(client) = &hikcentral {
            if settings.events.subscribe_on_start {
                let (client, events) = (client.clone(), settings.events.clone());
                tokio::spawn(async move {
                    let types = events.event_types.clone();
                    match crate::cli::subscriptions::subscribe(&client, &events, &types).await {
                        Ok(()) => {
                            tracing::info!(types = types.len(), "subscribed to HikCentral events")
                        }
                        Err(e) => {
                            tracing::error!(error = %format!("{e:#}"), "subscribing to HikCentral events failed; the poller back-fills meanwhile")
                        }
                    }
                });
            }
            let poller = crate::workers::poller::Poller::new(
                client.clone(),
                store.clone(),
                inbox_writer.clone(),
                settings.events.clone(),
            );
            workers.spawn("poller", poller.run(std::future::pending()));
            let reconciler =
                crate::workers::reconciler::Reconciler::new(client.clone(), store.clone());
            workers.spawn(
                "reconciler",
                reconciler.run(
                    Duration::from_secs(settings.siad.reconcile_interval_secs),
                    std::future::pending(),
                ),
            );
        }
        if settings.delivery.enabled {
            workers.spawn("delivery", delivery.clone().run());
        } else {
            tracing::warn!("delivery.enabled is false: punches are decided and queued, not sent");
        }
        let (siad, siad_error) = if settings.siad.is_configured() {
            match crate::siad::open(&settings.siad).await {
                Ok(d) => {
                    tracing::info!(siad = %d.describe(), "SIAD directory");
                    (Some(d), None)
                }
                Err(e) => {
                    tracing::error!(error = %e, "SIAD is not usable: the /biometrico routes answer 503 until it is fixed");
                    (None, Some(e.to_string()))
                }
            }
        } else {
            (None, None)
        };
        let person_sync = PersonSync::new(
            store.clone(),
            siad,
            hikcentral.clone(),
            settings.biometrico.clone(),
            settings.photo.clone(),
        )
        .with_siad_error(siad_error);
        let sync_jobs = SyncJobs::new(
            store.clone(),
            person_sync.clone(),
            Arc::new(tokio::sync::Notify::new()),
        );
        workers.spawn("sync_jobs", sync_jobs.clone().run());
        let state = AppState(Arc::new(Inner {
            settings,
            store,
            hikcentral,
            humand,
            workers,
            inbox_writer,
            delivery,
            person_sync,
            sync_jobs,
        }));
        let router = crate::http::router(state.clone());
        Ok(App { state, router })
    }

    /// Serve on `listener` until `shutdown` resolves; in-flight requests then get
    /// `server.shutdown_grace_secs` to finish.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let grace = Duration::from_secs(self.state.settings().server.shutdown_grace_secs);
        let (tx, mut rx) = tokio::sync::watch::channel(false);
        let server = axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = rx.wait_for(|stop| *stop).await;
        });
        let store = self.state.store().clone();
        tokio::select! {
            result = server => result.context("HTTP server failed")?,
            () = async move {
                shutdown.await;
                tracing::info!(grace_secs = grace.as_secs(), "shutting down: finishing in-flight requests");
                let _ = tx.send(true);
                tokio::time::sleep(grace).await;
            } => tracing::warn!("grace period over; stopping with requests still in flight"),
        }
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
