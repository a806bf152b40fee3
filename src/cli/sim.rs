//! `hikbridge sim …`: a simulated upstream on this machine, for manual runs and benchmarks.
//! The HikCentral simulator can push events (`--push FILE`) to whoever subscribed, as the real
//! platform does; the Humand simulator prints its key and its employees.

use super::SimCommand;
use crate::app::shutdown_signal;
use anyhow::Context;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

pub async fn run(cmd: SimCommand) -> anyhow::Result<i32> {
    crate::telemetry::init(&crate::config::LogSettings {
        format: crate::config::LogFormat::Text,
        level: crate::config::LogFilter::from("info"),
    });
    match cmd {
        SimCommand::Hikcentral {
            port,
            bind,
            throttle_per_second,
            throttle_http_429,
            tls_cert,
            tls_key,
            push,
            push_every_secs,
        } => {
            use crate::sim::hikcentral::{HikSim, HikSimConfig};
            let mut cfg = HikSimConfig {
                throttle_per_second,
                throttle_http_429,
                ..HikSimConfig::default()
            };
            let mut key_from_env = false;
            if let Ok(k) = std::env::var("HIKBRIDGE__HIKCENTRAL__APP_KEY") {
                cfg.app_key = k;
                key_from_env = true;
            }
            if let Ok(s) = std::env::var("HIKBRIDGE__HIKCENTRAL__APP_SECRET") {
                cfg.app_secret = s;
                key_from_env = true;
            }
            let tls = match (tls_cert, tls_key) {
                (Some(c), Some(k)) => Some(crate::sim::SimTls {
                    cert_pem: std::fs::read_to_string(&c)
                        .with_context(|| format!("cannot read {}", c.display()))?,
                    key_pem: std::fs::read_to_string(&k)
                        .with_context(|| format!("cannot read {}", k.display()))?,
                }),
                _ => None,
            };
            let credentials = if key_from_env {
                "AppKey/AppSecret from HIKBRIDGE__HIKCENTRAL__APP_KEY / APP_SECRET".to_owned()
            } else {
                format!("AppKey {} / AppSecret {}", cfg.app_key, cfg.app_secret)
            };
            let batches = push
                .iter()
                .map(|f| read_events(f))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let sim = HikSim::new(cfg);
            let addr: SocketAddr = format!("{bind}:{port}").parse().context("--bind/--port")?;
            let running = sim.start(addr, tls).await?;
            println!(
                "simulated HikCentral at {} ({credentials}); Ctrl-C stops it",
                running.base_url
            );
            if batches.is_empty() {
                shutdown_signal().await;
            } else {
                tokio::select! {
                    () = shutdown_signal() => {}
                    () = push_loop(&sim, &batches, push_every_secs) => shutdown_signal().await,
                }
            }
            Ok(0)
        }
        SimCommand::Humand {
            port,
            bind,
            limit,
            window_secs,
            users,
        } => {
            use crate::sim::humand::{HumandSim, HumandSimConfig};
            let mut cfg = HumandSimConfig {
                limit,
                window: Duration::from_secs(window_secs.max(1)),
                ..HumandSimConfig::default()
            };
            let key = match std::env::var("HIKBRIDGE__HUMAND__API_KEY") {
                Ok(k) => {
                    cfg.api_key = k;
                    "from HIKBRIDGE__HUMAND__API_KEY".to_owned()
                }
                Err(_) => cfg.api_key.clone(),
            };
            let sim = HumandSim::new(cfg);
            for i in 1..=users {
                sim.add_user(
                    &format!("{}", 10_000_000 + i),
                    "Demo",
                    &format!("Employee {i}"),
                );
            }
            let addr: SocketAddr = format!("{bind}:{port}").parse().context("--bind/--port")?;
            let running = sim.start(addr).await?;
            println!(
                "simulated Humand at {} ({limit} requests per {window_secs} s); Ctrl-C stops it",
                HumandSim::api_base(&running)
            );
            println!("  API key (HIKBRIDGE__HUMAND__API_KEY): {key}");
            match users {
                0 => println!("  employees: none (--users N adds some)"),
                n => println!(
                    "  employees (employeeInternalId): 10000001 … {}",
                    10_000_000 + n
                ),
            }
            shutdown_signal().await;
            Ok(0)
        }
    }
}

/// The events of a callback file: an `OnEventNotify` body, `{"events": […]}` or a bare list.
fn read_events(path: &Path) -> anyhow::Result<Vec<Value>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let events = doc
        .pointer("/params/events")
        .or_else(|| doc.get("events"))
        .unwrap_or(&doc);
    events
        .as_array()
        .cloned()
        .with_context(|| format!("{} holds no list of events", path.display()))
}

/// Push every batch (fresh ids and times, so each round is new) once, or every `every_secs`.
async fn push_loop(sim: &crate::sim::hikcentral::HikSim, batches: &[Vec<Value>], every_secs: u64) {
    loop {
        if sim.subscriptions().is_empty() {
            println!("push: nobody subscribed yet (hikbridge subscriptions subscribe, or events.subscribe_on_start); waiting");
            while sim.subscriptions().is_empty() {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        for batch in batches {
            let events = batch.iter().cloned().map(fresh).collect();
            for (dest, result) in sim.push_events(events).await {
                match result {
                    Ok(status) => {
                        println!("push: {} event(s) → {dest}: HTTP {status}", batch.len())
                    }
                    Err(e) => println!("push: {} event(s) → {dest}: {e}", batch.len()),
                }
            }
        }
        if every_secs == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_secs(every_secs)).await;
    }
}

/// A new eventId and the time now (the simulator fills in the rest).
fn fresh(mut event: Value) -> Value {
    if let Some(map) = event.as_object_mut() {
        map.insert(
            "eventId".into(),
            Value::String(uuid::Uuid::new_v4().to_string()),
        );
        map.remove("happenTime");
        map.remove("receivedAt");
    }
    event
}
