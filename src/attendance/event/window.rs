//! Plausibility of what was parsed: the [`TimeWindow`] of believable event times and the cap on
//! rejected items stored from one push.

use super::{Parsed, RejectKind};
use chrono::DateTime;

/// The event times the service believes. An event older than the window (a reader offline for
/// weeks, a restored HikCentral, a device whose clock reset to the year one) or far in the future
/// (a clock in the year 9999) is [`Parsed::OutOfWindow`]: stored with the reason, but it clocks
/// no one until an operator admits it, instead of becoming a punch or waiting forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    pub max_past: std::time::Duration,
    pub max_future: std::time::Duration,
}

/// Which side of the [`TimeWindow`] an event's time fell on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSide {
    /// Older than `events.accept_past_hours`.
    TooOld,
    /// Later than `events.accept_future_secs` from now.
    TooFarAhead,
}

impl WindowSide {
    /// The stable reason code stored with the event: `too_old` or `too_far_ahead`.
    pub fn code(self) -> &'static str {
        match self {
            WindowSide::TooOld => "too_old",
            WindowSide::TooFarAhead => "too_far_ahead",
        }
    }
}

/// Why an event is outside the window: the side and a sentence naming the setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideWindow {
    pub side: WindowSide,
    pub detail: String,
}

impl TimeWindow {
    /// Mark every accepted event outside the window around `now` as [`Parsed::OutOfWindow`].
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
                Parsed::Accepted(ev) if ev.happen_time < earliest => {
                    let detail = format!(
                        "the event time {} is more than {} hours in the past \
                         (events.accept_past_hours): kept, but it clocks no one unless an \
                         operator admits it",
                        ev.happen_time.to_rfc3339(),
                        past.num_hours()
                    );
                    let side = WindowSide::TooOld;
                    Parsed::OutOfWindow(ev, OutsideWindow { side, detail })
                }
                Parsed::Accepted(ev) if ev.happen_time > latest => {
                    let detail = format!(
                        "the event time {} is more than {} s in the future \
                         (events.accept_future_secs): a device clock may be wrong; kept, but it \
                         clocks no one unless an operator admits it",
                        ev.happen_time.to_rfc3339(),
                        future.num_seconds()
                    );
                    let side = WindowSide::TooFarAhead;
                    Parsed::OutOfWindow(ev, OutsideWindow { side, detail })
                }
                other => other,
            })
            .collect()
    }
}

/// Keep at most `max` rejected items of one push; the rest are replaced by one summary row that
/// counts them, so a push of junk cannot write one row per item. Well-formed events, in the
/// window or not, are all kept: the cap is for junk.
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
            Parsed::Accepted(_) | Parsed::OutOfWindow(..) => true,
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
