//! `/biometrico/...`: the routes the existing SIAD frontend calls, with the answers it already
//! reads (see `person_sync::outcome`). All of them need a bearer token from `api.tokens`.

use crate::error::ApiError;
use crate::http::contract::RespondIn;
use crate::http::language::Lang;
use crate::http::AppState;
use crate::i18n::Message;
use crate::person_sync::{Registration, SyncFailure};
use crate::store::audit::Actor;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};

use super::openapi::contract::{
    ContractAnswer, PendingAnswers, PersonStatus, PhotoComparison, SyncFailureResponses,
};
use super::openapi::schemas::{Binary, ErrorBody, StringOrInteger};

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/biometrico/sync-hikdoc-est-id/{cedula}",
            post(sync_hikdoc_est_id),
        )
        .route("/biometrico/sync-hikdoc/{cedula}", post(sync_hikdoc))
        .route(
            "/biometrico/sync-hikcentral/{cedula}",
            post(sync_hikcentral),
        )
        .route(
            "/biometrico/sync-hikdoc-update/{cedula}",
            post(sync_hikdoc_update),
        )
        .route(
            "/biometrico/sync-hikdupdatedoce/{cedula}",
            post(sync_hikdupdatedoce),
        )
        .route("/biometrico/getperson-est/{ci}", get(getperson_est))
        .route("/biometrico/getperson/{ci}", get(getperson))
        .route("/biometrico/get-pending-sync-est", get(pending_students))
        .route("/biometrico/get-pending-sync", get(pending_staff))
        .route("/biometrico/gethick/{ci}", get(photo))
        .route("/biometrico/compare/{ci}", get(compare))
        .route_layer(axum::middleware::map_response(super::language::vary))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            super::auth::require_scope,
        ))
}

/// The frontend calls one handler under several paths; each path is its own documented
/// operation, answering exactly as `$target` does.
macro_rules! documented_alias {
    ($(#[$meta:meta])* $name:ident => $target:ident($($arg:ident: $ty:ty),*)) => {
        $(#[$meta])*
        async fn $name($($arg: $ty),*) -> Response {
            $target($($arg),*).await
        }
    };
}

documented_alias! {
    /// Register a student (student form)
    ///
    /// Verifies first (ledger, then HikCentral), never creates a duplicate; reads the person
    /// and photo from SIAD. `idper` is accepted and not needed (the CI finds the person).
    #[utoipa::path(post, path = "/biometrico/sync-hikdoc-est-id/{cedula}", tag = "biometrico",
        params(("cedula" = String, Path, description = "The CI (cédula)"),
               ("idper" = Option<String>, Query, description = "The academic period (unused)")),
        responses(ContractAnswer, SyncFailureResponses))]
    sync_hikdoc_est_id => register(s: State<AppState>, actor: Extension<Actor>, cedula: Path<String>, lang: Lang)
}

documented_alias! {
    /// Register a student (the frontend's mass-sync loop)
    #[utoipa::path(post, path = "/biometrico/sync-hikdoc/{cedula}", tag = "biometrico",
        params(("cedula" = String, Path, description = "The CI (cédula)")),
        responses(ContractAnswer, SyncFailureResponses))]
    sync_hikdoc => register(s: State<AppState>, actor: Extension<Actor>, cedula: Path<String>, lang: Lang)
}

documented_alias! {
    /// Register a teacher or staff member
    #[utoipa::path(post, path = "/biometrico/sync-hikcentral/{cedula}", tag = "biometrico",
        params(("cedula" = String, Path, description = "The CI (cédula)")),
        responses(ContractAnswer, SyncFailureResponses))]
    sync_hikcentral => register(s: State<AppState>, actor: Extension<Actor>, cedula: Path<String>, lang: Lang)
}

async fn register(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(cedula): Path<String>,
    Lang(lang): Lang,
) -> Response {
    s.person_sync()
        .register(cedula.trim(), &actor)
        .await
        .respond_in(lang)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({"personaId": "187"})))]
struct UpdateBody {
    /// HikCentral's personId (a string or a number); missing, null or empty: the ledger (or
    /// HikCentral) supplies it.
    #[serde(rename = "personaId", default)]
    #[schema(value_type = Option<StringOrInteger>)]
    persona_id: Option<Value>,
}

documented_alias! {
    /// Replace a student's photo in HikCentral
    ///
    /// The photo is read from SIAD again. `idper` is accepted and not needed. A body that is not
    /// `{"personaId": …}` answers 400 `bad_request` in the `ErrorBody` shape.
    #[utoipa::path(post, path = "/biometrico/sync-hikdoc-update/{cedula}", tag = "biometrico",
        params(("cedula" = String, Path, description = "The CI (cédula)"),
               ("idper" = Option<String>, Query, description = "The academic period (unused)")),
        request_body(content = Option<UpdateBody>, description = "Optional"),
        responses(ContractAnswer, SyncFailureResponses))]
    sync_hikdoc_update => update(s: State<AppState>, actor: Extension<Actor>, cedula: Path<String>, lang: Lang, body: Bytes)
}

documented_alias! {
    /// Replace a teacher's or staff member's photo in HikCentral
    ///
    /// A body that is not `{"personaId": …}` answers 400 `bad_request` in the `ErrorBody` shape.
    #[utoipa::path(post, path = "/biometrico/sync-hikdupdatedoce/{cedula}", tag = "biometrico",
        params(("cedula" = String, Path, description = "The CI (cédula)")),
        request_body(content = Option<UpdateBody>, description = "Optional"),
        responses(ContractAnswer, SyncFailureResponses))]
    sync_hikdupdatedoce => update(s: State<AppState>, actor: Extension<Actor>, cedula: Path<String>, lang: Lang, body: Bytes)
}

/// The body is `{"personaId": "<personId>"}`; when it is missing or empty the ledger (or
/// HikCentral) supplies the personId.
async fn update(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(cedula): Path<String>,
    Lang(lang): Lang,
    body: Bytes,
) -> Response {
    let parsed: UpdateBody = if body.iter().all(u8::is_ascii_whitespace) {
        UpdateBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => {
                let why = Message::UpdateBodyInvalid {
                    detail: e.to_string(),
                };
                return ApiError::bad_request(why.render(lang)).into_response();
            }
        }
    };
    let pid = parsed.persona_id.and_then(|v| match v {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    s.person_sync()
        .update_photo(cedula.trim(), pid.as_deref(), &actor)
        .await
        .respond_in(lang)
}

documented_alias! {
    /// Is a student registered in HikCentral?
    ///
    /// Drives the frontend's "registered" badge (it treats an HTTP error as not registered).
    #[utoipa::path(get, path = "/biometrico/getperson-est/{ci}", tag = "biometrico",
        params(("ci" = String, Path, description = "The CI (cédula)")),
        responses((status = 200, description = "Registered or not", body = PersonStatus),
                  SyncFailureResponses))]
    getperson_est => status(s: State<AppState>, ci: Path<String>, lang: Lang)
}

documented_alias! {
    /// Is a teacher or staff member registered in HikCentral?
    #[utoipa::path(get, path = "/biometrico/getperson/{ci}", tag = "biometrico",
        params(("ci" = String, Path, description = "The CI (cédula)")),
        responses((status = 200, description = "Registered or not", body = PersonStatus,
            example = json!({"registrado": false, "personId": null})), SyncFailureResponses))]
    getperson => status(s: State<AppState>, ci: Path<String>, lang: Lang)
}

/// `{"registrado": bool, "personId": string|null}`; when `biometrico.access_levels` is set, a
/// registered person also gets `"devices": {"status", "reason", "accessLevels"}` (whether the
/// face reached the devices).
async fn status(State(s): State<AppState>, Path(ci): Path<String>, Lang(lang): Lang) -> Response {
    let ci = ci.trim();
    match s.person_sync().registration(ci).await {
        Ok(Registration::Registered { person_id }) => {
            let mut body = json!({"registrado": true, "personId": person_id});
            match s.person_sync().device_status_of(ci).await {
                Ok(Some(d)) => {
                    body["devices"] = json!({"status": d.status, "reason": d.reason.render(lang),
                        "accessLevels": d.access_levels});
                }
                Ok(None) => {}
                Err(e) => return e.respond_in(lang),
            }
            Json(body).into_response()
        }
        Ok(Registration::NotRegistered) => {
            Json(json!({"registrado": false, "personId": null})).into_response()
        }
        Err(e) => e.respond_in(lang),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct StudentFilter {
    /// The program (required).
    carrera_name: Option<String>,
    /// The academic period.
    idper: Option<String>,
}

/// Students of a program not registered yet
#[utoipa::path(get, path = "/biometrico/get-pending-sync-est", tag = "biometrico",
    params(StudentFilter),
    responses(PendingAnswers, (status = 400, description = "`bad_request`: carrera_name is required",
        body = ErrorBody)))]
async fn pending_students(
    State(s): State<AppState>,
    Lang(lang): Lang,
    Query(q): Query<StudentFilter>,
) -> Response {
    let Some(program) = q.carrera_name.filter(|c| !c.trim().is_empty()) else {
        return ApiError::bad_request(Message::ProgramRequired.render(lang)).into_response();
    };
    let people = match s.person_sync().siad() {
        Ok(siad) => {
            siad.students(program.trim(), q.idper.as_deref().filter(|p| !p.is_empty()))
                .await
        }
        Err(e) => return e.respond_in(lang),
    };
    pending(&s, people, lang).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct StaffFilter {
    /// The SIAD person type (`TipoInfPer`, e.g. `D`; required).
    #[serde(rename = "tipoFilter")]
    tipo_filter: Option<String>,
}

/// Teachers or staff of a type not registered yet
#[utoipa::path(get, path = "/biometrico/get-pending-sync", tag = "biometrico",
    params(StaffFilter),
    responses(PendingAnswers, (status = 400, description = "`bad_request`: tipoFilter is required",
        body = ErrorBody)))]
async fn pending_staff(
    State(s): State<AppState>,
    Lang(lang): Lang,
    Query(q): Query<StaffFilter>,
) -> Response {
    let Some(kind) = q.tipo_filter.filter(|c| !c.trim().is_empty()) else {
        return ApiError::bad_request(Message::PersonTypeRequired.render(lang)).into_response();
    };
    let people = match s.person_sync().siad() {
        Ok(siad) => siad.staff(kind.trim()).await,
        Err(e) => return e.respond_in(lang),
    };
    pending(&s, people, lang).await
}

/// SIAD people in the filter that the ledger does not know as registered.
async fn pending(
    s: &AppState,
    people: Result<Vec<crate::siad::SiadPerson>, crate::siad::SiadError>,
    lang: crate::i18n::Language,
) -> Response {
    let people = match people {
        Ok(p) => p,
        Err(e) => return SyncFailure::Siad(e).respond_in(lang),
    };
    let registered = match s.store().registered_cis().await {
        Ok(r) => r,
        Err(e) => return SyncFailure::Store(e).respond_in(lang),
    };
    let pendientes: Vec<Value> = people
        .iter()
        .filter(|p| !registered.contains(&p.ci))
        .map(|p| p.to_contract_json())
        .collect();
    Json(json!({"pendientes": pendientes})).into_response()
}

/// The person's current photo from HikCentral
///
/// Never cached (`Cache-Control: no-store`); the frontend adds `?t=<now>` as well.
#[utoipa::path(get, path = "/biometrico/gethick/{ci}", tag = "biometrico",
    params(("ci" = String, Path, description = "The CI (cédula)"),
           ("t" = Option<String>, Query, description = "Ignored (the frontend's cache-buster)")),
    responses(
        (status = 200, description = "The image bytes, with HikCentral's content type",
            content((Binary = "image/jpeg"), (Binary = "image/png"))),
        SyncFailureResponses,
        (status = 404, description = "`not_found`: not registered, or HikCentral has no photo",
            body = ErrorBody),
    ))]
async fn photo(State(s): State<AppState>, Path(ci): Path<String>, Lang(lang): Lang) -> Response {
    let ci = ci.trim();
    match s.person_sync().hikcentral_photo(ci).await {
        Ok(Some((bytes, mime))) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => {
            let why = Message::NoHikCentralPhotoForCi { ci: ci.to_owned() };
            ApiError::not_found(why.render(lang)).into_response()
        }
        Err(e) => e.respond_in(lang),
    }
}

/// How alike the SIAD and HikCentral photos are
#[utoipa::path(get, path = "/biometrico/compare/{ci}", tag = "biometrico",
    params(("ci" = String, Path, description = "The CI (cédula)")),
    responses(
        (status = 200, description = "Similarity 0–100 of the two photos' hashes",
            body = PhotoComparison),
        SyncFailureResponses,
    ))]
async fn compare(State(s): State<AppState>, Path(ci): Path<String>, Lang(lang): Lang) -> Response {
    match s.person_sync().compare(ci.trim()).await {
        Ok(c) => Json(json!({
            "ci": c.ci,
            "similarity": c.similarity,
            "siadHash": c.siad_hash,
            "hikcentralHash": c.hikcentral_hash,
            "reason": c.reason.render(lang),
        }))
        .into_response(),
        Err(e) => e.respond_in(lang),
    }
}
