//! Where and how to connect: `siad.url` parsed into a [`MssqlTarget`], the TLS [`Trust`], the
//! validated [`ConnectPlan`] (login, timeouts, pool size) and its tiberius configuration, and the
//! start-time check of `siad.ca_file`.

use crate::config::SiadSettings;
use crate::secret::Secret;
use crate::siad::SiadError;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
        let positive = |value: Duration, key: &str| -> Result<Duration, SiadError> {
            if value.is_zero() {
                return Err(SiadError::Settings(format!(
                    "{key} is 0; set a positive number of milliseconds"
                )));
            }
            Ok(value)
        };
        positive(
            settings.roster_query_timeout,
            "siad.roster_query_timeout_ms",
        )?;
        Ok(Self {
            target,
            user,
            trust,
            connect_timeout: positive(settings.connect_timeout, "siad.connect_timeout_ms")?,
            query_timeout: positive(settings.query_timeout, "siad.query_timeout_ms")?,
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
