//! The fixed-window rate limit and its `RateLimit` / `RateLimit-Policy` / `Retry-After` headers.
//!
//! One window is shared by every request the simulator receives (Humand's is per key or per IP,
//! UNCONFIRMED; the simulator serves a single key, so both readings agree). Requests are counted
//! **before** authentication, so 401s spend the budget too: a client retrying with a revoked key
//! still drains its allowance, which is the conservative assumption for the bridge's pacing.

use super::errors::ApiError;
use super::{lock, Shared};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A fixed window of `limit` requests that opens at the first request after the previous
/// window ended.
#[derive(Debug, Clone)]
pub(crate) struct FixedWindow {
    limit: u32,
    window: Duration,
    opened: Option<Instant>,
    used: u32,
}

/// What the limiter decided for one request, with everything the headers need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Whole seconds until the current window ends, rounded up (≥ 1 inside a window).
    pub reset_secs: u64,
    pub window_secs: u64,
}

impl FixedWindow {
    /// `window` is whole seconds, at least one (sub-second parts are dropped).
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window: Duration::from_secs(window.as_secs().max(1)),
            opened: None,
            used: 0,
        }
    }

    /// Count one request arriving at `now`. Refused requests do not use up budget.
    pub fn hit(&mut self, now: Instant) -> Verdict {
        let opened = match self.opened {
            Some(opened) if now.saturating_duration_since(opened) < self.window => opened,
            _ => {
                self.used = 0;
                self.opened = Some(now);
                now
            }
        };
        let allowed = self.used < self.limit;
        if allowed {
            self.used += 1;
        }
        let left = (opened + self.window).saturating_duration_since(now);
        Verdict {
            allowed,
            limit: self.limit,
            remaining: self.limit.saturating_sub(self.used),
            reset_secs: ceil_secs(left).max(1),
            window_secs: self.window.as_secs(),
        }
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// `RateLimit-Policy: 50;w=60`
pub(crate) fn policy_header(v: &Verdict) -> String {
    format!("{};w={}", v.limit, v.window_secs)
}

/// `RateLimit: limit=50, remaining=45, reset=30`
pub(crate) fn ratelimit_header(v: &Verdict) -> String {
    format!(
        "limit={}, remaining={}, reset={}",
        v.limit, v.remaining, v.reset_secs
    )
}

/// Middleware: count the request, answer 429 beyond the limit, and put the rate-limit headers
/// on every answer that leaves through it.
pub(crate) async fn enforce(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let verdict = lock(&shared.limiter).hit(Instant::now());
    let mut response = if verdict.allowed {
        next.run(req).await
    } else {
        shared.rate_limited.fetch_add(1, Ordering::SeqCst);
        let mut r = ApiError::rate_limited().into_response();
        r.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            HeaderValue::from(verdict.reset_secs),
        );
        r
    };
    let headers = response.headers_mut();
    for (name, value) in [
        ("ratelimit-policy", policy_header(&verdict)),
        ("ratelimit", ratelimit_header(&verdict)),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn remaining_counts_down_within_one_window_then_refuses() {
        let t0 = Instant::now();
        let mut w = FixedWindow::new(3, Duration::from_secs(60));
        let seen: Vec<(bool, u32)> = (0..4)
            .map(|i| w.hit(t0 + ms(i)))
            .map(|v| (v.allowed, v.remaining))
            .collect();
        assert_eq!(seen, vec![(true, 2), (true, 1), (true, 0), (false, 0)]);
    }

    #[test]
    fn reset_is_seconds_left_rounded_up_and_at_least_one() {
        let t0 = Instant::now();
        let mut w = FixedWindow::new(10, Duration::from_secs(60));
        assert_eq!(w.hit(t0).reset_secs, 60);
        assert_eq!(w.hit(t0 + ms(500)).reset_secs, 60);
        assert_eq!(w.hit(t0 + ms(30_000)).reset_secs, 30);
        assert_eq!(w.hit(t0 + ms(59_999)).reset_secs, 1);
    }

    #[test]
    fn a_new_window_opens_at_the_first_request_after_the_old_one_ends() {
        let t0 = Instant::now();
        let mut w = FixedWindow::new(1, Duration::from_secs(2));
        assert!(w.hit(t0).allowed);
        let refused = w.hit(t0 + ms(1_200));
        assert!(!refused.allowed);
        assert_eq!(refused.reset_secs, 1);
        let later = w.hit(t0 + ms(2_000));
        assert!(later.allowed);
        assert_eq!((later.remaining, later.reset_secs), (0, 2));
    }

    #[test]
    fn window_is_whole_seconds_and_never_below_one() {
        let v = FixedWindow::new(5, ms(300)).hit(Instant::now());
        assert_eq!((v.window_secs, v.reset_secs), (1, 1));
        let v = FixedWindow::new(5, ms(2_700)).hit(Instant::now());
        assert_eq!(v.window_secs, 2);
    }

    #[test]
    fn zero_limit_refuses_everything() {
        let v = FixedWindow::new(0, Duration::from_secs(1)).hit(Instant::now());
        assert!(!v.allowed);
        assert_eq!(v.remaining, 0);
    }

    #[test]
    fn headers_use_the_documented_format() {
        let v = Verdict {
            allowed: true,
            limit: 50,
            remaining: 45,
            reset_secs: 30,
            window_secs: 60,
        };
        assert_eq!(policy_header(&v), "50;w=60");
        assert_eq!(ratelimit_header(&v), "limit=50, remaining=45, reset=30");
    }
}
