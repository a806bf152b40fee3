//! Bulk person sync: a job for `people` people of a synthetic SIAD (the demo's seeder, photos
//! included), run by the real service against the HikCentral simulator with
//! `hikcentral.requests_per_second` set; the figure is the HikCentral requests per second the
//! job sustained, as a share of that pace. It verifies itself: the job ends with an outcome for
//! every person, and HikCentral holds exactly the people the job says it registered.

use crate::app::App;
use crate::config::Settings;
use crate::sim::hikcentral::{HikSim, HikSimConfig};
use anyhow::Context;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct BulkResult {
    pub people: u32,
    pub per_second: u32,
    pub elapsed: Duration,
    /// HikCentral requests while the job ran.
    pub requests: u64,
    /// Outcomes recorded by the job, and how many say registered.
    pub done: u64,
    pub registered: u64,
    /// People HikCentral holds afterwards.
    pub in_hikcentral: u64,
    pub peak_rss_mib: Option<f64>,
}

impl BulkResult {
    pub fn share_of_pace(&self) -> f64 {
        let pace = self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9);
        pace / f64::from(self.per_second.max(1))
    }

    pub fn verified(&self) -> bool {
        self.done == u64::from(self.people) && self.registered == self.in_hikcentral
    }
}

pub async fn run(
    dir: &std::path::Path,
    people: u32,
    per_second: u32,
) -> anyhow::Result<BulkResult> {
    let siad = dir.join("bulk-siad.db");
    crate::siad::seed::seed_demo(&siad, people, 7).await?;
    let cis: Vec<String> = crate::siad::seed::generate(people, 7)
        .into_iter()
        .map(|p| p.person.ci)
        .collect();
    let hik_cfg = HikSimConfig::default();
    let (app_key, app_secret) = (hik_cfg.app_key.clone(), hik_cfg.app_secret.clone());
    let hik = HikSim::new(hik_cfg);
    let hik_running = hik
        .start(SocketAddr::from(([127, 0, 0, 1], 0)), None)
        .await?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let store_url = format!("sqlite://{}", dir.join("bulk.db").display());
    let siad_url = format!("sqlite://{}", siad.display());
    let rate = per_second.to_string();
    let env = [
        ("HIKBRIDGE__STORE__URL", store_url.as_str()),
        ("HIKBRIDGE__SIAD__URL", siad_url.as_str()),
        (
            "HIKBRIDGE__HIKCENTRAL__BASE_URL",
            hik_running.base_url.as_str(),
        ),
        ("HIKBRIDGE__HIKCENTRAL__APP_KEY", app_key.as_str()),
        ("HIKBRIDGE__HIKCENTRAL__APP_SECRET", app_secret.as_str()),
        ("HIKBRIDGE__HIKCENTRAL__REQUESTS_PER_SECOND", rate.as_str()),
        ("HIKBRIDGE__BIOMETRICO__ORG_BY_PERSON_TYPE", "E=2, D=3, *=4"),
        ("HIKBRIDGE__API__TOKENS", token.as_str()),
    ];
    let settings = Settings::defaults_with_env(&env).map_err(|e| anyhow::anyhow!("{e}"))?;
    let app = App::build(settings).await?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = stop_rx.await;
    }));

    let http = reqwest::Client::new();
    let before = hik.faults.request_count();
    let started = Instant::now();
    let created: Value = http
        .post(format!("{base}/biometrico/jobs"))
        .bearer_auth(&token)
        .json(&json!({ "cis": cis }))
        .send()
        .await?
        .error_for_status()
        .context("the job was refused")?
        .json()
        .await?;
    let id = created["id"]
        .as_str()
        .context("the job has no id")?
        .to_string();
    let progress = loop {
        let p: Value = http
            .get(format!("{base}/biometrico/jobs/{id}"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        if matches!(p["state"].as_str(), Some("done" | "failed" | "cancelled")) {
            break p;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let elapsed = started.elapsed();
    let requests = hik.faults.request_count().saturating_sub(before);
    let peak_rss_mib = super::backlog::own_peak_rss_mib();
    let _ = stop_tx.send(());
    server.await??;
    let count = |key: &str| progress[key].as_u64().unwrap_or(0);
    let registered = progress["counts"]["registered"].as_u64().unwrap_or(0);
    Ok(BulkResult {
        people,
        per_second,
        elapsed,
        requests,
        done: count("done"),
        registered,
        in_hikcentral: hik.persons().len() as u64,
        peak_rss_mib,
    })
}
