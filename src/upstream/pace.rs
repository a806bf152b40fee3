//! A pace shared by every task that calls one upstream: the configured policy (governor), the
//! budget the upstream announces in its `RateLimit` headers, a cap on requests in flight, and
//! a process-wide pause (Retry-After).
//!
//! tower's own `RateLimit` and `ConcurrencyLimit` keep their state per service instance; this
//! layer keeps it in an `Arc<Pacer>` so that every clone of every client waits its turn.
//!
//! While the upstream has announced a budget (`remaining` calls until the window resets), that
//! budget decides: the calls left are spread over the time left, each slot measured from the
//! start of the previous request (not from its answer, so latency costs no budget), and a
//! window with plenty left is spent faster than the policy (a burst). With nothing announced,
//! or after the window reset, the policy's even pace applies. Every wait is re-checked after
//! it ends, so a Retry-After that arrives while a caller waits for its slot holds it too.

use super::{BoxError, UpstreamRequest, UpstreamResponse};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt};

/// The longest wait any upstream-provided number can cause.
pub const MAX_UPSTREAM_WAIT: Duration = Duration::from_secs(3600);

/// The shared pace of one upstream.
#[derive(Debug)]
pub struct Pacer {
    name: &'static str,
    limiter: DefaultDirectRateLimiter,
    permits: Semaphore,
    /// Requests sent and not yet answered (callers waiting for a slot hold a permit but are
    /// not counted here).
    in_flight: AtomicU32,
    state: Mutex<PaceState>,
}

/// One caller's turn: keeps its in-flight slot until dropped.
#[derive(Debug)]
pub struct Turn<'a> {
    pacer: &'a Pacer,
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.pacer.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Debug, Default)]
struct PaceState {
    paused_until: Option<Instant>,
    budget: Option<Budget>,
    /// The earliest start of the next call under the announced budget.
    next_at: Option<Instant>,
}

/// What the upstream last announced: calls left (less those started since) until `resets_at`.
#[derive(Debug, Clone, Copy)]
struct Budget {
    remaining: u32,
    resets_at: Instant,
}

/// What the upstream announced in one answer (`RateLimit: limit=…, remaining=…, reset=…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Announced {
    pub remaining: u32,
    /// Until the window resets (already capped by the caller's parser).
    pub reset: Duration,
}

impl Pacer {
    /// `per_second` requests per second (bursts up to the same number), `max_concurrent` in flight.
    pub fn per_second(name: &'static str, per_second: u32, max_concurrent: u32) -> Arc<Self> {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        Self::with_quota(name, Quota::per_second(rate), max_concurrent)
    }

    /// `limit` requests per `window`, spread evenly (no burst beyond one).
    pub fn per_window(
        name: &'static str,
        limit: u32,
        window: Duration,
        max_concurrent: u32,
    ) -> Arc<Self> {
        let period = window / limit.max(1);
        let quota = Quota::with_period(period.max(Duration::from_millis(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN));
        Self::with_quota(name, quota, max_concurrent)
    }

    fn with_quota(name: &'static str, quota: Quota, max_concurrent: u32) -> Arc<Self> {
        Arc::new(Self {
            name,
            limiter: RateLimiter::direct(quota),
            permits: Semaphore::new(max_concurrent.max(1) as usize),
            in_flight: AtomicU32::new(0),
            state: Mutex::new(PaceState::default()),
        })
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Hold every caller until `until` (e.g. an upstream's Retry-After). Never shortens a pause;
    /// never longer than [`MAX_UPSTREAM_WAIT`] from now.
    pub fn pause_until(&self, until: Instant) {
        let until = until.min(Instant::now() + MAX_UPSTREAM_WAIT);
        if let Ok(mut s) = self.state.lock() {
            if s.paused_until.is_none_or(|cur| cur < until) {
                s.paused_until = Some(until);
            }
        }
    }

    /// The upstream's answer announced its budget. Calls still in flight may not be counted in
    /// it yet, so they are taken off; an older answer arriving late never raises the budget of
    /// the same window.
    pub fn observe(&self, announced: Announced) {
        let now = Instant::now();
        let in_flight = self.in_flight.load(Ordering::SeqCst);
        let fresh = Budget {
            remaining: announced.remaining.saturating_sub(in_flight),
            resets_at: now + announced.reset.min(MAX_UPSTREAM_WAIT),
        };
        if let Ok(mut s) = self.state.lock() {
            s.budget = Some(match s.budget {
                // The same window (resets within a second of each other): keep the lower count,
                // and the earlier reset. `reset` is whole seconds rounded up, so every answer's
                // estimate is at or after the true end: the earliest is the closest.
                Some(b)
                    if b.resets_at > now
                        && abs_diff(b.resets_at, fresh.resets_at) <= Duration::from_secs(1) =>
                {
                    Budget {
                        remaining: b.remaining.min(fresh.remaining),
                        resets_at: b.resets_at.min(fresh.resets_at),
                    }
                }
                _ => fresh,
            });
        }
    }

    /// Take a slot now, or say how long to wait before asking again.
    fn try_take(&self) -> Option<Duration> {
        let now = Instant::now();
        let Ok(mut s) = self.state.lock() else {
            return Some(Duration::from_millis(10));
        };
        if let Some(until) = s.paused_until.filter(|u| *u > now) {
            return Some(until - now);
        }
        s.paused_until = None;
        match s.budget.filter(|b| b.resets_at > now) {
            Some(mut b) => {
                if b.remaining == 0 {
                    return Some(b.resets_at - now);
                }
                if let Some(at) = s.next_at.filter(|at| *at > now) {
                    return Some(at - now);
                }
                b.remaining -= 1;
                // The calls left share the time left; the next slot counts from this start.
                s.next_at = Some(now + (b.resets_at - now) / (b.remaining + 1));
                s.budget = Some(b);
                None
            }
            None => {
                s.budget = None;
                s.next_at = None;
                match self.limiter.check() {
                    Ok(()) => None,
                    Err(not_until) => Some(not_until.wait_time_from(DefaultClock::default().now())),
                }
            }
        }
    }

    /// Wait for a turn; the returned [`Turn`] keeps one in-flight slot until dropped.
    pub async fn acquire(&self) -> Turn<'_> {
        let started = Instant::now();
        // The semaphore is never closed, so acquire cannot fail.
        let permit = loop {
            if let Ok(p) = self.permits.acquire().await {
                break p;
            }
        };
        while let Some(wait) = self.try_take() {
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        crate::metrics::pace_wait(self.name, started.elapsed());
        Turn {
            pacer: self,
            _permit: permit,
        }
    }
}

fn abs_diff(a: Instant, b: Instant) -> Duration {
    if a > b {
        a - b
    } else {
        b - a
    }
}

/// Layer that makes every request wait for its turn on a shared [`Pacer`].
#[derive(Clone)]
pub struct PaceLayer {
    pacer: Arc<Pacer>,
}

impl PaceLayer {
    pub fn new(pacer: Arc<Pacer>) -> Self {
        Self { pacer }
    }
}

impl<S> Layer<S> for PaceLayer {
    type Service = Pace<S>;
    fn layer(&self, inner: S) -> Pace<S> {
        Pace {
            inner,
            pacer: self.pacer.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Pace<S> {
    inner: S,
    pacer: Arc<Pacer>,
}

impl<S> Service<UpstreamRequest> for Pace<S>
where
    S: Service<UpstreamRequest, Response = UpstreamResponse, Error = BoxError>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = UpstreamResponse;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<UpstreamResponse, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Readiness is awaited on the clone that serves the call, after the pacer's turn.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: UpstreamRequest) -> Self::Future {
        let inner = self.inner.clone();
        let pacer = self.pacer.clone();
        Box::pin(async move {
            let _permit = pacer.acquire().await;
            inner.oneshot(req).await
        })
    }
}
