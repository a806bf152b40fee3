//! Access levels: a registered person opens no door until it is in an access level (privilege
//! group) applied to the devices. Registration adds the person to the levels configured for its
//! SIAD person type (`biometrico.access_levels`) with `privilege/group/single/addPersons` and
//! applies them with `visitor/v1/auth/reapplication`; the status routes then say whether the
//! face reached the devices, from `acs/v1/auth/applicationResult`.
//!
//! HikCentral reports application *failures* per person (per device, `errorItems`: 0 device
//! exception, 1 card, 2 fingerprint, 3 incorrect face information, 4 person information) and
//! only global counts of what is still pending, so "applied" is inferred: no failure for the
//! person and nothing pending (UNCONFIRMED that any edition offers a per-person positive status).

use super::{PersonSync, SyncFailure};
use crate::artemis::ArtemisClient;
use crate::i18n::Message;
use serde_json::{json, Value};

const ADD_PERSONS: &str = "/artemis/api/acs/v1/privilege/group/single/addPersons";
const REAPPLY: &str = "/artemis/api/visitor/v1/auth/reapplication";
const APPLICATION_RESULT: &str = "/artemis/api/acs/v1/auth/applicationResult";
/// Pages of device errors read per status request at most.
const MAX_ERROR_PAGES: u64 = 20;

/// Whether a person's face reached the devices; the HTTP layer renders `reason` in the
/// request's language.
#[derive(Debug, Clone, PartialEq, Eq, utoipa::ToSchema)]
pub struct DeviceStatus {
    /// `applied`, `pending`, `failed` or `unknown`.
    #[schema(value_type = String, example = "applied")]
    pub status: &'static str,
    /// A sentence for people.
    #[schema(value_type = String)]
    pub reason: Message,
    #[schema(rename = "accessLevels")]
    pub access_levels: Vec<String>,
}

impl PersonSync {
    /// Whether access levels are managed here at all (`biometrico.access_levels` set).
    pub fn manages_access_levels(&self) -> bool {
        !self.settings.access_levels.is_empty()
    }

    /// Add `pid` to its type's access levels and apply them. `Ok` says what was done (nothing
    /// when access levels are not managed here); `Err` why not (the registration itself
    /// stands: the operator sees the reason).
    pub(super) async fn grant_access(
        &self,
        hik: &ArtemisClient,
        pid: &str,
        person_type: &str,
    ) -> Result<Option<Message>, Message> {
        let levels = self.settings.access_levels_for(person_type);
        if levels.is_empty() {
            return Ok(self
                .manages_access_levels()
                .then(|| Message::NoAccessLevel {
                    person_type: person_type.to_owned(),
                }));
        }
        for level in &levels {
            hik.call(
                ADD_PERSONS,
                &json!({"privilegeGroupId": level, "type": 1, "list": [{"id": pid}]}),
            )
            .await
            .map_err(|e| Message::AccessLevelAddFailed {
                level: level.clone(),
                error: Box::new(super::wording::hikcentral(&e)),
            })?;
        }
        let joined = levels.join(", ");
        hik.call(REAPPLY, &json!({"ImmediateDownload": 0, "personIds": pid}))
            .await
            .map_err(|e| Message::AccessLevelsNotApplied {
                levels: joined.clone(),
                error: Box::new(super::wording::hikcentral(&e)),
            })?;
        Ok(Some(Message::AccessLevelsApplied { levels: joined }))
    }

    /// For the status routes: whether the registered `ci` reached the devices; `None` when
    /// access levels are not managed here.
    pub async fn device_status_of(&self, ci: &str) -> Result<Option<DeviceStatus>, SyncFailure> {
        if !self.manages_access_levels() {
            return Ok(None);
        }
        let code = self.person_code(ci)?;
        let person_type = match self
            .store
            .ledger_entry(ci)
            .await?
            .and_then(|e| e.person_type)
        {
            Some(t) => t,
            None => self.siad_person(ci).await?.person_type,
        };
        Ok(Some(self.device_status(&code, &person_type).await))
    }

    /// Whether the face of `person_code` (of SIAD type `person_type`) reached the devices.
    pub async fn device_status(&self, person_code: &str, person_type: &str) -> DeviceStatus {
        let access_levels = self.settings.access_levels_for(person_type);
        let status = |status, reason: Message| DeviceStatus {
            status,
            reason,
            access_levels: access_levels.clone(),
        };
        if access_levels.is_empty() {
            return status(
                "failed",
                Message::NoAccessLevel {
                    person_type: person_type.to_owned(),
                },
            );
        }
        let Ok(hik) = self.hik() else {
            return status("unknown", SyncFailure::HikCentralNotConfigured.message());
        };
        let unreadable = |e: &crate::artemis::ArtemisError| Message::ApplicationResultUnreadable {
            error: Box::new(super::wording::hikcentral(e)),
        };
        match failures_of(hik, person_code).await {
            Ok(Some(items)) => return status("failed", Message::DevicesRefused { items }),
            Ok(None) => {}
            Err(e) => return status("unknown", unreadable(&e)),
        }
        match hik
            .call(
                APPLICATION_RESULT,
                &json!({"applicationResultType": 1, "type": 1}),
            )
            .await
        {
            Ok(v) => {
                let pending = ["unApplicationCount", "editAndUnApplicationCount"]
                    .iter()
                    .filter_map(|k| v.pointer(&format!("/statisticResult/{k}")))
                    .filter_map(|n| n.as_u64().or_else(|| n.as_str()?.parse().ok()))
                    .sum::<u64>();
                if pending > 0 {
                    status("pending", Message::DevicesPending { count: pending })
                } else {
                    status("applied", Message::DevicesApplied)
                }
            }
            Err(e) => status("unknown", unreadable(&e)),
        }
    }
}

/// The `errorItems` of `person_code` in any device's error list, if any.
async fn failures_of(
    hik: &ArtemisClient,
    person_code: &str,
) -> Result<Option<String>, crate::artemis::ArtemisError> {
    for page in 1..=MAX_ERROR_PAGES {
        let v: Value = hik
            .call(
                APPLICATION_RESULT,
                &json!({"applicationResultType": 2, "type": 1, "pageNo": page, "pageSize": 500}),
            )
            .await?;
        let devices = v
            .pointer("/applicationErrorResult/list")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for device in &devices {
            let errors = device.get("errorList").and_then(Value::as_array);
            for e in errors.into_iter().flatten() {
                if e.get("personCode").and_then(Value::as_str) == Some(person_code) {
                    let items = e.get("errorItems").and_then(Value::as_str).unwrap_or("0");
                    return Ok(Some(items.to_owned()));
                }
            }
        }
        if devices.len() < 500 {
            break;
        }
    }
    Ok(None)
}
