//! Documentation-only shapes of the bulk sync jobs' answers (`/biometrico/jobs…`).

use std::collections::HashMap;
use utoipa::ToSchema;

/// `POST /biometrico/jobs` → 202: the job and where to follow it.
#[derive(ToSchema)]
#[schema(examples(json!({"id": "0b8e6f0e-7d1c-4f55-9a35-2f1f4d6f8c11", "state": "queued",
    "total": 2, "dryRun": false,
    "progress": "/biometrico/jobs/0b8e6f0e-7d1c-4f55-9a35-2f1f4d6f8c11",
    "events": "/biometrico/jobs/0b8e6f0e-7d1c-4f55-9a35-2f1f4d6f8c11/events",
    "report": "/biometrico/jobs/0b8e6f0e-7d1c-4f55-9a35-2f1f4d6f8c11/report.csv"})))]
#[schema(rename_all = "camelCase")]
pub struct JobCreated {
    pub id: String,
    /// Always `queued`.
    pub state: String,
    /// People selected.
    pub total: i64,
    pub dry_run: bool,
    /// URL of the progress document.
    pub progress: String,
    /// URL of the server-sent progress events.
    pub events: String,
    /// URL of the CSV report.
    pub report: String,
}

/// A job's progress (also each `progress` server-sent event's data).
#[derive(ToSchema)]
#[schema(examples(json!({"id": "0b8e6f0e-7d1c-4f55-9a35-2f1f4d6f8c11", "state": "running",
    "dryRun": false, "kind": "list", "total": 2, "done": 1, "percent": 50,
    "current": {"ci": "1712345678", "name": "Juan Alberto Perez Garcia"},
    "counts": {"registered": 1}, "error": null,
    "createdAt": 1769511841000_i64, "finishedAt": null})))]
#[schema(rename_all = "camelCase")]
pub struct JobProgress {
    pub id: String,
    /// `queued`, `running`, `done`, `cancelled` or `failed`.
    pub state: String,
    pub dry_run: bool,
    /// `program`, `person_type` or `list`.
    pub kind: String,
    pub total: i64,
    pub done: i64,
    pub percent: i64,
    /// The person being synced now.
    pub current: Option<JobCurrent>,
    /// People per outcome: `registered`, `already_registered`, `photo_rejected`,
    /// `would_register`, `failed`.
    pub counts: HashMap<String, i64>,
    pub error: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(ToSchema)]
pub struct JobCurrent {
    pub ci: String,
    pub name: Option<String>,
}

/// `GET /biometrico/jobs`: the newest first.
#[derive(ToSchema)]
pub struct JobList {
    pub count: i64,
    pub items: Vec<JobProgress>,
}

/// `POST /biometrico/jobs/{id}/cancel`.
#[derive(ToSchema)]
#[schema(examples(json!({"id": "0b8e6f0e-7d1c-4f55-9a35-2f1f4d6f8c11", "state": "cancelled"})))]
pub struct JobCancelled {
    pub id: String,
    pub state: String,
}
