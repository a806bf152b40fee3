//! `hikbridge siad seed-demo`: a synthetic SIAD database in SQLite, for demos, development and
//! tests. No real person, no real face.
//!
//! Everything follows from the seed (same seed → same file contents): CIs are 10-digit
//! Ecuadorian-style cédulas (province 01–24, third digit below 6, a correct modulo-10 check
//! digit) drawn at random, so they look valid but belong to nobody we know of; names come from
//! small built-in Spanish lists; e-mails are on the reserved `example.edu` domain. About 80 % are
//! students (`E`), 12 % teachers (`D`) and 8 % staff (`A`); students are enrolled in one program
//! and one or both periods. Photos are [`crate::photo::placeholder_portrait`] JPEGs (480×600).
//!
//! The first four people are students of SOFTWARE in 2026-1 with deliberately bad photos
//! ([`ProblemCase`]), so the photo errors can be shown and tested: no photo, a tiny 80×60 JPEG, a
//! PNG, and bytes that are not an image.

mod database;
mod people;
mod photos;
mod summary;
#[cfg(test)]
mod tests;

pub use people::{cedula_is_valid, generate};
pub use photos::photo_bytes;
pub use summary::SeedSummary;

use super::model::SiadPerson;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// Programs (`carrera`) students are enrolled in.
pub const PROGRAMS: [&str; 4] = ["SOFTWARE", "MEDICINA", "DERECHO", "ENFERMERIA"];
/// Academic periods (`idper`).
pub const PERIODS: [&str; 2] = ["2026-1", "2026-2"];
/// The program and period of the problem cases.
pub const PROBLEM_PROGRAM: &str = "SOFTWARE";
pub const PROBLEM_PERIOD: &str = "2026-1";
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

/// One generated person with enrolments (students only) and photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPerson {
    pub person: SiadPerson,
    /// (program, period) pairs.
    pub enrolments: Vec<(String, String)>,
    pub photo: DemoPhoto,
}

/// Creates (or replaces) the demo SIAD database at `path` with `people` synthetic people.
///
/// The file is written next to `path` under a temporary name and renamed into place, so a
/// service reading the old file never sees a half-written one.
pub async fn seed_demo(path: &Path, people: u32, seed: u64) -> anyhow::Result<SeedSummary> {
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

    database::write_database(&tmp, &demo, &photos)
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
    Ok(summary::summarise(path, seed, &demo, &photos))
}
