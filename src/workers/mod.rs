//! Background workers and the registry `/ready` reads: each worker is spawned through
//! [`Workers::spawn`], which records whether it is still running and why it stopped.

pub mod decider;
pub mod delivery;
pub mod inbox_writer;
pub mod poller;
pub mod reconciler;
pub mod sync_jobs;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
struct WorkerState {
    running: bool,
    started_at: DateTime<Utc>,
    stopped_reason: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Workers(Arc<Mutex<BTreeMap<&'static str, WorkerState>>>);

impl Workers {
    /// Run `work` as the named worker; its end (error or not) is recorded.
    pub fn spawn<F>(&self, name: &'static str, work: F) -> tokio::task::JoinHandle<()>
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.set(name, true, None);
        let registry = self.clone();
        tokio::spawn(async move {
            let reason = match work.await {
                Ok(()) => "finished".to_string(),
                Err(e) => {
                    tracing::error!(worker = name, error = %format!("{e:#}"), "worker stopped");
                    format!("{e:#}")
                }
            };
            registry.set(name, false, Some(reason));
        })
    }

    fn set(&self, name: &'static str, running: bool, reason: Option<String>) {
        if let Ok(mut m) = self.0.lock() {
            let started_at = m
                .get(name)
                .filter(|_| !running)
                .map_or_else(Utc::now, |w| w.started_at);
            m.insert(
                name,
                WorkerState {
                    running,
                    started_at,
                    stopped_reason: reason,
                },
            );
        }
    }

    /// `{"status":"ok"|"error","workers":{name:{running,...}}}`.
    pub fn report(&self) -> Value {
        let m = self.0.lock().map(|m| m.clone()).unwrap_or_default();
        let all_running = m.values().all(|w| w.running);
        let workers: serde_json::Map<String, Value> = m
            .into_iter()
            .map(|(name, w)| {
                (
                    name.to_string(),
                    json!({"running": w.running, "started_at": w.started_at, "stopped_reason": w.stopped_reason}),
                )
            })
            .collect();
        json!({"status": if all_running { "ok" } else { "error" }, "workers": workers})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stopped_worker_turns_the_report_to_error() {
        let w = Workers::default();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let h = w.spawn("poller", async move {
            let _ = rx.await;
            anyhow::bail!("checkpoint table missing")
        });
        assert_eq!(w.report()["status"], "ok");
        tx.send(()).unwrap();
        h.await.unwrap();
        let r = w.report();
        assert_eq!(r["status"], "error");
        assert_eq!(r["workers"]["poller"]["running"], false);
        assert!(r["workers"]["poller"]["stopped_reason"]
            .as_str()
            .unwrap()
            .contains("checkpoint table missing"));
    }
}
