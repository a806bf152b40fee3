//! The OpenAPI 3.1 document of the whole HTTP surface, made by `utoipa` from the
//! `#[utoipa::path]` annotations next to the handlers and served at `GET /openapi.json`, and
//! an offline page that reads it at `GET /docs` (embedded like the dashboard: no CDN, and
//! `script-src 'self'`, so the script is a file of its own). `tests/openapi.rs` fails when a
//! route of the router is missing from the document, or a documented one is not routed;
//! `tests/openapi_valid.rs` when the document is not valid OpenAPI 3.1 or a `$ref` resolves to
//! nothing. `hikbridge openapi` prints it.

pub mod admin_answers;
pub mod contract;
pub mod notify;
pub mod schemas;
pub mod sync_jobs;

use super::{
    admin, biometrico, dashboard, erasure, events, health, jobs, lifecycle, metrics, rejected,
};
use crate::error::ApiError;
use crate::person_sync::Contract;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use schemas::ErrorBody;
use serde_json::json;
use std::sync::LazyLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

const INDEX: &str = include_str!("../../assets/docs/index.html");
const DOCS_JS: &str = include_str!("../../assets/docs/docs.js");
const DOCS_CSS: &str = include_str!("../../assets/docs/docs.css");

/// The name of the bearer security scheme in the document.
pub const BEARER: &str = "bearer";

/// Routes under these prefixes are behind `auth::require_scope` (the `admin`, `biometrico`
/// and `jobs` routers each add it as a route layer).
const BEARER_PREFIXES: [&str; 2] = ["/admin/", "/biometrico/"];

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hikbridge",
        description = "Bridges SIAD and Humand with HikCentral Professional.\n\n\
            Errors use one JSON shape, `{\"error\":{\"code\",\"message\",\"details\"}}` \
            (`ErrorBody`), except the `/biometrico` person-sync routes, which answer in the SIAD \
            frontend's contract (`Contract`, `SyncErrorBody`). Besides the answers listed per \
            operation, any route may answer 408 `request_timeout` \
            (`server.request_timeout_secs`), 413 `payload_too_large` \
            (`server.body_limit_bytes`) and 500 `internal`; an unknown route answers 404 \
            `not_found` \"no such route\" and a known route with another method 405 \
            `method_not_allowed`. Every answer carries an `x-request-id` header. In the \
            `/admin` and jobs answers, every moment given in milliseconds (`at_ms`, \
            `createdAt`) also comes in RFC 3339 UTC under the name without `_ms` (`at`) or \
            with `Iso` added (`createdAtIso`)."
    ),
    paths(
        health::live, health::ready, metrics::metrics, events::receive,
        admin::summary, admin::list_punches, admin::retry_punch, admin::discard_punch,
        admin::parked, admin::event, admin::retry_event, admin::timeline::timeline,
        admin::overrides::list_overrides, admin::overrides::import_overrides,
        admin::overrides::set_override, admin::overrides::delete_override, admin::unmapped_doors, admin::redecide, rejected::list,
        admin::audit::session, admin::audit::list, admin::audit::csv, admin::audit::person_history,
        lifecycle::create, lifecycle::list, lifecycle::one, lifecycle::apply, lifecycle::discard,
        lifecycle::actions, lifecycle::actions_csv, erasure::clear_halt, erasure::erase,
        erasure::lift,
        admin::out_of_window::list, admin::out_of_window::admit_one,
        admin::out_of_window::admit_range,
        biometrico::sync_hikdoc_est_id, biometrico::sync_hikdoc, biometrico::sync_hikcentral,
        biometrico::sync_hikdoc_update, biometrico::sync_hikdupdatedoce,
        biometrico::getperson_est, biometrico::getperson, biometrico::pending_students,
        biometrico::pending_staff, biometrico::photo, biometrico::compare,
        jobs::create, jobs::list, jobs::progress, jobs::events, jobs::report, jobs::cancel,
        dashboard::index, dashboard::app_js, dashboard::i18n_js, dashboard::style_css,
        openapi_json, docs_page, docs_js, docs_css,
    ),
    // Every schema that a response type deriving `IntoResponses` carries (`PendingAnswers`,
    // `SyncFailureResponses`, `ContractAnswer`, `NotParked`, …) must be listed here: utoipa
    // collects the schema of `body = T` in `responses(…)` but not those inside a type named
    // there (utoipa-gen 5.5, `Response::IntoResponses` has no component schemas), so such a
    // schema is otherwise a dangling `$ref`. tests/openapi_valid.rs fails on one.
    components(schemas(ErrorBody, Contract, contract::SyncErrorBody, contract::Pending)),
    modifiers(&BearerAuth),
    tags(
        (name = "service", description = "Liveness, readiness and Prometheus metrics"),
        (name = "hikcentral", description = "HikCentral's event push (`eventDest`)"),
        (name = "admin", description = "Operators: punches, parked items, overrides, doors, \
            rejected events and events outside the time window (bearer token)"),
        (name = "biometrico", description = "The routes the SIAD frontend calls, in its \
            contract: `{code, msg, data, upstreamCode, upstreamMsg, reason}` with `code` a \
            string — `\"0\"` registered, `\"131\"` already registered, `\"128\"` photo not \
            compatible; HTTP errors carry `details.msg` (bearer token)"),
        (name = "jobs", description = "Bulk sync jobs with live progress and a CSV report \
            (bearer token)"),
        (name = "lifecycle", description = "Keeping HikCentral current with SIAD: lifecycle \
            runs (plan, hold, apply), their actions, erasure requests"),
        (name = "dashboard", description = "The embedded operator dashboard"),
        (name = "docs", description = "This document and its offline viewer"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer scheme and puts on every operation of the protected routers the scopes
/// [`auth::scopes::ROUTES`](super::auth::scopes::ROUTES) gives it (any one of them allows the
/// call: one security requirement per scope), with the 401 and 403 answers.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "`Authorization: Bearer <token>`: a client's token (`[[api.clients]]`, each with \
                 its scopes; the legacy `api.tokens` have every scope) or, with `[api.jwt]`, \
                 the user's own JWT. Each operation lists the scopes that allow it (any one \
                 suffices): `sync`, `read`, `operate`, `admin`.",
            ))
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(BEARER, SecurityScheme::Http(scheme));
        let answer = |description: &str, example: serde_json::Value| {
            ResponseBuilder::new().description(description).content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .example(Some(example))
                    .build(),
            )
        };
        let unauthorized = answer(
            "No token, an unknown or expired token, or no client configured",
            json!({"error": {"code": "unauthorized",
                "message": "send Authorization: Bearer <token>", "details": null}}),
        )
        .header(
            "WWW-Authenticate",
            utoipa::openapi::HeaderBuilder::new()
                .description(Some("`Bearer`"))
                .build(),
        )
        .build();
        let forbidden = answer(
            "`forbidden`: the client lacks every scope this operation lists",
            json!({"error": {"code": "forbidden",
                "message": "client \"siad-frontend\" lacks the scope `operate` this call needs",
                "details": {"msg": "client \"siad-frontend\" lacks the scope `operate` this call needs",
                    "required_scopes": ["operate"], "client": "siad-frontend"}}}),
        )
        .build();
        for (path, item) in doc.paths.paths.iter_mut() {
            if !BEARER_PREFIXES.iter().any(|p| path.starts_with(p)) {
                continue;
            }
            let ops = [
                ("GET", &mut item.get),
                ("POST", &mut item.post),
                ("PUT", &mut item.put),
                ("DELETE", &mut item.delete),
            ];
            for (method, op) in ops {
                let Some(op) = op else { continue };
                let scopes = axum::http::Method::from_bytes(method.as_bytes())
                    .ok()
                    .and_then(|m| super::auth::scopes::rule(&m, path))
                    .map(|r| r.scopes)
                    .unwrap_or_default();
                op.security = Some(if scopes.is_empty() {
                    vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]
                } else {
                    scopes
                        .iter()
                        .map(|s| SecurityRequirement::new(BEARER, [s.as_str()]))
                        .collect()
                });
                let responses = &mut op.responses.responses;
                responses.insert("401".to_owned(), unauthorized.clone().into());
                responses.insert("403".to_owned(), forbidden.clone().into());
            }
        }
    }
}

/// The document as JSON, made once.
pub fn document() -> Result<&'static str, ApiError> {
    static DOC: LazyLock<Result<String, String>> = LazyLock::new(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .map_err(|e| e.to_string())
    });
    DOC.as_deref().map_err(ApiError::internal)
}

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(docs_page))
        .route("/docs/docs.js", get(docs_js))
        .route("/docs/docs.css", get(docs_css))
}

/// This OpenAPI 3.1 document
///
/// No token is needed.
#[utoipa::path(get, path = "/openapi.json", tag = "docs", responses(
    (status = 200, description = "The document", content_type = "application/json", body = Object)
))]
async fn openapi_json() -> Response {
    match document() {
        Ok(doc) => dashboard::asset(doc, "application/json"),
        Err(e) => e.into_response(),
    }
}

/// The API documentation page
///
/// Self-contained (no CDN): it reads `/openapi.json` and lists every operation by tag.
#[utoipa::path(get, path = "/docs", tag = "docs", responses(
    (status = 200, description = "HTML", content_type = "text/html", body = String)
))]
async fn docs_page() -> Response {
    dashboard::asset(INDEX, "text/html; charset=utf-8")
}

/// The documentation page's script
#[utoipa::path(get, path = "/docs/docs.js", tag = "docs", responses(
    (status = 200, description = "JavaScript", content_type = "text/javascript", body = String)
))]
async fn docs_js() -> Response {
    dashboard::asset(DOCS_JS, "text/javascript; charset=utf-8")
}

/// The documentation page's style sheet
#[utoipa::path(get, path = "/docs/docs.css", tag = "docs", responses(
    (status = 200, description = "CSS", content_type = "text/css", body = String)
))]
async fn docs_css() -> Response {
    dashboard::asset(DOCS_CSS, "text/css; charset=utf-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_and_states_each_protected_routes_scopes() {
        let doc: serde_json::Value = serde_json::from_str(document().unwrap()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let summary = &doc["paths"]["/admin/summary"]["get"];
        assert_eq!(summary["security"], json!([{BEARER: ["read"]}]));
        assert!(summary["responses"]["401"].is_object());
        assert!(summary["responses"]["403"].is_object());
        let jobs = &doc["paths"]["/biometrico/jobs/{id}"]["get"];
        assert_eq!(
            jobs["security"],
            json!([{BEARER: ["sync"]}, {BEARER: ["read"]}])
        );
        assert!(doc["paths"]["/health"]["get"]["security"].is_null());
    }

    /// Every protected operation of the document is in the policy table and every entry of
    /// the table is a documented operation: a route cannot be added without its scope.
    #[test]
    fn the_policy_table_and_the_documented_protected_operations_are_the_same() {
        let doc: serde_json::Value = serde_json::from_str(document().unwrap()).unwrap();
        let mut documented = std::collections::BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            if !BEARER_PREFIXES.iter().any(|p| path.starts_with(p)) {
                continue;
            }
            for m in item.as_object().unwrap().keys() {
                documented.insert((m.to_uppercase(), path.clone()));
            }
        }
        let table: std::collections::BTreeSet<(String, String)> =
            super::super::auth::scopes::ROUTES
                .iter()
                .map(|(m, p, _, _)| (m.to_string(), p.to_string()))
                .collect();
        assert_eq!(documented, table);
    }
}
