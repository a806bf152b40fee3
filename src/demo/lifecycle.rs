//! The demo's part of the person lifecycle: a first run that only plans (an installation's
//! first run never changes HikCentral), approved by the demo's administrator so that everyone on
//! the roster is registered; then — after the day of events — SIAD moves to its next period
//! (some students graduate, new ones arrive, one comes back, a contract ends, a photo and a name
//! change) and a run is asked to apply. Its plan, the guardrail that may hold it and its result
//! show on the dashboard; a held plan waits there for an administrator's *Approve* (the demo
//! approves it itself after a few minutes when nobody did).
//!
//! The runs are asked with the operator's token (the legacy one, every scope), as a person at
//! the dashboard would.

use anyhow::Context;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

/// How long the demo waits for a run's plan before it stops watching (the run goes on).
const PLAN_WAIT: Duration = Duration::from_secs(180);
/// How long the first run may take to be applied.
const APPLY_WAIT: Duration = Duration::from_secs(300);
const POLL: Duration = Duration::from_millis(500);
/// How long a held plan waits for someone to press Approve before the demo approves it.
const SELF_APPROVE_AFTER: Duration = Duration::from_secs(240);
/// The seed the next period picks people with (the demo SIAD is seeded with the same).
const NEXT_PERIOD_SEED: u64 = 42;

pub struct LifecycleScript {
    pub base: String,
    /// A token with `operate` (to start runs).
    pub token: String,
    pub siad_path: PathBuf,
}

impl LifecycleScript {
    /// The installation's first run: a plan, shown; then the demo's administrator approves it
    /// (everyone on the roster registered, people without a current enrolment or contract
    /// revoked), so that the next period has registered people whose photo and name change.
    pub async fn first_plan(&self, http: &reqwest::Client) -> anyhow::Result<String> {
        let id = self.start(http, false).await?;
        let run = self.wait_planned(http, &id).await?;
        println!(
            "demo: lifecycle run {} (the first of this installation) only plans: {} — {}",
            short(&id),
            run["state"].as_str().unwrap_or("?"),
            counts_line(&run["counts"])
        );
        self.approve(http, &id).await?;
        println!(
            "demo: the demo's administrator approved run {}: it is applied at HikCentral's pace",
            short(&id)
        );
        Ok(id)
    }

    /// Apply a planned run or approve a held one, as the administrator.
    async fn approve(&self, http: &reqwest::Client, id: &str) -> anyhow::Result<()> {
        let answer = http
            .post(format!("{}/admin/lifecycle/runs/{id}/apply", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .context("approve a lifecycle run")?;
        match answer.status() {
            s if s.is_success() => Ok(()),
            // Someone approved or discarded it on the dashboard first.
            reqwest::StatusCode::CONFLICT => Ok(()),
            s => anyhow::bail!("approving lifecycle run {id} was refused: HTTP {s}"),
        }
    }

    /// SIAD's next period, then a run asked to apply. The `first` run is applied before: a photo
    /// that changed before its owner's registration would be registered as it is, not refreshed.
    pub async fn next_period(
        &self,
        http: &reqwest::Client,
        first: Option<&str>,
    ) -> anyhow::Result<()> {
        if let Some(first) = first {
            let done = |s: &str| matches!(s, "applied" | "failed" | "cancelled");
            self.wait_for(http, first, done, APPLY_WAIT).await?;
        }
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
                 administrator) to apply it; the demo approves it itself in {} s otherwise",
                run["held_reason"].as_str().unwrap_or("a guardrail"),
                SELF_APPROVE_AFTER.as_secs()
            );
            tokio::time::sleep(SELF_APPROVE_AFTER).await;
            if self.state(http, &id).await?.as_str() == Some("held") {
                self.approve(http, &id).await?;
                println!(
                    "demo: nobody approved run {} on the dashboard: the demo's administrator did",
                    short(&id)
                );
            }
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

    async fn state(&self, http: &reqwest::Client, id: &str) -> anyhow::Result<Value> {
        Ok(self.read(http, id).await?["state"].clone())
    }

    async fn read(&self, http: &reqwest::Client, id: &str) -> anyhow::Result<Value> {
        http.get(format!("{}/admin/lifecycle/runs/{id}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .context("read a lifecycle run")?
            .json()
            .await
            .context("read a lifecycle run")
    }

    /// The run once its plan is made (any state after `planning`).
    async fn wait_planned(&self, http: &reqwest::Client, id: &str) -> anyhow::Result<Value> {
        self.wait_for(http, id, |s| s != "planning", PLAN_WAIT)
            .await
    }

    /// The run once its state is one `reached` accepts, within `limit`.
    async fn wait_for(
        &self,
        http: &reqwest::Client,
        id: &str,
        reached: fn(&str) -> bool,
        limit: Duration,
    ) -> anyhow::Result<Value> {
        let until = tokio::time::Instant::now() + limit;
        loop {
            let run = self.read(http, id).await?;
            if run["state"].as_str().is_some_and(reached) {
                return Ok(run);
            }
            if tokio::time::Instant::now() > until {
                anyhow::bail!("lifecycle run {id} did not get there within {limit:?}");
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
