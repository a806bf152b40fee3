//! Erasure requests (revoke and delete a person now; the CI kept out of `register` until an
//! administrator lifts it) and clearing a halt of erasures.

use super::lifecycle::{find, now_ms, store_err, view, RunView};
use crate::error::ApiError;
use crate::http::openapi::schemas::ErrorBody;
use crate::http::AppState;
use crate::lifecycle::runner::ErasureRefused;
use crate::store::audit::Actor;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/lifecycle/erasure-halt", delete(clear_halt))
        .route("/admin/people/{ci}/erase", post(erase))
        .route("/admin/people/{ci}/erase/lift", post(lift))
        .route_layer(axum::middleware::map_response(super::times::add_rfc3339))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            super::auth::require_scope,
        ))
}

/// Let erasures go on after a halt
///
/// After HikCentral refused the admin password (or cannot delete persons), erasures stop;
/// configuring another password lifts the halt by itself. This clears it by hand, e.g. after
/// the password was corrected in HikCentral itself.
#[utoipa::path(delete, path = "/admin/lifecycle/erasure-halt", operation_id = "clear_erasure_halt", tag = "lifecycle",
    responses((status = 204, description = "Erasures may go on")))]
async fn clear_halt(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
) -> Result<StatusCode, ApiError> {
    s.store().clear_erasure_halt().await.map_err(store_err)?;
    tracing::info!(client = %actor.client, "erasure halt cleared by an operator");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(examples(json!({"reason": "the person withdrew consent (LOPDP Art. 15), ticket 4711"})))]
pub(crate) struct EraseRequest {
    /// Why (recorded; no personal data beyond what is needed).
    reason: String,
}

/// Erase a person now
///
/// An erasure request (LOPDP Art. 15: within 15 days): the person is revoked and deleted in
/// HikCentral with the face, local fingerprints removed, and the CI kept out of later runs'
/// `register` until an administrator lifts it. Answers the run that does it.
#[utoipa::path(post, path = "/admin/people/{ci}/erase", operation_id = "erase_person", tag = "lifecycle",
    params(("ci" = String, Path, description = "The SIAD CI")),
    request_body = EraseRequest,
    responses(
        (status = 202, description = "The erasure's run", body = RunView),
        (status = 400, description = "`bad_request`: not a CI, no reason, or an exempt person", body = ErrorBody),
        (status = 415, description = "`invalid_json`", body = ErrorBody),
        (status = 422, description = "`invalid_json`", body = ErrorBody),
    ))]
async fn erase(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(ci): Path<String>,
    body: Result<Json<EraseRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body?;
    if req.reason.trim().is_empty() {
        return Err(ApiError::bad_request(
            "say why the person is erased (reason)",
        ));
    }
    let id = match s
        .lifecycle()
        .request_erasure(&ci, req.reason.trim(), &actor)
        .await
    {
        Ok(id) => id,
        Err(ErasureRefused::Other(e)) => return Err(store_err(format!("{e:#}"))),
        Err(e) => return Err(ApiError::bad_request(e.to_string())),
    };
    let run = find(&s, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(view(&s, run).await?)).into_response())
}

/// Lift an erasure block
///
/// Later runs may register the person again (e.g. they came back and consented).
#[utoipa::path(post, path = "/admin/people/{ci}/erase/lift", operation_id = "lift_erasure_block", tag = "lifecycle",
    params(("ci" = String, Path, description = "The SIAD CI")),
    responses(
        (status = 200, description = "Lifted", body = Lifted),
        (status = 409, description = "`not_blocked`: no erasure request blocks this CI", body = ErrorBody),
    ))]
async fn lift(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(ci): Path<String>,
) -> Result<Json<Lifted>, ApiError> {
    if !s
        .store()
        .lift_erasure_block(&ci, &actor, now_ms())
        .await
        .map_err(store_err)?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_blocked",
            format!("no erasure request blocks {ci}"),
        ));
    }
    Ok(Json(Lifted { ci, blocked: false }))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Lifted {
    ci: String,
    blocked: bool,
}
