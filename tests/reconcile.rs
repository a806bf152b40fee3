//! The person-list reconciler against the HikCentral simulator (and, for what the simulator
//! cannot produce, a bare stub), on SQLite and PostgreSQL.

mod common;

use axum::routing::post;
use axum::{Json, Router};
use common::db::{db_for, Db, TestDb};
use common::upstreams::{hikcentral, settings_for};
use hikbridge::artemis::ArtemisClient;
use hikbridge::sim::hikcentral::{HikSim, LifecycleSwitches};
use hikbridge::sim::RunningSim;
use hikbridge::store::LedgerUpdate;
use hikbridge::workers::reconciler::{ReconcileReport, Reconciler, OUTCOME, REASON};
use rstest::rstest;
use serde_json::{json, Value};
use std::time::Duration;

const DELETE: &str = "/artemis/api/resource/v1/person/single/delete";

struct Rig {
    sim: HikSim,
    _running: RunningSim,
    reconciler: Reconciler,
    client: ArtemisClient,
}

/// A simulator and a reconciler on `db`'s store; `env` overrides settings.
async fn rig(db: &TestDb, env: &[(&str, &str)]) -> Rig {
    let (sim, running) = hikcentral(None).await;
    let client = client_for(&running.base_url, env);
    Rig {
        sim,
        _running: running,
        reconciler: Reconciler::new(client.clone(), db.store.clone()),
        client,
    }
}

fn client_for(base_url: &str, env: &[(&str, &str)]) -> ArtemisClient {
    let settings = settings_for(base_url, env);
    ArtemisClient::new(
        &settings.hikcentral,
        ArtemisClient::pacer_for(&settings.hikcentral),
    )
    .expect("client")
}

fn code(i: usize) -> String {
    format!("17{i:08}")
}

/// Register `n` persons in HikCentral "by other means", codes `code(0)..code(n)`.
fn add_persons(sim: &HikSim, n: usize) {
    for i in 0..n {
        sim.add_person(json!({
            "personCode": code(i),
            "personGivenName": "Persona",
            "personFamilyName": format!("Prueba {i}"),
        }));
    }
}

fn person_id_in_sim(sim: &HikSim, code: &str) -> String {
    sim.person_by_code(code)
        .and_then(|p| p["personId"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("{code} in the simulator"))
}

async fn ledger_person_id(db: &TestDb, ci: &str) -> Option<String> {
    db.store
        .ledger_entry(ci)
        .await
        .expect("read the ledger")
        .and_then(|e| e.person_id)
}

fn report(pages: u32, persons: u32, new: u32, updated: u32, unchanged: u32) -> ReconcileReport {
    ReconcileReport {
        pages,
        persons,
        with_code: persons,
        new_in_ledger: new,
        updated,
        unchanged,
    }
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn three_pages_bring_every_person_into_the_ledger_and_a_second_pass_changes_nothing(
    #[case] backend: Db,
) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let rig = rig(&db, &[]).await;
    add_persons(&rig.sim, 1203);

    let first = rig.reconciler.reconcile_once().await.expect("first pass");
    assert_eq!(first, report(3, 1203, 1203, 0, 0), "{}", db.name);
    assert_eq!(rig.sim.request_count(), 3, "{}", db.name);
    let registered = db.store.registered_cis().await.unwrap();
    assert_eq!(registered.len(), 1203, "{}", db.name);
    for i in [0, 499, 500, 1000, 1202] {
        let ci = code(i);
        let entry = db.store.ledger_entry(&ci).await.unwrap().expect("entry");
        assert_eq!(
            entry.person_id,
            Some(person_id_in_sim(&rig.sim, &ci)),
            "{}",
            db.name
        );
        assert_eq!(entry.last_outcome.as_deref(), Some(OUTCOME));
        assert_eq!(entry.last_reason.as_deref(), Some(REASON));
    }

    let second = rig.reconciler.reconcile_once().await.expect("second pass");
    assert_eq!(second, report(3, 1203, 0, 0, 1203), "{}", db.name);
    assert_eq!(rig.sim.request_count(), 6, "{}", db.name);
    assert_eq!(db.store.registered_cis().await.unwrap().len(), 1203);
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_changed_person_id_is_updated_and_a_vanished_person_is_kept(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let rig = rig(&db, &[]).await;
    add_persons(&rig.sim, 5);
    // code(3) was synced by the bridge earlier (photo hash, person type, outcome) under the
    // same personId HikCentral lists: reconcile leaves that row alone.
    let synced_id = person_id_in_sim(&rig.sim, &code(3));
    let synced = LedgerUpdate {
        ci: &code(3),
        person_id: Some(&synced_id),
        person_type: Some("DOCENTE"),
        photo_hash: Some("hash-3"),
        photo_version: None,
        outcome: "registered",
        reason: "created by the bridge",
    };
    db.store.record_ledger(&synced, 1_000).await.unwrap();
    assert_eq!(
        rig.reconciler.reconcile_once().await.unwrap(),
        report(1, 5, 4, 0, 1),
        "{}",
        db.name
    );
    let kept = db.store.ledger_entry(&code(3)).await.unwrap().unwrap();
    assert_eq!(kept.last_outcome.as_deref(), Some("registered"));
    assert_eq!(kept.last_sync_at_ms, Some(1_000));

    // Someone deletes code(1) in HikCentral and registers it again (a new personId), and
    // deletes code(2) for good.
    let old_id = person_id_in_sim(&rig.sim, &code(1));
    for c in [code(1), code(2)] {
        let id = person_id_in_sim(&rig.sim, &c);
        rig.client
            .call(DELETE, &json!({ "personId": id, "adminPassword": LifecycleSwitches::default().admin_password }))
            .await
            .expect("delete");
    }
    rig.sim
        .add_person(json!({"personCode": code(1), "personName": "Otra"}));
    let new_id = person_id_in_sim(&rig.sim, &code(1));
    assert_ne!(old_id, new_id);

    assert_eq!(
        rig.reconciler.reconcile_once().await.unwrap(),
        report(1, 4, 0, 1, 3),
        "{}",
        db.name
    );
    let updated = db.store.ledger_entry(&code(1)).await.unwrap().unwrap();
    assert_eq!(updated.person_id, Some(new_id), "{}", db.name);
    assert_eq!(updated.last_outcome.as_deref(), Some(OUTCOME));
    // Missing from the list is reported in the log only; the ledger keeps the personId.
    assert!(
        ledger_person_id(&db, &code(2)).await.is_some(),
        "{}",
        db.name
    );
    assert_eq!(db.store.registered_cis().await.unwrap().len(), 5);

    // A later sync's row with another personId: updated, the photo hash and type kept.
    db.store
        .record_ledger(
            &LedgerUpdate {
                person_id: Some("999999"),
                ..synced
            },
            2_000,
        )
        .await
        .unwrap();
    assert_eq!(
        rig.reconciler.reconcile_once().await.unwrap(),
        report(1, 4, 0, 1, 3),
        "{}",
        db.name
    );
    let fixed = db.store.ledger_entry(&code(3)).await.unwrap().unwrap();
    assert_eq!(fixed.person_id, Some(synced_id), "{}", db.name);
    assert_eq!(fixed.photo_hash.as_deref(), Some("hash-3"));
    assert_eq!(fixed.person_type.as_deref(), Some("DOCENTE"));
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_5xx_on_page_two_fails_the_pass_keeps_page_one_and_a_later_pass_completes(
    #[case] backend: Db,
) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let rig = rig(&db, &[("HIKBRIDGE__HIKCENTRAL__MAX_ATTEMPTS", "1")]).await;
    add_persons(&rig.sim, 600);
    // Answers wait 300 ms: once page 1 is through the fault layer, arm a 500 for the next
    // request (page 2), which cannot reach the fault check before its own 300 ms are up.
    rig.sim.faults.set_latency_ms(300);
    let before = rig.sim.faults.request_count();
    let pass = tokio::spawn({
        let reconciler = rig.reconciler.clone();
        async move { reconciler.reconcile_once().await }
    });
    tokio::time::timeout(Duration::from_secs(10), async {
        while rig.sim.faults.request_count() == before {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("page 1 reaches the simulator");
    rig.sim.faults.fail_next(1, 500);
    let err = pass
        .await
        .expect("the pass task")
        .expect_err("page 2 fails");
    let text = format!("{err:#}");
    assert!(text.contains("page 2"), "{}: {text}", db.name);
    assert!(text.contains("500"), "{}: {text}", db.name);
    assert_eq!(
        db.store.registered_cis().await.unwrap().len(),
        500,
        "{}: page 1 stays applied",
        db.name
    );

    rig.sim.faults.set_latency_ms(0);
    assert_eq!(
        rig.reconciler.reconcile_once().await.expect("a later pass"),
        report(2, 600, 100, 0, 500),
        "{}",
        db.name
    );
    assert_eq!(db.store.registered_cis().await.unwrap().len(), 600);
    db.cleanup().await;
}

/// A bare `person/personList` that answers `list` (one page) with no signature check. The
/// simulator cannot list a person without a personCode: it gives every person its personId as
/// code when none (or an empty one) is sent, as `add_person` does too.
async fn stub_list(list: Value) -> RunningSim {
    let total = list.as_array().map_or(0, Vec::len);
    let router = Router::new().route(
        "/artemis/api/resource/v1/person/personList",
        post(move || {
            let list = list.clone();
            async move {
                Json(json!({
                    "code": "0",
                    "msg": "Success",
                    "data": {"total": total, "pageNo": 1, "pageSize": 500, "list": list}
                }))
            }
        }),
    );
    hikbridge::sim::serve(router, "127.0.0.1:0".parse().unwrap(), None)
        .await
        .expect("serve the stub")
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn persons_without_a_person_code_or_person_id_are_skipped(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let stub = stub_list(json!([
        {"personId": "100", "personCode": "1711111111", "personName": "Con código"},
        {"personId": "101", "personName": "Sin código"},
        {"personId": "102", "personCode": "", "personName": "Código vacío"},
        {"personId": "103", "personCode": "   ", "personName": "Código en blanco"},
        {"personId": "104", "personCode": null},
        {"personCode": "1722222222", "personName": "Sin personId"},
        {"personId": 105, "personCode": 1733333333_u64}
    ]))
    .await;
    let reconciler = Reconciler::new(client_for(&stub.base_url, &[]), db.store.clone());
    let got = reconciler.reconcile_once().await.expect("pass");
    assert_eq!(
        got,
        ReconcileReport {
            pages: 1,
            persons: 7,
            with_code: 3,
            new_in_ledger: 2,
            updated: 0,
            unchanged: 0
        },
        "{}",
        db.name
    );
    let registered = db.store.registered_cis().await.unwrap();
    let mut cis: Vec<&str> = registered.iter().map(String::as_str).collect();
    cis.sort_unstable();
    assert_eq!(cis, ["1711111111", "1733333333"], "{}", db.name);
    assert_eq!(
        ledger_person_id(&db, "1733333333").await.as_deref(),
        Some("105")
    );
    assert!(db.store.ledger_entry("1722222222").await.unwrap().is_none());
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn the_schedule_runs_a_pass_at_once_and_stops_on_shutdown(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let rig = rig(&db, &[]).await;
    add_persons(&rig.sim, 3);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(
        rig.reconciler
            .clone()
            .run(Duration::from_secs(3600), async {
                let _ = rx.await;
            }),
    );
    tokio::time::timeout(Duration::from_secs(10), async {
        while db.store.registered_cis().await.unwrap().len() < 3 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the first pass runs right away");
    tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .expect("stops on shutdown")
        .expect("the worker task")
        .expect("the worker ends cleanly");
    assert_eq!(rig.sim.request_count(), 1, "{}", db.name);

    // Interval 0: no pass at all, just waits for shutdown.
    let before = rig.sim.request_count();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(rig.reconciler.clone().run(Duration::ZERO, async {
        let _ = rx.await;
    }));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!worker.is_finished());
    tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .expect("stops on shutdown")
        .expect("the worker task")
        .expect("the worker ends cleanly");
    assert_eq!(rig.sim.request_count(), before, "{}", db.name);
    db.cleanup().await;
}
