//! SIAD in a SQLite file, for demo, development and tests.
//!
//! A fixed schema with the SIAD column names ([`SCHEMA`]) and built-in queries with bound
//! parameters. It has its own small pool, separate from the service's store, and opens the file
//! read-only: the service never writes to SIAD. [`super::seed`] creates and fills such a file.
//! The lifecycle's roster (periods, contracts, photo versions) is in `sqlite/roster.rs`.

mod roster;

pub use roster::local_today;

use super::model::{column, dedupe_by_ci, normalise_ci, person_from_row};
use super::{Directory, PhotoVersions, SiadError, SiadPerson};
use futures::future::BoxFuture;
use futures::FutureExt;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::Row;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The demo SIAD schema: the SIAD column names, as the SQL Server queries return them. Dates
/// (`periodos.inicio`/`fin`, `contratos.desde`/`hasta`) are `YYYY-MM-DD` text, both ends
/// included; `hasta` NULL is an open-ended contract.
pub const SCHEMA: &str = "
CREATE TABLE informacionpersonal (
    CIInfPer       TEXT PRIMARY KEY NOT NULL,
    NombInfPer     TEXT NOT NULL,
    ApellInfPer    TEXT NOT NULL,
    ApellMatInfPer TEXT,
    mailInst       TEXT,
    TipoInfPer     TEXT NOT NULL
);
CREATE TABLE matriculas (
    CIInfPer TEXT NOT NULL REFERENCES informacionpersonal (CIInfPer),
    carrera  TEXT NOT NULL,
    idper    TEXT NOT NULL,
    PRIMARY KEY (CIInfPer, carrera, idper)
);
CREATE INDEX matriculas_carrera_idper ON matriculas (carrera, idper);
CREATE INDEX informacionpersonal_tipo ON informacionpersonal (TipoInfPer);
CREATE TABLE fotografias (
    CIInfPer   TEXT PRIMARY KEY NOT NULL REFERENCES informacionpersonal (CIInfPer),
    Fotografia BLOB
);
CREATE TABLE periodos (
    idper  TEXT PRIMARY KEY NOT NULL,
    inicio TEXT NOT NULL,
    fin    TEXT NOT NULL
);
CREATE TABLE contratos (
    CIInfPer TEXT NOT NULL REFERENCES informacionpersonal (CIInfPer),
    desde    TEXT NOT NULL,
    hasta    TEXT,
    PRIMARY KEY (CIInfPer, desde)
);
";

const PERSON_COLUMNS: &str =
    "p.CIInfPer, p.NombInfPer, p.ApellInfPer, p.ApellMatInfPer, p.mailInst, p.TipoInfPer";
const ORDER: &str = "ORDER BY p.ApellInfPer, p.ApellMatInfPer, p.NombInfPer, p.CIInfPer";

/// Connections kept for the demo directory (reads only; SQLite serves them concurrently).
const POOL_SIZE: u32 = 4;
/// How long to wait for a connection or a lock.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The SIAD directory over a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteDirectory {
    pool: SqlitePool,
    path: PathBuf,
}

impl SqliteDirectory {
    /// Opens `sqlite://path` (relative or absolute; `sqlite:path` works too; a `?query` part is
    /// ignored). The file must exist.
    pub async fn open_url(url: &str) -> Result<Self, SiadError> {
        Self::open_path(&sqlite_path(url)?).await
    }

    /// Opens an existing demo SIAD file read-only.
    pub async fn open_path(path: &Path) -> Result<Self, SiadError> {
        if !path.is_file() {
            return Err(SiadError::Unreachable(format!(
                "the SIAD demo database {} does not exist; create it with \
                 `hikbridge siad seed-demo --path {}`",
                path.display(),
                path.display()
            )));
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .busy_timeout(TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| SiadError::Unreachable(format!("cannot open {}: {e}", path.display())))?;
        Ok(Self {
            pool,
            path: path.to_owned(),
        })
    }

    /// The file this directory reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn people(
        &self,
        sql: &str,
        params: &[Option<&str>],
    ) -> Result<Vec<SiadPerson>, SiadError> {
        let mut query = sqlx::query(sql);
        for p in params {
            query = query.bind(p.map(str::to_owned));
        }
        // Row by row: a roster of tens of thousands never holds every raw row at once.
        let mut rows = query.fetch(&self.pool);
        let mut people = Vec::new();
        while let Some(row) = futures::TryStreamExt::try_next(&mut rows)
            .await
            .map_err(query_error)?
        {
            people.push(person(&row)?);
        }
        Ok(people)
    }
}

/// The path in a `sqlite:` URL.
fn sqlite_path(url: &str) -> Result<PathBuf, SiadError> {
    let rest = url
        .trim()
        .split_once(':')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("sqlite"))
        .map(|(_, rest)| rest)
        .ok_or_else(|| SiadError::Settings("expected a sqlite:// URL".to_owned()))?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split_once('?').map_or(rest, |(p, _)| p);
    if path.is_empty() || path == ":memory:" {
        return Err(SiadError::Settings(
            "siad.url has no SQLite file path; use e.g. sqlite://data/siad-demo.db".to_owned(),
        ));
    }
    Ok(PathBuf::from(path))
}

fn person(row: &SqliteRow) -> Result<SiadPerson, SiadError> {
    person_from_row(|name| {
        row.try_get::<Option<String>, _>(name)
            .map_err(|e| e.to_string())
    })
}

fn query_error(e: sqlx::Error) -> SiadError {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
            SiadError::Unreachable(format!("the SIAD demo database did not answer: {e}"))
        }
        other => SiadError::Query(other.to_string()),
    }
}

impl Directory for SqliteDirectory {
    fn person_by_ci(&self, ci: &str) -> BoxFuture<'_, Result<Option<SiadPerson>, SiadError>> {
        let ci = normalise_ci(ci).to_owned();
        async move {
            let sql =
                format!("SELECT {PERSON_COLUMNS} FROM informacionpersonal p WHERE p.CIInfPer = ?1");
            Ok(self.people(&sql, &[Some(&ci)]).await?.into_iter().next())
        }
        .boxed()
    }

    fn students(
        &self,
        program: &str,
        period: Option<&str>,
    ) -> BoxFuture<'_, Result<Vec<SiadPerson>, SiadError>> {
        let program = program.trim().to_owned();
        let period = period
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty());
        async move {
            // EXISTS rather than a join: a student enrolled in two periods is listed once.
            let sql = format!(
                "SELECT {PERSON_COLUMNS} FROM informacionpersonal p WHERE EXISTS (\
                 SELECT 1 FROM matriculas m WHERE m.CIInfPer = p.CIInfPer \
                 AND m.carrera = ?1 AND (?2 IS NULL OR m.idper = ?2)) {ORDER}"
            );
            let people = self
                .people(&sql, &[Some(&program), period.as_deref()])
                .await?;
            Ok(dedupe_by_ci(people))
        }
        .boxed()
    }

    fn staff(&self, person_type: &str) -> BoxFuture<'_, Result<Vec<SiadPerson>, SiadError>> {
        let person_type = person_type.trim().to_owned();
        async move {
            let sql = format!(
                "SELECT {PERSON_COLUMNS} FROM informacionpersonal p WHERE p.TipoInfPer = ?1 {ORDER}"
            );
            self.people(&sql, &[Some(&person_type)]).await
        }
        .boxed()
    }

    fn photo(&self, ci: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, SiadError>> {
        let ci = normalise_ci(ci).to_owned();
        async move {
            let row = sqlx::query("SELECT Fotografia FROM fotografias WHERE CIInfPer = ?1")
                .bind(ci)
                .fetch_optional(&self.pool)
                .await
                .map_err(query_error)?;
            let Some(row) = row else { return Ok(None) };
            let bytes: Option<Vec<u8>> = row
                .try_get(column::PHOTO)
                .map_err(|e| SiadError::Mapping(format!("column {}: {e}", column::PHOTO)))?;
            Ok(bytes.filter(|b| !b.is_empty()))
        }
        .boxed()
    }

    fn active_students(&self, period: &str) -> BoxFuture<'_, Result<Vec<SiadPerson>, SiadError>> {
        let period = period.trim().to_owned();
        async move { self.roster_students(&period).await }.boxed()
    }

    fn active_staff(&self) -> BoxFuture<'_, Result<Vec<SiadPerson>, SiadError>> {
        self.roster_staff().boxed()
    }

    fn current_periods(&self) -> BoxFuture<'_, Result<Vec<String>, SiadError>> {
        self.periods_today().boxed()
    }

    fn photo_versions(&self) -> BoxFuture<'_, Result<Option<PhotoVersions>, SiadError>> {
        async move { self.hashed_photos().await.map(Some) }.boxed()
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), SiadError>> {
        async move {
            sqlx::query("SELECT 1 FROM informacionpersonal LIMIT 1")
                .fetch_optional(&self.pool)
                .await
                .map_err(query_error)?;
            Ok(())
        }
        .boxed()
    }

    fn describe(&self) -> String {
        format!("sqlite {}", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_a_file() {
        assert_eq!(
            sqlite_path("sqlite://data/siad-demo.db").unwrap(),
            PathBuf::from("data/siad-demo.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///var/lib/siad.db?mode=ro").unwrap(),
            PathBuf::from("/var/lib/siad.db")
        );
        assert_eq!(
            sqlite_path("SQLITE:siad.db").unwrap(),
            PathBuf::from("siad.db")
        );
        assert!(matches!(
            sqlite_path("sqlite://"),
            Err(SiadError::Settings(_))
        ));
        assert!(matches!(
            sqlite_path("sqlite::memory:"),
            Err(SiadError::Settings(_))
        ));
    }

    #[tokio::test]
    async fn a_missing_file_says_how_to_create_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = SqliteDirectory::open_path(&dir.path().join("nope.db"))
            .await
            .unwrap_err();
        assert!(matches!(err, SiadError::Unreachable(_)));
        assert!(err.to_string().contains("siad seed-demo"), "{err}");
    }
}
