//! A person's validity (`beginTime`/`endTime`): the spec's format, ISO 8601 with an explicit
//! `±hh:mm` offset ("yyyy-MM-dd'T'HH:mm:ss.SSSzzz, e.g. 2018-07-26T15:00:00+08:00"), and the
//! window the devices check an access against.

use super::wire::{code, ApiError};
use chrono::{DateTime, FixedOffset, NaiveDate};

/// A validity as the devices hold it, in Unix seconds; an end left out is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Window {
    pub begin: Option<i64>,
    pub end: Option<i64>,
}

impl Window {
    /// The window of stored (already checked) times; an unreadable end counts as open.
    pub fn of(begin: Option<&str>, end: Option<&str>) -> Self {
        let secs = |s: Option<&str>| s.and_then(parse).map(|t| t.timestamp());
        Self {
            begin: secs(begin),
            end: secs(end),
        }
    }

    /// Whether Unix second `t` is inside the window (both ends included).
    pub fn contains(&self, t: i64) -> bool {
        self.begin.is_none_or(|b| t >= b) && self.end.is_none_or(|e| t <= e)
    }
}

/// ISO 8601 with a numeric offset; a bare `Z` or no offset is not the spec's form.
pub(crate) fn parse(s: &str) -> Option<DateTime<FixedOffset>> {
    let b = s.as_bytes();
    let n = b.len();
    let numeric_offset = n > 6
        && matches!(b[n - 6], b'+' | b'-')
        && b[n - 3] == b':'
        && [n - 5, n - 4, n - 2, n - 1]
            .iter()
            .all(|&i| b[i].is_ascii_digit());
    if !numeric_offset {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok()
}

/// Check `s` for `key`: the spec's format (code `0x00072003`), and, when `capped`, no later
/// than 2037-12-31T23:59:59 in its own offset (code `0x00072002`).
pub(crate) fn check(key: &str, s: &str, capped: bool) -> Result<(), ApiError> {
    let Some(t) = parse(s) else {
        return Err(ApiError::new(
            code::BAD_FORMAT,
            format!("{key} {s:?} is not ISO 8601 with an offset (e.g. 2018-07-26T15:00:00+08:00)"),
        ));
    };
    let last = NaiveDate::from_ymd_opt(2037, 12, 31).and_then(|d| d.and_hms_opt(23, 59, 59));
    if capped && last.is_some_and(|last| t.naive_local() > last) {
        return Err(ApiError::new(
            code::OUT_OF_RANGE,
            format!("{key} {s:?} is after 2037-12-31T23:59:59"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_numeric_offset_is_the_spec_form() {
        assert!(parse("2018-07-26T15:00:00+08:00").is_some());
        assert!(parse("2018-07-26T15:00:00.123-05:00").is_some());
        for bad in [
            "2018-07-26T15:00:00",
            "2018-07-26T15:00:00Z",
            "2018-07-26",
            "x",
            "",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
            assert_eq!(
                check("beginTime", bad, true).unwrap_err().code,
                code::BAD_FORMAT
            );
        }
    }

    #[test]
    fn the_2037_cap_is_wall_time_and_switchable() {
        assert!(check("endTime", "2037-12-31T23:59:59-05:00", true).is_ok());
        let late = "2038-01-01T00:00:00+08:00";
        assert_eq!(
            check("endTime", late, true).unwrap_err().code,
            code::OUT_OF_RANGE
        );
        assert!(check("endTime", late, false).is_ok());
    }

    #[test]
    fn windows_include_both_ends_and_open_ends() {
        let w = Window::of(
            Some("2026-01-01T00:00:00+00:00"),
            Some("2026-01-02T00:00:00+00:00"),
        );
        let day = 86_400;
        let jan1 = 1_767_225_600;
        assert!(w.contains(jan1) && w.contains(jan1 + day));
        assert!(!w.contains(jan1 - 1) && !w.contains(jan1 + day + 1));
        assert!(Window::default().contains(0));
        assert!(Window::of(None, Some("2026-01-01T00:00:00+00:00")).contains(0));
    }
}
