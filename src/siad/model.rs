//! The SIAD person and the one pure mapping from a result row to it, shared by the SQL Server
//! and SQLite directories.

use super::SiadError;
use serde_json::{json, Value};

/// SIAD column names, as the frontend and the configured SQL use them.
pub mod column {
    pub const CI: &str = "CIInfPer";
    pub const GIVEN_NAMES: &str = "NombInfPer";
    pub const PATERNAL_SURNAME: &str = "ApellInfPer";
    pub const MATERNAL_SURNAME: &str = "ApellMatInfPer";
    pub const EMAIL: &str = "mailInst";
    pub const PERSON_TYPE: &str = "TipoInfPer";
    pub const PHOTO: &str = "Fotografia";
    /// Every column a person query must return, in the contract's order.
    pub const PERSON: [&str; 6] = [
        CI,
        GIVEN_NAMES,
        PATERNAL_SURNAME,
        MATERNAL_SURNAME,
        EMAIL,
        PERSON_TYPE,
    ];
}

/// One SIAD person, with the SIAD column names mapped.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SiadPerson {
    /// `CIInfPer`: the national ID number (cédula); HikCentral's `personCode`.
    pub ci: String,
    /// `NombInfPer`: given names.
    pub given_names: String,
    /// `ApellInfPer`: paternal surname.
    pub paternal_surname: String,
    /// `ApellMatInfPer`: maternal surname (may be empty).
    pub maternal_surname: String,
    /// `mailInst`: institutional e-mail; `None` when NULL or blank.
    pub email: Option<String>,
    /// `TipoInfPer`: person type (`E` student, `D` teacher, others staff, per installation).
    pub person_type: String,
}

impl SiadPerson {
    /// Paternal + maternal surname, joined with one space, trimmed, inner runs of spaces
    /// collapsed (HikCentral's `personFamilyName`).
    pub fn family_name(&self) -> String {
        join_words(&[&self.paternal_surname, &self.maternal_surname])
    }

    /// Given names + family name, e.g. `"Juan Alberto Perez Garcia"` (HikCentral's `personName`).
    pub fn full_name(&self) -> String {
        join_words(&[
            &self.given_names,
            &self.paternal_surname,
            &self.maternal_surname,
        ])
    }

    /// The object the SIAD frontend reads in `pendientes`: exactly the six SIAD keys, with
    /// `mailInst` `null` when there is no e-mail.
    pub fn to_contract_json(&self) -> Value {
        json!({
            column::CI: self.ci,
            column::GIVEN_NAMES: self.given_names,
            column::PATERNAL_SURNAME: self.paternal_surname,
            column::MATERNAL_SURNAME: self.maternal_surname,
            column::EMAIL: self.email,
            column::PERSON_TYPE: self.person_type,
        })
    }
}

/// The words of all parts, separated by single spaces.
fn join_words(parts: &[&str]) -> String {
    parts
        .iter()
        .flat_map(|p| p.split_whitespace())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Maps one result row to a [`SiadPerson`].
///
/// `get(column)` returns the column's text (`Ok(None)` for SQL NULL) or `Err(reason)` when the
/// row has no such column or its value cannot be read as text. Rules:
/// - every column of [`column::PERSON`] must be present — a missing one is a
///   [`SiadError::Mapping`] naming it, because the configured SQL is then wrong;
/// - every value is trimmed (SQL Server `CHAR` columns come space-padded);
/// - `CIInfPer` must not be NULL or blank;
/// - NULL names and type become empty strings (some people have one surname);
/// - a NULL or blank `mailInst` is `None`.
pub fn person_from_row(
    get: impl Fn(&str) -> Result<Option<String>, String>,
) -> Result<SiadPerson, SiadError> {
    let read = |name: &str| -> Result<Option<String>, SiadError> {
        let value = get(name).map_err(|reason| {
            SiadError::Mapping(format!(
                "column {name}: {reason}; each person query must return the columns {}",
                column::PERSON.join(", ")
            ))
        })?;
        Ok(value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()))
    };
    let ci = read(column::CI)?.ok_or_else(|| {
        SiadError::Mapping(format!(
            "column {} is NULL or blank in a returned row; every person needs a CI",
            column::CI
        ))
    })?;
    Ok(SiadPerson {
        ci,
        given_names: read(column::GIVEN_NAMES)?.unwrap_or_default(),
        paternal_surname: read(column::PATERNAL_SURNAME)?.unwrap_or_default(),
        maternal_surname: read(column::MATERNAL_SURNAME)?.unwrap_or_default(),
        email: read(column::EMAIL)?,
        person_type: read(column::PERSON_TYPE)?.unwrap_or_default(),
    })
}

/// Keeps the first person per CI, in order: a student enrolled in several periods (or a join in
/// the configured SQL) must not be listed twice.
pub fn dedupe_by_ci(people: Vec<SiadPerson>) -> Vec<SiadPerson> {
    let mut seen = std::collections::HashSet::new();
    people
        .into_iter()
        .filter(|p| seen.insert(p.ci.clone()))
        .collect()
}

/// The CI as it is looked up: surrounding whitespace removed.
pub(crate) fn normalise_ci(ci: &str) -> &str {
    ci.trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn row(cells: &[(&str, Option<&str>)]) -> HashMap<String, Option<String>> {
        cells
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_owned)))
            .collect()
    }

    fn map(cells: &HashMap<String, Option<String>>) -> Result<SiadPerson, SiadError> {
        person_from_row(|name| {
            cells
                .get(name)
                .cloned()
                .ok_or_else(|| "not in the result set".to_owned())
        })
    }

    fn full_row() -> HashMap<String, Option<String>> {
        row(&[
            ("CIInfPer", Some("0912345675  ")),
            ("NombInfPer", Some(" Juan  Alberto ")),
            ("ApellInfPer", Some("Perez     ")),
            ("ApellMatInfPer", Some("Garcia")),
            ("mailInst", Some("jperez@uni.example.edu ")),
            ("TipoInfPer", Some("D ")),
        ])
    }

    #[test]
    fn padded_char_columns_are_trimmed() {
        let p = map(&full_row()).unwrap();
        assert_eq!(p.ci, "0912345675");
        assert_eq!(p.given_names, "Juan  Alberto");
        assert_eq!(p.paternal_surname, "Perez");
        assert_eq!(p.email.as_deref(), Some("jperez@uni.example.edu"));
        assert_eq!(p.person_type, "D");
        assert_eq!(p.family_name(), "Perez Garcia");
        assert_eq!(p.full_name(), "Juan Alberto Perez Garcia");
    }

    #[test]
    fn null_or_blank_email_is_none_and_null_surname_is_empty() {
        let mut cells = full_row();
        cells.insert("mailInst".into(), None);
        cells.insert("ApellMatInfPer".into(), None);
        let p = map(&cells).unwrap();
        assert_eq!(p.email, None);
        assert_eq!(p.family_name(), "Perez");
        cells.insert("mailInst".into(), Some("   ".into()));
        assert_eq!(map(&cells).unwrap().email, None);
    }

    #[test]
    fn missing_column_is_a_mapping_error_naming_it() {
        let mut cells = full_row();
        cells.remove("TipoInfPer");
        let err = map(&cells).unwrap_err();
        assert!(matches!(err, SiadError::Mapping(_)), "{err:?}");
        assert!(err.to_string().contains("TipoInfPer"), "{err}");
    }

    #[test]
    fn blank_ci_is_a_mapping_error() {
        let mut cells = full_row();
        cells.insert("CIInfPer".into(), Some("   ".into()));
        let err = map(&cells).unwrap_err();
        assert!(err.to_string().contains("CIInfPer"), "{err}");
    }

    #[test]
    fn contract_json_has_exactly_the_six_keys() {
        let mut p = map(&full_row()).unwrap();
        p.email = None;
        let v = p.to_contract_json();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        let mut expected = column::PERSON.to_vec();
        expected.sort_unstable();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort_unstable();
        assert_eq!(keys_sorted, expected);
        assert_eq!(v["mailInst"], Value::Null);
        assert_eq!(v["CIInfPer"], "0912345675");
    }

    #[test]
    fn dedupe_keeps_first_per_ci() {
        let a = map(&full_row()).unwrap();
        let mut b = a.clone();
        b.ci = "1700000001".into();
        let out = dedupe_by_ci(vec![a.clone(), b.clone(), a.clone()]);
        assert_eq!(out, vec![a, b]);
    }
}
