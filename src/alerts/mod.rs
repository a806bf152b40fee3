//! Built-in alerts for installations without Prometheus. Every `alerts.check_interval_secs`
//! the leader reads the service's state ([`crate::status::StatusSources`], the same figures
//! `/metrics` shows), decides which conditions hold ([`conditions::evaluate`]) and sends one
//! message when an incident opens and one when it closes ([`notify::Notifier`]): delivery
//! paused, punches parked, the outbox's oldest punch too old, the poller failing, a worker
//! down, store writes failing. A message that cannot be sent is tried again at the next check
//! (at most [`MAX_PENDING`] wait). Incidents live in memory: after a restart, one still open is
//! announced again.

pub mod conditions;
pub mod notify;

use crate::config::AlertSettings;
use crate::status::StatusSources;
use conditions::{Incidents, Notice, Thresholds};
use std::collections::VecDeque;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Messages kept for a later attempt while the channels fail; older ones are dropped.
pub const MAX_PENDING: usize = 100;

pub async fn run(
    sources: StatusSources,
    settings: AlertSettings,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let Some(notifier) = notify::Notifier::new(&settings)? else {
        shutdown.cancelled().await;
        return Ok(());
    };
    let thresholds = Thresholds {
        outbox_oldest_age: settings.outbox_oldest_age,
        poller_failures: settings.poller_failures,
    };
    let every = settings.check_interval.max(Duration::from_secs(1));
    let mut incidents = Incidents::default();
    let mut pending: VecDeque<Notice> = VecDeque::new();
    loop {
        let snap = sources.snapshot().await;
        let eval = conditions::evaluate(&snap, &thresholds);
        pending.extend(incidents.update(eval, chrono::Utc::now()));
        while pending.len() > MAX_PENDING {
            pending.pop_front();
        }
        while let Some(n) = pending.front() {
            match notifier.send(n).await {
                Ok(()) => {
                    tracing::info!(alert = n.kind.code(), resolved = n.resolved, "alert sent");
                    pending.pop_front();
                }
                Err(e) => {
                    tracing::warn!(alert = n.kind.code(), error = %format!("{e:#}").escape_debug(), "alert not sent; trying again at the next check");
                    break;
                }
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            () = tokio::time::sleep(every) => {}
        }
    }
}
