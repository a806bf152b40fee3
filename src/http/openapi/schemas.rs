//! Documentation-only shapes shared by the whole surface (the error body, scalars HikCentral
//! sends as strings or numbers, binary files) and the probes' answers. Here and in the sibling
//! modules nothing constructs these types: they describe, for the OpenAPI document, what the
//! handlers build with `json!`, and each example is a real answer. Keep them in step.

use crate::workers::WorkerState;
use serde_json::Value;
use std::collections::HashMap;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// A scalar that may arrive as a JSON string or number (HikCentral sends both).
pub struct StringOrInteger;

impl PartialSchema for StringOrInteger {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Array(vec![Type::String, Type::Integer]))
            .description(Some("A string or a number (HikCentral sends both)"))
            .into()
    }
}

impl ToSchema for StringOrInteger {}

/// Raw bytes of a file (an image).
pub struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Binary {}

/// `{"error":{"code","message","details"}}`: every error outside the frontend contract,
/// including those made outside handlers (404 unknown route, 405, 408, 413, 415).
#[derive(ToSchema)]
#[schema(examples(json!({"error": {"code": "not_found", "message": "no such route", "details": null}})))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(ToSchema)]
pub struct ErrorDetail {
    /// Stable and machine-readable: `bad_request`, `unauthorized`, `not_found`,
    /// `method_not_allowed`, `request_timeout`, `payload_too_large`, `invalid_json`,
    /// `unavailable`, `internal`, or one named by the operation.
    pub code: String,
    /// What happened and what to do next.
    pub message: String,
    /// More facts; usually `null`.
    pub details: Value,
}

/// `/health`.
#[derive(ToSchema)]
#[schema(examples(json!({"status": "ok"})))]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

/// `/ready`: 200 `ready` or `degraded` (an upstream warns), 503 `not_ready` (store or workers).
#[derive(ToSchema)]
#[schema(examples(json!({
    "status": "ready",
    "cluster": {"replica": "hikbridge-1-3f9c2a7d", "role": "leader"},
    "checks": {
        "store": {"status": "ok", "backend": "sqlite"},
        "workers": {"status": "ok", "workers": {"decider": {"phase": "running", "running": true,
            "started_at": "2026-01-27T08:00:00Z", "restarts": 0, "last_error": null,
            "last_error_at": null, "stopped_reason": null}}},
        "upstreams": {"hikcentral": {"status": "not_configured"},
                      "humand": {"status": "not_configured"}}
    }
})))]
pub struct Readiness {
    /// `ready`, `degraded` or `not_ready`.
    pub status: String,
    pub cluster: Cluster,
    pub checks: ReadinessChecks,
}

#[derive(ToSchema)]
pub struct Cluster {
    /// `<hostname>-<pid>-<random>`.
    pub replica: String,
    /// `leader` or `follower`.
    pub role: String,
}

#[derive(ToSchema)]
pub struct ReadinessChecks {
    pub store: StoreCheck,
    pub workers: WorkersCheck,
    /// `hikcentral` and `humand`: `{"status":"not_configured"}`, or `status` (`ok`,
    /// `unknown`, `warning`) with `last_ok_at`, `last_error_at`, `last_error`,
    /// `consecutive_failures` (and `version` for HikCentral, `delivery_paused` for Humand).
    pub upstreams: HashMap<String, Value>,
}

#[derive(ToSchema)]
pub struct StoreCheck {
    /// `ok` or `error`.
    pub status: String,
    pub backend: String,
    /// Why the store is not ready.
    pub error: Option<String>,
    /// Failed writes in a row, while writes fail.
    pub failures: Option<u64>,
}

#[derive(ToSchema)]
pub struct WorkersCheck {
    /// `ok` or `error`.
    pub status: String,
    pub workers: HashMap<String, WorkerState>,
}
