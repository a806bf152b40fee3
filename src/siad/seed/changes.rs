//! The single changes [`super::start_next_period`] makes to a demo SIAD file, each one SQL
//! statement or two on the open transaction, and the small pure helpers it draws with.

use super::next_summary::Change;
use super::people::{corrected_given_names, unique_email};
use super::PORTRAIT_SIZE;
use crate::photo::{hash_image, placeholder_portrait, similarity, PhotoLimits};
use crate::siad::model::SiadPerson;
use crate::splitmix::SplitMix64;
use sqlx::SqliteConnection;
use std::collections::HashSet;

/// Portrait seeds tried for a changed photo; the least similar to the old one is kept.
const PHOTO_TRIES: u64 = 8;

/// The id after `id`: `2026-1` → `2026-2`, `2026-2` → `2027-1`.
pub(super) fn following_period(id: &str) -> Option<String> {
    let (year, half) = id.trim().split_once('-')?;
    let year: u32 = year.parse().ok()?;
    match half {
        "1" => Some(format!("{year}-2")),
        "2" => Some(format!("{}-1", year.checked_add(1)?)),
        _ => None,
    }
}

pub(super) async fn enrol(
    tx: &mut SqliteConnection,
    ci: &str,
    program: &str,
    period: &str,
) -> sqlx::Result<()> {
    sqlx::query("INSERT OR IGNORE INTO matriculas (CIInfPer, carrera, idper) VALUES (?1, ?2, ?3)")
        .bind(ci)
        .bind(program)
        .bind(period)
        .execute(&mut *tx)
        .await
        .map(drop)
}

/// A new person with a photo, enrolled in `program` and `period`.
pub(super) async fn add_student(
    tx: &mut SqliteConnection,
    p: &SiadPerson,
    photo: &[u8],
    program: &str,
    period: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO informacionpersonal \
         (CIInfPer, NombInfPer, ApellInfPer, ApellMatInfPer, mailInst, TipoInfPer) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(&p.ci)
    .bind(&p.given_names)
    .bind(&p.paternal_surname)
    .bind(&p.maternal_surname)
    .bind(&p.email)
    .bind(&p.person_type)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO fotografias (CIInfPer, Fotografia) VALUES (?1, ?2)")
        .bind(&p.ci)
        .bind(photo)
        .execute(&mut *tx)
        .await?;
    enrol(tx, &p.ci, program, period).await
}

/// Every contract of `ci` still running on `yesterday` ends that day.
pub(super) async fn end_contracts(
    tx: &mut SqliteConnection,
    ci: &str,
    yesterday: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE contratos SET hasta = ?2 WHERE CIInfPer = ?1 AND (hasta IS NULL OR hasta >= ?2)",
    )
    .bind(ci)
    .bind(yesterday)
    .execute(&mut *tx)
    .await
    .map(drop)
}

/// The six person columns as SQLite returns them.
type PersonRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
);

/// The person as stored, `None` when there is no such CI.
pub(super) async fn person(
    tx: &mut SqliteConnection,
    ci: &str,
) -> sqlx::Result<Option<SiadPerson>> {
    let row: Option<PersonRow> = sqlx::query_as(
        "SELECT CIInfPer, NombInfPer, ApellInfPer, ApellMatInfPer, mailInst, TipoInfPer \
             FROM informacionpersonal WHERE CIInfPer = ?1",
    )
    .bind(ci)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(
        |(ci, given, paternal, maternal, email, person_type)| SiadPerson {
            ci,
            given_names: given,
            paternal_surname: paternal,
            maternal_surname: maternal.unwrap_or_default(),
            email,
            person_type,
        },
    ))
}

/// The second given name replaced (a correction the registry makes); full names before and
/// after.
pub(super) async fn rename(
    tx: &mut SqliteConnection,
    p: &SiadPerson,
    rng: &mut SplitMix64,
) -> sqlx::Result<Change> {
    let mut after = p.clone();
    after.given_names = corrected_given_names(rng, &p.given_names);
    sqlx::query("UPDATE informacionpersonal SET NombInfPer = ?2 WHERE CIInfPer = ?1")
        .bind(&p.ci)
        .bind(&after.given_names)
        .execute(&mut *tx)
        .await?;
    Ok(Change {
        ci: p.ci.clone(),
        before: p.full_name(),
        after: after.full_name(),
    })
}

/// Another institutional e-mail, built from the second given name (unique among `emails`).
pub(super) async fn change_email(
    tx: &mut SqliteConnection,
    p: &SiadPerson,
    emails: &mut HashSet<String>,
) -> sqlx::Result<Change> {
    let second = p.given_names.split_whitespace().last().unwrap_or("x");
    let after = unique_email(&[second, &p.paternal_surname, &p.maternal_surname], emails);
    sqlx::query("UPDATE informacionpersonal SET mailInst = ?2 WHERE CIInfPer = ?1")
        .bind(&p.ci)
        .bind(&after)
        .execute(&mut *tx)
        .await?;
    Ok(Change {
        ci: p.ci.clone(),
        before: p.email.clone().unwrap_or_default(),
        after,
    })
}

/// The stored photo bytes, `None` without a row or with NULL.
pub(super) async fn photo(tx: &mut SqliteConnection, ci: &str) -> sqlx::Result<Option<Vec<u8>>> {
    let photo: Option<Option<Vec<u8>>> =
        sqlx::query_scalar("SELECT Fotografia FROM fotografias WHERE CIInfPer = ?1")
            .bind(ci)
            .fetch_optional(&mut *tx)
            .await?;
    Ok(photo.flatten())
}

/// Whether the person's photo is a normal demo portrait (a JPEG of [`PORTRAIT_SIZE`]); the
/// problem cases' photos are not. Reads the JPEG header only.
pub(super) async fn has_portrait(tx: &mut SqliteConnection, ci: &str) -> sqlx::Result<bool> {
    let Some(photo) = photo(tx, ci).await? else {
        return Ok(false);
    };
    let reader =
        image::ImageReader::with_format(std::io::Cursor::new(photo), image::ImageFormat::Jpeg);
    Ok(reader.into_dimensions().ok() == Some(PORTRAIT_SIZE))
}

/// Replaces the photo with a visibly different portrait; returns how alike the two look.
pub(super) async fn replace_photo(
    tx: &mut SqliteConnection,
    ci: &str,
    first_seed: u64,
) -> anyhow::Result<u8> {
    let old = photo(tx, ci).await?.unwrap_or_default();
    let (new, alike) =
        tokio::task::spawn_blocking(move || least_similar_portrait(&old, first_seed)).await?;
    sqlx::query("UPDATE fotografias SET Fotografia = ?2 WHERE CIInfPer = ?1")
        .bind(ci)
        .bind(new)
        .execute(&mut *tx)
        .await?;
    Ok(alike)
}

/// Of [`PHOTO_TRIES`] portraits from `first_seed` on, the one least like `old`, with its
/// similarity (0–100; 0 when `old` is not a readable image).
pub(super) fn least_similar_portrait(old: &[u8], first_seed: u64) -> (Vec<u8>, u8) {
    let (w, h) = PORTRAIT_SIZE;
    let limits = PhotoLimits::default();
    let old_hash = hash_image(old, &limits).ok();
    let mut best: Option<(Vec<u8>, u8)> = None;
    for seed in (0..PHOTO_TRIES).map(|i| first_seed.wrapping_add(i)) {
        let photo = placeholder_portrait(seed, w, h);
        let alike = match (old_hash, hash_image(&photo, &limits)) {
            (Some(a), Ok(b)) => similarity(a, b),
            _ => 0,
        };
        if best.as_ref().is_none_or(|(_, b)| alike < *b) {
            best = Some((photo, alike));
        }
    }
    best.unwrap_or_else(|| (placeholder_portrait(first_seed, w, h), 0))
}

/// Fisher–Yates with the demo's generator.
pub(super) fn shuffle<T>(items: &mut [T], rng: &mut SplitMix64) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// FNV-1a of `bytes`, to mix the new period's id into the seed.
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
