//! A pace shared by every task that calls one upstream: a requests-per-second ceiling
//! (governor), a cap on requests in flight, and a process-wide pause (Retry-After).
//!
//! tower's own `RateLimit` and `ConcurrencyLimit` keep their state per service instance; this
//! layer keeps it in an `Arc<Pacer>` so that every clone of every client waits its turn.

use super::{BoxError, UpstreamRequest, UpstreamResponse};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt};

/// The shared pace of one upstream.
#[derive(Debug)]
pub struct Pacer {
    name: &'static str,
    limiter: DefaultDirectRateLimiter,
    permits: Semaphore,
    paused_until: Mutex<Option<Instant>>,
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
            paused_until: Mutex::new(None),
        })
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Hold every caller until `until` (e.g. an upstream's Retry-After). Never shortens a pause.
    pub fn pause_until(&self, until: Instant) {
        if let Ok(mut p) = self.paused_until.lock() {
            if p.is_none_or(|cur| cur < until) {
                *p = Some(until);
            }
        }
    }

    fn pause_remaining(&self) -> Option<Duration> {
        let until = self.paused_until.lock().ok().and_then(|p| *p)?;
        until
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
    }

    /// Wait for a turn; the returned permit keeps one in-flight slot until dropped.
    pub async fn acquire(&self) -> tokio::sync::SemaphorePermit<'_> {
        let started = Instant::now();
        // The semaphore is never closed, so acquire cannot fail.
        let permit = loop {
            if let Ok(p) = self.permits.acquire().await {
                break p;
            }
        };
        while let Some(wait) = self.pause_remaining() {
            tokio::time::sleep(wait).await;
        }
        self.limiter.until_ready().await;
        crate::metrics::pace_wait(self.name, started.elapsed());
        permit
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrency_cap_is_shared_by_all_holders() {
        let pacer = Pacer::per_second("t", 1000, 2);
        let a = pacer.acquire().await;
        let _b = pacer.acquire().await;
        let p2 = pacer.clone();
        let third = tokio::spawn(async move {
            let _c = p2.acquire().await;
        });
        tokio::task::yield_now().await;
        assert!(
            !third.is_finished(),
            "a third caller must wait while two are in flight"
        );
        drop(a);
        third.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn rate_is_shared_and_pause_holds_everyone() {
        let pacer = Pacer::per_second("t", 2, 10);
        let start = Instant::now();
        pacer.pause_until(start + Duration::from_secs(3));
        pacer.pause_until(start + Duration::from_secs(1)); // never shortens a pause
        drop(pacer.acquire().await);
        assert!(start.elapsed() >= Duration::from_secs(3));
    }
}
