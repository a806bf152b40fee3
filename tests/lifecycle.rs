//! The person lifecycle against the strict HikCentral simulator, on both stores, with SIAD as
//! an in-memory directory whose roster a test changes between runs: a two-period story
//! (graduates revoked — validity ended, out of the access level, re-applied, their faces then
//! denied at the doors —, a returning student restored, a changed photo refreshed, a renamed
//! person refreshed, an erasure request done with its evidence kept, unmanaged people
//! untouched), and the guardrails: an empty roster revokes nobody, a plan over the share is
//! held until approved, an interrupted run resumes without a repeated call, a refused admin
//! password stops erasure after one attempt (with or without a count of attempts left), and the
//! gaps a review found: validity and cards kept by a rewrite, a missing access level or person
//! in a level call, an erasure before the first plan, an unreadable application result, an
//! erasure of someone already gone, a failing students query, an exemption made after a plan.

#![cfg(feature = "sim")]

mod common;

use common::db::{db_for, Db, TestDb};
use common::upstreams::{hikcentral, settings_for};
use futures::future::BoxFuture;
use hikbridge::artemis::ArtemisClient;
use hikbridge::config::Settings;
use hikbridge::lifecycle::{hik, Lifecycle, LifecycleConfig};
use hikbridge::person_sync::PersonSync;
use hikbridge::photo::placeholder_portrait;
use hikbridge::siad::{photo_version, Directory, PhotoVersions, SiadError, SiadPerson};
use hikbridge::sim::hikcentral::{DeleteOutcome, HikSim};
use hikbridge::store::audit::{Actor, AuditFilter};
use hikbridge::store::lifecycle::{
    ActionFilter, ActionKind, LifecycleRun, PersonState, RunKind, RunState,
};
use rstest::rstest;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

const LEVEL: &str = "1";

/// SIAD in memory: people with photos, who is enrolled in the current period, who is staff.
#[derive(Default)]
struct Siad {
    people: BTreeMap<String, (SiadPerson, Vec<u8>)>,
    students: BTreeSet<String>,
    staff: BTreeSet<String>,
    period: String,
    /// The students query fails (SIAD refuses it).
    students_fail: bool,
}

#[derive(Clone, Default)]
struct FakeDirectory(Arc<Mutex<Siad>>);

impl FakeDirectory {
    fn with<T>(&self, f: impl FnOnce(&mut Siad) -> T) -> T {
        f(&mut self.0.lock().unwrap())
    }

    fn add(&self, ci: &str, ptype: &str, given: &str, family: &str, photo_seed: u64) {
        let p = SiadPerson {
            ci: ci.into(),
            given_names: given.into(),
            paternal_surname: family.into(),
            maternal_surname: String::new(),
            email: Some(format!("{ci}@example.edu")),
            person_type: ptype.into(),
        };
        let photo = placeholder_portrait(photo_seed, 480, 600);
        self.with(|s| {
            s.people.insert(ci.into(), (p, photo));
            if ptype == "E" {
                s.students.insert(ci.into());
            } else {
                s.staff.insert(ci.into());
            }
        });
    }
}

impl Directory for FakeDirectory {
    fn person_by_ci(&self, ci: &str) -> BoxFuture<'_, Result<Option<SiadPerson>, SiadError>> {
        let p = self.with(|s| s.people.get(ci).map(|(p, _)| p.clone()));
        Box::pin(async move { Ok(p) })
    }
    fn students(
        &self,
        _: &str,
        _: Option<&str>,
    ) -> BoxFuture<'_, Result<Vec<SiadPerson>, SiadError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn staff(&self, _: &str) -> BoxFuture<'_, Result<Vec<SiadPerson>, SiadError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn photo(&self, ci: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, SiadError>> {
        let p = self.with(|s| s.people.get(ci).map(|(_, b)| b.clone()));
        Box::pin(async move { Ok(p) })
    }
    fn ping(&self) -> BoxFuture<'_, Result<(), SiadError>> {
        Box::pin(async { Ok(()) })
    }
    fn describe(&self) -> String {
        "in-memory SIAD".into()
    }
    fn active_students(&self, period: &str) -> BoxFuture<'_, Result<Vec<SiadPerson>, SiadError>> {
        let list = self.with(|s| {
            if s.students_fail {
                return Err(SiadError::Query("the enrolment view is missing".into()));
            }
            if s.period != period {
                return Ok(Vec::new());
            }
            Ok(s.students
                .iter()
                .filter_map(|ci| s.people.get(ci).map(|(p, _)| p.clone()))
                .collect())
        });
        Box::pin(async move { list })
    }
    fn active_staff(&self) -> BoxFuture<'_, Result<Vec<SiadPerson>, SiadError>> {
        let list = self.with(|s| {
            s.staff
                .iter()
                .filter_map(|ci| s.people.get(ci).map(|(p, _)| p.clone()))
                .collect()
        });
        Box::pin(async move { Ok(list) })
    }
    fn current_periods(&self) -> BoxFuture<'_, Result<Vec<String>, SiadError>> {
        let p = self.with(|s| vec![s.period.clone()]);
        Box::pin(async move { Ok(p) })
    }
    fn photo_versions(&self) -> BoxFuture<'_, Result<Option<PhotoVersions>, SiadError>> {
        let v = self.with(|s| {
            s.people
                .iter()
                .map(|(ci, (_, b))| (ci.clone(), photo_version(b)))
                .collect()
        });
        Box::pin(async move { Ok(Some(v)) })
    }
}

struct World {
    db: TestDb,
    sim: HikSim,
    _running: hikbridge::sim::RunningSim,
    siad: FakeDirectory,
    sync: PersonSync,
    settings: Settings,
    hik: ArtemisClient,
}

impl World {
    async fn new(backend: Db, extra: &[(&str, &str)]) -> Option<World> {
        // The process-wide recorder, so the lifecycle's counters can be read back.
        let _ = hikbridge::metrics::handle();
        let db = db_for(backend).await?;
        let (sim, running) = hikcentral(None).await;
        sim.add_access_level(LEVEL, "Campus");
        let mut env = vec![
            ("HIKBRIDGE__BIOMETRICO__ORG_BY_PERSON_TYPE", "E=2, D=3, *=4"),
            ("HIKBRIDGE__BIOMETRICO__ACCESS_LEVELS", "*=1"),
            (
                "HIKBRIDGE__LIFECYCLE__ADMIN_PASSWORD",
                "demo-admin-password",
            ),
        ];
        env.extend_from_slice(extra);
        let settings = settings_for(&running.base_url, &env);
        let hik = ArtemisClient::new(
            &settings.hikcentral,
            ArtemisClient::pacer_for(&settings.hikcentral),
        )
        .unwrap();
        let siad = FakeDirectory::default();
        siad.with(|s| s.period = "2026-1".into());
        let sync = PersonSync::new(
            db.store.clone(),
            Some(Arc::new(siad.clone()) as Arc<dyn Directory>),
            Some(hik.clone()),
            settings.biometrico.clone(),
            settings.photo.clone(),
        );
        Some(World {
            db,
            sim,
            _running: running,
            siad,
            sync,
            settings,
            hik,
        })
    }

    fn lifecycle(&self) -> Lifecycle {
        Lifecycle::new(
            self.db.store.clone(),
            self.sync.clone(),
            Some(self.hik.clone()),
            LifecycleConfig {
                lifecycle: self.settings.lifecycle.clone(),
                biometrico: self.settings.biometrico.clone(),
                time_zone: self.settings.attendance.time_zone,
                photo: self.settings.photo.clone(),
            },
            Arc::new(tokio::sync::Notify::new()),
        )
    }

    /// Register as the frontend would.
    async fn register(&self, ci: &str) {
        let c = self
            .sync
            .register(ci, &Actor::new("siad-frontend", None))
            .await
            .unwrap();
        assert_eq!(c.code.code(), "0", "{ci}: {}", c.reason.english());
    }

    /// Start a run and let the runner work until it rests (planned, held, applied, failed).
    async fn run(&self, lc: &Lifecycle, apply: bool, actor: &Actor) -> LifecycleRun {
        let id = lc.start_run(RunKind::OnDemand, apply, actor).await.unwrap();
        self.settle(lc, &id).await
    }

    async fn settle(&self, lc: &Lifecycle, id: &str) -> LifecycleRun {
        for _ in 0..50 {
            if !lc.run_next().await.unwrap() {
                break;
            }
        }
        self.db.store.lifecycle_run(id).await.unwrap().unwrap()
    }

    async fn actions(&self, run: &str) -> BTreeMap<String, (ActionKind, String, Option<String>)> {
        self.db
            .store
            .lifecycle_actions(run, ActionFilter::default(), -1, 10_000)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.ci, (a.action, a.state.as_str().to_owned(), a.outcome)))
            .collect()
    }

    fn person(&self, ci: &str) -> Value {
        self.sim.person_by_code(ci).unwrap_or(Value::Null)
    }

    fn pid(&self, ci: &str) -> String {
        self.person(ci)["personId"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Give `ci` a card in HikCentral (as the HikCentral client would: the whole record
    /// rewritten, its validity included).
    async fn give_card(&self, ci: &str, card: &str) {
        let pid = self.pid(ci);
        let record = hik::record(&self.hik, &pid).await.unwrap();
        let mut changes = serde_json::Map::new();
        changes.insert("cards".into(), json!([{ "cardNo": card }]));
        changes.insert("beginTime".into(), json!(VALID_FROM));
        changes.insert("endTime".into(), json!(VALID_UNTIL));
        hik::update(&self.hik, &hik::update_body(&pid, &record, &changes))
            .await
            .unwrap();
        assert_eq!(self.person(ci)["cards"], json!([{ "cardNo": card }]));
    }

    /// The face of `ci` at a door now: the event type the doors report.
    fn swipe(&self, ci: &str, n: u32) -> u64 {
        let id = format!("ev-{ci}-{n}");
        self.sim
            .record_event(json!({"eventId": id, "eventType": 196893,
            "happenTime": chrono::Utc::now().to_rfc3339(), "srcIndex": "1", "srcName": "Door 1",
            "data": {"personCode": ci}}));
        self.sim
            .events()
            .into_iter()
            .find(|e| e["eventId"] == id)
            .and_then(|e| e["eventType"].as_u64())
            .unwrap_or(0)
    }
}

const GRANTED: u64 = 196893;
/// The validity every type gets by default (`biometrico.validity`).
const VALID_FROM: &str = "2020-01-01T00:00:00-05:00";
const VALID_UNTIL: &str = "2037-12-31T23:59:59-05:00";

fn operator() -> Actor {
    Actor::new("ops-desk", Some("mlopez".into()))
}

fn administrator() -> Actor {
    Actor::new("rrhh-admin", Some("dvera".into()))
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_two_period_story(#[case] backend: Db) {
    let Some(w) = World::new(
        backend,
        &[("HIKBRIDGE__LIFECYCLE__MAX_REVOKE_SHARE", "0.5")],
    )
    .await
    else {
        return;
    };
    // This test's own recorder (the test runs on one thread), so other tests' counts stay out.
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let counts = recorder.handle();
    let _local = metrics::set_default_local_recorder(&recorder);
    // Period 2026-1: eight students and two teachers, registered as the frontend does.
    let students: Vec<String> = (1..=8).map(|i| format!("17000000{i:02}")).collect();
    for (i, ci) in students.iter().enumerate() {
        w.siad.add(ci, "E", "Ana", &format!("Mora{i}"), i as u64);
    }
    w.siad.add("1600000001", "D", "Raúl", "Ortiz", 100);
    w.siad.add("1600000002", "D", "Inés", "Vega", 101);
    for ci in students
        .iter()
        .map(String::as_str)
        .chain(["1600000001", "1600000002"])
    {
        w.register(ci).await;
    }
    // Someone in HikCentral by other means, and someone in an organisation not managed here.
    w.sim.add_person(json!({"personCode": "1500000001", "personGivenName": "Rosa", "personFamilyName": "Gil", "orgIndexCode": "4"}));
    w.sim.add_person(json!({"personCode": "1500000002", "personGivenName": "Pedro", "personFamilyName": "Lara", "orgIndexCode": "1"}));
    assert_eq!(w.swipe("1700000001", 0), GRANTED);
    let lc = w.lifecycle();

    // The first run of an installation only plans, even when asked to apply.
    let first = w.run(&lc, true, &operator()).await;
    assert_eq!(first.state, RunState::Planned, "{first:?}");
    assert!(first.note.as_deref().unwrap().contains("first run"));
    let plan = w.actions(&first.id).await;
    assert_eq!(plan["1500000001"].0, ActionKind::Unmanaged);
    assert_eq!(plan["1500000002"].0, ActionKind::Unmanaged);
    assert_eq!(plan.len(), 2, "nothing else to do: {plan:?}");
    assert!(w
        .db
        .store
        .cancel_lifecycle_run(&first.id, &operator(), 1)
        .await
        .unwrap());

    // Period 2026-2: two graduate, one drops out for a period.
    w.siad.with(|s| {
        s.period = "2026-2".into();
        for ci in ["1700000001", "1700000002", "1700000003"] {
            s.students.remove(ci);
        }
    });
    let second = w.run(&lc, true, &operator()).await;
    assert_eq!(second.state, RunState::Applied, "{second:?}");
    let done = w.actions(&second.id).await;
    for ci in ["1700000001", "1700000002", "1700000003"] {
        assert_eq!(
            done[ci],
            (ActionKind::Revoke, "done".into(), Some("ok".into())),
            "{ci}"
        );
        let pid = w.pid(ci);
        assert!(
            !w.sim.access_level_members(LEVEL).contains(&pid),
            "{ci} still in the level"
        );
        assert!(w.person(ci)["personId"].is_string(), "revoked, not deleted");
        let state = w.db.store.lifecycle_person(ci).await.unwrap().unwrap();
        assert_eq!(state.state, PersonState::Revoked);
        let until = state.valid_until.expect("the window sent is kept");
        // Ended on HikCentral's own record, not only in the store.
        assert_eq!(w.person(ci)["endTime"], until.as_str(), "{ci}");
        assert_eq!(w.person(ci)["beginTime"], VALID_FROM, "{ci}");
    }
    assert_ne!(
        w.swipe("1700000001", 1),
        GRANTED,
        "a revoked face is denied at the door"
    );
    assert_eq!(w.swipe("1700000004", 1), GRANTED, "the others still enter");
    assert_eq!(
        w.sim.calls_to("privilege/group/single/deletePersons"),
        1,
        "3 people, one call"
    );
    assert!(w.sim.calls_to("visitor/v1/auth/reapplication") >= 1);

    // The teacher about to be renamed carries a card, given in HikCentral.
    w.give_card("1600000001", "3405551234").await;
    // Back for 2026-3: the dropout returns; a photo changes; a teacher is renamed.
    w.siad.with(|s| {
        s.period = "2026-3".into();
        s.students.insert("1700000003".into());
        if let Some((_, photo)) = s.people.get_mut("1700000004") {
            *photo = placeholder_portrait(9_999, 480, 600);
        }
        if let Some((p, _)) = s.people.get_mut("1600000001") {
            p.given_names = "Raúl Andrés".into();
        }
    });
    let third = w.run(&lc, true, &operator()).await;
    assert_eq!(third.state, RunState::Applied, "{third:?}");
    let done = w.actions(&third.id).await;
    assert_eq!(
        done["1700000003"],
        (ActionKind::Restore, "done".into(), Some("ok".into()))
    );
    assert_eq!(done["1700000004"].0, ActionKind::RefreshFace);
    assert_eq!(done["1700000004"].2.as_deref(), Some("ok"), "{done:?}");
    assert_eq!(
        done["1600000001"],
        (ActionKind::RefreshPerson, "done".into(), Some("ok".into()))
    );
    let renamed = w.person("1600000001");
    assert_eq!(renamed["personGivenName"], "Raúl Andrés");
    // The rewrite kept what it did not change: the validity window and the card.
    assert_eq!(renamed["beginTime"], VALID_FROM, "{renamed}");
    assert_eq!(renamed["endTime"], VALID_UNTIL, "{renamed}");
    assert_eq!(
        renamed["cards"],
        json!([{"cardNo": "3405551234"}]),
        "{renamed}"
    );
    assert!(w
        .sim
        .access_level_members(LEVEL)
        .contains(&w.pid("1700000003")));
    assert_eq!(
        w.swipe("1700000003", 2),
        GRANTED,
        "restored: the doors let them in again"
    );
    // The unmanaged were never touched.
    assert_eq!(w.person("1500000001")["personGivenName"], "Rosa");
    assert_eq!(w.person("1500000002")["orgIndexCode"], "1");

    // An erasure request: revoked and deleted now, evidence kept, never registered again.
    let erasure = lc
        .request_erasure(
            "1700000001",
            "withdrew consent, ticket 4711",
            &administrator(),
        )
        .await
        .unwrap();
    let erased = w.settle(&lc, &erasure).await;
    assert_eq!(erased.state, RunState::Applied, "{erased:?}");
    assert!(
        w.sim.person_by_code("1700000001").is_none(),
        "deleted in HikCentral"
    );
    assert!(
        matches!(w.sim.delete_attempts().as_slice(), [a] if a.outcome == DeleteOutcome::Deleted)
    );
    assert!(
        w.db.store
            .ledger_entry("1700000001")
            .await
            .unwrap()
            .is_none(),
        "fingerprint gone"
    );
    let history =
        w.db.store
            .audit_rows(
                &AuditFilter {
                    target: Some("1700000001".into()),
                    ..Default::default()
                },
                100,
            )
            .await
            .unwrap();
    let actions: Vec<&str> = history.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions[..3],
        ["person_erase", "person_erase_request", "person_revoke"],
        "{actions:?}"
    );
    assert_eq!(history[0].acting_user.as_deref(), Some("dvera"));
    w.siad.with(|s| {
        s.students.insert("1700000001".into());
    });
    let fourth = w.run(&lc, true, &operator()).await;
    let plan = w.actions(&fourth.id).await;
    assert_eq!(
        plan["1700000001"].0,
        ActionKind::Skip,
        "kept out of register: {plan:?}"
    );
    assert!(w.sim.person_by_code("1700000001").is_none());
    // Every change is on record, and the chain holds.
    let revokes =
        w.db.store
            .audit_rows(
                &AuditFilter {
                    action: Some("person_revoke".into()),
                    ..Default::default()
                },
                100,
            )
            .await
            .unwrap();
    assert_eq!(revokes.len(), 3);
    assert!(revokes.iter().all(|r| r.client == "ops-desk"
        && r.request_id.as_deref() == Some(format!("run:{}", second.id).as_str())));
    assert!(w.db.store.verify_audit().await.unwrap().is_ok());
    // Counted for Prometheus, by action and outcome: exactly this story's actions.
    let text = counts.render();
    let count = |action: &str, outcome: &str| -> f64 {
        text.lines()
            .find(|l| {
                l.starts_with("hikbridge_lifecycle_actions_total{")
                    && l.contains(&format!(r#"action="{action}""#))
                    && l.contains(&format!(r#"outcome="{outcome}""#))
            })
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or(0.0)
    };
    assert_eq!(count("revoke", "ok"), 3.0, "{text}");
    assert_eq!(count("restore", "ok"), 1.0, "{text}");
    assert_eq!(count("erase", "ok"), 1.0, "{text}");
    // An administrator lifts the erasure's block once (recorded); a second lift finds none.
    let admin = administrator();
    assert!(w
        .db
        .store
        .lift_erasure_block("1700000001", &admin, 1)
        .await
        .unwrap());
    assert!(!w
        .db
        .store
        .lift_erasure_block("1700000001", &admin, 2)
        .await
        .unwrap());
    let lifts =
        w.db.store
            .audit_rows(
                &AuditFilter {
                    action: Some("person_erase_lift".into()),
                    ..Default::default()
                },
                10,
            )
            .await
            .unwrap();
    assert_eq!(lifts.len(), 1, "{lifts:?}");
    assert_eq!(lifts[0].target.as_deref(), Some("1700000001"));
    w.db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn an_empty_roster_revokes_nobody_and_a_large_plan_waits_for_approval(#[case] backend: Db) {
    let Some(w) = World::new(backend, &[]).await else {
        return;
    };
    let students: Vec<String> = (1..=10).map(|i| format!("17000000{i:02}")).collect();
    for (i, ci) in students.iter().enumerate() {
        w.siad.add(ci, "E", "Ana", "Mora", i as u64);
        w.register(ci).await;
    }
    let lc = w.lifecycle();
    let first = w.run(&lc, false, &operator()).await;
    assert_eq!(first.state, RunState::Planned);
    // The students query answers nobody (a wrong period, a broken view): nobody is revoked.
    w.siad.with(|s| s.period = "no-such-period".into());
    let run = w.run(&lc, true, &operator()).await;
    assert_eq!(run.state, RunState::Applied, "{run:?}");
    let plan = w.actions(&run.id).await;
    assert!(
        plan.values().all(|(a, _, _)| *a == ActionKind::Skip),
        "{plan:?}"
    );
    assert_eq!(w.sim.access_level_members(LEVEL).len(), 10);
    assert_eq!(w.sim.calls_to("person/single/update"), 0);

    // Two of ten leave: 20 % is over max_revoke_share (5 %): held until an admin approves.
    w.siad.with(|s| {
        s.period = "2026-1".into();
        s.students.remove("1700000001");
        s.students.remove("1700000002");
    });
    let held = w.run(&lc, true, &operator()).await;
    assert_eq!(held.state, RunState::Held, "{held:?}");
    assert!(held
        .held_reason
        .as_deref()
        .unwrap()
        .contains("max_revoke_share"));
    assert_eq!(
        w.sim.access_level_members(LEVEL).len(),
        10,
        "nothing done while held"
    );
    assert!(w
        .db
        .store
        .approve_lifecycle_run(&held.id, &administrator(), 2)
        .await
        .unwrap());
    let applied = w.settle(&lc, &held.id).await;
    assert_eq!(applied.state, RunState::Applied);
    assert_eq!(w.sim.access_level_members(LEVEL).len(), 8);
    let rows =
        w.db.store
            .audit_rows(
                &AuditFilter {
                    action: Some("person_revoke".into()),
                    ..Default::default()
                },
                10,
            )
            .await
            .unwrap();
    assert_eq!(rows.len(), 2, "one row per revocation: {rows:?}");
    assert!(
        rows.iter().all(|r| r.client == "rrhh-admin"),
        "recorded as the approver's"
    );
    w.db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn an_interrupted_run_resumes_without_repeating_a_call(#[case] backend: Db) {
    let Some(w) = World::new(backend, &[("HIKBRIDGE__LIFECYCLE__MAX_REVOKE_SHARE", "1")]).await
    else {
        return;
    };
    let students: Vec<String> = (1..=30).map(|i| format!("17000000{i:02}")).collect();
    for (i, ci) in students.iter().enumerate() {
        w.siad.add(ci, "E", "Ana", "Mora", i as u64);
        w.register(ci).await;
    }
    let lc = w.lifecycle();
    w.run(&lc, false, &operator()).await;
    w.siad.with(|s| s.students.clear());
    w.siad.add("1800000001", "E", "Eva", "Ruiz", 77); // keeps the roster usable
    let updates_before = w.sim.calls_to("person/single/update");
    // HikCentral goes down after 12 more calls: the pass stops part-way.
    w.sim.faults.down_after(12);
    let id = lc
        .start_run(RunKind::OnDemand, true, &operator())
        .await
        .unwrap();
    assert!(lc.run_next().await.unwrap(), "planned");
    assert!(lc.run_next().await.is_err(), "stopped by the outage");
    let partial = w.db.store.lifecycle_run(&id).await.unwrap().unwrap();
    assert_eq!(partial.state, RunState::Applying);
    w.sim.faults.up();
    // A new process: another Lifecycle on the same store goes on where it stopped.
    let again = w.lifecycle();
    let done = w.settle(&again, &id).await;
    assert_eq!(done.state, RunState::Applied, "{done:?}");
    let actions = w.actions(&id).await;
    let revoked = actions
        .values()
        .filter(|(a, s, _)| *a == ActionKind::Revoke && s == "done")
        .count();
    assert_eq!(revoked, 30);
    // Each person's record was rewritten once (the call the outage refused never reached it).
    assert_eq!(w.sim.calls_to("person/single/update") - updates_before, 30);
    assert_eq!(
        w.sim.calls_to("privilege/group/single/deletePersons"),
        2,
        "groups of 20: 20 + 10"
    );
    assert!(w.sim.access_level_members(LEVEL).len() <= 1);
    w.db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_refused_admin_password_stops_erasure_after_one_attempt(#[case] backend: Db) {
    refused_password_stops_erasure(backend, true).await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_refusal_without_a_lock_count_also_stops_erasure_after_one_attempt(#[case] backend: Db) {
    refused_password_stops_erasure(backend, false).await;
}

/// A wrong admin password, answered with `remainLockNumber` (`with_count`) or without it.
async fn refused_password_stops_erasure(backend: Db, with_count: bool) {
    let Some(w) = World::new(
        backend,
        &[("HIKBRIDGE__LIFECYCLE__ADMIN_PASSWORD", "a-wrong-password")],
    )
    .await
    else {
        return;
    };
    w.sim
        .configure(|s| s.wrong_password_without_count = !with_count);
    for (i, ci) in ["1700000001", "1700000002"].into_iter().enumerate() {
        w.siad.add(ci, "E", "Ana", "Mora", i as u64);
        w.register(ci).await;
    }
    let lc = w.lifecycle();
    let first = lc
        .request_erasure("1700000001", "request 1", &administrator())
        .await
        .unwrap();
    let run = w.settle(&lc, &first).await;
    assert_eq!(run.state, RunState::Applied);
    let action = &w
        .db
        .store
        .lifecycle_actions(&first, ActionFilter::default(), -1, 10)
        .await
        .unwrap()[0];
    assert_eq!(action.outcome.as_deref(), Some("failed"));
    assert!(
        action
            .detail
            .as_deref()
            .unwrap()
            .contains("refused the admin password"),
        "{action:?}"
    );
    let second = lc
        .request_erasure("1700000002", "request 2", &administrator())
        .await
        .unwrap();
    w.settle(&lc, &second).await;
    let attempts = w.sim.delete_attempts();
    assert_eq!(
        attempts.len(),
        1,
        "the password is never sent again: {attempts:?}"
    );
    assert!(matches!(
        attempts[0].outcome,
        DeleteOutcome::WrongPassword { .. }
    ));
    assert!(w.sim.person_by_code("1700000002").is_some());
    let halt = lc.erasure_blocked().await.unwrap().unwrap();
    assert!(
        halt.message.contains("refused the admin password"),
        "{halt:?}"
    );
    assert_eq!(
        halt.message.contains("attempt(s) left"),
        with_count,
        "{halt:?}"
    );
    w.db.cleanup().await;
}

/// The people the lifecycle revokes in a first plan-only run and then applies: three students
/// and a teacher, registered.
async fn three_students_and_a_teacher(w: &World) -> Lifecycle {
    for (i, ci) in ["1700000001", "1700000002", "1700000003"]
        .into_iter()
        .enumerate()
    {
        w.siad.add(ci, "E", "Ana", "Mora", i as u64);
        w.register(ci).await;
    }
    w.siad.add("1600000001", "D", "Raúl", "Ortiz", 50);
    w.register("1600000001").await;
    let lc = w.lifecycle();
    let first = w.run(&lc, false, &operator()).await;
    assert_eq!(first.state, RunState::Planned);
    lc
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn leaving_an_access_level_passes_over_only_people_hikcentral_no_longer_has(
    #[case] backend: Db,
) {
    let Some(w) = World::new(backend, &[]).await else {
        return;
    };
    let cis = ["1700000001", "1700000002", "1700000003"];
    for (i, ci) in cis.into_iter().enumerate() {
        w.siad.add(ci, "E", "Ana", "Mora", i as u64);
        w.register(ci).await;
    }
    let pids: Vec<String> = cis.iter().map(|ci| w.pid(ci)).collect();
    let ids: Vec<&str> = pids.iter().map(String::as_str).collect();
    assert_eq!(w.sim.access_level_members(LEVEL).len(), 3);
    // One of them is deleted in HikCentral: a call naming them is refused as a whole.
    assert!(w.sim.remove_person("1700000002"));
    hik::set_level(&w.hik, LEVEL, &ids, false).await.unwrap();
    assert_eq!(
        w.sim.access_level_members(LEVEL),
        Vec::<String>::new(),
        "the others left the level all the same"
    );
    // A level HikCentral does not have is a refusal with its message, for one or for a group.
    let (one, two) = ([ids[0]], [ids[0], ids[2]]);
    for group in [&one[..], &two[..]] {
        let err = hik::set_level(&w.hik, "999", group, false)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("privilege group 999 does not exist"),
            "{err}"
        );
    }
    w.db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_revocation_from_an_access_level_hikcentral_lacks_fails(#[case] backend: Db) {
    let Some(mut w) = World::new(backend, &[("HIKBRIDGE__LIFECYCLE__MAX_REVOKE_SHARE", "1")]).await
    else {
        return;
    };
    three_students_and_a_teacher(&w).await;
    // The lifecycle is configured with a level id HikCentral does not have (a typo).
    let url = w._running.base_url.clone();
    w.settings.biometrico = settings_for(
        &url,
        &[
            ("HIKBRIDGE__BIOMETRICO__ORG_BY_PERSON_TYPE", "E=2, D=3, *=4"),
            ("HIKBRIDGE__BIOMETRICO__ACCESS_LEVELS", "*=9"),
        ],
    )
    .biometrico;
    let lc = w.lifecycle();
    w.siad.with(|s| s.students.remove("1700000001"));
    let run = w.run(&lc, true, &operator()).await;
    assert_eq!(run.state, RunState::Applied, "{run:?}");
    let actions =
        w.db.store
            .lifecycle_actions(&run.id, ActionFilter::default(), -1, 10)
            .await
            .unwrap();
    let revoke: Vec<_> = actions
        .iter()
        .filter(|a| a.action == ActionKind::Revoke)
        .collect();
    assert_eq!(revoke.len(), 1, "{actions:?}");
    assert_eq!(revoke[0].outcome.as_deref(), Some("failed"), "{revoke:?}");
    let detail = revoke[0].detail.as_deref().unwrap_or_default();
    assert!(
        detail.contains("access level 9") && detail.contains("does not exist"),
        "{detail}"
    );
    // Applied, with a failed action: the run-failed alert's condition holds for it.
    let failure = w.db.store.lifecycle_latest_failure().await.unwrap();
    let (id, why) = failure.expect("an applied run with a failed action counts as failed");
    assert_eq!(id, run.id);
    assert!(why.starts_with("1 of its actions failed"), "{why}");
    w.db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn an_erasure_is_not_the_installations_first_plan(#[case] backend: Db) {
    let Some(w) = World::new(backend, &[("HIKBRIDGE__LIFECYCLE__MAX_REVOKE_SHARE", "1")]).await
    else {
        return;
    };
    for (i, ci) in ["1700000001", "1700000002", "1700000003"]
        .into_iter()
        .enumerate()
    {
        w.siad.add(ci, "E", "Ana", "Mora", i as u64);
        w.register(ci).await;
    }
    let lc = w.lifecycle();
    // Before any run: an erasure request, applied at once.
    let erasure = lc
        .request_erasure("1700000001", "request 1", &administrator())
        .await
        .unwrap();
    assert_eq!(w.settle(&lc, &erasure).await.state, RunState::Applied);
    w.siad.with(|s| {
        s.students.remove("1700000001");
        s.students.remove("1700000002");
    });
    let first = w.run(&lc, true, &operator()).await;
    assert_eq!(first.state, RunState::Planned, "{first:?}");
    assert!(
        first
            .note
            .as_deref()
            .unwrap_or_default()
            .contains("first run"),
        "{first:?}"
    );
    assert!(
        w.sim
            .access_level_members(LEVEL)
            .contains(&w.pid("1700000002")),
        "nothing revoked by the first run"
    );
    w.db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn an_unreadable_application_result_leaves_the_revocation_unconfirmed(#[case] backend: Db) {
    let Some(w) = World::new(backend, &[("HIKBRIDGE__LIFECYCLE__MAX_REVOKE_SHARE", "1")]).await
    else {
        return;
    };
    let lc = three_students_and_a_teacher(&w).await;
    // This HikCentral has no applicationResult (older than V1.7.0).
    w.sim.configure(|s| s.application_result_unsupported = true);
    w.siad.with(|s| s.students.remove("1700000001"));
    let run = w.run(&lc, true, &operator()).await;
    assert_eq!(run.state, RunState::Applied, "{run:?}");
    let actions =
        w.db.store
            .lifecycle_actions(&run.id, ActionFilter::default(), -1, 10)
            .await
            .unwrap();
    let revoke = actions
        .iter()
        .find(|a| a.action == ActionKind::Revoke)
        .expect("a revocation");
    assert_eq!(revoke.outcome.as_deref(), Some("partial"), "{revoke:?}");
    assert!(
        revoke
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("application not confirmed"),
        "{revoke:?}"
    );
    assert!(!w
        .sim
        .access_level_members(LEVEL)
        .contains(&w.pid("1700000001")));
    w.db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn erasing_someone_hikcentral_no_longer_has_removes_the_local_data(#[case] backend: Db) {
    let Some(w) = World::new(backend, &[]).await else {
        return;
    };
    w.siad.add("1700000001", "E", "Ana", "Mora", 1);
    w.register("1700000001").await;
    assert!(w
        .db
        .store
        .ledger_entry("1700000001")
        .await
        .unwrap()
        .is_some());
    // Deleted by hand in the HikCentral client.
    assert!(w.sim.remove_person("1700000001"));
    let lc = w.lifecycle();
    let id = lc
        .request_erasure("1700000001", "request 1", &administrator())
        .await
        .unwrap();
    assert_eq!(w.settle(&lc, &id).await.state, RunState::Applied);
    let action = &w
        .db
        .store
        .lifecycle_actions(&id, ActionFilter::default(), -1, 10)
        .await
        .unwrap()[0];
    assert_eq!(action.outcome.as_deref(), Some("ok"), "{action:?}");
    assert!(
        action
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("already absent from HikCentral"),
        "{action:?}"
    );
    assert!(
        w.db.store
            .ledger_entry("1700000001")
            .await
            .unwrap()
            .is_none(),
        "fingerprint gone"
    );
    let state = w.db.store.lifecycle_person("1700000001").await.unwrap();
    assert_eq!(state.map(|p| p.state), Some(PersonState::Erased));
    assert!(w.sim.delete_attempts().is_empty(), "no password sent");
    let history =
        w.db.store
            .audit_rows(
                &AuditFilter {
                    target: Some("1700000001".into()),
                    action: Some("person_erase".into()),
                    ..Default::default()
                },
                10,
            )
            .await
            .unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    w.db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_failing_students_query_revokes_none_of_the_students(#[case] backend: Db) {
    let Some(w) = World::new(backend, &[("HIKBRIDGE__LIFECYCLE__MAX_REVOKE_SHARE", "1")]).await
    else {
        return;
    };
    let lc = three_students_and_a_teacher(&w).await;
    let updates = w.sim.calls_to("person/single/update");
    // SIAD refuses the students query; a student also left (the plan must not learn it).
    w.siad.with(|s| {
        s.students_fail = true;
        s.students.remove("1700000001");
    });
    let run = w.run(&lc, true, &operator()).await;
    let plan = w.actions(&run.id).await;
    assert_eq!(plan.len(), 3, "each student reported: {plan:?}");
    assert!(
        plan.values().all(|(a, _, _)| *a == ActionKind::Skip),
        "{plan:?}"
    );
    assert_eq!(w.sim.access_level_members(LEVEL).len(), 4);
    assert_eq!(w.sim.calls_to("person/single/update"), updates);
    w.db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn someone_made_exempt_after_a_plan_is_not_revoked_when_it_is_applied(#[case] backend: Db) {
    let Some(mut w) = World::new(backend, &[]).await else {
        return;
    };
    let lc = three_students_and_a_teacher(&w).await;
    w.siad.with(|s| {
        s.students.remove("1700000001");
        s.students.remove("1700000002");
    });
    // Two of four is over max_revoke_share: held.
    let held = w.run(&lc, true, &operator()).await;
    assert_eq!(held.state, RunState::Held, "{held:?}");
    // Meanwhile one of them is made exempt; the plan is approved afterwards.
    w.settings.lifecycle.exempt = vec!["1700000001".into()];
    let lc = w.lifecycle();
    assert!(w
        .db
        .store
        .approve_lifecycle_run(&held.id, &administrator(), 2)
        .await
        .unwrap());
    assert_eq!(w.settle(&lc, &held.id).await.state, RunState::Applied);
    let done = w.actions(&held.id).await;
    assert_eq!(
        done["1700000001"],
        (
            ActionKind::Revoke,
            "reported".into(),
            Some("skipped".into())
        )
    );
    assert_eq!(
        done["1700000002"],
        (ActionKind::Revoke, "done".into(), Some("ok".into()))
    );
    let members = w.sim.access_level_members(LEVEL);
    assert!(
        members.contains(&w.pid("1700000001")),
        "the exempt one kept access"
    );
    assert!(!members.contains(&w.pid("1700000002")));
    w.db.cleanup().await;
}
