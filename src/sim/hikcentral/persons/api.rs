//! The `person/...` APIs over the person store: single add and update (the whole record, validity
//! included), face update and face check, personInfo by code or id, person lists (paged without
//! building the unrequested pages), and `picture_data`. Deletion is in `delete.rs`.

use super::super::devices;
use super::super::person_fields::{decode_face, PersonFields};
use super::super::switches::NotFoundAnswer;
use super::super::wire::{code, page_json, page_window, ApiError, ApiResult, Params};
use super::super::{HikSim, Store};
use super::{InfoOptions, Person};
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

/// A look-up of a person that is not there, answered as the switch says.
fn missing_person(sim: &HikSim, what: &str) -> ApiResult {
    match sim.cfg().lifecycle.not_found {
        NotFoundAnswer::Code128 => Err(not_found(what)),
        NotFoundAnswer::Code0x00072203 => Err(ApiError::new(
            code::RESOURCE_MISSING,
            format!("{what} does not exist"),
        )),
        NotFoundAnswer::EmptySuccess => Ok(Value::Null),
    }
}

/// What a PersonInfo answer to request `p` shows: validity (V2.1 switch) and, for
/// `showAccessLevel: 1` where offered, the person's levels.
fn info_options(sim: &HikSim, p: &Params) -> Result<(bool, bool), ApiError> {
    let asked = p.opt_int("showAccessLevel")? == Some(1);
    let sw = &sim.cfg().lifecycle;
    Ok((sw.validity_in_answers, asked && sw.show_access_level))
}

fn answer(store: &Store, person: &Person, (validity, levels): (bool, bool)) -> Value {
    person.info_with(&InfoOptions {
        validity,
        access_levels: levels.then(|| store.access.levels_of(person.id)),
    })
}
fn person_id(p: &Params) -> Result<String, ApiError> {
    p.req_str("personId", code::BAD_PARAMETER)
}

pub(crate) fn add(sim: &HikSim, p: &Params) -> ApiResult {
    let fields = PersonFields::parse(p, sim.field_rules())?;
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
    Ok(json!(store.persons.insert(fields, None).1))
}

/// Replace the record: omitted optional fields are cleared (validity and cards too); personCode
/// cannot change; the face is not a field of this API and is never changed by it. A validity
/// change is an edit the doors see only once applied.
pub(crate) fn update(sim: &HikSim, p: &Params) -> ApiResult {
    let id = person_id(p)?;
    let fields = PersonFields::parse(p, sim.field_rules())?;
    let at_once = sim.cfg().lifecycle.edits_apply_at_once;
    let mut store = sim.store();
    let Some((pid, old_code)) = store.persons.by_id(&id).map(|p| (p.id, p.code.clone())) else {
        return Err(not_found("personId"));
    };
    if fields.code.as_ref().is_some_and(|c| c != &old_code) {
        return Err(ApiError::bad("personCode cannot be changed"));
    }
    if !store.orgs.exists(&fields.org) {
        return Err(ApiError::bad(format!(
            "orgIndexCode {} does not exist",
            fields.org
        )));
    }
    // `single/update` has no face field (spec): a `faces` list is ignored, the face stays.
    if let Some(person) = store.persons.get_mut(pid) {
        person.fields = PersonFields {
            code: None,
            face: None,
            ..fields
        };
    }
    if at_once {
        devices::apply(&mut store, pid, None);
    }
    Ok(Value::String("null".into()))
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
        store.persons.set_face(pid, jpeg.into());
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

pub(crate) fn by_code(sim: &HikSim, p: &Params) -> ApiResult {
    let code = p.req_str("personCode", code::BAD_PARAMETER)?;
    let opts = info_options(sim, p)?;
    let store = sim.store();
    match store.persons.by_code(&code) {
        Some(person) => Ok(answer(&store, person, opts)),
        None => missing_person(sim, "personCode"),
    }
}

pub(crate) fn by_id(sim: &HikSim, p: &Params) -> ApiResult {
    let id = person_id(p)?;
    let opts = info_options(sim, p)?;
    let store = sim.store();
    match store.persons.by_id(&id) {
        Some(person) => Ok(answer(&store, person, opts)),
        None => missing_person(sim, "personId"),
    }
}

/// One page of `matching` persons (of `total`), refused with `0x00072004` when its JSON is
/// longer than the configured limit.
fn person_page<'a>(
    sim: &HikSim,
    p: &Params,
    store: &Store,
    total: usize,
    matching: impl Iterator<Item = &'a Person>,
) -> ApiResult {
    let (page_no, page_size) = p.page()?;
    let opts = info_options(sim, p)?;
    let (skip, take) = page_window(page_no, page_size);
    let list: Vec<Value> = matching
        .skip(skip)
        .take(take)
        .map(|person| answer(store, person, opts))
        .collect();
    let page = page_json(total, page_no, page_size, list);
    if let Some(max) = sim.cfg().lifecycle.max_answer_bytes {
        if page.to_string().len() > max {
            return Err(ApiError::new(
                code::RESPONSE_TOO_LONG,
                "response too long: reduce the page size",
            ));
        }
    }
    Ok(page)
}

/// `personList {pageNo, pageSize ≤ 500, showAccessLevel}`, in personId order.
pub(crate) fn list(sim: &HikSim, p: &Params) -> ApiResult {
    let store = sim.store();
    person_page(sim, p, &store, store.persons.len(), store.persons.iter())
}

/// Like `list`, with an optional fuzzy, case-insensitive `personName`.
pub(crate) fn advance_list(sim: &HikSim, p: &Params) -> ApiResult {
    let needle = p.opt_str("personName")?.map(|n| n.to_lowercase());
    let store = sim.store();
    let found: Vec<&Person> = store
        .persons
        .iter()
        .filter(|person| {
            needle
                .as_deref()
                .is_none_or(|n| person.name().to_lowercase().contains(n))
        })
        .collect();
    person_page(sim, p, &store, found.len(), found.into_iter())
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
            .map(|f| f.jpeg.to_vec())
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
