//! Who an event is about: the personId → personCode cache and the employee-id overrides.

use super::{Store, StoreError};
use sqlx::Row;

impl Store {
    /// The cached personCode for a HikCentral personId: `Some(None)` when HikCentral said the
    /// person does not exist, `None` when not cached.
    pub async fn cached_person_code(
        &self,
        person_id: &str,
    ) -> Result<Option<Option<String>>, StoreError> {
        Ok(self.cached_person(person_id).await?.map(|(code, _)| code))
    }

    /// The cached personCode and when it was fetched.
    pub async fn cached_person(
        &self,
        person_id: &str,
    ) -> Result<Option<(Option<String>, i64)>, StoreError> {
        let row =
            sqlx::query("SELECT person_code, fetched_at_ms FROM person_cache WHERE person_id = $1")
                .bind(person_id)
                .fetch_optional(self.pool())
                .await?;
        row.map(|r| {
            Ok((
                r.try_get::<Option<String>, _>("person_code")?,
                r.try_get("fetched_at_ms")?,
            ))
        })
        .transpose()
    }

    pub async fn cache_person_code(
        &self,
        person_id: &str,
        person_code: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO person_cache (person_id, person_code, fetched_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (person_id) DO UPDATE SET person_code = excluded.person_code, \
             fetched_at_ms = excluded.fetched_at_ms",
        )
        .bind(person_id)
        .bind(person_code.map(str::to_string))
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The override for a personCode, if any.
    pub async fn employee_override(&self, person_code: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT employee_id FROM employee_overrides WHERE person_code = $1")
            .bind(person_code)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| r.try_get("employee_id"))
            .transpose()
            .map_err(StoreError::from)
    }

    /// The overrides of several person codes at once: code → employee id, for those that have
    /// one.
    pub async fn employee_overrides_for(
        &self,
        person_codes: &[&str],
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let mut found = std::collections::HashMap::new();
        for chunk in person_codes.chunks(super::MAX_LIST_PARAMS) {
            let sql = format!(
                "SELECT person_code, employee_id FROM employee_overrides WHERE person_code IN ({})",
                super::placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for c in chunk {
                q = q.bind(*c);
            }
            for r in q.fetch_all(self.pool()).await? {
                found.insert(r.try_get("person_code")?, r.try_get("employee_id")?);
            }
        }
        Ok(found)
    }

    /// Every override: (person code, employee id, note).
    pub async fn employee_overrides(
        &self,
    ) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT person_code, employee_id, note FROM employee_overrides ORDER BY person_code",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("person_code")?,
                    r.try_get("employee_id")?,
                    r.try_get("note")?,
                ))
            })
            .collect()
    }
}

impl Store {
    /// Humand's cached verdict on an employee id and when it was fetched.
    pub async fn cached_employee(
        &self,
        employee_id: &str,
    ) -> Result<Option<(bool, i64)>, StoreError> {
        let row =
            sqlx::query("SELECT known, fetched_at_ms FROM employee_cache WHERE employee_id = $1")
                .bind(employee_id)
                .fetch_optional(self.pool())
                .await?;
        row.map(|r| {
            Ok((
                r.try_get::<i64, _>("known")? == 1,
                r.try_get("fetched_at_ms")?,
            ))
        })
        .transpose()
    }

    pub async fn cache_employee(
        &self,
        employee_id: &str,
        known: bool,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO employee_cache (employee_id, known, fetched_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (employee_id) DO UPDATE SET known = excluded.known, \
             fetched_at_ms = excluded.fetched_at_ms",
        )
        .bind(employee_id)
        .bind(i64::from(known))
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
