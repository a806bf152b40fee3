//! What [`super::start_next_period`] changed ([`NextPeriodSummary`]), with the CIs of every
//! case, for the demo's output and for tests.

use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// One person's field before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub ci: String,
    pub before: String,
    pub after: String,
}

/// What the next period changed in the demo SIAD. Every list is of CIs; a list is empty when
/// the file had nobody fit for that case (a very small demo).
#[derive(Debug, Clone)]
pub struct NextPeriodSummary {
    pub path: PathBuf,
    pub seed: u64,
    /// The period that was current; it ended yesterday.
    pub ended_period: String,
    /// The new current period, its first day (today) and last day.
    pub period: String,
    pub starts: NaiveDate,
    pub ends: NaiveDate,
    /// Students enrolled in the new period.
    pub enrolled: usize,
    /// Students of the ended period not enrolled in the new one.
    pub graduated: Vec<String>,
    /// New people, with portraits, enrolled in the new period only.
    pub new_students: Vec<String>,
    /// Enrolled in an older period, not in the ended one, enrolled again in the new one.
    pub returning: Vec<String>,
    /// Staff whose contract ended yesterday (no other contract covers today).
    pub contract_ended: Vec<String>,
    /// Whose photo was replaced by a visibly different portrait.
    pub photo_changed: Vec<String>,
    /// How alike the old and new photo of each `photo_changed` person look (0–100, the
    /// perceptual-hash similarity the service compares photos with).
    pub photo_similarity: Vec<u8>,
    /// Whose given names changed (full names before and after).
    pub renamed: Vec<Change>,
    /// Whose institutional e-mail changed.
    pub email_changed: Vec<Change>,
    /// Full names of everyone above, for printing.
    pub names: BTreeMap<String, String>,
}

impl NextPeriodSummary {
    /// The CIs of the renamed people.
    pub fn renamed_cis(&self) -> Vec<&str> {
        self.renamed.iter().map(|c| c.ci.as_str()).collect()
    }
}

impl fmt::Display for NextPeriodSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "SIAD demo {}: period {} ended yesterday; {} runs {} – {} with {} students",
            self.path.display(),
            self.ended_period,
            self.period,
            self.starts,
            self.ends,
            self.enrolled
        )?;
        let name = |ci: &str| self.names.get(ci).map_or("", String::as_str).to_owned();
        let list = |f: &mut fmt::Formatter<'_>, label: &str, cis: &[String]| {
            let shown: Vec<String> = cis.iter().map(|ci| format!("{ci} {}", name(ci))).collect();
            writeln!(f, "  {label:<16} {:>3}: {}", cis.len(), shown.join(", "))
        };
        list(f, "graduated", &self.graduated)?;
        list(f, "new students", &self.new_students)?;
        list(f, "returning", &self.returning)?;
        list(f, "contract ended", &self.contract_ended)?;
        list(f, "photo changed", &self.photo_changed)?;
        for c in &self.renamed {
            writeln!(f, "  renamed          {}: {} → {}", c.ci, c.before, c.after)?;
        }
        for c in &self.email_changed {
            writeln!(f, "  e-mail changed   {}: {} → {}", c.ci, c.before, c.after)?;
        }
        Ok(())
    }
}
