//! One `door/events` query as sent: windows of at most [`MAX_WINDOW`], door codes in groups of
//! [`MAX_DOORS_PER_CALL`], the type filter, whole-second wire times, the checkpoint value and
//! the request body (reference §5).

use super::{MAX_DOORS_PER_CALL, MAX_WINDOW};
use chrono::{DateTime, SecondsFormat, SubsecRound, TimeDelta, Utc};
use serde_json::{json, Value};

/// A time span `[start, end]` queried as one `startTime`/`endTime` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Cut `[from, to]` into consecutive windows of at most [`MAX_WINDOW`]; none when `from >= to`.
pub fn windows(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Window> {
    let mut out = Vec::new();
    let mut start = from;
    while start < to {
        let end = start
            .checked_add_signed(MAX_WINDOW)
            .map_or(to, |e| e.min(to));
        out.push(Window { start, end });
        start = end;
    }
    out
}

/// The configured door codes (trimmed, blanks and repeats dropped) in groups of at most
/// [`MAX_DOORS_PER_CALL`]; one empty group (meaning all doors) when none are configured.
pub fn door_groups(doors: &[String]) -> Vec<Vec<String>> {
    let mut codes: Vec<String> = Vec::new();
    for d in doors.iter().map(|d| d.trim()).filter(|d| !d.is_empty()) {
        if !codes.iter().any(|c| c == d) {
            codes.push(d.to_owned());
        }
    }
    if codes.is_empty() {
        return vec![Vec::new()];
    }
    codes
        .chunks(MAX_DOORS_PER_CALL)
        .map(<[String]>::to_vec)
        .collect()
}

/// A time as sent to HikCentral: `2026-01-27T11:00:00+00:00` — whole seconds with an offset,
/// the spec's "yyyy-MM-ddTHH:mm:ss+current zone" (a fraction is refused by real servers).
pub fn wire_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// `t` rounded up to the whole second (a window's end, so its last fraction is not missed).
fn ceil_to_second(t: DateTime<Utc>) -> DateTime<Utc> {
    let floor = t.trunc_subsecs(0);
    if floor == t {
        t
    } else {
        floor + TimeDelta::seconds(1)
    }
}

/// Which event types one `door/events` call asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeFilter {
    /// `eventTypes: "196893,198914,…"`: one call for every type.
    All(Vec<u32>),
    /// `eventType: 196893`.
    One(u32),
}

impl TypeFilter {
    pub(super) fn describe(&self) -> String {
        match self {
            TypeFilter::All(types) => format!("{} event types", types.len()),
            TypeFilter::One(t) => format!("eventType {t}"),
        }
    }
}

/// The checkpoint value for `t`: RFC 3339, UTC, milliseconds.
pub fn checkpoint_value(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The request body of one `door/events` call (reference §5). `doorIndexCodes` is always
/// present; `[]` means all doors.
pub fn door_events_body(
    window: &Window,
    types: &TypeFilter,
    doors: &[String],
    page_no: u64,
    page_size: u32,
) -> Value {
    let mut body = json!({
        "startTime": wire_time(window.start.trunc_subsecs(0)),
        "endTime": wire_time(ceil_to_second(window.end)),
        "doorIndexCodes": doors,
        "pageNo": page_no,
        "pageSize": page_size,
        "sortField": "SwipeTime",
        "orderType": 0,
    });
    match types {
        TypeFilter::All(list) => {
            let csv: Vec<String> = list.iter().map(u32::to_string).collect();
            body["eventTypes"] = json!(csv.join(","));
        }
        TypeFilter::One(t) => body["eventType"] = json!(t),
    }
    body
}

pub(super) fn describe_doors(doors: &[String]) -> String {
    if doors.is_empty() {
        "all doors".to_owned()
    } else {
        format!("doors {}", doors.join(","))
    }
}
