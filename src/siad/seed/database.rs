//! Writing the demo SQLite file: the SIAD schema, then people, enrolments and photos in one
//! transaction.

use super::DemoPerson;
use crate::siad::sqlite::SCHEMA;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection};
use std::path::Path;

pub(super) async fn write_database(
    path: &Path,
    demo: &[DemoPerson],
    photos: &[Option<Vec<u8>>],
) -> anyhow::Result<()> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Delete)
        .connect()
        .await?;
    sqlx::raw_sql(SCHEMA).execute(&mut conn).await?;
    let mut tx = conn.begin().await?;
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
