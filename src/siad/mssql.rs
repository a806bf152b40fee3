//! SIAD on the institution's SQL Server, through tiberius.
//!
//! Choices:
//! - **SQL from configuration.** The `siad.query_*` settings are run as given with
//!   `tiberius::Query::new(sql)` and their arguments bound in order (`@P1`, `@P2`) — never
//!   concatenated into the SQL. [`SiadQuery::params`] is the binding plan, tested per query.
//!   "Students in any period" binds `@P2` as the empty string, which the default query reads as
//!   `(@P2 = '' OR m.idper = @P2)`. An empty setting is refused with what to set, except
//!   `siad.query_photo_versions`, which is optional (`photo_versions` is then `None`).
//! - **The roster** (`active_students`, `active_staff`, `current_periods`, `photo_versions`)
//!   reads every active person at once, so those queries get `siad.roster_query_timeout_ms`
//!   instead of the per-request `siad.query_timeout_ms`. People are deduplicated by CI like the
//!   other person queries; period ids and photo versions are read tolerantly by SQL type
//!   (`mssql/roster.rs`).
//! - **TLS always required** (`EncryptionLevel::Required`). The server certificate is validated
//!   against the system's roots by default; `siad.ca_file` validates it against that one CA
//!   instead (tiberius 0.12 then trusts only that CA); `siad.trust_server_certificate = true`
//!   skips validation and is logged as a warning when the directory is created.
//! - **A deadpool pool** (`mssql/pool.rs`) of at most `siad.pool_size` clients. deadpool is
//!   generic, so it is not pinned to a tiberius version (the tiberius-specific pool crates are);
//!   the connecting (timeouts, redirect, TLS panic) stays ours. A client goes back to the pool
//!   only after a query that completed; a reused client that fails with a connection error is
//!   replaced once.
//! - **Timeouts.** Connecting (TCP, TLS, login) is bounded by `siad.connect_timeout_ms`; waiting
//!   for a free connection and running one query each by `siad.query_timeout_ms`. Both end in
//!   [`SiadError::Unreachable`] naming the setting.
//! - **Mapping** is shared with SQLite ([`super::person_from_row`]); column names are matched
//!   case-insensitively (SQL Server's own rule) and text-like values are trimmed.

mod cells;
mod connect;
mod pool;
mod query;
mod roster;
#[cfg(test)]
mod tests;

pub use cells::{bytes_from_cell, text_from_cell};
pub use connect::{check_ca_file, parse_url, ConnectPlan, MssqlTarget, Trust, DEFAULT_PORT};
pub use query::SiadQuery;
pub(crate) use query::Statement;
pub use roster::version_text;

use super::model::{dedupe_by_ci, normalise_ci};
use super::{Directory, PhotoVersions, SiadError, SiadPerson};
use crate::config::SiadSettings;
use cells::{cells_of, person_from_cells, photo_from_cells};
use futures::future::BoxFuture;
use futures::FutureExt;
use roster::{period_from_cells, version_from_cells};

/// The SIAD directory on SQL Server.
pub struct MssqlDirectory {
    plan: ConnectPlan,
    settings: SiadSettings,
    pool: pool::Pool,
}

/// Shows where it connects; the settings' password is a [`Secret`](crate::secret::Secret) and is never printed.
impl std::fmt::Debug for MssqlDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MssqlDirectory")
            .field("plan", &self.plan)
            .finish_non_exhaustive()
    }
}

impl MssqlDirectory {
    /// Validates the settings (URL, user, password present, TLS options, CA file) without
    /// connecting. Logs a warning when certificate validation is switched off.
    pub fn new(settings: &SiadSettings) -> Result<Self, SiadError> {
        let plan = ConnectPlan::from_settings(settings)?;
        match &plan.trust {
            Trust::CaFile(path) => check_ca_file(path)?,
            Trust::AnyCertificate => tracing::warn!(
                siad = %plan.describe(),
                "siad.trust_server_certificate = true: the SQL Server certificate is NOT \
                 validated, so anyone on the network path can impersonate SIAD and capture the \
                 login; use siad.ca_file instead outside a lab"
            ),
            Trust::SystemRoots => {}
        }
        Ok(Self {
            pool: pool::Pool::new(plan.clone(), settings.password.clone())?,
            plan,
            settings: settings.clone(),
        })
    }

    /// The validated connection plan.
    pub fn plan(&self) -> &ConnectPlan {
        &self.plan
    }

    /// The configured statement for `query`; an empty setting is refused with what to set.
    fn statement(&self, query: &SiadQuery) -> Result<Statement, SiadError> {
        let sql = query.sql(&self.settings);
        if sql.trim().is_empty() {
            return Err(SiadError::Settings(query.when_empty()));
        }
        let mut statement = query.statement(sql);
        if query.is_roster() {
            statement.timeout = Some(self.settings.roster_query_timeout);
        }
        Ok(statement)
    }

    async fn people(&self, query: SiadQuery) -> Result<Vec<SiadPerson>, SiadError> {
        let rows = self.pool.rows(&self.statement(&query)?).await?;
        rows.iter()
            .map(|row| person_from_cells(&cells_of(row)))
            .collect()
    }
}

impl Directory for MssqlDirectory {
    fn person_by_ci(&self, ci: &str) -> BoxFuture<'_, Result<Option<SiadPerson>, SiadError>> {
        let ci = normalise_ci(ci).to_owned();
        async move {
            let people = self.people(SiadQuery::PersonByCi { ci }).await?;
            Ok(people.into_iter().next())
        }
        .boxed()
    }

    fn students(
        &self,
        program: &str,
        period: Option<&str>,
    ) -> BoxFuture<'_, Result<Vec<SiadPerson>, SiadError>> {
        let query = SiadQuery::Students {
            program: program.trim().to_owned(),
            period: period
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty()),
        };
        async move { Ok(dedupe_by_ci(self.people(query).await?)) }.boxed()
    }

    fn staff(&self, person_type: &str) -> BoxFuture<'_, Result<Vec<SiadPerson>, SiadError>> {
        let query = SiadQuery::Staff {
            person_type: person_type.trim().to_owned(),
        };
        async move { Ok(dedupe_by_ci(self.people(query).await?)) }.boxed()
    }

    fn photo(&self, ci: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, SiadError>> {
        let query = SiadQuery::PhotoByCi {
            ci: normalise_ci(ci).to_owned(),
        };
        async move {
            let rows = self.pool.rows(&self.statement(&query)?).await?;
            match rows.first() {
                Some(row) => photo_from_cells(&cells_of(row)),
                None => Ok(None),
            }
        }
        .boxed()
    }

    fn active_students(&self, period: &str) -> BoxFuture<'_, Result<Vec<SiadPerson>, SiadError>> {
        let query = SiadQuery::ActiveStudents {
            period: period.trim().to_owned(),
        };
        async move { Ok(dedupe_by_ci(self.people(query).await?)) }.boxed()
    }

    fn active_staff(&self) -> BoxFuture<'_, Result<Vec<SiadPerson>, SiadError>> {
        async move { Ok(dedupe_by_ci(self.people(SiadQuery::ActiveStaff).await?)) }.boxed()
    }

    fn current_periods(&self) -> BoxFuture<'_, Result<Vec<String>, SiadError>> {
        async move {
            let rows = self
                .pool
                .rows(&self.statement(&SiadQuery::CurrentPeriods)?)
                .await?;
            let mut periods = Vec::new();
            for row in &rows {
                if let Some(period) = period_from_cells(&cells_of(row))? {
                    if !periods.contains(&period) {
                        periods.push(period);
                    }
                }
            }
            Ok(periods)
        }
        .boxed()
    }

    fn photo_versions(&self) -> BoxFuture<'_, Result<Option<PhotoVersions>, SiadError>> {
        async move {
            let query = SiadQuery::PhotoVersions;
            if query.sql(&self.settings).trim().is_empty() {
                return Ok(None);
            }
            let rows = self.pool.rows(&self.statement(&query)?).await?;
            let mut seen = std::collections::HashSet::new();
            let mut versions = Vec::with_capacity(rows.len());
            for row in &rows {
                if let Some((ci, version)) = version_from_cells(&cells_of(row))? {
                    if seen.insert(ci.clone()) {
                        versions.push((ci, version));
                    }
                }
            }
            Ok(Some(versions))
        }
        .boxed()
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), SiadError>> {
        async move {
            let ping = Statement {
                sql: "SELECT 1".to_owned(),
                params: Vec::new(),
                key: "ping",
                timeout: None,
            };
            self.pool.rows(&ping).await.map(|_| ())
        }
        .boxed()
    }

    fn describe(&self) -> String {
        format!("mssql {}", self.plan.describe())
    }
}
