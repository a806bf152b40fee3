//! What a seeding wrote ([`SeedSummary`]): counts per type, program and period, the periods and
//! today's roster, photos, and the problem cases with their CIs, as the command prints them.

use super::{
    day_from, DemoPerson, DemoPhoto, ProblemCase, CURRENT_PERIOD, PERIODS, PERIOD_DAYS,
    PROBLEM_PERIOD, PROBLEM_PROGRAM,
};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// What was written, for the command's output and for tests.
#[derive(Debug, Clone)]
pub struct SeedSummary {
    pub path: PathBuf,
    pub seed: u64,
    pub people: usize,
    /// Count per `TipoInfPer`.
    pub by_type: BTreeMap<String, usize>,
    /// Students per program (any period).
    pub students_by_program: BTreeMap<String, usize>,
    /// Enrolments per period.
    pub enrolments_by_period: BTreeMap<String, usize>,
    /// Each period with its first and last day, oldest first.
    pub periods: Vec<(String, NaiveDate, NaiveDate)>,
    /// The period covering the day of writing.
    pub current_period: String,
    /// Students enrolled in the current period (the roster's students).
    pub active_students: usize,
    /// Staff with a contract covering the day of writing (the roster's staff).
    pub active_staff: usize,
    /// Staff whose every contract has ended.
    pub ended_contracts: usize,
    /// `fotografias` rows written.
    pub photos: usize,
    /// Each problem case with the CI and full name of the person who has it.
    pub problem_cases: Vec<(ProblemCase, String, String)>,
}

impl SeedSummary {
    /// The CI of the person with `case`, when there are enough people for it.
    pub fn ci_of(&self, case: ProblemCase) -> Option<&str> {
        self.problem_cases
            .iter()
            .find(|(c, _, _)| *c == case)
            .map(|(_, ci, _)| ci.as_str())
    }
}

impl fmt::Display for SeedSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "SIAD demo database {} (seed {}): {} people",
            self.path.display(),
            self.seed,
            self.people
        )?;
        let label = |t: &str| match t {
            "E" => "students",
            "D" => "teachers",
            "A" => "staff",
            _ => "other",
        };
        for (t, n) in &self.by_type {
            writeln!(f, "  {t} ({}): {n}", label(t))?;
        }
        let join = |m: &BTreeMap<String, usize>| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            f,
            "  students by program: {}",
            join(&self.students_by_program)
        )?;
        writeln!(
            f,
            "  enrolments by period: {}",
            join(&self.enrolments_by_period)
        )?;
        let periods = self
            .periods
            .iter()
            .map(|(id, first, last)| {
                let current = if *id == self.current_period {
                    ", current"
                } else {
                    ""
                };
                format!("{id} ({first} – {last}{current})")
            })
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(f, "  periods: {periods}")?;
        writeln!(
            f,
            "  roster today: {} students enrolled in {}, {} staff with an active contract \
             ({} whose contract ended)",
            self.active_students, self.current_period, self.active_staff, self.ended_contracts
        )?;
        writeln!(f, "  photos stored: {}", self.photos)?;
        if !self.problem_cases.is_empty() {
            writeln!(
                f,
                "problem cases ({PROBLEM_PROGRAM} {PROBLEM_PERIOD}, for photo error demos and tests):"
            )?;
            for (case, ci, name) in &self.problem_cases {
                writeln!(f, "  {:<16} {ci}  {name}", case.label())?;
            }
        }
        Ok(())
    }
}

pub(super) fn summarise(
    path: &Path,
    seed: u64,
    today: NaiveDate,
    demo: &[DemoPerson],
    photos: &[Option<Vec<u8>>],
) -> SeedSummary {
    let mut summary = SeedSummary {
        path: path.to_owned(),
        seed,
        people: demo.len(),
        by_type: BTreeMap::new(),
        students_by_program: BTreeMap::new(),
        enrolments_by_period: BTreeMap::new(),
        periods: PERIODS
            .iter()
            .zip(PERIOD_DAYS)
            .map(|(id, (first, last))| {
                (
                    (*id).to_owned(),
                    day_from(today, first),
                    day_from(today, last),
                )
            })
            .collect(),
        current_period: CURRENT_PERIOD.to_owned(),
        active_students: demo
            .iter()
            .filter(|d| d.enrolled_in(CURRENT_PERIOD))
            .count(),
        active_staff: demo.iter().filter(|d| d.active_staff()).count(),
        ended_contracts: demo
            .iter()
            .filter(|d| d.person.person_type != "E" && !d.active_staff())
            .count(),
        photos: photos.iter().filter(|p| p.is_some()).count(),
        problem_cases: Vec::new(),
    };
    for d in demo {
        *summary
            .by_type
            .entry(d.person.person_type.clone())
            .or_default() += 1;
        if let Some((program, _)) = d.enrolments.first() {
            *summary
                .students_by_program
                .entry(program.clone())
                .or_default() += 1;
        }
        for (_, period) in &d.enrolments {
            *summary
                .enrolments_by_period
                .entry(period.clone())
                .or_default() += 1;
        }
        if let DemoPhoto::Problem { case, .. } = d.photo {
            summary
                .problem_cases
                .push((case, d.person.ci.clone(), d.person.full_name()));
        }
    }
    summary
}
