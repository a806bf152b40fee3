//! Humand's rate-limit headers: `RateLimit-Policy: 50;w=60` and
//! `RateLimit: limit=50, remaining=45, reset=30`. Following them keeps steady load from ever
//! drawing a 429: the remaining calls are spread over the time left in the window.

use http::HeaderMap;
use std::time::Duration;

/// The longest window reset believed from a header.
pub const MAX_RESET_SECS: u64 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitState {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset_secs: u64,
}

/// Parse the `RateLimit` header (keys in any order, spaces tolerated).
pub fn parse_rate_limit(headers: &HeaderMap) -> Option<RateLimitState> {
    let v = headers.get("ratelimit")?.to_str().ok()?;
    let mut limit = None;
    let mut remaining = None;
    let mut reset = None;
    for part in v.split([',', ';']) {
        let (k, val) = part.split_once('=')?;
        let n = val.trim().parse::<u64>().ok();
        match k.trim().to_ascii_lowercase().as_str() {
            "limit" => limit = n,
            "remaining" => remaining = n,
            "reset" => reset = n,
            _ => {}
        }
    }
    Some(RateLimitState {
        limit: u32::try_from(limit?).ok()?,
        remaining: u32::try_from(remaining?).ok()?,
        // An upstream's number never makes us wait longer than an hour.
        reset_secs: reset?.min(MAX_RESET_SECS),
    })
}

/// How long the next call should wait: the time left in the window shared evenly by the calls
/// left (all of it when none are left).
pub fn spacing(state: &RateLimitState) -> Duration {
    let reset = Duration::from_secs(state.reset_secs);
    if state.remaining == 0 {
        return reset;
    }
    reset / state.remaining.saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("ratelimit", v.parse().unwrap());
        h
    }

    #[test]
    fn parses_the_documented_header() {
        assert_eq!(
            parse_rate_limit(&headers("limit=50, remaining=45, reset=30")),
            Some(RateLimitState {
                limit: 50,
                remaining: 45,
                reset_secs: 30
            })
        );
        assert_eq!(
            parse_rate_limit(&headers("reset=3;limit=5;remaining=0")),
            Some(RateLimitState {
                limit: 5,
                remaining: 0,
                reset_secs: 3
            })
        );
        assert_eq!(parse_rate_limit(&headers("limit=50")), None);
        let absurd = parse_rate_limit(&headers(
            "limit=4294967295, remaining=4294967295, reset=18446744073709551615",
        ))
        .unwrap();
        assert_eq!(
            absurd.reset_secs, MAX_RESET_SECS,
            "an absurd reset is capped"
        );
        assert!(
            spacing(&absurd) <= Duration::from_secs(1),
            "no overflow, no panic"
        );
        assert_eq!(parse_rate_limit(&HeaderMap::new()), None);
    }

    #[test]
    fn remaining_calls_are_spread_over_the_window() {
        let s = |remaining, reset_secs| {
            spacing(&RateLimitState {
                limit: 50,
                remaining,
                reset_secs,
            })
        };
        assert_eq!(s(0, 30), Duration::from_secs(30));
        assert_eq!(s(49, 60), Duration::from_millis(1200));
        assert_eq!(s(1, 10), Duration::from_secs(5));
    }
}
