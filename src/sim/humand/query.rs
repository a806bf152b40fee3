//! Query-string parsing shared by the list endpoints: a tolerant key/value map (never an axum
//! rejection, so every failure is a Humand-shaped `INVALID_DATA`), `page` and `limit`.

use super::errors::ApiError;
use std::collections::HashMap;
use std::ops::RangeInclusive;

/// Decode a raw query string; a repeated key keeps its last value.
pub(crate) fn params(raw: Option<&str>) -> HashMap<String, String> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// `page`, 1-based, default 1.
pub(crate) fn page(q: &HashMap<String, String>) -> Result<u32, ApiError> {
    match q.get("page") {
        None => Ok(1),
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| ApiError::invalid("page must be an integer ≥ 1")),
    }
}

/// `limit`, `default` when absent, refused outside `allowed`.
pub(crate) fn limit(
    q: &HashMap<String, String>,
    default: u32,
    allowed: RangeInclusive<u32>,
) -> Result<u32, ApiError> {
    let Some(raw) = q.get("limit") else {
        return Ok(default);
    };
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|l| allowed.contains(l))
        .ok_or_else(|| {
            ApiError::invalid(match allowed.end() {
                &u32::MAX => format!("limit must be an integer ≥ {}", allowed.start()),
                end => format!(
                    "limit must be an integer between {} and {end}",
                    allowed.start()
                ),
            })
        })
}

/// The items of 1-based `page` when pages hold `limit` items.
pub(crate) fn slice<T>(items: &[T], page: u32, limit: u32) -> &[T] {
    let start = (page as usize - 1).saturating_mul(limit as usize);
    let end = start.saturating_add(limit as usize).min(items.len());
    items.get(start..end).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn params_decode_percent_and_plus() {
        let p = params(Some("search=Ana+P%C3%A9rez&limit=10&limit=20"));
        assert_eq!(p["search"], "Ana Pérez");
        assert_eq!(p["limit"], "20");
        assert!(params(None).is_empty());
    }

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(page(&q(&[])).unwrap(), 1);
        assert!(page(&q(&[("page", "0")])).is_err());
        assert!(page(&q(&[("page", "x")])).is_err());
        assert_eq!(limit(&q(&[]), 50, 10..=u32::MAX).unwrap(), 50);
        assert!(limit(&q(&[("limit", "9")]), 50, 10..=u32::MAX).is_err());
        assert_eq!(limit(&q(&[("limit", "500")]), 50, 1..=500).unwrap(), 500);
        assert!(limit(&q(&[("limit", "501")]), 50, 1..=500).is_err());
    }

    #[test]
    fn slice_returns_the_requested_page_or_nothing() {
        let items = [1, 2, 3, 4, 5];
        assert_eq!(slice(&items, 1, 2), &[1, 2]);
        assert_eq!(slice(&items, 3, 2), &[5]);
        assert!(slice(&items, 4, 2).is_empty());
        assert!(slice(&items, u32::MAX, u32::MAX).is_empty());
    }
}
