//! Helpers shared by the integration tests. Each test binary uses only some of them.
#![allow(dead_code)]

pub mod app;
pub mod db;
pub mod process;
#[cfg(feature = "sim")]
pub mod upstreams;

use std::time::Duration;

/// A callback fixture from `tests/fixtures/hikcentral-events/`.
pub fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/hikcentral-events/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Wait until `check` holds (workers run in the background), failing after 20 s.
pub async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
