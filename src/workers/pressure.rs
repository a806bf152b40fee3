//! Ingest pressure: whether the inbox writer is saturated right now, i.e. it finished a commit
//! and found the next request already waiting. The decider yields to it, so an ingest burst is
//! acknowledged at full speed and decided just after, at a bounded lag.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct IngestPressure {
    base: Instant,
    /// Milliseconds after `base` of the last saturated commit, plus one (0: never).
    last: AtomicU64,
}

impl Default for IngestPressure {
    fn default() -> Self {
        Self {
            base: Instant::now(),
            last: AtomicU64::new(0),
        }
    }
}

impl IngestPressure {
    /// The writer found more work waiting after a commit.
    pub fn saturated(&self) {
        let ms = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms.saturating_add(1), Ordering::Relaxed);
    }

    /// Whether the writer was saturated within the last `within`.
    pub fn active(&self, within: Duration) -> bool {
        let last = self.last.load(Ordering::Relaxed);
        if last == 0 {
            return false;
        }
        let now = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        now.saturating_add(1).saturating_sub(last)
            < u64::try_from(within.as_millis()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pressure_is_recent_saturation_only() {
        let p = IngestPressure::default();
        assert!(!p.active(Duration::from_secs(1)), "never saturated");
        p.saturated();
        assert!(p.active(Duration::from_secs(1)));
        assert!(!p.active(Duration::ZERO), "nothing is within no time");
    }
}
