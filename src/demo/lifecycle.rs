//! The demo's part of the person lifecycle: a first run that only plans (an installation's
//! first run never changes HikCentral), then — after the day of events — SIAD moves to its next
//! period (some students graduate, new ones arrive, one comes back, a contract ends, a photo
//! and a name change) and a run is asked to apply. Its plan, the guardrail that may hold it and
//! its result show on the dashboard; a held plan waits there for an administrator's *Approve*.
//!
//! The runs are asked with the operator's token (the legacy one, every scope), as a person at
//! the dashboard would.

use anyhow::Context;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

/// How long the demo waits for a run's plan before it stops watching (the run goes on).
const PLAN_WAIT: Duration = Duration::from_secs(180);
const POLL: Duration = Duration::from_millis(500);
/// The seed the next period picks people with (the demo SIAD is seeded with the same).
const NEXT_PERIOD_SEED: u64 = 42;

pub struct LifecycleScript {
    pub base: String,
    /// A token with `operate` (to start runs).
    pub token: String,
    pub siad_path: PathBuf,
}

impl LifecycleScript {
    /// The installation's first run: a plan, shown, nothing applied.
    pub async fn first_plan(&self, http: &reqwest::Client) -> anyhow::Result<()> {
        let id = self.start(http, false).await?;
        let run = self.wait_planned(http, &id).await?;
        println!(
            "demo: lifecycle run {} (the first of this installation) only plans: {} — {}",
            short(&id),
            run["state"].as_str().unwrap_or("?"),
            counts_line(&run["counts"])
        );
        Ok(())
    }

    /// SIAD's next period, then a run asked to apply.
    pub async fn next_period(&self, http: &reqwest::Client) -> anyhow::Result<()> {
        let summary = crate::siad::seed::start_next_period(&self.siad_path, NEXT_PERIOD_SEED)
            .await
            .context("move the demo SIAD to its next period")?;
        println!("demo: a new period starts in SIAD\n{summary}");
        let id = self.start(http, true).await?;
        let run = self.wait_planned(http, &id).await?;
        let state = run["state"].as_str().unwrap_or("?");
        println!(
            "demo: lifecycle run {} planned: {} — {}",
            short(&id),
            state,
            counts_line(&run["counts"])
        );
        if state == "held" {
            println!(
                "demo: the plan is held ({}): approve it on the dashboard (Approve, as an \
                 administrator) to apply it",
                run["held_reason"].as_str().unwrap_or("a guardrail")
            );
        } else {
            println!("demo: the plan is being applied at HikCentral's pace; its result shows on the dashboard");
        }
        Ok(())
    }

    async fn start(&self, http: &reqwest::Client, apply: bool) -> anyhow::Result<String> {
        let answer = http
            .post(format!("{}/admin/lifecycle/runs", self.base))
            .bearer_auth(&self.token)
            .json(&json!({ "apply": apply }))
            .send()
            .await
            .context("start a lifecycle run")?;
        let status = answer.status();
        let doc: Value = answer.json().await.unwrap_or(Value::Null);
        match doc["id"].as_str() {
            Some(id) if status.is_success() => Ok(id.to_owned()),
            _ => anyhow::bail!("the lifecycle run was refused: HTTP {status}"),
        }
    }

    /// The run once its plan is made (any state after `planning`).
    async fn wait_planned(&self, http: &reqwest::Client, id: &str) -> anyhow::Result<Value> {
        let url = format!("{}/admin/lifecycle/runs/{id}", self.base);
        let until = tokio::time::Instant::now() + PLAN_WAIT;
        loop {
            let run: Value = http
                .get(&url)
                .bearer_auth(&self.token)
                .send()
                .await
                .context("read a lifecycle run")?
                .json()
                .await
                .context("read a lifecycle run")?;
            if run["state"].as_str().is_some_and(|s| s != "planning") {
                return Ok(run);
            }
            if tokio::time::Instant::now() > until {
                anyhow::bail!("lifecycle run {id} was not planned within {PLAN_WAIT:?}");
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// "register 12, revoke 3, …" from a run's counts.
fn counts_line(counts: &Value) -> String {
    let Some(map) = counts.as_object() else {
        return "no actions".to_owned();
    };
    let parts: Vec<String> = map
        .iter()
        .map(|(action, by)| {
            let n: i64 = by
                .as_object()
                .map(|o| o.values().filter_map(Value::as_i64).sum())
                .unwrap_or(0);
            format!("{action} {n}")
        })
        .collect();
    if parts.is_empty() {
        "no actions".to_owned()
    } else {
        parts.join(", ")
    }
}
