//! Documentation-only shapes of the `/biometrico` answers in the SIAD frontend's contract:
//! the `{code, msg, data, upstreamCode, upstreamMsg, reason}` envelope (HTTP 200, the typed
//! [`Contract`]) and the HTTP errors with `details.msg` that the frontend shows.

use crate::person_sync::{Contract, DeviceStatus};
use utoipa::{IntoResponses, ToSchema};

/// A failed `/biometrico` request, in the shape the SIAD frontend reads: it shows
/// `details.msg` and special-cases HTTP 429. `error` repeats it in the service's error shape.
#[derive(ToSchema)]
#[schema(examples(json!({
    "code": "unknown_ci", "msg": "SIAD has no person with CI 1712345678",
    "details": {"msg": "SIAD has no person with CI 1712345678", "upstreamCode": null},
    "error": {"code": "unknown_ci", "message": "SIAD has no person with CI 1712345678",
              "details": {"upstreamCode": null}}
})))]
pub struct SyncErrorBody {
    /// `bad_ci`, `person_code_unfit`, `unknown_ci`, `not_registered`, `siad_unavailable`,
    /// `hikcentral_not_configured`, `no_org_for_person_type`, `hikcentral_throttled`,
    /// `hikcentral_error`, `face_update_unsupported`, `face_not_applied` or `internal`.
    pub code: String,
    pub msg: String,
    pub details: SyncErrorDetails,
    pub error: SyncErrorInner,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct SyncErrorDetails {
    /// The sentence the frontend shows.
    pub msg: String,
    /// HikCentral's own code, when HikCentral refused.
    pub upstream_code: Option<String>,
}

#[derive(ToSchema)]
pub struct SyncErrorInner {
    pub code: String,
    pub message: String,
    pub details: UpstreamCode,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct UpstreamCode {
    pub upstream_code: Option<String>,
}

/// A contract answer to a registration or photo update: always HTTP 200, `code` says how it
/// went (`"0"`, `"131"`, `"128"`, `"dry_run"` or HikCentral's own code, with `msg` to show).
#[derive(IntoResponses)]
#[response(status = 200, description = "The frontend's contract answer", examples(
    ("registered" = (value = json!({"code": "0", "msg": "Success", "data": "187",
        "upstreamCode": "0", "upstreamMsg": "Success", "reason": "registered in HikCentral"}))),
    ("already_registered" = (value = json!({"code": "131", "msg": "Person already registered",
        "data": "187", "upstreamCode": null, "upstreamMsg": null,
        "reason": "already registered in HikCentral"}))),
    ("photo_rejected" = (value = json!({"code": "128", "msg": "Photo incompatible",
        "data": null, "upstreamCode": null, "upstreamMsg": null,
        "reason": "photo is 80×60 px; at least 200×200 is needed"}))),
))]
pub struct ContractAnswer(pub Contract);

/// The HTTP errors of a `/biometrico` person-sync request (contract answers are HTTP 200).
#[derive(IntoResponses)]
pub enum SyncFailureResponses {
    #[response(
        status = 400,
        description = "`bad_ci`: not 1–32 letters or digits; \
        `person_code_unfit`: the CI cannot be a personCode under `biometrico.person_code`"
    )]
    BadRequest(SyncErrorBody),
    #[response(
        status = 404,
        description = "`unknown_ci`: SIAD has no such person \
        (registration); `not_registered`: not registered in HikCentral yet (photo update)"
    )]
    NotFound(SyncErrorBody),
    #[response(status = 429, description = "`hikcentral_throttled`: HikCentral throttles; \
        the frontend special-cases 429",
        headers(("Retry-After" = u32, description = "Seconds to wait (5)")))]
    Throttled(SyncErrorBody),
    #[response(
        status = 500,
        description = "`internal`: the ledger failed (see the logs by \
        the x-request-id header)"
    )]
    Internal(SyncErrorBody),
    #[response(
        status = 501,
        description = "`face_update_unsupported` (photo update): this \
        HikCentral edition cannot replace a face through OpenAPI"
    )]
    NotImplemented(SyncErrorBody),
    #[response(
        status = 502,
        description = "`hikcentral_error`: HikCentral refused; \
        `face_not_applied`: the new face does not show when read back"
    )]
    BadGateway(SyncErrorBody),
    #[response(
        status = 503,
        description = "`siad_unavailable`, `hikcentral_not_configured`, \
        `no_org_for_person_type`, or HikCentral unreachable"
    )]
    Unavailable(SyncErrorBody),
}

/// `GET /biometrico/getperson*/{ci}`.
#[derive(ToSchema)]
#[schema(examples(json!({"registrado": true, "personId": "187"})))]
#[schema(rename_all = "camelCase")]
pub struct PersonStatus {
    pub registrado: bool,
    /// HikCentral's personId; `null` when not registered.
    pub person_id: Option<String>,
    /// Only with `biometrico.access_levels` set, for a registered person: whether the face
    /// reached the devices.
    pub devices: Option<DeviceStatus>,
}

/// The people pending registration, or why they could not be listed (a missing filter, 400,
/// is the operation's own).
#[derive(IntoResponses)]
pub enum PendingAnswers {
    #[response(
        status = 200,
        description = "SIAD people in the filter that the ledger does not \
        know as registered"
    )]
    Pending(Pending),
    #[response(status = 500, description = "`internal`: the ledger failed")]
    Internal(SyncErrorBody),
    #[response(
        status = 503,
        description = "`siad_unavailable`: SIAD could not be read"
    )]
    Unavailable(SyncErrorBody),
}

/// SIAD people not registered yet.
#[derive(ToSchema)]
pub struct Pending {
    pub pendientes: Vec<SiadPerson>,
}

/// A SIAD person with SIAD's column names.
#[derive(ToSchema)]
#[schema(examples(json!({"CIInfPer": "1712345678", "NombInfPer": "Juan Alberto",
    "ApellInfPer": "Perez", "ApellMatInfPer": "Garcia", "mailInst": "jperez@example.edu",
    "TipoInfPer": "D"})))]
#[allow(non_snake_case)]
pub struct SiadPerson {
    pub CIInfPer: String,
    pub NombInfPer: String,
    pub ApellInfPer: String,
    pub ApellMatInfPer: String,
    pub mailInst: Option<String>,
    pub TipoInfPer: String,
}

/// `GET /biometrico/compare/{ci}`: how alike the SIAD and HikCentral photos are.
#[derive(ToSchema)]
#[schema(examples(json!({"ci": "1712345678", "similarity": 97, "siadHash": "13545741239",
    "hikcentralHash": "13545741247", "reason": "compared"})))]
#[schema(rename_all = "camelCase")]
pub struct PhotoComparison {
    pub ci: String,
    /// 0–100; `null` when a photo is missing.
    pub similarity: Option<u32>,
    pub siad_hash: Option<String>,
    pub hikcentral_hash: Option<String>,
    /// `compared`, or which photo is missing.
    pub reason: String,
}
