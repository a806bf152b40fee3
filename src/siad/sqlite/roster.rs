//! The lifecycle's roster in the demo SIAD: students of a period (`matriculas`), staff with a
//! contract covering today (`contratos`), the periods covering today (`periodos`), and the
//! SHA-256 of every stored photo — the same answers the default SQL Server queries give.
//!
//! "Today" is the local date ([`local_today`]), as SQL Server's `CAST(GETDATE() AS date)` is
//! the server's; the seeder dates its periods and contracts from the same clock.

use super::{query_error, SqliteDirectory, ORDER, PERSON_COLUMNS};
use crate::siad::model::{column, dedupe_by_ci};
use crate::siad::{photo_version, PhotoVersions, SiadError, SiadPerson};
use futures::TryStreamExt;
use sqlx::Row;

/// Today's date on this machine's clock, as the demo SIAD's dates are written and compared.
pub fn local_today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// A file seeded before the roster tables existed says how to get them.
fn hint(e: SiadError) -> SiadError {
    match e {
        SiadError::Query(text) if text.contains("no such table") => SiadError::Query(format!(
            "{text}: this demo SIAD file predates periods and contracts; re-create it with \
             `hikbridge siad seed-demo`"
        )),
        other => other,
    }
}

impl SqliteDirectory {
    pub(super) async fn roster_students(&self, period: &str) -> Result<Vec<SiadPerson>, SiadError> {
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM informacionpersonal p WHERE EXISTS (\
             SELECT 1 FROM matriculas m WHERE m.CIInfPer = p.CIInfPer AND m.idper = ?1) {ORDER}"
        );
        let people = self.people(&sql, &[Some(period)]).await?;
        Ok(dedupe_by_ci(people))
    }

    pub(super) async fn roster_staff(&self) -> Result<Vec<SiadPerson>, SiadError> {
        let today = local_today().to_string();
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM informacionpersonal p WHERE p.TipoInfPer <> 'E' \
             AND EXISTS (SELECT 1 FROM contratos c WHERE c.CIInfPer = p.CIInfPer \
             AND c.desde <= ?1 AND (c.hasta IS NULL OR c.hasta >= ?1)) {ORDER}"
        );
        let people = self.people(&sql, &[Some(&today)]).await.map_err(hint)?;
        Ok(dedupe_by_ci(people))
    }

    pub(super) async fn periods_today(&self) -> Result<Vec<String>, SiadError> {
        let rows = sqlx::query(
            "SELECT idper FROM periodos WHERE inicio <= ?1 AND fin >= ?1 ORDER BY inicio, idper",
        )
        .bind(local_today().to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| hint(query_error(e)))?;
        rows.iter()
            .map(|row| {
                row.try_get::<String, _>("idper")
                    .map(|id| id.trim().to_owned())
                    .map_err(|e| SiadError::Mapping(format!("column idper: {e}")))
            })
            .collect()
    }

    /// Reads the photos one row at a time (memory stays one photo), each version being
    /// [`photo_version`] — what the service computes itself from a photo's bytes.
    pub(super) async fn hashed_photos(&self) -> Result<PhotoVersions, SiadError> {
        let mut rows = sqlx::query(
            "SELECT CIInfPer, Fotografia FROM fotografias \
             WHERE Fotografia IS NOT NULL AND length(Fotografia) > 0 ORDER BY CIInfPer",
        )
        .fetch(&self.pool);
        let mut versions = Vec::new();
        while let Some(row) = rows.try_next().await.map_err(query_error)? {
            let ci: String = row
                .try_get(column::CI)
                .map_err(|e| SiadError::Mapping(format!("column {}: {e}", column::CI)))?;
            let photo: &[u8] = row
                .try_get(column::PHOTO)
                .map_err(|e| SiadError::Mapping(format!("column {}: {e}", column::PHOTO)))?;
            versions.push((ci.trim().to_owned(), photo_version(photo)));
        }
        Ok(versions)
    }
}
