//! HikCentral events → decisions → Humand clock records, end to end against both simulators,
//! on SQLite and PostgreSQL.

mod common;

use common::{fixture, until};

use common::app::TestApp;
use common::db::{db_for, Db, TestDb};
use common::upstreams::{hikcentral, APP_KEY, APP_SECRET};
use hikbridge::sim::humand::{HumandSim, HumandSimConfig};
use hikbridge::sim::RunningSim;
use hikbridge::store::{Punch, PunchFilter};
use rstest::rstest;
use serde_json::{json, Value};
use std::time::Duration;

const SECRET: &str = "callback-secret-0123456789";
const URL: &str = "/hikcentral/events/callback-secret-0123456789";
const HUMAND_KEY: &str = "ZGVtby1pZDpkZW1vLXNlY3JldA==";

struct Flow {
    app: TestApp,
    humand: HumandSim,
    _humand_running: RunningSim,
    hik: hikbridge::sim::hikcentral::HikSim,
    _hik_running: RunningSim,
}

async fn flow(db: &TestDb, humand_cfg: HumandSimConfig, extra: &[(&str, &str)]) -> Flow {
    let humand = HumandSim::new(humand_cfg);
    for id in [
        "1712345678",
        "0923456789",
        "1100000001",
        "1100000002",
        "1100000003",
    ] {
        humand.add_user(id, "Test", id);
    }
    let humand_running = humand.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let humand_base = HumandSim::api_base(&humand_running);
    let (hik, hik_running) = hikcentral(None).await;
    hik.add_person(json!({"personId": "187", "personCode": "1712345678", "personGivenName": "Ana", "personFamilyName": "Mora", "orgIndexCode": "1"}));
    let mut env = vec![
        ("HIKBRIDGE__EVENTS__CALLBACK_SECRET", SECRET),
        (
            "HIKBRIDGE__HIKCENTRAL__BASE_URL",
            hik_running.base_url.as_str(),
        ),
        ("HIKBRIDGE__HIKCENTRAL__APP_KEY", APP_KEY),
        ("HIKBRIDGE__HIKCENTRAL__APP_SECRET", APP_SECRET),
        ("HIKBRIDGE__HUMAND__BASE_URL", humand_base.as_str()),
        ("HIKBRIDGE__HUMAND__API_KEY", HUMAND_KEY),
        ("HIKBRIDGE__HUMAND__RATE_LIMIT", "50"),
        ("HIKBRIDGE__HUMAND__RATE_WINDOW_SECS", "1"),
        (
            "HIKBRIDGE__ATTENDANCE__DOORS",
            "code:11=entry, code:12=exit, name:Torniquete=toggle",
        ),
        ("HIKBRIDGE__DELIVERY__CREDENTIALS_PROBE_SECS", "1"),
    ];
    env.extend_from_slice(extra);
    let app = TestApp::builder().on_store(&db.url).env(&env).start().await;
    Flow {
        app,
        humand,
        _humand_running: humand_running,
        hik,
        _hik_running: hik_running,
    }
}

async fn push(f: &Flow, body: &str) {
    let res = f
        .app
        .server
        .post(URL)
        .content_type("application/json")
        .bytes(body.to_string().into())
        .await;
    assert_eq!(res.status_code(), 200, "{}", res.text());
}

/// Push one granted face entry (door 11, 08:00 local on 2026-01-27) of `code` as event `id`.
async fn push_entry(f: &Flow, id: &str, code: &str) {
    push(
        f,
        &notify(vec![event(
            id,
            196893,
            "2026-01-27T08:00:00-03:00",
            "11",
            "Facial Entrada",
            code,
        )]),
    )
    .await;
}

fn event(id: &str, ty: u32, time: &str, door: &str, door_name: &str, code: &str) -> Value {
    json!({"eventId": id, "eventType": ty, "happenTime": time, "srcIndex": door, "srcName": door_name, "srcType": "door",
           "data": {"personCode": code}})
}

fn notify(events: Vec<Value>) -> String {
    json!({"method": "OnEventNotify", "params": {"ability": "event_acs", "events": events}})
        .to_string()
}

async fn punches(db: &TestDb) -> Vec<Punch> {
    db.store
        .punches()
        .list(&PunchFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
}

/// Every event decided and every punch final. Events are read first: once none is pending,
/// every punch they produced is already committed (decision and punch share a transaction).
async fn settled(db: &TestDb) -> bool {
    let none_pending = db
        .store
        .pending_events(i64::MAX, 1)
        .await
        .unwrap()
        .is_empty();
    let p = punches(db).await;
    none_pending
        && p.iter().all(|p| {
            matches!(
                p.state.as_str(),
                "delivered" | "parked" | "dry_run" | "discarded"
            )
        })
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn fixtures_become_clock_records_and_denied_events_never_do(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let f = flow(&db, HumandSimConfig::default(), &[]).await;
    push(&f, &fixture("hcp-granted-face-entry.json")).await;
    push(&f, &fixture("hcp-batch-exit-card-and-denied.json")).await;
    push(&f, &fixture("hcp-batch-exit-card-and-denied.json")).await; // repeated push
    until("all decided and delivered", || settled(&db)).await;

    let ana = f.humand.entries("1712345678");
    assert_eq!(ana.len(), 2, "{}: {ana:?}", db.name);
    assert_eq!(ana[0]["type"], "START");
    assert_eq!(ana[0]["time"], "2026-01-27T11:04:00.000Z");
    assert_eq!(ana[1]["type"], "END");
    assert_eq!(ana[1]["time"], "2026-01-27T20:30:12.000Z");
    assert_eq!(ana[0]["comment"], "HikCentral: Facial Entrada");

    // 0923456789 exits without having entered: Humand refuses; the punch is parked with its body.
    let p = db
        .store
        .punches()
        .by_event("5f0c1a2e-1111-4a3b-9c7d-000000000003")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.state, "parked", "{}", db.name);
    assert_eq!(p.park_reason.as_deref(), Some("humand_rejected"));
    assert!(p.response_body.unwrap().contains("INVALID_DATA"));

    let denied = db
        .store
        .inbox()
        .get("5f0c1a2e-1111-4a3b-9c7d-000000000004")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (denied.state.as_str(), denied.reason.as_deref()),
        ("decided", Some("not_granted"))
    );
    assert!(db
        .store
        .punches()
        .by_event("5f0c1a2e-1111-4a3b-9c7d-000000000004")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        punches(&db).await.len(),
        3,
        "repeated pushes make no extra punch"
    );
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn person_id_only_events_are_resolved_through_hikcentral(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let f = flow(&db, HumandSimConfig::default(), &[]).await;
    push(&f, &fixture("hcp-person-id-only.json")).await;
    until("delivered", || settled(&db)).await;
    let entries = f.humand.entries("1712345678");
    assert_eq!(entries.len(), 1, "{}", db.name);
    assert_eq!(entries[0]["type"], "START");
    assert_eq!(
        db.store.cached_person_code("187").await.unwrap(),
        Some(Some("1712345678".into()))
    );
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn unknown_doors_and_unknown_people_are_explained_not_sent(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let f = flow(&db, HumandSimConfig::default(), &[]).await;
    push(&f, &notify(vec![
    event("u-1", 196893, "2026-01-27T08:00:00-03:00", "99", "Bodega", "1100000001"),
    event("u-2", 196893, "2026-01-27T08:00:00-03:00", "99", "Bodega", "1100000002"),
    json!({"eventId": "u-3", "eventType": 196893, "happenTime": "2026-01-27T08:01:00-03:00", "srcIndex": "11", "srcName": "Facial Entrada", "data": {}}),
    json!({"eventId": "u-4", "eventType": 196893, "happenTime": "2026-01-27T08:01:00-03:00", "srcIndex": "11", "srcName": "Facial Entrada", "data": {"personId": "4040"}}),
    event("u-5", 196893, "2026-01-27T08:02:00-03:00", "11", "Facial Entrada", "9999999999"),
])).await;
    until("settled", || settled(&db)).await;
    let reason = |id: &'static str| {
        let store = db.store.clone();
        async move { store.inbox().get(id).await.unwrap().unwrap().reason }
    };
    assert_eq!(reason("u-1").await.as_deref(), Some("unmapped_door"));
    assert_eq!(
        db.store.unmapped_doors().await.unwrap(),
        vec![("99".to_string(), "Bodega".to_string(), 2)]
    );
    assert_eq!(reason("u-3").await.as_deref(), Some("unknown_employee"));
    assert_eq!(
        reason("u-4").await.as_deref(),
        Some("unknown_employee"),
        "personId unknown to HikCentral"
    );
    // The detail says which case it is, so the operator knows what to fix.
    let detail = |id: &'static str| {
        let store = db.store.clone();
        async move {
            store
                .inbox()
                .get(id)
                .await
                .unwrap()
                .unwrap()
                .detail
                .unwrap_or_default()
        }
    };
    assert!(
        detail("u-3").await.contains("names no person"),
        "{}",
        detail("u-3").await
    );
    assert!(
        detail("u-4")
            .await
            .contains("HikCentral does not know this personId"),
        "{}",
        detail("u-4").await
    );
    // Humand does not know 9999999999: parked with Humand's answer.
    let p = db.store.punches().by_event("u-5").await.unwrap().unwrap();
    assert_eq!(p.state, "parked");
    assert!(p.response_body.unwrap().contains("User not found"));
    assert!(f.humand.all_entries().is_empty());
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn double_scans_and_toggle_doors(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let f = flow(&db, HumandSimConfig::default(), &[]).await;
    push(
        &f,
        &notify(vec![
            event(
                "t-1",
                196893,
                "2026-01-27T08:00:00-03:00",
                "30",
                "Torniquete",
                "1100000001",
            ),
            event(
                "t-2",
                196893,
                "2026-01-27T08:00:40-03:00",
                "30",
                "Torniquete",
                "1100000001",
            ),
            event(
                "t-3",
                196893,
                "2026-01-27T12:00:00-03:00",
                "30",
                "Torniquete",
                "1100000001",
            ),
            event(
                "t-4",
                196893,
                "2026-01-27T13:00:00-03:00",
                "30",
                "Torniquete",
                "1100000001",
            ),
        ]),
    )
    .await;
    until("settled", || settled(&db)).await;
    let types: Vec<String> = f
        .humand
        .entries("1100000001")
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(types, ["START", "END", "START"]);
    let t2 = db.store.inbox().get("t-2").await.unwrap().unwrap();
    assert_eq!(t2.reason.as_deref(), Some("double_scan"));
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_person_hikcentral_cannot_resolve_now_does_not_hold_up_anyone_else(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let f = flow(
        &db,
        HumandSimConfig::default(),
        &[("HIKBRIDGE__HIKCENTRAL__MAX_ATTEMPTS", "1")],
    )
    .await;
    f.hik.faults.fail_next(u32::MAX, 503);
    // The personId-only event comes first in event time; the other person's after it.
    push(
        &f,
        &notify(vec![
            json!({"eventId": "pid-1", "eventType": 196893, "happenTime": "2026-01-28T07:58:31-03:00",
                   "srcIndex": "11", "srcName": "Facial Entrada", "srcType": "door",
                   "data": {"personId": "187"}}),
            event(
                "code-1",
                196893,
                "2026-01-28T07:59:00-03:00",
                "11",
                "Facial Entrada",
                "1100000001",
            ),
        ]),
    )
    .await;
    until("the other person's punch is delivered", || async {
        f.humand.entries("1100000001").len() == 1
    })
    .await;
    let held = db.store.inbox().get("pid-1").await.unwrap().unwrap();
    assert_eq!(held.state, "new", "{}: waits for HikCentral", db.name);
    f.hik.faults.fail_next(0, 503);
    until(
        "the held-back event is delivered once HikCentral answers",
        || async { f.humand.entries("1712345678").len() == 1 },
    )
    .await;
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn future_events_wait_until_they_are_not(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let f = flow(
        &db,
        HumandSimConfig::default(),
        &[("HIKBRIDGE__ATTENDANCE__FUTURE_TOLERANCE_SECS", "0")],
    )
    .await;
    let soon = (chrono::Utc::now() + chrono::TimeDelta::seconds(5))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    push(
        &f,
        &notify(vec![event(
            "f-1",
            196893,
            &soon,
            "11",
            "Facial Entrada",
            "1100000001",
        )]),
    )
    .await;
    until("held", || async {
        db.store.inbox().get("f-1").await.unwrap().unwrap().state == "held"
    })
    .await;
    assert!(
        f.humand.entries("1100000001").is_empty(),
        "never sent before its time"
    );
    until("delivered once due", || async {
        f.humand.entries("1100000001").len() == 1
    })
    .await;
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn steady_load_follows_humand_headers_without_a_429(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let cfg = HumandSimConfig {
        limit: 4,
        window: Duration::from_secs(1),
        ..HumandSimConfig::default()
    };
    let f = flow(
        &db,
        cfg,
        &[
            ("HIKBRIDGE__HUMAND__RATE_LIMIT", "4"),
            ("HIKBRIDGE__HUMAND__RATE_WINDOW_SECS", "1"),
        ],
    )
    .await;
    let events = (1..=3)
        .flat_map(|i| {
            let code = format!("110000000{i}");
            vec![
                event(
                    &format!("r-{i}-in"),
                    196893,
                    "2026-01-27T08:00:00-03:00",
                    "11",
                    "Facial Entrada",
                    &code,
                ),
                event(
                    &format!("r-{i}-out"),
                    196893,
                    "2026-01-27T17:00:00-03:00",
                    "12",
                    "Facial Salida",
                    &code,
                ),
            ]
        })
        .collect();
    push(&f, &notify(events)).await;
    until("all delivered", || async {
        f.humand.all_entries().len() == 6
    })
    .await;
    assert_eq!(
        f.humand.rate_limited(),
        0,
        "pacing follows RateLimit headers"
    );
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_429_asking_for_a_day_puts_the_punch_off_five_minutes_at_most(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let f = flow(&db, HumandSimConfig::default(), &[]).await;
    f.humand.faults.fail_next_with_retry_after(1, 429, 86_400);
    push_entry(&f, "ra-1", "1100000001").await;
    until("the 429 recorded", || async {
        db.store
            .punches()
            .by_event("ra-1")
            .await
            .unwrap()
            .is_some_and(|p| p.attempts == 1 && p.last_error.is_some())
    })
    .await;
    let p = db.store.punches().by_event("ra-1").await.unwrap().unwrap();
    let wait_ms = p.next_attempt_at_ms - p.updated_at_ms;
    assert!(
        (290_000..=300_000).contains(&wait_ms),
        "{}: the next attempt is {wait_ms} ms away: {p:?}",
        db.name
    );
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_429_is_waited_out_and_nothing_is_lost(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    // Humand allows fewer calls than we believe: the first 429 teaches us.
    let cfg = HumandSimConfig {
        limit: 2,
        window: Duration::from_secs(2),
        ..HumandSimConfig::default()
    };
    let f = flow(&db, cfg, &[("HIKBRIDGE__HUMAND__RATE_LIMIT", "1000")]).await;
    // Spend the window so the next call draws a 429.
    let client = reqwest::Client::new();
    for _ in 0..2 {
        let _ = client
            .get(format!(
                "{}/users?limit=10",
                HumandSim::api_base(&f._humand_running)
            ))
            .header("authorization", format!("Basic {HUMAND_KEY}"))
            .send()
            .await;
    }
    push(
        &f,
        &notify(vec![
            event(
                "q-1",
                196893,
                "2026-01-27T08:00:00-03:00",
                "11",
                "Facial Entrada",
                "1100000001",
            ),
            event(
                "q-2",
                196893,
                "2026-01-27T08:00:00-03:00",
                "11",
                "Facial Entrada",
                "1100000002",
            ),
        ]),
    )
    .await;
    until("both delivered", || async {
        f.humand.all_entries().len() == 2
    })
    .await;
    assert!(
        f.humand.rate_limited() >= 1,
        "the scenario must have drawn a 429"
    );
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn humand_down_then_back_delivers_everything_in_order(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let f = flow(&db, HumandSimConfig::default(), &[]).await;
    f.humand.faults.fail_next(3, 503);
    push(
        &f,
        &notify(vec![
            event(
                "d-1",
                196893,
                "2026-01-27T08:00:00-03:00",
                "11",
                "Facial Entrada",
                "1100000001",
            ),
            event(
                "d-2",
                196893,
                "2026-01-27T12:00:00-03:00",
                "12",
                "Facial Salida",
                "1100000001",
            ),
            event(
                "d-3",
                196893,
                "2026-01-27T13:00:00-03:00",
                "11",
                "Facial Entrada",
                "1100000001",
            ),
        ]),
    )
    .await;
    until("all delivered", || async {
        f.humand.entries("1100000001").len() == 3
    })
    .await;
    // The outage left a durable trace (a transient last_error can be cleared before a
    // poll sees it on a loaded machine): the first punch took more than one attempt.
    until("the first punch recorded as delivered", || async {
        db.store
            .punches()
            .by_event("d-1")
            .await
            .unwrap()
            .is_some_and(|p| p.state == "delivered")
    })
    .await;
    let first = db.store.punches().by_event("d-1").await.unwrap().unwrap();
    assert!(first.attempts >= 2, "{}: {first:?}", db.name);
    let types: Vec<String> = f
        .humand
        .entries("1100000001")
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(types, ["START", "END", "START"], "{}", db.name);
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn refused_credentials_pause_delivery_until_they_work_again(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let f = flow(&db, HumandSimConfig::default(), &[]).await;
    f.humand.set_api_key("rotated-key");
    push_entry(&f, "a-1", "1100000001").await;
    until("paused", || async {
        f.app.state.delivery().status().paused_reason.is_some()
    })
    .await;
    let ready: Value = f.app.server.get("/ready").await.json();
    assert_eq!(ready["status"], "degraded");
    assert_eq!(ready["checks"]["upstreams"]["humand"]["status"], "warning");
    // Kept, not dropped: queued, or in flight to the credentials probe (every second).
    let p = db.store.punches().by_event("a-1").await.unwrap().unwrap();
    assert!(
        matches!(p.state.as_str(), "queued" | "sending"),
        "kept, not dropped: {p:?}"
    );
    assert!(p.park_reason.is_none(), "{p:?}");

    f.humand.set_api_key(HUMAND_KEY);
    until("delivered after the key works", || async {
        f.humand.entries("1100000001").len() == 1
    })
    .await;
    // Humand records the entry before answering: wait for our side to record the answer
    // (the pause is lifted before the punch is marked delivered).
    until("punch recorded as delivered", || async {
        db.store
            .punches()
            .by_event("a-1")
            .await
            .unwrap()
            .unwrap()
            .state
            == "delivered"
    })
    .await;
    assert!(f.app.state.delivery().status().paused_reason.is_none());
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn an_unknown_outcome_is_checked_in_humand_before_resending(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let f = flow(
        &db,
        HumandSimConfig::default(),
        &[("HIKBRIDGE__DELIVERY__ENABLED", "false")],
    )
    .await;
    push_entry(&f, "k-1", "1100000001").await;
    until("queued", || async {
        db.store.punches().by_event("k-1").await.unwrap().is_some()
    })
    .await;
    let p = db.store.punches().by_event("k-1").await.unwrap().unwrap();

    // As if the service died after Humand recorded the entry but before we recorded the answer.
    let direct = reqwest::Client::new()
        .post(format!(
            "{}/time-tracking/entries/clockIn",
            HumandSim::api_base(&f._humand_running)
        ))
        .header("authorization", format!("Basic {HUMAND_KEY}"))
        .json(&json!({"employeeId": "1100000001", "now": "2026-01-27T11:00:00.000Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 201);
    db.store
        .punches()
        .mark_sending(p.id, "{}", 0)
        .await
        .unwrap();
    let requests_before = f.humand.clock_requests();

    let delivery = hikbridge::workers::delivery::Delivery::new(
        db.store.clone(),
        f.app.state.humand().cloned(),
        hikbridge::workers::delivery::DeliveryOptions {
            dry_run: false,
            employee_id_integer: false,
            comment: "HikCentral: {door}".into(),
            concurrency: 4,
            credentials_probe: Duration::from_secs(1),
            late_events: hikbridge::config::LateEventPolicy::Send,
            lease: Duration::from_secs(120),
            replica: "test-replica".into(),
            dead_after: Duration::from_secs(45),
            unknown_outcome: hikbridge::config::UnknownOutcomePolicy::Resend,
            lookup_tolerance: Duration::from_secs(60),
            read_page_limit: 50,
        },
        std::sync::Arc::new(tokio::sync::Notify::new()),
    );
    let outcomes = delivery.deliver_due(chrono::Utc::now()).await.unwrap();
    assert!(
        matches!(
            outcomes[0].1,
            hikbridge::workers::delivery::Outcome::Delivered(_)
        ),
        "{outcomes:?}"
    );
    assert_eq!(f.humand.clock_requests(), requests_before, "not sent again");
    assert_eq!(
        f.humand.entries("1100000001").len(),
        1,
        "no duplicate clock record"
    );
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn dry_run_records_the_exact_request_and_calls_nothing(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let f = flow(
        &db,
        HumandSimConfig::default(),
        &[("HIKBRIDGE__DELIVERY__DRY_RUN", "true")],
    )
    .await;
    push(&f, &fixture("hcp-granted-face-entry.json")).await;
    until("settled", || settled(&db)).await;
    let p = db
        .store
        .punches()
        .by_event("5f0c1a2e-1111-4a3b-9c7d-000000000001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.state, "dry_run", "{p:?}");
    let req: Value = serde_json::from_str(p.request.as_deref().unwrap()).unwrap();
    assert_eq!(req["path"], "/time-tracking/entries/clockIn");
    assert_eq!(
        req["body"],
        json!({"employeeId": "1712345678", "now": "2026-01-27T11:04:00.000Z", "comment": "HikCentral: Facial Entrada"})
    );
    assert_eq!(f.humand.clock_requests(), 0);
    let _ = &f.hik;
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn employees_unknown_to_humand_are_parked_before_any_clock_call_when_validating(
    #[case] backend: Db,
) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let f = flow(
        &db,
        HumandSimConfig::default(),
        &[("HIKBRIDGE__ATTENDANCE__VALIDATE_EMPLOYEES", "true")],
    )
    .await;
    push(
        &f,
        &notify(vec![
            event(
                "v-1",
                196893,
                "2026-01-27T08:00:00-03:00",
                "11",
                "Facial Entrada",
                "5550000001",
            ),
            event(
                "v-2",
                196893,
                "2026-01-27T08:00:00-03:00",
                "11",
                "Facial Entrada",
                "1100000001",
            ),
            event(
                "v-3",
                196893,
                "2026-01-27T09:00:00-03:00",
                "11",
                "Facial Entrada",
                "5550000001",
            ),
        ]),
    )
    .await;
    until("settled", || settled(&db)).await;
    let v1 = db.store.inbox().get("v-1").await.unwrap().unwrap();
    assert_eq!(
        (v1.state.as_str(), v1.reason.as_deref()),
        ("parked", Some("unknown_employee"))
    );
    assert_eq!(f.humand.entries("1100000001").len(), 1);
    assert_eq!(
        f.humand.clock_requests(),
        1,
        "no clock call for the unknown employee"
    );
    assert_eq!(
        db.store
            .cached_employee("5550000001")
            .await
            .unwrap()
            .map(|c| c.0),
        Some(false)
    );
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn exit_pushed_before_its_entry_is_delivered_in_event_order_after_the_settle_time(
    #[case] backend: Db,
) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let f = flow(
        &db,
        HumandSimConfig::default(),
        &[("HIKBRIDGE__DELIVERY__SETTLE_SECS", "2")],
    )
    .await;
    // The exit arrives (and is decided) first; its entry a moment later.
    push(&f, &fixture("hcp-batch-exit-card-and-denied.json")).await;
    push(&f, &fixture("hcp-granted-face-entry.json")).await;
    until("all decided and delivered", || settled(&db)).await;
    let ana = f.humand.entries("1712345678");
    let kinds: Vec<&str> = ana.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds, ["START", "END"], "{}: {ana:?}", db.name);
    let parked: Vec<Punch> = punches(&db)
        .await
        .into_iter()
        .filter(|p| p.employee_id == "1712345678" && p.state == "parked")
        .collect();
    assert!(parked.is_empty(), "{}: {parked:?}", db.name);
    db.cleanup().await;
}

#[rstest]
#[tokio::test]
async fn a_punch_earlier_than_a_delivered_one_follows_the_late_event_policy(
    #[values("park", "send")] policy: &str,
    #[values(Db::Sqlite, Db::Postgres)] backend: Db,
) {
    // A fresh database per policy: an app's workers outlive the test server.
    let Some(db) = db_for(backend).await else {
        return;
    };
    let f = flow(
        &db,
        HumandSimConfig::default(),
        &[("HIKBRIDGE__DELIVERY__LATE_EVENTS", policy)],
    )
    .await;
    let id = |s: &str| format!("{policy}-{s}");
    push(
        &f,
        &notify(vec![
            event(
                &id("in"),
                196893,
                "2026-02-03T08:00:00-05:00",
                "11",
                "In",
                "1100000002",
            ),
            event(
                &id("out"),
                196893,
                "2026-02-03T17:00:00-05:00",
                "12",
                "Out",
                "1100000002",
            ),
        ]),
    )
    .await;
    until("both delivered", || settled(&db)).await;
    // Back-filled hours later: an exit at noon, earlier than the delivered 17:00 exit.
    push(
        &f,
        &notify(vec![event(
            &id("late"),
            196893,
            "2026-02-03T12:00:00-05:00",
            "12",
            "Out",
            "1100000002",
        )]),
    )
    .await;
    until("late punch final", || settled(&db)).await;
    let late = db
        .store
        .punches()
        .by_event(&id("late"))
        .await
        .unwrap()
        .unwrap();
    match policy {
        "park" => {
            assert_eq!(late.state, "parked", "{}: {late:?}", db.name);
            assert_eq!(late.park_reason.as_deref(), Some("late_event"));
            assert_eq!(late.attempts, 0, "never sent");
        }
        _ => {
            assert!(late.attempts >= 1, "{}: sent to Humand: {late:?}", db.name);
            assert_ne!(late.park_reason.as_deref(), Some("late_event"));
            assert!(late.response_status.is_some(), "Humand's answer recorded");
        }
    }
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn an_unknown_outcome_is_settled_through_day_summaries_when_entries_cannot_be_listed(
    #[case] backend: Db,
) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let f = flow(&db, HumandSimConfig::default(), &[]).await;
    // Production behaviours: the entries listing answers 400, and Humand keeps only the
    // minute of `now`; the clock answer is lost after Humand recorded the entry.
    f.humand.set_entries_listing_refused(true);
    f.humand.set_truncate_to_minute(true);
    f.humand.faults.drop_after_next(1);
    push(
        &f,
        &notify(vec![event(
            "rb-1",
            196893,
            "2026-01-27T08:04:37-03:00",
            "11",
            "Facial Entrada",
            "1100000001",
        )]),
    )
    .await;
    until("settled", || settled(&db)).await;
    let p = db.store.punches().by_event("rb-1").await.unwrap().unwrap();
    assert_eq!(p.state, "delivered", "{}: {p:?}", db.name);
    assert_eq!(
        p.response_body.as_deref(),
        Some("found in Humand after an unknown outcome"),
        "{}: settled by reading back, not by sending again",
        db.name
    );
    assert_eq!(f.humand.entries("1100000001").len(), 1, "{}", db.name);
    assert_eq!(
        f.humand.clock_requests(),
        1,
        "{}: never sent twice",
        db.name
    );
    db.cleanup().await;
}

#[rstest]
#[tokio::test]
async fn with_no_read_api_an_unknown_outcome_follows_the_policy_instead_of_retrying_forever(
    #[values("park", "resend")] policy: &str,
    #[values(Db::Sqlite, Db::Postgres)] backend: Db,
) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let f = flow(
        &db,
        HumandSimConfig::default(),
        &[("HIKBRIDGE__DELIVERY__UNKNOWN_OUTCOME", policy)],
    )
    .await;
    f.humand.set_entries_listing_refused(true);
    f.humand.set_day_summaries_refused(true);
    f.humand.faults.drop_after_next(1);
    push(
        &f,
        &notify(vec![event(
            &format!("{policy}-u"),
            196893,
            "2026-01-27T08:04:00-03:00",
            "11",
            "Facial Entrada",
            "1100000001",
        )]),
    )
    .await;
    until("settled", || settled(&db)).await;
    let p = db
        .store
        .punches()
        .by_event(&format!("{policy}-u"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.state, "parked", "{}/{policy}: {p:?}", db.name);
    if policy == "park" {
        assert_eq!(p.park_reason.as_deref(), Some("outcome_unknown"));
        assert!(p
            .last_error
            .unwrap_or_default()
            .contains("no Humand read API"));
        assert_eq!(f.humand.clock_requests(), 1, "never sent again");
    } else {
        // Sent again; Humand refuses a second START, so no duplicate exists.
        assert_eq!(p.park_reason.as_deref(), Some("humand_rejected"), "{p:?}");
        assert_eq!(f.humand.clock_requests(), 2);
    }
    assert_eq!(f.humand.entries("1100000001").len(), 1, "never a duplicate");
    db.cleanup().await;
}

/// An entry whose answer was lost must not be taken for the same employee's entry of a few
/// seconds earlier: that record already belongs to another punch, so this one is sent.
#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_read_back_never_takes_another_punchs_record(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    // Entries seconds apart are real entries here, not double scans.
    let f = flow(
        &db,
        HumandSimConfig::default(),
        &[("HIKBRIDGE__ATTENDANCE__DOUBLE_SCAN_WINDOW_SECS", "1")],
    )
    .await;
    let e = |id: &str, time: &str, door: &str| event(id, 196893, time, door, "Door", "1100000001");
    push(
        &f,
        &notify(vec![
            e("rb-1", "2026-01-27T08:00:00-03:00", "11"),
            e("rb-2", "2026-01-27T08:00:02-03:00", "12"),
        ]),
    )
    .await;
    until("two delivered", || async {
        f.humand.entries("1100000001").len() == 2 && settled(&db).await
    })
    .await;
    // The next clock call fails before Humand records anything: the outcome is unknown.
    f.humand.faults.fail_next(1, 500);
    push(
        &f,
        &notify(vec![e("rb-3", "2026-01-27T08:00:04-03:00", "11")]),
    )
    .await;
    until("the third delivered", || async {
        db.store
            .punches()
            .by_event("rb-3")
            .await
            .unwrap()
            .is_some_and(|p| p.state == "delivered")
    })
    .await;
    let entries = f.humand.entries("1100000001");
    assert_eq!(entries.len(), 3, "{}: {entries:?}", db.name);
    let first = db.store.punches().by_event("rb-1").await.unwrap().unwrap();
    let third = db.store.punches().by_event("rb-3").await.unwrap().unwrap();
    assert_ne!(first.humand_entry_id, third.humand_entry_id, "{}", db.name);
    db.cleanup().await;
}

/// Start a flow whose Humand allows far more than the test sends (its headers never slow the
/// pacer down), with `employees` known to it, and push one entry for each at door 11.
async fn flow_with_many_employees(db: &TestDb, employees: &[&str], extra: &[(&str, &str)]) -> Flow {
    let f = flow(
        db,
        HumandSimConfig {
            limit: 1000,
            window: Duration::from_secs(1),
            ..HumandSimConfig::default()
        },
        extra,
    )
    .await;
    for id in employees {
        f.humand.add_user(id, "Test", id);
    }
    f
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn delivery_keeps_exactly_delivery_concurrency_calls_in_flight(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let employees: Vec<String> = (1..=9).map(|i| format!("22000000{i:02}")).collect();
    let ids: Vec<&str> = employees.iter().map(String::as_str).collect();
    let f = flow_with_many_employees(&db, &ids, &[("HIKBRIDGE__DELIVERY__CONCURRENCY", "3")]).await;
    // Every Humand answer takes a while, so calls overlap whenever delivery lets them.
    f.humand.faults.set_latency_ms(300);
    let events = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            event(
                &format!("cc-{i}"),
                196893,
                "2026-01-27T08:00:00-03:00",
                "11",
                "Facial Entrada",
                id,
            )
        })
        .collect();
    push(&f, &notify(events)).await;
    // Humand sees what the pacer lets through; delivery's own lanes show as punches `sending`.
    let most_sending = std::sync::atomic::AtomicUsize::new(0);
    until("all delivered", || async {
        let sending = db
            .store
            .punches()
            .list(&PunchFilter {
                state: Some(hikbridge::store::PunchState::Sending),
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap()
            .len();
        most_sending.fetch_max(sending, std::sync::atomic::Ordering::SeqCst);
        settled(&db).await && f.humand.all_entries().len() == ids.len()
    })
    .await;
    assert_eq!(
        f.humand.faults.max_in_flight(),
        3,
        "{}: delivery.concurrency = 3 is both the cap and what nine due employees use",
        db.name
    );
    let most_sending = most_sending.into_inner();
    assert!(
        (1..=3).contains(&most_sending),
        "{}: at most 3 lanes at once, saw {most_sending} punches sending",
        db.name
    );
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_slow_call_holds_its_own_lane_while_the_other_lanes_deliver_everyone_else(
    #[case] backend: Db,
) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let ids = [
        "2300000001",
        "2300000002",
        "2300000003",
        "2300000004",
        "2300000005",
        "2300000006",
    ];
    // The held call must outlast the test's waits (20 s), not be abandoned and sent again.
    let f = flow_with_many_employees(
        &db,
        &ids,
        &[
            ("HIKBRIDGE__DELIVERY__CONCURRENCY", "2"),
            ("HIKBRIDGE__HUMAND__TIMEOUT_MS", "60000"),
        ],
    )
    .await;
    // The first employee clocked in at Humand before; their exit is the earliest punch (claimed
    // first) and the only clockOut, and Humand holds it until the test releases it. Every other
    // call is answered at once.
    let direct = reqwest::Client::new()
        .post(format!(
            "{}/time-tracking/entries/clockIn",
            HumandSim::api_base(&f._humand_running)
        ))
        .header("authorization", format!("Basic {HUMAND_KEY}"))
        .json(&json!({"employeeId": ids[0], "now": "2026-01-27T09:00:00.000Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 201);
    let release = std::sync::Arc::new(tokio::sync::Notify::new());
    f.humand.faults.hold_next("clockOut", release.clone());
    let mut events = vec![event(
        "slow-out",
        196893,
        "2026-01-27T07:00:00-03:00",
        "12",
        "Facial Salida",
        ids[0],
    )];
    events.extend(ids[1..].iter().enumerate().map(|(i, id)| {
        event(
            &format!("in-{i}"),
            196893,
            "2026-01-27T08:00:00-03:00",
            "11",
            "Facial Entrada",
            id,
        )
    }));
    push(&f, &notify(events)).await;
    // Lanes fed in rounds would wait for the held call before claiming the next heads, so the
    // other employees' entries could not all be recorded while it is held. Fed continuously,
    // the other lane delivers all of them meanwhile.
    until(
        "every other employee's entry, while the exit is held",
        || async { f.humand.all_entries().len() == ids.len() },
    )
    .await;
    release.notify_one();
    until("all delivered", || async {
        settled(&db).await && f.humand.all_entries().len() == ids.len() + 1
    })
    .await;
    let exit = db
        .store
        .punches()
        .by_event("slow-out")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        exit.attempts, 1,
        "{}: the held call itself, {exit:?}",
        db.name
    );
    let all = f.humand.all_entries();
    let last = all.last().cloned().unwrap_or_default();
    assert_eq!(
        (last["employeeInternalId"].as_str(), last["type"].as_str()),
        (Some(ids[0]), Some("END")),
        "{}: {all:?}",
        db.name
    );
    db.cleanup().await;
}

const ADMIN_TOKEN: &str = "attendance-flow-admin-token-0123";

/// The fixture's granted face event, moved to `at` (in UTC−5), door and person changed.
fn fixture_event_at(id: &str, at: chrono::DateTime<chrono::Utc>, door: &str, code: &str) -> Value {
    let body: Value = serde_json::from_str(&fixture("hcp-granted-face-entry.json")).unwrap();
    let mut ev = body["params"]["events"][0].clone();
    let offset = chrono::FixedOffset::west_opt(5 * 3600).unwrap();
    ev["eventId"] = json!(id);
    ev["happenTime"] = json!(at.with_timezone(&offset).to_rfc3339());
    ev["srcIndex"] = json!(door);
    ev["srcName"] = json!(format!("Door {door}"));
    ev["data"]["personCode"] = json!(code);
    ev["data"]["personId"] = json!("");
    ev
}

async fn admin(f: &Flow, method: axum::http::Method, path: &str) -> (u16, Value) {
    let res = f
        .app
        .server
        .method(method, path)
        .authorization_bearer(ADMIN_TOKEN)
        .await;
    let body = serde_json::from_slice(res.as_bytes()).unwrap_or(Value::Null);
    (res.status_code().as_u16(), body)
}

/// Issue 21: a reader offline for weeks (or a restored HikCentral) pushes 50 well-formed events
/// from 40 days ago. All 50 are stored, none clocks anyone by itself; once an operator admits
/// them (one, then the rest by time range) they are decided and delivered like any other.
#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn events_outside_the_time_window_are_kept_and_clock_only_once_admitted(#[case] backend: Db) {
    use axum::http::Method;
    use chrono::{SecondsFormat, TimeDelta, Utc};
    let Some(db) = db_for(backend).await else {
        return;
    };
    let employees: Vec<String> = (0..25).map(|i| format!("33000000{i:02}")).collect();
    let mut ids: Vec<&str> = employees.iter().map(String::as_str).collect();
    ids.push("3300000099");
    let env = [
        ("HIKBRIDGE__EVENTS__ACCEPT_PAST_HOURS", "744"),
        ("HIKBRIDGE__API__TOKENS", ADMIN_TOKEN),
    ];
    let f = flow_with_many_employees(&db, &ids, &env).await;
    // 06:00 in UTC−5 forty days ago: the exits (+8 h) fall on the same day in Humand too.
    let day = (Utc::now() - TimeDelta::days(40)).date_naive();
    let base = day.and_hms_opt(11, 0, 0).unwrap().and_utc();
    let entry_at = |i: usize| base + TimeDelta::minutes(i as i64);
    let exit_at = |i: usize| base + TimeDelta::hours(8) + TimeDelta::minutes(i as i64);
    let mut events = Vec::new();
    for (i, code) in employees.iter().enumerate() {
        events.push(fixture_event_at(
            &format!("old-in-{i:02}"),
            entry_at(i),
            "11",
            code,
        ));
        events.push(fixture_event_at(
            &format!("old-out-{i:02}"),
            exit_at(i),
            "12",
            code,
        ));
    }
    push(&f, &notify(events)).await;
    // One event of now: once it is delivered, the decider has been past the old ones.
    let fresh = fixture_event_at("fresh", Utc::now() - TimeDelta::minutes(1), "11", ids[25]);
    push(&f, &notify(vec![fresh])).await;
    until("the event of now delivered", || async {
        f.humand.entries("3300000099").len() == 1 && settled(&db).await
    })
    .await;

    assert_eq!(
        db.store.count_out_of_window_events().await.unwrap(),
        50,
        "{}: all 50 stored",
        db.name
    );
    assert!(db.store.inbox().rejected(100).await.unwrap().is_empty());
    let ev = db.store.inbox().get("old-in-07").await.unwrap().unwrap();
    assert_eq!(
        (ev.state.as_str(), ev.reason.as_deref()),
        ("out_of_window", Some("too_old"))
    );
    assert!(ev.detail.unwrap().contains("events.accept_past_hours"));
    assert_eq!(
        punches(&db).await.len(),
        1,
        "{}: only the event of now",
        db.name
    );
    assert_eq!(f.humand.all_entries().len(), 1);

    let (status, list) = admin(&f, Method::GET, "/admin/out-of-window?limit=10").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        (list["total"].as_i64(), list["count"].as_i64()),
        (Some(50), Some(10))
    );
    assert_eq!(
        list["items"][0]["event_id"], "old-in-00",
        "oldest event time first"
    );
    assert_eq!(list["items"][0]["state"], "out_of_window");
    let (_, summary) = admin(&f, Method::GET, "/admin/summary").await;
    assert_eq!(summary["out_of_window_events"], 50, "{summary}");

    // One by one.
    let (status, body) = admin(&f, Method::POST, "/admin/events/old-in-00/admit").await;
    assert_eq!((status, &body["state"]), (202, &json!("new")), "{body}");
    let (status, body) = admin(&f, Method::POST, "/admin/events/old-in-00/admit").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (409, &json!("not_out_of_window"))
    );
    until("the admitted event delivered", || async {
        f.humand.entries(&employees[0]).len() == 1 && settled(&db).await
    })
    .await;
    assert_eq!(
        punches(&db).await.len(),
        2,
        "{}: only the admitted one",
        db.name
    );

    // The rest by event-time range; both ends are required and must make a range.
    let from = (base - TimeDelta::hours(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let to = (base + TimeDelta::days(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let (status, _) = admin(
        &f,
        Method::POST,
        &format!("/admin/events/admit?from={to}&to={from}"),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = admin(
        &f,
        Method::POST,
        &format!("/admin/events/admit?from=yesterday&to={to}"),
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = admin(
        &f,
        Method::POST,
        &format!("/admin/events/admit?from={from}&to={to}"),
    )
    .await;
    assert_eq!((status, &body["events"]), (200, &json!(49)), "{body}");
    until("every admitted event delivered", || async {
        settled(&db).await && f.humand.all_entries().len() == 51
    })
    .await;
    assert_eq!(db.store.count_out_of_window_events().await.unwrap(), 0);
    for (i, code) in employees.iter().enumerate() {
        let got: Vec<(String, String)> = f
            .humand
            .entries(code)
            .iter()
            .map(|e| {
                (
                    e["type"].as_str().unwrap().to_owned(),
                    e["time"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let ms = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
        assert_eq!(
            got,
            [
                ("START".to_owned(), ms(entry_at(i))),
                ("END".to_owned(), ms(exit_at(i)))
            ],
            "{}: {code}",
            db.name
        );
    }
    db.cleanup().await;
}
