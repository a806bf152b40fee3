//! Background workers under one supervisor, and the registry `/ready` reads.
//!
//! Every worker is started through [`Workers::spawn`] (runs on every replica) or
//! [`Workers::spawn_leader`] (runs only while this replica holds the cluster lease, see
//! [`leadership`]). The supervisor runs each attempt as its own task, so a panic is caught and
//! recorded with its message like an error; the worker then restarts with backoff (1 s doubling
//! to 60 s, reset after a minute of healthy running). `/ready` shows each worker's state,
//! restarts and last error. [`Workers::shutdown`] cancels every worker's token, gives them
//! `grace` to finish and then aborts what is left, so the pool closes only after they stopped.

pub mod decider;
pub mod delivery;
pub mod inbox_writer;
pub mod leadership;
pub mod poller;
pub mod pressure;
pub mod reconciler;
pub mod retention;
pub mod sync_jobs;

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

const FIRST_RESTART: Duration = Duration::from_secs(1);
const MAX_RESTART: Duration = Duration::from_secs(60);
/// A worker that ran this long without failing restarts from the first delay again.
const HEALTHY_AFTER: Duration = Duration::from_secs(60);

/// What a worker is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkerPhase {
    Running,
    /// Waiting for this replica to lead the cluster (another replica runs it).
    Standby,
    /// Failed or panicked; restarts after a backoff.
    Restarting,
    /// Ended (finished its work, or shut down).
    Stopped,
}

/// One worker as `/ready` shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkerState {
    pub phase: WorkerPhase,
    /// Kept for readers of the earlier report shape: true while `running` or `standby`.
    pub running: bool,
    pub started_at: DateTime<Utc>,
    pub restarts: u64,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub stopped_reason: Option<String>,
}

/// The whole registry, for `/ready`.
#[derive(Debug, Clone, Serialize)]
pub struct WorkersReport {
    /// False when a worker is restarting after a failure or stopped with an error.
    pub ok: bool,
    pub workers: BTreeMap<&'static str, WorkerState>,
}

#[derive(Clone)]
pub struct Workers {
    states: Arc<Mutex<BTreeMap<&'static str, WorkerState>>>,
    cancel: CancellationToken,
    tracker: TaskTracker,
    leader: watch::Receiver<bool>,
}

impl Default for Workers {
    /// A registry on a replica that always leads (single process).
    fn default() -> Self {
        Self::new(watch::channel(true).1)
    }
}

impl Workers {
    /// A registry whose leader-only workers follow `leader`.
    pub fn new(leader: watch::Receiver<bool>) -> Self {
        Self {
            states: Arc::default(),
            cancel: CancellationToken::new(),
            tracker: TaskTracker::new(),
            leader,
        }
    }

    /// Run `work` as the named worker on this replica, supervised (see the module docs). Each
    /// attempt gets a token that is cancelled at shutdown.
    pub fn spawn<F, Fut>(&self, name: &'static str, work: F)
    where
        F: FnMut(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.start(name, work, false);
    }

    /// Same, but only while this replica leads the cluster: on another replica it waits in
    /// `standby`, and it is cancelled when leadership is lost.
    pub fn spawn_leader<F, Fut>(&self, name: &'static str, work: F)
    where
        F: FnMut(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.start(name, work, true);
    }

    fn start<F, Fut>(&self, name: &'static str, mut work: F, leader_only: bool)
    where
        F: FnMut(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.set(name, WorkerPhase::Standby, |_| {});
        let me = self.clone();
        self.tracker.spawn(async move {
            let mut delay = FIRST_RESTART;
            let mut leader = me.leader.clone();
            loop {
                if leader_only {
                    me.set(name, WorkerPhase::Standby, |_| {});
                    tokio::select! {
                        () = me.cancel.cancelled() => break,
                        r = leader.wait_for(|l| *l) => if r.is_err() { break },
                    }
                }
                me.set(name, WorkerPhase::Running, |s| s.started_at = Utc::now());
                let token = me.cancel.child_token();
                let started = tokio::time::Instant::now();
                let mut task = tokio::spawn(work(token.clone()));
                let lost_lead = async {
                    // A closed channel is the lease loop ending at shutdown, not a lost lead.
                    if !leader_only || leader.wait_for(|l| !*l).await.is_err() {
                        std::future::pending::<()>().await;
                    }
                };
                let outcome = tokio::select! {
                    biased;
                    () = me.cancel.cancelled() => None,
                    r = &mut task => Some(r),
                    () = lost_lead => {
                        tracing::warn!(worker = name, "this replica no longer leads the cluster: worker stopped");
                        None
                    }
                };
                let outcome = match outcome {
                    Some(r) => r,
                    None => {
                        token.cancel();
                        // A short grace to finish what it is doing, then abort.
                        if tokio::time::timeout(Duration::from_secs(5), &mut task).await.is_err() {
                            task.abort();
                            let _ = task.await;
                        }
                        if me.cancel.is_cancelled() {
                            me.set(name, WorkerPhase::Stopped, |s| {
                                s.stopped_reason = Some("shut down".into())
                            });
                            break;
                        }
                        continue;
                    }
                };
                let failure = match outcome {
                    Ok(Ok(())) => {
                        me.set(name, WorkerPhase::Stopped, |s| {
                            s.stopped_reason = Some("finished".into())
                        });
                        break;
                    }
                    Ok(Err(e)) => format!("{e:#}"),
                    Err(join) if join.is_panic() => {
                        format!("panicked: {}", panic_message(join.into_panic()))
                    }
                    Err(_) => "cancelled".to_owned(),
                };
                if started.elapsed() >= HEALTHY_AFTER {
                    delay = FIRST_RESTART;
                }
                tracing::error!(worker = name, error = %failure.escape_debug(), restart_in_ms = delay.as_millis() as u64, "worker failed; restarting");
                me.set(name, WorkerPhase::Restarting, |s| {
                    s.restarts += 1;
                    s.last_error = Some(failure.clone());
                    s.last_error_at = Some(Utc::now());
                });
                tokio::select! {
                    () = me.cancel.cancelled() => {
                        me.set(name, WorkerPhase::Stopped, |s| s.stopped_reason = Some(failure));
                        break;
                    }
                    () = tokio::time::sleep(delay) => {}
                }
                delay = (delay * 2).min(MAX_RESTART);
            }
        });
    }

    /// Cancelled when [`Workers::shutdown`] starts (for tasks that must stop with the workers).
    pub fn cancellation(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Cancel every worker and wait (at most `grace` plus each worker's own short grace) until
    /// they have stopped.
    pub async fn shutdown(&self, grace: Duration) {
        self.cancel.cancel();
        self.tracker.close();
        if tokio::time::timeout(grace + Duration::from_secs(6), self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some workers did not stop in time");
        }
    }

    fn set(&self, name: &'static str, phase: WorkerPhase, edit: impl FnOnce(&mut WorkerState)) {
        if let Ok(mut m) = self.states.lock() {
            let s = m.entry(name).or_insert_with(|| WorkerState {
                phase,
                running: true,
                started_at: Utc::now(),
                restarts: 0,
                last_error: None,
                last_error_at: None,
                stopped_reason: None,
            });
            s.phase = phase;
            s.running = matches!(phase, WorkerPhase::Running | WorkerPhase::Standby);
            if s.running {
                s.stopped_reason = None;
            }
            edit(s);
        }
    }

    /// Every worker's state; `ok` is false while one is restarting or stopped with an error.
    pub fn report(&self) -> WorkersReport {
        let workers = self.states.lock().map(|m| m.clone()).unwrap_or_default();
        let ok = workers.values().all(|w| match w.phase {
            WorkerPhase::Running | WorkerPhase::Standby => true,
            WorkerPhase::Restarting => false,
            WorkerPhase::Stopped => {
                matches!(w.stopped_reason.as_deref(), Some("finished" | "shut down"))
            }
        });
        WorkersReport { ok, workers }
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_failing_worker_is_recorded_and_restarted_with_backoff() {
        let w = Workers::default();
        let attempts = Arc::new(AtomicU32::new(0));
        let a = attempts.clone();
        w.spawn("poller", move |_| {
            let n = a.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 2 {
                    anyhow::bail!("checkpoint table missing")
                }
                std::future::pending::<anyhow::Result<()>>().await
            }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let r = w.report();
        assert!(!r.ok, "a failed worker turns the report red");
        let p = &r.workers["poller"];
        assert_eq!(p.phase, WorkerPhase::Restarting);
        assert_eq!(p.last_error.as_deref(), Some("checkpoint table missing"));
        // 1 s, then 2 s of backoff: running again after the second restart.
        tokio::time::sleep(Duration::from_millis(3100)).await;
        let r = w.report();
        assert_eq!(attempts.load(Ordering::SeqCst), 3);
        assert_eq!(r.workers["poller"].phase, WorkerPhase::Running);
        assert_eq!(r.workers["poller"].restarts, 2);
        assert!(r.ok);
    }

    #[tokio::test(start_paused = true)]
    async fn a_panic_is_caught_recorded_with_its_message_and_restarted() {
        let w = Workers::default();
        let attempts = Arc::new(AtomicU32::new(0));
        let a = attempts.clone();
        w.spawn("delivery", move |_| {
            let n = a.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    panic!("Retry-After out of range");
                }
                std::future::pending::<anyhow::Result<()>>().await
            }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let r = w.report();
        assert!(!r.ok);
        assert!(r.workers["delivery"]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("panicked: Retry-After out of range")));
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(w.report().workers["delivery"].phase, WorkerPhase::Running);
        assert_eq!(attempts.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn leader_only_workers_wait_and_stop_with_leadership() {
        let (tx, rx) = watch::channel(false);
        let w = Workers::new(rx);
        let runs = Arc::new(AtomicU32::new(0));
        let r2 = runs.clone();
        w.spawn_leader("decider", move |token| {
            r2.fetch_add(1, Ordering::SeqCst);
            async move {
                token.cancelled().await;
                Ok(())
            }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(w.report().workers["decider"].phase, WorkerPhase::Standby);
        assert_eq!(runs.load(Ordering::SeqCst), 0);
        tx.send(true).unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(w.report().workers["decider"].phase, WorkerPhase::Running);
        tx.send(false).unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(w.report().workers["decider"].phase, WorkerPhase::Standby);
        tx.send(true).unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "runs again when leading again"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_cancels_and_waits_for_every_worker() {
        let w = Workers::default();
        let finished = Arc::new(AtomicU32::new(0));
        let f = finished.clone();
        w.spawn("reconciler", move |token| {
            let f = f.clone();
            async move {
                token.cancelled().await;
                f.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        w.shutdown(Duration::from_secs(1)).await;
        assert_eq!(finished.load(Ordering::SeqCst), 1);
        let r = w.report();
        assert_eq!(r.workers["reconciler"].phase, WorkerPhase::Stopped);
        assert!(r.ok, "a clean shutdown is not an error");
    }
}
