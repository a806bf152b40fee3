//! The punch rules: one access event plus the employee's punches of that local day become a
//! [`Decision`]. Pure: no clock, no store, no network — `now` and the history are inputs.
//!
//! Checks run in this order, and the first that applies decides:
//! 1. the event type is not access-granted → `not_granted`;
//! 2. direction: a door configured `ignore` → `ignored_door` (an explicit `ignore` wins even
//!    over a trusted iSecure Center direction); else the event's `ExtEventInOut` when
//!    [`RulesConfig::trust_isc_in_out`]; else the door mode (no rule → `unmapped_door`);
//! 3. no employee → park `unknown_employee`;
//! 4. event time later than `now` + tolerance → hold until it is not (`future`);
//! 5. a same-direction punch within the double-scan window before (or at) the event →
//!    `double_scan`;
//! 6. the previous punch of the local day has the same direction → send anyway or park
//!    `alternation`, per [`AlternationPolicy`];
//! 7. otherwise a punch.
//!
//! Events can arrive out of order (a back-fill after downtime, a push burst after a restart).
//! History punches later than the event are ignored: each event is judged against what came
//! before it in event time, so a late event is decided as it would have been on time. Punches
//! already sent are never revisited (Humand has no idempotency or delete in this flow).

use super::decision::{Decision, ParkReason, SkipReason};
use super::event::AccessEvent;
use super::types::{Direction, DoorKey, EmployeeId};
use chrono::{DateTime, NaiveDate, SubsecRound, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The access-granted event types of reference §4: face, card, fingerprint, multi-factor, the
/// combined modes 196885–196897, 198915, 200516 and password. Never 197151 (denied by face) nor
/// any other denied or failed type.
pub fn default_granted_types() -> BTreeSet<u32> {
    let mut set: BTreeSet<u32> = [196893, 198914, 197127, 196883, 198915, 200516, 263433].into();
    set.extend(196885..=196897);
    set
}

/// What a door means for attendance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DoorMode {
    Entry,
    Exit,
    /// Single-reader door: the opposite of the employee's last punch that local day; the first
    /// punch of the day is an entry.
    Toggle,
    /// Never clocks anyone (internal doors, service doors).
    Ignore,
}

impl DoorMode {
    /// `"entry"`, `"exit"`, `"toggle"` or `"ignore"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DoorMode::Entry => "entry",
            DoorMode::Exit => "exit",
            DoorMode::Toggle => "toggle",
            DoorMode::Ignore => "ignore",
        }
    }
}

/// How a door rule finds its door. Both compare exactly (case and spaces matter); an empty
/// event value never matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DoorMatcher {
    /// HikCentral's door index code (`srcIndex` / `doorIndexCode`). Preferred: stable across
    /// renames.
    IndexCode(String),
    /// The door name (`srcName` / `doorName`), for operators who only see names.
    Name(String),
}

impl DoorMatcher {
    fn is_index_code(&self) -> bool {
        matches!(self, DoorMatcher::IndexCode(_))
    }

    /// Exact comparison with the matching half of the door; empty never matches.
    pub fn matches(&self, door: &DoorKey) -> bool {
        let (want, have) = match self {
            DoorMatcher::IndexCode(c) => (c, &door.index_code),
            DoorMatcher::Name(n) => (n, &door.name),
        };
        !want.is_empty() && want == have
    }
}

/// One entry of the door table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DoorRule {
    pub matcher: DoorMatcher,
    pub mode: DoorMode,
}

/// What to do with two entries (or two exits) in a row beyond the double-scan window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlternationPolicy {
    /// Send it: Humand applies its own rule and the outcome is recorded.
    #[default]
    Send,
    /// Park it for an operator.
    Park,
}

/// A configuration word is not one of the allowed values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}: use one of {allowed}")]
pub struct UnknownWord {
    pub what: &'static str,
    pub value: String,
    pub allowed: &'static str,
}

impl FromStr for DoorMode {
    type Err = UnknownWord;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "entry" => Ok(DoorMode::Entry),
            "exit" => Ok(DoorMode::Exit),
            "toggle" => Ok(DoorMode::Toggle),
            "ignore" => Ok(DoorMode::Ignore),
            _ => Err(UnknownWord {
                what: "door mode",
                value: s.to_owned(),
                allowed: "entry, exit, toggle, ignore",
            }),
        }
    }
}

impl FromStr for AlternationPolicy {
    type Err = UnknownWord;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "send" => Ok(AlternationPolicy::Send),
            "park" => Ok(AlternationPolicy::Park),
            _ => Err(UnknownWord {
                what: "alternation policy",
                value: s.to_owned(),
                allowed: "send, park",
            }),
        }
    }
}

impl fmt::Display for DoorMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything the rules need to know; the defaults follow the issue.
#[derive(Debug, Clone, PartialEq)]
pub struct RulesConfig {
    /// Event types that count as access granted (default [`default_granted_types`]).
    pub granted_types: BTreeSet<u32>,
    /// The door table; see [`RulesConfig::door_mode`] for precedence.
    pub doors: Vec<DoorRule>,
    /// Use iSecure Center's `ExtEventInOut` instead of the door table when present
    /// (default false: HikCentral Professional has no reliable direction field).
    pub trust_isc_in_out: bool,
    /// A same-direction punch this close before an event makes it a double scan (default 120 s).
    pub double_scan_window: Duration,
    /// How far in the future an event may be and still be punched now, to absorb device clock
    /// skew (default 5 s). The punch time is then clamped to `now`, because Humand rejects
    /// future times.
    pub future_tolerance: Duration,
    /// The zone whose calendar day bounds toggle and alternation (default America/Guayaquil).
    pub time_zone: Tz,
    /// Two entries or two exits in a row (default [`AlternationPolicy::Send`]).
    pub alternation: AlternationPolicy,
    /// Toggle doors follow the employee's last punch (within `toggle_max_shift`) instead of the
    /// last punch of the calendar day, so a night shift's exit after midnight is an exit
    /// (default false).
    pub toggle_follows_last_punch: bool,
    /// With `toggle_follows_last_punch`: a last punch older than this starts afresh (default 16 h).
    pub toggle_max_shift: Duration,
}

impl Default for RulesConfig {
    fn default() -> Self {
        Self {
            granted_types: default_granted_types(),
            doors: Vec::new(),
            trust_isc_in_out: false,
            double_scan_window: Duration::from_secs(120),
            future_tolerance: Duration::from_secs(5),
            time_zone: chrono_tz::America::Guayaquil,
            alternation: AlternationPolicy::Send,
            toggle_follows_last_punch: false,
            toggle_max_shift: Duration::from_secs(16 * 3600),
        }
    }
}

impl RulesConfig {
    /// The mode of the first rule matching the door's index code; failing that, of the first
    /// rule matching its name; `None` when no rule matches (an unmapped door).
    pub fn door_mode(&self, door: &DoorKey) -> Option<DoorMode> {
        let first = |by_code: bool| {
            self.doors
                .iter()
                .find(|r| r.matcher.is_index_code() == by_code && r.matcher.matches(door))
                .map(|r| r.mode)
        };
        first(true).or_else(|| first(false))
    }
}

/// A punch already decided for the same employee (sent or about to be).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriorPunch {
    pub direction: Direction,
    pub at: DateTime<Utc>,
}

/// The calendar day of `at` in `tz`.
pub fn local_day(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// Decide what one event means. See the module documentation for the order of checks.
///
/// `history` holds the employee's punches of the event's local day; its order does not matter
/// and entries later than the event are ignored. Toggle and alternation only look at punches of
/// the same local day (entries of other days are ignored), while the double-scan check uses every
/// entry given: a caller that also loads the `double_scan_window` before local midnight catches
/// double scans across midnight.
pub fn decide(
    event: &AccessEvent,
    employee: Option<&EmployeeId>,
    history: &[PriorPunch],
    now: DateTime<Utc>,
    cfg: &RulesConfig,
) -> Decision {
    if !cfg.granted_types.contains(&event.event_type) {
        return Decision::Skip {
            reason: SkipReason::NotGranted {
                event_type: event.event_type,
            },
        };
    }
    let at = event.happen_time.with_timezone(&Utc).trunc_subsecs(3);
    let day = local_day(at, cfg.time_zone);
    let window = delta(cfg.double_scan_window);
    let before = history.iter().filter(|p| p.at <= at);
    let last_of_day = before
        .clone()
        .filter(|p| local_day(p.at, cfg.time_zone) == day)
        .max_by_key(|p| p.at);

    let last_for_toggle = if cfg.toggle_follows_last_punch {
        let shift = delta(cfg.toggle_max_shift);
        before
            .clone()
            .filter(|p| at.signed_duration_since(p.at) <= shift)
            .max_by_key(|p| p.at)
    } else {
        last_of_day
    };
    let direction = match direction(event, last_for_toggle, at, window, cfg) {
        Ok(d) => d,
        Err(reason) => return Decision::Skip { reason },
    };
    if employee.is_none() {
        return Decision::Park {
            reason: ParkReason::UnknownEmployee,
        };
    }
    let tolerance = delta(cfg.future_tolerance);
    if at.signed_duration_since(now) > tolerance {
        return Decision::Hold {
            until: at.checked_sub_signed(tolerance).unwrap_or(at),
        };
    }
    let double = before
        .filter(|p| p.direction == direction && at.signed_duration_since(p.at) <= window)
        .max_by_key(|p| p.at);
    if let Some(prev) = double {
        return Decision::Skip {
            reason: SkipReason::DoubleScan {
                previous_at: prev.at,
            },
        };
    }
    if let Some(prev) = last_of_day {
        if prev.direction == direction && cfg.alternation == AlternationPolicy::Park {
            return Decision::Park {
                reason: ParkReason::Alternation {
                    previous: prev.direction,
                },
            };
        }
    }
    Decision::Punch {
        direction,
        at: at.min(now.trunc_subsecs(3)),
    }
}

/// The direction of the event, or why it has none.
///
/// On a toggle door, a scan within the double-scan window of the last punch (the day's, or with
/// `toggle_follows_last_punch` the employee's latest within the shift) repeats that punch's direction instead of flipping it, so that a nervous second scan becomes a
/// `double_scan` rather than an immediate clock-out.
fn direction(
    event: &AccessEvent,
    last: Option<&PriorPunch>,
    at: DateTime<Utc>,
    window: TimeDelta,
    cfg: &RulesConfig,
) -> Result<Direction, SkipReason> {
    let mode = cfg.door_mode(&event.door);
    if mode == Some(DoorMode::Ignore) {
        return Err(SkipReason::IgnoredDoor);
    }
    if let (true, Some(d)) = (cfg.trust_isc_in_out, event.isc_in_out) {
        return Ok(d);
    }
    match mode {
        None => Err(SkipReason::UnmappedDoor),
        Some(DoorMode::Ignore) => Err(SkipReason::IgnoredDoor),
        Some(DoorMode::Entry) => Ok(Direction::Entry),
        Some(DoorMode::Exit) => Ok(Direction::Exit),
        Some(DoorMode::Toggle) => Ok(match last {
            None => Direction::Entry,
            Some(p) if at.signed_duration_since(p.at) <= window => p.direction,
            Some(p) => p.direction.opposite(),
        }),
    }
}

/// A configured duration as a chrono delta; absurdly large values saturate.
fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}
