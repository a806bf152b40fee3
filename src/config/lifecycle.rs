//! `[lifecycle]`: keeping HikCentral current with SIAD — which periods are current, when runs
//! happen, the grace before a revocation, when revoked people are erased, the guardrails that
//! hold a plan for an administrator, who is never touched, and the HikCentral admin password
//! person deletion may need.

use super::problems::{quoted, Problem};
use crate::secret::Secret;
use serde::{Deserialize, Deserializer};
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
pub struct LifecycleSettings {
    /// The current academic period ids; empty = `siad.query_current_periods`.
    #[serde(deserialize_with = "super::values::string_or_list")]
    pub current_periods: Vec<String>,
    /// Local time of day (`attendance.time_zone`) of the scheduled run; `None` = on demand only.
    #[serde(deserialize_with = "schedule")]
    pub schedule: Option<chrono::NaiveTime>,
    /// Whether the scheduled run applies its plan (guardrails still hold it) or only plans.
    pub schedule_applies: bool,
    /// Someone off the roster keeps access this long before being revoked.
    #[serde(rename = "grace_days", with = "super::duration::days")]
    pub grace: Duration,
    /// Revoked this long → erased (deleted in HikCentral); 0 = never automatically.
    #[serde(rename = "erase_after_days", with = "super::duration::days")]
    pub erase_after: Duration,
    /// A plan revoking more than this share of the managed people is held.
    pub max_revoke_share: f64,
    /// A plan revoking more than this many people is held.
    pub max_revoke_count: u64,
    /// CIs never revoked or erased.
    #[serde(deserialize_with = "super::values::string_or_list")]
    pub exempt: Vec<String>,
    /// The SIAD person types the students roster covers (the staff roster covers the others).
    #[serde(deserialize_with = "super::values::string_or_list")]
    pub student_types: Vec<String>,
    /// A SIAD photo less alike than this (0–100) to the face sent is a new face.
    pub face_similarity_below: u8,
    /// Faces compared in one plan at most (each is decoded); the rest wait for the next run.
    pub max_face_checks: u64,
    /// HikCentral's admin password for `person/single/delete` (from the environment or a file).
    #[serde(skip)]
    pub admin_password: Secret,
    pub admin_password_file: String,
}

fn schedule<'de, D: Deserializer<'de>>(d: D) -> Result<Option<chrono::NaiveTime>, D::Error> {
    let text = String::deserialize(d)?;
    parse_schedule(&text).map_err(serde::de::Error::custom)
}

/// `""` → `None`; `"HH:MM"` → that time.
pub fn parse_schedule(text: &str) -> Result<Option<chrono::NaiveTime>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    chrono::NaiveTime::parse_from_str(t, "%H:%M")
        .map(Some)
        .map_err(|_| {
            format!(
                "{} is not a time of day HH:MM (empty = on demand only)",
                quoted(t)
            )
        })
}

impl LifecycleSettings {
    /// Whether `ci` may never be revoked or erased.
    pub fn is_exempt(&self, ci: &str) -> bool {
        self.exempt.iter().any(|e| e.trim() == ci.trim())
    }

    /// Whether the students roster covers people of `person_type`.
    pub fn is_student_type(&self, person_type: &str) -> bool {
        self.student_types
            .iter()
            .any(|t| t.trim().eq_ignore_ascii_case(person_type.trim()))
    }

    pub(super) fn validate(&self, problems: &mut Vec<Problem>) {
        let share = self.max_revoke_share;
        if !(share > 0.0 && share <= 1.0) {
            problems.push(Problem::new(
                "lifecycle.max_revoke_share",
                &share.to_string(),
                "must be a fraction above 0 and at most 1 (0.05 = 5 %)",
                "0.05",
            ));
        }
        if self.max_revoke_count == 0 {
            problems.push(Problem::new(
                "lifecycle.max_revoke_count",
                "0",
                "must be at least 1",
                "200",
            ));
        }
        if self.face_similarity_below == 0 || self.face_similarity_below > 100 {
            problems.push(Problem::new(
                "lifecycle.face_similarity_below",
                &self.face_similarity_below.to_string(),
                "must be 1–100",
                "90",
            ));
        }
        if self.student_types.is_empty() {
            problems.push(Problem::new(
                "lifecycle.student_types",
                "[]",
                "name the SIAD person type(s) the students roster covers",
                "[\"E\"]",
            ));
        }
        for p in &self.current_periods {
            if p.trim().is_empty() {
                problems.push(Problem::new(
                    "lifecycle.current_periods",
                    &quoted(p),
                    "a period id must not be empty",
                    "[\"2026-2\"]",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_is_a_time_of_day_or_nothing() {
        assert_eq!(parse_schedule(""), Ok(None));
        assert_eq!(
            parse_schedule("02:30"),
            Ok(chrono::NaiveTime::from_hms_opt(2, 30, 0))
        );
        assert!(parse_schedule("2:30pm").is_err());
        assert!(parse_schedule("25:00").is_err());
    }
}
