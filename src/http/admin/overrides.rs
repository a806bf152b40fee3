//! `/admin/overrides`: employee-id overrides for person codes whose Humand employee id
//! differs, one at a time or imported as CSV.

use super::{now_ms, store_err};
use crate::error::ApiError;
use crate::http::openapi::admin_answers::{Imported, OverrideList, OverrideSet};
use crate::http::openapi::schemas::ErrorBody;
use crate::http::AppState;
use crate::store::audit::Actor;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

/// Employee-id overrides
#[utoipa::path(get, path = "/admin/overrides", tag = "admin", responses(
    (status = 200, description = "Every override", body = OverrideList)
))]
pub(super) async fn list_overrides(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    let items: Vec<Value> = s
        .store()
        .employee_overrides()
        .await
        .map_err(store_err)?
        .into_iter()
        .map(|(code, emp, note)| json!({"person_code": code, "employee_id": emp, "note": note}))
        .collect();
    Ok(Json(json!({"count": items.len(), "items": items})))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(examples(json!({"employeeId": "43013830", "note": "moved"})))]
pub(super) struct OverrideBody {
    employee_id: String,
    note: Option<String>,
}

/// Set the Humand employeeId of a person code
#[utoipa::path(put, path = "/admin/overrides/{person_code}", tag = "admin",
    params(("person_code" = String, Path, description = "HikCentral's personCode (the CI)")),
    request_body = OverrideBody,
    responses(
        (status = 200, description = "Stored", body = OverrideSet),
        (status = 400, description = "`bad_request` (empty values) or `invalid_json`",
            body = ErrorBody),
        (status = 415, description = "`invalid_json`: send Content-Type: application/json",
            body = ErrorBody),
        (status = 422, description = "`invalid_json`: a field is missing or of the wrong type",
            body = ErrorBody),
    ))]
pub(super) async fn set_override(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(person_code): Path<String>,
    body: Result<Json<OverrideBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    let emp = body.employee_id.trim();
    if emp.is_empty() || person_code.trim().is_empty() {
        return Err(ApiError::bad_request(
            "personCode and employeeId must not be empty",
        ));
    }
    let row = (
        person_code.trim().to_owned(),
        emp.to_owned(),
        body.note.clone(),
    );
    s.store()
        .set_employee_overrides(&[row], &actor, now_ms())
        .await
        .map_err(store_err)?;
    Ok(Json(
        json!({"person_code": person_code.trim(), "employee_id": emp}),
    ))
}

/// Delete an override
#[utoipa::path(delete, path = "/admin/overrides/{person_code}", tag = "admin",
    params(("person_code" = String, Path, description = "HikCentral's personCode (the CI)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`not_found`: no override for it", body = ErrorBody),
    ))]
pub(super) async fn delete_override(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(person_code): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    if s.store()
        .delete_employee_override(&person_code, &actor, now_ms())
        .await
        .map_err(store_err)?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!(
            "no override for {person_code}"
        )))
    }
}

/// Import overrides from CSV
///
/// CSV body: `person_code,employee_id[,note]` per line (`,` or `;`; quote a note that holds
/// one); a header line and blank lines are skipped. All lines are checked before any is stored.
#[utoipa::path(post, path = "/admin/overrides", tag = "admin",
    request_body(content = String, content_type = "text/csv",
        example = "person_code,employee_id,note\n1712345678,43013830,moved\n"),
    responses(
        (status = 200, description = "Imported", body = Imported),
        (status = 400, description = "`bad_request`: the message names the wrong line",
            body = ErrorBody),
    ))]
pub(super) async fn import_overrides(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    body: String,
) -> Result<Json<Value>, ApiError> {
    let rows = crate::http::csv_io::parse_overrides(&body).map_err(ApiError::bad_request)?;
    // Every line in one transaction, each recorded: all or nothing.
    s.store()
        .set_employee_overrides(&rows, &actor, now_ms())
        .await
        .map_err(store_err)?;
    Ok(Json(json!({"imported": rows.len()})))
}
