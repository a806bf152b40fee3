//! Unit tests of the simulated event log: push defaults, door records, query limits.

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
