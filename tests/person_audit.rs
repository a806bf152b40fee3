//! Every change to a person in HikCentral is on record with who made it, on both stores: a
//! registration and a face update from the frontend's routes (the trusted backend naming the
//! acting user), a bulk job's registrations in its creator's name (marked with the job), a
//! refused photo, a face viewed — and a person's history lists them without the face.

mod common;

use axum::http::{HeaderName, HeaderValue, StatusCode};
use common::app::TestApp;
use common::db::{db_for, Db};
use common::upstreams::{hikcentral, APP_KEY, APP_SECRET};
use hikbridge::siad::seed::{generate, seed_demo, DemoPhoto, ProblemCase};
use hikbridge::store::audit::AuditFilter;
use rstest::rstest;
use serde_json::{json, Value};
use std::time::Duration;

const BACKEND: &str = "token-of-the-siad-backend-0001";
const DESK: &str = "token-of-the-operations-desk-02";

fn sha(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn clients() -> String {
    format!(
        "[[api.clients]]\nname = \"siad-backend\"\nscopes = [\"sync\"]\ntoken_sha256 = \"{}\"\nassert_user = true\n\n\
         [[api.clients]]\nname = \"ops-desk\"\nscopes = [\"read\"]\ntoken_sha256 = \"{}\"\n",
        sha(BACKEND),
        sha(DESK)
    )
}

fn acting(name: &'static str) -> (HeaderName, HeaderValue) {
    (
        HeaderName::from_static("x-acting-user"),
        HeaderValue::from_static(name),
    )
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn registrations_face_updates_and_job_work_are_recorded_with_who_did_them(
    #[case] backend: Db,
) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let siad_path = dir.path().join("siad.db");
    let summary = seed_demo(&siad_path, 16, 7).await.unwrap();
    let (hik, hik_running) = hikcentral(None).await;
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
            ("HIKBRIDGE__EVENTS__POLL_INTERVAL_SECS", "0"),
            ("HIKBRIDGE__SIAD__RECONCILE_INTERVAL_SECS", "0"),
            ("HIKBRIDGE__BIOMETRICO__ORG_BY_PERSON_TYPE", "E=2, D=3, *=4"),
        ])
        .start()
        .await;
    let problems: Vec<String> = ProblemCase::ALL
        .iter()
        .filter_map(|c| summary.ci_of(*c).map(str::to_owned))
        .collect();
    let good: Vec<String> = generate(16, 7)
        .into_iter()
        .filter(|p| {
            matches!(p.photo, DemoPhoto::Portrait { .. }) && !problems.contains(&p.person.ci)
        })
        .map(|p| p.person.ci)
        .collect();
    let (first, job_people) = (good[0].clone(), good[1..3].to_vec());
    let bad_photo = summary.ci_of(ProblemCase::NotAnImage).unwrap().to_owned();
    let (h, v) = acting("mlopez");

    let reg = app
        .server
        .post(&format!("/biometrico/sync-hikcentral/{first}"))
        .authorization_bearer(BACKEND)
        .add_header(h.clone(), v.clone())
        .await;
    assert_eq!(reg.status_code(), StatusCode::OK, "{}", reg.text());
    let upd = app
        .server
        .post(&format!("/biometrico/sync-hikdupdatedoce/{first}"))
        .authorization_bearer(BACKEND)
        .add_header(h.clone(), v.clone())
        .await;
    assert_eq!(upd.status_code(), StatusCode::OK, "{}", upd.text());
    let refused = app
        .server
        .post(&format!("/biometrico/sync-hikcentral/{bad_photo}"))
        .authorization_bearer(BACKEND)
        .add_header(h.clone(), v.clone())
        .await;
    assert_eq!(refused.json::<Value>()["code"], "128");
    let viewed = app
        .server
        .get(&format!("/biometrico/gethick/{first}"))
        .authorization_bearer(BACKEND)
        .add_header(h.clone(), v.clone())
        .await;
    assert_eq!(viewed.status_code(), StatusCode::OK);
    let job = app
        .server
        .post("/biometrico/jobs")
        .authorization_bearer(BACKEND)
        .add_header(h, HeaderValue::from_static("arivera"))
        .json(&json!({"cis": job_people}))
        .await;
    assert_eq!(job.status_code(), StatusCode::ACCEPTED);
    let job_id = job.json::<Value>()["id"].as_str().unwrap().to_owned();
    let mut rows = Vec::new();
    for _ in 0..800 {
        rows = db
            .store
            .audit_rows(
                &AuditFilter {
                    target_kind: Some("person".into()),
                    ..Default::default()
                },
                100,
            )
            .await
            .unwrap();
        if rows.len() >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    rows.reverse();
    let seen: Vec<(&str, &str, &str, Option<&str>)> = rows
        .iter()
        .map(|r| {
            (
                r.action.as_str(),
                r.target.as_deref().unwrap(),
                r.outcome.as_str(),
                r.acting_user.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen[..4],
        [
            ("person_register", first.as_str(), "ok", Some("mlopez")),
            ("person_face_update", first.as_str(), "ok", Some("mlopez")),
            (
                "person_register",
                bad_photo.as_str(),
                "refused",
                Some("mlopez")
            ),
            ("person_photo_view", first.as_str(), "ok", Some("mlopez")),
        ],
        "{backend:?}"
    );
    let from_job: Vec<&str> = rows[4..]
        .iter()
        .map(|r| r.target.as_deref().unwrap())
        .collect();
    assert_eq!(from_job, job_people);
    for r in &rows[4..] {
        assert_eq!(r.action, "person_register");
        assert_eq!(
            (r.client.as_str(), r.acting_user.as_deref()),
            ("siad-backend", Some("arivera"))
        );
        assert_eq!(
            r.request_id.as_deref(),
            Some(format!("job:{job_id}").as_str())
        );
        assert_eq!(r.scope.as_deref(), Some("sync"));
    }
    assert!(rows.iter().all(|r| r.client == "siad-backend"));
    // No face or fingerprint in the rows: the ledger's photo hash is nowhere in them.
    let ledger = db.store.ledger_entry(&first).await.unwrap().unwrap();
    let hash = ledger.photo_hash.unwrap();
    assert!(!format!("{rows:?}").contains(&hash));
    assert!(hik.person_by_code(&first).is_some());

    let history: Value = app
        .server
        .get(&format!("/admin/people/{first}/history"))
        .authorization_bearer(DESK)
        .await
        .json();
    assert_eq!(history["person_id"], ledger.person_id.unwrap());
    let actions: Vec<&str> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["person_photo_view", "person_face_update", "person_register"]
    );
    assert!(!history.to_string().contains(&hash));
    assert!(db.store.verify_audit().await.unwrap().is_ok());
    db.cleanup().await;
}
