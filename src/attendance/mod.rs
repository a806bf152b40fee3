//! Attendance: the pure core that turns HikCentral access events into punches.
//!
//! - [`event`] parses `OnEventNotify` bodies and polled door records, tolerant of shape and
//!   strict about meaning;
//! - [`rules`] decides, for one event and the employee's punches of that local day, whether it
//!   is a clock-in, a clock-out, or an explained decision not to send one ([`decision`]);
//! - [`types`] holds the newtypes both share.
//!
//! No I/O here: the HTTP handler, the back-fill poller and the store call these functions.

pub mod decision;
pub mod event;
pub mod rules;
pub mod types;

pub use decision::{Decision, NoEmployee, ParkReason, SkipReason};
pub use event::{parse_door_record, parse_notify, AccessEvent, EventSource, Parsed, PayloadError};
pub use rules::{
    decide, default_granted_types, local_day, AlternationPolicy, DoorMatcher, DoorMode, DoorRule,
    PriorPunch, RulesConfig, UnknownWord,
};
pub use types::{Direction, DoorKey, EmployeeId, EventId, PersonCode, UnknownDirection};

#[cfg(test)]
mod event_tests;
#[cfg(test)]
mod rules_tests;
