//! Fault injection shared by the simulators: added latency, 5xx answers and dropped
//! connections, switchable at run time from tests.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Faults to apply to the next requests. All counters are consumed one per request.
#[derive(Debug, Default)]
pub struct Faults {
    latency_ms: AtomicU64,
    fail_next: AtomicU32,
    fail_status: AtomicU16,
    drop_next: AtomicU32,
    /// Requests seen by the simulator (after faults), for assertions.
    pub requests: AtomicU64,
}

impl Faults {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Delay every answer by `ms` (0 turns it off).
    pub fn set_latency_ms(&self, ms: u64) {
        self.latency_ms.store(ms, Ordering::SeqCst);
    }

    /// Answer the next `n` requests with `status` (a 5xx) and no useful body.
    pub fn fail_next(&self, n: u32, status: u16) {
        self.fail_status.store(status, Ordering::SeqCst);
        self.fail_next.store(n, Ordering::SeqCst);
    }

    /// Drop the connection of the next `n` requests without a complete answer.
    pub fn drop_next(&self, n: u32) {
        self.drop_next.store(n, Ordering::SeqCst);
    }

    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
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
    let latency = faults.latency_ms.load(Ordering::SeqCst);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if Faults::take(&faults.drop_next) {
        // Headers go out, then the body fails: the peer sees the connection cut mid-answer.
        let stream = futures::stream::once(async {
            Err::<bytes::Bytes, std::io::Error>(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "simulated dropped connection",
            ))
        });
        return Response::new(Body::from_stream(stream));
    }
    if Faults::take(&faults.fail_next) {
        let status = StatusCode::from_u16(faults.fail_status.load(Ordering::SeqCst))
            .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        return (status, "simulated upstream failure").into_response();
    }
    faults.requests.fetch_add(1, Ordering::SeqCst);
    next.run(req).await
}
