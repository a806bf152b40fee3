//! `/biometrico/...`: the routes the existing SIAD frontend calls, with the answers it already
//! reads (see `person_sync::outcome`). All of them need a bearer token from `api.tokens`.

use crate::app::AppState;
use crate::error::ApiError;
use crate::person_sync::{Registration, SyncFailure};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/biometrico/sync-hikdoc-est-id/{cedula}", post(register))
        .route("/biometrico/sync-hikdoc/{cedula}", post(register))
        .route("/biometrico/sync-hikcentral/{cedula}", post(register))
        .route("/biometrico/sync-hikdoc-update/{cedula}", post(update))
        .route("/biometrico/sync-hikdupdatedoce/{cedula}", post(update))
        .route("/biometrico/getperson-est/{ci}", get(status))
        .route("/biometrico/getperson/{ci}", get(status))
        .route("/biometrico/get-pending-sync-est", get(pending_students))
        .route("/biometrico/get-pending-sync", get(pending_staff))
        .route("/biometrico/gethick/{ci}", get(photo))
        .route("/biometrico/compare/{ci}", get(compare))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            super::auth::require_bearer,
        ))
}

async fn register(State(s): State<AppState>, Path(cedula): Path<String>) -> Response {
    match s.person_sync().register(cedula.trim()).await {
        Ok(c) => c.into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Default, Deserialize)]
struct UpdateBody {
    #[serde(rename = "personaId", default)]
    persona_id: Option<Value>,
}

/// The body is `{"personaId": "<personId>"}`; when it is missing or empty the ledger (or
/// HikCentral) supplies the personId.
async fn update(State(s): State<AppState>, Path(cedula): Path<String>, body: Bytes) -> Response {
    let parsed: UpdateBody = if body.iter().all(u8::is_ascii_whitespace) {
        UpdateBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => {
                return ApiError::bad_request(format!(
                    "the body must be {{\"personaId\": \"…\"}}: {e}"
                ))
                .into_response()
            }
        }
    };
    let pid = parsed.persona_id.and_then(|v| match v {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    match s
        .person_sync()
        .update_photo(cedula.trim(), pid.as_deref())
        .await
    {
        Ok(c) => c.into_response(),
        Err(e) => e.into_response(),
    }
}

/// `{"registrado": bool, "personId": string|null}`; when `biometrico.access_levels` is set, a
/// registered person also gets `"devices": {"status", "reason", "accessLevels"}` (whether the
/// face reached the devices).
async fn status(State(s): State<AppState>, Path(ci): Path<String>) -> Response {
    let ci = ci.trim();
    match s.person_sync().registration(ci).await {
        Ok(Registration::Registered { person_id }) => {
            let mut body = json!({"registrado": true, "personId": person_id});
            match s.person_sync().device_status_of(ci).await {
                Ok(Some(devices)) => body["devices"] = json!(devices),
                Ok(None) => {}
                Err(e) => return e.into_response(),
            }
            Json(body).into_response()
        }
        Ok(Registration::NotRegistered) => {
            Json(json!({"registrado": false, "personId": null})).into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct StudentFilter {
    carrera_name: Option<String>,
    idper: Option<String>,
}

async fn pending_students(State(s): State<AppState>, Query(q): Query<StudentFilter>) -> Response {
    let Some(program) = q.carrera_name.filter(|c| !c.trim().is_empty()) else {
        return ApiError::bad_request("carrera_name is required").into_response();
    };
    let people = match s.person_sync().siad() {
        Ok(siad) => {
            siad.students(program.trim(), q.idper.as_deref().filter(|p| !p.is_empty()))
                .await
        }
        Err(e) => return e.into_response(),
    };
    pending(&s, people).await
}

#[derive(Debug, Deserialize)]
struct StaffFilter {
    #[serde(rename = "tipoFilter")]
    tipo_filter: Option<String>,
}

async fn pending_staff(State(s): State<AppState>, Query(q): Query<StaffFilter>) -> Response {
    let Some(kind) = q.tipo_filter.filter(|c| !c.trim().is_empty()) else {
        return ApiError::bad_request("tipoFilter is required").into_response();
    };
    let people = match s.person_sync().siad() {
        Ok(siad) => siad.staff(kind.trim()).await,
        Err(e) => return e.into_response(),
    };
    pending(&s, people).await
}

/// SIAD people in the filter that the ledger does not know as registered.
async fn pending(
    s: &AppState,
    people: Result<Vec<crate::siad::SiadPerson>, crate::siad::SiadError>,
) -> Response {
    let people = match people {
        Ok(p) => p,
        Err(e) => return SyncFailure::Siad(e).into_response(),
    };
    let registered = match s.store().registered_cis().await {
        Ok(r) => r,
        Err(e) => return SyncFailure::Store(e).into_response(),
    };
    let pendientes: Vec<Value> = people
        .iter()
        .filter(|p| !registered.contains(&p.ci))
        .map(|p| p.to_contract_json())
        .collect();
    Json(json!({"pendientes": pendientes})).into_response()
}

/// The person's current photo from HikCentral, never cached.
async fn photo(State(s): State<AppState>, Path(ci): Path<String>) -> Response {
    match s.person_sync().hikcentral_photo(ci.trim()).await {
        Ok(Some((bytes, mime))) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => ApiError::not_found(format!("HikCentral has no photo for CI {}", ci.trim()))
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn compare(State(s): State<AppState>, Path(ci): Path<String>) -> Response {
    match s.person_sync().compare(ci.trim()).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}
