//! The doors and what their devices hold. A person's *wanted* state is its validity at the doors
//! of its access levels; what the devices *hold* changes only when a reapplication applies it
//! (or at once, behind a switch). Until then the person is "not applied" (never was) or
//! "edited and not applied". The devices judge the access events the simulator records: a
//! granted event for a person outside its held validity, or not held at that door, becomes the
//! matching denied event.

use super::access::Coverage;
use super::persons::Person;
use super::validity::Window;
use super::wire::{as_i64, as_string};
use super::Store;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// The doors a new simulator has (the demo campus' door index codes).
const SEEDED_DOORS: [(&str, &str); 4] = [
    ("1", "Door 1"),
    ("2", "Door 2"),
    ("3", "Door 3"),
    ("9", "Door 9"),
];

/// A door index code, shared between the registry and what the devices hold (40,000 persons
/// at four doors hold one copy of each code).
pub(crate) type Door = Arc<str>;

/// What the devices hold for one person: (door, validity), sorted by door, exactly sized.
pub(crate) type Held = Vec<(Door, Window)>;

/// The validity `held` has at `door`, if the person is there.
pub(crate) fn held_at<'a>(held: &'a Held, door: &str) -> Option<&'a Window> {
    held.binary_search_by(|(d, _)| (**d).cmp(door))
        .ok()
        .map(|i| &held[i].1)
}

#[derive(Debug)]
pub(crate) struct Devices {
    /// doorIndexCode → door name.
    doors: BTreeMap<Door, String>,
    held: HashMap<u64, Held>,
    /// Persons a reapplication has applied at least once.
    ever_applied: HashSet<u64>,
    /// personIds and personCodes of deleted persons: on no device any more.
    deleted: HashSet<String>,
}

impl Default for Devices {
    fn default() -> Self {
        Self {
            doors: SEEDED_DOORS
                .iter()
                .map(|(c, n)| (Door::from(*c), (*n).to_owned()))
                .collect(),
            held: HashMap::new(),
            ever_applied: HashSet::new(),
            deleted: HashSet::new(),
        }
    }
}

impl Devices {
    pub fn add_door(&mut self, code: &str, name: &str) {
        self.doors.insert(Door::from(code), name.to_owned());
    }

    /// The registry's shared copy of `code` (a new one for a door it does not have).
    pub fn door(&self, code: &str) -> Door {
        self.doors
            .get_key_value(code)
            .map_or_else(|| Door::from(code), |(d, _)| d.clone())
    }

    pub fn door_name(&self, code: &str) -> Option<String> {
        self.doors.get(code).cloned()
    }

    /// The door index codes a level covers.
    pub fn doors_of(&self, coverage: &Coverage) -> BTreeSet<Door> {
        match coverage {
            Coverage::AllDoors => self.doors.keys().cloned().collect(),
            Coverage::Doors(d) => d.iter().map(|c| self.door(c)).collect(),
        }
    }

    pub fn held(&self, person: u64) -> Option<&Held> {
        self.held.get(&person)
    }

    /// A deleted person: dropped from every device, remembered as deleted.
    pub fn forget(&mut self, person: &Person) {
        self.held.remove(&person.id);
        self.ever_applied.remove(&person.id);
        self.deleted.insert(person.id_text.clone());
        self.deleted.insert(person.code.clone());
    }
}

/// What the devices should hold for `person`: its validity at every door of its levels.
pub(crate) fn wanted(store: &Store, person: &Person) -> Held {
    let window = person.fields.window();
    let mut doors = BTreeSet::new();
    for (_, group) in store.access.groups() {
        if group.members.contains(&person.id) {
            doors.extend(store.devices.doors_of(&group.doors));
        }
    }
    doors.into_iter().map(|d| (d, window)).collect()
}

/// `person`'s wanted doors only.
pub(crate) fn wanted_doors(store: &Store, person: &Person) -> BTreeSet<Door> {
    wanted(store, person).into_iter().map(|(d, _)| d).collect()
}

/// Apply `person`'s wanted state at `doors` (`None`: every door). A person the devices refuse
/// (an injected application error) is left as it is.
pub(crate) fn apply(store: &mut Store, person: u64, doors: Option<&BTreeSet<Door>>) {
    let Some(p) = store.persons.get(person) else {
        return;
    };
    if store.access.error_of(&p.code).is_some() {
        return;
    }
    let wanted: BTreeMap<Door, Window> = wanted(store, p).into_iter().collect();
    let mut held: BTreeMap<Door, Window> = store
        .devices
        .held
        .remove(&person)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let targets: BTreeSet<Door> = match doors {
        Some(d) => d.clone(),
        None => store
            .devices
            .doors
            .keys()
            .chain(wanted.keys())
            .chain(held.keys())
            .cloned()
            .collect(),
    };
    for door in targets {
        match wanted.get(&door) {
            Some(w) => held.insert(door, *w),
            None => held.remove(&door),
        };
    }
    if !held.is_empty() {
        let mut held: Held = held.into_iter().collect();
        held.shrink_to_fit();
        store.devices.held.insert(person, held);
    }
    store.devices.ever_applied.insert(person);
}

/// Where a person stands with the devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    InStep,
    /// Never applied ("unApplicationCount").
    NotApplied,
    /// Applied once, changed since ("editAndUnApplicationCount").
    EditedNotApplied,
}

pub(crate) fn standing(store: &Store, person: &Person) -> Standing {
    let empty = Held::new();
    let held = store.devices.held.get(&person.id).unwrap_or(&empty);
    if wanted(store, person) == *held {
        Standing::InStep
    } else if store.devices.ever_applied.contains(&person.id) {
        Standing::EditedNotApplied
    } else {
        Standing::NotApplied
    }
}

/// Access granted by face, card, fingerprint, multi-factor, the combined modes and password
/// (reference §4).
fn is_granted(t: i64) -> bool {
    matches!(
        t,
        196893 | 198914 | 197127 | 196883 | 198915 | 200516 | 263433 | 196885..=196897
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    NotAtThisDoor,
    OutsideValidity,
    Deleted,
}

/// The denied event type for a refused `granted` one: card → 197633 card expired / 197634 card
/// does not exist / 197635 no access level; fingerprint → 197128; anything else (face and the
/// combined modes) → 197151 access denied by face.
fn denied_type(granted: i64, why: Refusal) -> i64 {
    match (granted, why) {
        (198914, Refusal::OutsideValidity) => 197633,
        (198914, Refusal::Deleted) => 197634,
        (198914, Refusal::NotAtThisDoor) => 197635,
        (197127, _) => 197128,
        _ => 197151,
    }
}

/// `event` as the devices would have reported it (see the module text). Events of persons
/// the simulator does not know (a replayed capture) are kept as given.
pub(crate) fn judge(store: &Store, event: Value) -> Value {
    let Some(granted) = event
        .get("eventType")
        .and_then(as_i64)
        .filter(|t| is_granted(*t))
    else {
        return event;
    };
    let d = |k: &str| {
        event
            .pointer(&format!("/data/{k}"))
            .and_then(as_string)
            .filter(|s| !s.is_empty())
    };
    let (id, code) = (d("personId"), d("personCode"));
    let person = id
        .as_deref()
        .and_then(|i| store.persons.by_id(i))
        .or_else(|| code.as_deref().and_then(|c| store.persons.by_code(c)));
    let refusal = match person {
        None => {
            let deleted = [&id, &code]
                .into_iter()
                .flatten()
                .any(|k| store.devices.deleted.contains(k));
            if !deleted {
                return event;
            }
            Refusal::Deleted
        }
        Some(person) => {
            let door = event
                .get("srcIndex")
                .and_then(as_string)
                .unwrap_or_default();
            let at = event
                .get("happenTime")
                .and_then(Value::as_str)
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.timestamp());
            let held = store
                .devices
                .held(person.id)
                .and_then(|h| held_at(h, &door));
            match (held, at) {
                (None, _) => Refusal::NotAtThisDoor,
                (Some(w), Some(t)) if !w.contains(t) => Refusal::OutsideValidity,
                _ => return event,
            }
        }
    };
    let mut event = event;
    event["eventType"] = json!(denied_type(granted, refusal));
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denied_types_follow_the_credential_and_the_reason() {
        assert_eq!(denied_type(196893, Refusal::OutsideValidity), 197151);
        assert_eq!(denied_type(196893, Refusal::NotAtThisDoor), 197151);
        assert_eq!(denied_type(198914, Refusal::OutsideValidity), 197633);
        assert_eq!(denied_type(198914, Refusal::Deleted), 197634);
        assert_eq!(denied_type(198914, Refusal::NotAtThisDoor), 197635);
        assert_eq!(denied_type(197127, Refusal::NotAtThisDoor), 197128);
        assert!(is_granted(196890) && !is_granted(197151) && !is_granted(197635));
    }
}
