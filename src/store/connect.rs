//! Building the pool: URL → backend, SQLite file and pragmas, and connection errors that say
//! what to check.

use super::url::{classify, passwords_in, redact_url, scrub, sqlite_connect_url, Target};
use super::{Backend, StoreError, StoreOptions};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, AnyPool, Connection};
use std::time::Duration;

/// The pools of a store.
pub(super) struct Pools {
    /// Reads, migrations and single-statement writes.
    pub pool: AnyPool,
    /// SQLite file: the one connection every write transaction uses ([`writer_pool`]).
    pub writer: Option<AnyPool>,
    pub backend: Backend,
    /// SQLite file: its absolute path, and whether the URL opened it read-only (`mode=ro`).
    pub sqlite_file: Option<(std::path::PathBuf, bool)>,
}

pub(super) async fn open_pools(url: &str, opts: &StoreOptions) -> Result<Pools, StoreError> {
    let (pool, backend, file) = open_pool(url, opts).await?;
    let writer = match file.as_ref().map(|f| f.connect_url.clone()) {
        Some(connect_url) => match writer_pool(opts).connect(&connect_url).await {
            Ok(writer) => Some(writer),
            Err(e) => {
                pool.close().await;
                return Err(connect_error(backend, url, &connect_url, e, opts).await);
            }
        },
        None => None,
    };
    Ok(Pools {
        pool,
        writer,
        backend,
        sqlite_file: file.map(|f| (f.path, f.read_only)),
    })
}

/// A SQLite file store: what its writers connect to.
struct SqliteFile {
    connect_url: String,
    path: std::path::PathBuf,
    read_only: bool,
}

/// SQLite file: write transactions take their turns anyway (the store's write gate), so they
/// share one connection that is kept open. SQLite drops a connection's whole page cache when it
/// finds that another connection has committed since its last transaction; with writes spread
/// over the pool, nearly every group commit started cold and read back the pages it was about
/// to change. One writer keeps them cached.
fn writer_pool(opts: &StoreOptions) -> AnyPoolOptions {
    one_kept_connection(with_sqlite_pragmas(
        AnyPoolOptions::new().acquire_timeout(opts.connect_timeout),
        opts.busy_timeout,
    ))
}

/// Exactly one connection, opened at once and never closed for being idle or old.
fn one_kept_connection(options: AnyPoolOptions) -> AnyPoolOptions {
    options
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
}

/// The main pool, and for a SQLite file what its writers connect to. On a SQLite file the
/// writer is one of `max_connections`.
async fn open_pool(
    url: &str,
    opts: &StoreOptions,
) -> Result<(AnyPool, Backend, Option<SqliteFile>), StoreError> {
    validate(opts)?;
    sqlx::any::install_default_drivers(); // idempotent (guarded by a `Once` inside sqlx)
    let target = classify(url)?;
    let backend = target.backend();
    let base = AnyPoolOptions::new().acquire_timeout(opts.connect_timeout);
    let (pool_options, connect_url, writer) = match target {
        Target::Postgres => (
            base.max_connections(opts.max_connections),
            url.trim().to_owned(),
            None,
        ),
        // Every new connection to `sqlite::memory:` is a new, empty database, so keep exactly one.
        Target::SqliteMemory => (
            one_kept_connection(with_sqlite_pragmas(base, opts.busy_timeout)),
            "sqlite::memory:".to_owned(),
            None,
        ),
        Target::SqliteFile { path, params } => {
            let absolute = std::path::absolute(&path).map_err(|e| StoreError::InvalidUrl {
                reason: format!("cannot resolve SQLite path {}: {e}", path.display()),
            })?;
            create_parent_dir(&absolute).await?;
            let connect_url = sqlite_connect_url(&absolute, &params)?;
            let read_only = ::url::form_urlencoded::parse(params.as_bytes())
                .any(|(k, v)| k == "mode" && v == "ro");
            (
                with_sqlite_pragmas(base, opts.busy_timeout)
                    .max_connections(opts.max_connections.saturating_sub(1).max(1)),
                connect_url.clone(),
                Some(SqliteFile {
                    connect_url,
                    path: absolute,
                    read_only,
                }),
            )
        }
    };
    match pool_options.connect(&connect_url).await {
        Ok(pool) => Ok((pool, backend, writer)),
        Err(e) => Err(connect_error(backend, url, &connect_url, e, opts).await),
    }
}

fn validate(opts: &StoreOptions) -> Result<(), StoreError> {
    if opts.max_connections == 0 {
        return Err(StoreError::InvalidOptions(
            "max_connections is 0; set it to at least 1 (default 8)".to_owned(),
        ));
    }
    if opts.connect_timeout.is_zero() {
        return Err(StoreError::InvalidOptions(
            "connect_timeout is 0; set it to a positive duration (default 5 s)".to_owned(),
        ));
    }
    Ok(())
}

async fn create_parent_dir(file: &std::path::Path) -> Result<(), StoreError> {
    let Some(dir) = file.parent() else {
        return Ok(());
    };
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| StoreError::Connect {
            backend: Backend::Sqlite,
            reason: format!(
                "cannot create the directory {} ({e}); create it or make it writable by the service",
                dir.display()
            ),
        })
}

/// SQLite connections get their pragmas when opened. They are not pinged when taken from the
/// pool: an SQLite connection is a handle to a file in this process, not a socket that can go
/// stale, and the ping is a round trip to sqlx's connection thread on every transaction (on the
/// ingest path, once per group commit). A write that fails closes its connection anyway
/// ([`super::WriteTx`]).
fn with_sqlite_pragmas(options: AnyPoolOptions, busy_timeout: Duration) -> AnyPoolOptions {
    options
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| Box::pin(sqlite_pragmas(conn, busy_timeout)))
}

/// Per-connection SQLite settings: wait for other writers, write-ahead log, fsync of the log at
/// every commit (`synchronous = FULL`: a committed transaction survives a power loss, not only
/// a process crash; group commit makes that one fsync per batch), enforce foreign keys.
async fn sqlite_pragmas(
    conn: &mut AnyConnection,
    busy_timeout: Duration,
) -> Result<(), sqlx::Error> {
    let busy = busy_timeout.as_millis().min(i32::MAX as u128);
    sqlx::query(&format!("PRAGMA busy_timeout = {busy}"))
        .execute(&mut *conn)
        .await?;
    // Switching to WAL takes an exclusive lock that the busy timeout cannot wait for, so only
    // switch when needed (the mode is stored in the file: after the first connection it is WAL).
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await?;
    if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("PRAGMA synchronous = FULL")
        .execute(&mut *conn)
        .await?;
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn connect_error(
    backend: Backend,
    url: &str,
    connect_url: &str,
    error: sqlx::Error,
    opts: &StoreOptions,
) -> StoreError {
    let timeout = opts.connect_timeout;
    let cause = match error {
        sqlx::Error::PoolTimedOut => diagnose(backend, connect_url, timeout, opts.busy_timeout)
            .await
            .unwrap_or_else(|| format!("no connection within {} ms", timeout.as_millis())),
        other => other.to_string(),
    };
    let hint = match backend {
        Backend::Sqlite => "check that the file's directory exists and is writable by the service",
        Backend::Postgres => {
            "check the URL, that the server is running and reachable from here, \
             and the user's credentials"
        }
    };
    let reason = format!("{} ({cause}); {hint}", redact_url(url));
    StoreError::Connect {
        backend,
        reason: scrub(&reason, &passwords_in(url)),
    }
}

/// The pool retries refused connections and failing setup until its deadline and then reports
/// only "timed out"; one direct attempt recovers the actual cause.
async fn diagnose(
    backend: Backend,
    connect_url: &str,
    timeout: Duration,
    busy_timeout: Duration,
) -> Option<String> {
    let attempt = async {
        let mut conn = AnyConnection::connect(connect_url).await?;
        if backend == Backend::Sqlite {
            sqlite_pragmas(&mut conn, busy_timeout).await?;
        }
        conn.close().await
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Err(e)) => Some(e.to_string()),
        Ok(Ok(())) => None,
        Err(_) => Some(format!("no answer within {} ms", timeout.as_millis())),
    }
}
