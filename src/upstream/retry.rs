//! Retry with exponential backoff and jitter, honouring Retry-After, with a bounded number of
//! attempts. What is worth retrying is decided by an upstream-specific [`Classify`].

use super::{BoxError, TransportError, UpstreamRequest, UpstreamResponse};
use rand::Rng;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// The longest Retry-After that is honoured as asked; longer ones are capped.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// What to do with one attempt's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Hand the result to the caller.
    Done,
    /// Try again; `after` is the upstream's own wait (Retry-After), if it gave one.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
}

/// Upstream-specific judgement of a result.
pub trait Classify: Send + Sync + 'static {
    fn classify(&self, result: &Result<UpstreamResponse, BoxError>) -> Verdict;
}

/// Backoff settings.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub max_attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The wait before attempt `next` (2, 3, …): exponential, capped, with "equal jitter"
    /// (half fixed, half random) so that many callers do not retry in lockstep.
    pub fn delay(&self, next_attempt: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(ra) => ra.min(MAX_RETRY_AFTER),
            None => equal_jitter(self.base, self.max, next_attempt.saturating_sub(2)),
        }
    }
}

/// The service's one backoff: the wait before retry number `step` (0 for the first) is
/// `min(base · 2^step, max)`, half of it fixed and half random ("equal jitter"), so that many
/// callers do not retry in lockstep. The upstream retry layer and delivery (whose attempts are
/// counted in the store, across restarts) both need the n-th wait by its number, which is why
/// this is a function and not a backoff crate's iterator over one caller's attempts.
pub fn equal_jitter(base: Duration, max: Duration, step: u32) -> Duration {
    let full = base.saturating_mul(1u32 << step.min(20)).min(max);
    let half = full / 2;
    let half_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
    half + Duration::from_millis(rand::thread_rng().gen_range(0..=half_ms))
}

/// The longest `Retry-After` believed (an hour): an upstream's header never parks a worker
/// for longer, and never overflows a clock.
pub const RETRY_AFTER_CEILING: Duration = Duration::from_secs(3600);

/// Parse `Retry-After` as delta-seconds or an HTTP date, clamped to [`RETRY_AFTER_CEILING`].
/// Absurd values (`1e20`, negative, `NaN`) never panic.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    let wait = if let Ok(secs) = v.parse::<u64>() {
        Duration::from_secs(secs.min(RETRY_AFTER_CEILING.as_secs()))
    } else if let Ok(secs) = v.parse::<f64>() {
        if !(secs.is_finite() && secs >= 0.0) {
            return None;
        }
        Duration::try_from_secs_f64(secs.min(RETRY_AFTER_CEILING.as_secs_f64())).ok()?
    } else {
        // Any of the three HTTP-date forms (RFC 9110 §5.6.7); a date in the past is "now".
        let when = httpdate::parse_http_date(v).ok()?;
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO)
    };
    Some(wait.min(RETRY_AFTER_CEILING))
}

/// How long to hold back after a 429 with this `Retry-After` header (none or unreadable: a
/// minute), never longer than [`MAX_RETRY_AFTER`]. The pacer's pause and the rescheduled punch
/// both use it, so they agree.
pub fn wait_after_429(retry_after: Option<&str>) -> Duration {
    retry_after
        .and_then(parse_retry_after)
        .unwrap_or(Duration::from_secs(60))
        .min(MAX_RETRY_AFTER)
}

/// A `tower::retry::Policy` for [`UpstreamRequest`]s.
#[derive(Clone)]
pub struct RetryPolicy {
    upstream: &'static str,
    backoff: Backoff,
    classifier: Arc<dyn Classify>,
    on_pause: Option<Arc<dyn Fn(Duration) + Send + Sync>>,
}

impl RetryPolicy {
    pub fn new(upstream: &'static str, backoff: Backoff, classifier: Arc<dyn Classify>) -> Self {
        Self {
            upstream,
            backoff,
            classifier,
            on_pause: None,
        }
    }

    /// Called with the upstream's Retry-After, so a shared pacer can hold every caller.
    pub fn on_retry_after(mut self, f: Arc<dyn Fn(Duration) + Send + Sync>) -> Self {
        self.on_pause = Some(f);
        self
    }
}

impl tower::retry::Policy<UpstreamRequest, UpstreamResponse, BoxError> for RetryPolicy {
    type Future = Pin<Box<dyn Future<Output = ()> + Send>>;

    fn retry(
        &mut self,
        req: &mut UpstreamRequest,
        result: &mut Result<UpstreamResponse, BoxError>,
    ) -> Option<Self::Future> {
        let Verdict::Retry { reason, after } = self.classifier.classify(result) else {
            return None;
        };
        if req.attempt >= self.backoff.max_attempts {
            tracing::warn!(upstream = self.upstream, path = %req.path, attempts = req.attempt, %reason, "giving up");
            *result = Err(Box::new(TransportError::Exhausted {
                attempts: req.attempt,
                last: reason,
            }));
            return None;
        }
        req.attempt += 1;
        let delay = self.backoff.delay(req.attempt, after);
        if let (Some(after), Some(f)) = (after, &self.on_pause) {
            f(after.min(MAX_RETRY_AFTER));
        }
        tracing::warn!(
            upstream = self.upstream,
            path = %req.path,
            next_attempt = req.attempt,
            delay_ms = delay.as_millis() as u64,
            %reason,
            "retrying"
        );
        Some(Box::pin(tokio::time::sleep(delay)))
    }

    fn clone_request(&mut self, req: &UpstreamRequest) -> Option<UpstreamRequest> {
        Some(req.clone())
    }
}

/// Classification shared by every upstream: timeouts, connection errors, 429 and 5xx.
pub fn classify_transport(result: &Result<UpstreamResponse, BoxError>) -> Option<Verdict> {
    match result {
        Err(e) => Some(
            if e.is::<tower::timeout::error::Elapsed>()
                || matches!(
                    e.downcast_ref::<TransportError>(),
                    Some(
                        TransportError::Timeout(_)
                            | TransportError::Connect(_)
                            | TransportError::Io(_)
                    )
                )
            {
                Verdict::Retry {
                    reason: TransportError::describe(e),
                    after: None,
                }
            } else {
                Verdict::Done
            },
        ),
        Ok(resp) if resp.status.as_u16() == 429 || resp.status.is_server_error() => {
            let after = resp.header("retry-after").and_then(parse_retry_after);
            Some(Verdict::Retry {
                reason: format!("HTTP {}", resp.status.as_u16()),
                after,
            })
        }
        Ok(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let b = Backoff {
            max_attempts: 10,
            base: Duration::from_millis(100),
            max: Duration::from_millis(1000),
        };
        for _ in 0..50 {
            let d2 = b.delay(2, None);
            assert!(d2 >= Duration::from_millis(50) && d2 <= Duration::from_millis(100));
            let d4 = b.delay(4, None);
            assert!(d4 >= Duration::from_millis(200) && d4 <= Duration::from_millis(400));
            let d9 = b.delay(9, None);
            assert!(d9 >= Duration::from_millis(500) && d9 <= Duration::from_millis(1000));
        }
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let b = Backoff {
            max_attempts: 3,
            base: Duration::from_millis(10),
            max: Duration::from_millis(20),
        };
        assert_eq!(
            b.delay(2, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(b.delay(2, Some(Duration::from_secs(9999))), MAX_RETRY_AFTER);
    }

    #[test]
    fn the_wait_after_a_429_is_the_header_capped_or_a_minute() {
        assert_eq!(wait_after_429(Some("7")), Duration::from_secs(7));
        assert_eq!(wait_after_429(Some("86400")), MAX_RETRY_AFTER);
        assert_eq!(wait_after_429(Some("soon")), Duration::from_secs(60));
        assert_eq!(wait_after_429(None), Duration::from_secs(60));
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        assert_eq!(parse_retry_after("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
        // Absurd values are clamped, never a panic (1e20 s overflowed `from_secs_f64`).
        assert_eq!(parse_retry_after("1e20"), Some(RETRY_AFTER_CEILING));
        assert_eq!(
            parse_retry_after("18446744073709551615"),
            Some(RETRY_AFTER_CEILING)
        );
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("-3"), None);
        assert_eq!(parse_retry_after("NaN"), None);
        assert_eq!(parse_retry_after("inf"), None);
    }

    #[test]
    fn retry_after_takes_every_http_date_form() {
        let soon = chrono::Utc::now() + chrono::Duration::seconds(120);
        for format in [
            "%a, %d %b %Y %H:%M:%S GMT", // IMF-fixdate
            "%A, %d-%b-%y %H:%M:%S GMT", // RFC 850
            "%a %b %e %H:%M:%S %Y",      // asctime
        ] {
            let value = soon.format(format).to_string();
            let wait = parse_retry_after(&value).unwrap_or_else(|| panic!("{value:?} refused"));
            assert!(
                (Duration::from_secs(100)..=Duration::from_secs(120)).contains(&wait),
                "{value:?}: {wait:?}"
            );
        }
        assert_eq!(
            parse_retry_after("Sat Nov  6 08:49:37 2094"),
            Some(RETRY_AFTER_CEILING)
        );
    }
}
