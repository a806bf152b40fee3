//! The access-event log: events are kept in the push shape (`OnEventNotify`), served as door
//! records by `acs/v1/door/events` with HikCentral's limits, and pushed to subscribers.

use super::persons::Persons;
use super::wire::{as_i64, as_string, code, page_of, ApiError, ApiResult, Params};
use super::HikSim;
use chrono::{DateTime, FixedOffset};
use serde_json::{json, Map, Value};

/// Longest `endTime - startTime` a door-event query may span.
const MAX_SPAN_DAYS: i64 = 31;
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

/// A validated `acs/v1/door/events` request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DoorQuery {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// `eventType`, or the types of `eventTypes` (empty: any type).
    pub event_types: Vec<i64>,
    pub person_name: Option<String>,
    pub doors: Vec<String>,
    pub page_no: u64,
    pub page_size: u64,
    pub descending: bool,
}

/// The spec's only format: "yyyy-MM-ddTHH:mm:ss+current zone" (2018-07-26T15:00:00+08:00) —
/// whole seconds and a ±hh:mm offset. A fraction or a bare `Z` is refused, as real servers do.
fn required_time(p: &Params, key: &str) -> Result<DateTime<FixedOffset>, ApiError> {
    let s = p.req_str(key, code::MISSING)?;
    let shaped = s.len() == 25
        && s.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 | 22 => c == ':',
            19 => c == '+' || c == '-',
            _ => c.is_ascii_digit(),
        });
    let parsed = DateTime::parse_from_rfc3339(&s).ok().filter(|_| shaped);
    parsed.ok_or_else(|| {
        ApiError::new(
            code::BAD_FORMAT,
            format!(
                "{key} {s:?} is not yyyy-MM-ddTHH:mm:ss+hh:mm (e.g. 2018-07-26T15:00:00+08:00)"
            ),
        )
    })
}

impl DoorQuery {
    pub fn parse(p: &Params) -> Result<Self, ApiError> {
        let start = required_time(p, "startTime")?;
        let end = required_time(p, "endTime")?;
        let span = end.signed_duration_since(start);
        if span < chrono::Duration::zero() || span > chrono::Duration::days(MAX_SPAN_DAYS) {
            return Err(ApiError::new(
                code::OUT_OF_RANGE,
                format!("endTime must be after startTime and at most {MAX_SPAN_DAYS} days later"),
            ));
        }
        let event_type = p.opt_int("eventType")?;
        let listed = p.opt_str("eventTypes")?;
        let person_name = p.opt_str("personName")?;
        let event_types = match (event_type, listed) {
            (Some(_), Some(_)) => {
                return Err(ApiError::new(
                    code::BAD_FORMAT,
                    "eventType and eventTypes are mutually exclusive",
                ))
            }
            (Some(t), None) => vec![t],
            (None, Some(csv)) => csv
                .split(',')
                .map(|t| {
                    t.trim().parse::<i64>().map_err(|_| {
                        ApiError::new(
                            code::BAD_FORMAT,
                            format!("eventTypes {csv:?} is not a comma-separated list of codes"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            (None, None) => Vec::new(),
        };
        if event_types.is_empty() && person_name.is_none() {
            return Err(ApiError::new(
                code::MISSING,
                "eventType, eventTypes or personName is required",
            ));
        }
        let doors = match p.get("doorIndexCodes") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|d| {
                    as_string(d).ok_or_else(|| {
                        ApiError::new(code::BAD_FORMAT, "doorIndexCodes must be strings")
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(ApiError::new(
                    code::BAD_FORMAT,
                    "doorIndexCodes must be a list",
                ))
            }
        };
        if doors.len() > MAX_DOORS {
            return Err(ApiError::new(
                code::OUT_OF_RANGE,
                format!(
                    "at most {MAX_DOORS} doorIndexCodes per call, got {}",
                    doors.len()
                ),
            ));
        }
        if let Some(field) = p.opt_str("sortField")? {
            if field != "SwipeTime" {
                return Err(ApiError::new(
                    code::BAD_FORMAT,
                    "sortField must be SwipeTime",
                ));
            }
        }
        let descending = match p.opt_int("orderType")? {
            None | Some(0) => false,
            Some(1) => true,
            Some(n) => {
                return Err(ApiError::new(
                    code::OUT_OF_RANGE,
                    format!("orderType must be 0 (ascending) or 1 (descending), got {n}"),
                ))
            }
        };
        let (page_no, page_size) = p.page()?;
        Ok(Self {
            start,
            end,
            event_types,
            person_name: person_name.map(|n| n.to_lowercase()),
            doors,
            page_no,
            page_size,
            descending,
        })
    }

    /// The matching records, sorted by event time (stable for equal times).
    pub fn run(&self, log: &EventLog, persons: &Persons) -> Vec<Value> {
        let mut hits: Vec<(DateTime<FixedOffset>, Value)> = log
            .0
            .iter()
            .filter_map(|ev| Some((happen_time(ev)?, ev)))
            .filter(|(t, _)| *t >= self.start && *t <= self.end)
            .filter(|(_, ev)| {
                self.event_types.is_empty()
                    || ev
                        .get("eventType")
                        .and_then(as_i64)
                        .is_some_and(|t| self.event_types.contains(&t))
            })
            .filter(|(_, ev)| {
                self.doors.is_empty()
                    || ev
                        .get("srcIndex")
                        .and_then(as_string)
                        .is_some_and(|door| self.doors.contains(&door))
            })
            .map(|(t, ev)| (t, door_record(ev, persons)))
            .filter(|(_, rec)| {
                self.person_name.as_deref().is_none_or(|n| {
                    rec["personName"]
                        .as_str()
                        .is_some_and(|name| name.to_lowercase().contains(n))
                })
            })
            .collect();
        if self.descending {
            hits.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
        } else {
            hits.sort_by_key(|(t, _)| *t);
        }
        hits.into_iter().map(|(_, rec)| rec).collect()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn query(v: Value) -> Result<DoorQuery, ApiError> {
        DoorQuery::parse(&Params::parse(v.to_string().as_bytes()).unwrap())
    }

    fn base() -> Value {
        json!({"startTime":"2026-01-01T00:00:00-03:00","endTime":"2026-02-01T00:00:00-03:00",
               "eventType":196893,"pageNo":1,"pageSize":10})
    }

    #[test]
    fn normalise_fills_only_missing_fields() {
        let ev = normalise(json!({"eventType":196893,"srcIndex":"11"}));
        assert_eq!(ev["srcIndex"], "11");
        assert_eq!(ev["srcType"], "door");
        assert!(ev["eventId"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(happen_time(&ev).is_some());
    }

    #[test]
    fn door_record_has_no_person_code_and_resolves_the_name() {
        let mut persons = Persons::default();
        let id = persons.insert_raw(
            &json!({"personCode":"1712345678","personGivenName":"Ana","personFamilyName":"Paz"}),
        );
        let ev = normalise(
            json!({"eventId":"e1","eventType":196893,"happenTime":"2026-01-27T08:04:00-03:00",
            "srcIndex":"11","srcName":"Facial Entrada","data":{"personCode":"1712345678","checkInAndOutType":"1"}}),
        );
        let rec = door_record(&ev, &persons);
        assert!(rec.get("personCode").is_none());
        assert_eq!(rec["personId"], json!(id));
        assert_eq!(rec["personName"], "Ana Paz");
        assert_eq!(rec["doorIndexCode"], "11");
        assert_eq!(rec["eventTime"], "2026-01-27T08:04:00-03:00");
        assert_eq!(rec["checkInAndOutType"], 1);
    }

    #[test]
    fn query_limits() {
        assert!(query(base()).is_ok());
        let mut v = base();
        v["endTime"] = json!("2026-02-01T00:00:01-03:00");
        assert_eq!(query(v).unwrap_err().code, code::OUT_OF_RANGE);
        let mut v = base();
        v["endTime"] = json!("2025-12-31T00:00:00-03:00");
        assert_eq!(query(v).unwrap_err().code, code::OUT_OF_RANGE);
        // Only the spec's format: whole seconds with a ±hh:mm offset (the old client sent
        // milliseconds, which real servers refuse).
        for bad in [
            "2026-01-01 00:00",
            "2026-01-01T00:00:00.000+00:00",
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00",
        ] {
            let mut v = base();
            v["startTime"] = json!(bad);
            assert_eq!(query(v).unwrap_err().code, code::BAD_FORMAT, "{bad}");
        }
        // eventTypes (a comma-separated string) or eventType, never both.
        let mut v = base();
        v["eventTypes"] = json!("196893,198914");
        assert_eq!(query(v.clone()).unwrap_err().code, code::BAD_FORMAT);
        v.as_object_mut().unwrap().remove("eventType");
        assert_eq!(query(v).unwrap().event_types, [196893, 198914]);
        let mut v = base();
        v.as_object_mut().unwrap().remove("eventType");
        assert_eq!(query(v).unwrap_err().code, code::MISSING);
        let mut v = base();
        v["doorIndexCodes"] = json!((0..11).map(|i| i.to_string()).collect::<Vec<_>>());
        assert_eq!(query(v).unwrap_err().code, code::OUT_OF_RANGE);
        let mut v = base();
        v["orderType"] = json!("1");
        assert!(query(v).unwrap().descending);
    }

    #[test]
    fn run_filters_by_time_type_door_and_sorts() {
        let mut log = EventLog::default();
        for (id, t, door, ty) in [
            ("b", "2026-01-02T10:00:00-03:00", "11", 196893),
            ("a", "2026-01-02T09:00:00-03:00", "11", 196893),
            ("c", "2026-01-02T11:00:00-03:00", "12", 196893),
            ("d", "2026-01-02T12:00:00-03:00", "11", 197151),
            ("e", "2026-03-02T12:00:00-03:00", "11", 196893),
        ] {
            log.record(json!({"eventId":id,"happenTime":t,"srcIndex":door,"eventType":ty}));
        }
        let ids = |q: &DoorQuery| -> Vec<String> {
            q.run(&log, &Persons::default())
                .iter()
                .map(|r| r["eventId"].as_str().unwrap().to_string())
                .collect()
        };
        let mut q = query(base()).unwrap();
        assert_eq!(ids(&q), ["a", "b", "c"]);
        q.doors = vec!["11".into()];
        q.descending = true;
        assert_eq!(ids(&q), ["b", "a"]);
    }
}
