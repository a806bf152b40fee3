//! The demo's "next period": the same SQLite file moved one period on, as SIAD is at the start
//! of a semester, so that a lifecycle run has every case to handle. One transaction; the service
//! keeps reading the file (read-only) meanwhile and sees all of it or none of it.
//!
//! In order: the current period ends yesterday and the next one starts today; the current
//! students are enrolled in it except a tenth (graduated); a twelfth as many new students
//! arrive (new people with portraits); one student who had left comes back; one staff
//! contract ends yesterday; one student's photo is replaced by a visibly different portrait;
//! one student's given names and another's e-mail change. People are picked at random from the
//! seed among those with a normal portrait (never the problem cases), so that each is someone
//! the service can have registered.

use super::changes::{self, fnv1a, following_period, has_portrait, shuffle};
use super::next_summary::NextPeriodSummary;
use super::people::identity;
use super::{day_from, PORTRAIT_SIZE, PROBLEM_PROGRAM, PROGRAMS};
use crate::photo::placeholder_portrait;
use crate::splitmix::SplitMix64;
use anyhow::{bail, Context};
use chrono::NaiveDate;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;

/// How long the new period runs, in days after its first.
const PERIOD_LENGTH: i64 = 150;

/// Moves the demo SIAD at `path` to its next period, dated from today (the local date, as the
/// SQLite directory reads it). `seed` chooses who graduates, arrives, returns and changes.
pub async fn start_next_period(path: &Path, seed: u64) -> anyhow::Result<NextPeriodSummary> {
    start_next_period_on(path, seed, crate::siad::sqlite::local_today()).await
}

/// [`start_next_period`] with `today` given.
pub async fn start_next_period_on(
    path: &Path,
    seed: u64,
    today: NaiveDate,
) -> anyhow::Result<NextPeriodSummary> {
    if !path.is_file() {
        bail!(
            "the SIAD demo database {} does not exist; create it with `hikbridge siad seed-demo`",
            path.display()
        );
    }
    // The rollback journal, as seed-demo writes it: readers open the file read-only, which a
    // WAL file would not allow without its side files.
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Delete)
        .busy_timeout(Duration::from_secs(5))
        .connect()
        .await
        .with_context(|| format!("cannot open {} for writing", path.display()))?;
    let summary = next_period(&mut conn, path, seed, today).await;
    conn.close().await?;
    summary
}

async fn next_period(
    conn: &mut SqliteConnection,
    path: &Path,
    seed: u64,
    today: NaiveDate,
) -> anyhow::Result<NextPeriodSummary> {
    let day = |offset: i64| day_from(today, offset).to_string();
    let mut tx = conn.begin().await?;

    // Periods: the one covering today ends yesterday; the next one starts today.
    let started: Vec<(String,)> =
        sqlx::query_as("SELECT idper FROM periodos WHERE inicio <= ?1 ORDER BY inicio, idper")
            .bind(day(0))
            .fetch_all(&mut *tx)
            .await
            .context(
                "the demo SIAD has no periods; re-create it with `hikbridge siad seed-demo`",
            )?;
    let current: Vec<(String,)> =
        sqlx::query_as("SELECT idper FROM periodos WHERE inicio <= ?1 AND fin >= ?1")
            .bind(day(0))
            .fetch_all(&mut *tx)
            .await?;
    let [(ended,)] = current.as_slice() else {
        bail!(
            "{} periods cover today ({today}) in {}; expected exactly one (re-create the file \
             with `hikbridge siad seed-demo`)",
            current.len(),
            path.display()
        );
    };
    let ended = ended.clone();
    let before = started
        .iter()
        .map(|(id,)| id)
        .take_while(|id| **id != ended)
        .last()
        .cloned();
    let period = following_period(&ended)
        .with_context(|| format!("the current period id {ended:?} is not YEAR-1 or YEAR-2"))?;
    sqlx::query("UPDATE periodos SET inicio = min(inicio, ?2), fin = ?2 WHERE idper = ?1")
        .bind(&ended)
        .bind(day(-1))
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO periodos (idper, inicio, fin) VALUES (?1, ?2, ?3)")
        .bind(&period)
        .bind(day(0))
        .bind(day(PERIOD_LENGTH))
        .execute(&mut *tx)
        .await
        .with_context(|| format!("the period {period} already exists"))?;
    let mut rng = SplitMix64(seed ^ fnv1a(period.as_bytes()));

    // The ended period's students in a random order; the picks need a normal portrait.
    let mut students: Vec<(String, String)> = sqlx::query_as(
        "SELECT CIInfPer, min(carrera) FROM matriculas WHERE idper = ?1 \
         GROUP BY CIInfPer ORDER BY CIInfPer",
    )
    .bind(&ended)
    .fetch_all(&mut *tx)
    .await?;
    shuffle(&mut students, &mut rng);
    let mut fit = Vec::new();
    for (ci, _) in &students {
        if has_portrait(&mut tx, ci).await? {
            fit.push(ci.clone());
        }
    }
    let mut fit = fit.into_iter();
    let graduated: Vec<String> = fit.by_ref().take((students.len() / 10).max(1)).collect();
    let photo_changed: Vec<String> = fit.next().into_iter().collect();
    let renamed_ci = fit.next();
    let mut email_person = None;
    for ci in fit {
        if let Some(p) = changes::person(&mut tx, &ci)
            .await?
            .filter(|p| p.email.is_some())
        {
            email_person = Some(p);
            break;
        }
    }
    for (ci, program) in students.iter().filter(|(ci, _)| !graduated.contains(ci)) {
        changes::enrol(&mut tx, ci, program, &period).await?;
    }

    // One who left comes back: preferably last enrolled in the period before the ended one
    // (a lifecycle run may have revoked them), in SOFTWARE (the demo's bulk job registers it).
    let mut away: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT m.CIInfPer, max(m.idper), min(m.carrera) FROM matriculas m \
         WHERE NOT EXISTS (SELECT 1 FROM matriculas n WHERE n.CIInfPer = m.CIInfPer \
         AND n.idper IN (?1, ?2)) GROUP BY m.CIInfPer ORDER BY m.CIInfPer",
    )
    .bind(&ended)
    .bind(&period)
    .fetch_all(&mut *tx)
    .await?;
    shuffle(&mut away, &mut rng);
    away.sort_by_key(|(_, last, program)| {
        (
            before.as_deref() != Some(last.as_str()),
            program != PROBLEM_PROGRAM,
        )
    });
    let mut returning = Vec::new();
    for (ci, _, program) in &away {
        if has_portrait(&mut tx, ci).await? {
            changes::enrol(&mut tx, ci, program, &period).await?;
            returning.push(ci.clone());
            break;
        }
    }

    // New students: new people with portraits.
    let known: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT CIInfPer, mailInst FROM informacionpersonal")
            .fetch_all(&mut *tx)
            .await?;
    let mut cis: HashSet<String> = known.iter().map(|(ci, _)| ci.clone()).collect();
    let mut emails: HashSet<String> = known.into_iter().filter_map(|(_, e)| e).collect();
    let arrivals: Vec<_> = (0..(students.len() / 12).max(1))
        .map(|_| {
            let person = identity(&mut rng, &mut cis, &mut emails, "E", false);
            (person, rng.pick(&PROGRAMS), rng.next())
        })
        .collect();
    let seeds: Vec<u64> = arrivals.iter().map(|(_, _, s)| *s).collect();
    let portraits = tokio::task::spawn_blocking(move || {
        let (w, h) = PORTRAIT_SIZE;
        seeds
            .into_iter()
            .map(|s| placeholder_portrait(s, w, h))
            .collect::<Vec<_>>()
    })
    .await?;
    let mut names = BTreeMap::new();
    let mut new_students = Vec::new();
    for ((p, program, _), photo) in arrivals.iter().zip(portraits) {
        changes::add_student(&mut tx, p, &photo, program, &period).await?;
        names.insert(p.ci.clone(), p.full_name());
        new_students.push(p.ci.clone());
    }

    // One contract ends yesterday: the first staff member in the file (whom the demo registers
    // first) with a portrait and whose active contracts all started before today.
    let staff: Vec<(String,)> = sqlx::query_as(
        "SELECT p.CIInfPer FROM informacionpersonal p WHERE p.TipoInfPer <> 'E' \
         AND EXISTS (SELECT 1 FROM contratos c WHERE c.CIInfPer = p.CIInfPer \
         AND c.desde <= ?1 AND (c.hasta IS NULL OR c.hasta >= ?1)) \
         AND NOT EXISTS (SELECT 1 FROM contratos c WHERE c.CIInfPer = p.CIInfPer \
         AND c.desde >= ?1) ORDER BY p.rowid",
    )
    .bind(day(0))
    .fetch_all(&mut *tx)
    .await?;
    let mut contract_ended = Vec::new();
    for (ci,) in staff {
        if has_portrait(&mut tx, &ci).await? {
            changes::end_contracts(&mut tx, &ci, &day(-1)).await?;
            contract_ended.push(ci);
            break;
        }
    }

    // A visibly different photo, a corrected name, a new e-mail.
    let mut photo_similarity = Vec::new();
    for ci in &photo_changed {
        photo_similarity.push(changes::replace_photo(&mut tx, ci, rng.next()).await?);
    }
    let mut renamed = Vec::new();
    if let Some(p) = match renamed_ci {
        Some(ci) => changes::person(&mut tx, &ci).await?,
        None => None,
    } {
        renamed.push(changes::rename(&mut tx, &p, &mut rng).await?);
    }
    let mut email_changed = Vec::new();
    if let Some(p) = email_person {
        email_changed.push(changes::change_email(&mut tx, &p, &mut emails).await?);
    }

    let (enrolled,): (i64,) =
        sqlx::query_as("SELECT count(DISTINCT CIInfPer) FROM matriculas WHERE idper = ?1")
            .bind(&period)
            .fetch_one(&mut *tx)
            .await?;
    let named: Vec<String> = graduated
        .iter()
        .chain(&returning)
        .chain(&contract_ended)
        .chain(&photo_changed)
        .chain(renamed.iter().map(|c| &c.ci))
        .chain(email_changed.iter().map(|c| &c.ci))
        .cloned()
        .collect();
    for ci in named {
        if let Some(p) = changes::person(&mut tx, &ci).await? {
            names.insert(ci, p.full_name());
        }
    }
    tx.commit().await?;

    Ok(NextPeriodSummary {
        path: path.to_owned(),
        seed,
        ended_period: ended,
        period,
        starts: today,
        ends: day_from(today, PERIOD_LENGTH),
        enrolled: usize::try_from(enrolled).unwrap_or_default(),
        graduated,
        new_students,
        returning,
        contract_ended,
        photo_changed,
        photo_similarity,
        renamed,
        email_changed,
        names,
    })
}
