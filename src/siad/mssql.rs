//! SIAD on the institution's SQL Server, through tiberius.
//!
//! Choices:
//! - **SQL from configuration.** The four `siad.query_*` settings are run as given with
//!   `tiberius::Query::new(sql)` and their arguments bound in order (`@P1`, `@P2`) — never
//!   concatenated into the SQL. [`SiadQuery::params`] is the binding plan, tested per query.
//!   "Students in any period" binds `@P2` as the empty string, which the default query reads as
//!   `(@P2 = '' OR m.idper = @P2)`.
//! - **TLS always required** (`EncryptionLevel::Required`). The server certificate is validated
//!   against the system's roots by default; `siad.ca_file` validates it against that one CA
//!   instead (tiberius 0.12 then trusts only that CA); `siad.trust_server_certificate = true`
//!   skips validation and is logged as a warning when the directory is created.
//! - **A small hand-written pool** (`mssql/pool.rs`): a semaphore of `siad.pool_size` permits
//!   and a list of idle clients. A client is returned to the list only after a query that
//!   completed; a reused client that fails with a connection error is replaced once. Simpler
//!   than a pool crate for four read-only queries, and no extra dependency pinned to a tiberius
//!   version.
//! - **Timeouts.** Connecting (TCP, TLS, login) is bounded by `siad.connect_timeout_ms`; waiting
//!   for a free connection and running one query each by `siad.query_timeout_ms`. Both end in
//!   [`SiadError::Unreachable`] naming the setting.
//! - **Mapping** is shared with SQLite ([`super::person_from_row`]); column names are matched
//!   case-insensitively (SQL Server's own rule) and text-like values are trimmed.

mod pool;
#[cfg(test)]
mod tests;

use super::model::{column, dedupe_by_ci, normalise_ci, person_from_row};
use super::{Directory, SiadError, SiadPerson};
use crate::config::SiadSettings;
use crate::secret::Secret;
use futures::future::BoxFuture;
use futures::FutureExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tiberius::{ColumnData, Row};

/// SQL Server's default TCP port.
pub const DEFAULT_PORT: u16 = 1433;

/// Where SIAD lives, from `mssql://host[:port]/database` (or `sqlserver://…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MssqlTarget {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    pub database: String,
}

/// How the server certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Against the system's root certificates (the default).
    SystemRoots,
    /// Against this CA certificate only (`siad.ca_file`).
    CaFile(PathBuf),
    /// Not at all (`siad.trust_server_certificate = true`; labs only).
    AnyCertificate,
}

/// Everything needed to connect except the password: pure, testable, printable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectPlan {
    pub target: MssqlTarget,
    pub user: String,
    pub trust: Trust,
    pub connect_timeout: Duration,
    pub query_timeout: Duration,
    pub pool_size: usize,
}

impl ConnectPlan {
    /// Validates the settings that do not need the filesystem or the network.
    pub fn from_settings(settings: &SiadSettings) -> Result<Self, SiadError> {
        let target = parse_url(&settings.url)?;
        let user = settings.user.trim().to_owned();
        if user.is_empty() {
            return Err(SiadError::Settings(
                "siad.user is empty; set the SQL Server login (the password comes from \
                 HIKBRIDGE__SIAD__PASSWORD or siad.password_file)"
                    .to_owned(),
            ));
        }
        if settings.password.is_empty() {
            return Err(SiadError::Settings(
                "no SQL Server password; set HIKBRIDGE__SIAD__PASSWORD or siad.password_file"
                    .to_owned(),
            ));
        }
        let ca_file = settings.ca_file.trim();
        let trust = match (settings.trust_server_certificate, ca_file.is_empty()) {
            (true, false) => {
                return Err(SiadError::Settings(
                    "siad.trust_server_certificate = true and siad.ca_file are both set; \
                     keep only siad.ca_file (validates the certificate against that CA)"
                        .to_owned(),
                ))
            }
            (true, true) => Trust::AnyCertificate,
            (false, false) => Trust::CaFile(PathBuf::from(ca_file)),
            (false, true) => Trust::SystemRoots,
        };
        let positive = |value: u64, key: &str| -> Result<Duration, SiadError> {
            if value == 0 {
                return Err(SiadError::Settings(format!(
                    "{key} is 0; set a positive number of milliseconds"
                )));
            }
            Ok(Duration::from_millis(value))
        };
        Ok(Self {
            target,
            user,
            trust,
            connect_timeout: positive(settings.connect_timeout_ms, "siad.connect_timeout_ms")?,
            query_timeout: positive(settings.query_timeout_ms, "siad.query_timeout_ms")?,
            pool_size: usize::try_from(settings.pool_size.max(1)).unwrap_or(1),
        })
    }

    /// The tiberius configuration: SQL Server login, TLS required, trust as planned.
    pub fn tiberius_config(&self, password: &Secret) -> tiberius::Config {
        let mut config = tiberius::Config::new();
        config.host(&self.target.host);
        config.port(self.target.port);
        config.database(&self.target.database);
        config.application_name("hikbridge");
        config.authentication(tiberius::AuthMethod::sql_server(
            &self.user,
            password.expose(),
        ));
        config.encryption(tiberius::EncryptionLevel::Required);
        // Exactly one of trust_cert / trust_cert_ca is ever called (tiberius panics on both).
        match &self.trust {
            Trust::SystemRoots => {}
            Trust::CaFile(path) => config.trust_cert_ca(path.display()),
            Trust::AnyCertificate => config.trust_cert(),
        }
        config
    }

    /// `host:port/database (user …)`.
    pub fn describe(&self) -> String {
        let host = if self.target.host.contains(':') {
            format!("[{}]", self.target.host)
        } else {
            self.target.host.clone()
        };
        format!(
            "{host}:{}/{} (user {})",
            self.target.port, self.target.database, self.user
        )
    }
}

/// Parses `mssql://host[:port]/database` or `sqlserver://…`. Credentials in the URL are refused
/// (the user is `siad.user`, the password comes from the environment or a file), and so is a
/// query string (TLS options are `siad.trust_server_certificate` and `siad.ca_file`).
pub fn parse_url(url: &str) -> Result<MssqlTarget, SiadError> {
    let example = "mssql://sql.example.edu:1433/SIAD";
    let bad = |why: &str| SiadError::Settings(format!("siad.url: {why} (example: {example})"));
    // The parse error never echoes the input, so nothing secret can leak through it.
    let parsed = url::Url::parse(url.trim())
        .map_err(|e| bad(&format!("cannot be parsed as a URL ({e})")))?;
    if !matches!(parsed.scheme(), "mssql" | "sqlserver") {
        return Err(bad("the scheme must be mssql:// or sqlserver://"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad(
            "credentials do not belong in the URL; set siad.user and HIKBRIDGE__SIAD__PASSWORD",
        ));
    }
    if parsed.query().is_some() {
        return Err(bad(
            "query parameters are not supported; TLS is set with siad.trust_server_certificate \
             and siad.ca_file",
        ));
    }
    let host = match parsed.host() {
        Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        _ => return Err(bad("no host")),
    };
    let database = parsed.path().trim_matches('/');
    if database.is_empty() {
        return Err(bad("no database name after the host"));
    }
    if database.contains('/') {
        return Err(bad("the path must be just the database name"));
    }
    let database = crate::percent::decode(database)
        .ok_or_else(|| bad("the database name has an invalid %-escape or is not UTF-8"))?;
    Ok(MssqlTarget {
        host,
        port: parsed.port().unwrap_or(DEFAULT_PORT),
        database,
    })
}

/// Checks `siad.ca_file` the way tiberius 0.12 will read it, so a mistake shows at start with a
/// clear message instead of at the first query: a `.pem`/`.crt` file with exactly one
/// certificate, or a `.der` file.
pub fn check_ca_file(path: &Path) -> Result<(), SiadError> {
    let bad = |why: String| SiadError::Settings(format!("siad.ca_file {}: {why}", path.display()));
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !matches!(extension.as_str(), "pem" | "crt" | "der") {
        return Err(bad(
            "the file name must end in .pem, .crt or .der (what the SQL Server driver accepts)"
                .to_owned(),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot be read ({e})")))?;
    if extension != "der" {
        let count = String::from_utf8_lossy(&bytes)
            .matches("-----BEGIN CERTIFICATE-----")
            .count();
        if count != 1 {
            return Err(bad(format!(
                "holds {count} PEM certificates; it must hold exactly one (the CA that signed \
                 the SQL Server certificate)"
            )));
        }
    } else if bytes.is_empty() {
        return Err(bad("is empty".to_owned()));
    }
    Ok(())
}

/// One of the four configured queries with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiadQuery {
    PersonByCi {
        ci: String,
    },
    Students {
        program: String,
        period: Option<String>,
    },
    Staff {
        person_type: String,
    },
    PhotoByCi {
        ci: String,
    },
}

impl SiadQuery {
    /// The setting that holds this query's SQL.
    pub fn setting_key(&self) -> &'static str {
        match self {
            Self::PersonByCi { .. } => "siad.query_person_by_ci",
            Self::Students { .. } => "siad.query_students_by_program_period",
            Self::Staff { .. } => "siad.query_staff_by_type",
            Self::PhotoByCi { .. } => "siad.query_photo_by_ci",
        }
    }

    /// The configured SQL.
    pub fn sql<'s>(&self, settings: &'s SiadSettings) -> &'s str {
        match self {
            Self::PersonByCi { .. } => &settings.query_person_by_ci,
            Self::Students { .. } => &settings.query_students_by_program_period,
            Self::Staff { .. } => &settings.query_staff_by_type,
            Self::PhotoByCi { .. } => &settings.query_photo_by_ci,
        }
    }

    /// The binding plan: element `i` is bound as `@P{i+1}`.
    pub fn params(&self) -> Vec<String> {
        match self {
            Self::PersonByCi { ci } | Self::PhotoByCi { ci } => vec![ci.clone()],
            Self::Students { program, period } => {
                vec![program.clone(), period.clone().unwrap_or_default()]
            }
            Self::Staff { person_type } => vec![person_type.clone()],
        }
    }

    /// The statement to run: `sql` with [`Self::params`] to bind in order.
    pub(crate) fn statement(&self, sql: &str) -> Statement {
        Statement {
            sql: sql.to_owned(),
            params: self.params(),
            key: self.setting_key(),
        }
    }
}

/// The SQL to run and what it is called, as the pool needs it.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub sql: String,
    pub params: Vec<String>,
    /// The setting the SQL came from, for error messages.
    pub key: &'static str,
}

impl Statement {
    /// `Query::new(sql)` with the parameters bound in order — the only way SIAD SQL is built.
    pub(crate) fn to_query(&self) -> tiberius::Query<'static> {
        let mut query = tiberius::Query::new(self.sql.clone());
        for p in &self.params {
            query.bind(p.clone());
        }
        query
    }
}

/// A row as (column name, value) pairs, in result order.
type Cells<'r> = [(&'r str, &'r ColumnData<'static>)];

fn cells_of(row: &Row) -> Vec<(&str, &ColumnData<'static>)> {
    row.cells().map(|(c, data)| (c.name(), data)).collect()
}

/// The column `name` (case-insensitive, as SQL Server compares names).
fn cell<'r>(cells: &Cells<'r>, name: &str) -> Option<&'r ColumnData<'static>> {
    cells
        .iter()
        .find(|(column, _)| column.eq_ignore_ascii_case(name))
        .map(|(_, data)| *data)
}

/// A cell read as text: strings as they are, integers, decimals and GUIDs in their usual
/// form; anything else is an error naming the SQL type.
pub fn text_from_cell(data: &ColumnData<'_>) -> Result<Option<String>, String> {
    Ok(match data {
        ColumnData::String(v) => v.as_ref().map(|s| s.to_string()),
        ColumnData::U8(v) => v.map(|n| n.to_string()),
        ColumnData::I16(v) => v.map(|n| n.to_string()),
        ColumnData::I32(v) => v.map(|n| n.to_string()),
        ColumnData::I64(v) => v.map(|n| n.to_string()),
        ColumnData::Numeric(v) => v.map(|n| n.to_string()),
        ColumnData::Guid(v) => v.map(|g| g.to_string()),
        other => {
            return Err(format!(
                "has SQL type {}; expected text (CAST it to VARCHAR in the query)",
                type_name(other)
            ))
        }
    })
}

/// A cell read as image bytes: binary (`varbinary`, `image`), NULL or empty → `None`.
pub fn bytes_from_cell(data: &ColumnData<'_>) -> Result<Option<Vec<u8>>, String> {
    match data {
        ColumnData::Binary(v) => Ok(v.as_ref().filter(|b| !b.is_empty()).map(|b| b.to_vec())),
        other => Err(format!(
            "has SQL type {}; expected binary image data (varbinary or image)",
            type_name(other)
        )),
    }
}

fn type_name(data: &ColumnData<'_>) -> &'static str {
    match data {
        ColumnData::U8(_) => "tinyint",
        ColumnData::I16(_) => "smallint",
        ColumnData::I32(_) => "int",
        ColumnData::I64(_) => "bigint",
        ColumnData::F32(_) | ColumnData::F64(_) => "float",
        ColumnData::Bit(_) => "bit",
        ColumnData::String(_) => "text",
        ColumnData::Guid(_) => "uniqueidentifier",
        ColumnData::Binary(_) => "binary",
        ColumnData::Numeric(_) => "decimal",
        ColumnData::Xml(_) => "xml",
        _ => "date/time",
    }
}

/// One person from a SQL Server row (see [`person_from_row`] for the rules).
fn person_from_cells(cells: &Cells<'_>) -> Result<SiadPerson, SiadError> {
    person_from_row(|name| match cell(cells, name) {
        Some(data) => text_from_cell(data),
        None => Err("not in the result set".to_owned()),
    })
}

/// The photo column: `Fotografia`, or the only column when the query aliased it differently.
fn photo_from_cells(cells: &Cells<'_>) -> Result<Option<Vec<u8>>, SiadError> {
    let data = cell(cells, column::PHOTO).or(match cells {
        [(_, only)] => Some(*only),
        _ => None,
    });
    let data = data.ok_or_else(|| {
        SiadError::Mapping(format!(
            "column {} is not in the result of siad.query_photo_by_ci",
            column::PHOTO
        ))
    })?;
    bytes_from_cell(data).map_err(|e| SiadError::Mapping(format!("column {}: {e}", column::PHOTO)))
}

/// The SIAD directory on SQL Server.
pub struct MssqlDirectory {
    plan: ConnectPlan,
    settings: SiadSettings,
    pool: pool::Pool,
}

/// Shows where it connects; the settings' password is a [`Secret`] and is never printed.
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
            pool: pool::Pool::new(plan.clone(), settings.password.clone()),
            plan,
            settings: settings.clone(),
        })
    }

    /// The validated connection plan.
    pub fn plan(&self) -> &ConnectPlan {
        &self.plan
    }

    fn statement(&self, query: &SiadQuery) -> Statement {
        query.statement(query.sql(&self.settings))
    }

    async fn people(&self, query: SiadQuery) -> Result<Vec<SiadPerson>, SiadError> {
        let rows = self.pool.rows(&self.statement(&query)).await?;
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
            let rows = self.pool.rows(&self.statement(&query)).await?;
            match rows.first() {
                Some(row) => photo_from_cells(&cells_of(row)),
                None => Ok(None),
            }
        }
        .boxed()
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), SiadError>> {
        async move {
            let ping = Statement {
                sql: "SELECT 1".to_owned(),
                params: Vec::new(),
                key: "ping",
            };
            self.pool.rows(&ping).await.map(|_| ())
        }
        .boxed()
    }

    fn describe(&self) -> String {
        format!("mssql {}", self.plan.describe())
    }
}
