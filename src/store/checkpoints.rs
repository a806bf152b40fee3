//! Named checkpoints: where a worker (for example the back-fill poller) resumes after a restart.

use super::StoreError;
use sqlx::{AnyPool, Row};

/// One named checkpoint. `value` is opaque to the store (often a timestamp or JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub name: String,
    pub value: String,
    /// When it was last set, unix milliseconds; never moves backwards for one name.
    pub updated_at_ms: i64,
}

/// Repository over the `checkpoints` table; get one from [`super::Store::checkpoints`].
pub struct Checkpoints<'a> {
    pool: &'a AnyPool,
}

impl<'a> Checkpoints<'a> {
    pub(super) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    pub async fn get(&self, name: &str) -> Result<Option<Checkpoint>, StoreError> {
        let row = sqlx::query("SELECT name, value, updated_at_ms FROM checkpoints WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool)
            .await?;
        row.map(|r| {
            Ok(Checkpoint {
                name: r.try_get("name")?,
                value: r.try_get("value")?,
                updated_at_ms: r.try_get("updated_at_ms")?,
            })
        })
        .transpose()
    }

    /// Insert or overwrite `name`. `updated_at_ms` becomes now, or one past the previous value if
    /// the clock has not moved on (so every set is visible as an advance).
    pub async fn set(&self, name: &str, value: &str) -> Result<(), StoreError> {
        let now = chrono::Utc::now().timestamp_millis();
        sqlx::query(
            "INSERT INTO checkpoints (name, value, updated_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, \
             updated_at_ms = CASE WHEN excluded.updated_at_ms > checkpoints.updated_at_ms \
             THEN excluded.updated_at_ms ELSE checkpoints.updated_at_ms + 1 END",
        )
        .bind(name)
        .bind(value)
        .bind(now)
        .execute(self.pool)
        .await?;
        Ok(())
    }
}
