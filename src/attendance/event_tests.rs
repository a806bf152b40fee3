//! Parsing tests: every shared fixture, shape tolerance, strict meaning, body-level errors.

use super::event::{
    cap_rejected, parse_door_record, parse_notify, parse_notify_limited, AccessEvent, EventSource,
    Parsed, PayloadError, TimeWindow,
};
use super::types::Direction;
use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{json, Value};

const HCP_FACE_ENTRY: &str =
    include_str!("../../tests/fixtures/hikcentral-events/hcp-granted-face-entry.json");
const HCP_BATCH: &str =
    include_str!("../../tests/fixtures/hikcentral-events/hcp-batch-exit-card-and-denied.json");
const HCP_PERSON_ID_ONLY: &str =
    include_str!("../../tests/fixtures/hikcentral-events/hcp-person-id-only.json");
const ISC_FACE_ENTRY: &str =
    include_str!("../../tests/fixtures/hikcentral-events/isc-granted-face-entry.json");
const ISC_MULTIFACTOR_EXIT: &str =
    include_str!("../../tests/fixtures/hikcentral-events/isc-granted-multifactor-exit.json");

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn accepted(p: &Parsed) -> &AccessEvent {
    match p {
        Parsed::Accepted(e) => e,
        Parsed::Rejected { reason, .. } => panic!("expected accepted, got rejected: {reason}"),
        Parsed::OutOfWindow(_, why) => panic!("expected accepted, got {}", why.detail),
    }
}

fn all_accepted(body: &str) -> Vec<AccessEvent> {
    parse_notify(body.as_bytes())
        .unwrap()
        .iter()
        .map(|p| accepted(p).clone())
        .collect()
}

/// Parse one event wrapped in an OnEventNotify body.
fn one(event: Value) -> Parsed {
    let body =
        json!({"method": "OnEventNotify", "params": {"ability": "event_acs", "events": [event]}});
    let mut out = parse_notify(body.to_string().as_bytes()).unwrap();
    assert_eq!(out.len(), 1);
    out.remove(0)
}

/// A minimal valid push event, to which a test adds or removes fields.
fn base() -> Value {
    json!({"eventId": "ev-1", "eventType": 196893, "happenTime": "2026-01-27T08:04:00-03:00",
           "srcIndex": "11", "srcName": "Facial Entrada"})
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

fn code(e: &AccessEvent) -> Option<&str> {
    e.person_code.as_ref().map(|c| c.as_str())
}

#[test]
fn hcp_face_entry_fixture_reads_every_field() {
    let events = all_accepted(HCP_FACE_ENTRY);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.event_id.as_str(), "5f0c1a2e-1111-4a3b-9c7d-000000000001");
    assert_eq!(e.event_type, 196893);
    assert_eq!(e.happen_time, t("2026-01-27T08:04:00-03:00"));
    assert_eq!(e.happen_time.offset().local_minus_utc(), -3 * 3600);
    assert_eq!(
        (e.door.index_code.as_str(), e.door.name.as_str()),
        ("11", "Facial Entrada")
    );
    assert_eq!(code(e), Some("1712345678"));
    assert_eq!(e.person_id.as_deref(), Some("187"));
    assert_eq!(e.card_no, None, "empty cardNo is absent");
    assert_eq!(e.isc_person_no, None);
    assert_eq!(e.isc_in_out, None);
    assert_eq!(e.check_in_and_out_type(), Some(1));
    assert_eq!(e.source, EventSource::Push);
    assert_eq!(
        e.raw.value()["data"]["wearMaskStatus"],
        0,
        "raw keeps the event as sent"
    );
}

#[test]
fn hcp_batch_fixture_parses_all_three_including_the_denied_one() {
    let events = all_accepted(HCP_BATCH);
    let got: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.event_id.as_str(),
                e.event_type,
                e.happen_time,
                e.door.index_code.as_str(),
                code(e),
                e.person_id.as_deref(),
                e.card_no.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "5f0c1a2e-1111-4a3b-9c7d-000000000002",
                196893,
                t("2026-01-27T17:30:12-03:00"),
                "12",
                Some("1712345678"),
                Some("187"),
                None,
            ),
            (
                "5f0c1a2e-1111-4a3b-9c7d-000000000003",
                198914,
                t("2026-01-27T17:30:40-03:00"),
                "12",
                Some("0923456789"),
                Some("201"),
                Some("3405551234"),
            ),
            (
                "5f0c1a2e-1111-4a3b-9c7d-000000000004",
                197151,
                t("2026-01-27T17:31:02-03:00"),
                "11",
                None,
                None,
                None,
            ),
        ]
    );
    assert_eq!(events[2].door.name, "Facial Entrada");
}

#[test]
fn hcp_person_id_only_fixture_has_no_person_code() {
    let events = all_accepted(HCP_PERSON_ID_ONLY);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.event_id.as_str(), "5f0c1a2e-1111-4a3b-9c7d-000000000005");
    assert_eq!(e.happen_time, t("2026-01-28T07:58:31-03:00"));
    assert_eq!(e.person_code, None);
    assert_eq!(e.person_id.as_deref(), Some("187"));
    assert_eq!(e.card_no, None);
    assert_eq!(e.check_in_and_out_type(), None);
}

#[test]
fn isc_fixtures_read_ext_event_fields_and_in_out() {
    struct Want {
        body: &'static str,
        id: &'static str,
        ty: u32,
        time: &'static str,
        utc: &'static str,
        door: (&'static str, &'static str),
        card: Option<&'static str>,
        in_out: Direction,
        door_id: u64,
        reader_id: u64,
    }
    let cases = [
        Want {
            body: ISC_FACE_ENTRY,
            id: "E2D61699-B616-47FE-BAF9-7D8529A84738",
            ty: 196893,
            time: "2020-12-17T15:55:03.000+08:00",
            utc: "2020-12-17T07:55:03Z",
            door: ("2347b2859d254431a776f3cb38361c2c", "cem门禁测试_门1"),
            card: Some("0695915616"),
            in_out: Direction::Entry,
            door_id: 1,
            reader_id: 1,
        },
        Want {
            body: ISC_MULTIFACTOR_EXIT,
            id: "341BEAA4AEAD480484C595488FE5427C",
            ty: 196883,
            time: "2019-05-23T09:51:09.000+08:00",
            utc: "2019-05-23T01:51:09Z",
            door: ("73fc53c972f64019b04a636c5757489a", "2604_zhy_门2"),
            card: None,
            in_out: Direction::Exit,
            door_id: 2,
            reader_id: 0,
        },
    ];
    for w in cases {
        let events = all_accepted(w.body);
        assert_eq!(events.len(), 1, "{}", w.id);
        let e = &events[0];
        assert_eq!(e.event_id.as_str(), w.id);
        assert_eq!(e.event_type, w.ty);
        assert_eq!(e.happen_time, t(w.time));
        assert_eq!(e.happen_time.with_timezone(&Utc), t(w.utc));
        assert_eq!((e.door.index_code.as_str(), e.door.name.as_str()), w.door);
        assert_eq!(e.card_no.as_deref(), w.card);
        assert_eq!(e.isc_in_out, Some(w.in_out));
        assert_eq!(e.isc_person_no, None, "ExtEventPersonNo \"0\" is absent");
        assert_eq!((e.person_code.clone(), e.person_id.clone()), (None, None));
        assert_eq!(e.isc_door_id(), Some(w.door_id));
        assert_eq!(e.isc_reader_id(), Some(w.reader_id));
        assert_eq!(e.isc_event_code(), Some(u64::from(w.ty)));
    }
}

#[test]
fn tolerant_shapes_are_accepted() {
    type Check = fn(&AccessEvent);
    let cases: Vec<(&str, Value, Check)> = vec![
        (
            "numbers as strings",
            json!({"eventId": "ev-1", "eventType": " 196893 ",
                   "happenTime": "2026-01-27T08:04:00-03:00",
                   "srcIndex": 11, "srcName": "Facial Entrada",
                   "data": {"personId": 187, "personCode": 1712345678, "ExtEventInOut": "1",
                            "ExtEventDoorID": "3", "checkInAndOutType": "2"}}),
            |e| {
                assert_eq!(e.event_type, 196893);
                assert_eq!(e.door.index_code, "11");
                assert_eq!(e.person_id.as_deref(), Some("187"));
                assert_eq!(code(e), Some("1712345678"));
                assert_eq!(e.isc_in_out, Some(Direction::Entry));
                assert_eq!(e.isc_door_id(), Some(3));
                assert_eq!(e.check_in_and_out_type(), Some(2));
            },
        ),
        (
            "numeric eventId",
            with(base(), "eventId", json!(12345)),
            |e| assert_eq!(e.event_id.as_str(), "12345"),
        ),
        ("data null", with(base(), "data", Value::Null), |e| {
            assert_eq!(
                (
                    e.person_code.clone(),
                    e.person_id.clone(),
                    e.card_no.clone()
                ),
                (None, None, None)
            )
        }),
        ("data missing", base(), |e| {
            assert_eq!(
                (e.person_code.clone(), e.isc_in_out, e.isc_door_id()),
                (None, None, None)
            )
        }),
        (
            "data not an object",
            with(base(), "data", json!("oops")),
            |e| assert_eq!(e.person_id, None),
        ),
        (
            "unknown fields ignored",
            with(
                with(base(), "eventTypeName", json!("x")),
                "data",
                json!({"personCode": "99", "newThing": {"a": [1]}}),
            ),
            |e| assert_eq!(code(e), Some("99")),
        ),
        (
            "empty strings and zero placeholders are absent",
            with(
                base(),
                "data",
                json!({"personCode": " ", "personId": "", "cardNo": "",
                       "ExtEventPersonNo": "0", "ExtEventCardNo": ""}),
            ),
            |e| {
                assert_eq!(e.person_code, None);
                assert_eq!(
                    (
                        e.person_id.clone(),
                        e.card_no.clone(),
                        e.isc_person_no.clone()
                    ),
                    (None, None, None)
                );
            },
        ),
        (
            "personCode \"0\" is absent",
            with(
                base(),
                "data",
                json!({"personCode": "0", "personId": "187"}),
            ),
            |e| assert_eq!((code(e), e.person_id.as_deref()), (None, Some("187"))),
        ),
        (
            "iSC person number and card are read; text trimmed",
            with(
                base(),
                "data",
                json!({"ExtEventPersonNo": " 1712345678 ", "ExtEventCardNo": "0695915616",
                       "ExtEventInOut": 0}),
            ),
            |e| {
                assert_eq!(e.isc_person_no.as_deref(), Some("1712345678"));
                assert_eq!(e.card_no.as_deref(), Some("0695915616"));
                assert_eq!(e.isc_in_out, Some(Direction::Exit));
            },
        ),
        (
            "ExtEventInOut other than 0/1 is absent",
            with(base(), "data", json!({"ExtEventInOut": 2})),
            |e| assert_eq!(e.isc_in_out, None),
        ),
        (
            "door fields missing",
            without(without(base(), "srcIndex"), "srcName"),
            |e| assert_eq!((e.door.index_code.as_str(), e.door.name.as_str()), ("", "")),
        ),
        (
            "fractional seconds",
            with(
                base(),
                "happenTime",
                json!("2026-01-27T08:04:00.123456-03:00"),
            ),
            |e| assert_eq!(e.happen_time, t("2026-01-27T11:04:00.123456Z")),
        ),
        (
            "Z offset",
            with(base(), "happenTime", json!("2026-01-27T11:04:00Z")),
            |e| assert_eq!(e.happen_time, t("2026-01-27T08:04:00-03:00")),
        ),
        (
            "offset without colon",
            with(base(), "happenTime", json!("2026-01-27T08:04:00-0300")),
            |e| assert_eq!(e.happen_time, t("2026-01-27T08:04:00-03:00")),
        ),
    ];
    for (name, event, check) in cases {
        match one(event) {
            Parsed::Accepted(e) => check(&e),
            Parsed::Rejected { reason, .. } => panic!("{name}: rejected: {reason}"),
            Parsed::OutOfWindow(_, why) => panic!("{name}: {}", why.detail),
        }
    }
}

#[test]
fn events_without_usable_meaning_are_rejected_with_the_reason() {
    let cases: Vec<(&str, Value, Option<&str>, &str)> = vec![
        (
            "no eventId",
            without(base(), "eventId"),
            None,
            "missing eventId",
        ),
        (
            "null eventId",
            with(base(), "eventId", Value::Null),
            None,
            "missing eventId",
        ),
        (
            "blank eventId",
            with(base(), "eventId", json!("  ")),
            None,
            "eventId is empty",
        ),
        (
            "object eventId",
            with(base(), "eventId", json!({})),
            None,
            "eventId is an object, not a string",
        ),
        (
            "no eventType",
            without(base(), "eventType"),
            Some("ev-1"),
            "missing eventType",
        ),
        (
            "blank eventType",
            with(base(), "eventType", json!("")),
            Some("ev-1"),
            "eventType is empty",
        ),
        (
            "word eventType",
            with(base(), "eventType", json!("granted")),
            Some("ev-1"),
            "eventType \"granted\" is not an event type code",
        ),
        (
            "negative eventType",
            with(base(), "eventType", json!(-1)),
            Some("ev-1"),
            "eventType -1 is not",
        ),
        (
            "eventType beyond u32",
            with(base(), "eventType", json!(5_000_000_000u64)),
            Some("ev-1"),
            "eventType 5000000000 is not",
        ),
        (
            "no happenTime",
            without(base(), "happenTime"),
            Some("ev-1"),
            "missing happenTime",
        ),
        (
            "blank happenTime",
            with(base(), "happenTime", json!("")),
            Some("ev-1"),
            "happenTime is empty",
        ),
        (
            "happenTime without offset",
            with(base(), "happenTime", json!("2026-01-27T08:04:00")),
            Some("ev-1"),
            "happenTime \"2026-01-27T08:04:00\" has no UTC offset: a local time is ambiguous",
        ),
        (
            "happenTime without offset, space separated, fractional",
            with(base(), "happenTime", json!("2026-01-27 08:04:00.000")),
            Some("ev-1"),
            "has no UTC offset",
        ),
        (
            "happenTime garbage",
            with(base(), "happenTime", json!("yesterday")),
            Some("ev-1"),
            "happenTime \"yesterday\" is not an RFC 3339 date-time with offset",
        ),
        (
            "happenTime as a number",
            with(base(), "happenTime", json!(1769511840000u64)),
            Some("ev-1"),
            "happenTime is a number, not an RFC 3339 date-time string",
        ),
        (
            "every problem is reported",
            json!({"srcIndex": "11"}),
            None,
            "missing eventId; missing eventType; missing happenTime",
        ),
        (
            "not an object",
            json!("ev-1"),
            None,
            "the event is a string, not a JSON object",
        ),
    ];
    for (name, event, want_id, want_reason) in cases {
        match one(event.clone()) {
            Parsed::Rejected {
                event_id,
                reason,
                raw,
                ..
            } => {
                assert_eq!(event_id.as_deref(), want_id, "{name}");
                assert!(
                    reason.contains(want_reason),
                    "{name}: {reason:?} lacks {want_reason:?}"
                );
                assert_eq!(raw, event, "{name}: raw is kept");
            }
            Parsed::Accepted(e) | Parsed::OutOfWindow(e, _) => panic!("{name}: accepted {e:?}"),
        }
    }
}

#[test]
fn a_rejected_event_does_not_spoil_its_neighbours() {
    let events = [
        base(),
        without(base(), "eventType"),
        with(base(), "eventId", json!("ev-2")),
    ];
    let body = json!({"params": {"events": events}});
    let out = parse_notify(body.to_string().as_bytes()).unwrap();
    let kinds: Vec<_> = out
        .iter()
        .map(|p| match p {
            Parsed::Accepted(e) => format!("ok {}", e.event_id),
            Parsed::OutOfWindow(e, _) => format!("out of window {}", e.event_id),
            Parsed::Rejected { reason, .. } => format!("rejected {reason}"),
        })
        .collect();
    assert_eq!(kinds, ["ok ev-1", "rejected missing eventType", "ok ev-2"]);
}

#[test]
fn body_level_outcomes() {
    let cases: &[(&str, &str, Result<usize, &str>)] = &[
        (
            "empty events list",
            r#"{"method":"OnEventNotify","params":{"events":[]}}"#,
            Ok(0),
        ),
        (
            "top-level events",
            &format!(r#"{{"events":[{}]}}"#, base()),
            Ok(1),
        ),
        ("bare array", &format!("[{},{}]", base(), base()), Ok(2)),
        (
            "malformed",
            "{\"method\":\"OnEventNotify\",\n\"params\":",
            Err("Json:EOF while parsing a value at line 2 column 9"),
        ),
        (
            "not json",
            "hello",
            Err("Json:expected value at line 1 column 1"),
        ),
        (
            "empty body",
            "",
            Err("Json:EOF while parsing a value at line 1 column 0"),
        ),
        (
            "no params",
            r#"{"method":"OnEventNotify"}"#,
            Err("NoEvents:an object without `params` (keys: method)"),
        ),
        (
            "params without events",
            r#"{"params":{"ability":"event_acs"}}"#,
            Err("NoEvents:`params` without `events` (keys: ability)"),
        ),
        (
            "events not an array",
            r#"{"params":{"events":{"eventId":"x"}}}"#,
            Err("NoEvents:`params.events` as an object"),
        ),
        (
            "events null",
            r#"{"params":{"events":null}}"#,
            Err("NoEvents:`params.events` as null"),
        ),
        (
            "params a string",
            r#"{"params":"x"}"#,
            Err("NoEvents:`params` as a string"),
        ),
        (
            "top-level events not an array",
            r#"{"events":"x"}"#,
            Err("NoEvents:`events` as a string"),
        ),
        ("a string", r#""x""#, Err("NoEvents:a string")),
        (
            "empty object",
            "{}",
            Err("NoEvents:an object without `params` (keys: none)"),
        ),
    ];
    for (name, body, want) in cases {
        let got = parse_notify(body.as_bytes())
            .map(|v| v.len())
            .map_err(|e| match e {
                PayloadError::Json(m) => format!("Json:{m}"),
                PayloadError::NoEvents(m) => format!("NoEvents:{m}"),
                e @ PayloadError::TooMany { .. } => format!("TooMany:{e}"),
            });
        match (got, want) {
            (Ok(n), Ok(w)) => assert_eq!(n, *w, "{name}"),
            (Err(m), Err(w)) => assert!(m.contains(w), "{name}: {m:?} lacks {w:?}"),
            (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
        }
    }
    let msg = PayloadError::NoEvents("null".into()).to_string();
    assert!(msg.contains("`params.events` (an array)"), "{msg}");
}

fn record() -> Value {
    json!({"eventId": "poll-1", "eventType": "196893", "eventTime": "2026-01-27T08:04:00-03:00",
           "deviceTime": "2026-01-27T08:03:58-03:00", "personId": "187", "personName": "Ana",
           "doorName": "Facial Entrada", "doorIndexCode": "11", "cardNo": "",
           "checkInAndOutType": 1, "readerIndexCode": "r1"})
}

#[test]
fn polled_door_records_are_parsed_as_poll_events() {
    let e = match parse_door_record(&record()) {
        Parsed::Accepted(e) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(e.event_id.as_str(), "poll-1");
    assert_eq!(e.event_type, 196893);
    assert_eq!(
        e.happen_time,
        t("2026-01-27T08:04:00-03:00"),
        "eventTime wins over deviceTime"
    );
    assert_eq!(
        (e.door.index_code.as_str(), e.door.name.as_str()),
        ("11", "Facial Entrada")
    );
    assert_eq!(e.person_code, None);
    assert_eq!(e.person_id.as_deref(), Some("187"));
    assert_eq!(e.card_no, None);
    assert_eq!(e.check_in_and_out_type(), Some(1));
    assert_eq!(e.source, EventSource::Poll);
    assert_eq!(e.raw.value(), &record());
}

#[test]
fn polled_record_time_rules() {
    let cases: Vec<(&str, Value, Result<&str, &str>)> = vec![
        (
            "deviceTime when eventTime is absent",
            without(record(), "eventTime"),
            Ok("2026-01-27T08:03:58-03:00"),
        ),
        (
            "deviceTime when eventTime is null",
            with(record(), "eventTime", Value::Null),
            Ok("2026-01-27T08:03:58-03:00"),
        ),
        (
            "a bad eventTime is not papered over by deviceTime",
            with(record(), "eventTime", json!("2026-01-27T08:04:00")),
            Err("eventTime \"2026-01-27T08:04:00\" has no UTC offset"),
        ),
        (
            "deviceTime without offset",
            with(
                without(record(), "eventTime"),
                "deviceTime",
                json!("2026-01-27 08:03:58"),
            ),
            Err("deviceTime \"2026-01-27 08:03:58\" has no UTC offset"),
        ),
        (
            "no time at all",
            without(without(record(), "eventTime"), "deviceTime"),
            Err("missing eventTime"),
        ),
        (
            "no id",
            without(record(), "eventId"),
            Err("missing eventId"),
        ),
    ];
    for (name, rec, want) in cases {
        match (parse_door_record(&rec), want) {
            (Parsed::Accepted(e), Ok(time)) => assert_eq!(e.happen_time, t(time), "{name}"),
            (Parsed::Rejected { reason, .. }, Err(w)) => {
                assert!(reason.contains(w), "{name}: {reason:?} lacks {w:?}")
            }
            (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
        }
    }
    let with_code = with(record(), "personCode", json!("1712345678"));
    let Parsed::Accepted(e) = parse_door_record(&with_code) else {
        panic!("rejected")
    };
    assert_eq!(
        code(&e),
        Some("1712345678"),
        "a personCode is read if a version sends one"
    );
}

#[test]
fn a_push_over_the_event_cap_is_refused_before_its_items_are_parsed() {
    let items = ["1"; 5].join(",");
    let body = format!(r#"{{"params":{{"events":[{items}]}}}}"#);
    let err = parse_notify_limited(body.as_bytes(), 4).unwrap_err();
    assert_eq!(err, PayloadError::TooMany { count: 5, max: 4 });
    assert!(err.to_string().contains("events.max_events_per_push"));
    assert_eq!(parse_notify_limited(body.as_bytes(), 5).unwrap().len(), 5);
}

#[test]
fn numeric_event_ids_beyond_64_bits_keep_their_exact_digits() {
    let body = r#"{"params":{"events":[
        {"eventId": 123456789012345678901234, "eventType": 196893, "happenTime": "2026-01-27T08:00:00-05:00", "srcIndex": "11"},
        {"eventId": 123456789012345678901235, "eventType": 196893, "happenTime": "2026-01-27T08:00:00-05:00", "srcIndex": "11"},
        {"eventId": 42, "eventType": 196893, "happenTime": "2026-01-27T08:00:00-05:00", "srcIndex": "11"}]}}"#;
    let ids: Vec<String> = parse_notify(body.as_bytes())
        .unwrap()
        .into_iter()
        .map(|p| match p {
            Parsed::Accepted(e) => e.event_id.as_str().to_owned(),
            Parsed::Rejected { reason, .. } => panic!("rejected: {reason}"),
            Parsed::OutOfWindow(_, why) => panic!("{}", why.detail),
        })
        .collect();
    assert_eq!(
        ids,
        ["123456789012345678901234", "123456789012345678901235", "42"]
    );
}

#[test]
fn well_formed_events_outside_the_time_window_are_kept_with_the_side_and_the_setting() {
    let now = DateTime::parse_from_rfc3339("2026-01-27T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let window = TimeWindow {
        max_past: std::time::Duration::from_secs(744 * 3600),
        max_future: std::time::Duration::from_secs(86400),
    };
    let body = r#"{"params":{"events":[
        {"eventId": "year-1", "eventType": 196893, "happenTime": "0001-01-01T00:00:00+00:00", "srcIndex": "11"},
        {"eventId": "year-9999", "eventType": 196893, "happenTime": "9999-12-31T23:59:59+00:00", "srcIndex": "11"},
        {"eventId": "40-days", "eventType": 196893, "happenTime": "2025-12-18T08:00:00-05:00", "srcIndex": "11"},
        {"eventId": "today", "eventType": 196893, "happenTime": "2026-01-27T08:00:00-05:00", "srcIndex": "11"},
        {"eventType": 196893, "happenTime": "0001-01-01T00:00:00+00:00", "srcIndex": "11"}]}}"#;
    let items = window.apply(parse_notify(body.as_bytes()).unwrap(), now);
    let outcome: Vec<String> = items
        .iter()
        .map(|p| match p {
            Parsed::Accepted(e) => format!("accepted {}", e.event_id),
            Parsed::OutOfWindow(e, why) => {
                format!("{} {} ({})", why.side.code(), e.event_id, why.detail)
            }
            Parsed::Rejected { .. } => "rejected".to_owned(),
        })
        .collect();
    let starts = |i: usize, prefix: &str, setting: &str| {
        assert!(
            outcome[i].starts_with(prefix) && outcome[i].contains(setting),
            "{outcome:#?}"
        )
    };
    starts(0, "too_old year-1", "events.accept_past_hours");
    starts(1, "too_far_ahead year-9999", "events.accept_future_secs");
    starts(2, "too_old 40-days", "more than 744 hours in the past");
    assert_eq!(outcome[3], "accepted today");
    assert_eq!(
        outcome[4], "rejected",
        "no eventId: unusable whatever its time"
    );
    // Out-of-window events are never capped: the cap is for junk.
    let capped = cap_rejected(items, 0);
    let outside = capped
        .iter()
        .filter(|p| matches!(p, Parsed::OutOfWindow(..)))
        .count();
    assert_eq!(outside, 3, "{capped:?}");
}

#[test]
fn rejected_items_beyond_the_cap_are_counted_not_stored() {
    let body = format!(r#"{{"params":{{"events":[{}]}}}}"#, ["1"; 50].join(","));
    let items = cap_rejected(parse_notify(body.as_bytes()).unwrap(), 20);
    assert_eq!(items.len(), 21, "20 kept and one summary");
    match &items[20] {
        Parsed::Rejected { reason, .. } => {
            assert!(reason.starts_with("30 more unusable items"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_pushed_event_is_kept_as_the_text_that_arrived_and_reparses_to_the_same_id() {
    let item = r#"{"eventId": 123456789012345678901234, "eventType": 196893, "happenTime": "2026-01-27T08:00:00-05:00", "srcIndex": "11", "data": {"b": 1, "a": 2}}"#;
    let body = format!(r#"{{"params":{{"events":[{item}]}}}}"#);
    let ev = match parse_notify(body.as_bytes()).unwrap().remove(0) {
        Parsed::Accepted(e) => e,
        Parsed::Rejected { reason, .. } => panic!("rejected: {reason}"),
        Parsed::OutOfWindow(_, why) => panic!("{}", why.detail),
    };
    let text = ev.raw.text().unwrap();
    assert_eq!(text, item, "stored as it arrived: no re-serialisation");
    match crate::attendance::event::parse_stored(text, EventSource::Push) {
        Parsed::Accepted(again) => {
            assert_eq!(again.event_id.as_str(), "123456789012345678901234")
        }
        Parsed::Rejected { reason, .. } => panic!("the stored text no longer parses: {reason}"),
        Parsed::OutOfWindow(_, why) => panic!("{}", why.detail),
    }
}
