//! Who may enter now: SIAD's students enrolled in the current period(s) and its staff with an
//! active contract. Each part says whether it can be trusted for revocations: a query that
//! fails, or that answers nobody, makes its part unusable — the people it covers are then never
//! revoked by that plan (a wrong roster must not lock a campus out).

use super::plan::Coverage;
use crate::config::LifecycleSettings;
use crate::siad::{Directory, SiadPerson};
use serde::Serialize;
use std::collections::HashMap;

/// The roster and how far it can be trusted.
#[derive(Debug)]
pub struct Roster {
    pub people: HashMap<String, SiadPerson>,
    pub students: Coverage,
    pub staff: Coverage,
    pub summary: RosterSummary,
}

/// What the roster was made of, for the run's summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RosterSummary {
    pub periods: Vec<String>,
    pub students: usize,
    pub staff: usize,
    pub students_problem: Option<String>,
    pub staff_problem: Option<String>,
}

fn coverage(problem: &Option<String>) -> Coverage {
    match problem {
        Some(p) => Coverage::Unusable(p.clone()),
        None => Coverage::Usable,
    }
}

/// Read the roster; it never fails as a whole: a part that cannot be read is unusable.
pub async fn read(dir: &dyn Directory, settings: &LifecycleSettings) -> Roster {
    let mut people: HashMap<String, SiadPerson> = HashMap::new();
    let mut summary = RosterSummary::default();
    let periods = if settings.current_periods.is_empty() {
        dir.current_periods().await.map_err(|e| {
            format!("no current period (lifecycle.current_periods is empty and siad.query_current_periods failed: {e})")
        })
    } else {
        Ok(settings
            .current_periods
            .iter()
            .map(|p| p.trim().to_owned())
            .collect())
    };
    summary.students_problem = match periods {
        Err(problem) => Some(problem),
        Ok(periods) if periods.is_empty() => Some(
            "SIAD names no current period (siad.query_current_periods answered nothing)".into(),
        ),
        Ok(periods) => {
            let mut problem = None;
            let mut found = 0usize;
            for period in &periods {
                match dir.active_students(period).await {
                    Ok(list) => {
                        found += list.len();
                        for p in list {
                            people.insert(p.ci.clone(), p);
                        }
                    }
                    Err(e) => {
                        problem = Some(format!(
                            "the students query failed for period {period}: {e}"
                        ));
                        break;
                    }
                }
            }
            summary.periods = periods.clone();
            summary.students = found;
            problem.or_else(|| {
                (found == 0).then(|| {
                    format!(
                        "the students query answered nobody for period(s) {}",
                        periods.join(", ")
                    )
                })
            })
        }
    };
    summary.staff_problem = match dir.active_staff().await {
        Ok(list) if list.is_empty() => Some("the staff query answered nobody".into()),
        Ok(list) => {
            summary.staff = list.len();
            for p in list {
                people.entry(p.ci.clone()).or_insert(p);
            }
            None
        }
        Err(e) => Some(format!("the staff query failed: {e}")),
    };
    Roster {
        people,
        students: coverage(&summary.students_problem),
        staff: coverage(&summary.staff_problem),
        summary,
    }
}
