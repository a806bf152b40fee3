//! Versioned schema migrations, one directory per backend with the same version numbers.

use super::{Backend, StoreError};
use sqlx::migrate::Migrator;
use sqlx::AnyPool;

static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    }
}

pub(super) async fn run(pool: &AnyPool, backend: Backend) -> Result<(), StoreError> {
    migrator(backend).run(pool).await?;
    Ok(())
}

pub(super) async fn schema_version(pool: &AnyPool, backend: Backend) -> Result<i64, StoreError> {
    let exists_sql = match backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) FROM pg_catalog.pg_tables \
             WHERE schemaname = current_schema() AND tablename = '_sqlx_migrations'"
        }
    };
    let tables: i64 = sqlx::query_scalar(exists_sql).fetch_one(pool).await?;
    if tables == 0 {
        return Ok(0);
    }
    let version: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await?;
    Ok(version.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_migration_versions() {
        let versions = |m: &Migrator| m.iter().map(|m| m.version).collect::<Vec<_>>();
        assert_eq!(versions(&SQLITE), versions(&POSTGRES));
        assert!(!versions(&SQLITE).is_empty());
    }
}
