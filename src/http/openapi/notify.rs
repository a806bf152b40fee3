//! Documentation-only shape of HikCentral's `OnEventNotify` push (see
//! `tests/fixtures/hikcentral-events/`) and of the receiver's answer. The receiver is tolerant of
//! shape: numbers may arrive as strings, unknown fields are kept in `raw`, `data` may be sparse.

use super::schemas::StringOrInteger;
use utoipa::ToSchema;

/// What HikCentral (or iSecure Center) pushes to `eventDest`. `params.events` is read; a
/// top-level `events` array or a bare array of events is accepted too. An event that cannot be
/// used (no `eventId`, `eventType` or `happenTime`) is kept as rejected
/// (`GET /admin/rejected`) and does not fail the push.
#[derive(ToSchema)]
#[schema(examples(json!({
    "method": "OnEventNotify",
    "params": {
        "ability": "event_acs",
        "events": [{
            "eventId": "5f0c1a2e-1111-4a3b-9c7d-000000000001",
            "eventType": 196893,
            "happenTime": "2026-01-27T08:04:00-03:00",
            "srcIndex": "11", "srcName": "Facial Entrada", "srcType": "door",
            "srcParentIndex": "1", "status": 0, "timeout": 0,
            "data": {"personId": "187", "personCode": "1712345678", "cardNo": "",
                     "checkInAndOutType": 1}
        }],
        "sendTime": "2026-01-27T08:04:01-03:00"
    }
})))]
pub struct OnEventNotify {
    /// `OnEventNotify`.
    pub method: Option<String>,
    pub params: NotifyParams,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct NotifyParams {
    /// `event_acs` for access control.
    pub ability: Option<String>,
    /// At most `events.max_events_per_push` (more answer 413 `too_many_events`).
    pub events: Vec<NotifyEvent>,
    /// RFC 3339.
    pub send_time: Option<String>,
}

/// One access event.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct NotifyEvent {
    /// The event's id (a string, or a number kept as its exact digits).
    pub event_id: StringOrInteger,
    /// HikCentral's event type code, e.g. 196893 (face authenticated), 197151 (denied).
    pub event_type: StringOrInteger,
    /// RFC 3339 with offset; outside `events.accept_past_hours`/`accept_future_secs` the
    /// event is rejected.
    pub happen_time: String,
    /// The door's index code (mapped with `attendance.doors = ["code:<srcIndex>=entry"]`).
    pub src_index: Option<StringOrInteger>,
    /// The door's name.
    pub src_name: Option<String>,
    pub src_type: Option<String>,
    pub src_parent_index: Option<String>,
    pub event_type_name: Option<String>,
    pub status: Option<i64>,
    pub timeout: Option<i64>,
    pub data: Option<NotifyEventData>,
}

/// Who and how; any other fields are accepted (and kept in the stored event's `raw`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct NotifyEventData {
    /// HikCentral's personId; without a personCode the person is looked up through Artemis.
    pub person_id: Option<StringOrInteger>,
    /// The person's code (the SIAD CI).
    pub person_code: Option<StringOrInteger>,
    pub card_no: Option<StringOrInteger>,
    pub check_in_and_out_type: Option<i64>,
    /// iSecure Center: the person number (`"0"` = none).
    #[schema(rename = "ExtEventPersonNo")]
    pub ext_event_person_no: Option<StringOrInteger>,
    /// iSecure Center: the card number.
    #[schema(rename = "ExtEventCardNo")]
    pub ext_event_card_no: Option<StringOrInteger>,
    /// iSecure Center: 1 entry, 0 exit.
    #[schema(rename = "ExtEventInOut")]
    pub ext_event_in_out: Option<StringOrInteger>,
}

/// The receiver's answer once every event of the push is committed.
#[derive(ToSchema)]
#[schema(examples(json!({"code": "0", "msg": "OK"})))]
pub struct NotifyAck {
    /// `"0"`.
    pub code: String,
    /// `OK`.
    pub msg: String,
}
