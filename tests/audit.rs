//! The audit log on both stores: each operator change is written with who did it (client,
//! acting user, scope, request id, address) in the same transaction as the change; refused
//! calls are recorded too; the hash chain verifies, and stops verifying — at the right row —
//! when a row is edited or removed in the database behind the service's back (also through
//! `hikbridge audit verify`); retention moves the anchor and the chain still verifies; no
//! token ever reaches a row.

mod common;

use axum::http::{HeaderName, HeaderValue, StatusCode};
use common::app::TestApp;
use common::db::{db_for, Db, TestDb};
use hikbridge::store::audit::{Actor, AuditAction, AuditFilter, AuditOutcome, AuditRecord, Break};
use rstest::rstest;
use serde_json::{json, Value};

const ADMIN: &str = "token-of-the-operations-desk-01";
const FRONTEND: &str = "token-of-the-siad-frontend-002";

fn sha(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn config() -> String {
    format!(
        "[[api.clients]]\nname = \"ops-desk\"\nscopes = [\"read\", \"operate\", \"admin\"]\ntoken_sha256 = \"{}\"\nassert_user = true\n\n\
         [[api.clients]]\nname = \"siad-frontend\"\nscopes = [\"sync\"]\ntoken_sha256 = \"{}\"\n",
        sha(ADMIN),
        sha(FRONTEND)
    )
}

async fn app_on(db: &TestDb) -> TestApp {
    TestApp::builder()
        .on_store(&db.url)
        .config(&config())
        .socket()
        .without_workers()
        .start()
        .await
}

fn acting(name: &'static str) -> (HeaderName, HeaderValue) {
    (
        HeaderName::from_static("x-acting-user"),
        HeaderValue::from_static(name),
    )
}

async fn rows(db: &TestDb, filter: AuditFilter) -> Vec<hikbridge::store::audit::AuditRow> {
    db.store.audit_rows(&filter, 1000).await.unwrap()
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn each_change_is_recorded_with_who_did_it(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let app = app_on(&db).await;
    let (h, v) = acting("mlopez");
    let set = app
        .server
        .put("/admin/overrides/1712345678")
        .authorization_bearer(ADMIN)
        .add_header(h.clone(), v.clone())
        .json(&json!({"employeeId": "43013830", "note": "moved"}))
        .await;
    assert_eq!(set.status_code(), StatusCode::OK);
    let request_id = set.header("x-request-id").to_str().unwrap().to_owned();
    let redecide = app
        .server
        .post("/admin/events/redecide?reason=unmapped_door")
        .authorization_bearer(ADMIN)
        .add_header(h.clone(), v.clone())
        .await;
    assert_eq!(redecide.status_code(), StatusCode::OK);
    let job = app
        .server
        .post("/biometrico/jobs")
        .authorization_bearer(FRONTEND)
        .json(&json!({"cis": ["1712345678", "0923456789"]}))
        .await;
    assert_eq!(job.status_code(), StatusCode::ACCEPTED, "{}", job.text());
    let job_id = job.json::<Value>()["id"].as_str().unwrap().to_owned();
    // Refused: no such override. Recorded as a refused request, not as a change.
    let missing = app
        .server
        .delete("/admin/overrides/0000000001")
        .authorization_bearer(ADMIN)
        .add_header(h.clone(), v.clone())
        .await;
    assert_eq!(missing.status_code(), StatusCode::NOT_FOUND);
    let deleted = app
        .server
        .delete("/admin/overrides/1712345678")
        .authorization_bearer(ADMIN)
        .add_header(h, v)
        .await;
    assert_eq!(deleted.status_code(), StatusCode::NO_CONTENT);

    let all = rows(&db, AuditFilter::default()).await;
    let words: Vec<(&str, &str, Option<&str>)> = all
        .iter()
        .rev()
        .map(|r| (r.action.as_str(), r.outcome.as_str(), r.target.as_deref()))
        .collect();
    assert_eq!(
        words,
        [
            ("service_start", "ok", None),
            ("override_set", "ok", Some("1712345678")),
            ("event_redecide", "ok", Some("unmapped_door")),
            ("job_create", "ok", Some(job_id.as_str())),
            (
                "http_request",
                "refused",
                Some("DELETE /admin/overrides/0000000001")
            ),
            ("override_delete", "ok", Some("1712345678")),
        ],
        "{backend:?}"
    );
    let set_row = &all[all.len() - 2];
    assert_eq!(set_row.client, "ops-desk");
    assert_eq!(set_row.acting_user.as_deref(), Some("mlopez"));
    assert_eq!(set_row.scope.as_deref(), Some("admin"));
    assert_eq!(set_row.request_id.as_deref(), Some(request_id.as_str()));
    assert_eq!(set_row.remote_addr.as_deref(), Some("127.0.0.1"));
    let job_row = &all[2];
    assert_eq!(
        (job_row.client.as_str(), job_row.scope.as_deref()),
        ("siad-frontend", Some("sync"))
    );
    assert!(job_row.acting_user.is_none());
    // The same through the API, filtered: the last day's changes by this user.
    let since = (chrono::Utc::now() - chrono::Duration::hours(24)).to_rfc3339();
    let listed: Value = app
        .server
        .get("/admin/audit")
        .add_query_param("actor", "mlopez")
        .add_query_param("since", &since)
        .authorization_bearer(ADMIN)
        .await
        .json();
    let actions: Vec<&str> = listed["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "override_delete",
            "http_request",
            "event_redecide",
            "override_set"
        ]
    );
    assert!(
        listed["rows"][0]["at"].is_string(),
        "RFC 3339 time beside at_ms"
    );
    let csv = app
        .server
        .get("/admin/audit.csv?action=override_*")
        .authorization_bearer(ADMIN)
        .await
        .text();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.starts_with("seq,at,client,acting_user,scope,action"));
    // Never a token (nor its digest) in any row.
    let dump = format!("{all:?}");
    for secret in [ADMIN, FRONTEND] {
        assert!(!dump.contains(secret) && !dump.contains(&sha(secret)));
    }
    assert!(db.store.verify_audit().await.unwrap().is_ok());
    db.cleanup().await;
}

/// Edit the database as someone with its password would: the guard triggers are dropped first.
async fn tamper(db: &TestDb, sql: &str) {
    let drop_guards = match db.name {
        "postgres" => "DROP TRIGGER audit_log_append_only ON audit_log",
        _ => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete",
    };
    sqlx::raw_sql(drop_guards)
        .execute(db.store.pool())
        .await
        .unwrap();
    sqlx::raw_sql(sql).execute(db.store.pool()).await.unwrap();
}

async fn write_rows(db: &TestDb, n: usize) {
    let actor = Actor::new("ops-desk", Some("mlopez".into()));
    for i in 0..n {
        let target = format!("punch-{i}");
        db.store
            .record_audit(
                &actor,
                &AuditRecord {
                    action: AuditAction::PunchDiscard,
                    target_kind: "punch",
                    target: &target,
                    outcome: AuditOutcome::Ok,
                    detail: "discarded",
                },
            )
            .await
            .unwrap();
    }
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn the_chain_verifies_until_a_row_is_edited_or_removed(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    write_rows(&db, 5).await;
    let ok = db.store.verify_audit().await.unwrap().unwrap();
    assert_eq!((ok.rows, ok.head_seq), (5, 5));
    // The service refuses to change a row itself.
    let refused = sqlx::query("UPDATE audit_log SET acting_user = 'someone' WHERE seq = 3")
        .execute(db.store.pool())
        .await;
    assert!(
        refused.is_err(),
        "{backend:?}: audit_log must be append-only"
    );
    let refused = sqlx::query("DELETE FROM audit_log WHERE seq = 3")
        .execute(db.store.pool())
        .await;
    assert!(
        refused.is_err(),
        "{backend:?}: no row is removed before the anchor"
    );
    tamper(
        &db,
        "UPDATE audit_log SET acting_user = 'someone-else' WHERE seq = 3",
    )
    .await;
    assert_eq!(
        db.store.verify_audit().await.unwrap(),
        Err(Break::Changed { seq: 3 })
    );
    db.cleanup().await;

    let Some(db) = db_for(backend).await else {
        return;
    };
    write_rows(&db, 5).await;
    tamper(&db, "DELETE FROM audit_log WHERE seq = 2").await;
    assert_eq!(
        db.store.verify_audit().await.unwrap(),
        Err(Break::Gap { after: 1, next: 3 })
    );
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn retention_moves_the_anchor_and_the_rest_still_verifies(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    write_rows(&db, 4).await;
    let removed = db
        .store
        .prune_audit(chrono::Utc::now().timestamp_millis() + 1)
        .await
        .unwrap();
    assert_eq!(removed, 4);
    write_rows(&db, 2).await;
    let ok = db.store.verify_audit().await.unwrap().unwrap();
    // The prune's own row and the two after it, from the anchor at row 4.
    assert_eq!((ok.anchor_seq, ok.rows, ok.head_seq), (4, 3, 7));
    let pruned = rows(
        &db,
        AuditFilter {
            action: Some("audit_prune".into()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(pruned.len(), 1);
    assert!(pruned[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("removed 4 rows"));
    db.cleanup().await;
}

#[tokio::test]
async fn the_verify_command_passes_then_names_the_edited_row() {
    let db = common::db::sqlite_db().await;
    write_rows(&db, 3).await;
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_hikbridge"))
            .current_dir(dir.path())
            .env("HIKBRIDGE__STORE__URL", &db.url)
            .env("RUST_LOG", "warn")
            .args(["audit", "verify"])
            .output()
            .unwrap()
    };
    let good = run();
    assert_eq!(
        good.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(String::from_utf8_lossy(&good.stdout).contains("intact: 3 rows"));
    tamper(
        &db,
        "UPDATE audit_log SET outcome = 'refused' WHERE seq = 2",
    )
    .await;
    let bad = run();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("row 2 was changed"));
    db.cleanup().await;
}
