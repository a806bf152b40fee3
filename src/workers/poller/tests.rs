//! Unit tests of the back-fill poller: windows, door groups, the request body, checkpoints.

use super::*;
use serde_json::json;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn windows_are_contiguous_and_never_longer_than_thirty_days() {
    let from = t("2026-01-01T00:00:00Z");
    let to = t("2026-03-15T12:00:00Z");
    let ws = windows(from, to);
    assert_eq!(ws.len(), 3);
    assert_eq!(ws[0].start, from);
    assert_eq!(ws.last().unwrap().end, to);
    for pair in ws.windows(2) {
        assert_eq!(pair[0].end, pair[1].start);
    }
    assert!(ws.iter().all(|w| w.end - w.start <= MAX_WINDOW));
    assert!(windows(to, to).is_empty());
    assert!(windows(to, from).is_empty());
    let short = windows(from, t("2026-01-01T00:15:00Z"));
    assert_eq!(short.len(), 1);
}

#[test]
fn doors_are_grouped_by_ten_and_empty_means_all() {
    assert_eq!(door_groups(&[]), vec![Vec::<String>::new()]);
    assert_eq!(
        door_groups(&[" ".into(), String::new()]),
        vec![Vec::<String>::new()]
    );
    let doors: Vec<String> = (1..=23).map(|i| format!("d{i}")).collect();
    let groups = door_groups(&doors);
    assert_eq!(groups.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 3]);
    assert_eq!(groups[2], ["d21", "d22", "d23"]);
    assert_eq!(
        door_groups(&[" 1".into(), "2".into(), "1 ".into()]),
        [["1", "2"]]
    );
}

#[test]
fn the_body_follows_reference_section_five() {
    let w = Window {
        start: t("2026-01-27T11:00:00.123456Z"),
        end: t("2026-01-27T12:00:00.400-03:00"),
    };
    // Whole seconds with an offset (start rounded down, end up), every type in one call.
    assert_eq!(
        door_events_body(&w, &TypeFilter::All(vec![196893, 198914]), &[], 2, 500),
        json!({
            "startTime": "2026-01-27T11:00:00+00:00",
            "endTime": "2026-01-27T15:00:01+00:00",
            "eventTypes": "196893,198914",
            "doorIndexCodes": [],
            "pageNo": 2,
            "pageSize": 500,
            "sortField": "SwipeTime",
            "orderType": 0,
        })
    );
    let body = door_events_body(&w, &TypeFilter::One(196893), &["11".into()], 1, 10);
    assert_eq!(body["doorIndexCodes"], json!(["11"]));
    assert_eq!(body["eventType"], json!(196893));
    assert!(body.get("eventTypes").is_none(), "mutually exclusive");
    let start = body["startTime"].as_str().unwrap();
    assert!(
        regex_like_spec(start),
        "{start} is yyyy-MM-ddTHH:mm:ss+hh:mm"
    );
}

/// `yyyy-MM-ddTHH:mm:ss±hh:mm`, nothing else.
fn regex_like_spec(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 25
        && s.chars().enumerate().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 | 22 => c == ':',
            19 => c == '+' || c == '-',
            _ => c.is_ascii_digit(),
        })
}

#[test]
fn checkpoint_values_are_utc_with_millis_and_read_back() {
    let v = checkpoint_value(t("2026-01-27T08:00:00.5-03:00"));
    assert_eq!(v, "2026-01-27T11:00:00.500Z");
    assert_eq!(
        DateTime::parse_from_rfc3339(&v).unwrap(),
        t("2026-01-27T11:00:00.5Z")
    );
}

#[test]
fn too_large_settings_are_errors_not_panics() {
    let now = t("2026-01-27T11:00:00Z");
    assert_eq!(
        minus(now, Duration::from_secs(60), "x").unwrap(),
        t("2026-01-27T10:59:00Z")
    );
    let err = minus(now, Duration::MAX, "events.poll_overlap_secs").unwrap_err();
    assert!(err.to_string().contains("events.poll_overlap_secs"));
}
