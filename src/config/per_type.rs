//! Settings given per SIAD person type (`TYPE=value` entries, `*` the fallback), parsed once into
//! [`PerType`] maps: `biometrico.org_by_person_type`, `biometrico.validity` and
//! `biometrico.access_levels`. Each entry has one parse function, used both to deserialise the
//! setting and by `values::check` to report every bad entry with its problem.

use super::values::string_or_list;
use serde::Deserializer;

/// Values by person type: the exact type (letters in any case) first, then `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerType<T> {
    entries: Vec<(String, T)>,
}

impl<T> Default for PerType<T> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<T> PerType<T> {
    /// No entry at all (the setting is not used).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// From `(type, value)` entries, as the setting's parser makes them (`*` = any other type).
    pub fn from_entries(entries: Vec<(String, T)>) -> Self {
        Self { entries }
    }

    /// Every value given (the fallback's too).
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The value for `person_type`, or the `*` one, or none.
    pub fn get(&self, person_type: &str) -> Option<&T> {
        let wanted = person_type.trim();
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(wanted))
            .or_else(|| self.entries.iter().find(|(k, _)| k == "*"))
            .map(|(_, v)| v)
    }

    fn parse_all<'de, D: Deserializer<'de>>(
        d: D,
        parse: fn(&str) -> Result<(String, T), String>,
    ) -> Result<Self, D::Error> {
        let entries = string_or_list(d)?
            .iter()
            .map(|e| parse(e).map_err(serde::de::Error::custom))
            .collect::<Result<_, _>>()?;
        Ok(Self { entries })
    }
}

/// `beginTime` and `endTime` as HikCentral takes them (ISO-8601 with an offset, checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validity {
    pub begin: String,
    pub end: String,
}

/// `TYPE=value` with both sides non-empty, trimmed.
fn split_entry(text: &str) -> Option<(String, &str)> {
    let (k, v) = text.split_once('=')?;
    let (k, v) = (k.trim(), v.trim());
    (!k.is_empty() && !v.is_empty()).then(|| (k.to_owned(), v))
}

/// `E=2`: an orgIndexCode per type.
pub(super) fn org_entry(text: &str) -> Result<(String, String), String> {
    split_entry(text)
        .map(|(k, v)| (k, v.to_owned()))
        .ok_or_else(|| "expected TYPE=orgIndexCode".to_owned())
}

/// `*=2020-01-01T00:00:00-05:00/2037-12-31T23:59:59-05:00`.
pub(super) fn validity_entry(text: &str) -> Result<(String, Validity), String> {
    let problem = || "expected TYPE=begin/end with ISO-8601 times and offsets".to_owned();
    let (k, v) = split_entry(text).ok_or_else(problem)?;
    let (begin, end) = v.split_once('/').ok_or_else(problem)?;
    let (begin, end) = (begin.trim(), end.trim());
    let valid = |t: &str| chrono::DateTime::parse_from_rfc3339(t).is_ok();
    if !(valid(begin) && valid(end)) {
        return Err(problem());
    }
    Ok((
        k,
        Validity {
            begin: begin.to_owned(),
            end: end.to_owned(),
        },
    ))
}

/// `D=2|3`: access level (privilege group) ids per type.
pub(super) fn access_entry(text: &str) -> Result<(String, Vec<String>), String> {
    let problem = || "expected TYPE=id or TYPE=id|id (access level ids)".to_owned();
    let (k, v) = split_entry(text).ok_or_else(problem)?;
    let ids: Vec<String> = v.split('|').map(|s| s.trim().to_owned()).collect();
    if ids.iter().any(String::is_empty) {
        return Err(problem());
    }
    Ok((k, ids))
}

pub(super) fn orgs<'de, D: Deserializer<'de>>(d: D) -> Result<PerType<String>, D::Error> {
    PerType::parse_all(d, org_entry)
}

pub(super) fn validities<'de, D: Deserializer<'de>>(d: D) -> Result<PerType<Validity>, D::Error> {
    PerType::parse_all(d, validity_entry)
}

pub(super) fn access_levels<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<PerType<Vec<String>>, D::Error> {
    PerType::parse_all(d, access_entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map<T>(entries: &[&str], parse: fn(&str) -> Result<(String, T), String>) -> PerType<T> {
        PerType {
            entries: entries.iter().filter_map(|e| parse(e).ok()).collect(),
        }
    }

    #[test]
    fn the_exact_type_wins_then_the_fallback() {
        let orgs = map(&[" e = 2 ", "*=4", "D=3"], org_entry);
        assert_eq!(orgs.get("E").map(String::as_str), Some("2"));
        assert_eq!(orgs.get(" d").map(String::as_str), Some("3"));
        assert_eq!(orgs.get("X").map(String::as_str), Some("4"));
        assert_eq!(map(&["E=2"], org_entry).get("X"), None);
    }

    #[test]
    fn bad_entries_say_what_was_expected() {
        for bad in ["E", "=2", "E=", " = "] {
            assert_eq!(
                org_entry(bad),
                Err("expected TYPE=orgIndexCode".to_owned()),
                "{bad:?}"
            );
        }
        for bad in [
            "*=2020-01-01T00:00:00-05:00",
            "*=2020-01-01/2037-12-31",
            "*=2020-01-01T00:00:00/2037-12-31T23:59:59",
        ] {
            assert!(validity_entry(bad).is_err(), "{bad:?}");
        }
        for bad in ["E", "E=1||2", "E=|"] {
            assert!(access_entry(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn validity_and_access_levels_are_parsed_once() {
        let (k, v) =
            validity_entry("*= 2020-01-01T00:00:00-05:00 / 2037-12-31T23:59:59-05:00").unwrap();
        assert_eq!(k, "*");
        assert_eq!(
            v,
            Validity {
                begin: "2020-01-01T00:00:00-05:00".into(),
                end: "2037-12-31T23:59:59-05:00".into()
            }
        );
        assert_eq!(
            access_entry("D = 2 | 3"),
            Ok(("D".into(), vec!["2".into(), "3".into()]))
        );
    }
}
