//! The frontend's contract: `{"code","msg","data"}` with `code` a string — `"0"` registered,
//! `"131"` already registered, `"128"` photo not compatible, anything else shows `msg` — plus
//! `upstreamCode`, `upstreamMsg` and a human `reason` on every answer. HTTP errors carry
//! `details.msg`, which the frontend shows.

use crate::artemis::model::ArtemisCode;
use crate::artemis::ArtemisError;
use crate::siad::SiadError;
use crate::upstream::UpstreamResponse;
use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

/// A contract answer (always HTTP 200), typed; it becomes the frontend's JSON only when
/// answered (`IntoResponse`): `{"code","msg","data","upstreamCode","upstreamMsg","reason"}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(
    description = "The SIAD frontend's answer (HTTP 200): `code` is a string — `\"0\"` \
    registered or updated, `\"131\"` already registered, `\"128\"` photo not compatible, \
    `\"dry_run\"`, or HikCentral's own code with `msg` to show; `reason` is a sentence for people."
)]
pub struct Contract {
    /// `"0"` registered or updated, `"131"` already registered, `"128"` photo not compatible,
    /// `"dry_run"`, or HikCentral's own code.
    pub code: String,
    pub msg: String,
    /// The HikCentral personId, when there is one.
    pub data: Option<String>,
    #[serde(rename = "upstreamCode")]
    pub upstream_code: Option<String>,
    #[serde(rename = "upstreamMsg")]
    pub upstream_msg: Option<String>,
    /// A sentence for people.
    pub reason: String,
}

impl Contract {
    fn new(
        code: &str,
        msg: &str,
        data: Option<&str>,
        upstream: Option<(&str, &str)>,
        reason: &str,
    ) -> Self {
        Self {
            code: code.to_owned(),
            msg: msg.to_owned(),
            data: data.map(str::to_owned),
            upstream_code: upstream.map(|u| u.0.to_owned()),
            upstream_msg: upstream.map(|u| u.1.to_owned()),
            reason: reason.to_owned(),
        }
    }

    pub fn success(person_id: &str, reason: &str) -> Self {
        Self::new(
            "0",
            "Success",
            Some(person_id),
            Some(("0", "Success")),
            reason,
        )
    }

    /// `upstream`: HikCentral's own (code, msg) when it said so; `None` when the ledger or a
    /// look-up found the person.
    pub fn already_registered(
        person_id: &str,
        upstream: Option<(&str, &str)>,
        reason: &str,
    ) -> Self {
        Self::new(
            "131",
            "Person already registered",
            Some(person_id),
            upstream,
            reason,
        )
    }

    pub fn photo_rejected(upstream: Option<(&str, &str)>, reason: &str) -> Self {
        Self::new("128", "Photo incompatible", None, upstream, reason)
    }

    /// What a dry run would do.
    pub fn would_register(reason: &str) -> Self {
        Self::new("dry_run", "Would register", None, None, reason)
    }

    /// HikCentral's code and message passed through (the frontend shows `msg`).
    pub fn other(code: &str, msg: &str, reason: &str) -> Self {
        Self::new(code, msg, None, Some((code, msg)), reason)
    }

    pub fn code(&self) -> &str {
        &self.code
    }
}

/// Why a request could not be answered within the contract.
#[derive(Debug, thiserror::Error)]
pub enum SyncFailure {
    #[error("{0:?} is not a valid CI: 1–32 letters or digits, no hyphens")]
    BadCi(String),
    #[error("SIAD has no person with CI {0}")]
    UnknownCi(String),
    /// The CI cannot be a HikCentral personCode under `biometrico.person_code`.
    #[error("{0}")]
    PersonCodeUnfit(String),
    #[error("CI {0} is not registered in HikCentral; register it first")]
    NotRegistered(String),
    #[error("{0}")]
    Siad(SiadError),
    #[error("HikCentral is not configured on this service (hikcentral.base_url)")]
    HikCentralNotConfigured,
    #[error("no orgIndexCode for SIAD person type {0:?}: set biometrico.org_by_person_type")]
    NoOrg(String),
    #[error("{0}")]
    Upstream(ArtemisError),
    #[error("the ledger could not be read or written: {0}")]
    Store(#[from] crate::store::StoreError),
    /// `person/face/update` answered 12: this edition offers no way to replace a face.
    #[error(
        "this HikCentral edition cannot replace a face through OpenAPI (person/face/update \
         answered 12, not supported); replace the photo in HikCentral's own client, or delete \
         and register the person again (this gives a new personId and loses its access levels)"
    )]
    FaceUpdateUnsupported,
    /// HikCentral accepted the update, but reading the person back does not show the new face.
    #[error("{0}")]
    FaceNotApplied(String),
}

impl SyncFailure {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadCi(_) | Self::PersonCodeUnfit(_) => StatusCode::BAD_REQUEST,
            Self::UnknownCi(_) | Self::NotRegistered(_) => StatusCode::NOT_FOUND,
            Self::Siad(_) | Self::HikCentralNotConfigured | Self::NoOrg(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Upstream(e) if e.is_throttled() => StatusCode::TOO_MANY_REQUESTS,
            Self::Upstream(ArtemisError::Transport(_) | ArtemisError::GaveUp { .. }) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Upstream(_) | Self::FaceNotApplied(_) => StatusCode::BAD_GATEWAY,
            Self::FaceUpdateUnsupported => StatusCode::NOT_IMPLEMENTED,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable error code of the JSON answer.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadCi(_) => "bad_ci",
            Self::PersonCodeUnfit(_) => "person_code_unfit",
            Self::UnknownCi(_) => "unknown_ci",
            Self::NotRegistered(_) => "not_registered",
            Self::Siad(_) => "siad_unavailable",
            Self::HikCentralNotConfigured => "hikcentral_not_configured",
            Self::NoOrg(_) => "no_org_for_person_type",
            Self::Upstream(e) if e.is_throttled() => "hikcentral_throttled",
            Self::Upstream(_) => "hikcentral_error",
            Self::FaceUpdateUnsupported => "face_update_unsupported",
            Self::FaceNotApplied(_) => "face_not_applied",
            Self::Store(_) => "internal",
        }
    }
}

/// Does this HikCentral refusal concern the face picture? (HikCentral uses several codes for
/// face problems and the exact set is UNCONFIRMED, so the message decides.)
pub fn is_photo_problem(code: &ArtemisCode) -> bool {
    let m = code.message().to_ascii_lowercase();
    ["face", "picture", "photo", "image"]
        .iter()
        .any(|w| m.contains(w))
}

/// `person/picture_data` answers raw image bytes or a `data:image/...;base64,` string; errors
/// come back as the JSON envelope.
pub fn picture_from_answer(resp: &UpstreamResponse) -> Option<(Vec<u8>, String)> {
    if !resp.status.is_success() || resp.body.is_empty() {
        return None;
    }
    let ct = resp
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if ct.starts_with("image/") {
        return Some((resp.body.to_vec(), ct));
    }
    let text = String::from_utf8_lossy(&resp.body);
    let text = text.trim().trim_matches('"');
    if let Some(rest) = text.strip_prefix("data:") {
        let (meta, data) = rest.split_once(',')?;
        let mime = meta.split(';').next().unwrap_or("image/jpeg").to_string();
        return B64.decode(data.trim()).ok().map(|b| (b, mime));
    }
    // Raw JPEG/PNG without an image content type.
    match resp.body.get(..3) {
        Some([0xFF, 0xD8, 0xFF]) => Some((resp.body.to_vec(), "image/jpeg".into())),
        Some([0x89, b'P', b'N']) => Some((resp.body.to_vec(), "image/png".into())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn resp(ct: &str, body: &[u8]) -> UpstreamResponse {
        let mut headers = http::HeaderMap::new();
        headers.insert("content-type", ct.parse().unwrap());
        UpstreamResponse {
            status: StatusCode::OK,
            headers,
            body: Bytes::copy_from_slice(body),
        }
    }

    #[test]
    fn pictures_arrive_raw_or_as_data_uris_and_envelopes_are_not_pictures() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2];
        assert_eq!(
            picture_from_answer(&resp("image/jpeg", &jpeg)).unwrap().0,
            jpeg
        );
        let uri = format!("data:image/jpeg;base64,{}", B64.encode(jpeg));
        let (bytes, mime) = picture_from_answer(&resp("text/plain", uri.as_bytes())).unwrap();
        assert_eq!((bytes.as_slice(), mime.as_str()), (&jpeg[..], "image/jpeg"));
        assert!(
            picture_from_answer(&resp("application/json", br#"{"code":"128","msg":"no"}"#))
                .is_none()
        );
    }

    #[test]
    fn contract_answers_always_carry_upstream_fields_and_a_reason() {
        for c in [
            Contract::success("187", "registered"),
            Contract::already_registered("187", None, "ledger"),
            Contract::photo_rejected(None, "photo is 80×60 px; at least 200×200 is needed"),
            Contract::other("2", "bad", "refused"),
            Contract::would_register("would register Ana"),
        ] {
            let wire = serde_json::to_value(&c).unwrap();
            for key in [
                "code",
                "msg",
                "data",
                "upstreamCode",
                "upstreamMsg",
                "reason",
            ] {
                assert!(wire.get(key).is_some(), "{key} missing in {wire}");
            }
            assert!(wire["code"].is_string());
            assert!(wire["reason"].as_str().is_some_and(|r| !r.is_empty()));
        }
    }
}
