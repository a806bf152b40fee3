//! Who runs the cluster-wide workers. Several replicas may share one PostgreSQL database (a
//! rolling deploy, or scaling out); the decider, delivery, poller, reconciler, job runner and
//! retention must run once per cluster, so that events are decided in order and Humand's
//! budget is spent by one pacer. The replica that holds the `leader` lease runs them; the others
//! receive pushes and serve the APIs, and take over when the leader stops renewing (after at
//! most `cluster.lease_secs`). On SQLite only one process may open the file (see
//! [`crate::store::Store::lock_sqlite_file`]), so that process always leads.
//!
//! Every replica also writes a heartbeat each round, which doubles as the store's write probe.

use crate::store::{Backend, Store};
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub const LEADER_LEASE: &str = "leader";

/// This process's name in leases and heartbeats: host, pid and a random suffix.
pub fn replica_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &suffix[..8])
}

/// The lease loop of one replica; clones share the leadership signal, so the supervisor can
/// restart the loop.
#[derive(Clone)]
pub struct Leadership {
    store: Store,
    owner: String,
    lease: Duration,
    started_at_ms: i64,
    leader: std::sync::Arc<watch::Sender<bool>>,
}

impl Leadership {
    /// On SQLite the channel starts (and stays) `true`; on PostgreSQL it starts `false` until
    /// the lease is taken.
    pub fn new(store: Store, owner: String, lease: Duration) -> (Self, watch::Receiver<bool>) {
        let (leader, rx) = watch::channel(store.backend() == Backend::Sqlite);
        let me = Self {
            store,
            owner,
            lease,
            started_at_ms: chrono::Utc::now().timestamp_millis(),
            leader: std::sync::Arc::new(leader),
        };
        (me, rx)
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Heartbeat and (on PostgreSQL) take or renew the lease every third of its length until
    /// `shutdown`; then give the lease up so another replica takes over at once.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let round = (self.lease / 3).max(Duration::from_millis(200));
        let ttl_ms = i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX);
        loop {
            let now_ms = chrono::Utc::now().timestamp_millis();
            if let Err(e) = self
                .store
                .heartbeat(&self.owner, self.started_at_ms, now_ms)
                .await
            {
                tracing::warn!(error = %e.to_string().escape_debug(), "heartbeat failed");
            }
            if self.store.backend() == Backend::Postgres {
                // A renewal slower than a round cannot be trusted to have beaten the expiry.
                let attempt = tokio::time::timeout(
                    round,
                    self.store
                        .try_lease(LEADER_LEASE, &self.owner, ttl_ms, now_ms),
                )
                .await;
                let leading = matches!(attempt, Ok(Ok(true)));
                if let Ok(Err(e)) = &attempt {
                    tracing::warn!(error = %e.to_string().escape_debug(), "cannot renew the cluster lease; standing by");
                }
                self.set(leading);
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(round) => {}
            }
        }
        if *self.leader.borrow() && self.store.backend() == Backend::Postgres {
            tracing::info!(replica = %self.owner, "shutting down: handing the cluster lease back");
            self.leader.send_replace(false);
            let _ = self.store.release_lease(LEADER_LEASE, &self.owner).await;
        }
        Ok(())
    }

    fn set(&self, leading: bool) {
        let was = *self.leader.borrow();
        if was != leading {
            if leading {
                tracing::info!(replica = %self.owner, "this replica now leads the cluster: it runs the decider, delivery, poller, reconciler, job runner and retention");
            } else {
                tracing::warn!(replica = %self.owner, "this replica no longer leads the cluster");
            }
            let _ = self.leader.send(leading);
        }
    }
}
