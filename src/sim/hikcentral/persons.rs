//! Persons: the store (personIds, codes, faces and their picture URIs, indexed by personId
//! and by personCode so look-ups and pages stay cheap at tens of thousands of persons) and, in
//! `api.rs` and `delete.rs`, the `person/...` APIs. `single/update` replaces the whole record,
//! as the real server does: whatever optional field is left out is cleared.

mod api;
mod delete;

use super::person_fields::PersonFields;
use super::wire::{as_i64, as_string};
pub(crate) use api::{
    add, advance_list, by_code, by_id, face_check, face_update, list, picture_data, update,
};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bytes::Bytes;
pub(crate) use delete::{delete, delete_config, locked_error, DeleteGuard};
pub use delete::{DeleteAttempt, DeleteOutcome};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// The first personId handed out.
const FIRST_PERSON_ID: u64 = 100;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Face {
    pub uri: String,
    /// Shared, so thousands of seeded persons may hold one picture.
    pub jpeg: Bytes,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Person {
    pub id: u64,
    /// The personId as HikCentral prints it: decimal, or UUID-like hex (the spec's examples).
    pub id_text: String,
    pub code: String,
    pub fields: PersonFields,
    pub face: Option<Face>,
}

/// What a PersonInfo answer shows besides the stored fields.
#[derive(Debug, Clone, Default)]
pub(crate) struct InfoOptions {
    /// `beginTime`/`endTime` (the V2.1 guide's PersonInfo).
    pub validity: bool,
    /// `accessLevelList`, when asked for and offered: (accessLevelId, accessLevelName).
    pub access_levels: Option<Vec<(String, String)>>,
}

impl Person {
    /// Given and family names joined by a space.
    pub fn name(&self) -> String {
        let f = &self.fields;
        [f.given.as_str(), f.family.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Everything the simulator knows, validity included (for the control surface).
    pub fn info(&self) -> Value {
        self.info_with(&InfoOptions {
            validity: true,
            access_levels: None,
        })
    }

    /// The PersonInfo JSON (`personPhoto` only when there is a face).
    pub fn info_with(&self, opts: &InfoOptions) -> Value {
        let f = &self.fields;
        let mut v = json!({
            "personId": self.id_text,
            "personCode": self.code,
            "personName": self.name(),
            "personFamilyName": f.family,
            "personGivenName": f.given,
            "gender": f.gender,
            "orgIndexCode": f.org,
            "phoneNo": f.phone,
            "email": f.email,
            "remark": f.remark,
            "cards": f.cards,
        });
        if let Some(face) = &self.face {
            v["personPhoto"] = json!({ "picUri": face.uri });
        }
        if opts.validity {
            if let Some(b) = &f.begin {
                v["beginTime"] = json!(b);
            }
            if let Some(e) = &f.end {
                v["endTime"] = json!(e);
            }
        }
        if let Some(levels) = &opts.access_levels {
            // accessLevelId is typed Number in the V3.x catalogue.
            let list: Vec<Value> = levels
                .iter()
                .map(|(id, name)| {
                    let id = id.parse::<u64>().map_or_else(|_| json!(id), |n| json!(n));
                    json!({ "accessLevelId": id, "accessLevelName": name })
                })
                .collect();
            v["accessLevelList"] = Value::Array(list);
        }
        v
    }
}

#[derive(Debug)]
pub(crate) struct Persons {
    /// Boxed: a B-tree node then holds pointers, not half-empty slots of whole persons.
    by_id: BTreeMap<u64, Box<Person>>,
    /// personCode → id, and the personIds that are not printed in decimal → id.
    codes: HashMap<String, u64>,
    texts: HashMap<String, u64>,
    next_id: u64,
    pic_seq: u64,
    /// Hand out UUID-like personIds (`f5…`, 32 hex digits) instead of decimal ones.
    pub uuid_ids: bool,
}

impl Default for Persons {
    fn default() -> Self {
        Self {
            by_id: BTreeMap::new(),
            codes: HashMap::new(),
            texts: HashMap::new(),
            next_id: FIRST_PERSON_ID,
            pic_seq: 0,
            uuid_ids: false,
        }
    }
}

impl Persons {
    pub fn by_code(&self, code: &str) -> Option<&Person> {
        self.codes.get(code).and_then(|id| self.get(*id))
    }

    /// Exact match on the personId as HikCentral prints it (a string, never a number).
    pub fn by_id(&self, text: &str) -> Option<&Person> {
        let decimal = text
            .parse::<u64>()
            .ok()
            .and_then(|n| self.get(n))
            .filter(|p| p.id_text == text);
        decimal.or_else(|| self.texts.get(text).and_then(|id| self.get(*id)))
    }

    pub fn get(&self, id: u64) -> Option<&Person> {
        self.by_id.get(&id).map(|p| &**p)
    }

    /// personId and personCode cannot change through this: callers keep them.
    pub fn get_mut(&mut self, id: u64) -> Option<&mut Person> {
        self.by_id.get_mut(&id).map(|p| &mut **p)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Every person, in personId order.
    pub fn iter(&self) -> impl Iterator<Item = &Person> {
        self.by_id.values().map(|p| &**p)
    }

    pub fn all_info(&self) -> Vec<Value> {
        self.iter().map(Person::info).collect()
    }

    /// Take a person out of the store.
    pub fn remove(&mut self, id: u64) -> Option<Person> {
        let person = *self.by_id.remove(&id)?;
        // A raw insert may have reused the code: only this person's entry goes.
        if self.codes.get(&person.code) == Some(&id) {
            self.codes.remove(&person.code);
        }
        self.texts.remove(&person.id_text);
        Some(person)
    }

    /// A free personId; `wanted` when it is numeric and unused.
    fn allocate(&mut self, wanted: Option<u64>) -> u64 {
        let id = match wanted {
            Some(n) if !self.by_id.contains_key(&n) => n,
            _ => {
                while self.by_id.contains_key(&self.next_id) {
                    self.next_id += 1;
                }
                self.next_id
            }
        };
        self.next_id = self.next_id.max(id + 1);
        id
    }

    fn face(&mut self, id: u64, jpeg: Option<Bytes>) -> Option<Face> {
        let jpeg = jpeg?;
        self.pic_seq += 1;
        let uri = format!("/pic?face={id}&seq={:08x}", self.pic_seq);
        Some(Face { uri, jpeg })
    }

    /// Replace a person's face (a new picture URI).
    pub fn set_face(&mut self, id: u64, jpeg: Bytes) {
        let face = self.face(id, Some(jpeg));
        if let Some(person) = self.by_id.get_mut(&id) {
            person.face = face;
        }
    }

    /// Store a person; personCode defaults to the personId. Returns (id, personId).
    fn insert(&mut self, mut fields: PersonFields, wanted_id: Option<u64>) -> (u64, String) {
        let jpeg = fields.face.take().map(Bytes::from);
        self.insert_with_face(fields, jpeg, wanted_id)
    }

    /// Like `insert`, with the face given as shared bytes (the seeding hook).
    pub(crate) fn insert_with_face(
        &mut self,
        fields: PersonFields,
        jpeg: Option<Bytes>,
        wanted_id: Option<u64>,
    ) -> (u64, String) {
        let mut id = self.allocate(wanted_id);
        while fields.code.is_none() && self.codes.contains_key(&id.to_string()) {
            id = self.allocate(None);
        }
        let mut fields = fields;
        // The code lives in `Person::code` only.
        let code = fields.code.take().unwrap_or_else(|| id.to_string());
        let face = self.face(id, jpeg);
        let id_text = if self.uuid_ids {
            self.texts.insert(format!("f5{id:030x}"), id);
            format!("f5{id:030x}")
        } else {
            id.to_string()
        };
        let person = Person {
            id,
            id_text: id_text.clone(),
            code: code.clone(),
            fields: PersonFields {
                face: None,
                ..fields
            },
            face,
        };
        self.codes.insert(code, id);
        self.by_id.insert(id, Box::new(person));
        (id, id_text)
    }

    /// Lenient insert for the test hook: no API validation.
    pub fn insert_raw(&mut self, v: &Value) -> String {
        let s = |k: &str| v.get(k).and_then(as_string).unwrap_or_default();
        let opt = |k: &str| Some(s(k)).filter(|x| !x.is_empty());
        let mut given = s("personGivenName");
        let family = s("personFamilyName");
        if given.is_empty() && family.is_empty() {
            given = s("personName");
        }
        let face = v
            .pointer("/faces/0/faceData")
            .and_then(Value::as_str)
            .and_then(|d| B64.decode(d).ok());
        let fields = PersonFields {
            code: opt("personCode"),
            given,
            family,
            gender: v.get("gender").and_then(as_i64).unwrap_or(0),
            org: opt("orgIndexCode").unwrap_or_else(|| "1".into()),
            phone: s("phoneNo"),
            email: s("email"),
            remark: s("remark"),
            cards: v
                .get("cards")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            begin: opt("beginTime"),
            end: opt("endTime"),
            face,
        };
        let wanted = opt("personId").and_then(|id| id.parse().ok());
        self.insert(fields, wanted).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(code: Option<&str>) -> PersonFields {
        PersonFields {
            code: code.map(String::from),
            given: "Juan Alberto".into(),
            family: "Perez Garcia".into(),
            org: "2".into(),
            ..PersonFields::default()
        }
    }

    #[test]
    fn ids_start_at_100_and_codes_default_to_the_id() {
        let mut persons = Persons::default();
        assert_eq!(persons.insert(fields(Some("A1")), None).1, "100");
        assert_eq!(persons.insert(fields(None), None).1, "101");
        assert_eq!(persons.by_code("101").map(|p| p.id), Some(101));
        assert_eq!(persons.by_id("0100"), None);
        let removed = persons.remove(100).unwrap();
        assert_eq!(removed.code, "A1");
        assert!(persons.by_code("A1").is_none() && persons.by_id("100").is_none());
        assert_eq!(persons.len(), 1);
    }

    #[test]
    fn raw_insert_honours_a_free_person_id() {
        let mut persons = Persons::default();
        let id = persons.insert_raw(&json!({"personId":"187","personCode":"X","personName":"Ana"}));
        assert_eq!(id, "187");
        assert_eq!(persons.insert_raw(&json!({"personId":"187"})), "188");
        let info = persons.by_id("187").unwrap().info();
        assert_eq!(info["personName"], "Ana");
        assert!(info.get("personPhoto").is_none());
    }

    #[test]
    fn uuid_ids_and_reused_codes_are_found_exactly() {
        let mut persons = Persons::default();
        let decimal = persons.insert(fields(Some("D")), None).1;
        persons.uuid_ids = true;
        let (id, uuid) = persons.insert(fields(Some("U")), None);
        assert_eq!(uuid, format!("f5{id:030x}"));
        assert_eq!(persons.by_id(&uuid).map(|p| p.code.as_str()), Some("U"));
        assert_eq!(persons.by_id(&decimal).map(|p| p.code.as_str()), Some("D"));
        assert!(
            persons.by_id(&id.to_string()).is_none(),
            "printed as a UUID only"
        );
        // A raw insert reusing a code takes it over; removing the older person keeps it.
        let newer = persons.insert_raw(&json!({"personCode": "D"}));
        persons.remove(100);
        assert_eq!(persons.by_code("D").map(|p| p.id_text.clone()), Some(newer));
        persons.remove(id);
        assert!(persons.by_id(&uuid).is_none());
    }

    #[test]
    fn info_joins_the_names() {
        let mut persons = Persons::default();
        persons.insert(fields(Some("C")), None);
        let info = persons.by_code("C").unwrap().info();
        assert_eq!(info["personName"], "Juan Alberto Perez Garcia");
        assert_eq!(info["personId"], "100");
    }
}
