//! The `person/...` APIs over the person store: single add, update (the whole record) and
//! delete, face update and face check, personInfo by code or id, person lists, and
//! `picture_data`.

use super::super::person_fields::{decode_face, PersonFields};
use super::super::wire::{code, page_of, ApiError, ApiResult, Params};
use super::super::HikSim;
use super::Person;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};

fn not_found(what: &str) -> ApiError {
    ApiError::new(code::NOT_FOUND, format!("{what} does not exist"))
}

fn person_id(p: &Params) -> Result<String, ApiError> {
    p.req_str("personId", code::BAD_PARAMETER)
}

pub(crate) fn add(sim: &HikSim, p: &Params) -> ApiResult {
    let fields = PersonFields::parse(p, sim.cfg().max_face_bytes)?;
    let mut store = sim.store();
    if !store.orgs.exists(&fields.org) {
        return Err(ApiError::bad(format!(
            "orgIndexCode {} does not exist",
            fields.org
        )));
    }
    if let Some(code) = &fields.code {
        if store.persons.by_code(code).is_some() {
            return Err(ApiError::new(
                code::ALREADY_EXISTS,
                "person code already exists",
            ));
        }
    }
    Ok(json!(store.persons.insert(fields, None)))
}

/// Replace the record: omitted optional fields are cleared; personCode cannot change; the face
/// is not a field of this API and is never changed by it.
pub(crate) fn update(sim: &HikSim, p: &Params) -> ApiResult {
    let id = person_id(p)?;
    let fields = PersonFields::parse(p, sim.cfg().max_face_bytes)?;
    let mut store = sim.store();
    let Some(old) = store.persons.by_id(&id).cloned() else {
        return Err(not_found("personId"));
    };
    if fields.code.as_ref().is_some_and(|c| c != &old.code) {
        return Err(ApiError::bad("personCode cannot be changed"));
    }
    if !store.orgs.exists(&fields.org) {
        return Err(ApiError::bad(format!(
            "orgIndexCode {} does not exist",
            fields.org
        )));
    }
    // `single/update` has no face field (spec): a `faces` list is ignored, the face stays.
    let person = Person {
        fields: PersonFields {
            face: None,
            ..fields
        },
        ..old
    };
    store.persons.by_id.insert(person.id, person);
    Ok(Value::Null)
}

pub(crate) fn face_update(sim: &HikSim, p: &Params) -> ApiResult {
    let (supported, ignored, max) = {
        let cfg = sim.cfg();
        (
            cfg.face_update_supported,
            cfg.face_update_ignored,
            cfg.max_face_bytes,
        )
    };
    if !supported {
        return Err(ApiError::new(code::NOT_SUPPORTED, "API not supported"));
    }
    let id = person_id(p)?;
    let jpeg = decode_face(&p.req_str("faceData", code::BAD_PARAMETER)?, max)?;
    let mut store = sim.store();
    let Some(pid) = store.persons.by_id(&id).map(|p| p.id) else {
        return Err(not_found("personId"));
    };
    if !ignored {
        let face = store.persons.face(pid, Some(jpeg));
        if let Some(person) = store.persons.by_id.get_mut(&pid) {
            person.face = face;
        }
    }
    Ok(Value::Null)
}

/// `acs/v1/faceCheck {faceData, acsDevIndexCode}`: the device's face model judges the picture
/// (the failure codes are undocumented; the simulator answers 2 with a message).
pub(crate) fn face_check(sim: &HikSim, p: &Params) -> ApiResult {
    let (refuses, max) = {
        let cfg = sim.cfg();
        (cfg.face_check_refuses, cfg.max_face_bytes)
    };
    p.req_str("acsDevIndexCode", code::BAD_PARAMETER)?;
    decode_face(&p.req_str("faceData", code::BAD_PARAMETER)?, max)?;
    if refuses {
        return Err(ApiError::bad(
            "face picture quality check failed: no face detected",
        ));
    }
    Ok(Value::String("null".into()))
}

pub(crate) fn delete(sim: &HikSim, p: &Params) -> ApiResult {
    let id = person_id(p)?;
    let mut store = sim.store();
    let Some(pid) = store.persons.by_id(&id).map(|p| p.id) else {
        return Err(not_found("personId"));
    };
    store.persons.by_id.remove(&pid);
    Ok(Value::Null)
}

pub(crate) fn by_code(sim: &HikSim, p: &Params) -> ApiResult {
    let code = p.req_str("personCode", code::BAD_PARAMETER)?;
    let store = sim.store();
    store
        .persons
        .by_code(&code)
        .map(Person::info)
        .ok_or_else(|| not_found("personCode"))
}

pub(crate) fn by_id(sim: &HikSim, p: &Params) -> ApiResult {
    let id = person_id(p)?;
    let store = sim.store();
    store
        .persons
        .by_id(&id)
        .map(Person::info)
        .ok_or_else(|| not_found("personId"))
}

pub(crate) fn list(sim: &HikSim, p: &Params) -> ApiResult {
    let (page_no, page_size) = p.page()?;
    Ok(page_of(sim.store().persons.all_info(), page_no, page_size))
}

/// Like `list`, with an optional fuzzy, case-insensitive `personName`.
pub(crate) fn advance_list(sim: &HikSim, p: &Params) -> ApiResult {
    let (page_no, page_size) = p.page()?;
    let needle = p.opt_str("personName")?.map(|n| n.to_lowercase());
    let store = sim.store();
    let found: Vec<Value> = store
        .persons
        .by_id
        .values()
        .filter(|person| {
            needle
                .as_deref()
                .is_none_or(|n| person.name().to_lowercase().contains(n))
        })
        .map(Person::info)
        .collect();
    Ok(page_of(found, page_no, page_size))
}

/// The photo: not the envelope on success, but raw JPEG or a data-URI string.
pub(crate) async fn picture_data(State(sim): State<HikSim>, body: Bytes) -> Response {
    let photo = Params::parse(&body).and_then(|p| {
        let id = person_id(&p)?;
        let uri = p.req_str("picUri", code::BAD_PARAMETER)?;
        let store = sim.store();
        let person = store
            .persons
            .by_id(&id)
            .ok_or_else(|| not_found("personId"))?;
        person
            .face
            .as_ref()
            .filter(|f| f.uri == uri)
            .map(|f| f.jpeg.clone())
            .ok_or_else(|| not_found("picture"))
    });
    match photo {
        Err(e) => e.into_response(),
        Ok(jpeg) if sim.cfg().picture_as_data_uri => (
            [(CONTENT_TYPE, "text/plain;charset=UTF-8")],
            format!("data:image/jpeg;base64,{}", B64.encode(jpeg)),
        )
            .into_response(),
        Ok(jpeg) => ([(CONTENT_TYPE, "image/jpeg")], jpeg).into_response(),
    }
}
