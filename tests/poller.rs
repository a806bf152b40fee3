//! The back-fill poller against the HikCentral simulator (which enforces `door/events` limits:
//! ≤ 31 days per query, ≤ 10 doors, an event type per call), on SQLite and PostgreSQL.

mod common;

use chrono::{DateTime, FixedOffset, SubsecRound, TimeDelta, Utc};
use common::app::TestApp;
use common::db::{db_for, Db, TestDb};
use common::upstreams::{hikcentral, settings_for};
use hikbridge::artemis::ArtemisClient;
use hikbridge::sim::hikcentral::HikSim;
use hikbridge::sim::RunningSim;
use hikbridge::workers::inbox_writer::InboxWriter;
use hikbridge::workers::poller::{checkpoint_value, PollReport, Poller, CHECKPOINT, V2};
use hikbridge::workers::Workers;
use rstest::rstest;
use serde_json::{json, Value};
use std::time::Duration;

const GRANTED_FACE: u32 = 196893;
const GRANTED_CARD: u32 = 198914;
const DENIED_FACE: u32 = 197151;
const THREE_TYPES: &str = "196893,198914,197151";

struct Rig {
    sim: HikSim,
    _running: RunningSim,
    poller: Poller,
    client: ArtemisClient,
}

/// A simulator and a poller on `db`'s store; `env` overrides settings (event types default to
/// [`THREE_TYPES`] unless `env` sets them).
async fn rig(db: &TestDb, env: &[(&str, &str)]) -> Rig {
    let (sim, running) = hikcentral(None).await;
    // Old records stay acceptable unless a test narrows the window.
    let mut all = vec![
        ("HIKBRIDGE__EVENTS__EVENT_TYPES", THREE_TYPES),
        ("HIKBRIDGE__EVENTS__ACCEPT_PAST_HOURS", "2400"),
    ];
    all.extend_from_slice(env);
    let settings = settings_for(&running.base_url, &all);
    let client = ArtemisClient::new(
        &settings.hikcentral,
        ArtemisClient::pacer_for(&settings.hikcentral),
    )
    .expect("client");
    let writer = InboxWriter::spawn(db.store.clone(), &Workers::default());
    let poller = Poller::new(
        client.clone(),
        db.store.clone(),
        writer,
        settings.events.clone(),
    );
    Rig {
        sim,
        _running: running,
        poller,
        client,
    }
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

fn minutes(n: i64) -> TimeDelta {
    TimeDelta::minutes(n)
}

/// A push-shaped access event as HikCentral stores it, timed in UTC−3 like a site in Ecuador.
fn event(id: &str, event_type: u32, at: DateTime<Utc>, door: &str) -> Value {
    let offset = FixedOffset::west_opt(3 * 3600).expect("offset");
    json!({
        "eventId": id,
        "eventType": event_type,
        "happenTime": at.with_timezone(&offset).to_rfc3339(),
        "srcIndex": door,
        "srcName": format!("Door {door}"),
        "data": {"personCode": "1712345678", "cardNo": ""},
    })
}

async fn checkpoint(db: &TestDb) -> Option<String> {
    db.store
        .checkpoints()
        .get(CHECKPOINT)
        .await
        .expect("read checkpoint")
        .map(|c| c.value)
}

async fn stored(db: &TestDb, id: &str) -> Option<hikbridge::store::StoredEvent> {
    db.store.inbox().get(id).await.expect("read inbox")
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn one_pass_stores_every_record_across_doors_types_and_pages(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let rig = rig(&db, &[("HIKBRIDGE__EVENTS__POLL_PAGE_SIZE", "3")]).await;
    let now = now();
    let mut n = 0;
    for ty in [GRANTED_FACE, GRANTED_CARD, DENIED_FACE] {
        for door in ["1", "2", "3", "4", "5"] {
            n += 1;
            rig.sim
                .record_event(event(&format!("ev-{n}"), ty, now - minutes(n), door));
        }
    }
    let report = rig.poller.poll_once(now).await.expect("poll");
    // One query for the three types (eventTypes): 15 records at 3 per page, 5 pages.
    assert_eq!(
        report,
        PollReport {
            windows: 1,
            calls: 5,
            records: 15,
            accepted: 15,
            out_of_window: 0,
            duplicates: 0,
            rejected: 0
        },
        "{}",
        db.name
    );
    assert_eq!(
        rig.sim.request_count(),
        6,
        "5 pages and one probe of acs/v2/door/events"
    );
    assert_eq!(db.store.inbox().count().await.unwrap(), 15, "{}", db.name);
    let ev = stored(&db, "ev-7").await.expect("ev-7 stored");
    assert_eq!(ev.source, "poll");
    assert_eq!(ev.event_type, i64::from(GRANTED_CARD));
    assert_eq!(ev.door_index, "2");
    assert_eq!(checkpoint(&db).await, Some(checkpoint_value(now)));
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn the_next_pass_rereads_the_overlap_as_duplicates_and_catches_late_records(
    #[case] backend: Db,
) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let rig = rig(&db, &[("HIKBRIDGE__EVENTS__POLL_OVERLAP_SECS", "900")]).await;
    let first = now();
    for (i, ty) in [GRANTED_FACE, GRANTED_CARD, DENIED_FACE].iter().enumerate() {
        let id = format!("ev-{i}");
        rig.sim
            .record_event(event(&id, *ty, first - minutes(5 + i as i64), "1"));
    }
    assert_eq!(rig.poller.poll_once(first).await.unwrap().accepted, 3);

    // Uploaded by a device after the first pass, but timed before its checkpoint.
    rig.sim
        .record_event(event("late", GRANTED_FACE, first - minutes(2), "1"));
    let report = rig.poller.poll_once(first + minutes(1)).await.unwrap();
    assert_eq!(
        (report.accepted, report.duplicates, report.records),
        (1, 3, 4),
        "{}",
        db.name
    );
    assert_eq!(db.store.inbox().count().await.unwrap(), 4);
    assert_eq!(stored(&db, "ev-0").await.unwrap().repeats, 1);
    assert_eq!(
        checkpoint(&db).await,
        Some(checkpoint_value(first + minutes(1)))
    );
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn pushed_then_polled_events_are_stored_once(#[case] backend: Db) {
    const SECRET: &str = "callback-secret-0123456789";
    let Some(db) = db_for(backend).await else {
        return;
    };
    let rig = rig(&db, &[]).await;
    let app = TestApp::builder()
        .on_store(&db.url)
        .env(&[("HIKBRIDGE__EVENTS__CALLBACK_SECRET", SECRET)])
        .socket()
        .start()
        .await;
    let base = app.server.server_address().expect("app on a socket");
    let dest = format!("{base}hikcentral/events/{SECRET}");
    rig.client
        .call(
            "/artemis/api/eventService/v1/eventSubscriptionByEventTypes",
            &json!({"eventTypes": [GRANTED_FACE, DENIED_FACE], "eventDest": dest}),
        )
        .await
        .expect("subscribe");
    let now = now();
    let pushed = rig
        .sim
        .push_events(vec![
            event("p-1", GRANTED_FACE, now - minutes(3), "1"),
            event("p-2", DENIED_FACE, now - minutes(2), "2"),
            event("p-3", GRANTED_FACE, now - minutes(1), "1"),
        ])
        .await;
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0].1, Ok(200), "{}", db.name);
    assert_eq!(db.store.inbox().count().await.unwrap(), 3);

    let report = rig.poller.poll_once(now).await.unwrap();
    assert_eq!(
        (report.records, report.accepted, report.duplicates),
        (3, 0, 3),
        "{}",
        db.name
    );
    assert_eq!(db.store.inbox().count().await.unwrap(), 3);
    let ev = stored(&db, "p-2").await.unwrap();
    assert_eq!((ev.source.as_str(), ev.repeats), ("push", 1));
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_checkpoint_45_days_old_catches_up_in_windows_the_simulator_accepts(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let rig = rig(&db, &[("HIKBRIDGE__EVENTS__EVENT_TYPES", "196893")]).await;
    let now = now();
    let old = now - TimeDelta::days(45);
    db.store
        .checkpoints()
        .set(CHECKPOINT, &checkpoint_value(old))
        .await
        .unwrap();
    for (id, age) in [("d44", 44), ("d20", 20), ("d0", 0)] {
        let at = now - TimeDelta::days(age) - minutes(1);
        rig.sim.record_event(event(id, GRANTED_FACE, at, "1"));
    }
    let report = rig
        .poller
        .poll_once(now)
        .await
        .expect("no window over 31 days");
    assert_eq!(
        (report.windows, report.calls, report.accepted),
        (2, 2, 3),
        "{}",
        db.name
    );
    assert_eq!(checkpoint(&db).await, Some(checkpoint_value(now)));
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn more_than_ten_doors_are_polled_in_groups_of_ten(#[case] backend: Db) {
    let doors: Vec<String> = (1..=12).map(|i| format!("d{i}")).collect();
    let doors = doors.join(",");
    let Some(db) = db_for(backend).await else {
        return;
    };
    let rig = rig(
        &db,
        &[
            ("HIKBRIDGE__EVENTS__EVENT_TYPES", "196893"),
            ("HIKBRIDGE__EVENTS__POLL_DOORS", &doors),
        ],
    )
    .await;
    let now = now();
    for (i, door) in ["d1", "d10", "d11", "d12", "d99"].iter().enumerate() {
        let at = now - minutes(i as i64 + 1);
        rig.sim.record_event(event(door, GRANTED_FACE, at, door));
    }
    let report = rig
        .poller
        .poll_once(now)
        .await
        .expect("no call over 10 doors");
    assert_eq!((report.calls, report.accepted), (2, 4), "{}", db.name);
    assert!(stored(&db, "d12").await.is_some());
    assert!(
        stored(&db, "d99").await.is_none(),
        "a door not configured is not polled"
    );
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_failure_leaves_the_checkpoint_and_the_next_pass_completes(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let rig = rig(&db, &[("HIKBRIDGE__HIKCENTRAL__MAX_ATTEMPTS", "1")]).await;
    let first = now();
    rig.sim
        .record_event(event("a", GRANTED_FACE, first - minutes(1), "1"));
    rig.poller.poll_once(first).await.expect("first pass");
    let before = checkpoint(&db).await;
    assert_eq!(before, Some(checkpoint_value(first)));

    let second = first + minutes(10);
    rig.sim
        .record_event(event("b", GRANTED_CARD, second - minutes(1), "1"));
    rig.sim.faults.fail_next(1, 500);
    let err = rig.poller.poll_once(second).await.unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("HTTP 500") && msg.contains("door/events"),
        "{msg}"
    );
    assert_eq!(checkpoint(&db).await, before, "{}", db.name);

    let report = rig.poller.poll_once(second).await.expect("next pass");
    assert_eq!((report.accepted, report.duplicates), (1, 1), "{}", db.name);
    assert_eq!(checkpoint(&db).await, Some(checkpoint_value(second)));
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_failure_in_a_later_window_keeps_the_windows_already_committed(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let rig = rig(
        &db,
        &[
            ("HIKBRIDGE__EVENTS__EVENT_TYPES", "196893"),
            ("HIKBRIDGE__EVENTS__POLL_OVERLAP_SECS", "0"),
            ("HIKBRIDGE__HIKCENTRAL__MAX_ATTEMPTS", "1"),
        ],
    )
    .await;
    let now = now();
    let old = now - TimeDelta::days(45);
    db.store
        .checkpoints()
        .set(CHECKPOINT, &checkpoint_value(old))
        .await
        .unwrap();
    rig.sim
        .record_event(event("w1", GRANTED_FACE, old + TimeDelta::days(1), "1"));
    rig.sim
        .record_event(event("w2", GRANTED_FACE, now - minutes(1), "1"));
    // One call per second: the first window's call passes, the second window's is throttled.
    rig.sim.set_throttle(Some(1), false);
    rig.poller.poll_once(now).await.unwrap_err();
    let first_window_end = old + TimeDelta::days(30);
    assert_eq!(
        checkpoint(&db).await,
        Some(checkpoint_value(first_window_end)),
        "{}",
        db.name
    );
    assert!(stored(&db, "w1").await.is_some());
    assert!(stored(&db, "w2").await.is_none());

    rig.sim.set_throttle(None, false);
    let report = rig.poller.poll_once(now).await.expect("next pass");
    assert_eq!((report.windows, report.accepted), (1, 1), "{}", db.name);
    assert_eq!(checkpoint(&db).await, Some(checkpoint_value(now)));
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn denied_events_are_polled_and_kept_with_the_default_event_types(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let (sim, running) = hikcentral(None).await;
    let settings = settings_for(&running.base_url, &[]);
    let client = ArtemisClient::new(
        &settings.hikcentral,
        ArtemisClient::pacer_for(&settings.hikcentral),
    )
    .unwrap();
    let writer = InboxWriter::spawn(db.store.clone(), &Workers::default());
    let poller = Poller::new(client, db.store.clone(), writer, settings.events.clone());
    let now = now();
    sim.record_event(event("denied-face", DENIED_FACE, now - minutes(2), "1"));
    sim.record_event(event("no-access-level", 197635, now - minutes(1), "1"));
    let report = poller.poll_once(now).await.unwrap();
    assert_eq!(report.accepted, 2, "{}", db.name);
    assert_eq!(report.calls, 1, "one call for every configured type");
    let ev = stored(&db, "denied-face").await.expect("denied kept");
    assert_eq!(ev.event_type, i64::from(DENIED_FACE));
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn run_survives_an_upstream_failure_and_stops_on_shutdown(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let rig = rig(
        &db,
        &[
            ("HIKBRIDGE__HIKCENTRAL__MAX_ATTEMPTS", "1"),
            ("HIKBRIDGE__EVENTS__POLL_INTERVAL_SECS", "1"),
        ],
    )
    .await;
    rig.sim
        .record_event(event("r", GRANTED_FACE, now() - minutes(1), "1"));
    rig.sim.faults.fail_next(1, 503);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(rig.poller.clone().run(async {
        let _ = stopped.await;
    }));
    // The first pass fails; the one an interval later stores the event.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while stored(&db, "r").await.is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{}: the loop did not retry",
            db.name
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("run returns on shutdown")
        .expect("task");
    assert!(result.is_ok());
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn records_back_filled_after_weeks_outside_the_time_window_are_stored_out_of_window(
    #[case] backend: Db,
) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    // The default window (31 days); the service was down for six weeks.
    let rig = rig(&db, &[("HIKBRIDGE__EVENTS__ACCEPT_PAST_HOURS", "744")]).await;
    let now = now();
    db.store
        .checkpoints()
        .set(CHECKPOINT, &checkpoint_value(now - TimeDelta::days(42)))
        .await
        .unwrap();
    for i in 0..3 {
        rig.sim.record_event(event(
            &format!("forty-days-{i}"),
            GRANTED_FACE,
            now - TimeDelta::days(40) + minutes(i),
            "1",
        ));
    }
    rig.sim
        .record_event(event("fresh", GRANTED_FACE, now - minutes(5), "1"));
    let report = rig.poller.poll_once(now).await.unwrap();
    assert_eq!(
        (report.accepted, report.out_of_window, report.rejected),
        (1, 3, 0),
        "{}: {report:?}",
        db.name
    );
    for i in 0..3 {
        let ev = stored(&db, &format!("forty-days-{i}")).await.unwrap();
        assert_eq!(ev.state, "out_of_window", "{}", db.name);
        assert_eq!(ev.reason.as_deref(), Some("too_old"));
        assert!(
            ev.detail.as_deref().unwrap().contains("accept_past_hours"),
            "{ev:?}"
        );
    }
    assert!(db.store.inbox().rejected(10).await.unwrap().is_empty());
    // The decider takes only the fresh one.
    let pending = db.store.pending_events(i64::MAX, 100).await.unwrap();
    let ids: Vec<&str> = pending.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["fresh"], "{}", db.name);
    // Read again (the checkpoint put back): counted as repeats, still out of the window.
    db.store
        .checkpoints()
        .set(CHECKPOINT, &checkpoint_value(now - TimeDelta::days(42)))
        .await
        .unwrap();
    let again = rig.poller.poll_once(now).await.unwrap();
    assert_eq!(
        (again.accepted, again.out_of_window, again.duplicates),
        (0, 0, 4),
        "{again:?}"
    );
    assert_eq!(db.store.count_out_of_window_events().await.unwrap(), 3);
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn one_call_per_type_when_configured_for_servers_that_refuse_the_list(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let rig = rig(&db, &[("HIKBRIDGE__EVENTS__POLL_TYPES_PER_CALL", "one")]).await;
    let now = now();
    rig.sim
        .record_event(event("a", GRANTED_FACE, now - minutes(3), "1"));
    rig.sim
        .record_event(event("b", GRANTED_CARD, now - minutes(2), "1"));
    let report = rig.poller.poll_once(now).await.unwrap();
    assert_eq!((report.calls, report.accepted), (3, 2), "{}", db.name);
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn late_uploads_are_back_filled_by_receive_time_where_hikcentral_offers_it(
    #[case] backend: Db,
) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    let rig = rig(&db, &[("HIKBRIDGE__EVENTS__POLL_OVERLAP_SECS", "60")]).await;
    let now = now();
    // The event-time back-fill has already passed an hour ago.
    db.store
        .checkpoints()
        .set(CHECKPOINT, &checkpoint_value(now - minutes(10)))
        .await
        .unwrap();
    // An offline device uploads, just now, a record from three hours ago.
    let mut late = event("late-upload", GRANTED_FACE, now - TimeDelta::hours(3), "1");
    late["receivedAt"] = json!((now - minutes(1)).to_rfc3339());
    rig.sim.record_event(late.clone());

    // Without v2 (HikCentral Professional's catalogue has none): probed once, then skipped.
    let report = rig.poller.poll_once(now).await.unwrap();
    assert_eq!(report.accepted, 0, "{}", db.name);
    assert_eq!(rig.poller.v2(), V2::NotOffered);
    assert!(stored(&db, "late-upload").await.is_none());

    // A server with v2 finds the late upload by receive time (a fresh process probes again).
    rig.sim.set_door_events_v2(true);
    let settings = settings_for(
        &rig._running.base_url,
        &[("HIKBRIDGE__EVENTS__EVENT_TYPES", THREE_TYPES)],
    );
    let writer = InboxWriter::spawn(db.store.clone(), &Workers::default());
    let fresh = Poller::new(
        rig.client.clone(),
        db.store.clone(),
        writer,
        settings.events,
    );
    let report = fresh.poll_once(now).await.unwrap();
    assert_eq!(report.accepted, 1, "{}", db.name);
    assert_eq!(fresh.v2(), V2::Offered);
    let ev = stored(&db, "late-upload")
        .await
        .expect("late upload stored");
    assert_eq!(ev.source, "poll");
    db.cleanup().await;
}
