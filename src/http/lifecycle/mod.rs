//! `/admin/lifecycle/…` and erasure requests: start a run (plan only, or plan and apply),
//! follow it (state, counts per action and outcome, why it is held), apply or approve it,
//! discard or cancel it, read its actions (JSON pages and CSV); request a person's erasure and
//! lift its block (`erasure.rs`). A run's actions are read in `actions.rs`. Every change is recorded in the audit log with who asked.

use crate::config::Scope;
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::openapi::schemas::ErrorBody;
use crate::http::AppState;
use crate::store::audit::Actor;
use crate::store::lifecycle::{LifecycleRun, RunKind};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

mod actions;
pub(super) use actions::{__path_actions, __path_actions_csv, actions, actions_csv};

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/lifecycle/runs", post(create).get(list))
        .route("/admin/lifecycle/runs/{id}", get(one))
        .route("/admin/lifecycle/runs/{id}/apply", post(apply))
        .route("/admin/lifecycle/runs/{id}/discard", post(discard))
        .route("/admin/lifecycle/runs/{id}/actions", get(actions))
        .route("/admin/lifecycle/runs/{id}/actions.csv", get(actions_csv))
        .route_layer(axum::middleware::map_response(super::times::add_rfc3339))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            super::auth::require_scope,
        ))
}

pub(super) fn store_err(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e)
}

pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(examples(json!({"apply": true})))]
pub(crate) struct CreateRun {
    /// `true`: apply the plan once made (unless a guardrail holds it, or this is the
    /// installation's first run, which only plans); needs the scope `admin`. `false`: plan
    /// only (`operate`).
    #[serde(default)]
    apply: bool,
}

/// A run as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RunView {
    id: String,
    /// `on_demand`, `scheduled` or `erasure`.
    kind: String,
    /// `planning`, `planned`, `held`, `applying`, `applied`, `failed` or `cancelled`.
    state: String,
    /// Why an administrator must approve it (`held`).
    held_reason: Option<String>,
    note: Option<String>,
    error: Option<String>,
    apply_requested: bool,
    created_by: Who,
    approved_by: Option<Who>,
    created_at_ms: i64,
    planned_at_ms: Option<i64>,
    finished_at_ms: Option<i64>,
    /// Per action, per outcome (`ok`, `refused`, `failed`, `partial`) or state (`pending`,
    /// `cancelled`, `reported`): how many.
    #[schema(value_type = Object)]
    counts: BTreeMap<String, BTreeMap<String, i64>>,
    /// What the plan was made from: roster parts and their problems, HikCentral's count,
    /// managed and unchanged people, faces compared.
    #[schema(value_type = Object)]
    summary: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Who {
    client: String,
    user: Option<String>,
}

pub(super) async fn view(s: &AppState, run: LifecycleRun) -> Result<RunView, ApiError> {
    let mut counts: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for (action, state, outcome, n) in s
        .store()
        .lifecycle_counts(&run.id)
        .await
        .map_err(store_err)?
    {
        let key = match state.as_str() {
            "done" | "failed" => outcome.unwrap_or(state),
            _ => state,
        };
        *counts.entry(action).or_default().entry(key).or_default() += n;
    }
    let summary = run
        .summary
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(serde_json::Value::Null);
    Ok(RunView {
        apply_requested: run.wants_apply(),
        id: run.id,
        kind: run.kind.as_str().to_owned(),
        state: run.state.as_str().to_owned(),
        held_reason: run.held_reason,
        note: run.note,
        error: run.error,
        created_by: Who {
            client: run.created_by_client,
            user: run.created_by_user,
        },
        approved_by: run.approved_by_client.map(|client| Who {
            client,
            user: run.approved_by_user,
        }),
        created_at_ms: run.created_at_ms,
        planned_at_ms: run.planned_at_ms,
        finished_at_ms: run.finished_at_ms,
        counts,
        summary,
    })
}

pub(super) async fn find(s: &AppState, id: &str) -> Result<LifecycleRun, ApiError> {
    s.store()
        .lifecycle_run(id)
        .await
        .map_err(store_err)?
        .ok_or_else(|| ApiError::not_found(format!("no lifecycle run {id}")))
}

/// Start a lifecycle run
///
/// The job runner plans it (roster, HikCentral's list, one action per person) and, with
/// `apply`, applies it — unless a guardrail holds it for an administrator or this is the
/// installation's first run. Planning needs `operate`; `apply: true` needs `admin` too.
#[utoipa::path(post, path = "/admin/lifecycle/runs", operation_id = "create_lifecycle_run", tag = "lifecycle", request_body = CreateRun,
    responses(
        (status = 202, description = "Waiting to be planned", body = RunView),
        (status = 400, description = "`bad_request`: the body is not `{\"apply\": bool}`", body = ErrorBody),
        (status = 403, description = "`forbidden`: `apply: true` needs the scope `admin`", body = ErrorBody),
        (status = 415, description = "`invalid_json`", body = ErrorBody),
        (status = 422, description = "`invalid_json`", body = ErrorBody),
    ))]
async fn create(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<CreateRun>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body?;
    if req.apply && !caller.scopes.contains(&Scope::Admin) {
        // Planning is `operate`; applying what a plan does to HikCentral is `admin`, whether
        // asked here or with …/apply.
        crate::metrics::access_denied(&actor.client);
        let message = format!(
            "client {:?} lacks the scope `admin` that applying a run needs: ask for a plan              (`{{\"apply\": false}}`) and let an administrator apply it",
            actor.client
        );
        return Err(
            ApiError::forbidden(message.clone()).with_details(serde_json::json!({
                "msg": message, "required_scopes": ["admin"], "client": actor.client
            })),
        );
    }
    let id = s
        .lifecycle()
        .start_run(RunKind::OnDemand, req.apply, &actor)
        .await
        .map_err(store_err)?;
    let run = find(&s, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(view(&s, run).await?)).into_response())
}

/// Lifecycle runs, newest first
#[utoipa::path(get, path = "/admin/lifecycle/runs", tag = "lifecycle", operation_id = "list_lifecycle_runs",
    responses((status = 200, description = "The 50 newest runs", body = RunList)))]
async fn list(State(s): State<AppState>) -> Result<Json<RunList>, ApiError> {
    let mut runs = Vec::new();
    for run in s.store().lifecycle_runs(50).await.map_err(store_err)? {
        runs.push(view(&s, run).await?);
    }
    let erasure_halt = s
        .lifecycle()
        .erasure_blocked()
        .await
        .map_err(store_err)?
        .map(|h| h.message);
    Ok(Json(RunList { runs, erasure_halt }))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RunList {
    runs: Vec<RunView>,
    /// Why erasures are stopped (a refused admin password …), when they are.
    erasure_halt: Option<String>,
}

/// One lifecycle run
#[utoipa::path(get, path = "/admin/lifecycle/runs/{id}", operation_id = "get_lifecycle_run", tag = "lifecycle",
    params(("id" = String, Path, description = "The run's id")),
    responses(
        (status = 200, description = "The run", body = RunView),
        (status = 404, description = "`not_found`", body = ErrorBody),
    ))]
async fn one(State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<RunView>, ApiError> {
    let run = find(&s, &id).await?;
    Ok(Json(view(&s, run).await?))
}

/// Apply a planned run, or approve a held one
///
/// Its changes are then recorded as the approver's.
#[utoipa::path(post, path = "/admin/lifecycle/runs/{id}/apply", operation_id = "apply_lifecycle_run", tag = "lifecycle",
    params(("id" = String, Path, description = "The run's id")),
    responses(
        (status = 202, description = "Applying", body = RunView),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`not_applicable`: the run is not `planned` or `held`", body = ErrorBody),
    ))]
async fn apply(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let before = find(&s, &id).await?;
    if !s
        .store()
        .approve_lifecycle_run(&id, &actor, now_ms())
        .await
        .map_err(store_err)?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_applicable",
            format!(
                "run {id} is {}: only a planned or held run can be applied",
                before.state
            ),
        ));
    }
    s.lifecycle().wake();
    let run = find(&s, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(view(&s, run).await?)).into_response())
}

/// Discard a plan, or cancel a run
///
/// A `planned` or `held` run is discarded; a `planning` or `applying` one stops between two
/// actions (what was applied stays applied).
#[utoipa::path(post, path = "/admin/lifecycle/runs/{id}/discard", operation_id = "discard_lifecycle_run", tag = "lifecycle",
    params(("id" = String, Path, description = "The run's id")),
    responses(
        (status = 200, description = "Cancelled", body = RunView),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`run_ended`: applied, failed or cancelled already", body = ErrorBody),
    ))]
async fn discard(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Result<Json<RunView>, ApiError> {
    let before = find(&s, &id).await?;
    if !s
        .store()
        .cancel_lifecycle_run(&id, &actor, now_ms())
        .await
        .map_err(store_err)?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "run_ended",
            format!("run {id} is {} already", before.state),
        ));
    }
    let run = find(&s, &id).await?;
    Ok(Json(view(&s, run).await?))
}
