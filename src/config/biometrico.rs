//! The SIAD side: `[siad]` (the database and its queries) and `[biometrico]` (how a SIAD person
//! becomes a HikCentral person: personCode, organisation, validity and access levels by type).

use super::per_type::{self, PerType, Validity};
use crate::secret::Secret;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
pub struct BiometricoSettings {
    /// orgIndexCode per person type: `TYPE=code`, `*` the fallback.
    #[serde(deserialize_with = "per_type::orgs")]
    pub org_by_person_type: PerType<String>,
    /// beginTime/endTime per person type: `TYPE=begin/end`.
    #[serde(deserialize_with = "per_type::validities")]
    pub validity: PerType<Validity>,
    /// How a CI becomes a HikCentral personCode (at most 16 letters or digits).
    pub person_code: PersonCodeRule,
    /// Access levels (privilege group ids) per person type: `TYPE=id|id`, `*` the fallback.
    #[serde(deserialize_with = "per_type::access_levels")]
    pub access_levels: PerType<Vec<String>>,
    /// The access-control device whose face model checks photos before they are sent
    /// (`acs/v1/faceCheck`); empty = no pre-check.
    pub face_check_device: String,
}

/// `biometrico.person_code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonCodeRule {
    /// The CI exactly; a CI that is not 1–16 letters or digits is refused with the reason.
    Ci,
    /// The CI's letters and digits only ("1.234.567-8" → "12345678"), then the same check.
    CiAlnum,
}

impl PersonCodeRule {
    /// The personCode for `ci`, or why it cannot have one.
    pub fn person_code(self, ci: &str) -> Result<String, String> {
        let code: String = match self {
            PersonCodeRule::Ci => ci.trim().to_owned(),
            PersonCodeRule::CiAlnum => ci.chars().filter(char::is_ascii_alphanumeric).collect(),
        };
        let fits =
            (1..=16).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric());
        if fits {
            Ok(code)
        } else {
            Err(crate::i18n::Message::PersonCodeUnfit {
                ci: ci.to_owned(),
                rule: self.name().to_owned(),
            }
            .english())
        }
    }

    /// The setting's word: `ci` or `ci_alnum`.
    pub fn name(self) -> &'static str {
        match self {
            PersonCodeRule::Ci => "ci",
            PersonCodeRule::CiAlnum => "ci_alnum",
        }
    }
}

impl BiometricoSettings {
    /// The orgIndexCode for a SIAD person type (`*` is the fallback).
    pub fn org_for(&self, person_type: &str) -> Option<String> {
        self.org_by_person_type.get(person_type).cloned()
    }

    /// The access levels (privilege group ids) a person of this type is added to; empty when
    /// none is configured (the person then opens no door).
    pub fn access_levels_for(&self, person_type: &str) -> Vec<String> {
        self.access_levels
            .get(person_type)
            .cloned()
            .unwrap_or_default()
    }

    /// (beginTime, endTime) for a SIAD person type.
    pub fn validity_for(&self, person_type: &str) -> Option<(String, String)> {
        let v = self.validity.get(person_type)?;
        Some((v.begin.clone(), v.end.clone()))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct SiadSettings {
    pub url: String,
    pub user: String,
    #[serde(skip)]
    pub password: Secret,
    pub password_file: String,
    pub trust_server_certificate: bool,
    pub ca_file: String,
    pub pool_size: u32,
    #[serde(rename = "reconcile_interval_secs", with = "super::duration::secs")]
    pub reconcile_interval: Duration,
    #[serde(rename = "connect_timeout_ms", with = "super::duration::millis")]
    pub connect_timeout: Duration,
    #[serde(rename = "query_timeout_ms", with = "super::duration::millis")]
    pub query_timeout: Duration,
    /// How long one roster query (`query_active_*`, `query_current_periods`,
    /// `query_photo_versions`) may run: they read every active person, not one.
    #[serde(rename = "roster_query_timeout_ms", with = "super::duration::millis")]
    pub roster_query_timeout: Duration,
    pub query_person_by_ci: String,
    pub query_students_by_program_period: String,
    pub query_staff_by_type: String,
    pub query_photo_by_ci: String,
    /// The lifecycle's roster: students enrolled in one period (`@P1`).
    pub query_active_students: String,
    /// The lifecycle's roster: active staff (no parameter).
    pub query_active_staff: String,
    /// The current period ids (one column), when `lifecycle.current_periods` is empty.
    pub query_current_periods: String,
    /// Optional: `(CIInfPer, version)` of every photo in one query.
    pub query_photo_versions: String,
}

impl SiadSettings {
    pub fn is_configured(&self) -> bool {
        !self.url.trim().is_empty()
    }
}
