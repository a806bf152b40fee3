//! The access-event log: events are kept in the push shape (`OnEventNotify`), served as door
//! records by `acs/v1/door/events` with HikCentral's limits, and pushed to subscribers.

mod query;
#[cfg(test)]
mod tests;

use super::persons::Persons;
use super::wire::{as_i64, as_string, code, page_of, ApiError, ApiResult, Params};
use super::HikSim;
use chrono::{DateTime, FixedOffset};
use query::{required_time, DoorQuery};
use serde_json::{json, Map, Value};

/// Most `doorIndexCodes` in one query.
const MAX_DOORS: usize = 10;

#[derive(Debug, Default)]
pub(crate) struct EventLog(Vec<Value>);

impl EventLog {
    /// Fill in what a real push always carries, store it, and return the stored event.
    pub fn record(&mut self, event: Value) -> Value {
        let event = normalise(event);
        self.0.push(event.clone());
        event
    }

    pub fn all(&self) -> Vec<Value> {
        self.0.clone()
    }
}

/// Now, as HikCentral writes times: ISO-8601 with the local offset, whole seconds.
fn now_iso() -> String {
    chrono::Local::now()
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Defaults for missing push fields; given fields are kept untouched.
pub(crate) fn normalise(event: Value) -> Value {
    let mut ev = match event {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let defaults = [
        ("eventId", json!(uuid::Uuid::new_v4().to_string())),
        ("happenTime", json!(now_iso())),
        ("srcIndex", json!("1")),
        ("srcName", json!("Door 1")),
        ("srcType", json!("door")),
        ("srcParentIndex", json!("1")),
        ("status", json!(0)),
        ("timeout", json!(0)),
        ("data", json!({})),
        // When the platform received it (a device that was offline uploads old events late).
        ("receivedAt", json!(now_iso())),
    ];
    for (key, value) in defaults {
        ev.entry(key).or_insert(value);
    }
    Value::Object(ev)
}

fn happen_time(ev: &Value) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(ev.get("happenTime")?.as_str()?).ok()
}

/// The `acs/v1/door/events` record for a stored event: no personCode; personName from the
/// person store when the person is known.
pub(crate) fn door_record(ev: &Value, persons: &Persons) -> Value {
    let empty = json!({});
    let data = ev.get("data").unwrap_or(&empty);
    let d = |k: &str| data.get(k).and_then(as_string).unwrap_or_default();
    let person = persons.by_id(&d("personId")).or_else(|| {
        Some(d("personCode"))
            .filter(|c| !c.is_empty())
            .and_then(|c| persons.by_code(&c))
    });
    let person_id = Some(d("personId"))
        .filter(|id| !id.is_empty())
        .or_else(|| person.map(|p| p.id_text.clone()))
        .unwrap_or_default();
    let person_name = person.map(|p| p.name()).unwrap_or_else(|| d("personName"));
    let s = |k: &str| ev.get(k).and_then(as_string).unwrap_or_default();
    let happen = s("happenTime");
    let device_time = Some(d("deviceTime"))
        .filter(|t| !t.is_empty())
        .unwrap_or(happen.clone());
    let mut record = json!({
        "eventId": s("eventId"),
        "eventType": ev.get("eventType").cloned().unwrap_or(Value::Null),
        "eventTime": happen,
        "deviceTime": device_time,
        "personId": person_id,
        "personName": person_name,
        "doorName": s("srcName"),
        "doorIndexCode": s("srcIndex"),
        "cardNo": d("cardNo"),
        "checkInAndOutType": data.get("checkInAndOutType").and_then(as_i64).unwrap_or(0),
        "picUri": d("picUri"),
        "readerIndexCode": d("readerIndexCode"),
        "readerName": d("readerName"),
    });
    for k in ["temperatureData", "temperatureStatus", "wearMaskStatus"] {
        if let Some(v) = data.get(k) {
            record[k] = v.clone();
        }
    }
    record
}

pub(crate) fn door_events(sim: &HikSim, p: &Params) -> ApiResult {
    let query = DoorQuery::parse(p)?;
    let store = sim.store();
    let records = query.run(&store.events, &store.persons);
    Ok(page_of(records, query.page_no, query.page_size))
}

/// `acs/v2/door/events` by receive time (`receiveStartTime`/`receiveEndTime`, an `eventTypes`
/// array, ≤ 10 doors), as an iSecure Center SDK models it. Off by default: HikCentral
/// Professional's catalogue has no v2, and then the answer is code 12.
pub(crate) fn door_events_v2(sim: &HikSim, p: &Params) -> ApiResult {
    if !sim.cfg().door_events_v2 {
        return Err(ApiError::new(code::NOT_SUPPORTED, "URL not supported"));
    }
    let start = required_time(p, "receiveStartTime")?;
    let end = required_time(p, "receiveEndTime")?;
    let types: Vec<i64> = match p.get("eventTypes") {
        None => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|t| as_i64(t).ok_or_else(|| ApiError::bad("eventTypes must be integers")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(ApiError::bad("eventTypes must be a list of integers")),
    };
    let doors: Vec<String> = match p.get("doorIndexCodes") {
        None => Vec::new(),
        Some(Value::Array(a)) => a.iter().filter_map(as_string).collect(),
        Some(_) => return Err(ApiError::bad("doorIndexCodes must be a list")),
    };
    if doors.len() > MAX_DOORS {
        return Err(ApiError::new(
            code::OUT_OF_RANGE,
            "at most 10 doorIndexCodes",
        ));
    }
    let (page_no, page_size) = p.page()?;
    let store = sim.store();
    let received = |ev: &Value| {
        ev.get("receivedAt")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
    };
    let records: Vec<Value> = store
        .events
        .0
        .iter()
        .filter(|ev| received(ev).is_some_and(|t| t >= start && t <= end))
        .filter(|ev| {
            types.is_empty()
                || ev
                    .get("eventType")
                    .and_then(as_i64)
                    .is_some_and(|t| types.contains(&t))
        })
        .filter(|ev| {
            doors.is_empty()
                || ev
                    .get("srcIndex")
                    .and_then(as_string)
                    .is_some_and(|d| doors.contains(&d))
        })
        .map(|ev| door_record(ev, &store.persons))
        .collect();
    Ok(page_of(records, page_no, page_size))
}

/// POST one `OnEventNotify` batch per destination, concurrently. Errors omit the URL (it
/// usually carries the receiver's secret).
pub(crate) async fn push(
    http: &reqwest::Client,
    batches: Vec<(String, Vec<Value>)>,
) -> Vec<(String, Result<u16, String>)> {
    let send_time = now_iso();
    let posts = batches.into_iter().map(|(dest, events)| {
        let body = json!({
            "method": "OnEventNotify",
            "params": { "ability": "event_acs", "sendTime": send_time, "events": events },
        });
        async move {
            let result = http
                .post(&dest)
                .json(&body)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .map_err(|e| e.without_url().to_string());
            (dest, result)
        }
    });
    futures::future::join_all(posts).await
}
