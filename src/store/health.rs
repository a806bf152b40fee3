//! Whether the store accepts writes: the last write transaction's outcome, for `/ready`.
//! A failed write turns the store "failing" with the database's own message until a write
//! succeeds again.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct WriteHealth(Mutex<Option<WriteFailure>>);

/// The first failure of the current incident and the latest message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WriteFailure {
    pub since: DateTime<Utc>,
    pub error: String,
    pub failures: u64,
}

impl WriteHealth {
    pub fn failed(&self, error: &str) {
        if let Ok(mut s) = self.0.lock() {
            match s.as_mut() {
                Some(f) => {
                    f.error = error.to_owned();
                    f.failures += 1;
                }
                None => {
                    tracing::error!(error = %error.escape_debug(), "store writes are failing: pushes are refused with 503 until a write succeeds");
                    *s = Some(WriteFailure {
                        since: Utc::now(),
                        error: error.to_owned(),
                        failures: 1,
                    });
                }
            }
        }
    }

    pub fn succeeded(&self) {
        if let Ok(mut s) = self.0.lock() {
            if let Some(f) = s.take() {
                tracing::info!(failures = f.failures, "store writes succeed again");
            }
        }
    }

    /// `None` while writes succeed.
    pub fn failure(&self) -> Option<WriteFailure> {
        self.0.lock().ok().and_then(|s| s.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_lasts_until_a_write_succeeds() {
        let h = WriteHealth::default();
        assert_eq!(h.failure(), None);
        h.failed("database or disk is full");
        h.failed("database or disk is full (again)");
        let f = h.failure().unwrap();
        assert_eq!(
            (f.failures, f.error.as_str()),
            (2, "database or disk is full (again)")
        );
        h.succeeded();
        assert_eq!(h.failure(), None);
    }
}
