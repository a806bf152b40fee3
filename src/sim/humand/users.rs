//! `/users` (search, paged) and `/users/{employeeInternalId}`.

use super::errors::ApiError;
use super::{lock, query, Shared};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/users", get(list))
        .route("/users/{employee_internal_id}", get(one))
}

/// `{"count": N, "users": [...]}`; `count` is the number of matches, not the page size.
async fn list(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = query::params(raw.as_deref());
    let page = query::page(&q)?;
    let limit = query::limit(&q, 50, 10..=u32::MAX)?;
    let search = q.get("search").map(String::as_str).unwrap_or_default();
    let store = lock(&shared.store);
    let found = store.search_users(search);
    let users: Vec<Value> = query::slice(&found, page, limit)
        .iter()
        .map(|u| u.to_json())
        .collect();
    Ok(Json(json!({"count": found.len(), "users": users})))
}

async fn one(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let Path(employee_internal_id) =
        path.map_err(|_| ApiError::invalid("employeeInternalId is not a valid path segment"))?;
    lock(&shared.store)
        .user(&employee_internal_id)
        .map(|u| Json(u.to_json()))
        .ok_or_else(|| ApiError::not_found("User not found"))
}
