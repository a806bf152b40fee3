//! Reading a clock record back, to settle a punch whose outcome is unknown (timeout, 5xx, lost
//! answer, crash) before it is sent again.
//!
//! Humand has two read APIs and production does not always allow both: one installation
//! answered `GET /time-tracking/entries` with 400 ("write-only"), another reads through
//! `GET /time-tracking/day-summaries`. [`ReadBack`] tries the one that worked last, falls back to
//! the other when an API is *refused* (400, 404, 405, 501), remembers which works, and retries a
//! refused API after [`RETRY_REFUSED_AFTER`] (a fixed installation is noticed). Transient
//! failures (timeouts, 5xx, 429) are returned as errors: the punch is retried later, as before.
//! A record matches by type and by time within a tolerance (Humand may keep only whole seconds
//! or minutes of `now`: UNCONFIRMED). When neither API works the answer is
//! [`Lookup::Unavailable`] and delivery applies `delivery.unknown_outcome`.

use super::{HumandClient, HumandError};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use http::Method;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A refused read API is tried again after this long.
pub const RETRY_REFUSED_AFTER: Duration = Duration::from_secs(3600);
/// Most pages read in one lookup.
const MAX_PAGES: u32 = 100;

/// Humand's read APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadApi {
    Entries,
    DaySummaries,
}

impl ReadApi {
    fn path(self) -> &'static str {
        match self {
            ReadApi::Entries => "/time-tracking/entries",
            ReadApi::DaySummaries => "/time-tracking/day-summaries",
        }
    }

    fn other(self) -> ReadApi {
        match self {
            ReadApi::Entries => ReadApi::DaySummaries,
            ReadApi::DaySummaries => ReadApi::Entries,
        }
    }
}

/// The outcome of a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The record is in Humand: its entry id.
    Found(String),
    /// A read API answered and the record is not there.
    NotFound,
    /// Every read API refuses to answer (the reasons, for the punch's last error).
    Unavailable(String),
}

/// The punch being looked for.
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    pub employee_id: &'a str,
    /// `START` or `END`.
    pub kind: &'a str,
    pub at: DateTime<Utc>,
    /// Entry ids that belong to the employee's other punches: never a match, however close
    /// (two entries a few seconds apart must not be taken for each other).
    pub taken: &'a [String],
}

#[derive(Debug, Default)]
struct Learned {
    preferred: Option<ReadApi>,
    refused: Vec<(ReadApi, Instant, String)>,
}

/// Read-back with the knowledge of which API works; cheap to clone.
#[derive(Clone)]
pub struct ReadBack {
    client: HumandClient,
    tolerance: Duration,
    page_limit: u32,
    learned: Arc<Mutex<Learned>>,
}

impl ReadBack {
    /// `page_limit`: items asked per page (the spec's minimum is 10; production refused more
    /// than 50).
    pub fn new(client: HumandClient, tolerance: Duration, page_limit: u32) -> Self {
        Self {
            client,
            tolerance,
            page_limit: page_limit.clamp(10, 500),
            learned: Arc::default(),
        }
    }

    /// The API that answered last, if any (tried first next time).
    pub fn working_api(&self) -> Option<ReadApi> {
        self.learned.lock().ok().and_then(|l| l.preferred)
    }

    /// Look the punch up through whichever read API works.
    pub async fn find(&self, wanted: Wanted<'_>) -> Result<Lookup, HumandError> {
        let first = self.working_api().unwrap_or(ReadApi::Entries);
        let mut reasons = Vec::new();
        for api in [first, first.other()] {
            if let Some(reason) = self.refused_recently(api) {
                reasons.push(reason);
                continue;
            }
            match self.find_with(api, wanted).await {
                Ok(found) => {
                    self.remember_works(api);
                    return Ok(found);
                }
                Err(HumandError::Http {
                    status: status @ (400 | 404 | 405 | 501),
                    message,
                    ..
                }) => {
                    let reason = format!("{} answered {status}: {message}", api.path());
                    tracing::warn!(api = api.path(), status, message = %message, "Humand refuses this read API; trying the other one");
                    self.remember_refused(api, &reason);
                    reasons.push(reason);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Lookup::Unavailable(reasons.join("; ")))
    }

    fn refused_recently(&self, api: ReadApi) -> Option<String> {
        let learned = self.learned.lock().ok()?;
        learned
            .refused
            .iter()
            .find(|(a, since, _)| *a == api && since.elapsed() < RETRY_REFUSED_AFTER)
            .map(|(_, _, reason)| reason.clone())
    }

    fn remember_works(&self, api: ReadApi) {
        if let Ok(mut l) = self.learned.lock() {
            if l.preferred != Some(api) {
                tracing::info!(api = api.path(), "Humand read-back works through this API");
            }
            l.preferred = Some(api);
            l.refused.retain(|(a, _, _)| *a != api);
        }
    }

    fn remember_refused(&self, api: ReadApi, reason: &str) {
        if let Ok(mut l) = self.learned.lock() {
            if l.preferred == Some(api) {
                l.preferred = None;
            }
            l.refused.retain(|(a, _, _)| *a != api);
            l.refused.push((api, Instant::now(), reason.to_owned()));
        }
    }

    async fn find_with(&self, api: ReadApi, wanted: Wanted<'_>) -> Result<Lookup, HumandError> {
        let day = wanted.at.date_naive();
        let fmt = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let start = fmt(day.pred_opt().unwrap_or(day));
        let end = fmt(day.succ_opt().unwrap_or(day));
        let limit = self.page_limit.to_string();
        let mut best: Option<(i64, String)> = None;
        for page in 1..=MAX_PAGES {
            let page_s = page.to_string();
            let who = match api {
                ReadApi::Entries => ("employeeId", wanted.employee_id),
                ReadApi::DaySummaries => ("employeeIds", wanted.employee_id),
            };
            let query = [
                who,
                ("startDate", start.as_str()),
                ("endDate", end.as_str()),
                ("page", page_s.as_str()),
                ("limit", limit.as_str()),
            ];
            let (_, body) = self
                .client
                .send(Method::GET, api.path(), &query, None)
                .await?;
            let items = body
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let entries: Vec<Value> = match api {
                ReadApi::Entries => items.clone(),
                ReadApi::DaySummaries => items
                    .iter()
                    .filter_map(|d| d.get("entries").and_then(Value::as_array))
                    .flatten()
                    .cloned()
                    .collect(),
            };
            for entry in &entries {
                if let Some((distance, id)) = self.matches(entry, wanted) {
                    if best.as_ref().is_none_or(|(d, _)| distance < *d) {
                        best = Some((distance, id));
                    }
                }
            }
            // `totalPages` is unreliable (day-summaries always says 1): page while full.
            if items.len() < self.page_limit as usize {
                break;
            }
        }
        Ok(match best {
            Some((_, id)) => Lookup::Found(id),
            None => Lookup::NotFound,
        })
    }

    /// `(distance in ms, entry id)` when `entry` is the wanted record.
    fn matches(&self, entry: &Value, wanted: Wanted<'_>) -> Option<(i64, String)> {
        if entry.get("type").and_then(Value::as_str) != Some(wanted.kind) {
            return None;
        }
        if let Some(emp) = entry
            .get("employeeId")
            .or_else(|| entry.get("employeeInternalId"))
        {
            let emp = match emp {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if emp != wanted.employee_id {
                return None;
            }
        }
        let time = entry
            .get("time")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())?
            .with_timezone(&Utc);
        let distance = (time - wanted.at).num_milliseconds().abs();
        let tolerance = TimeDelta::from_std(self.tolerance).unwrap_or(TimeDelta::MAX);
        if distance > tolerance.num_milliseconds() {
            return None;
        }
        let id = match entry.get("id")? {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if wanted.taken.contains(&id) {
            return None;
        }
        Some((distance, id))
    }
}
