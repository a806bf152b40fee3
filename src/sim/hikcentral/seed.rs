//! Seeding many persons at once for tests and benchmarks (tens of thousands, with their
//! organisation, validity and access levels), without the signed API. Everything is checked
//! before anything is stored: a bad seed stores nothing.

use super::devices;
use super::person_fields::PersonFields;
use super::validity;
use super::HikSim;
use bytes::Bytes;
use std::collections::HashSet;

/// One person to seed.
#[derive(Debug, Clone, Default)]
pub struct SeedPerson {
    pub code: String,
    pub given: String,
    pub family: String,
    pub org: String,
    /// ISO 8601 with an offset, like the API takes them.
    pub begin: Option<String>,
    pub end: Option<String>,
    /// privilegeGroupIds the person is in.
    pub access_levels: Vec<String>,
    /// A JPEG; clones of one `Bytes` share the picture (cheap at 40,000 persons).
    pub face: Option<Bytes>,
    /// Already applied to the doors (as after a reapplication); `false`: not applied yet.
    pub applied: bool,
}

impl HikSim {
    /// Store `persons` (personIds handed out as by `single/add`); returns their personIds.
    /// Refuses the whole seed, storing nothing, at the first person whose personCode is taken
    /// or repeated, whose organisation or access level does not exist, or whose validity is
    /// not ISO 8601 with an offset.
    pub fn seed_persons(&self, persons: Vec<SeedPerson>) -> Result<Vec<String>, String> {
        let mut store = self.store();
        let mut codes = HashSet::with_capacity(persons.len());
        for (i, p) in persons.iter().enumerate() {
            let at = format!("person {i} ({:?})", p.code);
            if p.code.is_empty() || !codes.insert(p.code.as_str()) {
                return Err(format!("{at}: the personCode is empty or repeated"));
            }
            if store.persons.by_code(&p.code).is_some() {
                return Err(format!("{at}: the personCode already exists"));
            }
            if !store.orgs.exists(&p.org) {
                return Err(format!("{at}: organisation {:?} does not exist", p.org));
            }
            if let Some(level) = p.access_levels.iter().find(|l| !store.access.exists(l)) {
                return Err(format!("{at}: access level {level:?} does not exist"));
            }
            for (key, t) in [("beginTime", &p.begin), ("endTime", &p.end)] {
                if let Some(t) = t {
                    validity::check(key, t, false).map_err(|e| format!("{at}: {}", e.msg))?;
                }
            }
        }
        let mut ids = Vec::with_capacity(persons.len());
        for p in persons {
            let fields = PersonFields {
                code: Some(p.code),
                given: p.given,
                family: p.family,
                org: p.org,
                begin: p.begin,
                end: p.end,
                ..PersonFields::default()
            };
            let (id, id_text) = store.persons.insert_with_face(fields, p.face, None);
            for level in &p.access_levels {
                store.access.join(level, id);
            }
            if p.applied {
                devices::apply(&mut store, id, None);
            }
            ids.push(id_text);
        }
        Ok(ids)
    }
}
