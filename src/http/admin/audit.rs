//! Who did what: the audit log (filtered pages and CSV), one person's history, and the calling
//! client's own identity and scopes (the dashboard shows only what it may do).

use super::store_err;
use crate::error::ApiError;
use crate::http::auth::Caller;
use crate::http::openapi::schemas::ErrorBody;
use crate::http::AppState;
use crate::store::audit::{AuditAction, AuditFilter, AuditOutcome, AuditRow};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Rows per page by default, and at most.
const PAGE: i64 = 200;
const MAX_PAGE: i64 = 1000;
/// Rows in one CSV export at most.
const MAX_CSV: i64 = 100_000;

/// The calling client.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Session {
    /// The client's name (`[[api.clients]]`, `api.tokens`, or `api.jwt.client_name`).
    client: String,
    /// The person behind the call, when known.
    user: Option<String>,
    /// What it may do: `sync`, `read`, `operate`, `admin`.
    scopes: Vec<crate::config::Scope>,
}

/// Who is calling, with which scopes
///
/// Any scope: the dashboard asks once after logging in and shows only the actions allowed.
#[utoipa::path(get, path = "/admin/session", tag = "admin", responses(
    (status = 200, description = "The calling client", body = Session)
))]
pub(super) async fn session(Extension(caller): Extension<Caller>) -> Json<Session> {
    Json(Session {
        client: caller.client,
        user: caller.user,
        scopes: caller.scopes.into_iter().collect(),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditQuery {
    /// A client's name or an acting user.
    actor: Option<String>,
    /// An action (`punch_discard`), or a prefix with `*` (`person_*`).
    action: Option<String>,
    /// What was acted on: a CI, a punch id, a job id …
    target: Option<String>,
    /// `person`, `punch`, `event`, `job`, `run`, `override`, `route`, `service`, `audit`.
    target_kind: Option<String>,
    /// `ok`, `refused`, `failed` or `denied`.
    outcome: Option<String>,
    /// From this moment (RFC 3339, e.g. `2026-12-05T00:00:00Z`), inclusive.
    since: Option<String>,
    /// Until this moment (RFC 3339), exclusive.
    until: Option<String>,
    /// The next page: rows older than this `seq` (the previous page's `next_before`).
    before: Option<i64>,
    /// 200 by default, 1 to 1000 (CSV: up to 100,000).
    limit: Option<i64>,
}

/// A page of the audit log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditPage {
    rows: Vec<AuditRow>,
    /// Pass as `before` for the next (older) page; `null` at the end.
    next_before: Option<i64>,
}

fn moment(key: &str, text: Option<&str>) -> Result<Option<i64>, ApiError> {
    text.map(|t| {
        chrono::DateTime::parse_from_rfc3339(t.trim())
            .map(|d| d.timestamp_millis())
            .map_err(|_| {
                ApiError::bad_request(format!(
                    "{key} must be an RFC 3339 moment such as 2026-12-05T00:00:00Z, not {:?}",
                    t.escape_debug().to_string()
                ))
            })
    })
    .transpose()
}

impl AuditQuery {
    fn filter(&self) -> Result<AuditFilter, ApiError> {
        if let Some(action) = &self.action {
            let word = action.trim_end_matches('*');
            let known = AuditAction::ALL
                .iter()
                .any(|a| a.as_str().starts_with(word));
            if !known || (!action.ends_with('*') && action.parse::<AuditAction>().is_err()) {
                return Err(ApiError::bad_request(format!(
                    "action {:?} matches no action; use one of {} (or a prefix with *, e.g. person_*)",
                    action.escape_debug().to_string(),
                    AuditAction::words()
                )));
            }
        }
        if let Some(outcome) = &self.outcome {
            if outcome.parse::<AuditOutcome>().is_err() {
                return Err(ApiError::bad_request(format!(
                    "outcome {:?} is not one of {}",
                    outcome.escape_debug().to_string(),
                    AuditOutcome::words()
                )));
            }
        }
        let nonempty = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        };
        Ok(AuditFilter {
            actor: nonempty(&self.actor),
            action: nonempty(&self.action),
            target_kind: nonempty(&self.target_kind),
            target: nonempty(&self.target),
            outcome: nonempty(&self.outcome),
            since_ms: moment("since", self.since.as_deref())?,
            until_ms: moment("until", self.until.as_deref())?,
            before_seq: self.before,
        })
    }
}

/// The audit log
///
/// Every state-changing request, every change to a person in HikCentral (from routes, bulk jobs
/// and lifecycle runs), every operator action on punches and events, and each start of the
/// service: who (client, acting user, scope), when, what, on what, with what outcome. Never a
/// secret, a token, a photo or a face fingerprint.
#[utoipa::path(get, path = "/admin/audit", tag = "admin", operation_id = "list_audit", params(AuditQuery), responses(
    (status = 200, description = "Newest first", body = AuditPage),
    (status = 400, description = "`bad_request`: an unknown action or a moment that is not RFC 3339", body = ErrorBody),
))]
pub(super) async fn list(
    State(s): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let filter = q.filter()?;
    let limit = q.limit.unwrap_or(PAGE).clamp(1, MAX_PAGE);
    let rows = s
        .store()
        .audit_rows(&filter, limit)
        .await
        .map_err(store_err)?;
    let next_before = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    Ok(Json(AuditPage { rows, next_before }))
}

const CSV_COLUMNS: [&str; 13] = [
    "seq",
    "at",
    "client",
    "acting_user",
    "scope",
    "action",
    "target_kind",
    "target",
    "outcome",
    "request_id",
    "remote_addr",
    "detail",
    "hash",
];

/// The audit log as CSV
///
/// The same filters as `/admin/audit`, newest first, up to 100,000 rows (`limit`).
#[utoipa::path(get, path = "/admin/audit.csv", tag = "admin", operation_id = "audit_csv", params(AuditQuery), responses(
    (status = 200, description = "Attachment `audit.csv`", content_type = "text/csv", body = String),
    (status = 400, description = "`bad_request`", body = ErrorBody),
))]
pub(super) async fn csv(
    State(s): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let filter = q.filter()?;
    let limit = q.limit.unwrap_or(MAX_CSV).clamp(1, MAX_CSV);
    let rows = s
        .store()
        .audit_rows(&filter, limit)
        .await
        .map_err(store_err)?;
    let cells = rows.into_iter().map(|r| {
        let at = chrono::DateTime::from_timestamp_millis(r.at_ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_default();
        [
            r.seq.to_string(),
            at,
            r.client,
            r.acting_user.unwrap_or_default(),
            r.scope.unwrap_or_default(),
            r.action,
            r.target_kind.unwrap_or_default(),
            r.target.unwrap_or_default(),
            r.outcome,
            r.request_id.unwrap_or_default(),
            r.remote_addr.unwrap_or_default(),
            r.detail.unwrap_or_default(),
            r.hash,
        ]
    });
    let body = crate::http::csv_io::table(&CSV_COLUMNS, cells).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// Where a person stands, without the face.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PersonHistory {
    ci: String,
    /// HikCentral's personId, when registered.
    person_id: Option<String>,
    person_type: Option<String>,
    last_outcome: Option<String>,
    last_sync_at_ms: Option<i64>,
    /// Every recorded action on this person, newest first (up to 1000).
    history: Vec<AuditRow>,
}

/// One person's history
///
/// Every registration, face change, refresh, revocation, restoration, erasure and photo view of
/// the person with this CI, newest first, and what the ledger knows now — never the face or its
/// fingerprint.
#[utoipa::path(get, path = "/admin/people/{ci}/history", tag = "admin",
    params(("ci" = String, Path, description = "The SIAD CI (HikCentral's personCode)")),
    responses(
        (status = 200, description = "The history", body = PersonHistory),
        (status = 400, description = "`bad_request`: not a CI", body = ErrorBody),
    ))]
pub(super) async fn person_history(
    State(s): State<AppState>,
    Path(ci): Path<String>,
) -> Result<Json<PersonHistory>, ApiError> {
    if !crate::person_sync::valid_ci(&ci) {
        return Err(ApiError::bad_request("a CI is 1–32 letters or digits"));
    }
    let filter = AuditFilter {
        target_kind: Some("person".into()),
        target: Some(ci.clone()),
        ..AuditFilter::default()
    };
    let history = s
        .store()
        .audit_rows(&filter, MAX_PAGE)
        .await
        .map_err(store_err)?;
    let entry = s.store().ledger_entry(&ci).await.map_err(store_err)?;
    Ok(Json(PersonHistory {
        person_id: entry.as_ref().and_then(|e| e.person_id.clone()),
        person_type: entry.as_ref().and_then(|e| e.person_type.clone()),
        last_outcome: entry.as_ref().and_then(|e| e.last_outcome.clone()),
        last_sync_at_ms: entry.as_ref().and_then(|e| e.last_sync_at_ms),
        ci,
        history,
    }))
}
