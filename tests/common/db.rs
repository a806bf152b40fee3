//! Fresh, migrated databases for integration tests: always SQLite, and PostgreSQL when
//! `HIKBRIDGE_TEST_POSTGRES_URL` names a server (e.g. `postgres://postgres@127.0.0.1:5432/test`).
//!
//! Each PostgreSQL test database is created as `hb_test_<uuid>` on that server and dropped when
//! the [`TestDb`] is cleaned up or dropped. With `HIKBRIDGE_REQUIRE_POSTGRES=1` a missing URL is
//! a failure, not a skip, and an unreachable server always fails.

use hikbridge::store::{redact_url, Store, StoreOptions};
use sqlx::{Connection, PgConnection};
use std::time::Duration;

pub const POSTGRES_URL_VAR: &str = "HIKBRIDGE_TEST_POSTGRES_URL";
pub const REQUIRE_POSTGRES_VAR: &str = "HIKBRIDGE_REQUIRE_POSTGRES";

const ADMIN_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A migrated database that disappears after the test.
pub struct TestDb {
    /// `"sqlite"` or `"postgres"`, for assertion messages.
    pub name: &'static str,
    pub store: Store,
    /// The URL `store` was opened with, to open a second store on the same database.
    pub url: String,
    guard: Guard,
}

enum Guard {
    Sqlite(tempfile::TempDir),
    Postgres(PgDatabase),
}

impl TestDb {
    /// Close the pool and remove the database now (dropping does the same, best effort).
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Guard::Postgres(mut db) = self.guard {
            db.drop_now().await;
        }
    }
}

/// A SQLite file in a fresh temporary directory, migrated.
pub async fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().expect("create a temporary directory for the SQLite test db");
    let url = format!("sqlite://{}", dir.path().join("hikbridge.db").display());
    let store = Store::open(&url, &StoreOptions::default())
        .await
        .unwrap_or_else(|e| panic!("open the SQLite test database {url}: {e}"));
    TestDb {
        name: "sqlite",
        store,
        url,
        guard: Guard::Sqlite(dir),
    }
}

/// A fresh PostgreSQL database on the server named by `HIKBRIDGE_TEST_POSTGRES_URL`, migrated;
/// `None` when the variable is unset (unless `HIKBRIDGE_REQUIRE_POSTGRES=1`).
pub async fn postgres_db() -> Option<TestDb> {
    let Some(admin_url) = std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|u| !u.trim().is_empty())
    else {
        if std::env::var(REQUIRE_POSTGRES_VAR).is_ok_and(|v| v.trim() == "1") {
            panic!(
                "{REQUIRE_POSTGRES_VAR}=1 but {POSTGRES_URL_VAR} is not set; set it to a server \
                 the tests may create databases on, e.g. postgres://postgres@127.0.0.1:5432/test"
            );
        }
        return None;
    };
    let name = format!("hb_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = admin_connection(&admin_url).await;
    sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "create test database {name} on {}: {e}",
                redact_url(&admin_url)
            )
        });
    let _ = admin.close().await;
    let guard = PgDatabase {
        admin_url: admin_url.clone(),
        name: name.clone(),
        dropped: false,
    };
    let url = database_url(&admin_url, &name);
    let store = Store::open(&url, &StoreOptions::default())
        .await
        .unwrap_or_else(|e| panic!("open the PostgreSQL test database {name}: {e}"));
    Some(TestDb {
        name: "postgres",
        store,
        url,
        guard: Guard::Postgres(guard),
    })
}

/// A store backend: tests take one as an rstest case, so each backend passes or fails on its
/// own (`name::case_1_sqlite`, `name::case_2_postgres`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A fresh database of `backend`. `None` for PostgreSQL when no server is configured (the case
/// says on stderr that it was skipped); with `HIKBRIDGE_REQUIRE_POSTGRES=1` that is a failure.
pub async fn db_for(backend: Db) -> Option<TestDb> {
    match backend {
        Db::Sqlite => Some(sqlite_db().await),
        Db::Postgres => {
            let db = postgres_db().await;
            if db.is_none() {
                eprintln!("postgres skipped: {POSTGRES_URL_VAR} is not set");
            }
            db
        }
    }
}

/// `admin_url` with its database replaced by `name` (credentials and parameters kept).
pub fn database_url(admin_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin_url).unwrap_or_else(|e| {
        panic!(
            "{POSTGRES_URL_VAR} is not a valid URL ({e}): {}",
            redact_url(admin_url)
        )
    });
    url.set_path(&format!("/{name}"));
    url.to_string()
}

async fn admin_connection(admin_url: &str) -> PgConnection {
    let shown = redact_url(admin_url);
    match tokio::time::timeout(ADMIN_CONNECT_TIMEOUT, PgConnection::connect(admin_url)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => panic!(
            "cannot connect to the test PostgreSQL server {shown} ({e}); start it, fix \
             {POSTGRES_URL_VAR}, or unset it to skip the PostgreSQL tests"
        ),
        Err(_) => panic!(
            "the test PostgreSQL server {shown} did not answer within {} s; start it, fix \
             {POSTGRES_URL_VAR}, or unset it to skip the PostgreSQL tests",
            ADMIN_CONNECT_TIMEOUT.as_secs()
        ),
    }
}

/// A test database on the PostgreSQL server, dropped on cleanup or drop.
struct PgDatabase {
    admin_url: String,
    name: String,
    dropped: bool,
}

impl PgDatabase {
    async fn drop_now(&mut self) {
        self.dropped = true;
        let result = async {
            let mut admin = PgConnection::connect(&self.admin_url).await?;
            let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
            sqlx::raw_sql(&sql).execute(&mut admin).await?;
            admin.close().await
        };
        match tokio::time::timeout(ADMIN_CONNECT_TIMEOUT, result).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test database {}: {e}", self.name),
            Err(_) => eprintln!("dropping test database {} timed out", self.name),
        }
    }
}

impl Drop for PgDatabase {
    /// Best effort: a thread with its own runtime, since `Drop` cannot await and may run inside
    /// (or outside) the test's runtime.
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let mut db = PgDatabase {
            admin_url: std::mem::take(&mut self.admin_url),
            name: std::mem::take(&mut self.name),
            dropped: true,
        };
        let cleanup =
            std::thread::spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(db.drop_now()),
                    Err(e) => eprintln!("could not drop test database {}: {e}", db.name),
                }
            });
        let _ = cleanup.join();
    }
}
