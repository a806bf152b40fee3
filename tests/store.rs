//! The durable store against real databases: SQLite always, PostgreSQL when
//! `HIKBRIDGE_TEST_POSTGRES_URL` is set (see tests/common/db.rs).

mod common;

use common::db::{db_for, sqlite_db, Db, TestDb};
use hikbridge::store::{Backend, PruneBefore, Store, StoreError, StoreOptions};
use rstest::rstest;
use std::path::Path;

/// The highest version among `migrations/<backend>/NNNN_*.sql`.
fn latest_migration(backend: Backend) -> i64 {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend.to_string());
    std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            let digits: String = name.chars().take_while(|c| c.is_ascii_digit()).collect();
            digits.parse::<i64>().ok()
        })
        .max()
        .unwrap()
}

/// The same database URL with `password` in it (trust auth on the test server ignores it).
fn with_password(url: &str, password: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_password(Some(password)).unwrap();
    url.to_string()
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn migrations_are_applied_at_open_and_rerunning_migrate_is_a_no_op(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let latest = latest_migration(db.store.backend());
    let before = db.store.schema_version().await.unwrap();
    assert_eq!(before, latest, "{}", db.name);

    db.store.migrate().await.unwrap();
    assert_eq!(
        db.store.schema_version().await.unwrap(),
        before,
        "{}",
        db.name
    );

    // The foundation tables exist.
    sqlx::query("INSERT INTO service_meta (key, value) VALUES ($1, $2)")
        .bind("installed_by")
        .bind("test")
        .execute(db.store.pool())
        .await
        .unwrap();
    db.store.ping().await.unwrap();
    db.cleanup().await;
}

#[tokio::test]
async fn a_never_migrated_database_reports_schema_version_zero_until_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fresh.db").display());
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    assert_eq!(store.schema_version().await.unwrap(), 0);
    store.migrate().await.unwrap();
    assert_eq!(
        store.schema_version().await.unwrap(),
        latest_migration(Backend::Sqlite)
    );
    store.close().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn checkpoint_get_is_none_until_set_then_returns_the_value(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let cps = db.store.checkpoints();
    assert_eq!(cps.get("backfill").await.unwrap(), None, "{}", db.name);

    cps.set("backfill", "2026-01-27T12:04:00-03:00")
        .await
        .unwrap();
    let cp = cps.get("backfill").await.unwrap().expect("set checkpoint");
    assert_eq!(cp.name, "backfill");
    assert_eq!(cp.value, "2026-01-27T12:04:00-03:00");
    let now = chrono::Utc::now().timestamp_millis();
    assert!(
        (now - cp.updated_at_ms).abs() < 60_000,
        "{}: {cp:?}",
        db.name
    );
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn setting_a_checkpoint_again_overwrites_it_and_advances_updated_at(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let cps = db.store.checkpoints();
    cps.set("poller", "first").await.unwrap();
    let first = cps.get("poller").await.unwrap().unwrap();
    cps.set("poller", "second").await.unwrap();
    let second = cps.get("poller").await.unwrap().unwrap();

    assert_eq!(second.value, "second", "{}", db.name);
    assert!(
        second.updated_at_ms > first.updated_at_ms,
        "{}: {first:?} then {second:?}",
        db.name
    );
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_checkpoint_writers_all_succeed(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let writers: Vec<_> = (0..64)
        .map(|i| {
            let store = db.store.clone();
            tokio::spawn(async move {
                store
                    .checkpoints()
                    .set(&format!("writer-{i}"), &i.to_string())
                    .await
            })
        })
        .collect();
    for (i, writer) in writers.into_iter().enumerate() {
        let result = writer.await.unwrap();
        assert!(result.is_ok(), "{} writer {i}: {result:?}", db.name);
    }
    for i in 0..64 {
        let cp = db
            .store
            .checkpoints()
            .get(&format!("writer-{i}"))
            .await
            .unwrap();
        assert_eq!(cp.map(|c| c.value), Some(i.to_string()), "{}", db.name);
    }
    db.cleanup().await;
}

#[tokio::test]
async fn sqlite_connections_use_wal_busy_timeout_full_sync_and_foreign_keys() {
    let db = sqlite_db().await;
    // Hold several connections at once so more than the first one is checked.
    let mut conns = Vec::new();
    for _ in 0..3 {
        conns.push(db.store.pool().acquire().await.unwrap());
    }
    for conn in &mut conns {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        assert_eq!(mode.to_lowercase(), "wal");
        for (pragma, want) in [
            ("busy_timeout", 5000),
            ("synchronous", 2), // FULL: a commit survives a power loss
            ("foreign_keys", 1),
        ] {
            let got: i64 = sqlx::query_scalar(&format!("PRAGMA {pragma}"))
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(got, want, "PRAGMA {pragma}");
        }
    }
    drop(conns);
    db.cleanup().await;
}

/// Write transactions share one SQLite connection that stays open, apart from the readers: its
/// page cache is not dropped because another connection committed in between.
#[tokio::test]
async fn sqlite_write_transactions_share_one_kept_connection_with_the_same_pragmas() {
    let db = sqlite_db().await;
    let mut first = db.store.begin_write().await.unwrap();
    for (pragma, want) in [
        ("busy_timeout", 5000),
        ("synchronous", 2),
        ("foreign_keys", 1),
    ] {
        let got: i64 = sqlx::query_scalar(&format!("PRAGMA {pragma}"))
            .fetch_one(first.conn())
            .await
            .unwrap();
        assert_eq!(got, want, "PRAGMA {pragma} on the writer");
    }
    // A temporary table lives on its connection only.
    sqlx::query("CREATE TEMP TABLE writer_marker (x INTEGER)")
        .execute(first.conn())
        .await
        .unwrap();
    first.commit().await.unwrap();
    // Readers take every idle pooled connection; the next write still gets the same one.
    let mut readers = Vec::new();
    for _ in 0..db.store.pool().num_idle() {
        readers.push(db.store.pool().acquire().await.unwrap());
    }
    let mut second = db.store.begin_write().await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM temp.writer_marker")
        .fetch_one(second.conn())
        .await
        .expect("the second write transaction runs on the first one's connection");
    assert_eq!(rows, 0);
    second.commit().await.unwrap();
    drop(readers);
    db.cleanup().await;
}

#[tokio::test]
async fn sqlite_file_persists_across_close_and_reopen() {
    let db = sqlite_db().await;
    db.store.checkpoints().set("durable", "yes").await.unwrap();
    db.store.close().await;

    let reopened = Store::open(&db.url, &StoreOptions::default())
        .await
        .unwrap();
    let cp = reopened.checkpoints().get("durable").await.unwrap();
    assert_eq!(cp.map(|c| c.value).as_deref(), Some("yes"));
    reopened.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn sqlite_creates_missing_directories_for_a_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nested/deeper/hikbridge.db");
    let store = Store::open(
        &format!("sqlite://{}", file.display()),
        &StoreOptions::default(),
    )
    .await
    .unwrap();
    assert!(file.exists());
    store.close().await;
}

#[tokio::test]
async fn in_memory_sqlite_keeps_data_between_calls() {
    let store = Store::open("sqlite::memory:", &StoreOptions::default())
        .await
        .unwrap();
    store.checkpoints().set("k", "v").await.unwrap();
    let cp = store.checkpoints().get("k").await.unwrap();
    assert_eq!(cp.map(|c| c.value).as_deref(), Some("v"));
    store.close().await;
}

#[tokio::test]
async fn unsupported_url_scheme_names_the_scheme_and_gives_examples() {
    let err = Store::connect("mysql://root:hunter2@db/hb", &StoreOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::UnsupportedUrl { scheme } if scheme == "mysql"),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("sqlite://data/hikbridge.db"), "{msg}");
    assert!(msg.contains("postgres://user@host:5432/db"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
}

#[tokio::test]
async fn unreachable_postgres_fails_with_the_cause_and_no_password() {
    let opts = StoreOptions {
        connect_timeout: std::time::Duration::from_secs(1),
        ..StoreOptions::default()
    };
    let err = Store::connect("postgres://hb:hunter2@127.0.0.1:1/hb", &opts)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            StoreError::Connect {
                backend: Backend::Postgres,
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("postgres://hb:***@127.0.0.1:1/hb"), "{msg}");
    assert!(msg.to_lowercase().contains("refused"), "{msg}");
    assert!(
        !msg.contains("hunter2") && !format!("{err:?}").contains("hunter2"),
        "{msg}"
    );
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn redacted_url_and_debug_hide_the_password(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let url = match db.store.backend() {
        Backend::Postgres => with_password(&db.url, "Sup3rS3cret"),
        // SQLite URLs carry no credentials; redaction leaves them as they are.
        Backend::Sqlite => db.url.clone(),
    };
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    let redacted = store.redacted_url();
    let debug = format!("{store:?}");
    assert!(!redacted.contains("Sup3rS3cret"), "{redacted}");
    assert!(!debug.contains("Sup3rS3cret"), "{debug}");
    assert!(debug.contains(&redacted), "{debug}");
    match db.store.backend() {
        Backend::Postgres => assert!(redacted.contains(":***@"), "{redacted}"),
        Backend::Sqlite => assert_eq!(redacted, db.url),
    }
    store.close().await;
    cleanup(db).await;
}

async fn cleanup(db: TestDb) {
    db.cleanup().await;
}

async fn insert_event(store: &Store, id: &str, state: &str, received_at_ms: i64) {
    sqlx::query(
        "INSERT INTO events (event_id, source, event_type, happen_at_ms, happen_time, door_index, \
         door_name, raw, received_at_ms, state) VALUES ($1, 'push', 196893, $2, 'x', '11', '', '{}', $2, $3)",
    )
    .bind(id)
    .bind(received_at_ms)
    .bind(state)
    .execute(store.pool())
    .await
    .unwrap();
}

async fn insert_punch(store: &Store, event_id: &str, state: &str, updated_at_ms: i64) {
    sqlx::query(
        "INSERT INTO punches (event_id, employee_id, direction, at_ms, local_day, door, state, \
         next_attempt_at_ms, created_at_ms, updated_at_ms) \
         VALUES ($1, 'e1', 'entry', $2, '2026-01-01', 'd', $3, $2, $2, $2)",
    )
    .bind(event_id)
    .bind(updated_at_ms)
    .bind(state)
    .execute(store.pool())
    .await
    .unwrap();
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn retention_removes_old_finished_rows_and_keeps_what_still_waits(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let s = &db.store;
    let (old, recent, cutoff) = (1_000, 9_000, 5_000);
    insert_event(s, "old-delivered", "decided", old).await;
    insert_punch(s, "old-delivered", "delivered", old).await;
    insert_event(s, "old-queued", "decided", old).await;
    insert_punch(s, "old-queued", "queued", old).await;
    insert_event(s, "old-parked-event", "parked", old).await;
    insert_event(s, "old-skipped", "decided", old).await;
    insert_event(s, "recent", "decided", recent).await;
    insert_punch(s, "recent", "delivered", recent).await;
    sqlx::query(
        "INSERT INTO rejected_events (event_id, source, reason, raw, received_at_ms) \
         VALUES ('r-old', 'push', 'x', '{}', $1), ('r-new', 'push', 'x', '{}', $2)",
    )
    .bind(old)
    .bind(recent)
    .execute(s.pool())
    .await
    .unwrap();

    insert_event(s, "old-out-of-window", "out_of_window", old).await;
    insert_event(s, "recent-out-of-window", "out_of_window", recent).await;

    // Out-of-window events have their own period: not pruned with the decided ones.
    let mut before = PruneBefore {
        events_ms: cutoff,
        punches_ms: cutoff,
        rejected_ms: cutoff,
        out_of_window_ms: 0,
    };
    let pruned = s.prune(&before).await.unwrap();
    assert_eq!(
        (
            pruned.events,
            pruned.punches,
            pruned.rejected,
            pruned.out_of_window
        ),
        (2, 1, 1, 0),
        "{}",
        db.name
    );
    assert_eq!(s.count_out_of_window_events().await.unwrap(), 2);
    before.out_of_window_ms = cutoff;
    let pruned = s.prune(&before).await.unwrap();
    assert_eq!(pruned.out_of_window, 1, "{}", db.name);
    for (id, kept) in [
        ("old-delivered", false),
        ("old-skipped", false),
        ("old-queued", true),
        ("old-parked-event", true),
        ("recent", true),
        ("old-out-of-window", false),
        ("recent-out-of-window", true),
    ] {
        assert_eq!(
            s.inbox().get(id).await.unwrap().is_some(),
            kept,
            "{}: {id}",
            db.name
        );
    }
    assert!(s.punches().by_event("old-queued").await.unwrap().is_some());
    assert!(s
        .punches()
        .by_event("old-delivered")
        .await
        .unwrap()
        .is_none());
    let rejected = s.inbox().rejected(10).await.unwrap();
    assert_eq!(rejected.len(), 1);
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn one_group_commit_counts_repeats_inside_the_batch_and_spans_many_insert_statements(
    #[case] backend: Db,
) {
    use hikbridge::attendance::event::parse_notify;
    let notify = |ids: &[String]| {
        let events: Vec<serde_json::Value> = ids
            .iter()
            .map(|id| {
                serde_json::json!({"eventId": id, "eventType": 196893,
                    "happenTime": "2026-01-27T08:00:00-05:00", "srcIndex": "1", "data": {}})
            })
            .collect();
        parse_notify(
            serde_json::json!({"params": {"events": events}})
                .to_string()
                .as_bytes(),
        )
        .unwrap()
    };
    let Some(db) = db_for(backend).await else {
        return;
    };
    // 1,000 distinct events (three multi-row statements), one repeated inside the group,
    // and a second group that repeats one of the first group's events.
    let mut ids: Vec<String> = (0..1000).map(|i| format!("m-{i}")).collect();
    ids.push("m-7".into());
    let a = std::sync::Arc::new(notify(&ids));
    let b = std::sync::Arc::new(notify(&["m-7".to_string(), "n-1".to_string()]));
    let reports = db
        .store
        .inbox()
        .commit_groups(&[a, b], "push", 1)
        .await
        .unwrap();
    assert_eq!(
        (reports[0].accepted, reports[0].duplicates),
        (1000, 1),
        "{}",
        db.name
    );
    assert_eq!((reports[1].accepted, reports[1].duplicates), (1, 1));
    assert_eq!(db.store.inbox().count().await.unwrap(), 1001);
    let m7 = db.store.inbox().get("m-7").await.unwrap().unwrap();
    assert_eq!(
        m7.repeats, 2,
        "seen three times: stored once, repeated twice"
    );
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn one_group_commit_stores_every_kind_of_item_side_by_side(#[case] backend: Db) {
    use hikbridge::attendance::event::{parse_notify, TimeWindow};
    let now = chrono::Utc::now();
    let event = |id: &str, at: &str| {
        serde_json::json!({"eventId": id, "eventType": 196893, "happenTime": at,
            "srcIndex": "1", "data": {"personCode": "1700000001"}})
    };
    let (recent, old) = (now.to_rfc3339(), "2020-01-27T08:00:00-05:00");
    // In the window, out of it, a repeat of each, and two unusable items, interleaved: every
    // statement of the commit is in use at once.
    let body = serde_json::json!({"params": {"events": [
        event("k-new", &recent),
        event("k-old", old),
        {"eventType": 196893},
        event("k-new", &recent),
        event("k-old", old),
        "not an event",
        event("k-new-2", &recent),
    ]}});
    let window = TimeWindow {
        max_past: std::time::Duration::from_secs(48 * 3600),
        max_future: std::time::Duration::from_secs(300),
    };
    let items = window.apply(parse_notify(body.to_string().as_bytes()).unwrap(), now);
    let Some(db) = db_for(backend).await else {
        return;
    };
    let reports = db
        .store
        .inbox()
        .commit_groups(&[std::sync::Arc::new(items)], "push", 1)
        .await
        .unwrap();
    let r = &reports[0];
    assert_eq!(
        (r.accepted, r.out_of_window, r.duplicates, r.rejected),
        (2, 1, 2, 2),
        "{}",
        db.name
    );
    let inbox = db.store.inbox();
    let (new, old) = (
        inbox.get("k-new").await.unwrap().unwrap(),
        inbox.get("k-old").await.unwrap().unwrap(),
    );
    assert_eq!((new.state.as_str(), new.repeats), ("new", 1));
    assert_eq!((old.state.as_str(), old.repeats), ("out_of_window", 1));
    assert_eq!(old.reason.as_deref(), Some("too_old"));
    assert_eq!(inbox.rejected(10).await.unwrap().len(), 2);
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn the_decider_writes_rounds_of_many_events_and_can_stop_after_one_round(
    #[case] backend: Db,
) {
    use hikbridge::attendance::event::parse_notify;
    use hikbridge::attendance::RulesConfig;
    use hikbridge::workers::decider::Decider;
    let events: Vec<serde_json::Value> = (0..1000)
        .map(|i| {
            serde_json::json!({"eventId": format!("r-{i}"), "eventType": 196893,
                "happenTime": "2026-01-27T08:00:00-05:00", "srcIndex": "9", "srcName": "Patio",
                "data": {"personCode": format!("{}", 1_700_000_000 + i % 7)}})
        })
        .collect();
    let parsed = parse_notify(
        serde_json::json!({"params": {"events": events}})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    let Some(db) = db_for(backend).await else {
        return;
    };
    db.store
        .inbox()
        .commit_groups(&[std::sync::Arc::new(parsed)], "push", 1)
        .await
        .unwrap();
    let notify = || std::sync::Arc::new(tokio::sync::Notify::new());
    let decider = Decider::new(
        db.store.clone(),
        None,
        RulesConfig::default(),
        notify(),
        notify(),
    );
    let now = chrono::Utc::now();
    // One round (an ingest burst): 512 events, written together.
    assert_eq!(
        decider.decide_rounds(now, 1).await.unwrap(),
        512,
        "{}",
        db.name
    );
    let pending = db.store.pending_events(i64::MAX, 1000).await.unwrap();
    assert_eq!(pending.len(), 488, "{}", db.name);
    assert_eq!(
        decider.decide_pending(now).await.unwrap(),
        488,
        "{}",
        db.name
    );
    let e = db.store.inbox().get("r-999").await.unwrap().unwrap();
    assert_eq!(
        (e.state.as_str(), e.reason.as_deref()),
        ("decided", Some("unmapped_door")),
        "{}",
        db.name
    );
    let doors = db.store.unmapped_doors().await.unwrap();
    assert_eq!(
        doors,
        vec![("9".to_string(), "Patio".to_string(), 1000)],
        "one upsert per door and round, counting every event: {}",
        db.name
    );
    db.cleanup().await;
}

/// The events table carries only indexes its queries use: every read by state (the decider's
/// pending and held events, the parked list, retention) is served by `(state, happen_at_ms)`,
/// and the older `(state, id)` index, which only cost writes, is gone.
#[tokio::test]
async fn every_read_of_events_by_state_uses_the_state_and_time_index() {
    let db = sqlite_db().await;
    let pool = db.store.pool();
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' \
         AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        indexes,
        ["events_happen", "events_received", "events_state_happen"]
    );
    for query in [
        "SELECT id FROM events WHERE state = 'new' AND (happen_at_ms > 0 OR (happen_at_ms = 0 \
         AND id > 0)) ORDER BY happen_at_ms, id LIMIT 512",
        "SELECT id FROM events WHERE state = 'held' AND hold_until_ms <= 0 ORDER BY \
         happen_at_ms, id LIMIT 512",
        "SELECT COUNT(*) FROM events WHERE state = 'parked'",
    ] {
        let plan: Vec<String> = sqlx::query(&format!("EXPLAIN QUERY PLAN {query}"))
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|r| sqlx::Row::try_get::<String, _>(r, "detail").unwrap())
            .collect();
        let plan = plan.join(" / ");
        assert!(plan.contains("events_state_happen"), "{query}: {plan}");
    }
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_state_word_the_service_does_not_know_is_an_error_naming_the_column(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let s = &db.store;
    insert_event(s, "odd", "decided", 1_000).await;
    insert_punch(s, "odd", "on_hold", 1_000).await;
    let err = s
        .punches()
        .by_event("odd")
        .await
        .expect_err("an unknown state must not read as a default");
    let message = err.to_string();
    assert!(
        message.contains("state") && message.contains("on_hold"),
        "{}: {message}",
        db.name
    );
    insert_event(s, "odd-event", "archived", 1_000).await;
    let err = s
        .inbox()
        .get("odd-event")
        .await
        .expect_err("an unknown event state is an error");
    assert!(err.to_string().contains("archived"), "{}: {err}", db.name);
    let known = s.inbox().get("odd").await.unwrap().unwrap();
    assert_eq!(known.state, hikbridge::store::EventState::Decided);
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn the_counts_of_many_jobs_come_from_one_query_grouped_per_job(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let people: Vec<(String, String)> = (0..4)
        .map(|i| (format!("09000000{i:02}"), format!("Person {i}")))
        .collect();
    for id in ["job-a", "job-b", "job-c"] {
        db.store
            .create_sync_job(
                id,
                "program",
                "{}",
                false,
                &people,
                &hikbridge::store::audit::Actor::service(),
                1,
            )
            .await
            .unwrap();
    }
    let outcomes = [
        ("job-a", 0, "registered"),
        ("job-a", 1, "registered"),
        ("job-a", 2, "failed"),
        ("job-b", 0, "already_registered"),
    ];
    for (job, position, outcome) in outcomes {
        db.store
            .record_sync_item(job, position, outcome, None, "", None, 2)
            .await
            .unwrap();
    }
    let counts = db
        .store
        .sync_job_counts_of(&["job-a", "job-b", "job-c", "no-such-job"])
        .await
        .unwrap();
    let a = vec![("failed".to_string(), 1), ("registered".to_string(), 2)];
    let b = vec![("already_registered".to_string(), 1)];
    assert_eq!(counts.get("job-a"), Some(&a), "{}", db.name);
    assert_eq!(counts.get("job-b"), Some(&b), "{}", db.name);
    assert_eq!(
        counts.len(),
        2,
        "nothing processed, nothing listed: {counts:?}"
    );
    // The one-job read is the same query.
    assert_eq!(db.store.sync_job_counts("job-a").await.unwrap(), a);
    assert!(db.store.sync_job_counts("job-c").await.unwrap().is_empty());
    db.cleanup().await;
}
