//! Delivery: hands punches to Humand one by one, FIFO per employee, many employees in
//! parallel with one request in flight each (continuously fed lanes), at the pace Humand's
//! headers allow.
//!
//! Outcomes: 2xx with an `id` → `delivered`; 400/422, a 2xx without `id`, or any other 4xx →
//! `parked` with Humand's body; 429 → wait Retry-After; 5xx, timeouts, broken connections →
//! retried with backoff and jitter, without a count limit, always visible (attempts, next
//! attempt, last error); 401/403 → every delivery pauses (nothing dropped) and `/ready` warns,
//! with a probe every so often so delivery resumes by itself once the key works.
//!
//! No duplicates: a punch is marked `sending` before the request goes out. If the outcome is
//! unknown (timeout after sending, 5xx, or a crash before the answer was recorded), the next
//! attempt first looks for the entry in `GET /time-tracking/entries` and only resends when it is
//! not there.

use crate::config::{LateEventPolicy, UnknownOutcomePolicy};
use crate::humand::readback::ReadBack;
use crate::humand::HumandClient;
use crate::store::{Punch, Punches, Store};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

mod attempt;

/// First retry after this long; doubles up to [`MAX_BACKOFF`].
const BASE_BACKOFF: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// How delivery is doing, for `/ready` and the dashboard.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct DeliveryStatus {
    pub running: bool,
    pub dry_run: bool,
    /// Set while Humand refuses the credentials (401/403).
    pub paused_reason: Option<String>,
    pub paused_since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    pub dry_run: bool,
    /// Send `employeeId` as a JSON number instead of a string.
    pub employee_id_integer: bool,
    /// `{door}` is replaced by the door.
    pub comment: String,
    pub concurrency: u32,
    /// While Humand refuses the credentials, one probe this often.
    pub credentials_probe: Duration,
    /// A punch earlier than one already delivered for the employee (`delivery.late_events`).
    pub late_events: LateEventPolicy,
    /// How long a claimed punch stays this replica's (`delivery.lease_secs`).
    pub lease: Duration,
    /// This replica's id: the owner of its claims.
    pub replica: String,
    /// A claim held by a replica that has sent no heartbeat for this long is taken over
    /// without waiting for its lease to expire (the replica died).
    pub dead_after: Duration,
    /// An unknown outcome when no read API answers (`delivery.unknown_outcome`).
    pub unknown_outcome: UnknownOutcomePolicy,
    /// A record read back matches within this much time (`delivery.lookup_tolerance_secs`).
    pub lookup_tolerance: Duration,
    /// Items per page when reading back (`humand.read_page_limit`).
    pub read_page_limit: u32,
}

impl DeliveryOptions {
    /// The options `[delivery]` (and the cluster's lease) give replica `replica`.
    pub fn from_settings(settings: &crate::config::Settings, replica: &str) -> Self {
        let d = &settings.delivery;
        Self {
            dry_run: d.dry_run,
            employee_id_integer: d.employee_id_type == crate::config::EmployeeIdType::Integer,
            comment: d.comment.clone(),
            concurrency: d.concurrency,
            credentials_probe: d.credentials_probe,
            late_events: d.late_events,
            lease: d.lease,
            // A claim whose replica has sent no heartbeat for this long is taken over.
            dead_after: settings
                .cluster
                .lease
                .saturating_mul(2)
                .saturating_add(settings.humand.timeout),
            unknown_outcome: d.unknown_outcome,
            lookup_tolerance: d.lookup_tolerance,
            read_page_limit: settings.humand.read_page_limit,
            replica: replica.to_string(),
        }
    }
}

#[derive(Clone)]
pub struct Delivery {
    store: Store,
    humand: Option<HumandClient>,
    readback: Option<ReadBack>,
    opts: Arc<DeliveryOptions>,
    status: Arc<Mutex<DeliveryStatus>>,
    wake: Arc<Notify>,
}

/// What happened to one punch in one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered(String),
    DryRun,
    Parked(&'static str),
    RetryLater { unknown: bool },
    CredentialsRefused,
}

impl Outcome {
    /// The metric label.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Delivered(_) => "delivered",
            Outcome::DryRun => "dry_run",
            Outcome::Parked(_) => "parked",
            Outcome::RetryLater { unknown: false } => "retry",
            Outcome::RetryLater { unknown: true } => "outcome_unknown",
            Outcome::CredentialsRefused => "credentials_refused",
        }
    }
}

impl Delivery {
    pub fn new(
        store: Store,
        humand: Option<HumandClient>,
        opts: DeliveryOptions,
        wake: Arc<Notify>,
    ) -> Self {
        let status = DeliveryStatus {
            running: false,
            dry_run: opts.dry_run,
            ..DeliveryStatus::default()
        };
        let readback = humand
            .clone()
            .map(|c| ReadBack::new(c, opts.lookup_tolerance, opts.read_page_limit));
        Self {
            store,
            humand,
            readback,
            opts: Arc::new(opts),
            status: Arc::new(Mutex::new(status)),
            wake,
        }
    }

    /// Look for due punches now (e.g. after an operator retried one).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn status(&self) -> DeliveryStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn set_paused(&self, reason: Option<String>) {
        if let Ok(mut s) = self.status.lock() {
            match reason {
                Some(r) => {
                    if s.paused_reason.is_none() {
                        tracing::error!(reason = %r, "Humand refuses the credentials: delivery paused, nothing is dropped");
                        s.paused_since = Some(Utc::now());
                    }
                    s.paused_reason = Some(r);
                }
                None => {
                    if s.paused_reason.take().is_some() {
                        tracing::info!("Humand accepts the credentials again: delivery resumed");
                    }
                    s.paused_since = None;
                }
            }
        }
    }

    fn paused(&self) -> bool {
        self.status
            .lock()
            .map(|s| s.paused_reason.is_some())
            .unwrap_or(false)
    }

    /// Deliver every punch that is due (heads of their employees' queues) and return the
    /// outcomes. Lanes are fed continuously: up to `delivery.concurrency` employees have a
    /// request in flight, and a lane that finishes takes the next due head at once instead of
    /// waiting for the slowest call of a round. While credentials are refused one lane probes.
    /// A failing store stops new claims; calls in flight finish before the error is returned.
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<(i64, Outcome)>> {
        let started = Utc::now();
        let mut all = Vec::new();
        let mut lanes: JoinSet<(i64, anyhow::Result<Outcome>)> = JoinSet::new();
        let mut in_flight: HashSet<i64> = HashSet::new();
        let mut stop = false;
        let mut failure: Option<anyhow::Error> = None;
        loop {
            let cap = if self.paused() {
                1
            } else {
                self.opts.concurrency.max(1) as usize
            };
            // At the start and after every finished call: fill the free lanes.
            if !stop && failure.is_none() && in_flight.len() < cap {
                let at = now + (Utc::now() - started).max(chrono::TimeDelta::zero());
                match self.claim(at, cap - in_flight.len(), &in_flight).await {
                    Ok(heads) => {
                        for p in heads {
                            in_flight.insert(p.id);
                            let lane = self.clone();
                            lanes.spawn(async move {
                                let r = lane.deliver_one(&p).await;
                                (p.id, r)
                            });
                        }
                    }
                    Err(e) => failure = Some(e),
                }
            }
            let Some(done) = lanes.join_next().await else {
                return match failure {
                    Some(e) => Err(e),
                    None => Ok(all),
                };
            };
            match done {
                Ok((id, Ok(outcome))) => {
                    in_flight.remove(&id);
                    crate::metrics::punch_delivery(outcome.label());
                    stop |= outcome == Outcome::CredentialsRefused;
                    all.push((id, outcome));
                }
                Ok((id, Err(e))) => {
                    in_flight.remove(&id);
                    failure.get_or_insert(e);
                }
                Err(join) => {
                    failure.get_or_insert(anyhow::anyhow!("a delivery lane failed: {join}"));
                }
            }
        }
    }

    /// Claim up to `want` due heads not already in flight here (this replica's own claims come
    /// back from the query, so ask for that many more).
    async fn claim(
        &self,
        now: DateTime<Utc>,
        want: usize,
        in_flight: &HashSet<i64>,
    ) -> anyhow::Result<Vec<Punch>> {
        let now_ms = now.timestamp_millis();
        let lease_until =
            now_ms.saturating_add(i64::try_from(self.opts.lease.as_millis()).unwrap_or(i64::MAX));
        let dead_before = now_ms
            .saturating_sub(i64::try_from(self.opts.dead_after.as_millis()).unwrap_or(i64::MAX));
        let limit = i64::try_from(want + in_flight.len()).unwrap_or(i64::MAX);
        let heads = self
            .punches()
            .claim_due_heads(now_ms, lease_until, dead_before, limit)
            .await?;
        Ok(heads
            .into_iter()
            .filter(|p| !in_flight.contains(&p.id))
            .take(want)
            .collect())
    }

    /// This replica's view of the outbox: state changes apply only to its own claims.
    fn punches(&self) -> Punches<'_> {
        self.store.punches_claimed_by(&self.opts.replica)
    }

    /// Run until `shutdown`; then give up this replica's claims.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        if let Ok(mut s) = self.status.lock() {
            s.running = true;
        }
        let result = shutdown.run_until_cancelled(self.deliver_forever()).await;
        if let Err(e) = self.punches().release_claims().await {
            tracing::warn!(error = %e.to_string().escape_debug(), "could not release delivery claims; they expire by themselves");
        }
        result.unwrap_or(Ok(()))
    }

    async fn deliver_forever(&self) -> anyhow::Result<()> {
        loop {
            if let Err(e) = self.deliver_due(Utc::now()).await {
                tracing::warn!(error = %format!("{e:#}").escape_debug(), "delivery round failed; retrying in 5 s");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
            let wait = match self.store.punches().next_due_at().await {
                Ok(Some(at)) => Duration::from_millis(
                    u64::try_from(at - Utc::now().timestamp_millis())
                        .unwrap_or(0)
                        .max(20),
                ),
                _ => Duration::from_secs(5),
            };
            let _ =
                tokio::time::timeout(wait.min(Duration::from_secs(5)), self.wake.notified()).await;
        }
    }
}
