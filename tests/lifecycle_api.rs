//! The lifecycle's HTTP API end to end, on both stores: an operator cannot ask for a run that
//! applies (403 naming `admin`); the service's own job runner plans a run asked with
//! `POST /admin/lifecycle/runs` against a demo SIAD and the HikCentral simulator; an operator
//! cannot apply it (403 naming `admin`), an administrator can; the run's counts,
//! its actions (all, one kind, only the problems) and its CSV agree with each other and with
//! HikCentral; a planned run is discarded once, and not twice.

mod common;

use axum::http::StatusCode;
use common::app::TestApp;
use common::db::{db_for, Db};
use common::until;
use common::upstreams::{hikcentral, APP_KEY, APP_SECRET};
use hikbridge::siad::seed::seed_demo;
use rstest::rstest;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const OPS: &str = "token-of-the-operations-desk-01";
const ADMIN: &str = "token-of-the-administrator-0002";

fn sha(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn clients() -> String {
    format!(
        "[[api.clients]]\nname = \"ops-desk\"\nscopes = [\"read\", \"operate\"]\ntoken_sha256 = \"{}\"\n\n\
         [[api.clients]]\nname = \"admin\"\nscopes = [\"read\", \"operate\", \"admin\"]\ntoken_sha256 = \"{}\"\n",
        sha(OPS),
        sha(ADMIN)
    )
}

async fn get(app: &TestApp, path: &str) -> Value {
    let res = app
        .server
        .get(path)
        .authorization_bearer(OPS)
        .expect_success()
        .await;
    res.json()
}

async fn run_state(app: &TestApp, id: &str) -> Value {
    get(app, &format!("/admin/lifecycle/runs/{id}")).await
}

/// Start a run as `token`'s client and wait until its plan is made.
async fn planned_run(app: &TestApp, token: &str, apply: bool) -> Value {
    let res = app
        .server
        .post("/admin/lifecycle/runs")
        .authorization_bearer(token)
        .json(&json!({ "apply": apply }))
        .await;
    assert_eq!(res.status_code(), StatusCode::ACCEPTED, "{}", res.text());
    let id = res.json::<Value>()["id"].as_str().unwrap().to_owned();
    until("the run's plan", || async {
        run_state(app, &id).await["state"] != "planning"
    })
    .await;
    run_state(app, &id).await
}

fn total(counts: &Value) -> i64 {
    counts
        .as_object()
        .unwrap()
        .values()
        .flat_map(|by| by.as_object().unwrap().values())
        .map(|n| n.as_i64().unwrap())
        .sum()
}

fn of(counts: &Value, action: &str, outcome: &str) -> i64 {
    counts[action][outcome].as_i64().unwrap_or(0)
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_run_is_planned_approved_by_an_administrator_applied_and_read_back(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let siad_path = dir.path().join("siad.db");
    seed_demo(&siad_path, 30, 11).await.unwrap();
    let (hik, hik_running) = hikcentral(None).await;
    hik.add_access_level("1", "Campus");
    let siad_url = format!("sqlite://{}", siad_path.display());
    let app = TestApp::builder()
        .on_store(&db.url)
        .config(&clients())
        .env(&[
            ("HIKBRIDGE__SIAD__URL", siad_url.as_str()),
            (
                "HIKBRIDGE__HIKCENTRAL__BASE_URL",
                hik_running.base_url.as_str(),
            ),
            ("HIKBRIDGE__HIKCENTRAL__APP_KEY", APP_KEY),
            ("HIKBRIDGE__HIKCENTRAL__APP_SECRET", APP_SECRET),
            ("HIKBRIDGE__HIKCENTRAL__MAX_ATTEMPTS", "1"),
            ("HIKBRIDGE__HIKCENTRAL__REQUESTS_PER_SECOND", "1000"),
            ("HIKBRIDGE__EVENTS__POLL_INTERVAL_SECS", "0"),
            ("HIKBRIDGE__SIAD__RECONCILE_INTERVAL_SECS", "0"),
            ("HIKBRIDGE__BIOMETRICO__ORG_BY_PERSON_TYPE", "E=2, D=3, *=4"),
            ("HIKBRIDGE__BIOMETRICO__ACCESS_LEVELS", "*=1"),
        ])
        .start()
        .await;

    // An operator may plan, not ask for a run that applies (that is `admin`); nothing starts.
    let denied = app
        .server
        .post("/admin/lifecycle/runs")
        .authorization_bearer(OPS)
        .json(&json!({ "apply": true }))
        .await;
    assert_eq!(denied.status_code(), StatusCode::FORBIDDEN);
    assert_eq!(
        denied.json::<Value>()["error"]["details"]["required_scopes"],
        json!(["admin"])
    );
    assert!(get(&app, "/admin/lifecycle/runs").await["runs"]
        .as_array()
        .unwrap()
        .is_empty());

    // The installation's first run only plans, even when asked to apply.
    let first = planned_run(&app, ADMIN, true).await;
    let id = first["id"].as_str().unwrap().to_owned();
    assert!(
        ["planned", "held"].contains(&first["state"].as_str().unwrap()),
        "{first}"
    );
    let registers = first["counts"]["register"]["pending"].as_i64().unwrap();
    assert!(registers > 0, "the plan registers SIAD's people: {first}");
    assert!(hik.persons().is_empty(), "a plan changes nothing");

    // An operator cannot apply it; an administrator can.
    let refused = app
        .server
        .post(&format!("/admin/lifecycle/runs/{id}/apply"))
        .authorization_bearer(OPS)
        .await;
    assert_eq!(refused.status_code(), StatusCode::FORBIDDEN);
    assert!(refused.text().contains("admin"), "{}", refused.text());
    let approved = app
        .server
        .post(&format!("/admin/lifecycle/runs/{id}/apply"))
        .authorization_bearer(ADMIN)
        .await;
    assert_eq!(
        approved.status_code(),
        StatusCode::ACCEPTED,
        "{}",
        approved.text()
    );
    assert_eq!(approved.json::<Value>()["approved_by"]["client"], "admin");
    until("the run applied", || async {
        run_state(&app, &id).await["state"] == "applied"
    })
    .await;
    let run = run_state(&app, &id).await;
    let counts = &run["counts"];

    // Every planned action has an outcome; registered = in HikCentral; the seed's unusable
    // photos are refused, and those are exactly the problems.
    assert_eq!(total(counts), total(&first["counts"]), "{run}");
    let ok = of(counts, "register", "ok");
    let refused_n = of(counts, "register", "refused");
    assert_eq!(ok + refused_n, registers, "{run}");
    assert_eq!(hik.persons().len() as i64, ok);
    assert!(refused_n > 0, "the demo seed has unusable photos: {run}");
    let bad: i64 = ["refused", "failed", "partial"]
        .iter()
        .map(|o| {
            counts
                .as_object()
                .unwrap()
                .keys()
                .map(|a| of(counts, a, o))
                .sum::<i64>()
        })
        .sum();
    let problems = get(
        &app,
        &format!("/admin/lifecycle/runs/{id}/actions?problems=true"),
    )
    .await;
    let problems = problems.as_array().unwrap();
    assert_eq!(problems.len() as i64, bad);
    for p in problems {
        assert!(
            ["refused", "failed", "partial"].contains(&p["outcome"].as_str().unwrap_or("")),
            "{p}"
        );
    }
    let all = get(
        &app,
        &format!("/admin/lifecycle/runs/{id}/actions?limit=1000"),
    )
    .await;
    assert_eq!(all.as_array().unwrap().len() as i64, total(counts));
    let registers_only = get(
        &app,
        &format!("/admin/lifecycle/runs/{id}/actions?action=register&limit=1000"),
    )
    .await;
    assert_eq!(registers_only.as_array().unwrap().len() as i64, registers);
    let mut by_state: BTreeMap<String, i64> = BTreeMap::new();
    for a in all.as_array().unwrap() {
        *by_state
            .entry(a["state"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert!(!by_state.contains_key("pending"), "{by_state:?}");
    let unknown = app
        .server
        .get(&format!("/admin/lifecycle/runs/{id}/actions?action=vanish"))
        .authorization_bearer(OPS)
        .await;
    assert_eq!(unknown.status_code(), StatusCode::BAD_REQUEST);

    // The CSV: a header and one line per action.
    let csv = app
        .server
        .get(&format!("/admin/lifecycle/runs/{id}/actions.csv"))
        .authorization_bearer(OPS)
        .expect_success()
        .await
        .text();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.records().count() as i64, total(counts));

    // A second plan finds nothing left to register; discarded once, not twice.
    let second = planned_run(&app, OPS, false).await;
    assert_eq!(second["state"], "planned", "{second}");
    assert_eq!(of(&second["counts"], "register", "pending"), refused_n);
    let sid = second["id"].as_str().unwrap();
    let discarded = app
        .server
        .post(&format!("/admin/lifecycle/runs/{sid}/discard"))
        .authorization_bearer(OPS)
        .await;
    assert_eq!(discarded.status_code(), StatusCode::OK);
    assert_eq!(discarded.json::<Value>()["state"], "cancelled");
    let again = app
        .server
        .post(&format!("/admin/lifecycle/runs/{sid}/discard"))
        .authorization_bearer(OPS)
        .await;
    assert_eq!(again.status_code(), StatusCode::CONFLICT);
    let list = get(&app, "/admin/lifecycle/runs").await;
    let states: Vec<&str> = list["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["cancelled", "applied"]);
}
