//! The lifecycle at scale: a roster of `people` (90 % students, 10 % staff) in a SQLite SIAD,
//! the same people in the HikCentral simulator and in the ledger, 1 % graduated. Two figures:
//!
//! - **the plan**: `hikbridge lifecycle plan --summary --resources` in a child process (the
//!   service's own CPU and peak memory, the simulator apart), which must find exactly the
//!   graduates to revoke;
//! - **applying**: the held plan approved and applied in this process against the simulator at
//!   `hikcentral.requests_per_second`; the figure is HikCentral's requests per second while it
//!   applied, as a share of that pace. It verifies itself: every revocation done, and the
//!   access level holds exactly the people still on the roster.

use crate::config::Settings;
use crate::lifecycle::{Lifecycle, LifecycleConfig};
use crate::person_sync::PersonSync;
use crate::sim::hikcentral::{HikSim, HikSimConfig, SeedPerson};
use crate::store::audit::Actor;
use crate::store::lifecycle::{ActionFilter, ActionKind, RunKind, RunState};
use crate::store::{Store, StoreOptions};
use anyhow::Context;
use sqlx::Connection;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const LEVEL: &str = "1";
const PERIOD: &str = "BENCH-1";

#[derive(Debug, Clone)]
pub struct LifecycleResult {
    pub people: u32,
    pub graduates: u32,
    /// The plan, in the child process.
    pub plan_wall: Duration,
    pub plan_cpu_secs: f64,
    pub plan_peak_rss_mib: f64,
    pub planned_revokes: u64,
    /// Applying, in this process.
    pub per_second: u32,
    pub apply_elapsed: Duration,
    pub apply_requests: u64,
    pub revoked_ok: u64,
    pub level_members: u64,
}

impl LifecycleResult {
    pub fn share_of_pace(&self) -> f64 {
        let pace = self.apply_requests as f64 / self.apply_elapsed.as_secs_f64().max(1e-9);
        pace / f64::from(self.per_second.max(1))
    }

    pub fn verified(&self) -> bool {
        let g = u64::from(self.graduates);
        self.planned_revokes == g
            && self.revoked_ok == g
            && self.level_members == u64::from(self.people) - g
    }
}

fn ci(i: u32) -> String {
    format!("{:010}", 1_100_000_000 + u64::from(i))
}

fn is_staff(i: u32) -> bool {
    i % 10 == 9
}

fn graduated(i: u32) -> bool {
    !is_staff(i) && i.is_multiple_of(100)
}

/// The SIAD of the benchmark: everyone enrolled or under contract, then the graduates'
/// enrolment removed; small distinct photos (the plan compares versions, not faces).
async fn write_siad(path: &std::path::Path, people: u32) -> anyhow::Result<()> {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts).await?;
    sqlx::raw_sql(crate::siad::sqlite::SCHEMA)
        .execute(&mut conn)
        .await?;
    let today = chrono::Local::now().date_naive();
    let mut tx = conn.begin().await?;
    sqlx::query("INSERT INTO periodos (idper, inicio, fin) VALUES (?1, ?2, ?3)")
        .bind(PERIOD)
        .bind((today - chrono::Duration::days(30)).to_string())
        .bind((today + chrono::Duration::days(90)).to_string())
        .execute(&mut *tx)
        .await?;
    for i in 0..people {
        let ci = ci(i);
        let ptype = if is_staff(i) { "D" } else { "E" };
        sqlx::query(
            "INSERT INTO informacionpersonal (CIInfPer, NombInfPer, ApellInfPer, ApellMatInfPer, \
             mailInst, TipoInfPer) VALUES (?1, 'Ana', 'Mora', 'Paz', NULL, ?2)",
        )
        .bind(&ci)
        .bind(ptype)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO fotografias (CIInfPer, Fotografia) VALUES (?1, ?2)")
            .bind(&ci)
            .bind(format!("photo of {ci}").into_bytes())
            .execute(&mut *tx)
            .await?;
        if is_staff(i) {
            sqlx::query(
                "INSERT INTO contratos (CIInfPer, desde, hasta) VALUES (?1, '2020-01-01', NULL)",
            )
            .bind(&ci)
            .execute(&mut *tx)
            .await?;
        } else if !graduated(i) {
            sqlx::query(
                "INSERT INTO matriculas (CIInfPer, carrera, idper) VALUES (?1, 'SOFTWARE', ?2)",
            )
            .bind(&ci)
            .bind(PERIOD)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The ledger as after registering everyone, and an earlier plan (this is not a first run).
async fn write_store(store: &Store, people: u32, ids: &[String]) -> anyhow::Result<()> {
    let mut tx = store.begin_write().await?;
    for i in 0..people {
        let ci = ci(i);
        let version = crate::siad::photo_version(format!("photo of {ci}").as_bytes());
        sqlx::query(
            "INSERT INTO ledger (ci, person_id, person_type, photo_hash, last_sync_at_ms, \
             last_outcome, last_reason, updated_at_ms, siad_photo_version) \
             VALUES ($1, $2, $3, '0000000000000000', 1, 'registered', 'bench', 1, $4)",
        )
        .bind(&ci)
        .bind(ids.get(i as usize).cloned().unwrap_or_default())
        .bind(if is_staff(i) { "D" } else { "E" })
        .bind(version)
        .execute(tx.conn())
        .await?;
    }
    sqlx::query(
        "INSERT INTO lifecycle_runs (id, kind, apply_requested, state, created_by_client, \
         created_at_ms, updated_at_ms, planned_at_ms, finished_at_ms) \
         VALUES ('earlier', 'on_demand', 0, 'cancelled', 'bench', 1, 1, 1, 1)",
    )
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn run(
    dir: &std::path::Path,
    people: u32,
    per_second: u32,
) -> anyhow::Result<LifecycleResult> {
    let siad_path = dir.join("lifecycle-siad.db");
    let store_url = format!("sqlite://{}", dir.join("lifecycle.db").display());
    write_siad(&siad_path, people).await?;
    let cfg = HikSimConfig::default();
    let (app_key, app_secret) = (cfg.app_key.clone(), cfg.app_secret.clone());
    let hik = HikSim::new(cfg);
    hik.add_access_level(LEVEL, "Campus");
    let seeds: Vec<SeedPerson> = (0..people)
        .map(|i| SeedPerson {
            code: ci(i),
            given: "Ana".into(),
            family: "Mora Paz".into(),
            org: if is_staff(i) { "3" } else { "2" }.into(),
            begin: None,
            end: None,
            access_levels: vec![LEVEL.into()],
            face: None,
            applied: true,
        })
        .collect();
    let ids = hik.seed_persons(seeds).map_err(anyhow::Error::msg)?;
    let running = hik
        .start(SocketAddr::from(([127, 0, 0, 1], 0)), None)
        .await?;
    let store = Store::open(&store_url, &StoreOptions::default()).await?;
    write_store(&store, people, &ids).await?;
    let graduates = (0..people).filter(|i| graduated(*i)).count() as u32;
    let rate = per_second.to_string();
    let siad_url = format!("sqlite://{}", siad_path.display());
    let env: Vec<(&str, &str)> = vec![
        ("HIKBRIDGE__STORE__URL", store_url.as_str()),
        ("HIKBRIDGE__SIAD__URL", siad_url.as_str()),
        ("HIKBRIDGE__HIKCENTRAL__BASE_URL", running.base_url.as_str()),
        ("HIKBRIDGE__HIKCENTRAL__APP_KEY", app_key.as_str()),
        ("HIKBRIDGE__HIKCENTRAL__APP_SECRET", app_secret.as_str()),
        ("HIKBRIDGE__HIKCENTRAL__REQUESTS_PER_SECOND", rate.as_str()),
        ("HIKBRIDGE__BIOMETRICO__ORG_BY_PERSON_TYPE", "E=2, D=3, *=4"),
        ("HIKBRIDGE__BIOMETRICO__ACCESS_LEVELS", "*=1"),
        ("HIKBRIDGE__LIFECYCLE__MAX_REVOKE_SHARE", "0.5"),
        ("HIKBRIDGE__LIFECYCLE__MAX_REVOKE_COUNT", "100000"),
        ("HIKBRIDGE__LOG__LEVEL", "warn"),
    ];

    // The plan, in a process of its own.
    let exe = std::env::current_exe().context("the benchmark's own executable")?;
    let mut cmd = tokio::process::Command::new(exe);
    cmd.args(["lifecycle", "plan", "--summary", "--resources"])
        .current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("HIKBRIDGE") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let out = cmd.output().await?;
    let plan_wall = started.elapsed();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    anyhow::ensure!(
        out.status.success(),
        "lifecycle plan failed: {}{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    let field = |key: &str| -> f64 {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.parse().ok())
            .unwrap_or(-1.0)
    };
    let planned_refreshes: u64 = text
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let kind = w.next()?;
            matches!(
                kind,
                "refresh_person" | "refresh_face" | "register" | "restore" | "erase"
            )
            .then(|| w.next()?.parse::<u64>().ok())?
        })
        .sum();
    anyhow::ensure!(
        planned_refreshes == 0,
        "the benchmark's data should need only revocations: {text}"
    );
    let planned_revokes = text
        .lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next()? == "revoke").then(|| w.next()?.parse().ok())?
        })
        .unwrap_or(0);

    // Applying, here: plan again (as the runner does), then apply and time the application.
    let settings = Settings::defaults_with_env(&env).map_err(|e| anyhow::anyhow!("{e}"))?;
    let client = crate::artemis::ArtemisClient::new(
        &settings.hikcentral,
        crate::artemis::ArtemisClient::pacer_for(&settings.hikcentral),
    )?;
    let siad = crate::siad::open(&settings.siad).await?;
    let sync = PersonSync::new(
        store.clone(),
        Some(siad),
        Some(client.clone()),
        settings.biometrico.clone(),
        settings.photo.clone(),
    );
    let lc = Lifecycle::new(
        store.clone(),
        sync,
        Some(client),
        LifecycleConfig {
            lifecycle: settings.lifecycle.clone(),
            biometrico: settings.biometrico.clone(),
            time_zone: settings.attendance.time_zone,
            photo: settings.photo.clone(),
        },
        Arc::new(tokio::sync::Notify::new()),
    );
    let id = lc
        .start_run(RunKind::OnDemand, true, &Actor::new("bench", None))
        .await?;
    lc.run_next().await?; // planned → applying
    let run = store.lifecycle_run(&id).await?.context("the run")?;
    anyhow::ensure!(
        run.state == RunState::Applying,
        "the run is {} ({:?})",
        run.state,
        run.held_reason
    );
    let before = hik.faults.request_count();
    let t0 = Instant::now();
    while lc.run_next().await? {}
    let apply_elapsed = t0.elapsed();
    let apply_requests = hik.faults.request_count().saturating_sub(before);
    let revoked_ok = store
        .lifecycle_actions(&id, ActionFilter::of(ActionKind::Revoke), -1, 1_000_000)
        .await?
        .iter()
        .filter(|a| a.outcome.as_deref() == Some("ok"))
        .count() as u64;
    Ok(LifecycleResult {
        people,
        graduates,
        plan_wall,
        plan_cpu_secs: field("cpu_seconds="),
        plan_peak_rss_mib: field("peak_rss_mib="),
        planned_revokes,
        per_second,
        apply_elapsed,
        apply_requests,
        revoked_ok,
        level_members: hik.access_level_members(LEVEL).len() as u64,
    })
}
