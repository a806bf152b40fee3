//! The demo's day of access events: a pure plan (who passes which door when, and how the event
//! reaches the service), so the story is testable without running anything.
//!
//! Every employee enters in the morning, goes out for lunch and comes back; most leave in the
//! afternoon. Woven in, one case each of what production shows: a denied face before a good
//! one, a double scan, a door nobody mapped, an event that names only the personId, an exit and
//! entry pushed in the wrong order, an event the push missed (only the poller finds it), a
//! person Humand does not know (parked with Humand's message) and an entry from a reader that
//! was offline for weeks (kept outside the time window until an operator admits it).

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

/// Doors of the demo campus: index code, name, and the rule `attendance.doors` gets.
pub const DOORS: [(&str, &str); 4] = [
    ("1", "Entrada Principal"),
    ("2", "Salida Principal"),
    ("3", "Torniquete Biblioteca"),
    ("9", "Parqueadero"),
];
/// `attendance.doors` for [`DOORS`]: door 9 is left unmapped on purpose.
pub const DOOR_RULES: &str = "code:1=entry, code:2=exit, code:3=toggle";

/// How old the entry of the reader that was offline is: beyond `events.accept_past_hours`.
pub const OFFLINE_READER_DAYS: i64 = 40;

/// Granted by face; denied face (never clocks anyone).
pub const GRANTED: u32 = 196893;
pub const DENIED: u32 = 197151;

/// Who the plan is about.
#[derive(Debug, Clone)]
pub struct Person {
    pub ci: String,
    /// HikCentral's personId once registered (`None`: not registered).
    pub person_id: Option<String>,
}

/// How one batch of events reaches the service.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// Pushed by HikCentral to the callback (and kept in its event log).
    Push,
    /// Only in HikCentral's event log: the push was missed; the poller back-fills it.
    LogOnly,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub how: Delivery,
    /// Push-shaped events, in the order they are sent.
    pub events: Vec<Value>,
    /// What this batch shows, for the demo's output.
    pub note: &'static str,
}

/// The day for `staff` (Humand employees) and `stranger` (registered in HikCentral, unknown to
/// Humand), ending a few minutes before `now`. Events happen between about 9 h ago and now.
pub fn plan(staff: &[Person], stranger: Option<&Person>, now: DateTime<Utc>) -> Vec<Batch> {
    let mut batches = Vec::new();
    let mut seq = 0u32;
    let mut id = |kind: &str| {
        seq += 1;
        format!("demo-{}-{kind}-{seq:04}", now.timestamp())
    };
    let start = now - Duration::hours(9);
    // Morning: everyone enters, a few minutes apart.
    let mut morning = Vec::new();
    for (i, p) in staff.iter().enumerate() {
        let at = start + Duration::minutes(3 * i as i64);
        if i == 0 {
            morning.push(event(
                &id("denied"),
                DENIED,
                at - Duration::seconds(40),
                0,
                p,
                false,
            ));
        }
        morning.push(event(&id("in"), GRANTED, at, 0, p, false));
        if i == 1 {
            morning.push(event(
                &id("double"),
                GRANTED,
                at + Duration::seconds(30),
                0,
                p,
                false,
            ));
        }
        if i == 2 {
            morning.push(event(
                &id("parking"),
                GRANTED,
                at + Duration::minutes(2),
                3,
                p,
                false,
            ));
        }
    }
    if let Some(s) = stranger {
        morning.push(event(
            &id("in"),
            GRANTED,
            start + Duration::minutes(1),
            0,
            s,
            false,
        ));
    }
    batches.push(Batch {
        how: Delivery::Push,
        events: morning,
        note: "morning entries (a denied face, a double scan, the unmapped parking door, a person Humand does not know)",
    });
    // Lunch: out and back in; one exit names only the personId; one pair arrives reversed.
    for (i, p) in staff.iter().enumerate() {
        let out = start + Duration::hours(4) + Duration::minutes(2 * i as i64);
        let back = out + Duration::minutes(45);
        let exit = event(&id("lunch-out"), GRANTED, out, 1, p, i == 3);
        let entry = event(&id("lunch-in"), GRANTED, back, 0, p, false);
        let (events, note) = if i == 4 {
            (
                vec![entry, exit],
                "a lunch exit and entry pushed in the wrong order",
            )
        } else {
            (vec![exit, entry], "lunch: out and back in")
        };
        batches.push(Batch {
            how: Delivery::Push,
            events,
            note,
        });
    }
    // Afternoon: most leave; one exit was never pushed.
    for (i, p) in staff.iter().enumerate().filter(|(i, _)| i % 4 != 3) {
        let missed = i == 5;
        // The missed exit is recent: within the poller's overlap (events.poll_overlap_secs),
        // so the event-time back-fill finds it at its next pass.
        let at = if missed {
            now - Duration::minutes(2)
        } else {
            now - Duration::minutes(40) + Duration::minutes(i as i64)
        };
        batches.push(Batch {
            how: if missed {
                Delivery::LogOnly
            } else {
                Delivery::Push
            },
            events: vec![event(&id("out"), GRANTED, at, 1, p, false)],
            note: if missed {
                "an exit HikCentral never pushed: the poller back-fills it"
            } else {
                "leaving for the day"
            },
        });
    }
    // A reader that was offline for weeks uploads an old entry: stored out of the time window.
    if let Some(p) = staff.first() {
        let at = start - Duration::days(OFFLINE_READER_DAYS);
        batches.push(Batch {
            how: Delivery::Push,
            events: vec![event(&id("offline"), GRANTED, at, 0, p, false)],
            note:
                "an entry from a reader offline for weeks: outside the time window until admitted",
        });
    }
    batches
}

/// One push-shaped access event at door `door` (an index into [`DOORS`]). With `id_only`,
/// the event names the person by personId alone (as some HikCentral versions send).
fn event(id: &str, ty: u32, at: DateTime<Utc>, door: usize, p: &Person, id_only: bool) -> Value {
    let (code, name) = DOORS.get(door).copied().unwrap_or(DOORS[0]);
    let data = match (&p.person_id, id_only) {
        (Some(pid), true) => json!({"personId": pid}),
        (Some(pid), false) => json!({"personId": pid, "personCode": p.ci}),
        (None, _) => json!({"personCode": p.ci}),
    };
    let local = at.with_timezone(&chrono_tz::America::Guayaquil);
    json!({
        "eventId": id,
        "eventType": ty,
        "happenTime": local.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        "srcIndex": code,
        "srcName": name,
        "srcType": "door",
        "data": data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people(n: usize) -> Vec<Person> {
        (0..n)
            .map(|i| Person {
                ci: format!("17000000{i:02}"),
                person_id: Some(format!("{}", 100 + i)),
            })
            .collect()
    }

    #[test]
    fn the_day_holds_every_case_once_and_nothing_in_the_future() {
        let now = Utc::now();
        let staff = people(8);
        let stranger = Person {
            ci: "0999999999".into(),
            person_id: Some("900".into()),
        };
        let day = plan(&staff, Some(&stranger), now);
        let all: Vec<&Value> = day.iter().flat_map(|b| &b.events).collect();
        let count = |f: &dyn Fn(&Value) -> bool| all.iter().filter(|e| f(e)).count();
        assert_eq!(count(&|e| e["eventType"] == DENIED), 1);
        assert_eq!(count(&|e| e["srcIndex"] == "9"), 1);
        assert_eq!(count(&|e| e["data"].get("personCode").is_none()), 1);
        assert_eq!(count(&|e| e["data"]["personCode"] == "0999999999"), 1);
        let log_only: Vec<&Batch> = day.iter().filter(|b| b.how == Delivery::LogOnly).collect();
        assert_eq!(log_only.len(), 1);
        // The reversed pair: an entry sent before an exit that happened earlier.
        assert!(day.iter().any(|b| b.events.len() == 2
            && b.events[0]["eventId"]
                .as_str()
                .is_some_and(|s| s.contains("lunch-in"))
            && b.events[0]["happenTime"].as_str() > b.events[1]["happenTime"].as_str()));
        let mut old = Vec::new();
        for e in &all {
            let t =
                chrono::DateTime::parse_from_rfc3339(e["happenTime"].as_str().unwrap()).unwrap();
            assert!(t < now, "{e}");
            if t < now - Duration::hours(10) {
                old.push(e["eventId"].as_str().unwrap_or_default());
                assert!(t < now - Duration::days(OFFLINE_READER_DAYS), "{e}");
            }
        }
        assert_eq!(old.len(), 1, "one entry of the offline reader: {old:?}");
        assert!(old[0].contains("offline"), "{old:?}");
        let ids: std::collections::HashSet<&str> =
            all.iter().filter_map(|e| e["eventId"].as_str()).collect();
        assert_eq!(ids.len(), all.len(), "event ids are unique");
    }
}
