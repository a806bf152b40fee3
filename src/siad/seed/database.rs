//! Writing the demo SQLite file: the SIAD schema, then periods, people, enrolments, contracts
//! and photos in one transaction.

use super::{day_from, DemoPerson, PERIODS, PERIOD_DAYS};
use crate::siad::sqlite::SCHEMA;
use chrono::NaiveDate;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection};
use std::path::Path;

pub(super) async fn write_database(
    path: &Path,
    demo: &[DemoPerson],
    photos: &[Option<Vec<u8>>],
    today: NaiveDate,
) -> anyhow::Result<()> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Delete)
        .connect()
        .await?;
    sqlx::raw_sql(SCHEMA).execute(&mut conn).await?;
    let mut tx = conn.begin().await?;
    for (period, (first, last)) in PERIODS.iter().zip(PERIOD_DAYS) {
        sqlx::query("INSERT INTO periodos (idper, inicio, fin) VALUES (?1, ?2, ?3)")
            .bind(period)
            .bind(day_from(today, first).to_string())
            .bind(day_from(today, last).to_string())
            .execute(&mut *tx)
            .await?;
    }
    for (d, photo) in demo.iter().zip(photos) {
        let p = &d.person;
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
        for (program, period) in &d.enrolments {
            sqlx::query("INSERT INTO matriculas (CIInfPer, carrera, idper) VALUES (?1, ?2, ?3)")
                .bind(&p.ci)
                .bind(program)
                .bind(period)
                .execute(&mut *tx)
                .await?;
        }
        for c in &d.contracts {
            sqlx::query("INSERT INTO contratos (CIInfPer, desde, hasta) VALUES (?1, ?2, ?3)")
                .bind(&p.ci)
                .bind(day_from(today, c.from).to_string())
                .bind(c.until.map(|until| day_from(today, until).to_string()))
                .execute(&mut *tx)
                .await?;
        }
        if let Some(bytes) = photo {
            sqlx::query("INSERT INTO fotografias (CIInfPer, Fotografia) VALUES (?1, ?2)")
                .bind(&p.ci)
                .bind(bytes)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    conn.close().await?;
    Ok(())
}
