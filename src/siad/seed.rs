//! `hikbridge siad seed-demo`: a synthetic SIAD database in SQLite, for demos, development and
//! tests. No real person, no real face.
//!
//! Everything follows from the seed and the day it is written (same seed, same day → same file
//! contents): CIs are 10-digit Ecuadorian-style cédulas (province 01–24, third digit below 6, a
//! correct modulo-10 check digit) drawn at random, so they look valid but belong to nobody we
//! know of; names come from small built-in Spanish lists; e-mails are on the reserved
//! `example.edu` domain. About 80 % are students (`E`), 12 % teachers (`D`) and 8 % staff (`A`).
//! Photos are [`crate::photo::placeholder_portrait`] JPEGs (480×600).
//!
//! History, for the lifecycle's roster (`seed/history.rs`): three periods ([`PERIODS`]) dated
//! around the day of writing so that exactly [`CURRENT_PERIOD`] covers that day; students are
//! enrolled in one program across them (continuing, graduated, new, left, came back); staff
//! have contracts (`contratos`), some ended. [`start_next_period`] then moves the same file one
//! period on, as SIAD would at the start of a semester.
//!
//! The first four people are students of SOFTWARE in 2026-1 (and the current period) with
//! deliberately bad photos ([`ProblemCase`]), so the photo errors can be shown and tested: no
//! photo, a tiny 80×60 JPEG, a PNG, and bytes that are not an image.

mod changes;
mod database;
mod history;
mod next_period;
mod next_summary;
mod people;
mod photos;
mod summary;
#[cfg(test)]
mod tests;

pub use next_period::{start_next_period, start_next_period_on};
pub use next_summary::{Change, NextPeriodSummary};
pub use people::{cedula_is_valid, generate};
pub use photos::photo_bytes;
pub use summary::SeedSummary;

use super::model::SiadPerson;
use anyhow::Context;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

/// Programs (`carrera`) students are enrolled in.
pub const PROGRAMS: [&str; 4] = ["SOFTWARE", "MEDICINA", "DERECHO", "ENFERMERIA"];
/// The oldest seeded period: students who left were last enrolled here.
pub const EARLIER_PERIOD: &str = "2025-2";
/// The period that ended a week before the file was written (graduates were last here).
pub const PREVIOUS_PERIOD: &str = "2026-1";
/// The period covering the day the file is written.
pub const CURRENT_PERIOD: &str = "2026-2";
/// Academic periods (`idper`), oldest first.
pub const PERIODS: [&str; 3] = [EARLIER_PERIOD, PREVIOUS_PERIOD, CURRENT_PERIOD];
/// First and last day of each of [`PERIODS`], in days from the day the file is written: the
/// earlier one a year ago, the previous one ended a week ago, the current one runs five months.
pub const PERIOD_DAYS: [(i64, i64); 3] = [(-380, -200), (-190, -8), (-7, 150)];
/// The program and period of the problem cases.
pub const PROBLEM_PROGRAM: &str = "SOFTWARE";
pub const PROBLEM_PERIOD: &str = PREVIOUS_PERIOD;
/// Size of the normal placeholder portraits.
pub const PORTRAIT_SIZE: (u32, u32) = (480, 600);
/// More than this is refused: the portraits take time and the demo does not need it.
pub const MAX_PEOPLE: u32 = 20_000;

/// A deliberately unusable photo, for tests and demos of the photo errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum ProblemCase {
    /// No `fotografias` row at all.
    NoPhoto,
    /// A valid JPEG of 80×60 px, below the minimum size.
    TinyPhoto,
    /// A 480×600 PNG (accepted by the pipeline, converted to JPEG).
    PngPhoto,
    /// Bytes that are not an image (a PDF header).
    NotAnImage,
}

impl ProblemCase {
    pub const ALL: [ProblemCase; 4] = [
        Self::NoPhoto,
        Self::TinyPhoto,
        Self::PngPhoto,
        Self::NotAnImage,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::NoPhoto => "no photo",
            Self::TinyPhoto => "tiny 80x60 JPEG",
            Self::PngPhoto => "PNG photo",
            Self::NotAnImage => "not an image",
        }
    }
}

/// What the photo of one demo person is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoPhoto {
    Portrait { seed: u64 },
    Problem { case: ProblemCase, seed: u64 },
}

/// One employment contract (`contratos`): first and last day, in days from the day the file is
/// written; `until: None` is open-ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contract {
    pub from: i64,
    pub until: Option<i64>,
}

impl Contract {
    /// Whether the contract covers `day` (both ends included).
    pub fn covers(&self, day: i64) -> bool {
        self.from <= day && self.until.is_none_or(|until| day <= until)
    }
}

/// One generated person with enrolments (students), contracts (everyone else) and photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPerson {
    pub person: SiadPerson,
    /// (program, period) pairs, oldest period first.
    pub enrolments: Vec<(String, String)>,
    /// Contracts of staff (every type but `E`).
    pub contracts: Vec<Contract>,
    pub photo: DemoPhoto,
}

impl DemoPerson {
    /// Enrolled in `period` (any program)?
    pub fn enrolled_in(&self, period: &str) -> bool {
        self.enrolments.iter().any(|(_, p)| p == period)
    }

    /// Staff with a contract covering the day the file was written?
    pub fn active_staff(&self) -> bool {
        self.person.person_type != "E" && self.contracts.iter().any(|c| c.covers(0))
    }
}

/// `day` days after `today` (before, when negative); `today` itself if out of range.
pub fn day_from(today: NaiveDate, day: i64) -> NaiveDate {
    let step = chrono::Days::new(day.unsigned_abs());
    let moved = if day >= 0 {
        today.checked_add_days(step)
    } else {
        today.checked_sub_days(step)
    };
    moved.unwrap_or(today)
}

/// Creates (or replaces) the demo SIAD database at `path` with `people` synthetic people, its
/// dates around today (the local date, as the SQLite directory reads them).
///
/// The file is written next to `path` under a temporary name and renamed into place, so a
/// service reading the old file never sees a half-written one.
pub async fn seed_demo(path: &Path, people: u32, seed: u64) -> anyhow::Result<SeedSummary> {
    seed_demo_on(path, people, seed, crate::siad::sqlite::local_today()).await
}

/// [`seed_demo`] with `today` given: periods and contracts are dated around it.
pub async fn seed_demo_on(
    path: &Path,
    people: u32,
    seed: u64,
    today: NaiveDate,
) -> anyhow::Result<SeedSummary> {
    if people > MAX_PEOPLE {
        anyhow::bail!("--people {people} is more than {MAX_PEOPLE}; a demo needs far fewer");
    }
    let demo = generate(people, seed);
    let demo_for_photos = demo.clone();
    let photos = tokio::task::spawn_blocking(move || photos::render_photos(&demo_for_photos))
        .await
        .context("rendering the placeholder portraits failed")?;

    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(dir)
            .await
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    }
    let file_name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let mut tmp_name = file_name.to_owned();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let _ = tokio::fs::remove_file(&tmp).await;

    database::write_database(&tmp, &demo, &photos, today)
        .await
        .with_context(|| format!("cannot write the SIAD demo database {}", tmp.display()))?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut stale = path.as_os_str().to_owned();
        stale.push(suffix);
        let _ = tokio::fs::remove_file(PathBuf::from(stale)).await;
    }
    tokio::fs::rename(&tmp, path)
        .await
        .with_context(|| format!("cannot move {} to {}", tmp.display(), path.display()))?;
    Ok(summary::summarise(path, seed, today, &demo, &photos))
}
