//! Composition root: builds the state (store, clients, workers) and the router, and runs the
//! server with graceful shutdown.

use crate::artemis::ArtemisClient;
use crate::config::Settings;
pub use crate::http::{AppState, StateParts};
use crate::humand::HumandClient;
use crate::person_sync::PersonSync;
use crate::store::{Store, StoreOptions};
use crate::workers::decider::Decider;
use crate::workers::delivery::{Delivery, DeliveryOptions};
use crate::workers::inbox_writer::InboxWriter;
use crate::workers::sync_jobs::SyncJobs;
use crate::workers::Workers;
use anyhow::Context;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// A built application: state plus router, ready to serve.
pub struct App {
    pub state: AppState,
    pub router: axum::Router,
}

/// Whether [`App::build_with`] starts the background work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Background {
    /// The lease loop and, while this replica leads, the decider, poller, delivery and the
    /// other cluster-wide workers (what `serve` runs).
    Run,
    /// Only what requests need (the inbox writer): no lease, so no cluster-wide worker ever
    /// starts and nothing writes to the store unless a request does. For tests that drive the
    /// store themselves.
    Off,
}

impl App {
    /// Open the store (migrations applied), build the clients and the router, start the workers.
    pub async fn build(settings: Settings) -> anyhow::Result<App> {
        Self::build_with(settings, Background::Run).await
    }

    /// [`App::build`], choosing whether background work runs.
    pub async fn build_with(settings: Settings, background: Background) -> anyhow::Result<App> {
        let opts = StoreOptions {
            max_connections: settings.store.max_connections,
            busy_timeout: settings.store.busy_timeout,
            connect_timeout: settings.store.connect_timeout,
        };
        crate::announce::parts(&settings);
        let authenticator = crate::http::auth::Authenticator::new(&settings.api)
            .map_err(anyhow::Error::msg)
            .context("API clients ([api])")?;
        // Installed before anything is counted (a no-op when already installed).
        let _ = crate::metrics::handle();
        let store = Store::open(&settings.store.url, &opts)
            .await
            .with_context(|| "cannot open the store (store.url)")?;
        record_start(&store, &settings).await;
        if background == Background::Run && store.backend() == crate::store::Backend::Sqlite {
            // The only process on this file (see `lock_for_process`): claims left by an earlier
            // process that was killed are stale. Taken back before any worker starts, so a
            // claim made by this process's delivery is never released under its feet.
            match store.punches().release_all_claims().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    claims = n,
                    "released delivery claims left by a previous run"
                ),
                Err(e) => {
                    tracing::warn!(error = %e.to_string().escape_debug(), "cannot release stale delivery claims; they expire by themselves")
                }
            }
        }
        let hikcentral = if settings.hikcentral.is_configured() {
            let pacer = ArtemisClient::pacer_for(&settings.hikcentral);
            Some(ArtemisClient::new(&settings.hikcentral, pacer).context("HikCentral client")?)
        } else {
            None
        };
        let humand = if settings.humand.is_configured() {
            let pacer = HumandClient::pacer_for(&settings.humand, settings.delivery.concurrency);
            Some(HumandClient::new(&settings.humand, pacer).context("Humand client")?)
        } else {
            None
        };
        let replica = crate::workers::leadership::replica_id();
        let (leadership, leader) = crate::workers::leadership::Leadership::new(
            store.clone(),
            replica.clone(),
            settings.cluster.lease,
        );
        // Without background work no cluster-wide worker may start, even on SQLite (where
        // this replica always leads): they wait on a lead that never comes.
        let workers = Workers::new(match background {
            Background::Run => leader.clone(),
            Background::Off => tokio::sync::watch::channel(false).1,
        });
        if background == Background::Run {
            let leadership = Arc::new(tokio::sync::Mutex::new(Some(leadership)));
            workers.spawn("leadership", move |token| {
                let leadership = leadership.clone();
                async move {
                    match leadership.lock().await.take() {
                        Some(l) => l.run(token).await,
                        None => {
                            anyhow::bail!("the lease loop cannot be restarted; restart the service")
                        }
                    }
                }
            });
        }
        let events_stored = Arc::new(tokio::sync::Notify::new());
        let punches_queued = Arc::new(tokio::sync::Notify::new());
        let inbox_writer = InboxWriter::spawn_with(
            store.clone(),
            &workers,
            events_stored.clone(),
            settings.events.writer_queue_depth,
        );
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
        )
        .settling(settings.delivery.settle)
        .yielding_to(inbox_writer.pressure());
        workers.spawn_leader("decider", move |token| {
            let decider = decider.clone();
            async move {
                token
                    .run_until_cancelled(decider.run())
                    .await
                    .unwrap_or(Ok(()))
            }
        });
        let delivery = Delivery::new(
            store.clone(),
            humand.clone(),
            DeliveryOptions::from_settings(&settings, &replica),
            punches_queued,
        );
        let hikcentral_version = Arc::new(std::sync::Mutex::new(None));
        if let Some(client) = &hikcentral {
            let (client, slot) = (client.clone(), hikcentral_version.clone());
            tokio::spawn(async move {
                match client.version().await {
                    Ok(v) => {
                        tracing::info!(version = %v, "HikCentral version (common/v1/version)");
                        if let Ok(mut s) = slot.lock() {
                            *s = Some(v.to_string());
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read HikCentral's version (common/v1/version)")
                    }
                }
            });
        }
        let mut poller_passes = None;
        if let Some(client) = &hikcentral {
            if settings.events.subscribe_on_start {
                let (client, events) = (client.clone(), settings.events.clone());
                tokio::spawn(async move {
                    let types = events.event_types.clone();
                    match crate::artemis::subscriptions::subscribe(&client, &events, &types).await {
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
            poller_passes = Some(poller.passes());
            workers.spawn_leader("poller", move |token| {
                poller.clone().run(token.cancelled_owned())
            });
            let reconciler =
                crate::workers::reconciler::Reconciler::new(client.clone(), store.clone());
            let every = settings.siad.reconcile_interval;
            workers.spawn_leader("reconciler", move |token| {
                reconciler.clone().run(every, token.cancelled_owned())
            });
        }
        if settings.delivery.enabled {
            let delivery = delivery.clone();
            workers.spawn_leader("delivery", move |token| delivery.clone().run(token));
        } else {
            tracing::warn!("delivery.enabled is false: punches are decided and queued, not sent");
        }
        let retention = settings.retention.clone();
        let retention_store = store.clone();
        workers.spawn_leader("retention", move |token| {
            crate::workers::retention::run(retention_store.clone(), retention.clone(), token)
        });
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
        let jobs_wake = Arc::new(tokio::sync::Notify::new());
        let lifecycle = crate::lifecycle::Lifecycle::new(
            store.clone(),
            person_sync.clone(),
            hikcentral.clone(),
            crate::lifecycle::LifecycleConfig {
                lifecycle: settings.lifecycle.clone(),
                biometrico: settings.biometrico.clone(),
                time_zone: settings.attendance.time_zone,
                photo: settings.photo.clone(),
            },
            jobs_wake.clone(),
        );
        let sync_jobs = SyncJobs::new(store.clone(), person_sync.clone(), jobs_wake)
            .with_lifecycle(lifecycle.clone());
        let schedule = lifecycle.clone();
        workers.spawn_leader("lifecycle_schedule", move |token| {
            schedule.clone().run_schedule(token)
        });
        let jobs = sync_jobs.clone();
        workers.spawn_leader("sync_jobs", move |token| {
            let jobs = jobs.clone();
            async move {
                token
                    .run_until_cancelled(jobs.run())
                    .await
                    .unwrap_or(Ok(()))
            }
        });
        let status = crate::status::StatusSources {
            store: store.clone(),
            workers: workers.clone(),
            delivery: delivery.clone(),
            poller: poller_passes,
            leader: leader.clone(),
        };
        if settings.alerts.is_enabled() {
            let (sources, alerts) = (status.clone(), settings.alerts.clone());
            workers.spawn_leader("alerts", move |token| {
                crate::alerts::run(sources.clone(), alerts.clone(), token)
            });
        }
        let push_networks = settings.events.allowed_ips.clone();
        let push_permits = tokio::sync::Semaphore::new(settings.events.max_concurrent_pushes);
        let state = AppState::new(StateParts {
            settings,
            store,
            hikcentral,
            humand,
            workers,
            inbox_writer,
            delivery,
            person_sync,
            sync_jobs,
            push_networks,
            push_permits,
            replica,
            leader,
            hikcentral_version,
            status,
            authenticator,
            lifecycle,
        });
        let router = crate::http::router(state.clone());
        Ok(App { state, router })
    }

    /// Serve on `listener` until `shutdown` resolves; in-flight requests then get
    /// `server.shutdown_grace_secs` to finish, then every worker is cancelled and waited for,
    /// and only then is the store closed.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let server = &self.state.settings().server;
        let grace = server.shutdown_grace;
        let limits = crate::http::server::ConnectionLimits {
            max_connections: server.max_connections,
            header_read_timeout: server.header_read_timeout,
            idle_timeout: server.idle_timeout,
        };
        let announce = async move {
            shutdown.await;
            tracing::info!(
                grace_secs = grace.as_secs(),
                "shutting down: finishing in-flight requests"
            );
        };
        let metrics_server = match self.state.settings().metrics.listen {
            Some(addr) => {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on metrics.listen = {addr}"))?;
                tracing::info!(%addr, "metrics on a separate address (metrics.listen)");
                let router = crate::http::metrics_router(self.state.clone());
                let stop = self.state.workers().cancellation();
                Some(tokio::spawn(async move {
                    crate::http::server::serve(
                        listener,
                        router,
                        limits,
                        stop.cancelled_owned(),
                        Duration::from_secs(1),
                    )
                    .await
                }))
            }
            None => None,
        };
        crate::http::server::serve(listener, self.router, limits, announce, grace).await;
        self.state.workers().shutdown(grace).await;
        if let Some(task) = metrics_server {
            let _ = task.await;
        }
        self.state.store().close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Resolves on Ctrl-C or SIGTERM.
/// The audit log's record of this start: version and the settings' fingerprint. A store that
/// cannot write now (a full disk) does not stop the start: /ready reports the write failure.
async fn record_start(store: &Store, settings: &Settings) {
    use crate::store::audit::{Actor, AuditAction, AuditOutcome, AuditRecord};
    let fingerprint = settings.fingerprint();
    let detail = format!(
        "hikbridge {} started; settings sha256:{fingerprint}",
        env!("CARGO_PKG_VERSION")
    );
    tracing::info!(settings_sha256 = %fingerprint, "configuration fingerprint");
    let rec = AuditRecord {
        action: AuditAction::ServiceStart,
        target_kind: "service",
        target: "",
        outcome: AuditOutcome::Ok,
        detail: &detail,
    };
    if let Err(e) = store.record_audit(&Actor::service(), &rec).await {
        crate::metrics::audit_write_failed();
        tracing::error!(error = %e.to_string().escape_debug(), "cannot write the audit log's start record");
    }
}

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
