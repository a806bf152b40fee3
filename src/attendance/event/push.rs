//! One pushed event → [`Parsed`], read in one typed pass when it has HikCentral's usual shape
//! (the fields the inbox lifts, as text or numbers, in an object), else through a JSON value
//! like any other event ([`parse_one`]). The answer is the same either way (tested over every
//! combination of field values below); the typed pass only saves building a JSON value of the
//! whole event on every push: about ten allocations and a twentieth of the CPU per event.

use super::fields::{parse_one, parse_time};
use super::raw::{value_of, RawEvent};
use super::{AccessEvent, EventSource, Parsed};
use crate::attendance::types::{Direction, DoorKey, EventId, PersonCode};
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Number;
use std::borrow::Cow;

/// Parse one event of a push body.
pub(super) fn parse_push(raw: &RawValue) -> Parsed {
    match typed(raw) {
        Some(ev) => Parsed::Accepted(ev),
        None => through_a_value(raw),
    }
}

/// The general path: the event as a JSON value, then [`parse_one`].
fn through_a_value(raw: &RawValue) -> Parsed {
    let mut parsed = parse_one(value_of(raw), EventSource::Push);
    if let Parsed::Accepted(ev) = &mut parsed {
        ev.raw.set_text(raw);
    }
    parsed
}

/// The typed pass: an accepted event, or `None` for anything it does not read exactly as
/// [`parse_one`] would (another shape, a numeric `eventId`, a rejected event, a repeated key).
fn typed(raw: &RawValue) -> Option<AccessEvent> {
    // A struct also reads a JSON array (by position): only objects take this pass.
    if !raw.get().starts_with('{') {
        return None;
    }
    let push: Push<'_> = serde_json::from_str(raw.get()).ok()?;
    let event_id = match &push.event_id {
        Scalar::Text(s) => EventId::parse(s)?,
        _ => return None,
    };
    let event_type = push.event_type.uint().and_then(|n| u32::try_from(n).ok())?;
    let happen_time = match &push.happen_time {
        Scalar::Text(s) if !s.trim().is_empty() => parse_time("happenTime", s.trim()).ok()?,
        _ => return None,
    };
    // Details that are not an object are read as none, as on the value path (and a struct
    // would read an array by position).
    let data: Data<'_> = match push.data {
        Some(d) if d.get().starts_with('{') => serde_json::from_str(d.get()).ok()?,
        _ => Data::default(),
    };
    Some(AccessEvent {
        event_id,
        event_type,
        happen_time,
        door: DoorKey {
            index_code: push.src_index.text().unwrap_or_default(),
            name: push.src_name.text().unwrap_or_default(),
        },
        person_code: data.person_code.text().and_then(|s| PersonCode::parse(&s)),
        person_id: data.person_id.text(),
        isc_person_no: data.isc_person_no.text().filter(|s| s != "0"),
        card_no: data.card_no.text().or_else(|| data.isc_card_no.text()),
        isc_in_out: match data.isc_in_out.uint() {
            Some(1) => Some(Direction::Entry),
            Some(0) => Some(Direction::Exit),
            _ => None,
        },
        source: EventSource::Push,
        raw: RawEvent::from_text(raw),
    })
}

/// The fields of a pushed event the inbox lifts; every other field is skipped unread.
#[derive(serde::Deserialize)]
struct Push<'a> {
    #[serde(rename = "eventId", borrow, default)]
    event_id: Scalar<'a>,
    #[serde(rename = "eventType", borrow, default)]
    event_type: Scalar<'a>,
    #[serde(rename = "happenTime", borrow, default)]
    happen_time: Scalar<'a>,
    #[serde(rename = "srcIndex", borrow, default)]
    src_index: Scalar<'a>,
    #[serde(rename = "srcName", borrow, default)]
    src_name: Scalar<'a>,
    /// The details (`personCode`, …): read as [`Data`] when an object.
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

#[derive(serde::Deserialize, Default)]
struct Data<'a> {
    #[serde(rename = "personCode", borrow, default)]
    person_code: Scalar<'a>,
    #[serde(rename = "personId", borrow, default)]
    person_id: Scalar<'a>,
    #[serde(rename = "ExtEventPersonNo", borrow, default)]
    isc_person_no: Scalar<'a>,
    #[serde(rename = "cardNo", borrow, default)]
    card_no: Scalar<'a>,
    #[serde(rename = "ExtEventCardNo", borrow, default)]
    isc_card_no: Scalar<'a>,
    #[serde(rename = "ExtEventInOut", borrow, default)]
    isc_in_out: Scalar<'a>,
}

/// One field's value as a scalar: the one reading of text and integers that both the typed
/// pass and [`super::fields`] (from a JSON value) use.
#[derive(Default)]
pub(super) enum Scalar<'a> {
    /// Absent or `null`.
    #[default]
    Absent,
    Text(Cow<'a, str>),
    Number(Number),
    /// A boolean, an array or an object: read as absent, like the value path does.
    Other,
}

impl<'a> Scalar<'a> {
    /// A field of a JSON value (`None`: absent).
    pub(super) fn of(v: Option<&'a serde_json::Value>) -> Self {
        match v {
            None | Some(serde_json::Value::Null) => Scalar::Absent,
            Some(serde_json::Value::String(s)) => Scalar::Text(Cow::Borrowed(s)),
            Some(serde_json::Value::Number(n)) => Scalar::Number(n.clone()),
            Some(_) => Scalar::Other,
        }
    }

    /// Trimmed text of a string or a number; empty, `null` and structures are absent.
    pub(super) fn text(&self) -> Option<String> {
        match self {
            Scalar::Text(s) => {
                let t = s.trim();
                (!t.is_empty()).then(|| t.to_owned())
            }
            Scalar::Number(n) => Some(n.to_string()),
            Scalar::Absent | Scalar::Other => None,
        }
    }

    /// A non-negative integer, sent as a number or as a string of digits.
    pub(super) fn uint(&self) -> Option<u64> {
        match self {
            Scalar::Number(n) => n.as_u64(),
            Scalar::Text(s) => s.trim().parse().ok(),
            Scalar::Absent | Scalar::Other => None,
        }
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar::Text(Cow::Owned(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar::Number(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Number(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Number::from_f64(v)
                    .map(Scalar::Number)
                    .ok_or_else(|| E::custom("not a finite number"))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Absent)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Absent)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(ScalarVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_push, through_a_value, typed};
    use serde_json::value::RawValue;

    /// Values each field takes in the combinations below.
    const VALUES: [&str; 16] = [
        "", // absent
        "null",
        r#""""#,
        r#""  ""#,
        r#""0""#,
        r#"" 17 ""#,
        r#""1712345678""#,
        r#""2026-01-27T08:04:00-05:00""#,
        r#""2026-01-27T08:04:00""#,
        r#""Puerta \"Norte\" \u00e9""#,
        "0",
        "1",
        "196893",
        "-3",
        "1.5e3",
        "true",
    ];
    const STRUCTURES: [&str; 2] = ["[1, \"a\"]", r#"{"x": {"y": [1]}}"#];

    fn field(out: &mut Vec<String>, key: &str, value: &str) {
        if !value.is_empty() {
            out.push(format!("\"{key}\": {value}"));
        }
    }

    /// Both paths give the same answer for `text`; returns whether the typed pass took it.
    fn same_answer(text: &str) -> bool {
        let raw: &RawValue = serde_json::from_str(text).unwrap();
        assert_eq!(parse_push(raw), through_a_value(raw), "{text}");
        typed(raw).is_some()
    }

    #[test]
    fn the_typed_pass_answers_like_the_value_path_for_every_combination() {
        let mut typed_count = 0;
        let mut total = 0;
        let mut rng = crate::splitmix::SplitMix64(21);
        let mut all: Vec<&str> = VALUES.to_vec();
        all.extend(STRUCTURES);
        for _ in 0..6000 {
            let mut top = Vec::new();
            // The three required fields are usable more often than not, so that both paths
            // are walked.
            let mut required = |usable: &[&'static str]| {
                if rng.below(4) == 0 {
                    rng.pick(&all)
                } else {
                    rng.pick(usable)
                }
            };
            let id = required(&[r#""e-1""#, r#"" e-2 ""#, r#""Puerta \u00e9""#]);
            let ty = required(&["196893", r#""196893""#, r#"" 5 ""#, "0"]);
            let at = required(&[
                r#""2026-01-27T08:04:00-05:00""#,
                r#""2026-01-27T08:04:00.5Z""#,
                r#"" 2026-01-27T08:04:00+0800 ""#,
            ]);
            field(&mut top, "eventId", id);
            field(&mut top, "eventType", ty);
            field(&mut top, "happenTime", at);
            field(&mut top, "srcIndex", rng.pick(&all));
            field(&mut top, "srcName", rng.pick(&all));
            let mut data = Vec::new();
            for key in [
                "personCode",
                "personId",
                "ExtEventPersonNo",
                "cardNo",
                "ExtEventCardNo",
                "ExtEventInOut",
                "other",
            ] {
                field(&mut data, key, rng.pick(&all));
            }
            match rng.below(6) {
                0 => {}
                1 => top.push("\"data\": null".to_owned()),
                2 => top.push("\"data\": \"text\"".to_owned()),
                3 => top.push("\"data\": [\"1712345678\", \"187\"]".to_owned()),
                _ => top.push(format!("\"data\": {{{}}}", data.join(", "))),
            }
            let text = format!("{{{}}}", top.join(", "));
            total += 1;
            if same_answer(&text) {
                typed_count += 1;
            }
        }
        // The combinations do reach the typed pass, and not only it.
        assert!(
            typed_count > total / 5 && typed_count < total,
            "{typed_count} of {total}"
        );
    }

    #[test]
    fn unusual_shapes_answer_like_the_value_path() {
        for text in [
            r#"{"eventId": "a", "eventType": 1, "happenTime": "2026-01-27T08:04:00Z", "eventId": "b"}"#,
            r#"{"eventId": "a", "eventType": 1, "happenTime": "2026-01-27T08:04:00Z", "data": {"personCode": "1", "personCode": "2"}}"#,
            r#"{"eventId": 123456789012345678901234, "eventType": 1, "happenTime": "2026-01-27T08:04:00Z"}"#,
            r#"{"eventId": 12, "eventType": "196893", "happenTime": " 2026-01-27T08:04:00+0800 "}"#,
            r#"{"eventId": "x", "eventType": 4294967296, "happenTime": "2026-01-27T08:04:00Z"}"#,
            r#"{"eventId": "x", "eventType": 196893, "happenTime": "2026-01-27T08:04:00.123456789+05:30", "data": {}}"#,
            r#"["x", 196893, "2026-01-27T08:04:00Z"]"#,
            r#""text""#,
            "17",
            "null",
            r#"{"event\u0049d": "e", "eventType": 1, "happenTime": "2026-01-27T08:04:00Z"}"#,
        ] {
            same_answer(text);
        }
    }

    #[test]
    fn hikcentral_fixtures_take_the_typed_pass() {
        for (name, body) in crate::attendance::event::fixture_bodies() {
            let root: serde_json::Value = serde_json::from_str(&body).unwrap();
            for event in root["params"]["events"].as_array().unwrap() {
                let text = event.to_string();
                assert!(same_answer(&text), "{name}: {text}");
            }
        }
    }
}
