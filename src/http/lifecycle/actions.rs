//! A run's actions: JSON pages (optionally one action, or only those that did not end well)
//! and the whole list as CSV.

use super::{find, store_err};
use crate::error::ApiError;
use crate::http::openapi::schemas::ErrorBody;
use crate::http::AppState;
use crate::store::lifecycle::{ActionFilter, ActionKind, LifecycleAction};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActionQuery {
    /// Only this action: `register`, `refresh_face`, `refresh_person`, `revoke`, `restore`,
    /// `erase`, `unmanaged` or `skip`.
    action: Option<String>,
    /// `true`: only the actions that did not end well (failed, refused by HikCentral, or
    /// done with a device's error), with HikCentral's code and message.
    problems: Option<bool>,
    /// After this position (the previous page's last).
    after: Option<i64>,
    /// 200 by default, at most 1000.
    limit: Option<i64>,
}

fn filter(q: &ActionQuery) -> Result<ActionFilter, ApiError> {
    let action = q
        .action
        .as_deref()
        .map(|a| {
            a.parse::<ActionKind>().map_err(|_| {
                ApiError::bad_request(format!(
                    "action {:?} is not one of {}",
                    a.escape_debug().to_string(),
                    ActionKind::words()
                ))
            })
        })
        .transpose()?;
    Ok(ActionFilter {
        action,
        problems_only: q.problems.unwrap_or(false),
    })
}

/// A run's actions, in order
#[utoipa::path(get, path = "/admin/lifecycle/runs/{id}/actions", operation_id = "lifecycle_run_actions", tag = "lifecycle",
    params(("id" = String, Path, description = "The run's id"), ActionQuery),
    responses(
        (status = 200, description = "One page of actions", body = [LifecycleAction]),
        (status = 400, description = "`bad_request`: an unknown action", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    ))]
pub(crate) async fn actions(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ActionQuery>,
) -> Result<Json<Vec<LifecycleAction>>, ApiError> {
    find(&s, &id).await?;
    let rows = s
        .store()
        .lifecycle_actions(
            &id,
            filter(&q)?,
            q.after.unwrap_or(-1),
            q.limit.unwrap_or(200).clamp(1, 1000),
        )
        .await
        .map_err(store_err)?;
    Ok(Json(rows))
}

const CSV_COLUMNS: [&str; 11] = [
    "position",
    "ci",
    "person_id",
    "person_type",
    "action",
    "reason",
    "state",
    "outcome",
    "detail",
    "upstream_code",
    "upstream_msg",
];

/// A run's actions as CSV
///
/// Every action with its reason and outcome (RFC 4180; cells starting with `= + - @` are
/// prefixed with `'`).
#[utoipa::path(get, path = "/admin/lifecycle/runs/{id}/actions.csv", operation_id = "lifecycle_run_actions_csv", tag = "lifecycle",
    params(("id" = String, Path, description = "The run's id"), ActionQuery),
    responses(
        (status = 200, description = "Attachment `lifecycle-<id>.csv`", content_type = "text/csv", body = String),
        (status = 400, description = "`bad_request`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    ))]
pub(crate) async fn actions_csv(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ActionQuery>,
) -> Result<Response, ApiError> {
    find(&s, &id).await?;
    let filter = filter(&q)?;
    let mut rows: Vec<[String; 11]> = Vec::new();
    let mut after = -1;
    loop {
        let page = s
            .store()
            .lifecycle_actions(&id, filter, after, 5000)
            .await
            .map_err(store_err)?;
        let Some(last) = page.last().map(|a| a.position) else {
            break;
        };
        rows.extend(page.into_iter().map(|a| {
            [
                a.position.to_string(),
                a.ci,
                a.person_id.unwrap_or_default(),
                a.person_type.unwrap_or_default(),
                a.action.as_str().to_owned(),
                a.reason,
                a.state.as_str().to_owned(),
                a.outcome.unwrap_or_default(),
                a.detail.unwrap_or_default(),
                a.upstream_code.unwrap_or_default(),
                a.upstream_msg.unwrap_or_default(),
            ]
        }));
        after = last;
    }
    let csv = crate::http::csv_io::table(&CSV_COLUMNS, rows).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"lifecycle-{id}.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}
