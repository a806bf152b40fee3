//! The decision worker: takes events from the inbox in event-time order, resolves who and
//! which door, applies the pure rules (`attendance::decide`) and records the outcome — a
//! punch in the outbox, or a visible, explained decision not to send one.

use crate::artemis::{ArtemisClient, ArtemisError};
use crate::attendance::event::parse_stored;
use crate::attendance::{
    decide, local_day, AccessEvent, Decision, EmployeeId, EventSource, ParkReason, Parsed,
    PriorPunch, RulesConfig, SkipReason,
};
use crate::humand::HumandClient;
use crate::workers::pressure::IngestPressure;
mod people;
mod round;

use crate::store::{DecisionRecord, DecisionRow, EventState, NewPunch, Store, StoredEvent};
use chrono::{DateTime, TimeDelta, Utc};
use round::{person_key, Round};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Events decided per round (and per transaction).
const BATCH: i64 = 512;

#[derive(Clone)]
pub struct Decider {
    store: Store,
    hikcentral: Option<ArtemisClient>,
    rules: Arc<RulesConfig>,
    /// Woken when events arrive.
    wake: Arc<Notify>,
    /// Told when punches were queued.
    punches_queued: Arc<Notify>,
    /// Check employee ids with Humand `GET /users/{id}` (attendance.validate_employees).
    validate_with: Option<HumandClient>,
    /// A new punch becomes due for delivery this long after it was decided
    /// (`delivery.settle_secs`), so a push's out-of-order events are delivered in event order.
    settle: Duration,
    /// People whose look-up failed, and when: their events wait [`LOOKUP_RETRY`].
    lookups_failed: Arc<Mutex<HashMap<String, tokio::time::Instant>>>,
    /// The inbox writer's saturation: while it lasts, one round per [`BURST_PACE`].
    ingest_pressure: Option<Arc<IngestPressure>>,
}

/// During an ingest burst the decider decides one round per this long (≥ 2,048 events/s).
pub const BURST_PACE: Duration = Duration::from_millis(250);
/// Ingest counts as a burst while the writer was saturated this recently.
const BURST_WITHIN: Duration = Duration::from_millis(200);

/// A person whose look-up failed (HikCentral or Humand unreachable) is tried again after this.
pub const LOOKUP_RETRY: Duration = Duration::from_secs(10);

/// A known employee is re-checked after a day, an unknown one after an hour.
const KNOWN_TTL_MS: i64 = 24 * 3600 * 1000;
const UNKNOWN_TTL_MS: i64 = 3600 * 1000;

/// Why a round stopped early; the event stays undecided and is tried again.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error("cannot resolve HikCentral personId {person_id}: {source}")]
    Resolve {
        person_id: String,
        source: ArtemisError,
    },
    #[error("cannot check employee {employee} with Humand: {source}")]
    Validate {
        employee: String,
        source: crate::humand::HumandError,
    },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl Decider {
    pub fn new(
        store: Store,
        hikcentral: Option<ArtemisClient>,
        rules: RulesConfig,
        wake: Arc<Notify>,
        punches_queued: Arc<Notify>,
    ) -> Self {
        Self {
            store,
            hikcentral,
            rules: Arc::new(rules),
            wake,
            punches_queued,
            validate_with: None,
            settle: Duration::ZERO,
            lookups_failed: Arc::default(),
            ingest_pressure: None,
        }
    }

    /// Check every employee id with Humand before punching (cached).
    pub fn validating_with(mut self, humand: Option<HumandClient>) -> Self {
        self.validate_with = humand;
        self
    }

    /// Yield to ingest bursts this writer reports (see [`Decider::run`]).
    pub fn yielding_to(mut self, pressure: Arc<IngestPressure>) -> Self {
        self.ingest_pressure = Some(pressure);
        self
    }

    /// New punches wait `settle` before delivery (default: none).
    pub fn settling(mut self, settle: Duration) -> Self {
        self.settle = settle;
        self
    }

    /// Decide every pending event; returns how many were decided.
    ///
    /// Rounds of up to [`BATCH`] events in event-time order; each round's decisions are written
    /// in one transaction. An event whose person cannot be looked up now (HikCentral or Humand
    /// unreachable) is left undecided, and so are that person's later events, so their order
    /// holds; the person is tried again after [`LOOKUP_RETRY`]. Everyone else is decided.
    pub async fn decide_pending(&self, now: DateTime<Utc>) -> Result<usize, DecideError> {
        self.decide_rounds(now, usize::MAX).await
    }

    /// [`Decider::decide_pending`], stopping after `max_rounds` rounds.
    pub async fn decide_rounds(
        &self,
        now: DateTime<Utc>,
        max_rounds: usize,
    ) -> Result<usize, DecideError> {
        let now_ms = now.timestamp_millis();
        let mut rounds = 0;
        let mut total = 0;
        let mut cursor = None;
        let mut held_back: HashSet<String> = HashSet::new();
        loop {
            let events = self
                .store
                .pending_events_after(now_ms, cursor, BATCH)
                .await?;
            let Some(last) = events.last() else { break };
            cursor = Some((last.happen_at_ms, last.id));
            let mut round = Round::prefetch(&self.store, &events, self.history_reach()).await?;
            for ev in &events {
                let who = person_key(ev);
                if let Some(k) = who {
                    if held_back.contains(k) || self.lookup_waits(k) {
                        held_back.insert(k.to_string());
                        continue;
                    }
                }
                match self.decide_one(ev, now, &round).await {
                    Ok(row) => round.push(row),
                    Err(DecideError::Store(e)) => {
                        // What this round decided so far is still written.
                        self.store.record_decisions(&round.rows, now_ms).await?;
                        return Err(e.into());
                    }
                    Err(e) => {
                        tracing::warn!(
                            error = %e.to_string().escape_debug(),
                            retry_secs = LOOKUP_RETRY.as_secs(),
                            "cannot look this person up now; their events wait, everyone else's go on"
                        );
                        if let Some(k) = who {
                            held_back.insert(k.to_string());
                            self.lookup_failed(k);
                        }
                    }
                }
            }
            self.store.record_decisions(&round.rows, now_ms).await?;
            for row in &round.rows {
                crate::metrics::decision(row.record.decision);
            }
            total += round.rows.len();
            if round.queued_punch {
                self.punches_queued.notify_one();
            }
            rounds += 1;
            if (events.len() as i64) < BATCH || rounds >= max_rounds {
                break;
            }
        }
        Ok(total)
    }

    /// Run until the task is aborted: decide, then wait for new events (or a held one's time).
    ///
    /// While ingest is saturated (an ingest burst) it decides one round per [`BURST_PACE`], so
    /// acknowledging pushes keeps the store's write turn and the CPU; decisions trail by at most
    /// the burst and catch up at full speed after it. Punches wait `delivery.settle_secs` (60 s
    /// by default) before delivery anyway.
    pub async fn run(self) -> anyhow::Result<()> {
        loop {
            let burst = self
                .ingest_pressure
                .as_ref()
                .is_some_and(|p| p.active(BURST_WITHIN));
            let rounds = if burst { 1 } else { usize::MAX };
            match self.decide_rounds(Utc::now(), rounds).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(decided = n, burst, "events decided"),
                Err(e) => {
                    tracing::warn!(error = %e, "deciding paused; retrying in 10 s");
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    continue;
                }
            }
            if burst {
                tokio::time::sleep(BURST_PACE).await;
                continue;
            }
            // Held events come due with time, so never wait forever.
            let _ = tokio::time::timeout(Duration::from_secs(1), self.wake.notified()).await;
        }
    }

    /// Decide one event; `round` holds the punches decided earlier in the same round (not yet
    /// written), which count as the employee's history.
    async fn decide_one(
        &self,
        stored: &StoredEvent,
        now: DateTime<Utc>,
        round: &Round,
    ) -> Result<DecisionRow, DecideError> {
        let now_ms = now.timestamp_millis();
        let source = if stored.source == "poll" {
            EventSource::Poll
        } else {
            EventSource::Push
        };
        let event = match parse_stored(&stored.raw, source) {
            // Admitted by an operator (or stored before the window applied): decided alike.
            Parsed::Accepted(e) | Parsed::OutOfWindow(e, _) => e,
            // Stored events were accepted once; a row that no longer parses is parked, not lost.
            Parsed::Rejected { reason, .. } => {
                let rec = DecisionRecord {
                    state: EventState::Parked,
                    decision: "park",
                    reason: Some("unreadable"),
                    detail: format!("the stored event no longer parses: {reason}"),
                    hold_until_ms: None,
                };
                return Ok(DecisionRow {
                    event_row_id: stored.id,
                    record: rec,
                    punch: None,
                    unmapped_door: None,
                });
            }
        };
        // Not-granted events need no person look-up.
        let found = if self.rules.granted_types.contains(&event.event_type) {
            Some(self.employee_for(&event, now_ms, round).await?)
        } else {
            None
        };
        let (employee, missing) = match found {
            Some(Ok(emp)) => (Some(emp), None),
            Some(Err(why)) => (None, Some(why)),
            None => (None, None),
        };
        let history = match &employee {
            Some(emp) => self.history(emp, &event, round).await?,
            None => Vec::new(),
        };
        let decision = decide(&event, employee.as_ref(), &history, now, &self.rules);
        let door = if event.door.name.is_empty() {
            event.door.index_code.clone()
        } else {
            event.door.name.clone()
        };
        let detail = match (&decision, missing) {
            (
                Decision::Park {
                    reason: ParkReason::UnknownEmployee,
                },
                Some(why),
            ) => why.to_string(),
            _ => decision.to_string(),
        };
        let (rec, punch, unmapped) = match &decision {
            Decision::Punch { direction, at } => (
                DecisionRecord {
                    state: EventState::Decided,
                    decision: "punch",
                    reason: None,
                    detail,
                    hold_until_ms: None,
                },
                employee.as_ref().map(|emp| NewPunch {
                    // The id as stored: the row's key, whatever the raw text re-parses to.
                    event_id: stored.event_id.clone(),
                    due_at_ms: now_ms
                        .saturating_add(i64::try_from(self.settle.as_millis()).unwrap_or(i64::MAX)),
                    employee_id: emp.as_str().to_string(),
                    direction: *direction,
                    at_ms: at.timestamp_millis(),
                    local_day: local_day(*at, self.rules.time_zone).to_string(),
                    door,
                }),
                None,
            ),
            Decision::Skip { reason } => (
                DecisionRecord {
                    state: EventState::Decided,
                    decision: "skip",
                    reason: Some(reason.code()),
                    detail,
                    hold_until_ms: None,
                },
                None,
                matches!(reason, SkipReason::UnmappedDoor)
                    .then(|| (event.door.index_code.clone(), event.door.name.clone())),
            ),
            Decision::Park { reason } => (
                DecisionRecord {
                    state: EventState::Parked,
                    decision: "park",
                    reason: Some(reason.code()),
                    detail,
                    hold_until_ms: None,
                },
                None,
                None,
            ),
            Decision::Hold { until } => (
                DecisionRecord {
                    state: EventState::Held,
                    decision: "hold",
                    reason: Some("future"),
                    detail,
                    hold_until_ms: Some(until.timestamp_millis()),
                },
                None,
                None,
            ),
        };
        tracing::debug!(event_id = %event.event_id, decision = decision.code(), "decided");
        Ok(DecisionRow {
            event_row_id: stored.id,
            record: rec,
            punch,
            unmapped_door: unmapped,
        })
    }

    /// How far back an event's history reaches: a day and a half, or the longest shift.
    fn history_reach(&self) -> TimeDelta {
        TimeDelta::from_std(self.rules.toggle_max_shift)
            .unwrap_or(TimeDelta::MAX)
            .max(TimeDelta::hours(36))
    }

    /// The employee's punches around the event (the reach before, an hour after), with those
    /// decided earlier in this round.
    async fn history(
        &self,
        emp: &EmployeeId,
        ev: &AccessEvent,
        round: &Round,
    ) -> Result<Vec<PriorPunch>, DecideError> {
        let at = ev.happen_time.with_timezone(&Utc);
        let from = at
            .checked_sub_signed(self.history_reach())
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
            .timestamp_millis();
        let to = (at + TimeDelta::hours(1)).timestamp_millis();
        let mut rows = match round.history_of(emp.as_str(), from, to) {
            Some(rows) => rows,
            None => self.store.punches().history(emp.as_str(), from, to).await?,
        };
        rows.extend(round.punches_of(emp.as_str(), from, to));
        rows.sort_by_key(|(_, at)| *at);
        Ok(rows
            .into_iter()
            .filter_map(|(direction, ms)| {
                Some(PriorPunch {
                    direction,
                    at: DateTime::from_timestamp_millis(ms)?,
                })
            })
            .collect())
    }
}
