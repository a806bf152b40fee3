//! Documentation-only shapes of the admin API's answers (`/admin/…`), built by the handlers
//! with `json!`; each example is a real answer.

use super::schemas::ErrorBody;
use crate::store::{Punch, StoredEvent};
use crate::workers::delivery::DeliveryStatus;
use std::collections::HashMap;
use utoipa::{IntoResponses, ToSchema};

/// `GET /admin/summary`.
#[derive(ToSchema)]
#[schema(examples(json!({"events": 12, "rejected_events": 1, "punches": {"delivered": 9, "parked": 1},
    "parked_events": 0, "out_of_window_events": 2, "unmapped_doors": 1,
    "delivery": {"running": true, "dry_run": false, "paused_reason": null, "paused_since": null}})))]
pub struct Summary {
    pub events: i64,
    pub rejected_events: i64,
    /// Punches per state.
    pub punches: HashMap<String, i64>,
    pub parked_events: i64,
    /// Events outside the time window, waiting for an operator to admit them.
    pub out_of_window_events: i64,
    pub unmapped_doors: i64,
    pub delivery: DeliveryStatus,
}

/// `GET /admin/punches`.
#[derive(ToSchema)]
pub struct PunchList {
    pub count: i64,
    pub items: Vec<Punch>,
}

/// `GET /admin/parked`: parked punches and parked events.
#[derive(ToSchema)]
pub struct Parked {
    pub punches: Vec<Punch>,
    pub events: Vec<StoredEvent>,
}

/// A punch moved to another state.
#[derive(ToSchema)]
#[schema(examples(json!({"id": 42, "state": "queued"})))]
pub struct PunchMoved {
    pub id: i64,
    /// `queued` (retry) or `discarded`.
    pub state: String,
}

/// Why a parked punch could not be retried or discarded.
#[derive(IntoResponses)]
pub enum NotParked {
    #[response(status = 400, description = "`http_error`: the id is not a number")]
    BadId(ErrorBody),
    #[response(
        status = 409,
        description = "`not_parked`: no such punch, or it is not parked"
    )]
    NotParked(ErrorBody),
}

/// An event queued for a decision: a parked one retried, or one outside the time window admitted.
#[derive(ToSchema)]
#[schema(examples(json!({"event_id": "5f0c1a2e-1111-4a3b-9c7d-000000000001", "state": "new"})))]
pub struct EventRequeued {
    pub event_id: String,
    pub state: String,
}

/// One event and the punch it became (if any).
#[derive(ToSchema)]
pub struct EventWithPunch {
    pub event: StoredEvent,
    pub punch: Option<Punch>,
}

/// An employee's local day: events → decisions → deliveries.
#[derive(ToSchema)]
pub struct Timeline {
    pub employee: String,
    pub day: String,
    /// The IANA zone of `attendance` that bounds the day.
    pub time_zone: String,
    pub timeline: Vec<TimelineRow>,
}

#[derive(ToSchema)]
pub struct TimelineRow {
    pub event_id: String,
    pub happen_time: String,
    pub door: String,
    pub event_type: i64,
    pub source: String,
    pub state: String,
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub detail: Option<String>,
    pub punch: Option<Punch>,
}

/// `GET /admin/overrides`.
#[derive(ToSchema)]
pub struct OverrideList {
    pub count: i64,
    pub items: Vec<Override>,
}

/// An employee-id override: HikCentral personCode → Humand employeeId.
#[derive(ToSchema)]
pub struct Override {
    pub person_code: String,
    pub employee_id: String,
    pub note: Option<String>,
}

/// `PUT /admin/overrides/{person_code}`.
#[derive(ToSchema)]
#[schema(examples(json!({"person_code": "1712345678", "employee_id": "43013830"})))]
pub struct OverrideSet {
    pub person_code: String,
    pub employee_id: String,
}

/// `POST /admin/overrides`.
#[derive(ToSchema)]
#[schema(examples(json!({"imported": 2})))]
pub struct Imported {
    pub imported: i64,
}

/// `POST /admin/events/redecide`.
#[derive(ToSchema)]
#[schema(examples(json!({"reason": "unmapped_door", "events": 3})))]
pub struct Redecided {
    pub reason: String,
    /// How many events are decided again.
    pub events: i64,
}

/// `GET /admin/doors/unmapped`.
#[derive(ToSchema)]
pub struct DoorList {
    pub count: i64,
    pub items: Vec<UnmappedDoor>,
}

/// A door that events came from but `attendance.doors` does not map.
#[derive(ToSchema)]
#[schema(examples(json!({"door_index": "11", "door_name": "Facial Entrada", "events": 4,
    "map_with": "attendance.doors = [\"code:11=entry\"]  (or exit | toggle | ignore)"})))]
pub struct UnmappedDoor {
    pub door_index: String,
    pub door_name: String,
    pub events: i64,
    /// The setting that maps it.
    pub map_with: String,
}

/// `GET /admin/rejected`: `total` counts every kept row, `count` those in `items`.
#[derive(ToSchema)]
pub struct RejectedList {
    pub total: i64,
    pub count: i64,
    pub items: Vec<Rejected>,
}

#[derive(ToSchema)]
#[schema(examples(json!({"event_id": null, "source": "push",
    "reason": "missing eventId; missing eventType", "received_at_ms": 1769511841000_i64,
    "received_at": "2026-01-27T11:04:01+00:00", "raw": "{\"srcName\":\"Facial Entrada\"}"})))]
pub struct Rejected {
    pub event_id: Option<String>,
    /// `push` or `poll`.
    pub source: String,
    pub reason: String,
    pub received_at_ms: i64,
    /// RFC 3339.
    pub received_at: Option<String>,
    /// The event as received.
    pub raw: String,
}

/// `GET /admin/out-of-window`: `total` counts every event waiting, `count` those in `items`.
#[derive(ToSchema)]
pub struct OutOfWindowList {
    pub total: i64,
    pub count: i64,
    /// State `out_of_window`; `reason` `too_old` or `too_far_ahead`, `detail` the sentence.
    pub items: Vec<StoredEvent>,
}

/// `POST /admin/events/admit`.
#[derive(ToSchema)]
#[schema(examples(json!({"from": "2026-10-01T00:00:00-05:00", "to": "2026-11-01T00:00:00-05:00",
    "events": 50})))]
pub struct Admitted {
    pub from: String,
    pub to: String,
    /// How many events became `new`.
    pub events: i64,
}
