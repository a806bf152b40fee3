//! Newtypes of the attendance flow, each parsed once at the edge and trusted afterwards.
//!
//! Parsing trims surrounding whitespace; a value that is empty after trimming is "absent", so
//! the constructors return `Option` rather than an error: absence is an ordinary state of an
//! access event (face events without a card, `personId`-only events), not a failure.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Trim and keep a non-empty value.
fn non_empty(raw: &str) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// HikCentral's `eventId`: the inbox deduplicates on it. Non-empty, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(String);

impl EventId {
    /// `None` when `raw` is empty or only whitespace.
    pub fn parse(raw: &str) -> Option<Self> {
        non_empty(raw).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// HikCentral's `personCode` (= the SIAD/HR identity number). Non-empty, trimmed, and never
/// `"0"`, which HikCentral and iSecure Center use as a "no person" placeholder.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonCode(String);

impl PersonCode {
    /// `None` when `raw` is empty, whitespace or `"0"`.
    pub fn parse(raw: &str) -> Option<Self> {
        non_empty(raw).filter(|s| s != "0").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The Humand `employeeId` (`employeeInternalId`) a punch is sent for. Non-empty, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EmployeeId(String);

impl EmployeeId {
    /// `None` when `raw` is empty or only whitespace.
    pub fn parse(raw: &str) -> Option<Self> {
        non_empty(raw).map(Self)
    }

    /// The default mapping: the employee id is the person code.
    pub fn from_person_code(code: &PersonCode) -> Self {
        Self(code.as_str().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
display_as_str!(EventId, PersonCode, EmployeeId, Direction);

/// Which door an event happened at: HikCentral's `srcIndex`/`srcName` on a push,
/// `doorIndexCode`/`doorName` on a polled record. Either may be empty when the source did not
/// send it; door rules never match an empty value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DoorKey {
    pub index_code: String,
    pub name: String,
}

impl fmt::Display for DoorKey {
    /// `"Facial Entrada" (11)`, or whichever half is known.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name.is_empty(), self.index_code.is_empty()) {
            (false, false) => write!(f, "\"{}\" ({})", self.name, self.index_code),
            (false, true) => write!(f, "\"{}\"", self.name),
            (true, false) => write!(f, "({})", self.index_code),
            (true, true) => f.write_str("(unknown door)"),
        }
    }
}

/// Clock-in or clock-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Entry,
    Exit,
}

impl Direction {
    /// `"entry"` / `"exit"`: the word used in the store, logs and the admin API.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Entry => "entry",
            Direction::Exit => "exit",
        }
    }

    /// The Humand endpoint (relative to the API base) that records this direction.
    pub fn humand_path(self) -> &'static str {
        match self {
            Direction::Entry => "/time-tracking/entries/clockIn",
            Direction::Exit => "/time-tracking/entries/clockOut",
        }
    }

    /// The Humand `TimeTrackingEntry.type` this direction creates: `START` / `END`.
    pub fn humand_type(self) -> &'static str {
        match self {
            Direction::Entry => "START",
            Direction::Exit => "END",
        }
    }

    pub fn opposite(self) -> Self {
        match self {
            Direction::Entry => Direction::Exit,
            Direction::Exit => Direction::Entry,
        }
    }
}

/// The word is not `entry` or `exit`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown direction {0:?}: use \"entry\" or \"exit\"")]
pub struct UnknownDirection(pub String);

impl FromStr for Direction {
    type Err = UnknownDirection;

    /// Accepts `entry`/`exit` in any case and Humand's `START`/`END`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "entry" | "start" => Ok(Direction::Entry),
            "exit" | "end" => Ok(Direction::Exit),
            _ => Err(UnknownDirection(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_trim_and_reject_blank() {
        let cases: &[(&str, Option<&str>)] = &[
            ("abc", Some("abc")),
            ("  abc \t", Some("abc")),
            ("", None),
            ("   ", None),
            ("0", Some("0")),
        ];
        for (raw, want) in cases {
            assert_eq!(
                EventId::parse(raw).as_ref().map(EventId::as_str),
                *want,
                "{raw:?}"
            );
            assert_eq!(
                EmployeeId::parse(raw).as_ref().map(EmployeeId::as_str),
                *want
            );
        }
    }

    #[test]
    fn person_code_treats_zero_and_blank_as_absent() {
        let cases: &[(&str, Option<&str>)] = &[
            ("1712345678", Some("1712345678")),
            (" 0923456789 ", Some("0923456789")),
            ("0", None),
            (" 0 ", None),
            ("", None),
            ("00", Some("00")),
        ];
        for (raw, want) in cases {
            assert_eq!(
                PersonCode::parse(raw).as_ref().map(PersonCode::as_str),
                *want,
                "{raw:?}"
            );
        }
    }

    #[test]
    fn direction_words_and_humand_mapping() {
        let cases = [
            (
                Direction::Entry,
                "entry",
                "/time-tracking/entries/clockIn",
                "START",
            ),
            (
                Direction::Exit,
                "exit",
                "/time-tracking/entries/clockOut",
                "END",
            ),
        ];
        for (d, word, path, ty) in cases {
            assert_eq!(d.as_str(), word);
            assert_eq!(d.to_string(), word);
            assert_eq!(d.humand_path(), path);
            assert_eq!(d.humand_type(), ty);
            assert_eq!(word.parse::<Direction>().unwrap(), d);
            assert_eq!(ty.parse::<Direction>().unwrap(), d);
            assert_eq!(d.opposite().opposite(), d);
            assert_ne!(d.opposite(), d);
            assert_eq!(serde_json::to_value(d).unwrap(), word);
        }
        assert!("sideways".parse::<Direction>().is_err());
    }

    #[test]
    fn door_key_display_shows_what_is_known() {
        let door = |i: &str, n: &str| DoorKey {
            index_code: i.into(),
            name: n.into(),
        };
        assert_eq!(
            door("11", "Facial Entrada").to_string(),
            "\"Facial Entrada\" (11)"
        );
        assert_eq!(door("", "Lobby").to_string(), "\"Lobby\"");
        assert_eq!(door("7", "").to_string(), "(7)");
        assert_eq!(door("", "").to_string(), "(unknown door)");
    }
}
