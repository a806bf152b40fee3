//! The `/biometrico` routes as the existing SIAD frontend calls them (same paths, params and
//! bodies), against the HikCentral simulator and a SQLite SIAD, asserting the fields it reads.

mod common;

use axum::http::StatusCode;
use base64::Engine;
use common::app::TestApp;
use common::db::{db_for, Db};
use common::upstreams::{hikcentral, APP_KEY, APP_SECRET};
use hikbridge::siad::seed::{generate, seed_demo, ProblemCase, SeedSummary};
use hikbridge::sim::hikcentral::HikSim;
use rstest::rstest;
use serde_json::{json, Value};

const TOKEN: &str = "frontend-token-0123456789";

struct Env {
    app: TestApp,
    hik: HikSim,
    _hik_running: hikbridge::sim::RunningSim,
    summary: SeedSummary,
    siad_path: std::path::PathBuf,
    _db: common::db::TestDb,
    _dir: tempfile::TempDir,
}

/// The environment on `backend` (one test case per backend); `None` when PostgreSQL is not
/// configured.
async fn env_for(backend: Db, extra: &[(&str, &str)]) -> Option<Env> {
    Some(env_on(db_for(backend).await?, extra).await)
}

async fn env(extra: &[(&str, &str)]) -> Env {
    env_on(common::db::sqlite_db().await, extra).await
}

/// The app on `db`, which a test may have prepared before the app (and its workers) start.
/// Its sentences are in English (`ui.language = "en"`, unless `extra` says otherwise): the
/// tests outside `mod language` check what they say, in one language.
async fn env_on(db: common::db::TestDb, extra: &[(&str, &str)]) -> Env {
    let mut vars = vec![("HIKBRIDGE__UI__LANGUAGE", "en")];
    vars.extend_from_slice(extra);
    env_with(db, &vars).await
}

/// The app on `db` with the embedded defaults (Spanish) and `extra`.
async fn env_with(db: common::db::TestDb, extra: &[(&str, &str)]) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let siad_path = dir.path().join("siad.db");
    let summary = seed_demo(&siad_path, 16, 7).await.unwrap();
    let (hik, hik_running) = hikcentral(None).await;
    let siad_url = format!("sqlite://{}", siad_path.display());
    let mut vars = vec![
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
        ("HIKBRIDGE__API__TOKENS", TOKEN),
        ("HIKBRIDGE__BIOMETRICO__ORG_BY_PERSON_TYPE", "E=2, D=3, *=4"),
    ];
    vars.extend_from_slice(extra);
    let app = TestApp::builder()
        .on_store(&db.url)
        .env(&vars)
        .start()
        .await;
    Env {
        app,
        hik,
        _hik_running: hik_running,
        summary,
        siad_path,
        _db: db,
        _dir: dir,
    }
}

/// A person of `type` with a normal portrait.
fn person_of(summary: &SeedSummary, person_type: &str) -> String {
    let problems: Vec<&str> = ProblemCase::ALL
        .iter()
        .filter_map(|c| summary.ci_of(*c))
        .collect();
    generate(16, 7)
        .into_iter()
        .find(|p| p.person.person_type == person_type && !problems.contains(&p.person.ci.as_str()))
        .map(|p| p.person.ci)
        .unwrap_or_else(|| panic!("no {person_type} in the demo data"))
}

async fn get(e: &Env, path: &str) -> (StatusCode, Value) {
    let res = e.app.server.get(path).authorization_bearer(TOKEN).await;
    (
        res.status_code(),
        serde_json::from_slice(res.as_bytes()).unwrap_or(Value::Null),
    )
}

async fn post(e: &Env, path: &str, body: Value) -> (StatusCode, Value, Option<String>) {
    let res = e
        .app
        .server
        .post(path)
        .authorization_bearer(TOKEN)
        .json(&body)
        .await;
    let retry = res
        .maybe_header("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (
        res.status_code(),
        serde_json::from_slice(res.as_bytes()).unwrap_or(Value::Null),
        retry,
    )
}

#[tokio::test]
async fn the_student_flow_of_the_frontend_registers_once_and_reports_status() {
    let e = env(&[]).await;
    let ci = person_of(&e.summary, "E");
    let (status, body) = get(&e, &format!("/biometrico/getperson-est/{ci}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"registrado": false, "personId": null}));

    // verificarRegistroHC → sync-hikdoc-est-id with idper, empty body, as axios sends it.
    let (status, body, _) = post(
        &e,
        &format!("/biometrico/sync-hikdoc-est-id/{ci}?idper=2026-1"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["code"], "0");
    assert_eq!(body["msg"], "Success");
    let pid = body["data"].as_str().expect("personId string").to_string();
    assert!(
        body["reason"].is_string()
            && body.get("upstreamCode").is_some()
            && body.get("upstreamMsg").is_some()
    );

    let registered = e.hik.person_by_code(&ci).expect("created in HikCentral");
    assert_eq!(registered["personId"], pid.as_str());
    assert_eq!(registered["orgIndexCode"], "2", "org from the person type");
    assert!(
        registered["personPhoto"]["picUri"].is_string(),
        "a face was sent"
    );

    let (_, body) = get(&e, &format!("/biometrico/getperson-est/{ci}")).await;
    assert_eq!(body, json!({"registrado": true, "personId": pid}));

    // The mass-sync loop calls sync-hikdoc again: "already registered", never a duplicate.
    let (_, body, _) = post(&e, &format!("/biometrico/sync-hikdoc/{ci}"), json!({})).await;
    assert_eq!(body["code"], "131");
    assert_eq!(body["data"], pid.as_str());
    assert_eq!(
        e.hik
            .persons()
            .iter()
            .filter(|p| p["personCode"] == ci.as_str())
            .count(),
        1
    );

    // The photo proxy serves HikCentral's picture, never cached.
    let res = e
        .app
        .server
        .get(&format!("/biometrico/gethick/{ci}?t=1767225600000"))
        .authorization_bearer(TOKEN)
        .await;
    assert_eq!(res.status_code(), StatusCode::OK);
    assert_eq!(res.header("content-type"), "image/jpeg");
    assert_eq!(res.header("cache-control"), "no-store");
    assert_eq!(&res.as_bytes()[..2], &[0xFF, 0xD8]);

    let (_, cmp) = get(&e, &format!("/biometrico/compare/{ci}")).await;
    assert!(cmp["similarity"].as_u64().unwrap() >= 90, "{cmp}");
}

#[tokio::test]
async fn pending_lists_leave_out_the_registered() {
    let e = env(&[]).await;
    let teacher = person_of(&e.summary, "D");
    let (_, before) = get(&e, "/biometrico/get-pending-sync?tipoFilter=D").await;
    let cis = |v: &Value| -> Vec<String> {
        v["pendientes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["CIInfPer"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(cis(&before).contains(&teacher));
    let first = &before["pendientes"][0];
    for key in [
        "CIInfPer",
        "NombInfPer",
        "ApellInfPer",
        "ApellMatInfPer",
        "mailInst",
        "TipoInfPer",
    ] {
        assert!(first.get(key).is_some(), "{key} missing: {first}");
    }
    let (_, body, _) = post(
        &e,
        &format!("/biometrico/sync-hikcentral/{teacher}"),
        json!({}),
    )
    .await;
    assert_eq!(body["code"], "0", "{body}");
    let (_, after) = get(&e, "/biometrico/get-pending-sync?tipoFilter=D").await;
    assert!(!cis(&after).contains(&teacher));
    assert_eq!(cis(&after).len(), cis(&before).len() - 1);

    let (status, students) =
        get(&e, "/biometrico/get-pending-sync-est?carrera_name=SOFTWARE").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!students["pendientes"].as_array().unwrap().is_empty());
    let (status, _) = get(&e, "/biometrico/get-pending-sync-est").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "carrera_name is required");
}

#[tokio::test]
async fn bad_photos_answer_the_photo_code_with_a_precise_reason() {
    let e = env(&[]).await;
    let case = |c| e.summary.ci_of(c).unwrap().to_string();
    let (_, body, _) = post(
        &e,
        &format!("/biometrico/sync-hikdoc/{}", case(ProblemCase::TinyPhoto)),
        json!({}),
    )
    .await;
    assert_eq!(body["code"], "128");
    assert_eq!(
        body["reason"],
        "photo is 80×60 px; at least 200×200 is needed"
    );
    let (_, body, _) = post(
        &e,
        &format!("/biometrico/sync-hikdoc/{}", case(ProblemCase::NoPhoto)),
        json!({}),
    )
    .await;
    assert_eq!(body["code"], "128");
    assert!(
        body["reason"].as_str().unwrap().contains("no photo"),
        "{body}"
    );
    let (_, body, _) = post(
        &e,
        &format!("/biometrico/sync-hikdoc/{}", case(ProblemCase::NotAnImage)),
        json!({}),
    )
    .await;
    assert_eq!(body["code"], "128", "{body}");
    let (_, body, _) = post(
        &e,
        &format!("/biometrico/sync-hikdoc/{}", case(ProblemCase::PngPhoto)),
        json!({}),
    )
    .await;
    assert_eq!(body["code"], "0", "a PNG is converted to JPEG: {body}");
    assert!(
        e.hik
            .person_by_code(&case(ProblemCase::TinyPhoto))
            .is_none(),
        "nothing sent for a bad photo"
    );
}

#[tokio::test]
async fn an_oversized_photo_is_normalised_under_the_budget() {
    let e = env(&[]).await;
    let ci = person_of(&e.summary, "E");
    // Replace the portrait by a 3000×4000 noisy JPEG of several MB.
    let mut img = image::RgbImage::new(3000, 4000);
    for (x, y, p) in img.enumerate_pixels_mut() {
        *p = image::Rgb([
            (x * 7 % 251) as u8,
            (y * 13 % 241) as u8,
            ((x ^ y) % 239) as u8,
        ]);
    }
    let mut big = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut big, 85)
        .encode_image(&img)
        .unwrap();
    assert!(big.len() > 1_000_000);
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", e.siad_path.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE fotografias SET Fotografia = ?1 WHERE CIInfPer = ?2")
        .bind(&big)
        .bind(&ci)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let (_, body, _) = post(&e, &format!("/biometrico/sync-hikdoc/{ci}"), json!({})).await;
    assert_eq!(body["code"], "0", "{body}");
    let res = e
        .app
        .server
        .get(&format!("/biometrico/gethick/{ci}"))
        .authorization_bearer(TOKEN)
        .await;
    let sent = res.as_bytes();
    assert!(sent.len() <= 200 * 1024, "{} bytes", sent.len());
    let decoded = image::load_from_memory(sent).unwrap();
    assert_eq!(decoded.height().max(decoded.width()), 600);
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_photo_update_is_reported_only_once_hikcentral_holds_the_new_face(#[case] backend: Db) {
    let Some(e) = env_for(backend, &[]).await else {
        return;
    };
    let ci = person_of(&e.summary, "D");
    // Registered elsewhere with another picture (a plain grey square), so the SIAD photo the
    // update sends is a different face.
    let mut other = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
        300,
        300,
        image::Rgb([90, 90, 90]),
    ))
    .write_to(
        &mut std::io::Cursor::new(&mut other),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    let pid = e
        .hik
        .add_person(json!({"personCode": ci, "personGivenName": "X",
    "personFamilyName": "Y", "orgIndexCode": "1",
    "faces": [{"faceData": base64::engine::general_purpose::STANDARD.encode(&other)}]}));
    let before = e.hik.person_by_code(&ci).unwrap();

    // A server that answers success but keeps the old face: never "photo updated".
    e.hik.set_face_update_ignored(true);
    let (status, body, _) = post(
        &e,
        &format!("/biometrico/sync-hikdupdatedoce/{ci}"),
        json!({"personaId": pid}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(body["code"], "face_not_applied", "{body}");
    assert!(
        body["details"]["msg"]
            .as_str()
            .unwrap()
            .contains("still holds the previous face"),
        "{body}"
    );

    assert_eq!(
        e.hik.person_by_code(&ci).unwrap(),
        before,
        "the old face is still there"
    );

    // A server that applies it: success, and the face really changed.
    e.hik.set_face_update_ignored(false);
    let (status, body, _) = post(
        &e,
        &format!("/biometrico/sync-hikdupdatedoce/{ci}"),
        json!({"personaId": pid}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["code"], "0", "{body}");
    let after = e.hik.person_by_code(&ci).unwrap();
    assert_ne!(
        after["personPhoto"]["picUri"], before["personPhoto"]["picUri"],
        "the face was replaced"
    );

    // The student variant, with idper and an empty personaId (the ledger knows the person).
    let student = person_of(&e.summary, "E");
    post(
        &e,
        &format!("/biometrico/sync-hikdoc-est-id/{student}?idper=2026-1"),
        json!({}),
    )
    .await;
    let (_, body, _) = post(
        &e,
        &format!("/biometrico/sync-hikdoc-update/{student}?idper=2026-1"),
        json!({"personaId": ""}),
    )
    .await;
    assert_eq!(
        body["code"], "0",
        "an empty personaId falls back to the ledger: {body}"
    );
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn an_edition_without_face_update_gets_a_plain_refusal_and_nothing_changes(
    #[case] backend: Db,
) {
    let Some(e) = env_for(backend, &[]).await else {
        return;
    };
    let ci = person_of(&e.summary, "D");
    let (_, body, _) = post(&e, &format!("/biometrico/sync-hikcentral/{ci}"), json!({})).await;
    let pid = body["data"].as_str().unwrap().to_string();
    let before = e.hik.person_by_code(&ci).unwrap();
    e.hik.set_face_update_supported(false);
    let (status, body, _) = post(
        &e,
        &format!("/biometrico/sync-hikdupdatedoce/{ci}"),
        json!({"personaId": pid}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{body}");
    assert_eq!(body["code"], "face_update_unsupported");
    assert!(
        body["details"]["msg"]
            .as_str()
            .unwrap()
            .contains("cannot replace a face through OpenAPI"),
        "{body}"
    );
    assert_eq!(
        e.hik.person_by_code(&ci).unwrap(),
        before,
        "nothing changed"
    );
}

#[tokio::test]
async fn people_registered_by_other_means_are_found_not_duplicated() {
    let e = env(&[]).await;
    let ci = person_of(&e.summary, "E");
    let pid = e.hik.add_person(json!({"personCode": ci, "personGivenName": "X", "personFamilyName": "Y", "orgIndexCode": "1"}));
    let (_, body, _) = post(&e, &format!("/biometrico/sync-hikdoc/{ci}"), json!({})).await;
    assert_eq!(body["code"], "131");
    assert_eq!(body["data"], pid.as_str());
    let (_, status) = get(&e, &format!("/biometrico/getperson/{ci}")).await;
    assert_eq!(status, json!({"registrado": true, "personId": pid}));
}

#[tokio::test]
async fn errors_use_http_statuses_the_frontend_understands() {
    let e = env(&[]).await;
    let (status, body, _) = post(&e, "/biometrico/sync-hikdoc/0000000000", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["details"]["msg"]
            .as_str()
            .unwrap()
            .contains("0000000000"),
        "{body}"
    );

    let (status, body, _) = post(&e, "/biometrico/sync-hikdoc/12-34", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let res = e.app.server.post("/biometrico/sync-hikdoc/1").await;
    assert_eq!(res.status_code(), StatusCode::UNAUTHORIZED);

    let ci = person_of(&e.summary, "E");
    e.hik.set_throttle(Some(0), true);
    let (status, body, retry) = post(&e, &format!("/biometrico/sync-hikdoc/{ci}"), json!({})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(retry.is_some(), "Retry-After for the frontend's 429 branch");
    assert!(body["details"]["msg"].is_string());
    e.hik.set_throttle(None, false);

    let res = e
        .app
        .server
        .get("/biometrico/gethick/0000000001")
        .authorization_bearer(TOKEN)
        .await;
    assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
    assert_eq!(res.json::<Value>()["error"]["code"], "not_found");
}

#[tokio::test]
async fn siad_unreachable_is_503_with_the_reason() {
    let e = env(&[("HIKBRIDGE__SIAD__URL", "sqlite:///nonexistent/dir/siad.db")]).await;
    let (status, body, _) = post(&e, "/biometrico/sync-hikdoc/1712345678", json!({})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let msg = body["details"]["msg"].as_str().unwrap();
    assert!(
        msg.contains("SIAD") && msg.contains("seed-demo"),
        "the reason, not just 'not configured': {body}"
    );
}

mod jobs {
    use super::*;
    use std::time::Duration;

    async fn wait_state(e: &Env, id: &str, want: &str) -> Value {
        for _ in 0..800 {
            let (_, p) = get(e, &format!("/biometrico/jobs/{id}")).await;
            if p["state"] == want {
                return p;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("job {id} never reached {want}");
    }

    #[tokio::test]
    async fn a_program_job_syncs_everyone_with_progress_and_a_csv_report() {
        let e = env(&[]).await;
        let (status, created, _) = post(
            &e,
            "/biometrico/jobs",
            json!({"program": "SOFTWARE", "period": "2026-1"}),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{created}");
        let id = created["id"].as_str().unwrap().to_string();
        let total = created["total"].as_u64().unwrap();
        assert!(total >= 4, "the problem cases are SOFTWARE 2026-1 students");

        let p = wait_state(&e, &id, "done").await;
        assert_eq!(p["done"], total);
        assert_eq!(p["percent"], 100);
        let counts = &p["counts"];
        assert_eq!(counts["photo_rejected"], 3, "{p}");
        let registered = counts["registered"].as_u64().unwrap();
        assert_eq!(registered + 3, total, "{p}");
        assert_eq!(e.hik.persons().len() as u64, registered);

        let res = e
            .app
            .server
            .get(&format!("/biometrico/jobs/{id}/report.csv"))
            .authorization_bearer(TOKEN)
            .await;
        assert!(res
            .header("content-type")
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let csv = res.text();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "position,ci,name,outcome,code,reason,person_id");
        assert_eq!(lines.len() as u64, total + 1);
        let tiny = e.summary.ci_of(ProblemCase::TinyPhoto).unwrap();
        assert!(
            lines
                .iter()
                .any(|l| l.contains(tiny) && l.contains("photo_rejected") && l.contains("80×60")),
            "{csv}"
        );

        // Server-sent events of a finished job: the final progress, then the stream ends.
        let res = e
            .app
            .server
            .get(&format!("/biometrico/jobs/{id}/events"))
            .authorization_bearer(TOKEN)
            .await;
        let text = res.text();
        assert!(text.contains("event: progress"), "{text}");
        assert!(text.contains("\"state\":\"done\""), "{text}");
    }

    #[tokio::test]
    async fn the_progress_stream_follows_a_running_job_to_its_end() {
        let e = env(&[]).await;
        e.hik.faults.set_latency_ms(40);
        let (_, created, _) = post(&e, "/biometrico/jobs", json!({"personType": "E"})).await;
        let id = created["id"].as_str().unwrap();
        let total = created["total"].as_u64().unwrap();
        assert!(total >= 2, "{created}");
        // Opened while the job runs: an event for each change the runner reports (within
        // moments, not at the stream's slow recheck), then the end.
        let text = e
            .app
            .server
            .get(&format!("/biometrico/jobs/{id}/events"))
            .authorization_bearer(TOKEN)
            .await
            .text();
        let done: Vec<u64> = text
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str::<Value>(d).ok())
            .filter_map(|d| d["done"].as_u64())
            .collect();
        assert!(
            done.iter().any(|d| *d > 0 && *d < total),
            "progress while the job runs, not only its start and end: {done:?}"
        );
        assert!(done.windows(2).all(|w| w[0] <= w[1]), "{done:?}");
        assert!(text.contains("\"state\":\"done\""), "{text}");
    }

    #[tokio::test]
    async fn a_dry_run_sends_nothing() {
        let e = env(&[]).await;
        let (_, created, _) = post(
            &e,
            "/biometrico/jobs",
            json!({"personType": "D", "dryRun": true}),
        )
        .await;
        let id = created["id"].as_str().unwrap();
        let p = wait_state(&e, id, "done").await;
        assert!(p["counts"]["would_register"].as_u64().unwrap() >= 1, "{p}");
        assert!(e.hik.persons().is_empty(), "a dry run creates nobody");
    }

    #[tokio::test]
    async fn a_job_can_be_cancelled_between_persons() {
        let e = env(&[]).await;
        e.hik.faults.set_latency_ms(150);
        let (_, created, _) = post(&e, "/biometrico/jobs", json!({"program": "SOFTWARE"})).await;
        let id = created["id"].as_str().unwrap().to_string();
        for _ in 0..400 {
            let (_, p) = get(&e, &format!("/biometrico/jobs/{id}")).await;
            if p["done"].as_u64().unwrap_or(0) >= 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let (status, body, _) = post(&e, &format!("/biometrico/jobs/{id}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // The person in flight finishes; then the job stops (polled, not a fixed wait).
        let p = wait_state(&e, &id, "cancelled").await;
        let done = p["done"].as_u64().unwrap();
        assert!(
            done < created["total"].as_u64().unwrap(),
            "cancelled before the end: {p}"
        );
        let (status, _, _) = post(&e, &format!("/biometrico/jobs/{id}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT);
    }

    #[tokio::test]
    async fn a_job_interrupted_by_a_restart_resumes_where_it_stopped() {
        let teachers: Vec<(String, String)> = generate(16, 7)
            .into_iter()
            .filter(|p| {
                p.person.person_type == "E"
                    && matches!(p.photo, hikbridge::siad::seed::DemoPhoto::Portrait { .. })
            })
            .take(3)
            .map(|p| (p.person.ci.clone(), p.person.full_name()))
            .collect();
        assert!(teachers.len() >= 2);
        // What a crash leaves behind: a running job whose first person is done. It is written
        // before the service starts, as after a real restart.
        let db = common::db::sqlite_db().await;
        let store = db.store.clone();
        store
            .create_sync_job(
                "resume-1",
                "person_type",
                "{}",
                false,
                &teachers,
                &hikbridge::store::audit::Actor::new("siad-frontend", Some("jperez".into())),
                1,
            )
            .await
            .unwrap();
        store
            .set_sync_job_state("resume-1", hikbridge::store::JobState::Running, None, 2)
            .await
            .unwrap();
        store
            .record_sync_item(
                "resume-1",
                0,
                "registered",
                Some("0"),
                "before the restart",
                Some("999"),
                3,
            )
            .await
            .unwrap();
        let e = env_on(db, &[]).await;

        let p = wait_state(&e, "resume-1", "done").await;
        assert_eq!(p["done"], teachers.len());
        assert!(
            e.hik.person_by_code(&teachers[0].0).is_none(),
            "the finished person is not redone"
        );
        for (ci, _) in &teachers[1..] {
            assert!(
                e.hik.person_by_code(ci).is_some(),
                "{ci} synced after the restart"
            );
        }
    }

    #[tokio::test]
    async fn job_requests_need_exactly_one_selector() {
        let e = env(&[]).await;
        let (status, _, _) = post(
            &e,
            "/biometrico/jobs",
            json!({"program": "X", "personType": "D"}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _, _) = post(&e, "/biometrico/jobs", json!({})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, created, _) =
            post(&e, "/biometrico/jobs", json!({"cis": ["0000000000"]})).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let p = wait_state(&e, created["id"].as_str().unwrap(), "done").await;
        assert_eq!(p["counts"]["unknown_ci"], 1);
        let (status, _) = get(&e, "/biometrico/jobs/nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_ci_that_cannot_be_a_person_code_is_refused_with_the_reason_before_any_call(
    #[case] backend: Db,
) {
    let Some(e) = env_for(backend, &[]).await else {
        return;
    };
    // The start-up version read is a HikCentral call of its own: let it happen first.
    common::until("the version read at start", || async {
        let ready: Value = e.app.server.get("/ready").await.json();
        ready["checks"]["upstreams"]["hikcentral"]["version"].is_string()
    })
    .await;
    let calls = e.hik.request_count();
    let (status, body, _) = post(
        &e,
        "/biometrico/sync-hikdoc/12345678901234567890",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "person_code_unfit");
    assert!(
        body["details"]["msg"]
            .as_str()
            .unwrap()
            .contains("1 to 16 letters or digits"),
        "{body}"
    );
    assert_eq!(e.hik.request_count(), calls, "HikCentral was not called");
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn uuid_like_person_ids_are_kept_as_strings_end_to_end(#[case] backend: Db) {
    let Some(e) = env_for(backend, &[]).await else {
        return;
    };
    e.hik.set_uuid_person_ids(true);
    let ci = person_of(&e.summary, "D");
    let (status, body, _) = post(&e, &format!("/biometrico/sync-hikcentral/{ci}"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let pid = body["data"].as_str().unwrap().to_string();
    assert_eq!(pid.len(), 32, "the spec's UUID-like form: {pid}");
    assert!(pid.starts_with("f5"), "{pid}");
    let (_, status_body) = get(&e, &format!("/biometrico/getperson/{ci}")).await;
    assert_eq!(status_body, json!({"registrado": true, "personId": pid}));
    let (status, body, _) = post(
        &e,
        &format!("/biometrico/sync-hikdupdatedoce/{ci}"),
        json!({"personaId": pid}),
    )
    .await;
    // The same SIAD photo again: HikCentral holds it, so the update is confirmed.
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"], pid.as_str());
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn registration_adds_the_access_levels_and_status_says_whether_the_face_reached_the_devices(
    #[case] backend: Db,
) {
    let Some(e) = env_for(
        backend,
        &[("HIKBRIDGE__BIOMETRICO__ACCESS_LEVELS", "E=7|8, *=9")],
    )
    .await
    else {
        return;
    };
    // Level 9 (for staff) does not exist in HikCentral.
    for (id, name) in [("7", "Campus gates"), ("8", "Library")] {
        e.hik.add_access_level(id, name);
    }
    let student = person_of(&e.summary, "E");
    let (status, body, _) = post(
        &e,
        &format!("/biometrico/sync-hikdoc-est-id/{student}?idper=2026-1"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let pid = body["data"].as_str().unwrap().to_string();
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("access levels 7, 8"),
        "{body}"
    );
    assert_eq!(e.hik.access_level_members("7"), std::slice::from_ref(&pid));
    assert_eq!(e.hik.access_level_members("8"), std::slice::from_ref(&pid));
    assert!(e.hik.access_level_members("9").is_empty());

    let (_, st) = get(&e, &format!("/biometrico/getperson-est/{student}")).await;
    assert_eq!(st["registrado"], true);
    assert_eq!(st["devices"]["status"], "applied", "{st}");
    assert_eq!(st["devices"]["accessLevels"], json!(["7", "8"]));

    // The devices refuse the face: the operator sees it is a photo problem.
    e.hik.set_application_error(&student, Some("3"));
    let (_, st) = get(&e, &format!("/biometrico/getperson-est/{student}")).await;
    assert_eq!(st["devices"]["status"], "failed", "{st}");
    assert!(
        st["devices"]["reason"]
            .as_str()
            .unwrap()
            .contains("incorrect face information: replace the photo"),
        "{st}"
    );

    // An access level that does not exist: registered, and the reason says what failed.
    let staff = person_of(&e.summary, "D");
    let (status, body, _) = post(
        &e,
        &format!("/biometrico/sync-hikcentral/{staff}"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["code"], "0");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("could not add the person to access level 9"),
        "{body}"
    );
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn without_access_levels_configured_the_status_contract_is_unchanged(#[case] backend: Db) {
    let Some(e) = env_for(backend, &[]).await else {
        return;
    };
    let ci = person_of(&e.summary, "D");
    let (_, body, _) = post(&e, &format!("/biometrico/sync-hikcentral/{ci}"), json!({})).await;
    let pid = body["data"].as_str().unwrap().to_string();
    assert_eq!(body["reason"], "registered in HikCentral");
    let (_, st) = get(&e, &format!("/biometrico/getperson/{ci}")).await;
    assert_eq!(st, json!({"registrado": true, "personId": pid}));
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn the_face_quality_pre_check_refuses_a_photo_before_it_is_sent(#[case] backend: Db) {
    let Some(e) = env_for(
        backend,
        &[("HIKBRIDGE__BIOMETRICO__FACE_CHECK_DEVICE", "acs-dev-1")],
    )
    .await
    else {
        return;
    };
    let ci = person_of(&e.summary, "D");
    e.hik.set_face_check_refuses(true);
    let (status, body, _) = post(&e, &format!("/biometrico/sync-hikcentral/{ci}"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["code"], "128", "the contract's photo answer: {body}");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("face check refused the photo"),
        "{body}"
    );
    assert_eq!(body["upstreamCode"], "2");
    assert!(e.hik.person_by_code(&ci).is_none(), "nothing registered");

    e.hik.set_face_check_refuses(false);
    let (_, body, _) = post(&e, &format!("/biometrico/sync-hikcentral/{ci}"), json!({})).await;
    assert_eq!(
        body["code"], "0",
        "a photo the check accepts is registered: {body}"
    );
}

/// The frontend's users read Spanish: `ui.language` ("es" by default) picks the language of
/// every sentence the frontend shows, and a request's `Accept-Language` may ask for the other.
mod language {
    use super::*;
    use std::time::Duration;

    const UNKNOWN: &str = "0000000000";
    const ES_UNKNOWN: &str = "el SIAD no tiene ninguna persona con la cédula 0000000000";
    const EN_UNKNOWN: &str = "SIAD has no person with CI 0000000000";

    async fn spanish() -> Env {
        env_with(common::db::sqlite_db().await, &[]).await
    }

    async fn english() -> Env {
        env_with(
            common::db::sqlite_db().await,
            &[("HIKBRIDGE__UI__LANGUAGE", "en")],
        )
        .await
    }

    /// POST `path` with `Accept-Language: accept` (none when empty): status, body, `Vary`.
    async fn post_in(e: &Env, path: &str, accept: &str) -> (StatusCode, Value, String) {
        let mut req = e.app.server.post(path).authorization_bearer(TOKEN);
        if !accept.is_empty() {
            req = req.add_header("accept-language", accept);
        }
        let res = req.json(&json!({})).await;
        let vary = res
            .maybe_header("vary")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (
            res.status_code(),
            serde_json::from_slice(res.as_bytes()).unwrap_or(Value::Null),
            vary,
        )
    }

    async fn text_in(e: &Env, path: &str, accept: &str) -> (StatusCode, String) {
        let mut req = e.app.server.get(path).authorization_bearer(TOKEN);
        if !accept.is_empty() {
            req = req.add_header("accept-language", accept);
        }
        let res = req.await;
        (res.status_code(), res.text())
    }

    #[tokio::test]
    async fn an_unknown_ci_is_answered_in_spanish_by_default_and_in_english_when_asked() {
        let e = spanish().await;
        let path = format!("/biometrico/sync-hikcentral/{UNKNOWN}");
        let (status, body, vary) = post_in(&e, &path, "").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["details"]["msg"], ES_UNKNOWN, "{body}");
        assert_eq!(body["msg"], ES_UNKNOWN);
        assert_eq!(body["code"], "unknown_ci", "codes are not translated");
        assert!(
            vary.to_ascii_lowercase().contains("accept-language"),
            "Vary: {vary:?}"
        );

        for (accept, want) in [
            ("en", EN_UNKNOWN),
            ("en-US,en;q=0.9", EN_UNKNOWN),
            ("fr-CA, en;q=0.5", EN_UNKNOWN),
            ("en;q=0.2, es-EC", ES_UNKNOWN),
            ("es;q=0, *", EN_UNKNOWN),
            ("de", ES_UNKNOWN),
            ("en;q=2", ES_UNKNOWN),
        ] {
            let (_, body, _) = post_in(&e, &path, accept).await;
            assert_eq!(body["details"]["msg"], want, "Accept-Language: {accept}");
        }
    }

    #[tokio::test]
    async fn with_ui_language_en_an_unknown_ci_is_answered_in_english_unless_spanish_is_asked() {
        let e = english().await;
        let path = format!("/biometrico/sync-hikcentral/{UNKNOWN}");
        let (status, body, _) = post_in(&e, &path, "").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["details"]["msg"], EN_UNKNOWN, "{body}");
        let (_, body, _) = post_in(&e, &path, "es-EC,es;q=0.9").await;
        assert_eq!(body["details"]["msg"], ES_UNKNOWN, "{body}");
    }

    #[tokio::test]
    async fn success_stays_the_contract_literal_and_the_other_answers_are_spanish() {
        let e = spanish().await;
        let ci = person_of(&e.summary, "D");
        let path = format!("/biometrico/sync-hikcentral/{ci}");
        let (status, body, _) = post_in(&e, &path, "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            (&body["code"], &body["msg"]),
            (&json!("0"), &json!("Success"))
        );
        assert_eq!(body["upstreamMsg"], "Success");
        assert_eq!(body["reason"], "persona registrada en HikCentral");

        let (_, body, _) = post_in(&e, &path, "").await;
        assert_eq!(body["code"], "131", "{body}");
        assert_eq!(body["msg"], "Persona ya registrada");
        assert_eq!(
            body["reason"],
            "la persona ya está registrada en HikCentral"
        );
        let (_, body, _) = post_in(&e, &path, "en").await;
        assert_eq!(body["msg"], "Person already registered");

        let tiny = e.summary.ci_of(ProblemCase::TinyPhoto).unwrap();
        let (_, body, _) = post_in(&e, &format!("/biometrico/sync-hikdoc/{tiny}"), "").await;
        assert_eq!(body["code"], "128", "{body}");
        assert_eq!(body["msg"], "Fotografía incompatible");
        assert_eq!(
            body["reason"],
            "la fotografía mide 80×60 px; se necesita al menos 200×200"
        );
    }

    #[tokio::test]
    async fn a_jobs_csv_report_is_in_the_language_of_whoever_reads_it() {
        let e = spanish().await;
        let (status, created, _) = post(
            &e,
            "/biometrico/jobs",
            json!({"cis": [e.summary.ci_of(ProblemCase::TinyPhoto).unwrap(), UNKNOWN]}),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{created}");
        let id = created["id"].as_str().unwrap().to_string();
        let mut state = Value::Null;
        for _ in 0..800 {
            state = get(&e, &format!("/biometrico/jobs/{id}")).await.1["state"].clone();
            if state == "done" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(state, "done");
        let report = format!("/biometrico/jobs/{id}/report.csv");

        let (status, csv) = text_in(&e, &report, "").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            csv.starts_with("position,ci,name,outcome,code,reason,person_id"),
            "{csv}"
        );
        assert!(csv.contains("la fotografía mide 80×60 px"), "{csv}");
        assert!(csv.contains(ES_UNKNOWN), "{csv}");
        assert!(
            csv.contains("photo_rejected") && csv.contains("unknown_ci"),
            "outcomes stay codes: {csv}"
        );

        let (_, csv) = text_in(&e, &report, "en").await;
        assert!(csv.contains("photo is 80×60 px"), "{csv}");
        assert!(csv.contains(EN_UNKNOWN), "{csv}");
        assert!(!csv.contains("cédula"), "{csv}");
    }

    #[tokio::test]
    async fn the_dashboard_starts_in_the_requests_language_and_serves_its_texts() {
        let e = spanish().await;
        let page = |accept: &'static str| {
            let mut req = e.app.server.get("/");
            if !accept.is_empty() {
                req = req.add_header("accept-language", accept);
            }
            req
        };
        let res = page("").await;
        assert!(res.text().contains("<html lang=\"es\">"));
        assert!(res
            .header("vary")
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-language"));
        assert!(page("en-GB").await.text().contains("<html lang=\"en\">"));
        let js = e.app.server.get("/dashboard/i18n.js").await;
        assert_eq!(js.status_code(), StatusCode::OK);
        let js = js.text();
        assert!(
            js.contains("'page.title': 'hikbridge — panel de operación'"),
            "{js}"
        );
        assert!(
            js.contains("'page.title': 'hikbridge — operator dashboard'"),
            "{js}"
        );

        let e = english().await;
        assert!(e
            .app
            .server
            .get("/")
            .await
            .text()
            .contains("<html lang=\"en\">"));
        let res = e
            .app
            .server
            .get("/")
            .add_header("accept-language", "es")
            .await;
        assert!(res.text().contains("<html lang=\"es\">"));
    }
}
