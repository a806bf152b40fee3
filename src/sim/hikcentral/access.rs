//! Access levels (privilege groups) as the spec describes them: the level list
//! (`acs/v1/privilege/group`, V3.x nested or V2.1 flat), its members
//! (`privilege/group/single/personList`, `list[{id, personCode}]`), and adding or removing
//! persons (`single/addPersons` / `single/deletePersons`, `{privilegeGroupId, type: 1,
//! list:[{id}|{personCode}]}`, at most 20 persons a call). A membership change is an edit: it
//! reaches the doors only when it is applied ([`super::apply`]).

use super::devices;
use super::wire::{as_string, code, page_json, ApiError, ApiResult, Params};
use super::{HikSim, Store};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Most persons in one `addPersons` / `deletePersons` call (spec: "Up to 20 person IDs").
pub(crate) const MAX_PERSONS_PER_CALL: usize = 20;

/// The doors an access level opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Coverage {
    /// Every door the simulator has (a level set up directly by a test).
    AllDoors,
    Doors(BTreeSet<String>),
}

#[derive(Debug)]
pub(crate) struct Group {
    pub name: String,
    pub doors: Coverage,
    /// Internal person ids.
    pub members: BTreeSet<u64>,
}

#[derive(Debug, Default)]
pub(crate) struct AccessLevels {
    /// privilegeGroupId → level.
    groups: BTreeMap<String, Group>,
    /// personCode → errorItems injected by a test ("3" = incorrect face information).
    errors: BTreeMap<String, String>,
}

impl AccessLevels {
    /// Create level `id` (kept as it is when it exists).
    pub fn add_group(&mut self, id: &str, name: &str, doors: Coverage) {
        self.groups.entry(id.to_owned()).or_insert_with(|| Group {
            name: name.to_owned(),
            doors,
            members: BTreeSet::new(),
        });
    }

    pub fn exists(&self, id: &str) -> bool {
        self.groups.contains_key(id)
    }

    pub fn groups(&self) -> impl Iterator<Item = (&String, &Group)> {
        self.groups.iter()
    }

    pub fn members(&self, id: &str) -> Vec<u64> {
        self.groups
            .get(id)
            .map(|g| g.members.iter().copied().collect())
            .unwrap_or_default()
    }

    pub fn join(&mut self, id: &str, person: u64) {
        if let Some(g) = self.groups.get_mut(id) {
            g.members.insert(person);
        }
    }

    /// (privilegeGroupId, name) of every level `person` is in.
    pub fn levels_of(&self, person: u64) -> Vec<(String, String)> {
        self.groups
            .iter()
            .filter(|(_, g)| g.members.contains(&person))
            .map(|(id, g)| (id.clone(), g.name.clone()))
            .collect()
    }

    /// A deleted person leaves every level.
    pub fn forget(&mut self, person: u64) {
        for g in self.groups.values_mut() {
            g.members.remove(&person);
        }
    }

    pub fn set_error(&mut self, person_code: &str, items: Option<&str>) {
        match items {
            Some(i) => self.errors.insert(person_code.to_owned(), i.to_owned()),
            None => self.errors.remove(person_code),
        };
    }

    /// The errorItems the devices report for `person_code`, if any.
    pub fn error_of(&self, person_code: &str) -> Option<&str> {
        self.errors.get(person_code).map(String::as_str)
    }
}

/// `type` must be 1 (ordinary persons); visitor levels are not simulated.
fn ordinary_type(p: &Params) -> Result<(), ApiError> {
    match p.opt_int("type")? {
        Some(1) => Ok(()),
        Some(t) => Err(ApiError::bad(format!(
            "type {t} is not supported: only 1 (ordinary persons)"
        ))),
        None => Err(ApiError::new(code::MISSING, "type is required")),
    }
}

fn group_id(p: &Params, store: &Store) -> Result<String, ApiError> {
    let id = p.req_str("privilegeGroupId", code::MISSING)?;
    if !store.access.exists(&id) {
        return Err(ApiError::new(
            code::NOT_FOUND,
            format!("privilege group {id} does not exist"),
        ));
    }
    Ok(id)
}

/// Add (`join`) or remove the persons of `list` (each `{id}` or `{personCode}`, ≤ 20).
fn change_members(sim: &HikSim, p: &Params, join: bool) -> ApiResult {
    ordinary_type(p)?;
    let list = p
        .get("list")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| ApiError::bad("list must be a non-empty list of {id} or {personCode}"))?;
    if list.len() > MAX_PERSONS_PER_CALL {
        return Err(ApiError::bad(format!(
            "at most {MAX_PERSONS_PER_CALL} persons per request, got {}",
            list.len()
        )));
    }
    let at_once = sim.cfg().lifecycle.edits_apply_at_once;
    let mut store = sim.store();
    let group = group_id(p, &store)?;
    let mut ids = Vec::with_capacity(list.len());
    for item in list {
        let by_id = item.get("id").and_then(as_string);
        let by_code = item.get("personCode").and_then(as_string);
        let person = match (by_id, by_code) {
            (Some(id), None) => store.persons.by_id(&id),
            (None, Some(code)) => store.persons.by_code(&code),
            _ => return Err(ApiError::bad("each item has either id or personCode")),
        };
        let person = person.ok_or_else(|| ApiError::new(code::NOT_FOUND, "person not found"))?;
        ids.push(person.id);
    }
    if let Some(g) = store.access.groups.get_mut(&group) {
        for id in &ids {
            if join {
                g.members.insert(*id);
            } else {
                g.members.remove(id);
            }
        }
    }
    if at_once {
        for id in ids {
            devices::apply(&mut store, id, None);
        }
    }
    Ok(json!({}))
}

pub(crate) fn add_persons(sim: &HikSim, p: &Params) -> ApiResult {
    change_members(sim, p, true)
}

pub(crate) fn delete_persons(sim: &HikSim, p: &Params) -> ApiResult {
    change_members(sim, p, false)
}

/// `privilege/group/single/personList`: the members, `list[{id, personCode}]`, paged.
pub(crate) fn group_persons(sim: &HikSim, p: &Params) -> ApiResult {
    let (page_no, page_size) = p.page()?;
    ordinary_type(p)?;
    let store = sim.store();
    let id = group_id(p, &store)?;
    let Some(group) = store.access.groups.get(&id) else {
        return Err(ApiError::new(code::NOT_FOUND, "privilege group not found"));
    };
    let (skip, take) = super::wire::page_window(page_no, page_size);
    let list: Vec<Value> = group
        .members
        .iter()
        .skip(skip)
        .take(take)
        .filter_map(|m| store.persons.get(*m))
        .map(|person| json!({ "id": person.id_text, "personCode": person.code }))
        .collect();
    Ok(page_json(group.members.len(), page_no, page_size, list))
}

/// `acs/v1/privilege/group`: the levels, V3.x nested (`list[{PrivilegeGroupInfo:[...]}]`, with
/// `isDefault` and the doors in `ElementList`) or V2.1 flat.
pub(crate) fn group_list(sim: &HikSim, p: &Params) -> ApiResult {
    let (page_no, page_size) = p.page()?;
    ordinary_type(p)?;
    let flat = sim.cfg().lifecycle.privilege_groups_flat;
    let store = sim.store();
    let (skip, take) = super::wire::page_window(page_no, page_size);
    let infos: Vec<Value> = store
        .access
        .groups
        .iter()
        .skip(skip)
        .take(take)
        .map(|(id, g)| {
            let mut info = json!({
                "privilegeGroupId": id,
                "privilegeGroupName": g.name,
                "description": "",
                "timeSchedule": {"indexCode": "1", "name": "All-day Template"},
            });
            if !flat {
                info["isDefault"] = json!(0);
                info["ElementList"] = Value::Array(elements(&store, &g.doors));
            }
            info
        })
        .collect();
    let total = store.access.groups.len();
    let list = match (flat, infos.is_empty()) {
        (true, _) => infos,
        (false, true) => Vec::new(),
        (false, false) => vec![json!({ "PrivilegeGroupInfo": infos })],
    };
    Ok(page_json(total, page_no, page_size, list))
}

/// `ElementList[{ID, BaseInfo{ElementType: 6 (door), Name, AreaName, AreaID}}]`.
fn elements(store: &Store, coverage: &Coverage) -> Vec<Value> {
    store
        .devices
        .doors_of(coverage)
        .into_iter()
        .map(|door| {
            let name = store.devices.door_name(&door).unwrap_or_default();
            let door: &str = &door;
            let id = door.parse::<u64>().map_or_else(|_| json!(door), |n| json!(n));
            json!({"ID": id, "BaseInfo": {"ElementType": 6, "Name": name, "AreaName": "Campus", "AreaID": 1}})
        })
        .collect()
}
