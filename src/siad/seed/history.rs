//! Enrolment history and contracts of the demo people, so that the roster has every case the
//! lifecycle must handle: students who continue, graduate, are new, left and come back; staff
//! with open, fixed-term, renewed and ended contracts. Dates are days relative to the day the
//! file is written (`0` = that day).

use super::{
    Contract, CURRENT_PERIOD, EARLIER_PERIOD, PREVIOUS_PERIOD, PROBLEM_PERIOD, PROBLEM_PROGRAM,
    PROGRAMS,
};
use crate::splitmix::SplitMix64;

/// The periods a student is enrolled in, oldest first, by share of students:
///
/// | share | periods | on the roster today |
/// |---|---|---|
/// | 55 % | previous + current (half of them the earlier one too) | yes: continuing |
/// | 15 % | previous (half of them the earlier one too) | no: graduated |
/// | 15 % | current | yes: new |
/// | 7 % | earlier + current | yes: came back |
/// | 8 % | earlier | no: left |
fn periods(rng: &mut SplitMix64) -> Vec<&'static str> {
    let roll = rng.below(100);
    let with_earlier = rng.below(2) == 0;
    let mut periods = match roll {
        0..=54 => vec![PREVIOUS_PERIOD, CURRENT_PERIOD],
        55..=69 => vec![PREVIOUS_PERIOD],
        70..=84 => return vec![CURRENT_PERIOD],
        85..=91 => return vec![EARLIER_PERIOD, CURRENT_PERIOD],
        _ => return vec![EARLIER_PERIOD],
    };
    if with_earlier {
        periods.insert(0, EARLIER_PERIOD);
    }
    periods
}

/// A student's (program, period) enrolments: one program, the periods of [`periods`].
pub(super) fn enrolments(rng: &mut SplitMix64) -> Vec<(String, String)> {
    let program = rng.pick(&PROGRAMS);
    periods(rng)
        .into_iter()
        .map(|period| (program.to_owned(), period.to_owned()))
        .collect()
}

/// The problem cases: students of the problem program in the problem period and the current one
/// (on the roster, so the lifecycle meets their photos too).
pub(super) fn problem_enrolments() -> Vec<(String, String)> {
    [PROBLEM_PERIOD, CURRENT_PERIOD]
        .into_iter()
        .map(|period| (PROBLEM_PROGRAM.to_owned(), period.to_owned()))
        .collect()
}

/// A staff member's contracts, by share:
///
/// | share | contracts | active today |
/// |---|---|---|
/// | 80 % | one open-ended, started 30–3000 days ago | yes |
/// | 8 % | one fixed-term, covering today | yes |
/// | 4 % | an ended one, then an open-ended one (renewed) | yes |
/// | 8 % | one that ended 1–120 days ago | no |
pub(super) fn contracts(rng: &mut SplitMix64) -> Vec<Contract> {
    let roll = rng.below(100);
    let days = |rng: &mut SplitMix64, low: u64, high: u64| (low + rng.below(high - low)) as i64;
    match roll {
        0..=79 => vec![Contract {
            from: -days(rng, 30, 3000),
            until: None,
        }],
        80..=87 => vec![Contract {
            from: -days(rng, 30, 400),
            until: Some(days(rng, 30, 300)),
        }],
        88..=91 => vec![
            Contract {
                from: -900,
                until: Some(-400),
            },
            Contract {
                from: -days(rng, 1, 399),
                until: None,
            },
        ],
        _ => vec![Contract {
            from: -days(rng, 400, 2000),
            until: Some(-days(rng, 1, 120)),
        }],
    }
}
