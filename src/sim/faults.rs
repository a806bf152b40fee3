//! Fault injection shared by the simulators: added latency, 5xx answers and dropped
//! connections, switchable at run time from tests.

use super::lock;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Faults to apply to the next requests. All counters are consumed one per request.
#[derive(Debug, Default)]
pub struct Faults {
    latency_ms: AtomicU64,
    fail_next: AtomicU32,
    fail_status: AtomicU16,
    /// `Retry-After` seconds sent with those answers (0: none).
    fail_retry_after: AtomicU64,
    drop_next: AtomicU32,
    /// Faults that act *after* the handler ran (the upstream recorded the request, the answer
    /// is lost): the case that must not turn into a duplicate.
    fail_after_next: AtomicU32,
    drop_after_next: AtomicU32,
    /// Per mille of requests whose answer is lost after the handler (half 503, half a cut).
    after_fault_per_mille: AtomicU32,
    /// Requests seen by the simulator (after faults), for assertions.
    pub requests: AtomicU64,
    /// Requests being answered right now (latency included), and the most there ever were.
    in_flight: AtomicU32,
    max_in_flight: AtomicU32,
    /// The next request whose path contains a fragment waits for a signal before it is handled.
    hold_next: Mutex<Option<HoldNext>>,
    /// An outage: after this many more requests, every request answers 503 unhandled until
    /// [`Faults::up`] (`None`: no outage planned).
    down_after: Mutex<Option<u64>>,
}

#[derive(Debug)]
struct HoldNext {
    path_contains: String,
    release: Arc<tokio::sync::Notify>,
}

/// The longest a held request waits for its release, so a test that never releases it fails
/// instead of hanging.
const MAX_HOLD: Duration = Duration::from_secs(60);

impl Faults {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Delay every answer by `ms` (0 turns it off).
    pub fn set_latency_ms(&self, ms: u64) {
        self.latency_ms.store(ms, Ordering::SeqCst);
    }

    /// Handle the next `n` requests, then go down: every later one answers 503 without being
    /// handled, until [`Faults::up`] — an outage that starts between two calls.
    pub fn down_after(&self, n: u64) {
        *lock(&self.down_after) = Some(n);
    }

    /// The outage of [`Faults::down_after`] is over.
    pub fn up(&self) {
        *lock(&self.down_after) = None;
    }

    /// Whether this request meets the outage (and counts it against the requests still let
    /// through).
    fn down(&self) -> bool {
        let mut left = lock(&self.down_after);
        match left.as_mut() {
            None => false,
            Some(0) => true,
            Some(n) => {
                *n -= 1;
                false
            }
        }
    }

    /// Answer the next `n` requests with `status` (a 5xx) and no useful body.
    pub fn fail_next(&self, n: u32, status: u16) {
        self.fail_next_with_retry_after(n, status, 0);
    }

    /// Same, with `Retry-After: secs` on each answer (0: no header), e.g. a 429 asking for a
    /// day.
    pub fn fail_next_with_retry_after(&self, n: u32, status: u16, secs: u64) {
        self.fail_status.store(status, Ordering::SeqCst);
        self.fail_retry_after.store(secs, Ordering::SeqCst);
        self.fail_next.store(n, Ordering::SeqCst);
    }

    /// Hold the next request whose path contains `path_contains` until `release` is notified
    /// (at most a minute), then handle it: one slow call among fast ones, for exactly as long
    /// as a test needs.
    pub fn hold_next(&self, path_contains: &str, release: Arc<tokio::sync::Notify>) {
        *lock(&self.hold_next) = Some(HoldNext {
            path_contains: path_contains.to_owned(),
            release,
        });
    }

    /// The release to wait for when `path` is the held request (taken once).
    fn held(&self, path: &str) -> Option<Arc<tokio::sync::Notify>> {
        let mut hold = lock(&self.hold_next);
        if !path.contains(hold.as_ref()?.path_contains.as_str()) {
            return None;
        }
        hold.take().map(|h| h.release)
    }

    /// Drop the connection of the next `n` requests without a complete answer.
    pub fn drop_next(&self, n: u32) {
        self.drop_next.store(n, Ordering::SeqCst);
    }

    /// Handle the next `n` requests (the simulator records them), then answer `status`.
    pub fn fail_after_next(&self, n: u32, status: u16) {
        self.fail_status.store(status, Ordering::SeqCst);
        self.fail_after_next.store(n, Ordering::SeqCst);
    }

    /// Handle the next `n` requests, then cut the connection instead of answering.
    pub fn drop_after_next(&self, n: u32) {
        self.drop_after_next.store(n, Ordering::SeqCst);
    }

    /// Lose the answer of about `per_mille` ‰ of requests after handling them (soak tests).
    pub fn set_after_fault_rate(&self, per_mille: u32) {
        self.after_fault_per_mille
            .store(per_mille.min(1000), Ordering::SeqCst);
    }

    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// The most requests that were being answered at once (from their arrival, latency
    /// included, to their answer): how many calls a client really kept in flight.
    pub fn max_in_flight(&self) -> u32 {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    fn take(counter: &AtomicU32) -> bool {
        counter
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// Axum middleware applying [`Faults`]; add it with
/// `axum::middleware::from_fn_with_state(faults, faults::apply)`.
pub async fn apply(State(faults): State<Arc<Faults>>, req: Request, next: Next) -> Response {
    let _in_flight = InFlight::enter(&faults);
    let latency = faults.latency_ms.load(Ordering::SeqCst);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if let Some(release) = faults.held(req.uri().path()) {
        let _ = tokio::time::timeout(MAX_HOLD, release.notified()).await;
    }
    if Faults::take(&faults.drop_next) {
        return dropped();
    }
    if faults.down() {
        return (StatusCode::SERVICE_UNAVAILABLE, "simulated outage").into_response();
    }
    if Faults::take(&faults.fail_next) {
        let status = StatusCode::from_u16(faults.fail_status.load(Ordering::SeqCst))
            .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let mut res = (status, "simulated upstream failure").into_response();
        let retry_after = faults.fail_retry_after.load(Ordering::SeqCst);
        if retry_after > 0 {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        return res;
    }
    faults.requests.fetch_add(1, Ordering::SeqCst);
    let res = next.run(req).await;
    let rate = faults.after_fault_per_mille.load(Ordering::SeqCst);
    let roll = if rate > 0 {
        rand::random::<u32>() % 1000
    } else {
        u32::MAX
    };
    if Faults::take(&faults.drop_after_next) || roll < rate / 2 {
        return dropped();
    }
    if Faults::take(&faults.fail_after_next) || roll < rate {
        let status = StatusCode::from_u16(faults.fail_status.load(Ordering::SeqCst))
            .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        return (status, "simulated failure after the request was handled").into_response();
    }
    res
}

/// One request being answered; leaving (answered or cancelled) takes it off the count.
struct InFlight<'a>(&'a Faults);

impl<'a> InFlight<'a> {
    fn enter(faults: &'a Faults) -> Self {
        let now = faults.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        faults.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(faults)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Headers go out, then the body fails: the peer sees the connection cut mid-answer.
fn dropped() -> Response {
    let stream = futures::stream::once(async {
        Err::<bytes::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "simulated dropped connection",
        ))
    });
    Response::new(Body::from_stream(stream))
}
