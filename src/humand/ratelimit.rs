//! Humand's rate-limit headers: `RateLimit-Policy: 50;w=60` and
//! `RateLimit: limit=50, remaining=45, reset=30`. The pacer spends what they announce
//! (`upstream::pace`), so steady load never draws a 429.

use http::HeaderMap;

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
        assert_eq!(parse_rate_limit(&HeaderMap::new()), None);
    }
}
