//! What the rules decided for one event, with stable codes for the store, logs and admin API.

use super::types::Direction;
use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt;

/// The outcome of [`super::rules::decide`] for one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send this clock-in or clock-out to Humand. `at` is UTC with millisecond precision and
    /// never later than the `now` the decision was made at.
    Punch {
        direction: Direction,
        at: DateTime<Utc>,
    },
    /// Recorded, never sent, needs nobody.
    Skip { reason: SkipReason },
    /// Needs a human: kept with the reason, retryable by an operator.
    Park { reason: ParkReason },
    /// The event time is too far in the future: decide again at `until` or later.
    Hold { until: DateTime<Utc> },
}

impl Decision {
    /// A stable snake_case code: `"punch"`, the skip or park reason's code, or `"future"`.
    pub fn code(&self) -> &'static str {
        match self {
            Decision::Punch { .. } => "punch",
            Decision::Skip { reason } => reason.code(),
            Decision::Park { reason } => reason.code(),
            Decision::Hold { .. } => "future",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Punch { direction, at } => write!(f, "{direction} punch at {}", ms(at)),
            Decision::Skip { reason } => write!(f, "not sent: {reason}"),
            Decision::Park { reason } => write!(f, "parked: {reason}"),
            Decision::Hold { until } => write!(
                f,
                "held: the event time is in the future; decide again at {}",
                ms(until)
            ),
        }
    }
}

/// Why an event produces no punch, by design.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Not an access-granted type (denied, failed, alarms, ...).
    NotGranted { event_type: u32 },
    /// No door rule matches the door and no trusted direction came with the event.
    UnmappedDoor,
    /// The door is configured as `ignore`.
    IgnoredDoor,
    /// The same employee already has a same-direction punch within the double-scan window.
    DoubleScan { previous_at: DateTime<Utc> },
}

impl SkipReason {
    /// `"not_granted"`, `"unmapped_door"`, `"ignored_door"` or `"double_scan"`.
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::NotGranted { .. } => "not_granted",
            SkipReason::UnmappedDoor => "unmapped_door",
            SkipReason::IgnoredDoor => "ignored_door",
            SkipReason::DoubleScan { .. } => "double_scan",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NotGranted { event_type } => write!(
                f,
                "event type {event_type} is not an access-granted type, so it clocks nobody"
            ),
            SkipReason::UnmappedDoor => f.write_str(
                "no door rule matches this door: map its index code or name to entry, exit, \
                 toggle or ignore",
            ),
            SkipReason::IgnoredDoor => f.write_str("the door is configured to be ignored"),
            SkipReason::DoubleScan { previous_at } => write!(
                f,
                "double scan: the same employee already has a same-direction punch at {}, \
                 within the double-scan window",
                ms(previous_at)
            ),
        }
    }
}

/// Why an event needs a human before it can become a punch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParkReason {
    /// No employee id could be found for the event's person.
    UnknownEmployee,
    /// The previous punch of the local day has the same direction, beyond the double-scan
    /// window, and the alternation policy is `park`.
    Alternation { previous: Direction },
}

impl ParkReason {
    /// `"unknown_employee"` or `"alternation"`.
    pub fn code(&self) -> &'static str {
        match self {
            ParkReason::UnknownEmployee => "unknown_employee",
            ParkReason::Alternation { .. } => "alternation",
        }
    }
}

impl fmt::Display for ParkReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParkReason::UnknownEmployee => f.write_str(
                "no employee is known for this person: check the person code in HikCentral or \
                 add an employee override, then retry",
            ),
            ParkReason::Alternation { previous } => write!(
                f,
                "the previous punch of the day is also an {previous}; review it, then retry or \
                 discard"
            ),
        }
    }
}

/// Why an event's person has no employee to clock: the operator's next step differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoEmployee {
    /// The event names no person (no personCode, personId or person number).
    NoPerson,
    /// The event names a personId that HikCentral does not know (or has no personCode for).
    PersonIdUnknown,
    /// The person code (or its override) is not a usable Humand employee id.
    UnusableId,
    /// `attendance.validate_employees`: Humand has no such employee.
    NotInHumand,
}

impl fmt::Display for NoEmployee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NoEmployee::NoPerson => {
                "the event names no person (no personCode, personId or person number): a card or \
                 door event nobody can be clocked for; discard it, or retry once HikCentral's \
                 record names the person"
            }
            NoEmployee::PersonIdUnknown => {
                "HikCentral does not know this personId or gives it no personCode: set the \
                 person's code in HikCentral (or add an employee override), then retry"
            }
            NoEmployee::UnusableId => {
                "the person code (or its override) is not a usable Humand employee id: fix it in \
                 HikCentral or add an employee override, then retry"
            }
            NoEmployee::NotInHumand => {
                "Humand has no employee with this id (attendance.validate_employees): create the \
                 employee in Humand or add an employee override, then retry"
            }
        })
    }
}

fn ms(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_outcome_has_a_stable_code_and_a_human_sentence() {
        let t = Utc.with_ymd_and_hms(2026, 1, 27, 11, 4, 0).unwrap();
        let cases = [
            (
                Decision::Punch {
                    direction: Direction::Entry,
                    at: t,
                },
                "punch",
                "entry punch at 2026-01-27T11:04:00.000Z",
            ),
            (
                Decision::Skip {
                    reason: SkipReason::NotGranted { event_type: 197151 },
                },
                "not_granted",
                "197151",
            ),
            (
                Decision::Skip {
                    reason: SkipReason::UnmappedDoor,
                },
                "unmapped_door",
                "map its index code or name",
            ),
            (
                Decision::Skip {
                    reason: SkipReason::IgnoredDoor,
                },
                "ignored_door",
                "ignored",
            ),
            (
                Decision::Skip {
                    reason: SkipReason::DoubleScan { previous_at: t },
                },
                "double_scan",
                "2026-01-27T11:04:00.000Z",
            ),
            (
                Decision::Park {
                    reason: ParkReason::UnknownEmployee,
                },
                "unknown_employee",
                "employee override",
            ),
            (
                Decision::Park {
                    reason: ParkReason::Alternation {
                        previous: Direction::Exit,
                    },
                },
                "alternation",
                "also an exit",
            ),
            (
                Decision::Hold { until: t },
                "future",
                "decide again at 2026-01-27T11:04:00.000Z",
            ),
        ];
        for (decision, code, phrase) in cases {
            assert_eq!(decision.code(), code);
            let text = decision.to_string();
            assert!(text.contains(phrase), "{code}: {text}");
        }
    }
}
