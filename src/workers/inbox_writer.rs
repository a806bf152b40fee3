//! Group commit for the inbox: every request hands its events to one writer task, which commits
//! whatever has queued up in a single transaction and then answers each request. Under load,
//! many POSTs share one commit (one fsync), so ingest is not limited by commits per second; at
//! low load a request waits only for its own commit.
//!
//! Failure handling: when a batch fails, each request in it is retried alone, so one poisoned
//! push (a value the database refuses, e.g. a NUL byte on PostgreSQL) gets its own error and
//! its neighbours their commit. A request that fails alone because of its content is
//! [`IngestError::Refused`] (400); any other failure (disk full, database down) is
//! [`IngestError::Store`] (503). The queue is bounded: when it is full the request is refused
//! at once with [`IngestError::Busy`] instead of waiting until it times out.

use super::pressure::IngestPressure;
use crate::attendance::event::{Parsed, RejectKind};
use crate::store::{EventGroup, IngestReport, Store, StoreError};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex, Notify};

/// Most events committed in one transaction.
pub const MAX_EVENTS_PER_COMMIT: usize = 2048;
/// Requests that may wait for the writer when no setting says otherwise.
pub const DEFAULT_QUEUE_DEPTH: usize = 256;

struct Job {
    items: EventGroup,
    source: &'static str,
    done: oneshot::Sender<Result<IngestReport, IngestError>>,
}

/// Why events could not be stored. Nothing of the request was stored.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    #[error("the inbox writer is not running")]
    Stopped,
    #[error("the inbox writer is busy (its queue is full)")]
    Busy,
    #[error("the events could not be stored: {0}")]
    Store(String),
    /// The database refused this request's content (it failed alone, its neighbours did not).
    #[error("the database refused these events: {0}")]
    Refused(String),
}

/// Handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct InboxWriter {
    tx: mpsc::Sender<Job>,
    pressure: Arc<IngestPressure>,
}

impl InboxWriter {
    /// Start the writer as the `inbox_writer` worker.
    pub fn spawn(store: Store, workers: &super::Workers) -> Self {
        Self::spawn_with(store, workers, Arc::new(Notify::new()), DEFAULT_QUEUE_DEPTH)
    }

    /// Same, telling `stored` after each commit that stored something, with a queue of
    /// `queue_depth` requests.
    pub fn spawn_with(
        store: Store,
        workers: &super::Workers,
        stored: Arc<Notify>,
        queue_depth: usize,
    ) -> Self {
        let (tx, rx) = mpsc::channel(queue_depth.max(1));
        // Shared so that a restarted writer (after a panic) takes over the same queue.
        let rx = Arc::new(Mutex::new(rx));
        let pressure = Arc::new(IngestPressure::default());
        let saturation = pressure.clone();
        workers.spawn("inbox_writer", move |token| {
            let run = run(
                store.clone(),
                rx.clone(),
                stored.clone(),
                saturation.clone(),
            );
            async move { token.run_until_cancelled(run).await.unwrap_or(Ok(())) }
        });
        Self { tx, pressure }
    }

    /// Whether this writer is saturated (for the decider, which yields to ingest bursts).
    pub fn pressure(&self) -> Arc<IngestPressure> {
        self.pressure.clone()
    }

    /// Store `items` durably; resolves once they are committed (or the commit failed). Refused
    /// at once with [`IngestError::Busy`] when the queue is full.
    pub async fn commit(
        &self,
        items: Vec<Parsed>,
        source: &'static str,
    ) -> Result<IngestReport, IngestError> {
        let (done, wait) = oneshot::channel();
        let job = Job {
            items: Arc::new(items),
            source,
            done,
        };
        match self.tx.try_send(job) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => return Err(IngestError::Busy),
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(IngestError::Stopped),
        }
        wait.await.map_err(|_| IngestError::Stopped)?
    }

    /// Same, but waits for room in the queue (the poller: it has no one to answer 503 to).
    pub async fn commit_waiting(
        &self,
        items: Vec<Parsed>,
        source: &'static str,
    ) -> Result<IngestReport, IngestError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Job {
                items: Arc::new(items),
                source,
                done,
            })
            .await
            .map_err(|_| IngestError::Stopped)?;
        wait.await.map_err(|_| IngestError::Stopped)?
    }
}

async fn run(
    store: Store,
    rx: Arc<Mutex<mpsc::Receiver<Job>>>,
    stored: Arc<Notify>,
    pressure: Arc<IngestPressure>,
) -> anyhow::Result<()> {
    let mut rx = rx.lock().await;
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        let mut events = jobs[0].items.len();
        while events < MAX_EVENTS_PER_COMMIT {
            match rx.try_recv() {
                Ok(job) => {
                    events += job.items.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        commit(&store, jobs).await;
        stored.notify_one();
        if !rx.is_empty() {
            pressure.saturated();
        }
    }
    Ok(())
}

/// Commit jobs of the same source together in one transaction; answer every job.
async fn commit(store: &Store, jobs: Vec<Job>) {
    let (push, poll): (Vec<Job>, Vec<Job>) = jobs.into_iter().partition(|j| j.source == "push");
    for batch in [push, poll] {
        let Some(source) = batch.first().map(|j| j.source) else {
            continue;
        };
        let now = chrono::Utc::now().timestamp_millis();
        let groups: Vec<EventGroup> = batch.iter().map(|j| j.items.clone()).collect();
        let started = std::time::Instant::now();
        match store.inbox().commit_groups(&groups, source, now).await {
            Ok(reports) => {
                crate::metrics::ingest_commit(
                    started.elapsed(),
                    groups.iter().map(|g| g.len()).sum(),
                );
                let mut counted = Committed::default();
                for (job, report) in batch.into_iter().zip(reports) {
                    counted.add(&job.items, &report);
                    let _ = job.done.send(Ok(report));
                }
                counted.record(source);
            }
            Err(e) if batch.len() == 1 => answer_alone(batch, &e),
            Err(e) => {
                tracing::warn!(error = %e.to_string().escape_debug(), requests = batch.len(), "group commit failed; committing each request alone");
                for job in batch {
                    let groups = [job.items.clone()];
                    match store.inbox().commit_groups(&groups, source, now).await {
                        Ok(mut r) => {
                            let report = r.pop().unwrap_or_default();
                            let mut counted = Committed::default();
                            counted.add(&job.items, &report);
                            let _ = job.done.send(Ok(report));
                            counted.record(source);
                        }
                        Err(e) => answer_alone(vec![job], &e),
                    }
                }
            }
        }
    }
}

/// What one commit stored, summed over its requests, so its metrics are recorded once per
/// commit rather than once per request (each recording looks its counter up by name and
/// labels: a dozen allocations, which at one event per push was a tenth of all of them).
#[derive(Default)]
struct Committed {
    /// New events, out-of-window ones included.
    ingested: u64,
    out_of_window: u64,
    rejected: [u64; RejectKind::ALL.len()],
}

impl Committed {
    fn add(&mut self, items: &[Parsed], report: &IngestReport) {
        self.ingested += u64::from(report.accepted + report.out_of_window);
        self.out_of_window += u64::from(report.out_of_window);
        for item in items {
            if let Parsed::Rejected { kind, .. } = item {
                if let Some(i) = RejectKind::ALL.iter().position(|k| k == kind) {
                    self.rejected[i] += 1;
                }
            }
        }
    }

    /// New events by source (those outside the time window also on their own), rejected ones
    /// by kind.
    fn record(&self, source: &'static str) {
        crate::metrics::events_ingested(source, self.ingested);
        if self.out_of_window > 0 {
            crate::metrics::events_out_of_window(source, self.out_of_window);
        }
        for (kind, &n) in RejectKind::ALL.iter().zip(&self.rejected) {
            if n > 0 {
                crate::metrics::events_rejected(kind.as_str(), n);
            }
        }
    }
}

/// The answer for a request that failed on its own.
fn answer_alone(jobs: Vec<Job>, e: &StoreError) {
    let err = if e.is_refused_input() {
        tracing::warn!(error = %e.to_string().escape_debug(), "the database refused a request's events; nothing of it was stored");
        IngestError::Refused(e.to_string())
    } else {
        tracing::error!(error = %e.to_string().escape_debug(), "inbox commit failed; nothing of the request was stored");
        IngestError::Store(e.to_string())
    };
    for job in jobs {
        let _ = job.done.send(Err(err.clone()));
    }
}
