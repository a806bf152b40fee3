//! The service killed with SIGKILL mid-delivery and restarted: every acknowledged event ends
//! decided, every punch delivered exactly once (or parked with a reason), no duplicate clock
//! records.

mod common;

use common::db::{db_for, Db};
use common::process::Service;
use hikbridge::sim::humand::{HumandSim, HumandSimConfig};
use hikbridge::store::{PunchFilter, Store, StoreOptions};
use rstest::rstest;
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

const SECRET: &str = "callback-secret-0123456789";
const KEY: &str = "ZGVtby1pZDpkZW1vLXNlY3JldA==";

fn start(dir: &std::path::Path, humand_base: &str, store_url: &str) -> Service {
    Service::start(
        dir,
        &[
            ("HIKBRIDGE__STORE__URL", store_url),
            ("HIKBRIDGE__EVENTS__CALLBACK_SECRET", SECRET),
            ("HIKBRIDGE__HUMAND__BASE_URL", humand_base),
            ("HIKBRIDGE__HUMAND__API_KEY", KEY),
            ("HIKBRIDGE__HUMAND__RATE_LIMIT", "1000"),
            ("HIKBRIDGE__HUMAND__RATE_WINDOW_SECS", "1"),
            ("HIKBRIDGE__HUMAND__TIMEOUT_MS", "2000"),
            ("HIKBRIDGE__DELIVERY__SETTLE_SECS", "0"),
            ("HIKBRIDGE__CLUSTER__LEASE_SECS", "2"),
            ("HIKBRIDGE__EVENTS__ACCEPT_PAST_HOURS", "876000"),
            (
                "HIKBRIDGE__ATTENDANCE__DOORS",
                "code:11=entry, code:12=exit",
            ),
        ],
    )
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn sigkill_mid_delivery_loses_nothing_and_duplicates_nothing(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    eprintln!("crash test on {}", db.name);
    crash_and_recover(&db.url).await;
    db.cleanup().await;
}

async fn crash_and_recover(store_url: &str) {
    let humand = HumandSim::new(HumandSimConfig {
        limit: 10_000,
        ..HumandSimConfig::default()
    });
    let employees: Vec<String> = (1..=12).map(|i| format!("{}", 1_200_000_000 + i)).collect();
    for e in &employees {
        humand.add_user(e, "Crash", e);
    }
    // Slow answers keep deliveries in flight when the kill comes.
    humand.faults.set_latency_ms(150);
    let running = humand.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = HumandSim::api_base(&running);

    let dir = tempfile::tempdir().unwrap();
    let mut svc = start(dir.path(), &base, store_url);
    svc.wait_healthy().await;
    let port = svc.port;

    // Entry and exit for each employee; every POST acknowledged with 200.
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/hikcentral/events/{SECRET}");
    let mut acknowledged = Vec::new();
    for (i, e) in employees.iter().enumerate() {
        for (n, (door, hour)) in [("11", 8), ("12", 17)].into_iter().enumerate() {
            let id = format!("crash-{i}-{n}");
            let body = json!({"method": "OnEventNotify", "params": {"events": [{
                "eventId": id, "eventType": 196893, "happenTime": format!("2026-01-27T{hour:02}:00:00-03:00"),
                "srcIndex": door, "srcName": format!("Door {door}"), "data": {"personCode": e}}]}});
            let res = client.post(&url).json(&body).send().await.unwrap();
            assert_eq!(res.status(), 200);
            acknowledged.push(id);
        }
    }

    // Kill it while deliveries are under way.
    for _ in 0..400 {
        if humand.all_entries().len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        humand.all_entries().len() < acknowledged.len(),
        "the kill must come mid-delivery"
    );
    svc.restart(); // SIGKILL, then start again
    svc.wait_healthy().await;
    let store = Store::connect(store_url, &StoreOptions::default())
        .await
        .unwrap();
    let mut settled = false;
    for _ in 0..1200 {
        let punches = store
            .punches()
            .list(&PunchFilter {
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap();
        let pending = store.pending_events(i64::MAX, 1).await.unwrap();
        if pending.is_empty()
            && punches.len() == acknowledged.len()
            && punches
                .iter()
                .all(|p| p.state == "delivered" || p.state == "parked")
        {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    svc.kill();
    assert!(
        settled,
        "every acknowledged event must end delivered or parked"
    );

    for id in &acknowledged {
        let ev = store
            .inbox()
            .get(id)
            .await
            .unwrap()
            .expect("acknowledged event is stored");
        assert_eq!(ev.state, "decided", "{id}");
        let p = store
            .punches()
            .by_event(id)
            .await
            .unwrap()
            .expect("a punch per event");
        assert_eq!(p.state, "delivered", "{id}: {p:?}");
    }
    // Exactly once in Humand: one entry per punch, no duplicate times per employee.
    let mut per_employee: HashMap<String, Vec<String>> = HashMap::new();
    for e in humand.all_entries() {
        per_employee
            .entry(e["employeeInternalId"].as_str().unwrap().to_string())
            .or_default()
            .push(e["type"].as_str().unwrap().to_string());
    }
    assert_eq!(
        humand.all_entries().len(),
        acknowledged.len(),
        "no duplicates, nothing lost"
    );
    for e in &employees {
        assert_eq!(
            per_employee.get(e).map(Vec::as_slice),
            Some(&["START".to_string(), "END".to_string()][..]),
            "{e}"
        );
    }
    store.close().await;
}
