//! Access levels (privilege groups) and applying them to devices, as the spec describes them:
//! `acs/v1/privilege/group/single/addPersons` (`{privilegeGroupId, type: 1, list:[{id}|{personCode}]}`,
//! at most 20 persons), `visitor/v1/auth/reapplication` (`{ImmediateDownload, personIds: "a,b"}`,
//! a comma-separated string) and `acs/v1/auth/applicationResult` (statistics, or per device the
//! persons that failed with `errorItems`, 3 = incorrect face information).
//!
//! A person is "applied" once a reapplication named it, unless a test injected a device error
//! for its personCode.

use super::wire::{as_string, code, ApiError, ApiResult, Params};
use super::HikSim;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
pub(crate) struct AccessLevels {
    /// privilegeGroupId → (name, member personIds).
    groups: BTreeMap<String, (String, BTreeSet<String>)>,
    /// personIds added to a level but not applied to the devices yet.
    pending: BTreeSet<String>,
    /// personCode → errorItems injected by a test ("3" = incorrect face information).
    errors: BTreeMap<String, String>,
}

impl AccessLevels {
    pub fn add_group(&mut self, id: &str, name: &str) {
        self.groups
            .entry(id.to_owned())
            .or_insert_with(|| (name.to_owned(), BTreeSet::new()));
    }

    pub fn members(&self, id: &str) -> Vec<String> {
        self.groups
            .get(id)
            .map(|(_, m)| m.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn set_error(&mut self, person_code: &str, items: Option<&str>) {
        match items {
            Some(i) => self.errors.insert(person_code.to_owned(), i.to_owned()),
            None => self.errors.remove(person_code),
        };
    }
}

pub(crate) fn add_persons(sim: &HikSim, p: &Params) -> ApiResult {
    let group = p.req_str("privilegeGroupId", code::BAD_PARAMETER)?;
    if p.opt_int("type")?.unwrap_or(1) != 1 {
        return Err(ApiError::bad("type must be 1 (persons)"));
    }
    let list = p
        .get("list")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| ApiError::bad("list must be a non-empty list of {id} or {personCode}"))?;
    if list.len() > 20 {
        return Err(ApiError::bad("at most 20 persons per request"));
    }
    let mut store = sim.store();
    let mut ids = Vec::new();
    for item in list {
        let by_id = item.get("id").and_then(as_string);
        let by_code = item.get("personCode").and_then(as_string);
        let person = match (by_id, by_code) {
            (Some(id), None) => store.persons.by_id(&id),
            (None, Some(code)) => store.persons.by_code(&code),
            _ => return Err(ApiError::bad("each item has either id or personCode")),
        };
        let person = person.ok_or_else(|| ApiError::new(code::NOT_FOUND, "person not found"))?;
        ids.push(person.id_text.clone());
    }
    let Some((_, members)) = store.access.groups.get_mut(&group) else {
        return Err(ApiError::new(
            code::NOT_FOUND,
            format!("privilege group {group} does not exist"),
        ));
    };
    members.extend(ids.iter().cloned());
    store.access.pending.extend(ids);
    Ok(json!({}))
}

pub(crate) fn reapplication(sim: &HikSim, p: &Params) -> ApiResult {
    match p.opt_int("ImmediateDownload")? {
        Some(0 | 1) => {}
        _ => return Err(ApiError::bad("ImmediateDownload must be 0 or 1")),
    }
    // The spec's form: a comma-separated string, not a list.
    let ids = match p.get("personIds") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(ApiError::bad("personIds is a comma-separated string")),
        None => String::new(),
    };
    let mut store = sim.store();
    for id in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        store.access.pending.remove(id);
    }
    Ok(Value::String("null".into()))
}

pub(crate) fn application_result(sim: &HikSim, p: &Params) -> ApiResult {
    let store = sim.store();
    let failing: Vec<(String, String, String)> = store
        .access
        .errors
        .iter()
        .filter_map(|(code, items)| {
            let person = store.persons.by_code(code)?;
            Some((person.name(), code.clone(), items.clone()))
        })
        .collect();
    match p.opt_int("applicationResultType")? {
        Some(1) => Ok(json!({"statisticResult": {
            "unApplicationCount": store.access.pending.len(),
            "applicationFailCount": failing.len(),
            "editAndUnApplicationCount": 0,
        }})),
        Some(2) => {
            let (page_no, page_size) = p.page()?;
            let errors: Vec<Value> = failing
                .iter()
                .map(|(name, code, items)| {
                    json!({"personName": name, "personCode": code,
                    "resourceName": "Door 1", "errorItems": items})
                })
                .collect();
            let list = if page_no == 1 && !errors.is_empty() {
                vec![json!({"deviceName": "Face reader 1", "errorList": errors})]
            } else {
                Vec::new()
            };
            Ok(json!({"applicationErrorResult": {
                "pageNo": page_no, "pageSize": page_size,
                "applicationFailCount": failing.len(), "list": list}}))
        }
        _ => Err(ApiError::bad(
            "applicationResultType must be 1 (statistics) or 2 (errors)",
        )),
    }
}
