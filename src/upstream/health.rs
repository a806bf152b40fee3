//! The last known state of an upstream, reported by `/ready` and `check-config`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Mutex;

#[derive(Debug, Clone, Default, Serialize)]
pub struct HealthSnapshot {
    pub last_ok_at: Option<DateTime<Utc>>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
}

impl HealthSnapshot {
    /// `ok` until a call fails; `warning` while the latest call failed.
    pub fn status(&self) -> &'static str {
        match (self.consecutive_failures, self.last_ok_at) {
            (0, Some(_)) => "ok",
            (0, None) => "unknown",
            _ => "warning",
        }
    }
}

/// Shared, cheap to update after every call.
#[derive(Debug, Default)]
pub struct UpstreamHealth(Mutex<HealthSnapshot>);

impl UpstreamHealth {
    pub fn record_ok(&self) {
        if let Ok(mut s) = self.0.lock() {
            s.last_ok_at = Some(Utc::now());
            s.consecutive_failures = 0;
        }
    }

    pub fn record_error(&self, error: &str) {
        if let Ok(mut s) = self.0.lock() {
            s.last_error_at = Some(Utc::now());
            s.last_error = Some(error.to_string());
            s.consecutive_failures = s.consecutive_failures.saturating_add(1);
        }
    }

    pub fn snapshot(&self) -> HealthSnapshot {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }
}
