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
use serde::Serialize;
use serde_json::{json, Value};

const ADD_PERSONS: &str = "/artemis/api/acs/v1/privilege/group/single/addPersons";
const REAPPLY: &str = "/artemis/api/visitor/v1/auth/reapplication";
const APPLICATION_RESULT: &str = "/artemis/api/acs/v1/auth/applicationResult";
/// Pages of device errors read per status request at most.
const MAX_ERROR_PAGES: u64 = 20;

/// Whether a person's face reached the devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeviceStatus {
    /// `applied`, `pending`, `failed` or `unknown`.
    #[schema(value_type = String, example = "applied")]
    pub status: &'static str,
    pub reason: String,
    #[serde(rename = "accessLevels")]
    pub access_levels: Vec<String>,
}

impl PersonSync {
    /// Whether access levels are managed here at all (`biometrico.access_levels` set).
    pub fn manages_access_levels(&self) -> bool {
        !self.settings.access_levels.is_empty()
    }

    /// Add `pid` to its type's access levels and apply them. `Ok` says what was done; `Err`
    /// why not (the registration itself stands: the operator sees the reason).
    pub(super) async fn grant_access(
        &self,
        hik: &ArtemisClient,
        pid: &str,
        person_type: &str,
    ) -> Result<String, String> {
        let levels = self.settings.access_levels_for(person_type);
        if levels.is_empty() {
            return Ok(if self.manages_access_levels() {
                format!("no access level is configured for person type {person_type:?}: the person opens no door")
            } else {
                String::new()
            });
        }
        for level in &levels {
            hik.call(
                ADD_PERSONS,
                &json!({"privilegeGroupId": level, "type": 1, "list": [{"id": pid}]}),
            )
            .await
            .map_err(|e| format!("could not add the person to access level {level}: {e}"))?;
        }
        hik.call(REAPPLY, &json!({"ImmediateDownload": 0, "personIds": pid}))
            .await
            .map_err(|e| {
                format!(
                    "access levels {} not applied to the devices: {e}",
                    levels.join(", ")
                )
            })?;
        Ok(format!(
            "added to access levels {} and applied to the devices",
            levels.join(", ")
        ))
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
        let status = |status, reason: String| DeviceStatus {
            status,
            reason,
            access_levels: access_levels.clone(),
        };
        if access_levels.is_empty() {
            return status(
                "failed",
                format!("no access level is configured for person type {person_type:?} (biometrico.access_levels): the person opens no door"),
            );
        }
        let Ok(hik) = self.hik() else {
            return status("unknown", SyncFailure::HikCentralNotConfigured.to_string());
        };
        match failures_of(hik, person_code).await {
            Ok(Some(items)) => return status("failed", describe_failure(&items)),
            Ok(None) => {}
            Err(e) => {
                return status(
                    "unknown",
                    format!("HikCentral's application result could not be read: {e}"),
                )
            }
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
                    status("pending", format!("HikCentral still has {pending} person(s) to apply to the devices; this person may be among them"))
                } else {
                    status(
                        "applied",
                        "in its access levels, applied to the devices with no failure reported"
                            .into(),
                    )
                }
            }
            Err(e) => status(
                "unknown",
                format!("HikCentral's application result could not be read: {e}"),
            ),
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

/// `errorItems` ("3,4") in words; a face problem says what the operator must do.
fn describe_failure(items: &str) -> String {
    let words: Vec<&str> = items
        .split(',')
        .map(|i| match i.trim() {
            "0" => "device exception (offline?)",
            "1" => "incorrect card information",
            "2" => "incorrect fingerprint information",
            "3" => "incorrect face information: replace the photo",
            "4" => "incorrect person information",
            _ => "unknown error",
        })
        .collect();
    format!("the devices refused the person: {}", words.join("; "))
}

#[cfg(test)]
mod tests {
    use super::describe_failure;

    #[test]
    fn a_face_failure_tells_the_operator_to_replace_the_photo() {
        let d = describe_failure("3,0");
        assert!(
            d.contains("incorrect face information: replace the photo"),
            "{d}"
        );
        assert!(d.contains("device exception"), "{d}");
    }
}
