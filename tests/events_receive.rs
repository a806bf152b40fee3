//! Receiving HikCentral's `OnEventNotify` pushes: every event committed to the inbox before the
//! answer, on SQLite and PostgreSQL.

mod common;

use common::fixture;

use axum::http::StatusCode;
use common::app::TestApp;
use common::db::{db_for, Db, TestDb};
use rstest::rstest;
use serde_json::{json, Value};

const SECRET: &str = "callback-secret-0123456789";
const URL: &str = "/hikcentral/events/callback-secret-0123456789";

async fn app_on(db: &TestDb, extra: &[(&str, &str)], socket: bool) -> TestApp {
    let mut env = vec![("HIKBRIDGE__EVENTS__CALLBACK_SECRET", SECRET)];
    env.extend_from_slice(extra);
    TestApp::builder()
        .on_store(&db.url)
        .env(&env)
        .socket_if(socket)
        .start()
        .await
}

async fn post_raw(app: &TestApp, url: &str, body: &str) -> (StatusCode, Value) {
    let res = app
        .server
        .post(url)
        .content_type("application/json")
        .bytes(body.to_string().into())
        .await;
    (
        res.status_code(),
        serde_json::from_slice(res.as_bytes()).unwrap_or(Value::Null),
    )
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn every_fixture_is_stored_before_the_ok_answer(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let app = app_on(&db, &[], false).await;
    let files = [
        ("hcp-granted-face-entry.json", 1),
        ("hcp-batch-exit-card-and-denied.json", 3),
        ("hcp-person-id-only.json", 1),
        ("isc-granted-face-entry.json", 1),
        ("isc-granted-multifactor-exit.json", 1),
    ];
    let mut expected = 0;
    for (file, n) in files {
        let (status, body) = post_raw(&app, URL, &fixture(file)).await;
        assert_eq!(status, StatusCode::OK, "{}: {file}", db.name);
        assert_eq!(body, json!({"code": "0", "msg": "OK"}));
        expected += n;
        // Durable at answer time: visible through a separate read right away.
        assert_eq!(
            db.store.inbox().count().await.unwrap(),
            expected,
            "{}: {file}",
            db.name
        );
    }
    let ev = db
        .store
        .inbox()
        .get("5f0c1a2e-1111-4a3b-9c7d-000000000001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.person_code.as_deref(), Some("1712345678"));
    assert_eq!(ev.door_name, "Facial Entrada");
    assert_eq!(ev.event_type, 196893);
    assert_eq!(ev.source, "push");
    let only_id = db
        .store
        .inbox()
        .get("5f0c1a2e-1111-4a3b-9c7d-000000000005")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (only_id.person_code, only_id.person_id.as_deref()),
        (None, Some("187"))
    );
    let denied = db
        .store
        .inbox()
        .get("5f0c1a2e-1111-4a3b-9c7d-000000000004")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(denied.event_type, 197151, "denied events are kept");
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn repeated_pushes_are_counted_not_stored_twice(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let app = app_on(&db, &[], false).await;
    let body = fixture("hcp-batch-exit-card-and-denied.json");
    for _ in 0..3 {
        let (status, _) = post_raw(&app, URL, &body).await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(db.store.inbox().count().await.unwrap(), 3, "{}", db.name);
    let ev = db
        .store
        .inbox()
        .get("5f0c1a2e-1111-4a3b-9c7d-000000000002")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.repeats, 2, "{}", db.name);
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn events_without_meaning_are_kept_as_rejected_and_their_neighbours_stored(
    #[case] backend: Db,
) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let app = app_on(&db, &[], false).await;
    let body = json!({"method": "OnEventNotify", "params": {"ability": "event_acs", "events": [
        {"eventType": 196893, "happenTime": "2026-01-27T08:04:00-03:00", "srcIndex": "11", "srcName": "Facial Entrada"},
        {"eventId": "no-time", "eventType": "196893", "srcIndex": "11"},
        {"eventId": "ok-1", "eventType": "196893", "happenTime": "2026-01-27T08:05:00-03:00", "srcIndex": "11", "srcName": "Facial Entrada", "data": null, "brandNew": {"x": 1}}
    ]}});
    let (status, _) = post_raw(&app, URL, &body.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(db.store.inbox().count().await.unwrap(), 1);
    let rejected = db.store.inbox().rejected(10).await.unwrap();
    assert_eq!(rejected.len(), 2, "{}", db.name);
    assert!(
        rejected[0].reason.to_lowercase().contains("eventid"),
        "{:?}",
        rejected[0]
    );
    assert_eq!(rejected[1].event_id.as_deref(), Some("no-time"));
    assert!(
        rejected[1].reason.to_lowercase().contains("time"),
        "{:?}",
        rejected[1]
    );
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn malformed_bodies_answer_400_and_store_nothing(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let app = app_on(&db, &[], false).await;
    let (status, body) = post_raw(&app, URL, "{\"method\":\"OnEventNotify\",").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_payload");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{body}"
    );

    let (status, body) = post_raw(&app, URL, r#"{"method":"OnEventNotify","params":{}}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no events list"),
        "{body}"
    );
    assert_eq!(db.store.inbox().count().await.unwrap(), 0);
    assert!(db.store.inbox().rejected(10).await.unwrap().is_empty());
    db.cleanup().await;
}

#[tokio::test]
async fn a_wrong_or_unset_secret_answers_404() {
    let db = common::db::sqlite_db().await;
    let app = app_on(&db, &[], false).await;
    let (status, body) = post_raw(
        &app,
        "/hikcentral/events/callback-secret-0123456788",
        &fixture("hcp-person-id-only.json"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(db.store.inbox().count().await.unwrap(), 0);

    let unset = TestApp::builder().on_store(&db.url).start().await;
    let (status, _) = post_raw(&unset, URL, &fixture("hcp-person-id-only.json")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "no secret configured: the receiver is off"
    );
}

#[tokio::test]
async fn the_ip_allowlist_answers_403_to_other_addresses() {
    let db = common::db::sqlite_db().await;
    let allowed = app_on(
        &db,
        &[("HIKBRIDGE__EVENTS__ALLOWED_IPS", "127.0.0.1/32")],
        true,
    )
    .await;
    let (status, _) = post_raw(&allowed, URL, &fixture("hcp-person-id-only.json")).await;
    assert_eq!(status, StatusCode::OK);
    let other = app_on(
        &db,
        &[("HIKBRIDGE__EVENTS__ALLOWED_IPS", "10.0.0.0/8, 192.168.1.7")],
        true,
    )
    .await;
    let (status, body) = post_raw(&other, URL, &fixture("hcp-granted-face-entry.json")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "forbidden");
    assert_eq!(db.store.inbox().count().await.unwrap(), 1);
}

#[tokio::test]
async fn an_oversized_push_answers_413_and_stores_nothing() {
    let db = common::db::sqlite_db().await;
    let app = app_on(
        &db,
        &[("HIKBRIDGE__SERVER__BODY_LIMIT_BYTES", "2048")],
        true,
    )
    .await;
    let events: Vec<Value> = (0..50)
        .map(|i| json!({"eventId": format!("big-{i}"), "eventType": 196893, "happenTime": "2026-01-27T08:04:00-03:00", "srcIndex": "11"}))
        .collect();
    let body = json!({"method": "OnEventNotify", "params": {"events": events}}).to_string();
    assert!(body.len() > 2048);
    let (status, json) = post_raw(&app, URL, &body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json["error"]["code"], "payload_too_large");
    assert_eq!(db.store.inbox().count().await.unwrap(), 0);
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn concurrent_pushes_are_all_committed(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let app = app_on(&db, &[], true).await;
    let url = app.server.server_url(URL).unwrap();
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let body = json!({"method": "OnEventNotify", "params": {"events": [
            {"eventId": format!("c-{i}"), "eventType": 196893, "happenTime": "2026-01-27T08:04:00-03:00", "srcIndex": "11", "data": {"personCode": format!("{}", 1000 + i % 7)}}
        ]}});
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&body)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 200);
    }
    assert_eq!(db.store.inbox().count().await.unwrap(), 200, "{}", db.name);
    db.cleanup().await;
}
