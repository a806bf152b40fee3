//! Rules tests: door modes, trusted direction, double scans, toggles across local midnight,
//! future holds, alternation, normalisation and out-of-order history.

use super::decision::{Decision, ParkReason, SkipReason};
use super::event::{parse_notify, AccessEvent, EventSource, Parsed, RawEvent};
use super::rules::{
    decide, default_granted_types, local_day, AlternationPolicy, DoorMatcher, DoorMode, DoorRule,
    PriorPunch, RulesConfig,
};
use super::types::{Direction, DoorKey, EmployeeId, EventId, PersonCode};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use std::time::Duration;
use Direction::{Entry, Exit};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn door(index_code: &str, name: &str) -> DoorKey {
    DoorKey {
        index_code: index_code.into(),
        name: name.into(),
    }
}

fn rule(matcher: DoorMatcher, mode: DoorMode) -> DoorRule {
    DoorRule { matcher, mode }
}

/// Guayaquil (UTC-5, no DST) and a door table: 11 entry, 12 exit, 20 toggle, 30 ignore, the name
/// "Lobby" toggle, and the name "Facial Entrada" exit (which index code 11 overrides).
fn cfg() -> RulesConfig {
    use DoorMatcher::{IndexCode, Name};
    RulesConfig {
        doors: vec![
            rule(Name("Facial Entrada".into()), DoorMode::Exit),
            rule(IndexCode("11".into()), DoorMode::Entry),
            rule(IndexCode("12".into()), DoorMode::Exit),
            rule(IndexCode("20".into()), DoorMode::Toggle),
            rule(IndexCode("30".into()), DoorMode::Ignore),
            rule(Name("Lobby".into()), DoorMode::Toggle),
        ],
        ..RulesConfig::default()
    }
}

/// A granted face event at `door_index` at `time` (RFC 3339).
fn ev(door_index: &str, time: &str) -> AccessEvent {
    AccessEvent {
        event_id: EventId::parse("ev-1").unwrap(),
        event_type: 196893,
        happen_time: DateTime::parse_from_rfc3339(time).unwrap(),
        door: door(door_index, ""),
        person_code: PersonCode::parse("1712345678"),
        person_id: None,
        isc_person_no: None,
        card_no: None,
        isc_in_out: None,
        source: EventSource::Push,
        raw: RawEvent::from_value(Value::Null),
    }
}

fn prior(direction: Direction, at: &str) -> PriorPunch {
    PriorPunch {
        direction,
        at: utc(at),
    }
}

fn punch(direction: Direction, at: &str) -> Decision {
    Decision::Punch {
        direction,
        at: utc(at),
    }
}

fn skip(reason: SkipReason) -> Decision {
    Decision::Skip { reason }
}

fn park(reason: ParkReason) -> Decision {
    Decision::Park { reason }
}

struct Case {
    name: &'static str,
    event: AccessEvent,
    employee: bool,
    history: Vec<PriorPunch>,
    now: &'static str,
    cfg: RulesConfig,
    want: Decision,
}

fn case(name: &'static str, event: AccessEvent, want: Decision) -> Case {
    Case {
        name,
        event,
        employee: true,
        history: Vec::new(),
        now: "2026-02-01T00:00:00Z",
        cfg: cfg(),
        want,
    }
}

impl Case {
    fn history(mut self, h: Vec<PriorPunch>) -> Self {
        self.history = h;
        self
    }
    fn now(mut self, now: &'static str) -> Self {
        self.now = now;
        self
    }
    fn cfg(mut self, f: impl FnOnce(&mut RulesConfig)) -> Self {
        f(&mut self.cfg);
        self
    }
    fn no_employee(mut self) -> Self {
        self.employee = false;
        self
    }
}

fn run(cases: Vec<Case>) {
    let employee = EmployeeId::parse("1712345678").unwrap();
    for c in cases {
        let emp = c.employee.then_some(&employee);
        let got = decide(&c.event, emp, &c.history, utc(c.now), &c.cfg);
        assert_eq!(got, c.want, "{}", c.name);
    }
}

fn with_isc(mut e: AccessEvent, d: Direction) -> AccessEvent {
    e.isc_in_out = Some(d);
    e
}

fn with_type(mut e: AccessEvent, ty: u32) -> AccessEvent {
    e.event_type = ty;
    e
}

fn named(mut e: AccessEvent, name: &str) -> AccessEvent {
    e.door.name = name.into();
    e
}

#[test]
fn default_granted_types_follow_the_reference() {
    let granted = default_granted_types();
    for ty in [
        196893, 198914, 197127, 196883, 196885, 196890, 196897, 198915, 200516, 263433,
    ] {
        assert!(granted.contains(&ty), "{ty} should be granted");
    }
    for ty in [
        197151, 197128, 197160, 197161, 197633, 197634, 197635, 197383, 196884, 196898,
    ] {
        assert!(!granted.contains(&ty), "{ty} must never clock anyone");
    }
    // 196893 lies inside 196885..=196897: six singles plus thirteen in the range.
    assert_eq!(granted.len(), 6 + 13);
    let d = RulesConfig::default();
    assert_eq!(d.double_scan_window, Duration::from_secs(120));
    assert_eq!(d.future_tolerance, Duration::from_secs(5));
    assert_eq!(d.time_zone, chrono_tz::America::Guayaquil);
    assert_eq!(d.alternation, AlternationPolicy::Send);
    assert!(!d.trust_isc_in_out);
    assert!(d.doors.is_empty());
}

#[test]
fn door_mode_matches_exactly_and_index_code_wins_over_name() {
    let c = cfg();
    let cases = [
        (door("11", ""), Some(DoorMode::Entry)),
        (door("11", "Facial Entrada"), Some(DoorMode::Entry)),
        (door("99", "Facial Entrada"), Some(DoorMode::Exit)),
        (door("", "Facial Entrada"), Some(DoorMode::Exit)),
        (door("12", "Lobby"), Some(DoorMode::Exit)),
        (door("77", "Lobby"), Some(DoorMode::Toggle)),
        (door("30", ""), Some(DoorMode::Ignore)),
        (door("99", "lobby"), None),
        (door("99", "Lobby "), None),
        (door("011", ""), None),
        (door("", ""), None),
    ];
    for (d, want) in cases {
        assert_eq!(c.door_mode(&d), want, "{d}");
    }
    let empty_rule = RulesConfig {
        doors: vec![rule(DoorMatcher::IndexCode(String::new()), DoorMode::Entry)],
        ..RulesConfig::default()
    };
    assert_eq!(
        empty_rule.door_mode(&door("", "x")),
        None,
        "empty never matches"
    );
}

#[test]
fn door_words_parse() {
    for (word, mode) in [
        ("entry", DoorMode::Entry),
        ("Exit", DoorMode::Exit),
        (" toggle ", DoorMode::Toggle),
        ("IGNORE", DoorMode::Ignore),
    ] {
        assert_eq!(word.parse::<DoorMode>().unwrap(), mode);
        assert_eq!(mode.to_string(), word.trim().to_lowercase());
    }
    let err = "both".parse::<DoorMode>().unwrap_err().to_string();
    assert!(err.contains("entry, exit, toggle, ignore"), "{err}");
    assert_eq!(
        "park".parse::<AlternationPolicy>().unwrap(),
        AlternationPolicy::Park
    );
    assert_eq!(
        "Send".parse::<AlternationPolicy>().unwrap(),
        AlternationPolicy::Send
    );
    assert!("drop".parse::<AlternationPolicy>().is_err());
}

#[test]
fn grants_and_doors() {
    let at = "2026-01-27T08:00:00-05:00";
    run(vec![
        case(
            "entry door",
            ev("11", at),
            punch(Entry, "2026-01-27T13:00:00Z"),
        ),
        case(
            "exit door",
            ev("12", at),
            punch(Exit, "2026-01-27T13:00:00Z"),
        ),
        case("ignored door", ev("30", at), skip(SkipReason::IgnoredDoor)),
        case(
            "unmapped door",
            ev("99", at),
            skip(SkipReason::UnmappedDoor),
        ),
        case(
            "door matched by name",
            named(ev("99", at), "Facial Entrada"),
            punch(Exit, "2026-01-27T13:00:00Z"),
        ),
        case(
            "index code wins over name",
            named(ev("11", at), "Facial Entrada"),
            punch(Entry, "2026-01-27T13:00:00Z"),
        ),
        case(
            "denied face never clocks",
            with_type(ev("11", at), 197151),
            skip(SkipReason::NotGranted { event_type: 197151 }),
        ),
        case(
            "not granted is decided before the door",
            with_type(ev("99", at), 197634),
            skip(SkipReason::NotGranted { event_type: 197634 }),
        ),
        case(
            "configured granted types replace the default",
            ev("11", at),
            skip(SkipReason::NotGranted { event_type: 196893 }),
        )
        .cfg(|c| c.granted_types = [198914].into()),
        case(
            "unknown employee is parked",
            ev("11", at),
            park(ParkReason::UnknownEmployee),
        )
        .no_employee(),
        case(
            "door is decided before the employee",
            ev("99", at),
            skip(SkipReason::UnmappedDoor),
        )
        .no_employee(),
    ]);
}

#[test]
fn isc_in_out_is_used_only_when_trusted() {
    let at = "2026-01-27T08:00:00-05:00";
    let trusted = |c: &mut RulesConfig| c.trust_isc_in_out = true;
    run(vec![
        case(
            "untrusted: door wins",
            with_isc(ev("11", at), Exit),
            punch(Entry, "2026-01-27T13:00:00Z"),
        ),
        case(
            "untrusted on unmapped door",
            with_isc(ev("99", at), Exit),
            skip(SkipReason::UnmappedDoor),
        ),
        case(
            "trusted: iSC wins",
            with_isc(ev("11", at), Exit),
            punch(Exit, "2026-01-27T13:00:00Z"),
        )
        .cfg(trusted),
        case(
            "trusted on unmapped door",
            with_isc(ev("99", at), Entry),
            punch(Entry, "2026-01-27T13:00:00Z"),
        )
        .cfg(trusted),
        case(
            "trusted but absent: door table",
            ev("12", at),
            punch(Exit, "2026-01-27T13:00:00Z"),
        )
        .cfg(trusted),
        case(
            "trusted but absent on unmapped door",
            ev("99", at),
            skip(SkipReason::UnmappedDoor),
        )
        .cfg(trusted),
        case(
            "an ignored door stays ignored",
            with_isc(ev("30", at), Entry),
            skip(SkipReason::IgnoredDoor),
        )
        .cfg(trusted),
    ]);
}

#[test]
fn double_scans_and_alternation() {
    let entry_8 = || vec![prior(Entry, "2026-01-27T13:00:00Z")];
    let park_policy = |c: &mut RulesConfig| c.alternation = AlternationPolicy::Park;
    let double = |at: &str| {
        skip(SkipReason::DoubleScan {
            previous_at: utc(at),
        })
    };
    run(vec![
        case(
            "inside the window",
            ev("11", "2026-01-27T08:01:00-05:00"),
            double("2026-01-27T13:00:00Z"),
        )
        .history(entry_8()),
        case(
            "at the window's edge",
            ev("11", "2026-01-27T08:02:00-05:00"),
            double("2026-01-27T13:00:00Z"),
        )
        .history(entry_8()),
        case(
            "same instant",
            ev("11", "2026-01-27T08:00:00-05:00"),
            double("2026-01-27T13:00:00Z"),
        )
        .history(entry_8()),
        case(
            "outside the window: alternation, sent by default",
            ev("11", "2026-01-27T08:02:01-05:00"),
            punch(Entry, "2026-01-27T13:02:01Z"),
        )
        .history(entry_8()),
        case(
            "outside the window: alternation parked by policy",
            ev("11", "2026-01-27T09:00:00-05:00"),
            park(ParkReason::Alternation { previous: Entry }),
        )
        .history(entry_8())
        .cfg(park_policy),
        case(
            "a double scan is skipped even under the park policy",
            ev("11", "2026-01-27T08:00:30-05:00"),
            double("2026-01-27T13:00:00Z"),
        )
        .history(entry_8())
        .cfg(park_policy),
        case(
            "opposite direction inside the window is a punch",
            ev("12", "2026-01-27T08:01:00-05:00"),
            punch(Exit, "2026-01-27T13:01:00Z"),
        )
        .history(entry_8())
        .cfg(park_policy),
        case(
            "the latest same-direction punch is reported",
            ev("12", "2026-01-27T17:01:00-05:00"),
            double("2026-01-27T22:00:30Z"),
        )
        .history(vec![
            prior(Entry, "2026-01-27T13:00:00Z"),
            prior(Exit, "2026-01-27T22:00:00Z"),
            prior(Exit, "2026-01-27T22:00:30Z"),
        ]),
        case(
            "window is configurable",
            ev("11", "2026-01-27T08:01:00-05:00"),
            punch(Entry, "2026-01-27T13:01:00Z"),
        )
        .history(entry_8())
        .cfg(|c| c.double_scan_window = Duration::from_secs(30)),
        case(
            "alternation looks only at the same local day",
            ev("11", "2026-01-28T08:00:00-05:00"),
            punch(Entry, "2026-01-28T13:00:00Z"),
        )
        .history(entry_8())
        .cfg(park_policy),
        case(
            "a double scan across local midnight is caught when the caller supplies it",
            ev("11", "2026-01-28T00:00:30-05:00"),
            double("2026-01-28T04:59:30Z"),
        )
        .history(vec![prior(Entry, "2026-01-28T04:59:30Z")]),
    ]);
}

#[test]
fn toggle_doors() {
    let guayaquil_2358 = "2026-01-28T04:58:00Z"; // 23:58 on the 27th in Guayaquil
    let next_day_0001 = "2026-01-28T00:01:00-05:00"; // 05:01 UTC, the same UTC day
    run(vec![
        case(
            "first of the day is an entry",
            ev("20", "2026-01-27T08:00:00-05:00"),
            punch(Entry, "2026-01-27T13:00:00Z"),
        ),
        case(
            "after an entry, an exit",
            ev("20", "2026-01-27T17:00:00-05:00"),
            punch(Exit, "2026-01-27T22:00:00Z"),
        )
        .history(vec![prior(Entry, "2026-01-27T13:00:00Z")]),
        case(
            "after an exit, an entry",
            ev("20", "2026-01-27T18:00:00-05:00"),
            punch(Entry, "2026-01-27T23:00:00Z"),
        )
        .history(vec![
            prior(Entry, "2026-01-27T13:00:00Z"),
            prior(Exit, "2026-01-27T22:00:00Z"),
        ]),
        case(
            "history order does not matter",
            ev("20", "2026-01-27T18:00:00-05:00"),
            punch(Entry, "2026-01-27T23:00:00Z"),
        )
        .history(vec![
            prior(Exit, "2026-01-27T22:00:00Z"),
            prior(Entry, "2026-01-27T13:00:00Z"),
        ]),
        case(
            "a re-scan inside the window is a double scan, not a clock-out",
            ev("20", "2026-01-27T08:00:40-05:00"),
            skip(SkipReason::DoubleScan {
                previous_at: utc("2026-01-27T13:00:00Z"),
            }),
        )
        .history(vec![prior(Entry, "2026-01-27T13:00:00Z")]),
        case(
            "toggle by door name",
            named(ev("77", "2026-01-27T17:00:00-05:00"), "Lobby"),
            punch(Exit, "2026-01-27T22:00:00Z"),
        )
        .history(vec![prior(Entry, "2026-01-27T13:00:00Z")]),
        case(
            "across local midnight: 00:01 starts a new day, so an entry",
            ev("20", next_day_0001),
            punch(Entry, "2026-01-28T05:01:00Z"),
        )
        .history(vec![prior(Entry, guayaquil_2358)]),
        case(
            "the same instants in UTC are one day, so an exit",
            ev("20", next_day_0001),
            punch(Exit, "2026-01-28T05:01:00Z"),
        )
        .history(vec![prior(Entry, guayaquil_2358)])
        .cfg(|c| c.time_zone = chrono_tz::UTC),
        case(
            "23:59 local is still the 27th: after that day's entry, an exit",
            ev("20", "2026-01-27T23:59:00-05:00"),
            punch(Exit, "2026-01-28T04:59:00Z"),
        )
        .history(vec![prior(Entry, "2026-01-28T04:50:00Z")]),
    ]);
}

#[test]
fn future_events_are_held_beyond_the_tolerance() {
    let now = "2026-01-27T13:00:00.500Z";
    run(vec![
        case(
            "in the past",
            ev("11", "2026-01-27T07:59:00-05:00"),
            punch(Entry, "2026-01-27T12:59:00Z"),
        )
        .now(now),
        case(
            "ahead within tolerance: punched, clamped to now",
            ev("11", "2026-01-27T08:00:03-05:00"),
            punch(Entry, "2026-01-27T13:00:00.500Z"),
        )
        .now(now),
        case(
            "ahead exactly by the tolerance",
            ev("11", "2026-01-27T08:00:05.500-05:00"),
            punch(Entry, "2026-01-27T13:00:00.500Z"),
        )
        .now(now),
        case(
            "beyond tolerance: held until it is within",
            ev("11", "2026-01-27T08:00:10-05:00"),
            Decision::Hold {
                until: utc("2026-01-27T13:00:05Z"),
            },
        )
        .now(now),
        case(
            "zero tolerance holds a millisecond ahead",
            ev("11", "2026-01-27T08:00:00.501-05:00"),
            Decision::Hold {
                until: utc("2026-01-27T13:00:00.501Z"),
            },
        )
        .now(now)
        .cfg(|c| c.future_tolerance = Duration::ZERO),
        case(
            "unknown employee is parked, not held",
            ev("11", "2026-01-27T09:00:00-05:00"),
            park(ParkReason::UnknownEmployee),
        )
        .now(now)
        .no_employee(),
        case(
            "a held event is not judged a double scan yet",
            ev("11", "2026-01-27T08:01:00-05:00"),
            Decision::Hold {
                until: utc("2026-01-27T13:00:55Z"),
            },
        )
        .now(now)
        .history(vec![prior(Entry, "2026-01-27T13:00:00Z")]),
    ]);
}

#[test]
fn punch_time_is_utc_with_millisecond_precision() {
    let decided = |time: &str, now: &str| {
        decide(
            &ev("11", time),
            EmployeeId::parse("1").as_ref(),
            &[],
            utc(now),
            &cfg(),
        )
    };
    let cases = [
        (
            "2026-01-27T08:00:00.123456789-05:00",
            "2026-01-27T13:00:00.123Z",
        ),
        (
            "2026-01-27T08:00:00.999999-05:00",
            "2026-01-27T13:00:00.999Z",
        ),
        ("2026-01-27T21:00:00+08:00", "2026-01-27T13:00:00.000Z"),
    ];
    for (time, want) in cases {
        let got = decided(time, "2026-02-01T00:00:00Z");
        assert_eq!(got, punch(Entry, want), "{time}");
        let Decision::Punch { at, .. } = got else {
            unreachable!()
        };
        assert_eq!(at.timestamp_subsec_nanos() % 1_000_000, 0);
    }
    let clamped = decided("2026-01-27T08:00:04-05:00", "2026-01-27T13:00:00.123456Z");
    assert_eq!(
        clamped,
        punch(Entry, "2026-01-27T13:00:00.123Z"),
        "clamped now is truncated too"
    );
}

#[test]
fn history_later_than_the_event_is_ignored() {
    let later = || {
        vec![
            prior(Entry, "2026-01-27T13:00:00Z"),
            prior(Exit, "2026-01-27T22:00:00Z"),
        ]
    };
    run(vec![
        case(
            "a late entry is not a double scan of a later entry",
            ev("11", "2026-01-27T07:59:30-05:00"),
            punch(Entry, "2026-01-27T12:59:30Z"),
        )
        .history(vec![prior(Entry, "2026-01-27T13:00:00Z")]),
        case(
            "toggle uses the last punch before the event, not the day's last",
            ev("20", "2026-01-27T12:00:00-05:00"),
            punch(Exit, "2026-01-27T17:00:00Z"),
        )
        .history(later()),
        case(
            "toggle before every punch of the day is an entry",
            ev("20", "2026-01-27T07:00:00-05:00"),
            punch(Entry, "2026-01-27T12:00:00Z"),
        )
        .history(later()),
        case(
            "alternation ignores a later same-direction punch",
            ev("12", "2026-01-27T07:00:00-05:00"),
            punch(Exit, "2026-01-27T12:00:00Z"),
        )
        .history(later())
        .cfg(|c| c.alternation = AlternationPolicy::Park),
    ]);
}

#[test]
fn local_day_uses_the_configured_zone() {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let cases = [
        (
            "2026-01-28T04:59:59Z",
            chrono_tz::America::Guayaquil,
            d(2026, 1, 27),
        ),
        (
            "2026-01-28T05:00:00Z",
            chrono_tz::America::Guayaquil,
            d(2026, 1, 28),
        ),
        ("2026-01-28T04:59:59Z", chrono_tz::UTC, d(2026, 1, 28)),
        (
            "2026-01-27T16:00:00Z",
            chrono_tz::Asia::Shanghai,
            d(2026, 1, 28),
        ),
    ];
    for (at, tz, want) in cases {
        assert_eq!(local_day(utc(at), tz), want, "{at} in {tz}");
    }
}

#[test]
fn batch_fixture_clocks_two_exits_and_never_the_denied_face() {
    let body =
        include_str!("../../tests/fixtures/hikcentral-events/hcp-batch-exit-card-and-denied.json");
    let employee = EmployeeId::parse("1712345678").unwrap();
    let decisions: Vec<Decision> = parse_notify(body.as_bytes())
        .unwrap()
        .into_iter()
        .map(|p| match p {
            Parsed::Accepted(e) => decide(
                &e,
                Some(&employee),
                &[],
                utc("2026-02-01T00:00:00Z"),
                &cfg(),
            ),
            Parsed::Rejected { reason, .. } => panic!("{reason}"),
            Parsed::OutOfWindow(_, why) => panic!("{}", why.detail),
        })
        .collect();
    assert_eq!(
        decisions,
        vec![
            punch(Exit, "2026-01-27T20:30:12Z"),
            punch(Exit, "2026-01-27T20:30:40Z"),
            skip(SkipReason::NotGranted { event_type: 197151 }),
        ]
    );
}

#[test]
fn isc_fixtures_follow_ext_event_in_out_when_trusted() {
    let trusted = RulesConfig {
        trust_isc_in_out: true,
        ..RulesConfig::default()
    };
    let employee = EmployeeId::parse("x").unwrap();
    let now = utc("2026-02-01T00:00:00Z");
    let cases = [
        (
            include_str!("../../tests/fixtures/hikcentral-events/isc-granted-face-entry.json"),
            punch(Entry, "2020-12-17T07:55:03Z"),
        ),
        (
            include_str!(
                "../../tests/fixtures/hikcentral-events/isc-granted-multifactor-exit.json"
            ),
            punch(Exit, "2019-05-23T01:51:09Z"),
        ),
    ];
    for (body, want) in cases {
        let parsed = parse_notify(body.as_bytes()).unwrap();
        let Parsed::Accepted(e) = &parsed[0] else {
            panic!("rejected")
        };
        assert_eq!(decide(e, Some(&employee), &[], now, &trusted), want);
        assert_eq!(
            decide(e, Some(&employee), &[], now, &RulesConfig::default()),
            skip(SkipReason::UnmappedDoor),
            "untrusted and unmapped"
        );
    }
}

#[test]
fn night_shift_toggles_follow_the_last_punch_when_configured() {
    // Entry at 22:00 on the 27th (Guayaquil), the scan at 06:00 on the 28th.
    let night_entry = || vec![prior(Entry, "2026-01-28T03:00:00Z")];
    let morning = || ev("20", "2026-01-28T06:00:00-05:00");
    let follow = |c: &mut RulesConfig| c.toggle_follows_last_punch = true;
    run(vec![
        case(
            "by calendar day (default) the morning scan starts a new day: an entry",
            morning(),
            punch(Entry, "2026-01-28T11:00:00Z"),
        )
        .history(night_entry()),
        case(
            "following the last punch it closes the night shift: an exit",
            morning(),
            punch(Exit, "2026-01-28T11:00:00Z"),
        )
        .history(night_entry())
        .cfg(follow),
        case(
            "a last punch older than the longest shift starts afresh: an entry",
            ev("20", "2026-01-28T18:00:00-05:00"),
            punch(Entry, "2026-01-28T23:00:00Z"),
        )
        .history(night_entry())
        .cfg(follow),
    ]);
}
