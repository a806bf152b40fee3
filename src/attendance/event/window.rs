//! Plausibility of what was parsed: the [`TimeWindow`] of believable event times and the cap on
//! rejected items stored from one push.

use super::{Parsed, RejectKind};
use chrono::DateTime;

/// The event times the service believes: older events (a device whose clock reset to the year
/// one) and events far in the future (a clock in the year 9999) are rejected with a reason
/// instead of becoming punches or waiting forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    pub max_past: std::time::Duration,
    pub max_future: std::time::Duration,
}

impl TimeWindow {
    /// Turn every accepted event outside the window around `now` into a rejected one.
    pub fn apply(&self, items: Vec<Parsed>, now: DateTime<chrono::Utc>) -> Vec<Parsed> {
        let past = chrono::TimeDelta::from_std(self.max_past).unwrap_or(chrono::TimeDelta::MAX);
        let future = chrono::TimeDelta::from_std(self.max_future).unwrap_or(chrono::TimeDelta::MAX);
        let earliest = now
            .checked_sub_signed(past)
            .unwrap_or(DateTime::<chrono::Utc>::MIN_UTC);
        let latest = now
            .checked_add_signed(future)
            .unwrap_or(DateTime::<chrono::Utc>::MAX_UTC);
        items
            .into_iter()
            .map(|item| match item {
                Parsed::Accepted(ev) if ev.happen_time < earliest || ev.happen_time > latest => {
                    let reason = if ev.happen_time < earliest {
                        format!(
                            "the event time {} is more than {} hours in the past \
                             (events.accept_past_hours): too old to clock anyone",
                            ev.happen_time.to_rfc3339(),
                            past.num_hours()
                        )
                    } else {
                        format!(
                            "the event time {} is more than {} s in the future \
                             (events.accept_future_secs): a device clock is wrong",
                            ev.happen_time.to_rfc3339(),
                            future.num_seconds()
                        )
                    };
                    Parsed::Rejected {
                        event_id: Some(ev.event_id.as_str().to_owned()),
                        reason,
                        kind: RejectKind::OutsideTimeWindow,
                        raw: ev.raw,
                    }
                }
                other => other,
            })
            .collect()
    }
}

/// Keep at most `max` rejected items of one push; the rest are replaced by one summary row that
/// counts them, so a push of junk cannot write one row per item.
pub fn cap_rejected(items: Vec<Parsed>, max: usize) -> Vec<Parsed> {
    let mut kept = 0usize;
    let mut dropped = 0usize;
    let mut out: Vec<Parsed> = items
        .into_iter()
        .filter(|item| match item {
            Parsed::Rejected { .. } if kept >= max => {
                dropped += 1;
                false
            }
            Parsed::Rejected { .. } => {
                kept += 1;
                true
            }
            Parsed::Accepted(_) => true,
        })
        .collect();
    if dropped > 0 {
        out.push(Parsed::Rejected {
            event_id: None,
            reason: format!(
                "{dropped} more unusable items of this push were counted, not stored one by \
                 one (events.max_rejected_stored_per_push = {max})"
            ),
            kind: RejectKind::Omitted,
            raw: serde_json::json!({"omitted_items": dropped}),
        });
    }
    out
}
