//! Soak: thousands of pushes to the real binary while it is SIGKILLed at random and Humand loses
//! answers *after* recording the entry; then every acknowledged event must be exactly one Humand
//! record, in order per employee, with no 429. Prints acknowledged / delivered / lost /
//! duplicated / out-of-order.
//!
//! CI runs a short version (a few hundred events) on SQLite, on PostgreSQL, and with three
//! replicas on PostgreSQL. A longer run, from the README:
//!
//! ```sh
//! SOAK_EVENTS=5000 SOAK_KILLS=15 cargo test --release --test soak -- --nocapture
//! ```
//!
//! `SOAK_EVENTS`, `SOAK_EMPLOYEES`, `SOAK_KILLS`, `SOAK_FAULT_PER_MILLE` and `SOAK_SEED` tune it.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::process::Service;
use hikbridge::sim::humand::{HumandSim, HumandSimConfig};
use hikbridge::store::{PunchFilter, Store, StoreOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

const SECRET: &str = "callback-secret-0123456789";
const KEY: &str = "ZGVtby1pZDpkZW1vLXNlY3JldA==";
/// Humand's budget in the simulator, and the service's setting: per second.
const BUDGET_PER_SEC: u32 = 60;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

struct Plan {
    events: usize,
    employees: usize,
    kills: usize,
    fault_per_mille: u32,
    seed: u64,
}

impl Plan {
    fn from_env() -> Plan {
        Plan {
            events: env_or("SOAK_EVENTS", 400) as usize,
            employees: env_or("SOAK_EMPLOYEES", 20) as usize,
            kills: env_or("SOAK_KILLS", 3) as usize,
            fault_per_mille: env_or("SOAK_FAULT_PER_MILLE", 50) as u32,
            seed: env_or("SOAK_SEED", rand::random::<u32>() as u64),
        }
    }
}

/// One access event the test sends: employee, sequence number, time, direction.
#[derive(Debug, Clone)]
struct Sent {
    id: String,
    employee: String,
    at: DateTime<Utc>,
    exit: bool,
}

impl Sent {
    fn json(&self) -> serde_json::Value {
        let door = if self.exit { "12" } else { "11" };
        json!({"eventId": self.id, "eventType": 196893,
            "happenTime": self.at.to_rfc3339(), "srcIndex": door, "srcName": format!("Door {door}"),
            "data": {"personCode": self.employee}})
    }
}

/// Every employee's events, alternating entry and exit two seconds apart, all on one UTC day
/// in the past (Humand refuses two STARTs in a row on a day).
fn plan_events(plan: &Plan) -> (Vec<String>, BTreeMap<String, VecDeque<Sent>>) {
    let employees: Vec<String> = (0..plan.employees)
        .map(|i| format!("{}", 1_300_000_000 + i))
        .collect();
    let per = plan.events.div_ceil(plan.employees.max(1));
    let now = Utc::now();
    let midnight = now.date_naive().and_hms_opt(0, 1, 0).map(|t| t.and_utc());
    let span = TimeDelta::seconds(2 * per as i64 + 60);
    let base = match midnight {
        Some(m) if now - m > span => m,
        _ => now - TimeDelta::hours(2) - span, // just after midnight: yesterday, late
    };
    let mut queues = BTreeMap::new();
    for (e, emp) in employees.iter().enumerate() {
        let q: VecDeque<Sent> = (0..per)
            .map(|k| Sent {
                id: format!("soak-{e}-{k}"),
                employee: emp.clone(),
                at: base + TimeDelta::seconds(2 * k as i64),
                exit: k % 2 == 1,
            })
            .collect();
        queues.insert(emp.clone(), q);
    }
    (employees, queues)
}

fn service_env(store_url: &str, humand_base: &str) -> Vec<(String, String)> {
    [
        ("HIKBRIDGE__STORE__URL", store_url),
        ("HIKBRIDGE__STORE__MAX_CONNECTIONS", "4"),
        ("HIKBRIDGE__EVENTS__CALLBACK_SECRET", SECRET),
        ("HIKBRIDGE__HUMAND__BASE_URL", humand_base),
        ("HIKBRIDGE__HUMAND__API_KEY", KEY),
        ("HIKBRIDGE__HUMAND__RATE_WINDOW_SECS", "1"),
        ("HIKBRIDGE__HUMAND__TIMEOUT_MS", "2000"),
        ("HIKBRIDGE__DELIVERY__SETTLE_SECS", "1"),
        ("HIKBRIDGE__DELIVERY__CONCURRENCY", "8"),
        ("HIKBRIDGE__CLUSTER__LEASE_SECS", "2"),
        (
            "HIKBRIDGE__ATTENDANCE__DOORS",
            "code:11=entry, code:12=exit",
        ),
        ("HIKBRIDGE__ATTENDANCE__DOUBLE_SCAN_WINDOW_SECS", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain([(
        "HIKBRIDGE__HUMAND__RATE_LIMIT".to_string(),
        BUDGET_PER_SEC.to_string(),
    )])
    .collect()
}

/// What the run ended with.
#[derive(Debug, Default)]
struct Tally {
    pushes: u64,
    refused: u64,
    acknowledged: usize,
    delivered: usize,
    lost: usize,
    duplicated: usize,
    out_of_order: usize,
    parked: usize,
    rate_limited: u64,
}

async fn soak(store_url: &str, replicas: usize, label: &str) -> Tally {
    let plan = Plan::from_env();
    eprintln!(
        "soak {label}: {} events, {} employees, {} kills, {}‰ of Humand answers lost after recording, seed {}",
        plan.events, plan.employees, plan.kills, plan.fault_per_mille, plan.seed
    );
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let humand = HumandSim::new(HumandSimConfig {
        limit: BUDGET_PER_SEC,
        window: Duration::from_secs(1),
        ..HumandSimConfig::default()
    });
    let (employees, mut queues) = plan_events(&plan);
    for e in &employees {
        humand.add_user(e, "Soak", e);
    }
    humand.faults.set_after_fault_rate(plan.fault_per_mille);
    let running = humand
        .start("127.0.0.1:0".parse().expect("address"))
        .await
        .expect("start the Humand simulator");
    let base = HumandSim::api_base(&running);
    let env = service_env(store_url, &base);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let dirs: Vec<tempfile::TempDir> = (0..replicas)
        .map(|_| tempfile::tempdir().unwrap())
        .collect();
    let mut services: Vec<Service> = dirs
        .iter()
        .map(|d| Service::start(d.path(), &env))
        .collect();
    for s in &mut services {
        s.wait_healthy().await;
    }

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let total: usize = queues.values().map(VecDeque::len).sum();
    let kill_every = total / (plan.kills + 1);
    let mut next_kill = kill_every;
    let mut sent_count = 0usize;
    let mut tally = Tally::default();
    let mut acked: HashMap<String, Sent> = HashMap::new();
    while queues.values().any(|q| !q.is_empty()) {
        // A push: 1–3 events of one employee, sometimes in reverse order, sometimes with
        // another employee's next event.
        let open: Vec<String> = queues
            .iter()
            .filter(|(_, q)| !q.is_empty())
            .map(|(e, _)| e.clone())
            .collect();
        let emp = open[rng.gen_range(0..open.len())].clone();
        let mut batch: Vec<Sent> = Vec::new();
        let take = rng.gen_range(1..=3);
        for _ in 0..take {
            if let Some(ev) = queues.get_mut(&emp).and_then(VecDeque::pop_front) {
                batch.push(ev);
            }
        }
        if rng.gen_bool(0.2) {
            batch.reverse();
        }
        if rng.gen_bool(0.2) {
            let other = open[rng.gen_range(0..open.len())].clone();
            if other != emp {
                if let Some(ev) = queues.get_mut(&other).and_then(VecDeque::pop_front) {
                    batch.push(ev);
                }
            }
        }
        let body = json!({"method": "OnEventNotify",
            "params": {"events": batch.iter().map(Sent::json).collect::<Vec<_>>()}});
        let target = rng.gen_range(0..services.len());
        let url = format!("{}/hikcentral/events/{SECRET}", services[target].base());
        tally.pushes += 1;
        let ok = matches!(client.post(&url).json(&body).send().await, Ok(r) if r.status() == 200);
        if ok {
            sent_count += batch.len();
            for ev in batch {
                acked.insert(ev.id.clone(), ev);
            }
        } else {
            // HikCentral pushes again: back to the front of each employee's queue, in order.
            tally.refused += 1;
            batch.sort_by_key(|e| std::cmp::Reverse(e.at));
            for ev in batch {
                if let Some(q) = queues.get_mut(&ev.employee) {
                    q.push_front(ev);
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if plan.kills > 0 && sent_count >= next_kill && next_kill > 0 {
            next_kill += kill_every.max(1);
            let victim = rng.gen_range(0..services.len());
            eprintln!("  SIGKILL replica {victim} after {sent_count} acknowledged events");
            services[victim].restart();
            if replicas == 1 {
                services[victim].wait_healthy().await;
            } else {
                // The others keep receiving while it comes back.
                let _ =
                    tokio::time::timeout(Duration::from_secs(20), services[victim].wait_healthy())
                        .await;
            }
        }
    }
    tally.acknowledged = acked.len();

    // Wait until every acknowledged event's punch reached a final state.
    let store = Store::connect(store_url, &StoreOptions::default())
        .await
        .expect("open the store");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    loop {
        let punches = store
            .punches()
            .list(&PunchFilter {
                limit: 1_000_000,
                ..Default::default()
            })
            .await
            .expect("list punches");
        let finished = punches
            .iter()
            .filter(|p| acked.contains_key(&p.event_id))
            .filter(|p| matches!(p.state.as_str(), "delivered" | "parked" | "discarded"))
            .count();
        if finished >= acked.len() || tokio::time::Instant::now() >= deadline {
            tally.parked = punches.iter().filter(|p| p.state == "parked").count();
            for p in punches.iter().filter(|p| p.state != "delivered") {
                eprintln!(
                    "  not delivered: punch {} {} {} at {} state {} reason {:?} error {:?} answer {:?}",
                    p.id, p.employee_id, p.direction, p.at_ms, p.state, p.park_reason, p.last_error, p.response_body
                );
            }
            if finished < acked.len() {
                eprintln!(
                    "  gave up waiting: {finished} of {} punches finished",
                    acked.len()
                );
            }
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for s in &mut services {
        s.kill();
    }
    store.close().await;

    // Humand's view: one record per acknowledged event, in order per employee.
    let mut seen: HashMap<(String, String, bool), usize> = HashMap::new();
    let mut per_employee: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
    for entry in humand.all_entries() {
        let emp = entry["employeeInternalId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let time = entry["time"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let exit = entry["type"] == "END";
        *seen
            .entry((emp.clone(), time.to_rfc3339(), exit))
            .or_default() += 1;
        per_employee.entry(emp).or_default().push(time);
    }
    for ev in acked.values() {
        match seen.get(&(ev.employee.clone(), ev.at.to_rfc3339(), ev.exit)) {
            Some(1) => tally.delivered += 1,
            Some(n) => {
                tally.delivered += 1;
                tally.duplicated += n - 1;
            }
            None => tally.lost += 1,
        }
    }
    tally.out_of_order = per_employee
        .values()
        .map(|times| times.windows(2).filter(|w| w[1] < w[0]).count())
        .sum();
    tally.rate_limited = humand.rate_limited();
    eprintln!(
        "\n| run | pushes | refused | acknowledged | delivered | lost | duplicated | out of order | parked | 429s |\n\
         |---|---|---|---|---|---|---|---|---|---|\n\
         | {label} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        tally.pushes,
        tally.refused,
        tally.acknowledged,
        tally.delivered,
        tally.lost,
        tally.duplicated,
        tally.out_of_order,
        tally.parked,
        tally.rate_limited
    );
    tally
}

fn assert_clean(t: &Tally) {
    assert!(t.acknowledged > 0, "nothing was acknowledged: {t:?}");
    assert_eq!(t.lost, 0, "lost acknowledged events: {t:?}");
    assert_eq!(t.duplicated, 0, "duplicated Humand records: {t:?}");
    assert_eq!(t.out_of_order, 0, "records out of order: {t:?}");
    assert_eq!(t.parked, 0, "punches needing a human: {t:?}");
    assert_eq!(t.delivered, t.acknowledged, "{t:?}");
    assert_eq!(t.rate_limited, 0, "Humand answered 429: {t:?}");
}

#[tokio::test]
async fn soak_sqlite_with_kills_and_lost_answers() {
    let db = common::db::sqlite_db().await;
    db.store.close().await;
    let t = soak(&db.url, 1, "sqlite, 1 replica").await;
    assert_clean(&t);
    db.cleanup().await;
}

/// The soak on a fresh PostgreSQL database with `replicas` processes.
async fn soak_on_postgres(replicas: usize) {
    let Some(db) = common::db::postgres_db().await else {
        eprintln!(
            "postgres skipped: {} is not set",
            common::db::POSTGRES_URL_VAR
        );
        return;
    };
    let label = format!("postgres, {replicas} replica(s)");
    let t = soak(&db.url, replicas, &label).await;
    assert_clean(&t);
    db.cleanup().await;
}

#[tokio::test]
async fn soak_postgres_with_kills_and_lost_answers() {
    soak_on_postgres(1).await;
}

#[tokio::test]
async fn soak_two_replicas_on_postgres_one_killed_at_a_time() {
    soak_on_postgres(2).await;
}

#[tokio::test]
async fn soak_three_replicas_on_postgres_one_killed_at_a_time() {
    soak_on_postgres(3).await;
}
