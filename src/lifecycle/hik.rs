//! The HikCentral calls of the lifecycle, as the reference describes them: the whole record
//! read back and rewritten (`person/single/update` replaces what it is not sent, so every field
//! to keep is sent, cards included), access levels in groups of at most 20 persons
//! (`privilege/group/single/addPersons` / `deletePersons`), the changes re-applied to the doors
//! (`visitor/v1/auth/reapplication`, comma-separated strings) and the application result read
//! back, and person deletion (`person/single/delete` with the admin password, sent once, never
//! retried; `deleteconfig/get` first).

use crate::artemis::client::envelope_of;
use crate::artemis::model::ArtemisCode;
use crate::artemis::{ArtemisClient, ArtemisError};
use crate::secret::Secret;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};

const PERSON_BY_ID: &str = "/artemis/api/resource/v1/person/personId/personInfo";
const PERSON_BY_CODE: &str = "/artemis/api/resource/v1/person/personCode/personInfo";
const UPDATE: &str = "/artemis/api/resource/v1/person/single/update";
const ADD_TO_LEVEL: &str = "/artemis/api/acs/v1/privilege/group/single/addPersons";
const REMOVE_FROM_LEVEL: &str = "/artemis/api/acs/v1/privilege/group/single/deletePersons";
const REAPPLY: &str = "/artemis/api/visitor/v1/auth/reapplication";
const APPLICATION_RESULT: &str = "/artemis/api/acs/v1/auth/applicationResult";
const DELETE_CONFIG: &str = "/artemis/api/resource/v1/person/deleteconfig/get";
const DELETE: &str = "/artemis/api/resource/v1/person/single/delete";

/// Persons per access-level call: HikCentral's limit.
pub const LEVEL_BATCH: usize = 20;
/// Error pages read after a re-application at most.
const MAX_ERROR_PAGES: u64 = 20;

/// The fields of the record `person/single/update` is sent back (V3.x body); validity only when
/// the answer carries it (the V2.1 guide's PersonInfo; the V3.x catalogue's has none, so the
/// callers send the window the person should have on top).
const KEPT: [&str; 12] = [
    "personCode",
    "personFamilyName",
    "personGivenName",
    "orgIndexCode",
    "gender",
    "phoneNo",
    "remark",
    "email",
    "cards",
    "keyfobs",
    "beginTime",
    "endTime",
];

/// A person's current record.
pub async fn record(hik: &ArtemisClient, person_id: &str) -> Result<Value, ArtemisError> {
    hik.call(PERSON_BY_ID, &json!({"personId": person_id}))
        .await
}

/// The update body: the record as it is (every field to keep), with `changes` on top.
pub fn update_body(person_id: &str, record: &Value, changes: &Map<String, Value>) -> Value {
    let mut body = Map::new();
    body.insert("personId".into(), json!(person_id));
    for key in KEPT {
        if let Some(v) = record.get(key).filter(|v| !v.is_null()) {
            body.insert(key.into(), v.clone());
        }
    }
    for (k, v) in changes {
        body.insert(k.clone(), v.clone());
    }
    Value::Object(body)
}

pub async fn update(hik: &ArtemisClient, body: &Value) -> Result<(), ArtemisError> {
    hik.call(UPDATE, body).await.map(|_| ())
}

/// Whether `e` is HikCentral's "does not exist" (code 128, or `0x00072203`).
fn not_found(e: &ArtemisError) -> bool {
    match e {
        ArtemisError::Api(ArtemisCode::NotFound(_)) => true,
        ArtemisError::Api(ArtemisCode::Other(c, _)) => c == "0x00072203",
        _ => false,
    }
}

async fn change_level(
    hik: &ArtemisClient,
    level: &str,
    person_ids: &[&str],
    add: bool,
) -> Result<(), ArtemisError> {
    let list: Vec<Value> = person_ids.iter().map(|id| json!({"id": id})).collect();
    let path = if add { ADD_TO_LEVEL } else { REMOVE_FROM_LEVEL };
    hik.call(
        path,
        &json!({"privilegeGroupId": level, "type": 1, "list": list}),
    )
    .await
    .map(|_| ())
}

/// Add (`true`) or remove the persons (≤ 20) from one access level.
///
/// HikCentral refuses a whole call when one person or the level does not exist. So a removal
/// refused with not-found is retried one person at a time, and a single person's not-found is
/// passed over only when HikCentral no longer knows that person (deleted meanwhile: out of every
/// level). A level that does not exist is a failure, with HikCentral's code and message.
pub async fn set_level(
    hik: &ArtemisClient,
    level: &str,
    person_ids: &[&str],
    add: bool,
) -> Result<(), ArtemisError> {
    let refused = match change_level(hik, level, person_ids, add).await {
        Err(e) if !add && not_found(&e) => e,
        other => return other,
    };
    if let [id] = person_ids {
        return pass_if_gone(hik, id, refused).await;
    }
    for id in person_ids {
        match change_level(hik, level, &[*id], false).await {
            Err(e) if not_found(&e) => pass_if_gone(hik, id, e).await?,
            other => other?,
        }
    }
    Ok(())
}

/// A one-person removal refused with not-found: fine when HikCentral no longer knows the
/// person, else (the level is missing) the refusal stands.
async fn pass_if_gone(
    hik: &ArtemisClient,
    person_id: &str,
    refused: ArtemisError,
) -> Result<(), ArtemisError> {
    match record(hik, person_id).await {
        Err(e) if not_found(&e) => Ok(()),
        Ok(v) if v.is_null() => Ok(()),
        Ok(_) => Err(refused),
        Err(e) => Err(e),
    }
}

/// Re-apply the persons' changes to the doors (`ImmediateDownload` 0: all, failed ones
/// included).
pub async fn reapply(hik: &ArtemisClient, person_ids: &[&str]) -> Result<(), ArtemisError> {
    hik.call(
        REAPPLY,
        &json!({"ImmediateDownload": 0, "personIds": person_ids.join(",")}),
    )
    .await
    .map(|_| ())
}

/// After a re-application: the device errors (`errorItems`) of each of `codes`, and how many
/// edits HikCentral still counts as not applied.
pub async fn application_result(
    hik: &ArtemisClient,
    codes: &HashSet<String>,
) -> Result<(HashMap<String, String>, u64), ArtemisError> {
    let mut failures = HashMap::new();
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
            for e in device
                .get("errorList")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let code = e
                    .get("personCode")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if codes.contains(code) {
                    let items = e.get("errorItems").and_then(Value::as_str).unwrap_or("0");
                    failures.insert(code.to_owned(), items.to_owned());
                }
            }
        }
        if devices.len() < 500 {
            break;
        }
    }
    let stats: Value = hik
        .call(
            APPLICATION_RESULT,
            &json!({"applicationResultType": 1, "type": 1}),
        )
        .await?;
    let pending = ["unApplicationCount", "editAndUnApplicationCount"]
        .iter()
        .filter_map(|k| stats.pointer(&format!("/statisticResult/{k}")))
        .filter_map(|n| n.as_u64().or_else(|| n.as_str()?.parse().ok()))
        .sum();
    Ok((failures, pending))
}

/// Whether this HikCentral asks for the admin password to delete a person (`true` when it
/// cannot say: the safe reading).
pub async fn delete_needs_password(hik: &ArtemisClient) -> Result<bool, ArtemisError> {
    match hik.call(DELETE_CONFIG, &json!({})).await {
        Ok(v) => Ok(v
            .get("enable")
            .map(|e| {
                e.as_u64()
                    .map_or_else(|| e.as_str() != Some("0"), |n| n != 0)
            })
            .unwrap_or(true)),
        Err(ArtemisError::Api(ArtemisCode::NotSupported { .. })) => Ok(true),
        Err(e) => Err(e),
    }
}

/// How a delete ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deleted {
    Yes,
    /// Already gone.
    NotFound,
    /// The admin password was refused (`remaining` attempts before the address is locked, when
    /// HikCentral says), or the address is locked, or the delete was refused for any reason
    /// but not-found while the password was sent: never try again with this password.
    PasswordRefused {
        remaining: Option<u64>,
        message: String,
    },
    /// This HikCentral cannot delete persons through OpenAPI (code 8).
    Unsupported(String),
    /// Any other refusal of a delete sent without the password, with HikCentral's code and
    /// message.
    Refused {
        code: String,
        message: String,
    },
}

/// Delete one person, sending the password once (no retry).
pub async fn delete(
    hik: &ArtemisClient,
    person_id: &str,
    password: Option<&Secret>,
) -> Result<Deleted, ArtemisError> {
    let mut body = json!({"personId": person_id});
    if let Some(p) = password {
        body["adminPassword"] = json!(p.expose());
    }
    let resp = hik.call_raw_once(DELETE, &body).await?;
    let env = envelope_of(&resp)?;
    if env.is_success() {
        return Ok(Deleted::Yes);
    }
    let remaining = env
        .data
        .get("remainLockNumber")
        .and_then(|n| n.as_u64().or_else(|| n.as_str()?.trim().parse().ok()));
    let code = ArtemisCode::from_code(&env.code, &env.msg);
    let sent = password.is_some();
    Ok(match code {
        _ if remaining.is_some() => Deleted::PasswordRefused {
            remaining,
            message: env.msg,
        },
        Some(ArtemisCode::AppKeyRefused { msg, .. }) => Deleted::PasswordRefused {
            remaining: None,
            message: format!("HikCentral refuses this address (code {}): {msg}", env.code),
        },
        Some(ArtemisCode::NotFound(_)) => Deleted::NotFound,
        Some(ArtemisCode::Other(c, _)) if c == "0x00072203" => Deleted::NotFound,
        _ if env.code.trim() == "8" => Deleted::Unsupported(env.msg),
        // How a wrong password is answered is not documented beyond `remainLockNumber`: with
        // the password sent, any other refusal may be one, and the address locks after a few.
        Some(c) if sent => Deleted::PasswordRefused {
            remaining: None,
            message: format!("code {}: {}", c.code(), c.message()),
        },
        Some(c) => Deleted::Refused {
            code: c.code(),
            message: c.message().to_owned(),
        },
        None => Deleted::Yes,
    })
}

/// Whether HikCentral still knows `person_code` (to confirm a deletion).
pub async fn still_there(hik: &ArtemisClient, person_code: &str) -> Result<bool, ArtemisError> {
    match hik
        .call(PERSON_BY_CODE, &json!({"personCode": person_code}))
        .await
    {
        Ok(v) => Ok(!(v.is_null()
            || v.as_str()
                .is_some_and(|s| s.trim().is_empty() || s == "null")
            || v.as_object().is_some_and(Map::is_empty))),
        Err(ArtemisError::Api(ArtemisCode::NotFound(_))) => Ok(false),
        Err(ArtemisError::Api(ArtemisCode::Other(c, _))) if c == "0x00072203" => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_keeps_every_field_of_the_record_cards_included() {
        let record = json!({"personId": "7", "personCode": "1712345678", "personGivenName": "Ana",
            "personFamilyName": "Paz", "orgIndexCode": "2", "gender": 2, "phoneNo": "099",
            "remark": "keep me", "email": "a@x.edu", "cards": [{"cardNo": "1234"}],
            "personPhoto": {"picUri": "/p/1"}, "beginTime": "x"});
        let mut changes = Map::new();
        changes.insert("endTime".into(), json!("2026-12-06T10:00:00-05:00"));
        changes.insert("personGivenName".into(), json!("Ana María"));
        let body = update_body("7", &record, &changes);
        assert_eq!(body["remark"], "keep me");
        assert_eq!(body["cards"], json!([{"cardNo": "1234"}]));
        assert_eq!(body["personGivenName"], "Ana María");
        assert_eq!(body["endTime"], "2026-12-06T10:00:00-05:00");
        assert!(body.get("personPhoto").is_none(), "update takes no face");
        assert_eq!(body["beginTime"], "x", "validity answered is sent back");
        assert!(body.get("endTime").is_some());
    }
}
