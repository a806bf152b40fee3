//! Readable times next to machine times: in the admin and jobs APIs, every field `x_ms` (or
//! `xAt`/`xMs` in camelCase) whose value is a moment — a whole number of milliseconds between
//! the years 2000 and 2100 — gets a sibling with the same moment in RFC 3339 (UTC): `at_ms` →
//! `at`, `created_at_ms` → `created_at`, `createdAt` → `createdAtIso`. Durations such as
//! `retry_in_ms` are small numbers and are left alone; an existing field is never overwritten.

use axum::body::{to_bytes, Body};
use axum::http::header;
use axum::response::Response;
use serde_json::{Map, Value};

/// Bodies larger than this are passed through untouched.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z in milliseconds.
const EARLIEST_MS: i64 = 946_684_800_000;
const LATEST_MS: i64 = 4_102_444_800_000;

/// Middleware body: rewrite JSON answers; anything else goes through as it is.
pub async fn add_rfc3339(res: Response) -> Response {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    add_times(&mut value);
    match serde_json::to_vec(&value) {
        Ok(out) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(out))
        }
        Err(_) => Response::from_parts(parts, Body::from(bytes)),
    }
}

/// Add the RFC 3339 siblings everywhere in `value`.
pub fn add_times(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for v in map.values_mut() {
                add_times(v);
            }
            let extra: Vec<(String, Value)> = map
                .iter()
                .filter_map(|(k, v)| {
                    let name = sibling(k)?;
                    let ms = v
                        .as_i64()
                        .filter(|ms| (EARLIEST_MS..LATEST_MS).contains(ms))?;
                    let t = chrono::DateTime::from_timestamp_millis(ms)?;
                    Some((
                        name,
                        Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                    ))
                })
                .collect();
            insert_missing(map, extra);
        }
        Value::Array(items) => items.iter_mut().for_each(add_times),
        _ => {}
    }
}

fn insert_missing(map: &mut Map<String, Value>, extra: Vec<(String, Value)>) {
    for (k, v) in extra {
        map.entry(k).or_insert(v);
    }
}

/// The name of the readable sibling of a millisecond field, if `key` is one.
fn sibling(key: &str) -> Option<String> {
    if let Some(base) = key.strip_suffix("_ms") {
        return (!base.is_empty()).then(|| base.to_owned());
    }
    if let Some(base) = key.strip_suffix("Ms") {
        return (!base.is_empty()).then(|| base.to_owned());
    }
    // camelCase moments of the jobs API: createdAt, finishedAt (numbers).
    key.ends_with("At").then(|| format!("{key}Iso"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn moments_get_a_readable_sibling_and_durations_do_not() {
        let mut v = json!({
            "at_ms": 1_769_518_800_000_i64,
            "retry_in_ms": 1500,
            "items": [{"createdAt": 1_769_518_800_123_i64, "finishedAt": null}],
            "received_at_ms": 1_769_518_800_000_i64,
            "received_at": "kept as it was",
        });
        add_times(&mut v);
        assert_eq!(v["at"], "2026-01-27T13:00:00.000Z");
        assert!(v.get("retry_in").is_none());
        assert_eq!(v["items"][0]["createdAtIso"], "2026-01-27T13:00:00.123Z");
        assert!(v["items"][0].get("finishedAtIso").is_none());
        assert_eq!(v["received_at"], "kept as it was");
    }
}
