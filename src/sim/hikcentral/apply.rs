//! Applying edits to the doors and reading how it went, as the spec has them:
//! `visitor/v1/auth/reapplication` `{ImmediateDownload: 0|1, personIds: "1,2", doorIndexCodes:
//! "2,5"}` (comma-separated *strings*; answers `data: "null"`, nothing about the devices) and
//! `acs/v1/auth/applicationResult` (type 1: statistics; type 2: per device, paged, the persons
//! that failed with `errorItems`, 3 = incorrect face information).
//!
//! A person with an injected device error (`set_application_error`) is never applied:
//! `ImmediateDownload: 1` skips it, `0` tries it again and it fails again.

use super::devices::{self, Standing};
use super::switches::ReapplyWithoutIds;
use super::wire::{code, page_json, page_window, ApiError, ApiResult, Params};
use super::{HikSim, Store};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A comma-separated list field: a string (never a JSON list), empty items dropped.
fn csv(p: &Params, key: &str) -> Result<Option<Vec<String>>, ApiError> {
    match p.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => {
            let items: Vec<String> = s
                .split(',')
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .map(str::to_owned)
                .collect();
            Ok(Some(items).filter(|i| !i.is_empty()))
        }
        Some(_) => Err(ApiError::bad(format!(
            "{key} must be a string of comma-separated IDs (e.g. \"1,2,3\"), not a list"
        ))),
    }
}

pub(crate) fn reapplication(sim: &HikSim, p: &Params) -> ApiResult {
    match p.opt_int("ImmediateDownload")? {
        Some(0 | 1) => {}
        _ => return Err(ApiError::bad("ImmediateDownload must be 0 or 1")),
    }
    let person_ids = csv(p, "personIds")?;
    let doors = csv(p, "doorIndexCodes")?;
    let without_ids = sim.cfg().lifecycle.reapply_without_ids;
    let mut store = sim.store();
    let doors: Option<BTreeSet<devices::Door>> =
        doors.map(|d| d.iter().map(|c| store.devices.door(c)).collect());
    let persons: Vec<u64> = match person_ids {
        // Unknown personIds are passed over without a word (UNCONFIRMED).
        Some(ids) => ids
            .iter()
            .filter_map(|id| store.persons.by_id(id).map(|p| p.id))
            .collect(),
        None => match without_ids {
            ReapplyWithoutIds::ApplyNothing => Vec::new(),
            ReapplyWithoutIds::Refuse => {
                return Err(ApiError::new(code::MISSING, "personIds is required"))
            }
            ReapplyWithoutIds::ApplyAll => store
                .persons
                .iter()
                .filter(|p| devices::standing(&store, p) != Standing::InStep)
                .map(|p| p.id)
                .collect(),
        },
    };
    // A failed person is never applied: ImmediateDownload 1 leaves it out; 0 tries it again
    // and it fails again.
    for id in persons {
        devices::apply(&mut store, id, doors.as_ref());
    }
    Ok(Value::String("null".into()))
}

/// A person the devices refuse: name, code, errorItems, and the doors it should be at.
struct Failure {
    name: String,
    code: String,
    items: String,
    doors: BTreeSet<devices::Door>,
}

fn failures(store: &Store) -> Vec<Failure> {
    store
        .persons
        .iter()
        .filter_map(|person| {
            let items = store.access.error_of(&person.code)?;
            let doors = devices::wanted_doors(store, person);
            (!doors.is_empty()).then(|| Failure {
                name: person.name(),
                code: person.code.clone(),
                items: items.to_owned(),
                doors,
            })
        })
        .collect()
}

pub(crate) fn application_result(sim: &HikSim, p: &Params) -> ApiResult {
    if sim.cfg().lifecycle.application_result_unsupported {
        return Err(ApiError::new(
            code::VERSION_NOT_SUPPORTED,
            "This product version is not supported.",
        ));
    }
    let visitors = match p.opt_int("type")? {
        None | Some(1) => false,
        Some(2) => true,
        Some(t) => {
            return Err(ApiError::bad(format!(
                "type must be 1 (ordinary) or 2 (visitor), got {t}"
            )))
        }
    };
    let store = sim.store();
    // No visitors are simulated: their results are always empty.
    let failing = if visitors {
        Vec::new()
    } else {
        failures(&store)
    };
    match p.opt_int("applicationResultType")? {
        Some(1) => {
            let (mut not_applied, mut edited) = (0usize, 0usize);
            for person in store.persons.iter().filter(|_| !visitors) {
                if store.access.error_of(&person.code).is_some() {
                    continue;
                }
                match devices::standing(&store, person) {
                    Standing::InStep => {}
                    Standing::NotApplied => not_applied += 1,
                    Standing::EditedNotApplied => edited += 1,
                }
            }
            Ok(json!({"statisticResult": {
                "unApplicationCount": not_applied,
                "applicationFailCount": failing.len(),
                "editAndUnApplicationCount": edited,
            }}))
        }
        Some(2) => {
            let (page_no, page_size) = p.page()?;
            // One device per door; each lists the failed persons that should be at its door.
            let mut by_door: BTreeMap<&devices::Door, Vec<Value>> = BTreeMap::new();
            for f in &failing {
                for door in &f.doors {
                    by_door.entry(door).or_default().push(json!({
                        "personName": f.name, "personCode": f.code,
                        "resourceName": store.devices.door_name(door).unwrap_or_else(|| door.to_string()),
                        "errorItems": f.items}));
                }
            }
            let (skip, take) = page_window(page_no, page_size);
            let total = by_door.len();
            let list: Vec<Value> = by_door
                .into_iter()
                .skip(skip)
                .take(take)
                .map(|(door, errors)| {
                    json!({"deviceName": format!("Face reader {door}"), "errorList": errors})
                })
                .collect();
            let mut page = page_json(total, page_no, page_size, list);
            page["applicationFailCount"] = json!(failing.len());
            Ok(json!({ "applicationErrorResult": page }))
        }
        _ => Err(ApiError::bad(
            "applicationResultType must be 1 (statistics) or 2 (errors)",
        )),
    }
}
