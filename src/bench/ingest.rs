//! Ingest benchmark: unique events POSTed to the real callback of a `serve` child process.
//!
//! - Closed loop: `connections` clients, each sending its next push as soon as the previous one
//!   is answered, for `duration`: the maximum the service sustains.
//! - Open loop: pushes scheduled at a fixed `rate`; a push's latency counts from when it was
//!   *due*, not from when a busy client got round to sending it, so a stall shows in the
//!   percentiles (no coordinated omission).
//!
//! It verifies itself: every event is decided after the load (the decider yields to a burst
//! and catches up; the time it takes is reported), and after a graceful stop every
//! acknowledged event must be in the store.

use super::server::Served;
use crate::store::{Store, StoreOptions};
use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

const SECRET: &str = "bench-callback-secret-0123456789";

#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// The store `serve` uses.
    pub store_url: String,
    pub connections: usize,
    pub duration: Duration,
    pub events_per_post: usize,
    /// Pushes per second (open loop); `None`: closed loop.
    pub rate: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct IngestResult {
    pub acked_events: u64,
    pub failed_posts: u64,
    pub elapsed: Duration,
    /// Latency percentiles in milliseconds: p50, p99, p99.9, max.
    pub latency_ms: [f64; 4],
    pub stored_events: i64,
    pub peak_rss_mib: Option<f64>,
    /// CPU the service used during the load, per acknowledged event, in microseconds.
    pub cpu_us_per_event: Option<f64>,
    /// How long after the load every event was decided (`None`: not within the limit).
    pub decided_after: Option<Duration>,
    /// Lines the service logged (at `info`, as shipped) from its start to its stop.
    pub log_lines: Option<u64>,
}

impl IngestResult {
    pub fn events_per_sec(&self) -> f64 {
        self.acked_events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Every acknowledged event is stored, and was decided after the load.
    pub fn verified(&self) -> bool {
        self.stored_events >= i64::try_from(self.acked_events).unwrap_or(i64::MAX)
            && self.decided_after.is_some()
    }
}

pub async fn run(dir: &std::path::Path, opts: &IngestOptions) -> anyhow::Result<IngestResult> {
    // What earlier scenarios (or a build just before) wrote is flushed first, so its writeback
    // does not stall this scenario's fsyncs: one run right after a release build measured an
    // open-loop p99 of 41 ms, and 5 ms once the disk was idle.
    flush_the_disk().await;
    let served = Served::start(
        dir,
        &[
            ("HIKBRIDGE__STORE__URL", opts.store_url.clone()),
            ("HIKBRIDGE__EVENTS__CALLBACK_SECRET", SECRET.to_owned()),
            (
                "HIKBRIDGE__SERVER__MAX_CONNECTIONS",
                (opts.connections + 64).to_string(),
            ),
        ],
    )
    .await?;
    let url = format!("{}/hikcentral/events/{SECRET}", served.base);
    let hist = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(
        1, 60_000_000, 3,
    )?));
    let acked = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let next = Arc::new(AtomicU64::new(0));
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let happen = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let cpu_before = served.cpu_time();
    let start = Instant::now();
    let deadline = start + opts.duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..opts.connections.max(1) {
        let mut client = super::push_client::PushClient::new(&url)?;
        let (hist, acked, failed, next) =
            (hist.clone(), acked.clone(), failed.clone(), next.clone());
        let (run_id, happen, per_post, rate) = (
            run_id.clone(),
            happen.clone(),
            opts.events_per_post.max(1),
            opts.rate,
        );
        tasks.spawn(async move {
            let mut local = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).ok();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                // Open loop: push n is due at start + n / rate.
                let due = match rate {
                    Some(r) => {
                        let at = start + Duration::from_secs_f64(n as f64 / f64::from(r.max(1)));
                        if at >= deadline {
                            break;
                        }
                        tokio::time::sleep_until(at).await;
                        at
                    }
                    None => {
                        let now = Instant::now();
                        if now >= deadline {
                            break;
                        }
                        now
                    }
                };
                let body = notify(&run_id, n, per_post, &happen);
                let ok = client.post(body).await;
                let micros = u64::try_from(due.elapsed().as_micros()).unwrap_or(u64::MAX);
                if ok {
                    acked.fetch_add(per_post as u64, Ordering::Relaxed);
                    if let Some(h) = local.as_mut() {
                        let _ = h.record(micros.max(1));
                    }
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
            if let (Some(l), Ok(mut h)) = (local, hist.lock()) {
                let _ = h.add(&l);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = start.elapsed();
    let acked_events = acked.load(Ordering::Relaxed);
    let cpu_us_per_event = match (cpu_before, served.cpu_time()) {
        (Some(before), Some(after)) if acked_events > 0 => {
            Some(after.saturating_sub(before).as_secs_f64() * 1e6 / acked_events as f64)
        }
        _ => None,
    };
    // The decider yields to a burst: how long after the load it has decided everything.
    let store = Store::connect(&opts.store_url, &StoreOptions::default()).await?;
    let load_ended = Instant::now();
    let decided_after = loop {
        if super::count(&store, "SELECT COUNT(*) FROM events WHERE state = 'new'").await? == 0 {
            break Some(load_ended.elapsed());
        }
        if load_ended.elapsed() > CATCH_UP_LIMIT {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let peak_rss_mib = served.peak_rss_mib();
    let log = served.log_path().to_owned();
    served.stop().await?;
    let log_lines = super::server::count_lines(&log);
    let stored_events = store.inbox().count().await?;
    store.close().await;
    let h = hist.lock().map_err(|_| anyhow::anyhow!("histogram lock"))?;
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    Ok(IngestResult {
        acked_events,
        failed_posts: failed.load(Ordering::Relaxed),
        elapsed,
        latency_ms: [ms(0.5), ms(0.99), ms(0.999), h.max() as f64 / 1000.0],
        stored_events,
        peak_rss_mib,
        cpu_us_per_event,
        decided_after,
        log_lines,
    })
}

/// The longest the benchmark waits for the decider to catch up after the load.
const CATCH_UP_LIMIT: Duration = Duration::from_secs(600);

/// One `OnEventNotify` push with `per_post` unique events.
fn notify(run: &str, n: u64, per_post: usize, happen: &str) -> String {
    let events: Vec<String> = (0..per_post)
        .map(|i| {
            format!(
                r#"{{"eventId":"b-{run}-{n}-{i}","eventType":196893,"happenTime":"{happen}","srcIndex":"1","srcName":"Door 1","srcType":"door","data":{{"personCode":"1700000001"}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"method":"OnEventNotify","params":{{"ability":"event_acs","events":[{}]}}}}"#,
        events.join(",")
    )
}

/// `sync(1)`: write every dirty page out and wait. Best effort: without it the scenario still
/// runs, only less steadily.
async fn flush_the_disk() {
    if let Err(e) = tokio::process::Command::new("sync").status().await {
        eprintln!("bench: could not run sync ({e}); figures may be noisier");
    }
}
