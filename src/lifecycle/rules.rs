//! The settings a plan follows, read once from `[biometrico]` and `[lifecycle]`.

use crate::config::{PerType, PersonCodeRule};
use std::collections::BTreeSet;

/// The settings a plan follows.
#[derive(Debug, Clone)]
pub struct Rules {
    /// orgIndexCode per person type (`biometrico.org_by_person_type`).
    pub orgs: PerType<String>,
    /// The organisations this service manages (every value of `org_by_person_type`).
    pub managed_orgs: BTreeSet<String>,
    /// CI → personCode (`biometrico.person_code`).
    pub person_code: PersonCodeRule,
    pub exempt: BTreeSet<String>,
    pub student_types: BTreeSet<String>,
    pub grace_ms: i64,
    /// 0 = never erase automatically.
    pub erase_after_ms: i64,
    pub max_revoke_share: f64,
    pub max_revoke_count: u64,
}

impl Rules {
    pub fn org(&self, person_type: &str) -> Option<String> {
        self.orgs.get(person_type).cloned()
    }

    /// The personCode of `ci`; `None` when the CI cannot be one.
    pub fn code(&self, ci: &str) -> Option<String> {
        self.person_code.person_code(ci).ok()
    }

    pub(super) fn is_student(&self, person_type: &str) -> bool {
        self.student_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(person_type.trim()))
    }
}
