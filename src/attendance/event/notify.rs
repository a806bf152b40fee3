//! The `OnEventNotify` body: its events list (`params.events`, a top-level `events` or a bare
//! array) split into raw items, the per-push limit, numeric `eventId`s kept as their exact
//! digits, and what a body without an events list looks like (for the 400 answer).

use super::fields::kind;
use super::push::parse_push;
use super::{Parsed, PayloadError};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Parse an `OnEventNotify` body into one [`Parsed`] per event, in body order.
///
/// The events list is taken from `params.events` (HikCentral's shape). For robustness against
/// proxies and hand-written tests, a top-level `events` array or a bare array of events is also
/// accepted. `method` is not checked: only the events matter. `params.events: []` is a valid,
/// empty notification.
pub fn parse_notify(body: &[u8]) -> Result<Vec<Parsed>, PayloadError> {
    parse_notify_limited(body, usize::MAX)
}

/// [`parse_notify`] that refuses a body with more than `max_events` events before parsing any of
/// them (the events list is first split into raw slices, which costs a few bytes per item).
///
/// A numeric `eventId` is kept as the exact digits it arrived as (and stored as a string), so
/// ids beyond 64 bits never collapse into one.
pub fn parse_notify_limited(body: &[u8], max_events: usize) -> Result<Vec<Parsed>, PayloadError> {
    let list = match events_in_one_pass(body) {
        Some(list) => list,
        None => {
            let root: &RawValue =
                serde_json::from_slice(body).map_err(|e| PayloadError::Json(e.to_string()))?;
            let Some(list) = events_slice(root) else {
                let root: Value = serde_json::from_str(root.get())
                    .map_err(|e| PayloadError::Json(e.to_string()))?;
                return Err(PayloadError::NoEvents(describe(&root)));
            };
            list
        }
    };
    if list.len() > max_events {
        return Err(PayloadError::TooMany {
            count: list.len(),
            max: max_events,
        });
    }
    Ok(list.into_iter().map(parse_push).collect())
}

/// The events list of a well-shaped body, read in one pass over it: HikCentral's own bodies.
/// `None` for anything else (not JSON, another shape, a repeated key): [`events_slice`] then
/// finds the list the same way it always has, or says what is wrong.
fn events_in_one_pass(body: &[u8]) -> Option<Vec<&RawValue>> {
    #[derive(serde::Deserialize)]
    struct Notify<'a> {
        #[serde(borrow, default)]
        params: Option<Params<'a>>,
        #[serde(borrow, default)]
        events: Option<Vec<&'a RawValue>>,
    }
    #[derive(serde::Deserialize)]
    struct Params<'a> {
        #[serde(borrow, default)]
        events: Option<Vec<&'a RawValue>>,
    }
    // Text first: a field this pass skips is held to UTF-8 like the rest, as in the slow path.
    let text = std::str::from_utf8(body).ok()?;
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(text).ok();
    }
    let notify: Notify<'_> = serde_json::from_str(text).ok()?;
    notify.params.and_then(|p| p.events).or(notify.events)
}

/// The raw items of the events list (`params.events`, a top-level `events`, or a bare array).
fn events_slice(root: &RawValue) -> Option<Vec<&RawValue>> {
    #[derive(serde::Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow, default)]
        params: Option<&'a RawValue>,
        #[serde(borrow, default)]
        events: Option<&'a RawValue>,
    }
    fn array(raw: &RawValue) -> Option<Vec<&RawValue>> {
        serde_json::from_str(raw.get()).ok()
    }
    let text = root.get().trim_start();
    if text.starts_with('[') {
        return array(root);
    }
    let env: Envelope<'_> = serde_json::from_str(root.get()).ok()?;
    if let Some(params) = env.params {
        if let Ok(Envelope {
            events: Some(ev), ..
        }) = serde_json::from_str::<Envelope<'_>>(params.get())
        {
            if let Some(list) = array(ev) {
                return Some(list);
            }
        }
    }
    env.events.and_then(array)
}

/// Replace a numeric `eventId` by its exact text: `serde_json` turns numbers beyond 64 bits into
/// floats, and two different ids would then read alike.
pub(super) fn keep_exact_numeric_id(raw: &RawValue, value: &mut Value) {
    #[derive(serde::Deserialize)]
    struct Id<'a> {
        #[serde(rename = "eventId", borrow, default)]
        event_id: Option<&'a RawValue>,
    }
    let Some(obj) = value.as_object_mut() else {
        return;
    };
    if !matches!(obj.get("eventId"), Some(Value::Number(_))) {
        return;
    }
    if let Ok(Id { event_id: Some(id) }) = serde_json::from_str::<Id<'_>>(raw.get()) {
        obj.insert(
            "eventId".to_owned(),
            Value::String(id.get().trim().to_owned()),
        );
    }
}

/// What a body without an events list looks like, for the 400 answer.
fn describe(root: &Value) -> String {
    let Some(obj) = root.as_object() else {
        return kind(root).to_owned();
    };
    match obj.get("params") {
        Some(Value::Object(p)) => match p.get("events") {
            Some(ev) => format!("`params.events` as {}", kind(ev)),
            None => format!("`params` without `events` (keys: {})", keys(p)),
        },
        Some(other) => format!("`params` as {}", kind(other)),
        None => match obj.get("events") {
            Some(ev) => format!("`events` as {}", kind(ev)),
            None => format!("an object without `params` (keys: {})", keys(obj)),
        },
    }
}

fn keys(obj: &Map<String, Value>) -> String {
    if obj.is_empty() {
        return "none".to_owned();
    }
    let mut names: Vec<&str> = obj.keys().take(10).map(String::as_str).collect();
    if obj.len() > 10 {
        names.push("...");
    }
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::{events_in_one_pass, events_slice};
    use serde_json::value::RawValue;

    fn texts(list: Option<Vec<&RawValue>>) -> Option<Vec<String>> {
        list.map(|l| l.iter().map(|r| r.get().to_owned()).collect())
    }

    /// The slow path's answer for `body`.
    fn slow(body: &str) -> Option<Vec<String>> {
        let root: &RawValue = serde_json::from_str(body).ok()?;
        texts(events_slice(root))
    }

    #[test]
    fn the_one_pass_reads_hikcentral_bodies() {
        for (name, body) in crate::attendance::event::fixture_bodies() {
            let fast = texts(events_in_one_pass(body.as_bytes()));
            assert!(fast.as_ref().is_some_and(|l| !l.is_empty()), "{name}");
            assert_eq!(fast, slow(&body), "{name}");
        }
    }

    #[test]
    fn the_one_pass_finds_what_the_slow_path_finds_or_leaves_it_to_it() {
        let bodies = [
            r#"{"params":{"events":[{"a":1},{"b":2}]}}"#,
            r#"{"params":{"events":[{"inner":1}]},"events":[{"top":1}]}"#,
            r#"{"events":[{"a":1}]}"#,
            r#"  [{"a":1}, 2]"#,
            r#"{"params":{"ability":"x"},"events":[{"top":1}]}"#,
            r#"{"params":null,"events":[{"top":1}]}"#,
            r#"{"params":{"events":[{"inner":1}]},"events":"not a list"}"#,
            r#"{"params":{"events":"not a list"},"events":[{"top":1}]}"#,
            r#"{"params":"text","events":[{"top":1}]}"#,
            r#"{"params":{"events":[1]},"params":{"events":[2]}}"#,
            r#"{"events":[1],"events":[2]}"#,
            r#"{"method":"OnEventNotify"}"#,
            r#"{"params":{"events":[{"a":1}]}} trailing"#,
            r#""just text""#,
            "{\"params\":{\"events\":[{\"a\":\"\u{e9}\"}]}}",
        ];
        for body in bodies {
            let fast = texts(events_in_one_pass(body.as_bytes()));
            if fast.is_some() {
                assert_eq!(fast, slow(body), "{body}");
            }
        }
        // The well-shaped ones do take the one pass.
        for body in &bodies[..6] {
            assert!(events_in_one_pass(body.as_bytes()).is_some(), "{body}");
        }
        // Not UTF-8: left to the slow path, which says what is wrong.
        assert!(events_in_one_pass(b"{\"events\":[\"\xff\"]}").is_none());
    }
}
