//! The decision worker: takes events from the inbox in event-time order, resolves who and
//! which door, applies the pure rules (`attendance::decide`) and records the outcome — a
//! punch in the outbox, or a visible, explained decision not to send one.

use crate::artemis::model::ArtemisCode;
use crate::artemis::{ArtemisClient, ArtemisError};
use crate::attendance::event::parse_stored;
use crate::attendance::{
    decide, local_day, AccessEvent, Decision, Direction, EmployeeId, EventSource, NoEmployee,
    ParkReason, Parsed, PriorPunch, RulesConfig, SkipReason,
};
use crate::humand::HumandClient;
use crate::store::{DecisionRecord, NewPunch, Store, StoredEvent};
use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Events decided per round.
const BATCH: i64 = 256;

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
}

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
        }
    }

    /// Check every employee id with Humand before punching (cached).
    pub fn validating_with(mut self, humand: Option<HumandClient>) -> Self {
        self.validate_with = humand;
        self
    }

    /// New punches wait `settle` before delivery (default: none).
    pub fn settling(mut self, settle: Duration) -> Self {
        self.settle = settle;
        self
    }

    /// Decide every pending event; returns how many were decided.
    pub async fn decide_pending(&self, now: DateTime<Utc>) -> Result<usize, DecideError> {
        let mut total = 0;
        loop {
            let events = self
                .store
                .pending_events(now.timestamp_millis(), BATCH)
                .await?;
            if events.is_empty() {
                return Ok(total);
            }
            let n = events.len();
            for ev in events {
                self.decide_one(&ev, now).await?;
                total += 1;
            }
            self.punches_queued.notify_one();
            if (n as i64) < BATCH {
                return Ok(total);
            }
        }
    }

    /// Run until the task is aborted: decide, then wait for new events (or a held one's time).
    pub async fn run(self) -> anyhow::Result<()> {
        loop {
            match self.decide_pending(Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(decided = n, "events decided"),
                Err(e) => {
                    tracing::warn!(error = %e, "deciding paused; retrying in 10 s");
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    continue;
                }
            }
            // Held events come due with time, so never wait forever.
            let _ = tokio::time::timeout(Duration::from_secs(1), self.wake.notified()).await;
        }
    }

    async fn decide_one(
        &self,
        stored: &StoredEvent,
        now: DateTime<Utc>,
    ) -> Result<(), DecideError> {
        let now_ms = now.timestamp_millis();
        let raw: serde_json::Value =
            serde_json::from_str(&stored.raw).unwrap_or(serde_json::Value::Null);
        let source = if stored.source == "poll" {
            EventSource::Poll
        } else {
            EventSource::Push
        };
        let event = match parse_stored(&raw, source) {
            Parsed::Accepted(e) => e,
            // Stored events were accepted once; a row that no longer parses is parked, not lost.
            Parsed::Rejected { reason, .. } => {
                let rec = DecisionRecord {
                    state: "parked",
                    decision: "park",
                    reason: Some("unreadable"),
                    detail: format!("the stored event no longer parses: {reason}"),
                    hold_until_ms: None,
                };
                return Ok(self
                    .store
                    .record_decision(stored.id, &rec, None, None, now_ms)
                    .await?);
            }
        };
        // Not-granted events need no person look-up.
        let found = if self.rules.granted_types.contains(&event.event_type) {
            Some(self.employee_for(&event, now_ms).await?)
        } else {
            None
        };
        let (employee, missing) = match found {
            Some(Ok(emp)) => (Some(emp), None),
            Some(Err(why)) => (None, Some(why)),
            None => (None, None),
        };
        let history = match &employee {
            Some(emp) => self.history(emp, &event).await?,
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
                    state: "decided",
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
                    direction: direction.as_str().to_string(),
                    at_ms: at.timestamp_millis(),
                    local_day: local_day(*at, self.rules.time_zone).to_string(),
                    door,
                }),
                None,
            ),
            Decision::Skip { reason } => (
                DecisionRecord {
                    state: "decided",
                    decision: "skip",
                    reason: Some(reason.code()),
                    detail,
                    hold_until_ms: None,
                },
                None,
                matches!(reason, SkipReason::UnmappedDoor)
                    .then(|| (event.door.index_code.as_str(), event.door.name.as_str())),
            ),
            Decision::Park { reason } => (
                DecisionRecord {
                    state: "parked",
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
                    state: "held",
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
        self.store
            .record_decision(stored.id, &rec, punch.as_ref(), unmapped, now_ms)
            .await?;
        crate::metrics::decision(rec.decision);
        Ok(())
    }

    /// personCode from the event, else the personId (or iSecure Center person number) resolved
    /// through HikCentral and cached; then the override table. `None`: nobody to clock.
    async fn employee_for(
        &self,
        ev: &AccessEvent,
        now_ms: i64,
    ) -> Result<Result<EmployeeId, NoEmployee>, DecideError> {
        let code = match &ev.person_code {
            Some(c) => c.as_str().to_string(),
            None => match ev.person_id.as_deref().or(ev.isc_person_no.as_deref()) {
                Some(pid) => match self.resolve_person_id(pid, now_ms).await? {
                    Some(code) => code,
                    None => return Ok(Err(NoEmployee::PersonIdUnknown)),
                },
                None => return Ok(Err(NoEmployee::NoPerson)),
            },
        };
        let id = match self.store.employee_override(&code).await? {
            Some(over) => over,
            None => code,
        };
        let Some(emp) = EmployeeId::parse(&id) else {
            return Ok(Err(NoEmployee::UnusableId));
        };
        if let Some(humand) = &self.validate_with {
            if !self.known_to_humand(humand, emp.as_str(), now_ms).await? {
                return Ok(Err(NoEmployee::NotInHumand));
            }
        }
        Ok(Ok(emp))
    }

    async fn known_to_humand(
        &self,
        humand: &HumandClient,
        emp: &str,
        now_ms: i64,
    ) -> Result<bool, DecideError> {
        if let Some((known, at)) = self.store.cached_employee(emp).await? {
            let ttl = if known { KNOWN_TTL_MS } else { UNKNOWN_TTL_MS };
            if now_ms - at < ttl {
                return Ok(known);
            }
        }
        let segment: String = emp
            .bytes()
            .map(|b| match b {
                b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect();
        let path = format!("/users/{segment}");
        let known = match humand.send(http::Method::GET, &path, &[], None).await {
            Ok(_) => true,
            Err(crate::humand::HumandError::Http { status: 404, .. }) => false,
            Err(source) => {
                return Err(DecideError::Validate {
                    employee: emp.to_string(),
                    source,
                })
            }
        };
        self.store.cache_employee(emp, known, now_ms).await?;
        Ok(known)
    }

    async fn resolve_person_id(
        &self,
        person_id: &str,
        now_ms: i64,
    ) -> Result<Option<String>, DecideError> {
        // A person HikCentral did not know may be added later: that answer expires sooner.
        if let Some((cached, at)) = self.store.cached_person(person_id).await? {
            let ttl = if cached.is_some() {
                KNOWN_TTL_MS
            } else {
                UNKNOWN_TTL_MS
            };
            if now_ms - at < ttl {
                return Ok(cached);
            }
        }
        let Some(client) = &self.hikcentral else {
            return Ok(None);
        };
        let body = serde_json::json!({"personId": person_id});
        match client
            .call("/artemis/api/resource/v1/person/personId/personInfo", &body)
            .await
        {
            Ok(data) => {
                let code = data
                    .get("personCode")
                    .and_then(|v| v.as_str())
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_string);
                self.store
                    .cache_person_code(person_id, code.as_deref(), now_ms)
                    .await?;
                Ok(code)
            }
            Err(ArtemisError::Api(ArtemisCode::NotFound(_))) => {
                self.store
                    .cache_person_code(person_id, None, now_ms)
                    .await?;
                Ok(None)
            }
            Err(source) => Err(DecideError::Resolve {
                person_id: person_id.to_string(),
                source,
            }),
        }
    }

    /// The employee's punches around the event (a day and a half before, an hour after).
    async fn history(
        &self,
        emp: &EmployeeId,
        ev: &AccessEvent,
    ) -> Result<Vec<PriorPunch>, DecideError> {
        let at = ev.happen_time.with_timezone(&Utc);
        let reach = TimeDelta::from_std(self.rules.toggle_max_shift)
            .unwrap_or(TimeDelta::MAX)
            .max(TimeDelta::hours(36));
        let from = at
            .checked_sub_signed(reach)
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
            .timestamp_millis();
        let to = (at + TimeDelta::hours(1)).timestamp_millis();
        let rows = self.store.punches().history(emp.as_str(), from, to).await?;
        Ok(rows
            .into_iter()
            .filter_map(|(dir, ms)| {
                Some(PriorPunch {
                    direction: dir.parse::<Direction>().ok()?,
                    at: DateTime::from_timestamp_millis(ms)?,
                })
            })
            .collect())
    }
}
