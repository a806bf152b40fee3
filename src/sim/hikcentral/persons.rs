//! Persons: the store (personIds, codes, faces and their picture URIs) and, in `api.rs`, the
//! `person/...` APIs. `single/update` replaces the whole record, as
//! the real server does: whatever optional field is left out is cleared.

mod api;

use super::person_fields::PersonFields;
use super::wire::{as_i64, as_string};
pub(crate) use api::{
    add, advance_list, by_code, by_id, delete, face_check, face_update, list, picture_data, update,
};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The first personId handed out.
const FIRST_PERSON_ID: u64 = 100;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Face {
    pub uri: String,
    pub jpeg: Vec<u8>,
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

    /// The PersonInfo JSON (`personPhoto` only when there is a face).
    pub fn info(&self) -> Value {
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
        if let Some(b) = &f.begin {
            v["beginTime"] = json!(b);
        }
        if let Some(e) = &f.end {
            v["endTime"] = json!(e);
        }
        v
    }
}

#[derive(Debug)]
pub(crate) struct Persons {
    by_id: BTreeMap<u64, Person>,
    next_id: u64,
    pic_seq: u64,
    /// Hand out UUID-like personIds (`f5…`, 32 hex digits) instead of decimal ones.
    pub uuid_ids: bool,
}

impl Default for Persons {
    fn default() -> Self {
        Self {
            by_id: BTreeMap::new(),
            next_id: FIRST_PERSON_ID,
            pic_seq: 0,
            uuid_ids: false,
        }
    }
}

impl Persons {
    pub fn by_code(&self, code: &str) -> Option<&Person> {
        self.by_id.values().find(|p| p.code == code)
    }

    /// Exact match on the personId as HikCentral prints it (a string, never a number).
    pub fn by_id(&self, id: &str) -> Option<&Person> {
        self.by_id.values().find(|p| p.id_text == id)
    }

    pub fn all_info(&self) -> Vec<Value> {
        self.by_id.values().map(Person::info).collect()
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

    fn face(&mut self, id: u64, jpeg: Option<Vec<u8>>) -> Option<Face> {
        let jpeg = jpeg?;
        self.pic_seq += 1;
        let uri = format!("/pic?face={id}&seq={:08x}", self.pic_seq);
        Some(Face { uri, jpeg })
    }

    /// Store a person; personCode defaults to the personId.
    fn insert(&mut self, fields: PersonFields, wanted_id: Option<u64>) -> String {
        let mut id = self.allocate(wanted_id);
        while fields.code.is_none() && self.by_code(&id.to_string()).is_some() {
            id = self.allocate(None);
        }
        let code = fields.code.clone().unwrap_or_else(|| id.to_string());
        let face = self.face(id, fields.face.clone());
        let id_text = if self.uuid_ids {
            format!("f5{id:030x}")
        } else {
            id.to_string()
        };
        let person = Person {
            id,
            id_text: id_text.clone(),
            code,
            fields: PersonFields {
                face: None,
                ..fields
            },
            face,
        };
        self.by_id.insert(id, person);
        id_text
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
        self.insert(fields, wanted)
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
        assert_eq!(persons.insert(fields(Some("A1")), None), "100");
        assert_eq!(persons.insert(fields(None), None), "101");
        assert_eq!(persons.by_code("101").map(|p| p.id), Some(101));
        assert_eq!(persons.by_id("0100"), None);
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
    fn info_joins_the_names() {
        let mut persons = Persons::default();
        persons.insert(fields(Some("C")), None);
        let info = persons.by_code("C").unwrap().info();
        assert_eq!(info["personName"], "Juan Alberto Perez Garcia");
        assert_eq!(info["personId"], "100");
    }
}
