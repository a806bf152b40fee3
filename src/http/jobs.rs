//! Bulk sync jobs: `POST /biometrico/jobs`, the newest jobs (`GET /biometrico/jobs`), progress (`GET …/{id}`), live progress as
//! server-sent events (`…/{id}/events`), a CSV report (`…/{id}/report.csv`) and cancel.

use crate::error::ApiError;
use crate::http::contract::RespondIn;
use crate::http::language::Lang;
use crate::http::AppState;
use crate::i18n::{Language, Message};
use crate::store::audit::Actor;
use crate::store::SyncJob;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use futures::Stream;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};

use super::openapi::contract::SyncErrorBody;
use super::openapi::schemas::ErrorBody;
use super::openapi::sync_jobs::{JobCancelled, JobCreated, JobList, JobProgress};
use std::convert::Infallible;
use std::time::Duration;

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/biometrico/jobs", post(create).get(list))
        .route("/biometrico/jobs/{id}", get(progress))
        .route("/biometrico/jobs/{id}/events", get(events))
        .route("/biometrico/jobs/{id}/report.csv", get(report))
        .route("/biometrico/jobs/{id}/cancel", post(cancel))
        .route_layer(axum::middleware::map_response(super::times::add_rfc3339))
        .route_layer(axum::middleware::map_response(super::language::vary))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            super::auth::require_scope,
        ))
}

/// Exactly one selector: a program (and optional period), a person type, or a CI list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(examples(json!({"program": "Ingeniería de Software", "period": "2025-2"}),
    json!({"personType": "D", "dryRun": true}), json!({"cis": ["1712345678", "0923456789"]})))]
struct CreateJob {
    /// Students of this SIAD program (alias `carrera_name`).
    #[serde(alias = "carrera_name")]
    program: Option<String>,
    /// With `program`: the academic period (alias `idper`).
    #[serde(alias = "idper")]
    period: Option<String>,
    /// Teachers or staff of this SIAD person type, e.g. `D` (alias `tipoFilter`).
    #[serde(alias = "tipoFilter")]
    person_type: Option<String>,
    /// These CIs.
    cis: Option<Vec<String>>,
    /// Only say what would be done; nothing is sent to HikCentral.
    #[serde(default)]
    dry_run: bool,
}

fn store_err(e: crate::store::StoreError) -> ApiError {
    ApiError::internal(e)
}

/// Start a bulk sync job
///
/// The people are selected now (from SIAD, or the CI list) and synced one by one in the
/// background through the same paced HikCentral client as the frontend's own calls.
#[utoipa::path(post, path = "/biometrico/jobs", tag = "jobs", request_body = CreateJob,
    responses(
        (status = 202, description = "Queued", body = JobCreated),
        (status = 400, description = "`bad_request`: not exactly one selector; `invalid_json`",
            body = ErrorBody),
        (status = 415, description = "`invalid_json`: send Content-Type: application/json",
            body = ErrorBody),
        (status = 422, description = "`invalid_json`: a field of the wrong type", body = ErrorBody),
        (status = 503, description = "`siad_unavailable`: SIAD could not be read", body = SyncErrorBody),
    ))]
async fn create(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Lang(lang): Lang,
    body: Result<Json<CreateJob>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Response> {
    let Json(req) = body.map_err(|e| ApiError::from(e).into_response())?;
    let selectors = [
        req.program.is_some(),
        req.person_type.is_some(),
        req.cis.is_some(),
    ];
    if selectors.iter().filter(|s| **s).count() != 1 {
        return Err(ApiError::bad_request(Message::OneJobSelector.render(lang)).into_response());
    }
    let (kind, people) = if let Some(cis) = &req.cis {
        let list: Vec<(String, String)> = cis
            .iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .map(|c| (c.clone(), c))
            .collect();
        ("list", list)
    } else {
        let siad = s.person_sync().siad().map_err(|e| e.respond_in(lang))?;
        let found = match (&req.program, &req.person_type) {
            (Some(p), _) => {
                siad.students(p.trim(), req.period.as_deref().filter(|x| !x.is_empty()))
                    .await
            }
            (_, Some(t)) => siad.staff(t.trim()).await,
            _ => Ok(Vec::new()),
        };
        let found = found.map_err(|e| crate::person_sync::SyncFailure::Siad(e).respond_in(lang))?;
        let kind = if req.program.is_some() {
            "program"
        } else {
            "person_type"
        };
        (
            kind,
            found
                .iter()
                .map(|p| (p.ci.clone(), p.full_name()))
                .collect(),
        )
    };
    let id = uuid::Uuid::new_v4().to_string();
    let filter = json!({"program": req.program, "period": req.period, "personType": req.person_type, "cis": req.cis}).to_string();
    s.store()
        .create_sync_job(
            &id,
            kind,
            &filter,
            req.dry_run,
            &people,
            &actor,
            chrono::Utc::now().timestamp_millis(),
        )
        .await
        .map_err(|e| store_err(e).into_response())?;
    s.sync_jobs().wake();
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"id": id, "state": "queued", "total": people.len(), "dryRun": req.dry_run,
                    "progress": format!("/biometrico/jobs/{id}"), "events": format!("/biometrico/jobs/{id}/events"),
                    "report": format!("/biometrico/jobs/{id}/report.csv")})),
    )
        .into_response())
}

/// The progress document: done/total, current person, counts per outcome.
async fn progress_of(s: &AppState, job: &SyncJob) -> Result<Value, ApiError> {
    let counts = s
        .store()
        .sync_job_counts(&job.id)
        .await
        .map_err(store_err)?;
    Ok(progress_with(job, counts))
}

/// A job's progress document, from its row and its processed items per outcome.
fn progress_with(job: &SyncJob, counts: Vec<(String, i64)>) -> Value {
    let done: i64 = counts.iter().map(|(_, n)| n).sum();
    let counts: serde_json::Map<String, Value> =
        counts.into_iter().map(|(k, n)| (k, json!(n))).collect();
    json!({
        "id": job.id, "state": job.state, "dryRun": job.dry_run, "kind": job.kind,
        "total": job.total, "done": done,
        "percent": if job.total > 0 { (done * 100) / job.total } else { 100 },
        "current": job.current_ci.as_ref().map(|ci| json!({"ci": ci, "name": job.current_name})),
        "counts": counts, "error": job.error,
        "createdAt": job.created_at_ms, "finishedAt": job.finished_at_ms,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// 20 by default, 1 to 200.
    limit: Option<i64>,
}

/// The newest jobs
///
/// The newest jobs first (`?limit=`, 20 by default, at most 200), each as its progress.
#[utoipa::path(get, path = "/biometrico/jobs", tag = "jobs", operation_id = "list_jobs",
    params(ListQuery), responses(
    (status = 200, description = "The jobs", body = JobList),
    (status = 400, description = "`http_error`: an unknown query parameter, or `limit` not a number",
        body = ErrorBody),
))]
async fn list(
    State(s): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let jobs = s
        .store()
        .recent_sync_jobs(q.limit.unwrap_or(20).clamp(1, 200))
        .await
        .map_err(store_err)?;
    // One query for every listed job's counts, not one per job.
    let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
    let mut counts = s
        .store()
        .sync_job_counts_of(&ids)
        .await
        .map_err(store_err)?;
    let items: Vec<Value> = jobs
        .iter()
        .map(|job| progress_with(job, counts.remove(&job.id).unwrap_or_default()))
        .collect();
    Ok(Json(json!({"count": items.len(), "items": items})))
}

async fn find(s: &AppState, id: &str, lang: Language) -> Result<SyncJob, ApiError> {
    s.store()
        .sync_job(id)
        .await
        .map_err(store_err)?
        .ok_or_else(|| ApiError::not_found(Message::NoSuchJob { id: id.to_owned() }.render(lang)))
}

/// A job's progress
#[utoipa::path(get, path = "/biometrico/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "done/total, the current person, counts per outcome",
            body = JobProgress),
        (status = 404, description = "`not_found`: no such job", body = ErrorBody),
    ))]
async fn progress(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Lang(lang): Lang,
) -> Result<Json<Value>, ApiError> {
    let job = find(&s, &id, lang).await?;
    Ok(Json(progress_of(&s, &job).await?))
}

/// A progress stream re-reads the store at least this often without a change seen here.
const STREAM_RECHECK: Duration = Duration::from_secs(5);

/// A job's live progress (server-sent events)
///
/// A `progress` event whenever something changed, its data a `JobProgress` document; the
/// stream ends after the job ends.
#[utoipa::path(get, path = "/biometrico/jobs/{id}/events", tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "`event: progress` with `data: <JobProgress JSON>`",
            content_type = "text/event-stream", body = String,
            example = "event: progress\ndata: {\"id\":\"0b8e6f0e-7d1c-4f55-9a35-2f1f4d6f8c11\",\"state\":\"running\",\"done\":1,\"total\":2}\n\n"),
        (status = 404, description = "`not_found`: no such job", body = ErrorBody),
    ))]
async fn events(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Lang(lang): Lang,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    find(&s, &id, lang).await?;
    let changes = s.sync_jobs().progress_changes();
    // The store is read when this process's runner says something changed, and every
    // `STREAM_RECHECK` besides (a job another replica runs), never on a timer tick.
    let stream = futures::stream::unfold(
        (s, id, changes, None::<Value>, false),
        |(s, id, mut changes, last, ended)| async move {
            if ended {
                return None;
            }
            loop {
                changes.mark_unchanged();
                let job = match s.store().sync_job(&id).await {
                    Ok(Some(j)) => j,
                    _ => return None,
                };
                let doc = progress_of(&s, &job).await.ok()?;
                let finished = job.state.is_finished();
                if last.as_ref() != Some(&doc) {
                    let event = Event::default().event("progress").data(doc.to_string());
                    return Some((Ok(event), (s, id, changes, Some(doc), finished)));
                }
                if let Ok(Err(_)) = tokio::time::timeout(STREAM_RECHECK, changes.changed()).await {
                    // No runner in this process any more: fall back to the recheck.
                    tokio::time::sleep(STREAM_RECHECK).await;
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// The columns of a job's report, one row per person.
const REPORT_COLUMNS: [&str; 7] = [
    "position",
    "ci",
    "name",
    "outcome",
    "code",
    "reason",
    "person_id",
];

/// A job's CSV report
///
/// One row per person: `position,ci,name,outcome,code,reason,person_id` (RFC 4180; cells
/// starting with `= + - @` are prefixed with `'`). `reason` is in the request's language
/// (`Accept-Language`, else `ui.language`): items keep their reason as a message key with its
/// parameters, rendered when the report is read.
#[utoipa::path(get, path = "/biometrico/jobs/{id}/report.csv", tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "Attachment `sync-job-<id>.csv`", content_type = "text/csv",
            body = String,
            example = "position,ci,name,outcome,code,reason,person_id\n1,1712345678,Juan Alberto Perez Garcia,registered,0,registered in HikCentral,187\n"),
        (status = 404, description = "`not_found`: no such job", body = ErrorBody),
    ))]
async fn report(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Lang(lang): Lang,
) -> Result<Response, ApiError> {
    find(&s, &id, lang).await?;
    let items = s.store().sync_items(&id, false).await.map_err(store_err)?;
    let rows = items.into_iter().map(|i| {
        [
            (i.position + 1).to_string(),
            i.ci,
            i.name,
            i.outcome.unwrap_or_else(|| "pending".into()),
            i.code.unwrap_or_default(),
            i.reason
                .map(|r| Message::render_stored(&r, lang))
                .unwrap_or_default(),
            i.person_id.unwrap_or_default(),
        ]
    });
    let csv = super::csv_io::table(&REPORT_COLUMNS, rows).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"sync-job-{id}.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}

/// Cancel a job
#[utoipa::path(post, path = "/biometrico/jobs/{id}/cancel", tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "Cancelled", body = JobCancelled),
        (status = 404, description = "`not_found`: no such job", body = ErrorBody),
        (status = 409, description = "`job_ended`: the job has already ended", body = ErrorBody),
    ))]
async fn cancel(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    Lang(lang): Lang,
) -> Result<Json<Value>, ApiError> {
    find(&s, &id, lang).await?;
    if s.store()
        .cancel_sync_job(&id, &actor, chrono::Utc::now().timestamp_millis())
        .await
        .map_err(store_err)?
    {
        s.sync_jobs().progress_changed();
        Ok(Json(json!({"id": id, "state": "cancelled"})))
    } else {
        Err(ApiError::new(
            StatusCode::CONFLICT,
            "job_ended",
            Message::JobEnded { id }.render(lang),
        ))
    }
}
