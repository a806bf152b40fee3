//! The SIAD directory: who a person is (by CI), who is enrolled in a program and period, who is
//! staff of a type, and their photo; and the lifecycle's roster: the students of a period, the
//! staff with an active contract, the current periods and a version of every photo.
//!
//! [`Directory`] has two implementations, chosen by `siad.url`:
//! - `mssql://host[:port]/database` or `sqlserver://…` → [`MssqlDirectory`]: the institution's
//!   SQL Server through tiberius, with the queries taken from configuration (the SIAD schema
//!   differs per installation) and run with bound parameters, TLS required and the certificate
//!   validated unless configured otherwise, a small connection pool and timeouts;
//! - `sqlite://path` → [`SqliteDirectory`]: a fixed schema with the SIAD column names, for demo,
//!   development and tests (`hikbridge siad seed-demo` creates one).
//!
//! The trait returns boxed futures rather than `async fn` so that it stays object safe: the
//! service holds an `Arc<dyn Directory>` and tests can substitute their own.
//!
//! Errors are [`SiadError`]: `Unreachable` (connect, TLS, login, timeouts — the HTTP layer
//! answers 503 with the reason), `Query` (the SQL was refused: fix the configured query),
//! `Mapping` (a row does not have the expected columns), `Settings` (the configuration cannot
//! work) and `NotConfigured` (`siad.url` is empty). No message ever contains the password.

pub mod model;
pub mod mssql;
#[cfg(feature = "sim")]
pub mod seed;
pub mod sqlite;

pub use model::{person_from_row, SiadPerson};
pub use mssql::MssqlDirectory;
pub use sqlite::SqliteDirectory;

use crate::config::SiadSettings;
use futures::future::BoxFuture;
use std::sync::Arc;

/// Why the SIAD directory could not answer.
#[derive(Debug, thiserror::Error)]
pub enum SiadError {
    /// SIAD could not be reached: connection refused, TLS, login, or a timeout. Temporary from
    /// the caller's point of view (HTTP 503).
    #[error("SIAD is unreachable: {0}")]
    Unreachable(String),
    /// SIAD refused or failed a query (for SQL Server: check the configured `siad.query_*`).
    #[error("SIAD query failed: {0}")]
    Query(String),
    /// A row did not have the expected columns or types.
    #[error("SIAD returned an unexpected row: {0}")]
    Mapping(String),
    /// The `siad.*` settings cannot work (bad URL, CA file, conflicting TLS options).
    #[error("SIAD settings are not usable: {0}")]
    Settings(String),
    /// `siad.url` is empty.
    #[error(
        "SIAD is not configured: set siad.url, e.g. sqlite://data/siad-demo.db \
         or mssql://host:1433/SIAD"
    )]
    NotConfigured,
}

/// Read access to SIAD. Object safe: use it as `Arc<dyn Directory>`.
pub trait Directory: Send + Sync {
    /// The person with this CI (surrounding spaces ignored), or `None`.
    fn person_by_ci(&self, ci: &str) -> BoxFuture<'_, Result<Option<SiadPerson>, SiadError>>;
    /// Students enrolled in `program`, in `period` when given (`idper`), else in any period; each
    /// person once.
    fn students(
        &self,
        program: &str,
        period: Option<&str>,
    ) -> BoxFuture<'_, Result<Vec<SiadPerson>, SiadError>>;
    /// People whose `TipoInfPer` is `person_type`.
    fn staff(&self, person_type: &str) -> BoxFuture<'_, Result<Vec<SiadPerson>, SiadError>>;
    /// The person's `Fotografia` bytes as stored (any format), or `None` when there is none.
    fn photo(&self, ci: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, SiadError>>;
    /// The lifecycle's roster: students enrolled in `period` (`siad.query_active_students`), each
    /// person once.
    fn active_students(&self, period: &str) -> BoxFuture<'_, Result<Vec<SiadPerson>, SiadError>> {
        let _ = period;
        Box::pin(async { Err(no_roster()) })
    }
    /// The lifecycle's roster: staff of every type with an active contract now
    /// (`siad.query_active_staff`), each person once.
    fn active_staff(&self) -> BoxFuture<'_, Result<Vec<SiadPerson>, SiadError>> {
        Box::pin(async { Err(no_roster()) })
    }
    /// The current period ids (`siad.query_current_periods`); an error when no query is set.
    fn current_periods(&self) -> BoxFuture<'_, Result<Vec<String>, SiadError>> {
        Box::pin(async { Err(no_roster()) })
    }
    /// `(CI, version)` of every photo, where the version changes whenever the photo does
    /// (`siad.query_photo_versions`); `None` when not available (the caller then reads and
    /// hashes each photo it needs).
    fn photo_versions(&self) -> BoxFuture<'_, Result<Option<PhotoVersions>, SiadError>> {
        Box::pin(async { Ok(None) })
    }
    /// A cheap round trip that proves SIAD answers (health checks, `check-config`).
    fn ping(&self) -> BoxFuture<'_, Result<(), SiadError>>;
    /// Where this directory reads from, for logs and health: `sqlite data/siad-demo.db`,
    /// `mssql host:1433/SIAD (user hik_reader)`. Never contains a password.
    fn describe(&self) -> String;
}

/// `(CI, version)` of every photo SIAD has.
pub type PhotoVersions = Vec<(String, String)>;

/// The version of a photo as this service computes it when SIAD offers none: the SHA-256 of
/// its bytes, hex. Any change to the photo changes it.
pub fn photo_version(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// What a directory without roster queries answers.
fn no_roster() -> SiadError {
    SiadError::Settings("this SIAD directory has no roster queries".into())
}

/// The directory `settings.url` names.
///
/// SQLite: the file must exist (create it with `hikbridge siad seed-demo`); it is opened
/// read-only. SQL Server: the settings are validated (URL, TLS options, CA file) but no
/// connection is made, so the service can start while SIAD is down — use [`Directory::ping`].
pub async fn open(settings: &SiadSettings) -> Result<Arc<dyn Directory>, SiadError> {
    if !settings.is_configured() {
        return Err(SiadError::NotConfigured);
    }
    let url = settings.url.trim();
    let scheme = url
        .split_once(':')
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    match scheme.as_str() {
        "sqlite" => Ok(Arc::new(SqliteDirectory::open_url(url).await?)),
        "mssql" | "sqlserver" => Ok(Arc::new(MssqlDirectory::new(settings)?)),
        _ => Err(SiadError::Settings(format!(
            "siad.url has the scheme `{scheme}`; use sqlite://path (demo) or \
             mssql://host:1433/database (SQL Server)"
        ))),
    }
}
