//! What the demo does once the service is up, in order: employees known to Humand, people
//! registered through `/biometrico/sync-hikcentral/{ci}`, a bulk job, then the day of events
//! ([`super::day::plan`]) pushed by the HikCentral simulator's subscription, one batch at a
//! time so the dashboard's counts move; then SIAD's next period and a lifecycle run
//! ([`super::lifecycle`]).

use super::day::{plan, Delivery, Person};
use crate::siad::seed::DemoPerson;
use crate::sim::hikcentral::HikSim;
use crate::sim::humand::HumandSim;
use anyhow::Context;
use serde_json::{json, Value};
use std::time::Duration;

/// Employees in the story (staff known to Humand).
const STAFF: usize = 8;
/// Pause between batches of the day, so a person watching sees them arrive.
const BETWEEN_BATCHES: Duration = Duration::from_millis(1500);

pub struct Script {
    pub base: String,
    /// The SIAD application's token (scope `sync`).
    pub token: String,
    /// The header it names the person acting in.
    pub acting_user_header: String,
    pub hik: HikSim,
    pub humand: HumandSim,
    pub people: Vec<DemoPerson>,
    /// The lifecycle's part (the operator's runs, SIAD's next period).
    pub lifecycle: super::lifecycle::LifecycleScript,
}

impl Script {
    pub async fn play(self) -> anyhow::Result<()> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()?;
        self.wait_for_subscription().await;
        // Staff clock in Humand; one student is registered but unknown to Humand.
        let staff: Vec<&DemoPerson> = self
            .people
            .iter()
            .filter(|p| p.person.person_type != "E")
            .take(STAFF)
            .collect();
        let stranger = self
            .people
            .iter()
            .skip(crate::siad::seed::ProblemCase::ALL.len())
            .find(|p| p.person.person_type == "E");
        for p in &staff {
            self.humand.add_user(
                &p.person.ci,
                &p.person.given_names,
                &p.person.paternal_surname,
            );
        }
        let mut registered = Vec::new();
        for p in staff.iter().chain(stranger.iter()) {
            let ci = &p.person.ci;
            let url = format!("{}/biometrico/sync-hikcentral/{ci}", self.base);
            let answer = http
                .post(&url)
                .bearer_auth(&self.token)
                .header(&self.acting_user_header, super::DEMO_USER)
                .send()
                .await
                .context("register a person")?;
            let status = answer.status();
            if !status.is_success() {
                tracing::warn!(%status, "demo: a registration was refused");
            }
            registered.push(Person {
                ci: ci.clone(),
                person_id: self
                    .hik
                    .person_by_code(ci)
                    .and_then(|v| v["personId"].as_str().map(str::to_owned)),
            });
        }
        println!(
            "demo: {} people registered in HikCentral through /biometrico/sync-hikcentral",
            registered.len()
        );
        self.start_job(&http, json!({"program": "SOFTWARE"}))
            .await?;
        let first_run = match self.lifecycle.first_plan(&http).await {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "demo: the first lifecycle plan failed");
                None
            }
        };
        let (staff, stranger) = registered.split_at(staff.len());
        let day = plan(staff, stranger.first(), chrono::Utc::now());
        let total: usize = day.iter().map(|b| b.events.len()).sum();
        println!(
            "demo: playing a day of {total} access events in {} batches",
            day.len()
        );
        for batch in day {
            tracing::info!(
                events = batch.events.len(),
                what = batch.note,
                "demo: batch"
            );
            match batch.how {
                Delivery::Push => {
                    for (dest, result) in self.hik.push_events(batch.events).await {
                        if !matches!(result, Ok(200)) {
                            tracing::warn!(dest = %dest.escape_debug(), result = ?result, "demo: a push was not accepted");
                        }
                    }
                }
                Delivery::LogOnly => {
                    for e in batch.events {
                        self.hik.record_event(e);
                    }
                }
            }
            tokio::time::sleep(BETWEEN_BATCHES).await;
        }
        println!(
            "demo: the day is played; the poller back-fills the missed exit within 20 s, and \
             deliveries continue at Humand's pace"
        );
        self.start_job(&http, json!({"program": "MEDICINA"}))
            .await?;
        self.lifecycle
            .next_period(&http, first_run.as_deref())
            .await
    }

    /// The service subscribes at start; pushes go nowhere until it has.
    async fn wait_for_subscription(&self) {
        for _ in 0..100 {
            if !self.hik.subscriptions().is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tracing::warn!("demo: the service did not subscribe within 10 s; pushes may be lost (the poller back-fills them)");
    }

    async fn start_job(&self, http: &reqwest::Client, body: Value) -> anyhow::Result<()> {
        let answer = http
            .post(format!("{}/biometrico/jobs", self.base))
            .bearer_auth(&self.token)
            .header(&self.acting_user_header, super::DEMO_USER)
            .json(&body)
            .send()
            .await
            .context("start a bulk job")?;
        let status = answer.status();
        let doc: Value = answer.json().await.unwrap_or(Value::Null);
        match doc["id"].as_str() {
            Some(id) if status.is_success() => {
                println!("demo: bulk sync job {id} started for {body} (progress on the dashboard)")
            }
            _ => tracing::warn!(%status, "demo: the bulk job was refused"),
        }
        Ok(())
    }
}
