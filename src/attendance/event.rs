//! Access events from HikCentral: the `OnEventNotify` push body and polled
//! `acs/v1/door/events` records, parsed tolerantly of shape and strictly of meaning.
//!
//! Shape tolerance (reference §4): numbers may arrive as strings and strings as numbers, unknown
//! fields are ignored, `data` may be missing, `null` or sparse, and both the HikCentral
//! Professional (`personId`, `personCode`, `cardNo`, `checkInAndOutType`) and the iSecure Center
//! (`ExtEventPersonNo`, `ExtEventCardNo`, `ExtEventInOut`, `ExtEventDoorID`, ...) `data` variants
//! are read. Text values are trimmed and an empty string means "absent".
//!
//! Strict meaning: an event without a usable `eventId`, event type or time is
//! [`Parsed::Rejected`] with every reason found, never silently dropped. A time must carry a UTC
//! offset: a bare local time such as `2026-01-27T08:04:00` is ambiguous (the device, the
//! HikCentral server and this service may sit in different zones), so it is rejected rather than
//! guessed.

use super::types::{Direction, DoorKey, EventId, PersonCode};
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The whole body is unusable; nothing in it can be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Not JSON at all. The message carries serde_json's line and column.
    #[error("the body is not valid JSON: {0}")]
    Json(String),
    /// JSON, but no list of events where HikCentral puts one. Says what was found instead.
    #[error(
        "the body has no events list: expected an OnEventNotify body with `params.events` \
         (an array), but found {0}"
    )]
    NoEvents(String),
    /// More events in one push than `events.max_events_per_push`.
    #[error(
        "the push carries {count} events; at most {max} are accepted in one push \
         (events.max_events_per_push). Nothing was stored: the back-fill poller reads them"
    )]
    TooMany { count: usize, max: usize },
}

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventSource {
    /// Pushed by HikCentral to the `OnEventNotify` callback.
    Push,
    /// Back-filled from `acs/v1/door/events`.
    Poll,
}

impl EventSource {
    /// `"push"` / `"poll"`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventSource::Push => "push",
            EventSource::Poll => "poll",
        }
    }
}

/// One access event whose meaning is usable: it has an id, a type and an unambiguous time.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessEvent {
    pub event_id: EventId,
    pub event_type: u32,
    /// The time as HikCentral sent it, offset included.
    pub happen_time: DateTime<FixedOffset>,
    /// `srcIndex`/`srcName` on a push, `doorIndexCode`/`doorName` on a polled record.
    pub door: DoorKey,
    /// HikCentral Professional `personCode`; absent when empty or `"0"`.
    pub person_code: Option<PersonCode>,
    /// HikCentral `personId`: resolve it to a person code through the Artemis API.
    pub person_id: Option<String>,
    /// iSecure Center `ExtEventPersonNo`; `"0"` (its "no person" value) is absent.
    pub isc_person_no: Option<String>,
    /// `cardNo`, else iSecure Center `ExtEventCardNo`. Face events usually have none.
    pub card_no: Option<String>,
    /// iSecure Center `ExtEventInOut` (1 entry, 0 exit); any other value is absent. Only used
    /// when the rules are configured to trust it.
    pub isc_in_out: Option<Direction>,
    pub source: EventSource,
    /// The event as a JSON value, for fields not lifted above.
    pub raw: Value,
    /// The event's text exactly as it arrived in a push, stored as is (no re-serialisation);
    /// `None` for polled records, stored from `raw`.
    pub raw_text: Option<Box<str>>,
}

impl AccessEvent {
    /// The object holding person details: `data` on a push, the record itself on a poll.
    fn detail(&self) -> Option<&Map<String, Value>> {
        match self.source {
            EventSource::Push => self.raw.get("data").and_then(Value::as_object),
            EventSource::Poll => self.raw.as_object(),
        }
    }

    /// iSecure Center `ExtEventDoorID` (kept in `raw`, read on demand).
    pub fn isc_door_id(&self) -> Option<u64> {
        self.detail().and_then(|d| uint(d.get("ExtEventDoorID")))
    }

    /// iSecure Center `ExtEventReaderID`.
    pub fn isc_reader_id(&self) -> Option<u64> {
        self.detail().and_then(|d| uint(d.get("ExtEventReaderID")))
    }

    /// iSecure Center `ExtEventCode`: the event type as the device reported it. Informational;
    /// the top-level `eventType` is the one the rules use.
    pub fn isc_event_code(&self) -> Option<u64> {
        self.detail().and_then(|d| uint(d.get("ExtEventCode")))
    }

    /// HikCentral Professional `checkInAndOutType` (0 unknown, 1 check-in, 2 check-out, ...):
    /// an attendance status set on the device, not the reader direction, so the rules ignore it.
    pub fn check_in_and_out_type(&self) -> Option<u64> {
        self.detail().and_then(|d| uint(d.get("checkInAndOutType")))
    }
}

/// The outcome for one event of a body or one polled record.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Accepted(AccessEvent),
    /// Kept with the reason so an operator sees it. `event_id` is set when the id was usable.
    Rejected {
        event_id: Option<String>,
        reason: String,
        kind: RejectKind,
        raw: Value,
    },
}

/// Why an event was rejected, as a fixed set (a metric label; `reason` has the details).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectKind {
    /// Not a JSON object.
    NotAnObject,
    /// A required field (id, type, time) is missing or unusable.
    Unusable,
    /// The event time is outside `events.accept_past_hours` / `accept_future_secs`.
    OutsideTimeWindow,
    /// Counted in a summary row instead of stored one by one (`max_rejected_stored_per_push`).
    Omitted,
}

impl RejectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectKind::NotAnObject => "not_an_object",
            RejectKind::Unusable => "unusable",
            RejectKind::OutsideTimeWindow => "outside_time_window",
            RejectKind::Omitted => "omitted",
        }
    }
}

/// Parse an `OnEventNotify` body into one [`Parsed`] per event, in body order.
///
/// The events list is taken from `params.events` (HikCentral's shape). For robustness against
/// proxies and hand-written tests, a top-level `events` array or a bare array of events is also
/// accepted. `method` is not checked: only the events matter. `params.events: []` is a valid,
/// empty notification.
pub fn parse_notify(body: &[u8]) -> Result<Vec<Parsed>, PayloadError> {
    parse_notify_limited(body, usize::MAX)
}

/// [`parse_notify`] that refuses a body with more than `max_events` events before parsing any of
/// them (the events list is first split into raw slices, which costs a few bytes per item).
///
/// A numeric `eventId` is kept as the exact digits it arrived as (and stored as a string), so
/// ids beyond 64 bits never collapse into one.
pub fn parse_notify_limited(body: &[u8], max_events: usize) -> Result<Vec<Parsed>, PayloadError> {
    let root: &RawValue =
        serde_json::from_slice(body).map_err(|e| PayloadError::Json(e.to_string()))?;
    let Some(list) = events_slice(root) else {
        let root: Value =
            serde_json::from_str(root.get()).map_err(|e| PayloadError::Json(e.to_string()))?;
        return Err(PayloadError::NoEvents(describe(&root)));
    };
    if list.len() > max_events {
        return Err(PayloadError::TooMany {
            count: list.len(),
            max: max_events,
        });
    }
    Ok(list
        .into_iter()
        .map(|raw| {
            let mut value: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
            keep_exact_numeric_id(raw, &mut value);
            let mut parsed = parse_one(value, EventSource::Push);
            if let Parsed::Accepted(ev) = &mut parsed {
                ev.raw_text = Some(raw.get().into());
            }
            parsed
        })
        .collect())
}

/// The raw items of the events list (`params.events`, a top-level `events`, or a bare array).
fn events_slice(root: &RawValue) -> Option<Vec<&RawValue>> {
    #[derive(serde::Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow, default)]
        params: Option<&'a RawValue>,
        #[serde(borrow, default)]
        events: Option<&'a RawValue>,
    }
    fn array(raw: &RawValue) -> Option<Vec<&RawValue>> {
        serde_json::from_str(raw.get()).ok()
    }
    let text = root.get().trim_start();
    if text.starts_with('[') {
        return array(root);
    }
    let env: Envelope<'_> = serde_json::from_str(root.get()).ok()?;
    if let Some(params) = env.params {
        if let Ok(Envelope {
            events: Some(ev), ..
        }) = serde_json::from_str::<Envelope<'_>>(params.get())
        {
            if let Some(list) = array(ev) {
                return Some(list);
            }
        }
    }
    env.events.and_then(array)
}

/// Replace a numeric `eventId` by its exact text: `serde_json` turns numbers beyond 64 bits into
/// floats, and two different ids would then read alike.
fn keep_exact_numeric_id(raw: &RawValue, value: &mut Value) {
    #[derive(serde::Deserialize)]
    struct Id<'a> {
        #[serde(rename = "eventId", borrow, default)]
        event_id: Option<&'a RawValue>,
    }
    let Some(obj) = value.as_object_mut() else {
        return;
    };
    if !matches!(obj.get("eventId"), Some(Value::Number(_))) {
        return;
    }
    if let Ok(Id { event_id: Some(id) }) = serde_json::from_str::<Id<'_>>(raw.get()) {
        obj.insert(
            "eventId".to_owned(),
            Value::String(id.get().trim().to_owned()),
        );
    }
}

/// The event times the service believes: older events (a device whose clock reset to the year
/// one) and events far in the future (a clock in the year 9999) are rejected with a reason
/// instead of becoming punches or waiting forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    pub max_past: std::time::Duration,
    pub max_future: std::time::Duration,
}

impl TimeWindow {
    /// Turn every accepted event outside the window around `now` into a rejected one.
    pub fn apply(&self, items: Vec<Parsed>, now: DateTime<chrono::Utc>) -> Vec<Parsed> {
        let past = chrono::TimeDelta::from_std(self.max_past).unwrap_or(chrono::TimeDelta::MAX);
        let future = chrono::TimeDelta::from_std(self.max_future).unwrap_or(chrono::TimeDelta::MAX);
        let earliest = now
            .checked_sub_signed(past)
            .unwrap_or(DateTime::<chrono::Utc>::MIN_UTC);
        let latest = now
            .checked_add_signed(future)
            .unwrap_or(DateTime::<chrono::Utc>::MAX_UTC);
        items
            .into_iter()
            .map(|item| match item {
                Parsed::Accepted(ev) if ev.happen_time < earliest || ev.happen_time > latest => {
                    let reason = if ev.happen_time < earliest {
                        format!(
                            "the event time {} is more than {} hours in the past \
                             (events.accept_past_hours): too old to clock anyone",
                            ev.happen_time.to_rfc3339(),
                            past.num_hours()
                        )
                    } else {
                        format!(
                            "the event time {} is more than {} s in the future \
                             (events.accept_future_secs): a device clock is wrong",
                            ev.happen_time.to_rfc3339(),
                            future.num_seconds()
                        )
                    };
                    Parsed::Rejected {
                        event_id: Some(ev.event_id.as_str().to_owned()),
                        reason,
                        kind: RejectKind::OutsideTimeWindow,
                        raw: ev.raw,
                    }
                }
                other => other,
            })
            .collect()
    }
}

/// Keep at most `max` rejected items of one push; the rest are replaced by one summary row that
/// counts them, so a push of junk cannot write one row per item.
pub fn cap_rejected(items: Vec<Parsed>, max: usize) -> Vec<Parsed> {
    let mut kept = 0usize;
    let mut dropped = 0usize;
    let mut out: Vec<Parsed> = items
        .into_iter()
        .filter(|item| match item {
            Parsed::Rejected { .. } if kept >= max => {
                dropped += 1;
                false
            }
            Parsed::Rejected { .. } => {
                kept += 1;
                true
            }
            Parsed::Accepted(_) => true,
        })
        .collect();
    if dropped > 0 {
        out.push(Parsed::Rejected {
            event_id: None,
            reason: format!(
                "{dropped} more unusable items of this push were counted, not stored one by \
                 one (events.max_rejected_stored_per_push = {max})"
            ),
            kind: RejectKind::Omitted,
            raw: serde_json::json!({"omitted_items": dropped}),
        });
    }
    out
}

/// Parse one record of `acs/v1/door/events` (reference §5) as a [`EventSource::Poll`] event.
///
/// The time is `eventTime`; `deviceTime` is used only when `eventTime` is absent. The door is
/// `doorIndexCode`/`doorName`. Polled records carry no `personCode` (resolve `personId`), but
/// one is read if a HikCentral version sends it.
pub fn parse_door_record(record: &Value) -> Parsed {
    parse_one(record.clone(), EventSource::Poll)
}

/// Parse one event as stored in the inbox (its raw text), for the source it came from. A
/// numeric `eventId` keeps its exact digits, as at ingest.
pub fn parse_stored(text: &str, source: EventSource) -> Parsed {
    let mut value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    if let Ok(raw) = serde_json::from_str::<&RawValue>(text) {
        keep_exact_numeric_id(raw, &mut value);
    }
    parse_one(value, source)
}

/// What a body without an events list looks like, for the 400 answer.
fn describe(root: &Value) -> String {
    let Some(obj) = root.as_object() else {
        return kind(root).to_owned();
    };
    match obj.get("params") {
        Some(Value::Object(p)) => match p.get("events") {
            Some(ev) => format!("`params.events` as {}", kind(ev)),
            None => format!("`params` without `events` (keys: {})", keys(p)),
        },
        Some(other) => format!("`params` as {}", kind(other)),
        None => match obj.get("events") {
            Some(ev) => format!("`events` as {}", kind(ev)),
            None => format!("an object without `params` (keys: {})", keys(obj)),
        },
    }
}

fn keys(obj: &Map<String, Value>) -> String {
    if obj.is_empty() {
        return "none".to_owned();
    }
    let mut names: Vec<&str> = obj.keys().take(10).map(String::as_str).collect();
    if obj.len() > 10 {
        names.push("...");
    }
    names.join(", ")
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Field names that differ between a push event and a polled record.
struct Keys {
    time: &'static str,
    time_fallback: Option<&'static str>,
    door_index: &'static str,
    door_name: &'static str,
}

impl Keys {
    fn of(source: EventSource) -> Self {
        match source {
            EventSource::Push => Keys {
                time: "happenTime",
                time_fallback: None,
                door_index: "srcIndex",
                door_name: "srcName",
            },
            EventSource::Poll => Keys {
                time: "eventTime",
                time_fallback: Some("deviceTime"),
                door_index: "doorIndexCode",
                door_name: "doorName",
            },
        }
    }
}

fn parse_one(raw: Value, source: EventSource) -> Parsed {
    let Some(obj) = raw.as_object() else {
        let reason = format!("the event is {}, not a JSON object", kind(&raw));
        return Parsed::Rejected {
            event_id: None,
            reason,
            kind: RejectKind::NotAnObject,
            raw,
        };
    };
    let keys = Keys::of(source);
    let id = event_id(obj);
    let ty = event_type(obj);
    let time = match (obj.get(keys.time), keys.time_fallback) {
        (None | Some(Value::Null), Some(fallback)) if obj.contains_key(fallback) => {
            time_field(obj, fallback)
        }
        _ => time_field(obj, keys.time),
    };
    let (event_id, event_type, happen_time) = match (id, ty, time) {
        (Ok(i), Ok(t), Ok(h)) => (i, t, h),
        (id, ty, time) => {
            let event_id = id.as_ref().ok().map(|i| i.as_str().to_owned());
            let reasons: Vec<String> = [id.err(), ty.err(), time.err()]
                .into_iter()
                .flatten()
                .collect();
            return Parsed::Rejected {
                event_id,
                reason: reasons.join("; "),
                kind: RejectKind::Unusable,
                raw,
            };
        }
    };
    let door = DoorKey {
        index_code: text(obj.get(keys.door_index)).unwrap_or_default(),
        name: text(obj.get(keys.door_name)).unwrap_or_default(),
    };
    let empty = Map::new();
    let detail = match source {
        EventSource::Push => obj.get("data").and_then(Value::as_object).unwrap_or(&empty),
        EventSource::Poll => obj,
    };
    let person_code = text(detail.get("personCode")).and_then(|s| PersonCode::parse(&s));
    let person_id = text(detail.get("personId"));
    let isc_person_no = text(detail.get("ExtEventPersonNo")).filter(|s| s != "0");
    let card_no = text(detail.get("cardNo")).or_else(|| text(detail.get("ExtEventCardNo")));
    let isc_in_out = match uint(detail.get("ExtEventInOut")) {
        Some(1) => Some(Direction::Entry),
        Some(0) => Some(Direction::Exit),
        _ => None,
    };
    Parsed::Accepted(AccessEvent {
        event_id,
        event_type,
        happen_time,
        door,
        person_code,
        person_id,
        isc_person_no,
        card_no,
        isc_in_out,
        source,
        raw,
        raw_text: None,
    })
}

/// A scalar as trimmed text: strings and numbers; empty, `null` and structures are absent.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_owned())
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A non-negative integer, sent as a number or as a string of digits.
fn uint(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn event_id(obj: &Map<String, Value>) -> Result<EventId, String> {
    match obj.get("eventId") {
        None | Some(Value::Null) => Err("missing eventId".to_owned()),
        Some(v @ (Value::String(_) | Value::Number(_))) => text(Some(v))
            .and_then(|s| EventId::parse(&s))
            .ok_or_else(|| "eventId is empty".to_owned()),
        Some(other) => Err(format!("eventId is {}, not a string", kind(other))),
    }
}

fn event_type(obj: &Map<String, Value>) -> Result<u32, String> {
    let v = match obj.get("eventType") {
        None | Some(Value::Null) => return Err("missing eventType".to_owned()),
        Some(Value::String(s)) if s.trim().is_empty() => {
            return Err("eventType is empty".to_owned())
        }
        Some(v) => v,
    };
    uint(Some(v))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("eventType {v} is not an event type code (a non-negative integer)"))
}

fn time_field(obj: &Map<String, Value>, key: &str) -> Result<DateTime<FixedOffset>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Err(format!("missing {key}")),
        Some(Value::String(s)) if s.trim().is_empty() => Err(format!("{key} is empty")),
        Some(Value::String(s)) => parse_time(key, s.trim()),
        Some(other) => Err(format!(
            "{key} is {}, not an RFC 3339 date-time string",
            kind(other)
        )),
    }
}

/// RFC 3339 with offset, fractional seconds optional (`2020-12-17T15:55:03.000+08:00`). An
/// offset without a colon (`+0800`) is also accepted. A time without an offset is rejected as
/// ambiguous, with a reason that says so.
fn parse_time(key: &str, s: &str) -> Result<DateTime<FixedOffset>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t);
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Ok(t);
    }
    let local = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .any(|f| NaiveDateTime::parse_from_str(s, f).is_ok());
    if local {
        Err(format!(
            "{key} {s:?} has no UTC offset: a local time is ambiguous (send e.g. \
             2026-01-27T08:04:00-03:00)"
        ))
    } else {
        Err(format!(
            "{key} {s:?} is not an RFC 3339 date-time with offset (e.g. \
             2026-01-27T08:04:00-03:00)"
        ))
    }
}
