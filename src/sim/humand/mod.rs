//! A faithful simulator of the Humand Public API (`/public/api/v1`): Basic-key auth, the
//! time-tracking permission, the fixed-window rate limit with its headers, clockIn / clockOut
//! with Humand's rules, entry listing and the user directory. See
//! `/work/shared/reference/humand-api.md` for the facts it follows.
//!
//! Layers, outermost first: faults → rate limit (counts every request, stamps headers) → key
//! check → (time-tracking routes only) permission check → handlers.

mod auth;
mod errors;
mod query;
mod ratelimit;
mod store;
mod time_tracking;
mod users;

use crate::sim::faults::{self, Faults};
pub(crate) use crate::sim::lock;
use crate::sim::RunningSim;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::Router;
use ratelimit::FixedWindow;
use serde_json::Value;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::Store;

/// Path prefix of every API route.
pub const API_PREFIX: &str = "/public/api/v1";

/// Start-up settings of a [`HumandSim`].
#[derive(Clone)]
pub struct HumandSimConfig {
    /// The Basic credential exactly as sent after `Basic `.
    pub api_key: String,
    /// Requests per window (50 in production).
    pub limit: u32,
    /// Window length, whole seconds ≥ 1 (60 in production).
    pub window: Duration,
    /// Status for business-rule refusals (future `now`, START while started, END while not
    /// started, unknown employee): 400 as the spec says, or 422 as one integrator reports.
    pub business_rule_status: u16,
    /// How far ahead of the simulator's clock `now` may be.
    pub future_tolerance: Duration,
}

impl Default for HumandSimConfig {
    fn default() -> Self {
        Self {
            api_key: "ZGVtby1pZDpkZW1vLXNlY3JldA==".to_string(),
            limit: 50,
            window: Duration::from_secs(60),
            business_rule_status: 400,
            future_tolerance: Duration::ZERO,
        }
    }
}

impl fmt::Debug for HumandSimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HumandSimConfig")
            .field("api_key", &"[redacted]")
            .field("limit", &self.limit)
            .field("window", &self.window)
            .field("business_rule_status", &self.business_rule_status)
            .field("future_tolerance", &self.future_tolerance)
            .finish()
    }
}

/// State shared by the handlers and the test hooks.
pub(crate) struct Shared {
    api_key: Mutex<String>,
    time_tracking_allowed: AtomicBool,
    /// Production behaviour seen in June 2026: `GET /time-tracking/entries` answers 400.
    pub(crate) entries_listing_refused: AtomicBool,
    /// `GET /time-tracking/day-summaries` answers 400 too (no read API at all).
    pub(crate) day_summaries_refused: AtomicBool,
    /// Record clock times truncated to the minute (whether Humand does is UNCONFIRMED).
    pub(crate) truncate_to_minute: AtomicBool,
    business_rule_status: StatusCode,
    future_tolerance: chrono::Duration,
    limiter: Mutex<FixedWindow>,
    store: Mutex<Store>,
    clock_requests: AtomicU64,
    rate_limited: AtomicU64,
}

/// The simulator: cheap to clone, every clone sees the same state.
#[derive(Clone)]
pub struct HumandSim {
    shared: Arc<Shared>,
    pub faults: Arc<Faults>,
}

impl fmt::Debug for HumandSim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HumandSim").finish_non_exhaustive()
    }
}

impl HumandSim {
    pub fn new(cfg: HumandSimConfig) -> Self {
        let business_rule_status = StatusCode::from_u16(cfg.business_rule_status)
            .ok()
            .filter(StatusCode::is_client_error)
            .unwrap_or(StatusCode::BAD_REQUEST);
        let future_tolerance =
            chrono::Duration::from_std(cfg.future_tolerance).unwrap_or(chrono::Duration::MAX);
        Self {
            shared: Arc::new(Shared {
                api_key: Mutex::new(cfg.api_key),
                time_tracking_allowed: AtomicBool::new(true),
                entries_listing_refused: AtomicBool::new(false),
                day_summaries_refused: AtomicBool::new(false),
                truncate_to_minute: AtomicBool::new(false),
                business_rule_status,
                future_tolerance,
                limiter: Mutex::new(FixedWindow::new(cfg.limit, cfg.window)),
                store: Mutex::new(Store::default()),
                clock_requests: AtomicU64::new(0),
                rate_limited: AtomicU64::new(0),
            }),
            faults: Faults::new(),
        }
    }

    /// Everything under `/public/api/v1`, with the fault middleware outermost.
    pub fn router(&self) -> Router {
        let time_tracking = time_tracking::routes().route_layer(from_fn_with_state(
            self.shared.clone(),
            auth::require_time_tracking,
        ));
        let api = Router::new()
            .merge(time_tracking)
            .merge(users::routes())
            .method_not_allowed_fallback(errors::method_not_allowed);
        Router::new()
            .nest(API_PREFIX, api)
            .fallback(errors::route_not_found)
            .layer(from_fn_with_state(self.shared.clone(), auth::require_key))
            .layer(from_fn_with_state(self.shared.clone(), ratelimit::enforce))
            .layer(from_fn_with_state(self.faults.clone(), faults::apply))
            .with_state(self.shared.clone())
    }

    /// Serve on `addr` (port 0 picks a free one) over plain HTTP.
    pub async fn start(&self, addr: SocketAddr) -> anyhow::Result<RunningSim> {
        crate::sim::serve(self.router(), addr, None).await
    }

    /// `base_url` + `/public/api/v1`: what a client is configured with.
    pub fn api_base(running: &RunningSim) -> String {
        format!("{}{API_PREFIX}", running.base_url)
    }

    /// Add an ACTIVE user (or rename an existing one) and return it as the API shows it.
    pub fn add_user(&self, employee_internal_id: &str, first_name: &str, last_name: &str) -> Value {
        lock(&self.shared.store)
            .upsert_user(employee_internal_id, first_name, last_name)
            .to_json()
    }

    /// Accept only `key` from now on (simulates a revoked or restored credential).
    pub fn set_api_key(&self, key: &str) {
        *lock(&self.shared.api_key) = key.to_string();
    }

    /// `false`: the valid key gets 403 `ACCESS_DENIED` on every time-tracking route.
    /// Make `GET /time-tracking/entries` answer 400, as one production did ("write-only").
    pub fn set_entries_listing_refused(&self, yes: bool) {
        self.shared
            .entries_listing_refused
            .store(yes, Ordering::SeqCst);
    }

    /// Make `GET /time-tracking/day-summaries` answer 400 as well.
    pub fn set_day_summaries_refused(&self, yes: bool) {
        self.shared
            .day_summaries_refused
            .store(yes, Ordering::SeqCst);
    }

    /// Record clock times truncated to the minute.
    pub fn set_truncate_to_minute(&self, yes: bool) {
        self.shared.truncate_to_minute.store(yes, Ordering::SeqCst);
    }

    pub fn set_time_tracking_allowed(&self, yes: bool) {
        self.shared
            .time_tracking_allowed
            .store(yes, Ordering::SeqCst);
    }

    /// Replace the rate limit; a fresh window opens at the next request.
    pub fn set_limit(&self, limit: u32, window: Duration) {
        *lock(&self.shared.limiter) = FixedWindow::new(limit, window);
    }

    /// Accepted entries of one employee, in creation order.
    pub fn entries(&self, employee_internal_id: &str) -> Vec<Value> {
        let store = lock(&self.shared.store);
        let found = store.entries(Some(employee_internal_id));
        found.iter().map(|e| e.to_json()).collect()
    }

    /// Every accepted entry, in creation order.
    pub fn all_entries(&self) -> Vec<Value> {
        let store = lock(&self.shared.store);
        let found = store.entries(None);
        found.iter().map(|e| e.to_json()).collect()
    }

    /// clockIn / clockOut requests that reached the handler (past faults, limit and auth).
    pub fn clock_requests(&self) -> u64 {
        self.shared.clock_requests.load(Ordering::SeqCst)
    }

    /// 429 answers given.
    pub fn rate_limited(&self) -> u64 {
        self.shared.rate_limited.load(Ordering::SeqCst)
    }
}
