//! Decisions from a backlog: the catch-up after an outage. `events` unique access events (an
//! entry door and an exit door, alternating per employee) are committed to the inbox the way
//! ingest commits them, then one decider decides them all; the figure is events decided per
//! second. It verifies itself: nothing is left pending and every event became exactly one
//! punch (none skipped or parked), so a fast wrong run cannot pass.
//!
//! The same generator fills the outbox for the delivery benchmark.

use crate::attendance::event::parse_notify;
use crate::config::Settings;
use crate::store::{Store, StoreOptions};
use crate::workers::decider::Decider;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Door rules of the generated events.
pub const DOORS: &str = "1=entry, 2=exit";
/// Events per `OnEventNotify` push (one ingest group).
const PER_GROUP: usize = 50;
/// Groups per transaction, as the ingest writer batches them.
const GROUPS_PER_COMMIT: usize = 20;

#[derive(Debug, Clone)]
pub struct BacklogResult {
    pub events: u64,
    pub elapsed: Duration,
    pub left_pending: i64,
    pub punches: i64,
    pub peak_rss_mib: Option<f64>,
}

impl BacklogResult {
    pub fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Everything decided, and into exactly one punch each.
    pub fn verified(&self) -> bool {
        self.left_pending == 0 && self.punches == i64::try_from(self.events).unwrap_or(-1)
    }
}

/// Settings for a store at `store_url` with the generator's doors and no settle time.
pub fn settings(store_url: &str, extra: &[(&str, &str)]) -> anyhow::Result<Settings> {
    let mut env = vec![
        ("HIKBRIDGE__STORE__URL", store_url),
        ("HIKBRIDGE__ATTENDANCE__DOORS", DOORS),
        ("HIKBRIDGE__DELIVERY__SETTLE_SECS", "0"),
    ];
    env.extend_from_slice(extra);
    Settings::defaults_with_env(&env).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Person code of generated employee `i`.
pub fn employee(i: usize) -> String {
    format!("{}", 1_700_000_000 + i)
}

/// Commit `events` events for `employees` employees: each employee's events alternate entry
/// and exit, `spacing` apart, ending a minute ago; pushed in event-time order of each employee.
pub async fn fill_inbox(
    store: &Store,
    events: usize,
    employees: usize,
    spacing: Duration,
) -> anyhow::Result<()> {
    let employees = employees.max(1);
    let per_employee = events.div_ceil(employees);
    let end = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
    let step = chrono::TimeDelta::from_std(spacing)?;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut pushes = Vec::new();
    let mut batch = Vec::with_capacity(PER_GROUP);
    for n in 0..events {
        let (emp, k) = (n % employees, n / employees);
        let back = i32::try_from(per_employee - k).unwrap_or(i32::MAX);
        let at = (end - step * back).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let door = if k % 2 == 0 { "1" } else { "2" };
        batch.push(format!(
            r#"{{"eventId":"bl-{run}-{n}","eventType":196893,"happenTime":"{at}","srcIndex":"{door}","srcName":"Door {door}","srcType":"door","data":{{"personCode":"{}"}}}}"#,
            employee(emp)
        ));
        if batch.len() == PER_GROUP || n + 1 == events {
            let body = format!(
                r#"{{"method":"OnEventNotify","params":{{"ability":"event_acs","events":[{}]}}}}"#,
                batch.join(",")
            );
            batch.clear();
            pushes.push(parse_notify(body.as_bytes()).map_err(|e| anyhow::anyhow!("{e}"))?);
        }
        // Committed as they are made, so the generator holds one commit's worth at a time.
        if pushes.len() == GROUPS_PER_COMMIT || n + 1 == events {
            let groups: Vec<_> = pushes.drain(..).map(std::sync::Arc::new).collect();
            let now_ms = chrono::Utc::now().timestamp_millis();
            store.inbox().commit_groups(&groups, "push", now_ms).await?;
        }
    }
    Ok(())
}

/// A decider for the generated events (no HikCentral, no Humand look-ups).
pub fn decider(store: &Store, settings: &Settings) -> Decider {
    Decider::new(
        store.clone(),
        None,
        settings.attendance.rules(),
        Arc::new(Notify::new()),
        Arc::new(Notify::new()),
    )
}

pub async fn run(
    store_url: &str,
    events: usize,
    employees: usize,
) -> anyhow::Result<BacklogResult> {
    let settings = settings(store_url, &[])?;
    let store = Store::connect(store_url, &StoreOptions::default()).await?;
    store.migrate().await?;
    fill_inbox(&store, events, employees, Duration::from_secs(600)).await?;
    let decider = decider(&store, &settings);
    let started = Instant::now();
    decider
        .decide_pending(chrono::Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let elapsed = started.elapsed();
    let left_pending = super::count(
        &store,
        "SELECT COUNT(*) FROM events WHERE state IN ('new', 'held')",
    )
    .await?;
    let punches = super::count(&store, "SELECT COUNT(*) FROM punches").await?;
    store.close().await;
    Ok(BacklogResult {
        events: u64::try_from(events)?,
        elapsed,
        left_pending,
        punches,
        peak_rss_mib: own_peak_rss_mib(),
    })
}

/// This process's peak resident memory (Linux `VmHWM`), in MiB.
pub fn own_peak_rss_mib() -> Option<f64> {
    super::server::peak_rss_of("self")
}
