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
//! guessed. A usable event whose time is implausible is [`Parsed::OutOfWindow`] ([`TimeWindow`]):
//! stored, but kept for an operator instead of decided.

mod fields;
mod notify;
mod push;
mod raw;
mod window;

pub use notify::{parse_notify, parse_notify_limited};
pub use raw::RawEvent;
pub use window::{cap_rejected, OutsideWindow, TimeWindow, WindowSide};

use super::types::{Direction, DoorKey, EventId, PersonCode};
use chrono::{DateTime, FixedOffset};
use fields::{parse_one, uint};
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
    /// The event's JSON, for fields not lifted above: a pushed event's text exactly as it
    /// arrived (stored as is, no re-serialisation), a polled record's value.
    pub raw: RawEvent,
}

impl AccessEvent {
    /// The object holding person details: `data` on a push, the record itself on a poll.
    fn detail(&self) -> Option<&Map<String, Value>> {
        match self.source {
            EventSource::Push => self.raw.value().get("data").and_then(Value::as_object),
            EventSource::Poll => self.raw.value().as_object(),
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
    /// Well formed, but its time is outside [`TimeWindow`]: stored in the inbox as
    /// `out_of_window` (never decided until an operator admits it), never dropped.
    OutOfWindow(AccessEvent, OutsideWindow),
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
    /// Counted in a summary row instead of stored one by one (`max_rejected_stored_per_push`).
    Omitted,
}

impl RejectKind {
    /// Every kind, in a fixed order.
    pub const ALL: [RejectKind; 3] = [
        RejectKind::NotAnObject,
        RejectKind::Unusable,
        RejectKind::Omitted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RejectKind::NotAnObject => "not_an_object",
            RejectKind::Unusable => "unusable",
            RejectKind::Omitted => "omitted",
        }
    }
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
    let value = match serde_json::from_str::<&RawValue>(text) {
        Ok(raw) => raw::value_of(raw),
        Err(_) => Value::Null,
    };
    parse_one(value, source)
}

/// The HikCentral push bodies under `tests/fixtures/hikcentral-events/`, with their names.
#[cfg(test)]
pub(crate) fn fixture_bodies() -> Vec<(&'static str, String)> {
    [
        "hcp-batch-exit-card-and-denied.json",
        "hcp-granted-face-entry.json",
        "hcp-person-id-only.json",
        "isc-granted-face-entry.json",
        "isc-granted-multifactor-exit.json",
    ]
    .into_iter()
    .map(|name| {
        let path = format!(
            "{}/tests/fixtures/hikcentral-events/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        (name, std::fs::read_to_string(&path).unwrap())
    })
    .collect()
}
