//! The back-fill poller: reads `acs/v1/door/events` (reference §5) from a persisted checkpoint
//! and feeds every record to the same inbox as the push receiver, so a missed or never-sent push
//! is still stored once (the inbox dedupes by `eventId`).
//!
//! Choices:
//! - **Where a pass starts**: the checkpoint minus `events.poll_overlap_secs` (or, with no
//!   checkpoint yet, now minus `events.poll_lookback_hours` minus the overlap). The overlap
//!   re-reads records HikCentral learned about late (devices upload offline records after a
//!   reconnect); the inbox counts them as duplicates.
//! - **Windows**: at most [`MAX_WINDOW`] (30 days; HikCentral refuses more than 31, so a day of
//!   margin absorbs offsets and rounding). After downtime, one pass catches up window by window.
//! - **Calls**: one for all configured event types (`eventTypes`, a comma-separated string; with
//!   `events.poll_types_per_call = "one"` one call per type with `eventType`, for servers that
//!   refuse the list — UNCONFIRMED which do) per group of at most [`MAX_DOORS_PER_CALL`] door
//!   codes, or one with `doorIndexCodes: []` (all doors) when `events.poll_doors` is empty; every
//!   page, sorted ascending by swipe time so records arriving during paging land on later pages
//!   instead of shifting earlier ones.
//! - **Checkpoint**: moved to a window's end only after every page of that window is committed.
//!   A failure ends the pass with the checkpoint where the committed work left it; the next pass
//!   re-reads from there (duplicates, never gaps).
//! - **Times**: requests carry exactly the documented format, whole seconds with an offset
//!   (`2026-01-27T11:00:00+00:00`; a window's start is rounded down and its end up to the second,
//!   so nothing is missed); the checkpoint is RFC 3339 UTC with milliseconds
//!   (`2026-01-27T11:00:00.000Z`).
//! - **Plausibility**: polled records outside `events.accept_past_hours` /
//!   `events.accept_future_secs` are stored as `out_of_window` events, like pushed ones: never
//!   decided until an operator admits them (a back-fill after weeks of downtime loses nothing).

mod received;
pub use received::{RECEIVED_CHECKPOINT, V2, V2_DOOR_EVENTS_PATH};
mod request;
#[cfg(test)]
mod tests;
pub use request::{
    checkpoint_value, door_events_body, door_groups, windows, wire_time, TypeFilter, Window,
};

use super::inbox_writer::InboxWriter;
use crate::artemis::model::Page;
use crate::artemis::ArtemisClient;
use crate::attendance::event::{parse_door_record, Parsed, TimeWindow};
use crate::config::{EventsSettings, PollTypesPerCall};
use crate::store::{IngestReport, Store};
use anyhow::{bail, Context};
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use request::describe_doors;
use serde_json::Value;
use std::future::Future;
use std::time::Duration;

/// Name of the checkpoint in the store: the end of the last fully committed window.
pub const CHECKPOINT: &str = "poller.door_events";
/// The API polled.
pub const DOOR_EVENTS_PATH: &str = "/artemis/api/acs/v1/door/events";
/// Most `doorIndexCodes` HikCentral accepts in one call.
pub const MAX_DOORS_PER_CALL: usize = 10;
/// Largest `pageSize` HikCentral accepts.
pub const MAX_PAGE_SIZE: u32 = 500;
/// Longest window polled in one query (HikCentral's limit is 31 days).
pub const MAX_WINDOW: TimeDelta = TimeDelta::days(30);
/// Pages read for one query before giving up on an answer that never ends.
const MAX_PAGES: u64 = 20_000;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PollReport {
    /// Windows fully committed (and the checkpoint moved past).
    pub windows: u32,
    /// `door/events` calls answered.
    pub calls: u32,
    /// Records received (new, repeated and unusable alike).
    pub records: u32,
    /// New events stored for a decision.
    pub accepted: u32,
    /// New events stored as `out_of_window` (outside `events.accept_past_hours` /
    /// `accept_future_secs`): kept for an operator to admit.
    pub out_of_window: u32,
    /// Records already in the inbox (pushed, or read by an earlier pass).
    pub duplicates: u32,
    /// Records kept in `rejected_events` with a reason.
    pub rejected: u32,
}

impl PollReport {
    fn add(&mut self, r: IngestReport) {
        self.accepted += r.accepted;
        self.out_of_window += r.out_of_window;
        self.duplicates += r.duplicates;
        self.rejected += r.rejected;
    }
}

/// `t - secs`, or an error naming `setting` when that leaves chrono's range.
fn minus(t: DateTime<Utc>, span: Duration, setting: &str) -> anyhow::Result<DateTime<Utc>> {
    TimeDelta::from_std(span)
        .ok()
        .and_then(|d| t.checked_sub_signed(d))
        .with_context(|| format!("{setting} is too large"))
}

/// The back-fill poller; cheap to clone.
#[derive(Clone)]
pub struct Poller {
    client: ArtemisClient,
    store: Store,
    writer: InboxWriter,
    settings: EventsSettings,
    window: TimeWindow,
    /// Whether HikCentral offers the receive-time back-fill (probed once).
    v2: std::sync::Arc<std::sync::Mutex<V2>>,
    /// The outcome of the latest passes, for `/ready`, metrics and alerts.
    passes: std::sync::Arc<crate::upstream::health::UpstreamHealth>,
}

impl Poller {
    pub fn new(
        client: ArtemisClient,
        store: Store,
        writer: InboxWriter,
        settings: EventsSettings,
    ) -> Self {
        let window = settings.time_window();
        Self {
            client,
            store,
            writer,
            settings,
            window,
            v2: std::sync::Arc::new(std::sync::Mutex::new(V2::Unknown)),
            passes: std::sync::Arc::default(),
        }
    }

    /// The outcome of the latest back-fill passes (shared by every clone).
    pub fn passes(&self) -> std::sync::Arc<crate::upstream::health::UpstreamHealth> {
        self.passes.clone()
    }

    /// One catch-up pass up to `now` (see the module documentation for the rules). On error,
    /// what was committed stays committed and the checkpoint stays at the last whole window.
    pub async fn poll_once(&self, now: DateTime<Utc>) -> anyhow::Result<PollReport> {
        let now = now.trunc_subsecs(3);
        let from = self.resume_point(now).await?;
        let mut report = PollReport::default();
        for window in windows(from, now) {
            if let Err(e) = self.poll_window(&window, &mut report).await {
                tracing::warn!(
                    windows = report.windows,
                    calls = report.calls,
                    records = report.records,
                    accepted = report.accepted,
                    duplicates = report.duplicates,
                    "door-event back-fill stopped early; the next pass resumes from the checkpoint"
                );
                return Err(e.context(format!(
                    "door-event back-fill of {} .. {}",
                    checkpoint_value(window.start),
                    checkpoint_value(window.end)
                )));
            }
            self.store
                .checkpoints()
                .set(CHECKPOINT, &checkpoint_value(window.end))
                .await
                .with_context(|| format!("cannot save the checkpoint {CHECKPOINT}"))?;
            report.windows += 1;
        }
        if let Err(e) = self.poll_received(now, &mut report).await {
            tracing::warn!(error = %format!("{e:#}"), "back-fill by receive time failed; retried at the next pass");
        }
        tracing::info!(
            from = %checkpoint_value(from),
            to = %checkpoint_value(now),
            windows = report.windows,
            calls = report.calls,
            records = report.records,
            accepted = report.accepted,
            out_of_window = report.out_of_window,
            duplicates = report.duplicates,
            rejected = report.rejected,
            "door-event back-fill pass done"
        );
        Ok(report)
    }

    /// Poll now and then every `events.poll_interval_secs` until `shutdown` resolves; a failed
    /// pass is logged and retried at the next interval, never ending the loop. A pass cut short
    /// by shutdown is safe: the checkpoint only covers committed windows. With an interval of 0
    /// (polling off) it just waits for `shutdown`, so the worker still shows as running.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let mut shutdown = std::pin::pin!(shutdown);
        let interval = self.settings.poll_interval;
        if interval.is_zero() {
            tracing::info!("events.poll_interval_secs is 0: door-event back-fill is off");
            shutdown.await;
            return Ok(());
        }
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => return Ok(()),
                result = self.poll_once(Utc::now()) => {
                    match &result {
                        Ok(_) => self.passes.record_ok(),
                        Err(e) => self.passes.record_error(&format!("{e:#}")),
                    }
                    if let Err(e) = result {
                        tracing::warn!(
                            error = %format!("{e:#}"),
                            retry_in_secs = interval.as_secs(),
                            "door-event back-fill failed; retrying at the next interval"
                        );
                    }
                }
            }
            tokio::select! {
                biased;
                () = &mut shutdown => return Ok(()),
                () = tokio::time::sleep(interval) => {}
            }
        }
    }

    /// The checkpoint (or the look-back start) minus the overlap.
    async fn resume_point(&self, now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
        let saved = self
            .store
            .checkpoints()
            .get(CHECKPOINT)
            .await
            .with_context(|| format!("cannot read the checkpoint {CHECKPOINT}"))?;
        let base = match saved {
            Some(cp) => DateTime::parse_from_rfc3339(cp.value.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    anyhow::anyhow!(
                        "the checkpoint {CHECKPOINT} holds {:?}, not an RFC 3339 time ({e}); \
                         delete that row from the checkpoints table to restart from \
                         events.poll_lookback_hours",
                        cp.value
                    )
                })?,
            None => minus(
                now,
                self.settings.poll_lookback,
                "events.poll_lookback_hours",
            )?,
        };
        minus(base, self.settings.poll_overlap, "events.poll_overlap_secs")
    }

    /// Every type filter × door group of one window, all pages.
    async fn poll_window(&self, window: &Window, report: &mut PollReport) -> anyhow::Result<()> {
        let mut types = self.settings.event_types.clone();
        types.sort_unstable();
        types.dedup();
        if types.is_empty() {
            bail!("events.event_types is empty: HikCentral needs event types to query");
        }
        let filters: Vec<TypeFilter> = if self.settings.poll_types_per_call == PollTypesPerCall::One
        {
            types.into_iter().map(TypeFilter::One).collect()
        } else {
            vec![TypeFilter::All(types)]
        };
        for filter in &filters {
            for doors in door_groups(&self.settings.poll_doors) {
                self.poll_query(window, filter, &doors, report).await?;
            }
        }
        Ok(())
    }

    /// Commit one page of door records (through the time window) to the inbox; counted in
    /// `report`.
    async fn store_page(&self, records: &[Value], report: &mut PollReport) -> anyhow::Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let items: Vec<Parsed> = records.iter().map(parse_door_record).collect();
        let items = self.window.apply(items, Utc::now());
        let ingest = self
            .writer
            .commit_waiting(items, "poll")
            .await
            .context("cannot store the polled events")?;
        report.add(ingest);
        Ok(())
    }

    /// All pages of one query; each page is committed before the next is asked for.
    async fn poll_query(
        &self,
        window: &Window,
        types: &TypeFilter,
        doors: &[String],
        report: &mut PollReport,
    ) -> anyhow::Result<()> {
        let page_size = self.settings.poll_page_size.clamp(1, MAX_PAGE_SIZE);
        for page_no in 1..=MAX_PAGES {
            let body = door_events_body(window, types, doors, page_no, page_size);
            let page: Page<Value> = self
                .client
                .call_data(DOOR_EVENTS_PATH, &body)
                .await
                .with_context(|| {
                    format!(
                        "acs/v1/door/events {}, {}, page {page_no}",
                        types.describe(),
                        describe_doors(doors)
                    )
                })?;
            report.calls += 1;
            let received = page.list.len();
            report.records += u32::try_from(received).unwrap_or(u32::MAX);
            tracing::debug!(
                types = %types.describe(),
                doors = doors.len(),
                page_no,
                received,
                total = page.total,
                "door events page"
            );
            self.store_page(&page.list, report).await?;
            // HikCentral may answer with a smaller page size than asked; page by what it used.
            let size = match page.page_size {
                s @ 1.. if s < u64::from(page_size) => s,
                _ => u64::from(page_size),
            };
            let short = (received as u64) < size;
            let past_total = page.total > 0 && page_no.saturating_mul(size) >= page.total;
            if short || past_total {
                return Ok(());
            }
        }
        bail!(
            "acs/v1/door/events {}, {}: still full pages after {MAX_PAGES} \
             pages; HikCentral's paging looks broken",
            types.describe(),
            describe_doors(doors)
        )
    }
}
