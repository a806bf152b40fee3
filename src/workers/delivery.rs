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
use crate::humand::readback::{Lookup, ReadBack, Wanted};
use crate::humand::{HumandClient, HumandError};
use crate::store::{punch_state, Punch, Punches, Store};
use chrono::{DateTime, SecondsFormat, Utc};
use http::Method;
use rand::Rng;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

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
            employee_id_integer: d.employee_id_type == "integer",
            comment: d.comment.clone(),
            concurrency: d.concurrency,
            credentials_probe: Duration::from_secs(d.credentials_probe_secs),
            late_events: d.late_events,
            lease: Duration::from_secs(d.lease_secs),
            // A claim whose replica has sent no heartbeat for this long is taken over.
            dead_after: Duration::from_secs(settings.cluster.lease_secs)
                .saturating_mul(2)
                .saturating_add(Duration::from_millis(settings.humand.timeout_ms)),
            unknown_outcome: d.unknown_outcome,
            lookup_tolerance: Duration::from_secs(d.lookup_tolerance_secs),
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

    /// The exact request for a punch: (path, body).
    pub fn request_for(&self, p: &Punch) -> Result<(String, Value), &'static str> {
        let employee: Value = if self.opts.employee_id_integer {
            employee_number(&p.employee_id).ok_or("employee_id_not_integer")?
        } else {
            json!(p.employee_id)
        };
        let at = DateTime::from_timestamp_millis(p.at_ms).ok_or("bad_time")?;
        let path = if p.direction == "exit" {
            "/time-tracking/entries/clockOut"
        } else {
            "/time-tracking/entries/clockIn"
        };
        let body = json!({
            "employeeId": employee,
            "now": at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "comment": self.opts.comment.replace("{door}", &p.door),
        });
        Ok((path.to_string(), body))
    }

    async fn deliver_one(&self, p: &Punch) -> anyhow::Result<Outcome> {
        let now_ms = Utc::now().timestamp_millis();
        let punches = self.punches();
        if self.opts.late_events == LateEventPolicy::Park {
            if let Some(later_ms) = punches.delivered_after(&p.employee_id, p.at_ms).await? {
                let later = DateTime::from_timestamp_millis(later_ms).unwrap_or_default();
                punches
                    .park(
                        p.id,
                        "late_event",
                        None,
                        None,
                        &format!(
                            "a later punch of this employee ({}) was already delivered; \
                             retry to send this one anyway, or discard it \
                             (delivery.late_events = park)",
                            later.to_rfc3339_opts(SecondsFormat::Secs, true)
                        ),
                        now_ms,
                    )
                    .await?;
                return Ok(Outcome::Parked("late_event"));
            }
        }
        let (path, body) = match self.request_for(p) {
            Ok(r) => r,
            Err(reason) => {
                punches
                    .park(
                        p.id,
                        reason,
                        None,
                        None,
                        "cannot build the Humand request",
                        now_ms,
                    )
                    .await?;
                return Ok(Outcome::Parked(reason));
            }
        };
        let request = json!({"method": "POST", "path": path, "body": body}).to_string();
        if self.opts.dry_run {
            punches.mark_dry_run(p.id, &request, now_ms).await?;
            return Ok(Outcome::DryRun);
        }
        let Some(humand) = &self.humand else {
            punches
                .retry_later(
                    p.id,
                    now_ms + 60_000,
                    "no Humand API key configured",
                    false,
                    now_ms,
                )
                .await?;
            return Ok(Outcome::RetryLater { unknown: false });
        };
        // A previous attempt may have reached Humand: look before sending again.
        if p.state == punch_state::SENDING {
            if let Some(outcome) = self.settle_unknown(p, now_ms).await? {
                return Ok(outcome);
            }
        }
        if !punches.mark_sending(p.id, &request, now_ms).await? {
            // The claim expired (this replica was too slow) and another replica holds it.
            tracing::warn!(
                punch = p.id,
                "claim expired before sending; left to the replica that holds it"
            );
            return Ok(Outcome::RetryLater { unknown: false });
        }
        let resp = match humand
            .send_once(Method::POST, &path, &[], Some(&body))
            .await
        {
            Ok(r) => r,
            Err(e @ HumandError::NotSent(_)) => return self.failed(p, &e, false).await,
            Err(e) => return self.failed(p, &e, true).await,
        };
        let status = resp.status.as_u16();
        let text = resp.body_snippet();
        let now_ms = Utc::now().timestamp_millis();
        match status {
            200..=299 => {
                let id = serde_json::from_slice::<Value>(&resp.body)
                    .ok()
                    .and_then(|v| v.get("id").cloned())
                    .and_then(|id| match id {
                        Value::String(s) if !s.is_empty() => Some(s),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    });
                self.set_paused(None);
                match id {
                    Some(id) => {
                        punches
                            .mark_delivered(p.id, &id, i64::from(status), &text, now_ms)
                            .await?;
                        tracing::info!(punch = p.id, direction = %p.direction, entry = %id.escape_debug(), "punch delivered");
                        Ok(Outcome::Delivered(id))
                    }
                    None => {
                        punches
                            .park(
                                p.id,
                                "humand_no_id",
                                Some(i64::from(status)),
                                Some(&text),
                                "Humand answered 2xx without an entry id",
                                now_ms,
                            )
                            .await?;
                        Ok(Outcome::Parked("humand_no_id"))
                    }
                }
            }
            401 | 403 => {
                let next = now_ms + self.opts.credentials_probe.as_millis() as i64;
                punches
                    .retry_later(
                        p.id,
                        next,
                        &format!("HTTP {status}: credentials refused; delivery paused"),
                        false,
                        now_ms,
                    )
                    .await?;
                // After the punch is back in the queue, so the pause never shows a punch in
                // flight.
                self.set_paused(Some(format!("Humand answered HTTP {status}: {text}")));
                Ok(Outcome::CredentialsRefused)
            }
            429 => {
                self.set_paused(None);
                let wait = resp
                    .header("retry-after")
                    .and_then(crate::upstream::retry::parse_retry_after)
                    .unwrap_or(Duration::from_secs(60));
                punches
                    .retry_later(
                        p.id,
                        now_ms + wait.as_millis() as i64,
                        "HTTP 429: rate limited",
                        false,
                        now_ms,
                    )
                    .await?;
                Ok(Outcome::RetryLater { unknown: false })
            }
            500..=599 => {
                let err = HumandError::Http {
                    status,
                    code: String::new(),
                    message: text.clone(),
                    body: text,
                };
                self.failed(p, &err, true).await
            }
            _ => {
                self.set_paused(None);
                let reason = if status == 400 || status == 422 {
                    "humand_rejected"
                } else {
                    "humand_http_error"
                };
                punches
                    .park(
                        p.id,
                        reason,
                        Some(i64::from(status)),
                        Some(&text),
                        &format!("Humand answered HTTP {status}"),
                        now_ms,
                    )
                    .await?;
                tracing::warn!(punch = p.id, status, reason, humand = %crate::humand::client::error_message(&resp).escape_debug(), "punch parked: Humand refused it");
                Ok(Outcome::Parked(reason))
            }
        }
    }

    /// Retry later with backoff; `unknown` keeps the punch `sending` so the next attempt looks
    /// for it in Humand first.
    async fn failed(&self, p: &Punch, err: &HumandError, unknown: bool) -> anyhow::Result<Outcome> {
        let now_ms = Utc::now().timestamp_millis();
        let delay = backoff(p.attempts.max(1) as u32);
        self.punches()
            .retry_later(
                p.id,
                now_ms + delay.as_millis() as i64,
                &err.to_string(),
                unknown,
                now_ms,
            )
            .await?;
        tracing::warn!(punch = p.id, attempts = p.attempts, retry_in_ms = delay.as_millis() as u64, error = %err, "delivery failed; will retry");
        Ok(Outcome::RetryLater { unknown })
    }

    /// A punch left `sending` (its outcome unknown): look it up in Humand. `Some(outcome)` ends
    /// this attempt (found → delivered; no read API and the policy is `park` → parked; a
    /// transient read failure → retried later); `None` means send it.
    async fn settle_unknown(&self, p: &Punch, now_ms: i64) -> anyhow::Result<Option<Outcome>> {
        let Some(readback) = &self.readback else {
            return Ok(None);
        };
        let punches = self.punches();
        let taken = punches.attributed_entry_ids(&p.employee_id, p.id).await?;
        let wanted = Wanted {
            taken: &taken,
            employee_id: &p.employee_id,
            kind: if p.direction == "exit" {
                "END"
            } else {
                "START"
            },
            at: DateTime::from_timestamp_millis(p.at_ms).unwrap_or_default(),
        };
        match readback.find(wanted).await {
            Ok(Lookup::Found(id)) => {
                punches
                    .mark_delivered(
                        p.id,
                        &id,
                        0,
                        "found in Humand after an unknown outcome",
                        now_ms,
                    )
                    .await?;
                tracing::info!(punch = p.id, entry = %id, "unknown outcome resolved: already delivered");
                Ok(Some(Outcome::Delivered(id)))
            }
            Ok(Lookup::NotFound) => Ok(None),
            Ok(Lookup::Unavailable(why)) => match self.opts.unknown_outcome {
                UnknownOutcomePolicy::Resend => {
                    tracing::warn!(punch = p.id, reasons = %why, "no Humand read API answers; sending again (delivery.unknown_outcome = resend: Humand refuses a second record of a type)");
                    Ok(None)
                }
                UnknownOutcomePolicy::Park => {
                    let detail = format!(
                        "the outcome of the last attempt is unknown and no Humand read API \
                         answers ({why}); check the employee's records in Humand, then retry or \
                         discard (delivery.unknown_outcome = park)"
                    );
                    punches
                        .park(p.id, "outcome_unknown", None, None, &detail, now_ms)
                        .await?;
                    Ok(Some(Outcome::Parked("outcome_unknown")))
                }
            },
            Err(e) => self.failed(p, &e, true).await.map(Some),
        }
    }
}

/// `employeeId` as a JSON integer, only when that loses nothing: digits only, no leading zero
/// ("0923456789" would become 923456789, another employee or none), at least 1.
fn employee_number(id: &str) -> Option<Value> {
    let exact = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && !id.starts_with('0');
    if !exact {
        return None;
    }
    id.parse::<u64>().ok().map(|n| json!(n))
}

/// Exponential with equal jitter, capped.
fn backoff(attempts: u32) -> Duration {
    let exp = attempts.saturating_sub(1).min(16);
    let full = BASE_BACKOFF.saturating_mul(1 << exp).min(MAX_BACKOFF);
    let half = full / 2;
    half + Duration::from_millis(rand::thread_rng().gen_range(0..=half.as_millis() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_employee_ids_never_lose_digits() {
        assert_eq!(employee_number("43013830"), Some(json!(43013830)));
        for refused in [
            "0923456789",
            "0",
            "",
            "12a",
            " 12",
            "-5",
            "99999999999999999999999",
        ] {
            assert_eq!(employee_number(refused), None, "{refused:?}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for _ in 0..20 {
            let b1 = backoff(1);
            assert!(b1 >= Duration::from_secs(1) && b1 <= Duration::from_secs(2));
            let b20 = backoff(20);
            assert!(b20 >= MAX_BACKOFF / 2 && b20 <= MAX_BACKOFF);
        }
    }
}
