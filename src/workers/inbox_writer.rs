//! Group commit for the inbox: every request hands its events to one writer task, which commits
//! whatever has queued up in a single transaction and then answers each request. Under load,
//! many POSTs share one commit (one fsync), so ingest is not limited by commits per second; at
//! low load a request waits only for its own commit.

use crate::attendance::event::Parsed;
use crate::store::{IngestReport, Store};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Notify};

/// Most events committed in one transaction.
pub const MAX_EVENTS_PER_COMMIT: usize = 2048;
/// Requests that may wait for the writer before new ones are told to come back later.
const QUEUE_DEPTH: usize = 4096;

struct Job {
    items: Vec<Parsed>,
    source: &'static str,
    done: oneshot::Sender<Result<IngestReport, String>>,
}

/// Why events could not be stored. Nothing of the request was stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the inbox writer is not running")]
    Stopped,
    #[error("the events could not be stored: {0}")]
    Store(String),
}

/// Handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct InboxWriter {
    tx: mpsc::Sender<Job>,
}

impl InboxWriter {
    /// Start the writer as the `inbox_writer` worker.
    pub fn spawn(store: Store, workers: &super::Workers) -> Self {
        Self::spawn_with_notify(store, workers, Arc::new(Notify::new()))
    }

    /// Same, telling `stored` after each commit that stored something.
    pub fn spawn_with_notify(store: Store, workers: &super::Workers, stored: Arc<Notify>) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        workers.spawn("inbox_writer", run(store, rx, stored));
        Self { tx }
    }

    /// Store `items` durably; resolves once they are committed (or the commit failed).
    pub async fn commit(
        &self,
        items: Vec<Parsed>,
        source: &'static str,
    ) -> Result<IngestReport, IngestError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Job {
                items,
                source,
                done,
            })
            .await
            .map_err(|_| IngestError::Stopped)?;
        wait.await
            .map_err(|_| IngestError::Stopped)?
            .map_err(IngestError::Store)
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>, stored: Arc<Notify>) -> anyhow::Result<()> {
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
    }
    Ok(())
}

/// Commit jobs of the same source together in one transaction; answer every job.
async fn commit(store: &Store, jobs: Vec<Job>) {
    let now = chrono::Utc::now().timestamp_millis();
    let (push, poll): (Vec<Job>, Vec<Job>) = jobs.into_iter().partition(|j| j.source == "push");
    for batch in [push, poll] {
        let Some(source) = batch.first().map(|j| j.source) else {
            continue;
        };
        let groups: Vec<&[Parsed]> = batch.iter().map(|j| j.items.as_slice()).collect();
        let result = store.inbox().commit_groups(&groups, source, now).await;
        match result {
            Ok(reports) => {
                for (job, report) in batch.into_iter().zip(reports) {
                    let _ = job.done.send(Ok(report));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, requests = batch.len(), "inbox commit failed; nothing of these requests was stored");
                for job in batch {
                    let _ = job.done.send(Err(e.to_string()));
                }
            }
        }
    }
}
