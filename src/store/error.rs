//! What can go wrong with the store, worded for the operator who reads it.
//!
//! No variant ever carries a password: URLs are redacted before they are put in a message.

use super::Backend;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names a database this service cannot use.
    #[error(
        "unsupported database URL scheme {}: use a SQLite file such as \
         `sqlite://data/hikbridge.db` or PostgreSQL such as `postgres://user@host:5432/db`",
        show_scheme(.scheme)
    )]
    UnsupportedUrl { scheme: String },

    /// The scheme is right but the rest of the URL cannot be used.
    #[error("invalid database URL: {reason}")]
    InvalidUrl { reason: String },

    /// A store setting is out of range.
    #[error("invalid store setting: {0}")]
    InvalidOptions(String),

    /// The database could not be reached or opened.
    #[error("cannot connect to the {backend} database: {reason}")]
    Connect { backend: Backend, reason: String },

    /// Applying the schema migrations failed; the database keeps the last version that applied.
    #[error(
        "database migration failed: {0}. The database keeps the last migration that applied; \
         fix the cause and start the service again"
    )]
    Migrate(String),

    /// A statement failed on an open connection.
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),

    /// A statement failed on a connection the store drives directly (the inbox's, on SQLite).
    #[error("database query failed: {0}")]
    Direct(#[from] rusqlite::Error),

    /// The thread running a transaction stopped before it finished (nothing was committed).
    #[error("the database write was interrupted: {0}")]
    Interrupted(String),
}

impl StoreError {
    /// The database refused the values of a statement (not the database's own trouble): on
    /// PostgreSQL a data exception (class 22, e.g. a NUL byte in text) or a program limit
    /// (class 54); on SQLite a string or blob too big; or a value sqlx could not encode.
    pub fn is_refused_input(&self) -> bool {
        match self {
            StoreError::Query(sqlx::Error::Database(db)) => db.code().is_some_and(|c| {
                c.starts_with("22") || c.starts_with("54") || c == "18" // SQLITE_TOOBIG
            }),
            StoreError::Query(sqlx::Error::Encode(_)) => true,
            StoreError::Direct(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::TooBig
            }
            StoreError::Direct(rusqlite::Error::ToSqlConversionFailure(_)) => true,
            _ => false,
        }
    }
}

fn show_scheme(scheme: &str) -> String {
    if scheme.is_empty() {
        "(none)".to_owned()
    } else {
        format!("`{scheme}:`")
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        use sqlx::migrate::MigrateError as M;
        let hint = match &e {
            M::VersionMissing(_) => {
                " (the database was migrated by a newer hikbridge: run that version or restore a backup)"
            }
            M::VersionMismatch(_) => {
                " (an applied migration file was edited after it ran: restore the original file)"
            }
            M::Dirty(_) => " (a previous migration stopped half-way: repair the schema by hand)",
            _ => "",
        };
        StoreError::Migrate(format!("{e}{hint}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_url_names_the_scheme_and_both_examples() {
        let msg = StoreError::UnsupportedUrl {
            scheme: "mysql".into(),
        }
        .to_string();
        assert!(msg.contains("`mysql:`"), "{msg}");
        assert!(msg.contains("sqlite://data/hikbridge.db"), "{msg}");
        assert!(msg.contains("postgres://user@host:5432/db"), "{msg}");

        let msg = StoreError::UnsupportedUrl {
            scheme: String::new(),
        }
        .to_string();
        assert!(msg.contains("(none)"), "{msg}");
    }
}
