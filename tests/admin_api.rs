//! The admin API: bearer tokens, parked items, retry/discard, overrides, timeline, doors.

mod common;

use common::until;

use axum::http::StatusCode;
use common::app::TestApp;
use hikbridge::sim::humand::{HumandSim, HumandSimConfig};
use serde_json::{json, Value};

const SECRET: &str = "callback-secret-0123456789";
const URL: &str = "/hikcentral/events/callback-secret-0123456789";
const KEY: &str = "ZGVtby1pZDpkZW1vLXNlY3JldA==";

async fn setup() -> (
    TestApp,
    HumandSim,
    hikbridge::sim::RunningSim,
    common::db::TestDb,
) {
    let db = common::db::sqlite_db().await;
    let humand = HumandSim::new(HumandSimConfig::default());
    humand.add_user("1100000001", "Ana", "Mora");
    let running = humand.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = HumandSim::api_base(&running);
    let app = TestApp::builder()
        .on_store(&db.url)
        .env(&[
            ("HIKBRIDGE__EVENTS__CALLBACK_SECRET", SECRET),
            ("HIKBRIDGE__HUMAND__BASE_URL", base.as_str()),
            ("HIKBRIDGE__HUMAND__API_KEY", KEY),
            ("HIKBRIDGE__HUMAND__RATE_WINDOW_SECS", "1"),
            (
                "HIKBRIDGE__ATTENDANCE__DOORS",
                "code:11=entry, code:12=exit",
            ),
            (
                "HIKBRIDGE__API__TOKENS",
                "old-token-aaaaaaaa,new-token-bbbbbbbb",
            ),
        ])
        .start()
        .await;
    (app, humand, running, db)
}

fn ev(id: &str, time: &str, door: &str, code: &str) -> Value {
    json!({"eventId": id, "eventType": 196893, "happenTime": time, "srcIndex": door, "srcName": format!("Door {door}"), "data": {"personCode": code}})
}

async fn push(app: &TestApp, events: Vec<Value>) {
    let body = json!({"method": "OnEventNotify", "params": {"events": events}});
    assert_eq!(
        app.server.post(URL).json(&body).await.status_code(),
        StatusCode::OK
    );
}

async fn get(app: &TestApp, path: &str) -> Value {
    let res = app
        .server
        .get(path)
        .authorization_bearer("new-token-bbbbbbbb")
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{path}: {}", res.text());
    res.json()
}

#[tokio::test]
async fn the_admin_api_needs_one_of_the_configured_tokens() {
    let (app, _h, _r, _db) = setup().await;
    let none = app.server.get("/admin/summary").await;
    assert_eq!(none.status_code(), StatusCode::UNAUTHORIZED);
    assert_eq!(none.header("www-authenticate"), "Bearer");
    assert_eq!(none.json::<Value>()["error"]["code"], "unauthorized");
    let wrong = app
        .server
        .get("/admin/summary")
        .authorization_bearer("new-token-bbbbbbbX")
        .await;
    assert_eq!(wrong.status_code(), StatusCode::UNAUTHORIZED);
    for token in ["old-token-aaaaaaaa", "new-token-bbbbbbbb"] {
        let ok = app
            .server
            .get("/admin/summary")
            .authorization_bearer(token)
            .await;
        assert_eq!(
            ok.status_code(),
            StatusCode::OK,
            "rotation: both tokens work"
        );
    }
}

#[tokio::test]
async fn parked_punches_can_be_retried_or_discarded() {
    let (app, humand, _r, db) = setup().await;
    push(
        &app,
        vec![
            ev("p-1", "2026-01-27T08:00:00-03:00", "11", "1100000002"),
            ev("p-2", "2026-01-27T08:00:00-03:00", "11", "1100000003"),
        ],
    )
    .await;
    until("both parked", || async {
        get(&app, "/admin/parked").await["punches"]
            .as_array()
            .unwrap()
            .len()
            == 2
    })
    .await;
    let parked = get(&app, "/admin/parked").await;
    let first = &parked["punches"][0];
    assert_eq!(first["park_reason"], "humand_rejected");
    assert!(first["response_body"]
        .as_str()
        .unwrap()
        .contains("User not found"));

    // The employee is created in Humand; the operator retries.
    humand.add_user("1100000002", "Luis", "Paz");
    let id = db
        .store
        .punches()
        .by_event("p-1")
        .await
        .unwrap()
        .unwrap()
        .id;
    let res = app
        .server
        .post(&format!("/admin/punches/{id}/retry"))
        .authorization_bearer("new-token-bbbbbbbb")
        .await;
    assert_eq!(res.status_code(), StatusCode::ACCEPTED);
    until("delivered after retry", || async {
        humand.entries("1100000002").len() == 1
    })
    .await;

    let other = db
        .store
        .punches()
        .by_event("p-2")
        .await
        .unwrap()
        .unwrap()
        .id;
    let res = app
        .server
        .post(&format!("/admin/punches/{other}/discard"))
        .authorization_bearer("new-token-bbbbbbbb")
        .await;
    assert_eq!(res.status_code(), StatusCode::OK);
    let again = app
        .server
        .post(&format!("/admin/punches/{other}/retry"))
        .authorization_bearer("new-token-bbbbbbbb")
        .await;
    assert_eq!(
        again.status_code(),
        StatusCode::CONFLICT,
        "only parked punches can be retried"
    );
    let listed = get(&app, "/admin/punches?state=discarded").await;
    assert_eq!(listed["count"], 1);
}

#[tokio::test]
async fn overrides_map_person_codes_to_employee_ids() {
    let (app, humand, _r, _db) = setup().await;
    let res = app
        .server
        .put("/admin/overrides/0099887766")
        .authorization_bearer("old-token-aaaaaaaa")
        .json(&json!({"employeeId": "1100000001", "note": "badge re-issued"}))
        .await;
    assert_eq!(res.status_code(), StatusCode::OK);
    // As a spreadsheet saves it: a quoted note with a comma, an empty trailing column.
    let csv = "person_code,employee_id,note,\n0011223344,1100000001,\"second badge, blue\",\n";
    let res = app
        .server
        .post("/admin/overrides")
        .authorization_bearer("old-token-aaaaaaaa")
        .text(csv)
        .await;
    assert_eq!(res.json::<Value>()["imported"], 1);
    let bad = app
        .server
        .post("/admin/overrides")
        .authorization_bearer("old-token-aaaaaaaa")
        .text("just-one-column\n")
        .await;
    assert_eq!(bad.status_code(), StatusCode::BAD_REQUEST);
    let overrides = get(&app, "/admin/overrides").await;
    assert_eq!(overrides["count"], 2);
    let imported = overrides["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["person_code"] == "0011223344");
    assert_eq!(
        imported.map(|o| o["note"].clone()),
        Some(json!("second badge, blue")),
        "{overrides}"
    );

    push(
        &app,
        vec![
            ev("o-1", "2026-01-27T08:00:00-03:00", "11", "0099887766"),
            ev("o-2", "2026-01-27T17:00:00-03:00", "12", "0011223344"),
        ],
    )
    .await;
    until("both delivered to the mapped employee", || async {
        humand.entries("1100000001").len() == 2
    })
    .await;

    let tl = get(&app, "/admin/timeline/1100000001/2026-01-27").await;
    let rows = tl["timeline"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{tl}");
    assert_eq!(rows[0]["decision"], "punch");
    assert_eq!(rows[0]["punch"]["state"], "delivered");
    assert_eq!(rows[1]["punch"]["direction"], "exit");
    let bad_day = app
        .server
        .get("/admin/timeline/1100000001/27-01-2026")
        .authorization_bearer("old-token-aaaaaaaa")
        .await;
    assert_eq!(bad_day.status_code(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unmapped_doors_are_listed_with_how_to_map_them() {
    let (app, _h, _r, db) = setup().await;
    push(
        &app,
        vec![ev("m-1", "2026-01-27T08:00:00-03:00", "77", "1100000001")],
    )
    .await;
    until("decided", || async {
        db.store.inbox().get("m-1").await.unwrap().unwrap().state == "decided"
    })
    .await;
    let doors = get(&app, "/admin/doors/unmapped").await;
    assert_eq!(doors["items"][0]["door_index"], "77");
    assert_eq!(doors["items"][0]["events"], 1);
    assert!(doors["items"][0]["map_with"]
        .as_str()
        .unwrap()
        .contains("code:77=entry"));
    let ev = get(&app, "/admin/events/m-1").await;
    assert_eq!(ev["event"]["reason"], "unmapped_door");

    // After the operator maps doors (and restarts), skipped events are decided again.
    let res = app
        .server
        .post("/admin/events/redecide?reason=unmapped_door")
        .authorization_bearer("new-token-bbbbbbbb")
        .await;
    assert_eq!(res.json::<Value>()["events"], 1);
    until("decided again", || async {
        get(&app, "/admin/doors/unmapped").await["items"][0]["events"] == 1
    })
    .await;
    let bad = app
        .server
        .post("/admin/events/redecide?reason=double_scan")
        .authorization_bearer("new-token-bbbbbbbb")
        .await;
    assert_eq!(bad.status_code(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn rejected_events_are_listed_newest_first_and_counted_in_the_summary() {
    let (app, _humand, _running, _db) = setup().await;
    push(
        &app,
        vec![
            json!({"eventId": "r-1"}),
            json!("not an object"),
            json!({"eventType": 1}),
        ],
    )
    .await;
    let summary = get(&app, "/admin/summary").await;
    assert_eq!(summary["rejected_events"], 3, "{summary}");
    let listed = get(&app, "/admin/rejected?limit=2").await;
    assert_eq!(listed["total"], 3, "{listed}");
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(
        items[0]["reason"].as_str().unwrap().contains("eventId"),
        "{listed}"
    );
    assert!(
        items[1]["reason"]
            .as_str()
            .unwrap()
            .contains("not a JSON object"),
        "{listed}"
    );
    assert!(items[0]["received_at"].as_str().unwrap().contains('T'));
    // An unknown filter is refused, not ignored.
    let res = app
        .server
        .get("/admin/rejected?limt=2")
        .authorization_bearer("new-token-bbbbbbbb")
        .await;
    assert_eq!(res.status_code(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_dashboard_is_served_with_its_assets_and_a_strict_policy() {
    let (app, _humand, _running, _db) = setup().await;
    let page = app.server.get("/").await;
    assert_eq!(page.status_code(), StatusCode::OK);
    assert!(page
        .header("content-type")
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = page.header("content-security-policy");
    assert!(
        csp.to_str().unwrap().contains("script-src 'self'"),
        "{csp:?}"
    );
    let html = page.text();
    for asset in ["/dashboard/app.js", "/dashboard/style.css"] {
        assert!(html.contains(asset), "the page loads {asset}");
        let res = app.server.get(asset).await;
        assert_eq!(res.status_code(), StatusCode::OK, "{asset}");
        assert!(!res.text().is_empty());
    }
    for count in [
        "events",
        "events-rejected",
        "punches-queued",
        "punches-delivered",
        "parked",
        "out-of-window",
    ] {
        assert!(
            html.contains(&format!("data-count=\"{count}\"")),
            "the page has data-count={count}"
        );
    }
}

#[tokio::test]
async fn unknown_filters_are_refused_and_moments_are_also_given_in_rfc3339() {
    let (app, _humand, _running, _db) = setup().await;
    let bearer = "new-token-bbbbbbbb";
    for query in ["state=delivred", "day=27-01-2026", "employe=1100000001"] {
        let res = app
            .server
            .get(&format!("/admin/punches?{query}"))
            .authorization_bearer(bearer)
            .await;
        assert_eq!(res.status_code(), StatusCode::BAD_REQUEST, "{query}");
    }
    let res = app
        .server
        .get("/admin/punches?state=delivred")
        .authorization_bearer(bearer)
        .await;
    assert!(
        res.text().contains("queued, sending, parked"),
        "{}",
        res.text()
    );
    push(
        &app,
        vec![json!({"eventId": "t-1", "eventType": 196893,
            "happenTime": "2026-01-27T08:00:00-05:00", "srcIndex": "11",
            "data": {"personCode": "1100000001"}})],
    )
    .await;
    until("a punch exists", || async {
        get(&app, "/admin/punches?state=delivered").await["count"] == 1
    })
    .await;
    let punch = &get(&app, "/admin/punches?day=2026-01-27").await["items"][0];
    assert_eq!(punch["at"], "2026-01-27T13:00:00.000Z", "{punch}");
    assert!(
        punch["created_at"].as_str().unwrap().ends_with('Z'),
        "{punch}"
    );
}
