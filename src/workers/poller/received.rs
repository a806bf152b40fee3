//! Back-fill by *receive* time. Devices that were offline upload their records late, with old
//! event times: a back-fill by event time from the checkpoint never sees them. Where HikCentral
//! offers `acs/v2/door/events` with `receiveStartTime`/`receiveEndTime` (seen for iSecure Center;
//! UNCONFIRMED for HikCentral Professional), each pass also reads what the platform *received*
//! since its own checkpoint. The API is probed once: code 12/8 or HTTP 404 means "not offered",
//! remembered for the life of the process and logged once (`events.poll_receive_time = "off"`
//! skips it altogether).

use super::{door_groups, wire_time, PollReport, Poller, MAX_PAGE_SIZE};
use crate::artemis::model::{ArtemisCode, Page};
use crate::artemis::ArtemisError;
use crate::config::PollReceiveTime;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use serde_json::{json, Value};

pub const V2_DOOR_EVENTS_PATH: &str = "/artemis/api/acs/v2/door/events";
pub const RECEIVED_CHECKPOINT: &str = "poller.door_events_received";
/// The v2 API refuses ranges over three months; stay well inside.
const MAX_SPAN: TimeDelta = TimeDelta::days(30);
const MAX_PAGES: u64 = 10_000;

/// What the probe learned about the v2 API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V2 {
    Unknown,
    Offered,
    NotOffered,
}

impl Poller {
    /// Read what HikCentral received since the receive-time checkpoint, when it offers v2.
    pub(super) async fn poll_received(
        &self,
        now: DateTime<Utc>,
        report: &mut PollReport,
    ) -> anyhow::Result<()> {
        if self.settings.poll_receive_time == PollReceiveTime::Off || self.v2() == V2::NotOffered {
            return Ok(());
        }
        let saved = self.store.checkpoints().get(RECEIVED_CHECKPOINT).await?;
        let base = saved
            .and_then(|c| DateTime::parse_from_rfc3339(c.value.trim()).ok())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| now - TimeDelta::hours(1));
        // An overlap too large to subtract reaches back as far as MAX_SPAN allows.
        let from = super::minus(base, self.settings.poll_overlap, "events.poll_overlap_secs")
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
            .max(now - MAX_SPAN)
            .trunc_subsecs(0);
        let mut types = self.settings.event_types.clone();
        types.sort_unstable();
        types.dedup();
        let page_size = self.settings.poll_page_size.clamp(1, MAX_PAGE_SIZE);
        for doors in door_groups(&self.settings.poll_doors) {
            for page_no in 1..=MAX_PAGES {
                let body = json!({
                    "receiveStartTime": wire_time(from),
                    "receiveEndTime": wire_time(now.trunc_subsecs(0) + TimeDelta::seconds(1)),
                    "eventTypes": types,
                    "doorIndexCodes": doors,
                    "pageNo": page_no,
                    "pageSize": page_size,
                });
                let page: Page<Value> = match self
                    .client
                    .call_data(V2_DOOR_EVENTS_PATH, &body)
                    .await
                {
                    Ok(p) => {
                        self.set_v2(V2::Offered);
                        p
                    }
                    Err(e) if not_offered(&e) => {
                        self.set_v2(V2::NotOffered);
                        tracing::info!(error = %e, "acs/v2/door/events (back-fill by receive time) is not offered by this HikCentral; the event-time back-fill and its overlap remain");
                        return Ok(());
                    }
                    Err(e) => {
                        return Err(
                            anyhow::Error::new(e).context("acs/v2/door/events by receive time")
                        )
                    }
                };
                report.calls += 1;
                let received = page.list.len();
                report.records += u32::try_from(received).unwrap_or(u32::MAX);
                self.store_page(&page.list, report).await?;
                if (received as u64) < u64::from(page_size) {
                    break;
                }
            }
        }
        self.store
            .checkpoints()
            .set(RECEIVED_CHECKPOINT, &super::checkpoint_value(now))
            .await?;
        Ok(())
    }

    pub fn v2(&self) -> V2 {
        self.v2.lock().map(|v| *v).unwrap_or(V2::Unknown)
    }

    fn set_v2(&self, v: V2) {
        if let Ok(mut slot) = self.v2.lock() {
            *slot = v;
        }
    }
}

/// "This server has no such API": code 12 or 8, or HTTP 404.
fn not_offered(e: &ArtemisError) -> bool {
    matches!(
        e,
        ArtemisError::Api(ArtemisCode::NotSupported { .. })
            | ArtemisError::Http { status: 404, .. }
    )
}
