//! One event object → [`Parsed`]: the field names of a push and of a polled record, scalars
//! read as trimmed text or integers, and the strict `eventId`, `eventType` and time (with a UTC
//! offset) checks that make an event accepted or rejected with every reason.

use super::push::Scalar;
use super::{AccessEvent, EventSource, Parsed, RawEvent, RejectKind};
use crate::attendance::types::{Direction, DoorKey, EventId, PersonCode};
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde_json::{Map, Value};

pub(super) fn kind(v: &Value) -> &'static str {
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

pub(super) fn parse_one(raw: Value, source: EventSource) -> Parsed {
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
        raw: RawEvent::from_value(raw),
    })
}

/// A scalar as trimmed text: strings and numbers; empty, `null` and structures are absent.
fn text(v: Option<&Value>) -> Option<String> {
    Scalar::of(v).text()
}

/// A non-negative integer, sent as a number or as a string of digits.
pub(super) fn uint(v: Option<&Value>) -> Option<u64> {
    Scalar::of(v).uint()
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
pub(super) fn parse_time(key: &str, s: &str) -> Result<DateTime<FixedOffset>, String> {
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
