//! `hikbridge lifecycle …`: the plan a run would make, printed for an operator at a terminal
//! (nothing is changed, nothing remembered), and starting a run that the service applies.

use crate::config::Settings;
use crate::lifecycle::{Lifecycle, LifecycleConfig};
use crate::person_sync::PersonSync;
use crate::store::audit::Actor;
use crate::store::lifecycle::{ActionKind, RunKind};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, clap::Subcommand)]
pub enum LifecycleCommand {
    /// Read the roster and HikCentral and print what a run would do now, person by person:
    /// the counts per action, whether a guardrail would hold it, and each action with its
    /// reason (tab-separated). Changes nothing.
    Plan {
        /// Print only the counts and the guardrail, not every action.
        #[arg(long)]
        summary: bool,
        /// Also print this process's CPU time and peak memory (for benchmarks).
        #[arg(long)]
        resources: bool,
    },
    /// Start a run in the store (the running service plans it, and applies it with --apply
    /// unless a guardrail holds it); prints its id. Recorded as the login name's.
    Run {
        #[arg(long)]
        apply: bool,
    },
}

async fn lifecycle(settings: &Settings) -> anyhow::Result<Lifecycle> {
    let store = super::audit::open_store(settings).await?;
    let siad = crate::siad::open(&settings.siad).await?;
    anyhow::ensure!(
        settings.hikcentral.is_configured(),
        "HikCentral is not configured (hikcentral.base_url, app_key and the AppSecret)"
    );
    let hik = crate::artemis::ArtemisClient::new(
        &settings.hikcentral,
        crate::artemis::ArtemisClient::pacer_for(&settings.hikcentral),
    )?;
    let sync = PersonSync::new(
        store.clone(),
        Some(siad),
        Some(hik.clone()),
        settings.biometrico.clone(),
        settings.photo.clone(),
    );
    Ok(Lifecycle::new(
        store,
        sync,
        Some(hik),
        LifecycleConfig {
            lifecycle: settings.lifecycle.clone(),
            biometrico: settings.biometrico.clone(),
            time_zone: settings.attendance.time_zone,
            photo: settings.photo.clone(),
        },
        Arc::new(tokio::sync::Notify::new()),
    ))
}

pub async fn run(cmd: LifecycleCommand, settings: &Settings) -> anyhow::Result<i32> {
    let lc = lifecycle(settings).await?;
    match cmd {
        LifecycleCommand::Plan { summary, resources } => {
            let made = lc
                .compute_plan(chrono::Utc::now().timestamp_millis(), false)
                .await?;
            let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
            for a in &made.plan.actions {
                *counts.entry(a.action.as_str()).or_default() += 1;
            }
            let r = &made.summary.roster;
            println!(
                "roster: periods {}; {} students{}; {} staff{}",
                r.periods.join(", "),
                r.students,
                r.students_problem
                    .as_deref()
                    .map(|p| format!(" (UNUSABLE: {p})"))
                    .unwrap_or_default(),
                r.staff,
                r.staff_problem
                    .as_deref()
                    .map(|p| format!(" (UNUSABLE: {p})"))
                    .unwrap_or_default(),
            );
            println!(
                "HikCentral: {} people with a personCode; managed here: {}; unchanged: {}",
                made.summary.hikcentral, made.summary.managed, made.summary.unchanged
            );
            for kind in ActionKind::ALL {
                println!(
                    "{:>15}  {}",
                    kind.as_str(),
                    counts.get(kind.as_str()).copied().unwrap_or(0)
                );
            }
            match made.plan.hold_reason(&lc.rules()) {
                Some(why) => println!("HELD: {why}"),
                None => println!("guardrails: within max_revoke_share and max_revoke_count"),
            }
            if !summary {
                for a in &made.plan.actions {
                    println!("{}\t{}\t{}", a.ci, a.action, a.reason.escape_debug());
                }
            }
            if resources {
                let cpu = crate::procstat::cpu_time_of("self").map_or(-1.0, |d| d.as_secs_f64());
                let rss = crate::procstat::peak_rss_of("self").unwrap_or(-1.0);
                println!("resources: cpu_seconds={cpu:.2} peak_rss_mib={rss:.1}");
            }
            Ok(0)
        }
        LifecycleCommand::Run { apply } => {
            let id = lc
                .start_run(RunKind::OnDemand, apply, &Actor::command_line())
                .await?;
            println!("{id}");
            Ok(0)
        }
    }
}
