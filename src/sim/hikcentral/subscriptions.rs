//! Event subscriptions (`eventService/v1/...`): each event type has at most one destination;
//! subscribing again replaces it.

use super::wire::{as_i64, ApiError, ApiResult, Params};
use super::HikSim;
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub(crate) struct Subscriptions(BTreeMap<i64, String>, BTreeMap<String, i64>);

impl Subscriptions {
    /// `[{"eventTypes":[...],"eventDest":"..."}]`, one entry per destination, sorted.
    pub fn view(&self) -> Vec<Value> {
        let mut by_dest: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for (t, dest) in &self.0 {
            by_dest.entry(dest).or_default().push(*t);
        }
        by_dest
            .into_iter()
            .map(|(dest, types)| json!({ "eventTypes": types, "eventDest": dest }))
            .collect()
    }

    /// The `passBack` a destination was last subscribed with (0 when not sent).
    pub fn pass_back(&self, dest: &str) -> Option<i64> {
        self.1.get(dest).copied()
    }

    /// For each destination, the events of the types it subscribed to (in order).
    pub fn batches(&self, events: &[Value]) -> Vec<(String, Vec<Value>)> {
        let mut by_dest: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for ev in events {
            let dest = ev
                .get("eventType")
                .and_then(as_i64)
                .and_then(|t| self.0.get(&t));
            if let Some(dest) = dest {
                by_dest.entry(dest.clone()).or_default().push(ev.clone());
            }
        }
        by_dest.into_iter().collect()
    }
}

/// Most event types in one request (spec: "up to 256").
pub(crate) const MAX_TYPES: usize = 256;
/// The range of an event type code (spec: "between 100000 and 2147483647").
pub(crate) const TYPE_RANGE: std::ops::RangeInclusive<i64> = 100_000..=2_147_483_647;

/// A non-empty list of at most [`MAX_TYPES`] event types within [`TYPE_RANGE`] (numeric strings
/// accepted).
fn event_types(p: &Params) -> Result<Vec<i64>, ApiError> {
    let types = p
        .get("eventTypes")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| ApiError::bad("eventTypes must be a non-empty list of event types"))?;
    if types.len() > MAX_TYPES {
        return Err(ApiError::bad(format!(
            "eventTypes: at most {MAX_TYPES} types per request, got {}",
            types.len()
        )));
    }
    types
        .iter()
        .map(|t| {
            as_i64(t).filter(|t| TYPE_RANGE.contains(t)).ok_or_else(|| {
                ApiError::bad(format!(
                    "eventTypes: {t} is not an event type (100000..=2147483647)"
                ))
            })
        })
        .collect()
}

/// An absolute `http://` or `https://` URL with a host.
fn event_dest(p: &Params) -> Result<String, ApiError> {
    let dest = p.req_str("eventDest", super::wire::code::BAD_PARAMETER)?;
    if dest.len() > 1024 {
        return Err(ApiError::bad("eventDest is longer than 1024 characters"));
    }
    match url::Url::parse(&dest) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(dest),
        _ => Err(ApiError::bad(format!(
            "eventDest {dest:?} is not an http(s) URL"
        ))),
    }
}

pub(crate) fn subscribe(sim: &HikSim, p: &Params) -> ApiResult {
    let types = event_types(p)?;
    let dest = event_dest(p)?;
    p.opt_str("token")?;
    let pass_back = match p.opt_int("passBack")? {
        None => 0,
        Some(n @ (0 | 1)) => n,
        Some(n) => return Err(ApiError::bad(format!("passBack must be 0 or 1, got {n}"))),
    };
    let mut store = sim.store();
    store.subscriptions.1.insert(dest.clone(), pass_back);
    for t in types {
        store.subscriptions.0.insert(t, dest.clone());
    }
    Ok(Value::Null)
}

pub(crate) fn view(sim: &HikSim, _: &Params) -> ApiResult {
    Ok(json!({ "detail": sim.store().subscriptions.view() }))
}

pub(crate) fn unsubscribe(sim: &HikSim, p: &Params) -> ApiResult {
    let types = event_types(p)?;
    let mut store = sim.store();
    for t in types {
        store.subscriptions.0.remove(&t);
    }
    Ok(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_groups_types_by_destination_and_batches_follow_types() {
        let mut s = Subscriptions::default();
        s.0.insert(196893, "http://a/x".into());
        s.0.insert(198914, "http://a/x".into());
        s.0.insert(197151, "http://b/y".into());
        assert_eq!(
            s.view(),
            vec![
                json!({"eventTypes":[196893,198914],"eventDest":"http://a/x"}),
                json!({"eventTypes":[197151],"eventDest":"http://b/y"}),
            ]
        );
        let events = vec![
            json!({"eventId":"1","eventType":196893}),
            json!({"eventId":"2","eventType":"197151"}),
            json!({"eventId":"3","eventType":1}),
        ];
        let batches = s.batches(&events);
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0].1, vec![events[0].clone()]);
        assert_eq!(batches[1].1, vec![events[1].clone()]);
    }

    #[test]
    fn destinations_must_be_http_urls() {
        for (dest, ok) in [
            ("https://bridge.example/hikcentral/events/s3cr3t", true),
            ("http://127.0.0.1:8080/e", true),
            ("ftp://x/y", false),
            ("not a url", false),
        ] {
            let p = Params::parse(json!({ "eventDest": dest }).to_string().as_bytes()).unwrap();
            assert_eq!(event_dest(&p).is_ok(), ok, "{dest}");
        }
    }
}
