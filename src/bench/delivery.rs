//! Delivery pace against the Humand simulator: a backlog of punches (far more than the run can
//! deliver) goes to a simulator enforcing `limit` requests per fixed `window`, answering at once
//! or after a latency; the figure is the share of the budget spent (accepted clock requests over
//! `limit × elapsed / window`) and the 429s drawn.
//!
//! With `retry_after`, another client of the same key spends the rest of the budget in the
//! middle of the second window (someone else's script), so delivery draws a 429 with
//! `Retry-After`; the figure is then the share of `limit` delivered in the window after the
//! pause ends (full pace again within one window).
//!
//! It verifies itself: every punch the store calls delivered is an entry in the simulator, and
//! none was parked.

use super::backlog;
use crate::humand::HumandClient;
use crate::sim::humand::{HumandSim, HumandSimConfig};
use crate::store::{Store, StoreOptions};
use crate::workers::delivery::{Delivery, DeliveryOptions};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const EMPLOYEES: usize = 200;
const CONCURRENCY: u32 = 4;

#[derive(Debug, Clone, Copy)]
pub struct DeliveryScenario {
    pub limit: u32,
    pub window: Duration,
    pub latency: Duration,
    pub retry_after: bool,
}

#[derive(Debug, Clone)]
pub struct DeliveryResult {
    /// Accepted clock requests.
    pub accepted: u64,
    pub elapsed: Duration,
    /// Calls the limit allowed in `elapsed`.
    pub budget: f64,
    /// 429s drawn by delivery (not by the other client).
    pub rate_limited: u64,
    /// With `retry_after`: accepted in the window after the pause, over `limit`.
    pub after_pause: Option<f64>,
    pub delivered_in_store: i64,
    pub entries_in_humand: u64,
    pub parked: i64,
}

impl DeliveryResult {
    pub fn share_of_budget(&self) -> f64 {
        self.accepted as f64 / self.budget.max(1e-9)
    }

    pub fn verified(&self) -> bool {
        self.parked == 0
            && u64::try_from(self.delivered_in_store).ok() == Some(self.entries_in_humand)
    }
}

pub async fn run(dir: &std::path::Path, sc: DeliveryScenario) -> anyhow::Result<DeliveryResult> {
    let windows: u32 = if sc.retry_after { 3 } else { 2 };
    let sim = HumandSim::new(HumandSimConfig {
        limit: sc.limit,
        window: sc.window,
        ..HumandSimConfig::default()
    });
    let key = HumandSimConfig::default().api_key;
    for i in 0..EMPLOYEES {
        sim.add_user(&backlog::employee(i), "Bench", &format!("Person{i}"));
    }
    let running = sim.start(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let base = HumandSim::api_base(&running);
    let store_url = format!(
        "sqlite://{}",
        dir.join(format!("delivery-{}.db", uuid::Uuid::new_v4().simple()))
            .display()
    );
    let (limit, window) = (sc.limit.to_string(), sc.window.as_secs().to_string());
    let concurrency = CONCURRENCY.to_string();
    let settings = backlog::settings(
        &store_url,
        &[
            ("HIKBRIDGE__HUMAND__BASE_URL", base.as_str()),
            ("HIKBRIDGE__HUMAND__API_KEY", key.as_str()),
            ("HIKBRIDGE__HUMAND__RATE_LIMIT", limit.as_str()),
            ("HIKBRIDGE__HUMAND__RATE_WINDOW_SECS", window.as_str()),
            ("HIKBRIDGE__DELIVERY__CONCURRENCY", concurrency.as_str()),
        ],
    )?;
    let store = Store::connect(&store_url, &StoreOptions::default()).await?;
    store.migrate().await?;
    // Twice what the run can deliver, a minute apart per employee.
    let punches = usize::try_from(sc.limit * windows * 2)?.max(EMPLOYEES);
    backlog::fill_inbox(&store, punches, EMPLOYEES, Duration::from_secs(60)).await?;
    backlog::decider(&store, &settings)
        .decide_pending(chrono::Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    sim.faults
        .set_latency_ms(u64::try_from(sc.latency.as_millis()).unwrap_or(u64::MAX));

    let pacer = HumandClient::pacer_for(&settings.humand, CONCURRENCY);
    let client = HumandClient::new(&settings.humand, pacer)?;
    let delivery = Delivery::new(
        store.clone(),
        Some(client),
        DeliveryOptions::from_settings(&settings, "bench"),
        Arc::new(Notify::new()),
    );
    let stop = CancellationToken::new();
    let started = Instant::now();
    let worker = tokio::spawn(delivery.run(stop.clone()));
    // The accepted-request count over time, to read off any window.
    let samples = Arc::new(Mutex::new(vec![(started, 0u64)]));
    let sampler = {
        let (sim, samples) = (sim.clone(), samples.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if let Ok(mut s) = samples.lock() {
                    s.push((Instant::now(), sim.clock_requests()));
                }
            }
        })
    };
    let mut pause_end = None;
    let mut other_429s = 0;
    if sc.retry_after {
        tokio::time::sleep_until(started + sc.window + sc.window / 2).await;
        let (end, drawn) = spend_the_rest(&base, &key).await?;
        pause_end = Some(end);
        other_429s = drawn;
    }
    // Long enough to see a whole window after the pause.
    let end = (started + sc.window * windows)
        .max(pause_end.map_or(started, |p| p + sc.window + Duration::from_secs(1)));
    tokio::time::sleep_until(end).await;
    stop.cancel();
    worker.await??;
    sampler.abort();
    let elapsed = started.elapsed();
    let accepted = sim.clock_requests();
    let after_pause = match pause_end {
        Some(from) => {
            let s = samples
                .lock()
                .map_err(|_| anyhow::anyhow!("samples lock"))?;
            let at = |t: Instant| s.iter().find(|(when, _)| *when >= t).map(|(_, n)| *n);
            match (at(from), at(from + sc.window)) {
                (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / f64::from(sc.limit)),
                _ => Some(0.0),
            }
        }
        None => None,
    };
    let delivered_in_store = super::count(
        &store,
        "SELECT COUNT(*) FROM punches WHERE state = 'delivered'",
    )
    .await?;
    let parked = super::count(
        &store,
        "SELECT COUNT(*) FROM punches WHERE state = 'parked'",
    )
    .await?;
    store.close().await;
    let entries_in_humand = sim
        .all_entries()
        .iter()
        .filter(|e| e.get("source").and_then(|s| s.as_str()) == Some("API"))
        .count() as u64;
    Ok(DeliveryResult {
        accepted,
        elapsed,
        budget: f64::from(sc.limit) * elapsed.as_secs_f64() / sc.window.as_secs_f64(),
        rate_limited: sim.rate_limited().saturating_sub(other_429s),
        after_pause,
        delivered_in_store,
        entries_in_humand,
        parked,
    })
}

/// Another client of the same key reads users until the window is spent; returns when the
/// window ends (its 429's Retry-After) and the 429s it drew.
async fn spend_the_rest(base: &str, key: &str) -> anyhow::Result<(Instant, u64)> {
    let http = reqwest::Client::new();
    loop {
        let r = http
            .get(format!("{base}/users"))
            .query(&[("page", "1"), ("limit", "10")])
            .header("authorization", format!("Basic {key}"))
            .send()
            .await?;
        if r.status().as_u16() == 429 {
            let wait = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(crate::upstream::retry::parse_retry_after)
                .unwrap_or_default();
            return Ok((Instant::now() + wait, 1));
        }
    }
}
