//! Who an event is about: the person (personCode, or personId resolved through HikCentral and
//! cached), the employee (override, else the person code), optionally checked with Humand
//! (cached). A look-up that cannot be answered now is an error: the event waits.

use super::{round::Round, DecideError, Decider, KNOWN_TTL_MS, LOOKUP_RETRY, UNKNOWN_TTL_MS};
use crate::artemis::model::ArtemisCode;
use crate::artemis::ArtemisError;
use crate::attendance::{AccessEvent, EmployeeId, NoEmployee};
use crate::humand::HumandClient;

impl Decider {
    /// personCode from the event, else the personId (or iSecure Center person number) resolved
    /// through HikCentral and cached; then the override table. `None`: nobody to clock.
    pub(super) async fn employee_for(
        &self,
        ev: &AccessEvent,
        now_ms: i64,
        round: &Round,
    ) -> Result<Result<EmployeeId, NoEmployee>, DecideError> {
        let code = match &ev.person_code {
            Some(c) => c.as_str().to_string(),
            None => match ev.person_id.as_deref().or(ev.isc_person_no.as_deref()) {
                Some(pid) => match self.resolve_person_id(pid, now_ms).await? {
                    Some(code) => code,
                    None => return Ok(Err(NoEmployee::PersonIdUnknown)),
                },
                None => return Ok(Err(NoEmployee::NoPerson)),
            },
        };
        let over = match round.override_of(&code) {
            Some(known) => known,
            None => self.store.employee_override(&code).await?,
        };
        let id = over.unwrap_or(code);
        let Some(emp) = EmployeeId::parse(&id) else {
            return Ok(Err(NoEmployee::UnusableId));
        };
        if let Some(humand) = &self.validate_with {
            if !self.known_to_humand(humand, emp.as_str(), now_ms).await? {
                return Ok(Err(NoEmployee::NotInHumand));
            }
        }
        Ok(Ok(emp))
    }

    async fn known_to_humand(
        &self,
        humand: &HumandClient,
        emp: &str,
        now_ms: i64,
    ) -> Result<bool, DecideError> {
        if let Some((known, at)) = self.store.cached_employee(emp).await? {
            let ttl = if known { KNOWN_TTL_MS } else { UNKNOWN_TTL_MS };
            if now_ms - at < ttl {
                return Ok(known);
            }
        }
        let path = format!("/users/{}", crate::percent::path_segment(emp));
        let known = match humand.send(http::Method::GET, &path, &[], None).await {
            Ok(_) => true,
            Err(crate::humand::HumandError::Http { status: 404, .. }) => false,
            Err(source) => {
                return Err(DecideError::Validate {
                    employee: emp.to_string(),
                    source,
                })
            }
        };
        self.store.cache_employee(emp, known, now_ms).await?;
        Ok(known)
    }

    async fn resolve_person_id(
        &self,
        person_id: &str,
        now_ms: i64,
    ) -> Result<Option<String>, DecideError> {
        // A person HikCentral did not know may be added later: that answer expires sooner.
        if let Some((cached, at)) = self.store.cached_person(person_id).await? {
            let ttl = if cached.is_some() {
                KNOWN_TTL_MS
            } else {
                UNKNOWN_TTL_MS
            };
            if now_ms - at < ttl {
                return Ok(cached);
            }
        }
        let Some(client) = &self.hikcentral else {
            return Ok(None);
        };
        let body = serde_json::json!({"personId": person_id});
        match client
            .call("/artemis/api/resource/v1/person/personId/personInfo", &body)
            .await
        {
            Ok(data) => {
                let code = data
                    .get("personCode")
                    .and_then(|v| v.as_str())
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_string);
                self.store
                    .cache_person_code(person_id, code.as_deref(), now_ms)
                    .await?;
                Ok(code)
            }
            Err(ArtemisError::Api(ArtemisCode::NotFound(_))) => {
                self.store
                    .cache_person_code(person_id, None, now_ms)
                    .await?;
                Ok(None)
            }
            Err(source) => Err(DecideError::Resolve {
                person_id: person_id.to_string(),
                source,
            }),
        }
    }

    /// Whether `person`'s last look-up failed too recently to try again.
    pub(super) fn lookup_waits(&self, person: &str) -> bool {
        let Ok(mut failed) = self.lookups_failed.lock() else {
            return false;
        };
        match failed.get(person) {
            Some(at) if at.elapsed() < LOOKUP_RETRY => true,
            Some(_) => {
                failed.remove(person);
                false
            }
            None => false,
        }
    }

    pub(super) fn lookup_failed(&self, person: &str) {
        if let Ok(mut failed) = self.lookups_failed.lock() {
            // Expired entries go, so the memory holds only people waiting now.
            failed.retain(|_, at| at.elapsed() < LOOKUP_RETRY);
            failed.insert(person.to_string(), tokio::time::Instant::now());
        }
    }
}
