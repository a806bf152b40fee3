//! The frontend's contract: `{"code","msg","data"}` with `code` a string — `"0"` registered,
//! `"131"` already registered, `"128"` photo not compatible, anything else shows `msg` — plus
//! `upstreamCode`, `upstreamMsg` and a human `reason` on every answer. HTTP errors carry
//! `details.msg`, which the frontend shows. Everything here is typed (codes, HikCentral's own
//! code and message, [`Message`]s): `http::contract` renders it in the request's language.

use crate::artemis::model::ArtemisCode;
use crate::artemis::ArtemisError;
use crate::i18n::Message;
use crate::siad::SiadError;
use crate::upstream::UpstreamResponse;
use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

/// How a contract answer went: its `code` and the `msg` that goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractCode {
    /// `"0"`, `msg` `"Success"` (the literal the frontend compares).
    Success,
    /// `"131"`.
    AlreadyRegistered,
    /// `"128"`.
    PhotoRejected,
    /// `"dry_run"`.
    WouldRegister,
    /// HikCentral's own code and message, passed through.
    HikCentral { code: String, msg: String },
}

impl ContractCode {
    /// The wire `code`.
    pub fn code(&self) -> &str {
        match self {
            Self::Success => "0",
            Self::AlreadyRegistered => "131",
            Self::PhotoRejected => "128",
            Self::WouldRegister => "dry_run",
            Self::HikCentral { code, .. } => code,
        }
    }

    /// The `msg` the frontend shows (or, for `"0"`, compares).
    pub fn msg(&self) -> Message {
        match self {
            Self::Success => Message::Success,
            Self::AlreadyRegistered => Message::PersonAlreadyRegistered,
            Self::PhotoRejected => Message::PhotoIncompatible,
            Self::WouldRegister => Message::DryRunWouldRegister,
            Self::HikCentral { code, msg } => Message::HikCentralAnswered {
                code: code.clone(),
                msg: msg.clone(),
            },
        }
    }
}

/// A contract answer (always HTTP 200), typed: it becomes the frontend's JSON, in the
/// request's language, only at the HTTP edge (`http::contract`):
/// `{"code","msg","data","upstreamCode","upstreamMsg","reason"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    pub code: ContractCode,
    /// The HikCentral personId, when there is one.
    pub data: Option<String>,
    /// HikCentral's own (code, msg), as HikCentral wrote them.
    pub upstream: Option<(String, String)>,
    /// Why, for people.
    pub reason: Message,
}

impl Contract {
    fn new(
        code: ContractCode,
        data: Option<&str>,
        upstream: Option<(&str, &str)>,
        reason: Message,
    ) -> Self {
        Self {
            code,
            data: data.map(str::to_owned),
            upstream: upstream.map(|(c, m)| (c.to_owned(), m.to_owned())),
            reason,
        }
    }

    pub fn success(person_id: &str, reason: Message) -> Self {
        Self::new(
            ContractCode::Success,
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
        reason: Message,
    ) -> Self {
        Self::new(
            ContractCode::AlreadyRegistered,
            Some(person_id),
            upstream,
            reason,
        )
    }

    pub fn photo_rejected(upstream: Option<(&str, &str)>, reason: Message) -> Self {
        Self::new(ContractCode::PhotoRejected, None, upstream, reason)
    }

    /// What a dry run would do.
    pub fn would_register(reason: Message) -> Self {
        Self::new(ContractCode::WouldRegister, None, None, reason)
    }

    /// HikCentral's code and message passed through (the frontend shows `msg`).
    pub fn other(code: &str, msg: &str, reason: Message) -> Self {
        let kind = ContractCode::HikCentral {
            code: code.to_owned(),
            msg: msg.to_owned(),
        };
        Self::new(kind, None, Some((code, msg)), reason)
    }

    /// The wire `code`.
    pub fn code(&self) -> &str {
        self.code.code()
    }
}

/// Why a request could not be answered within the contract. `Display` is the English
/// sentence, for logs; the frontend gets [`SyncFailure::message`] in its language.
#[derive(Debug)]
pub enum SyncFailure {
    BadCi(String),
    UnknownCi(String),
    /// The CI cannot be a HikCentral personCode under `biometrico.person_code` (CI, rule).
    PersonCodeUnfit {
        ci: String,
        rule: String,
    },
    NotRegistered(String),
    Siad(SiadError),
    HikCentralNotConfigured,
    /// No orgIndexCode for this SIAD person type.
    NoOrg(String),
    Upstream(ArtemisError),
    /// The ledger could not be read or written.
    Store(crate::store::StoreError),
    /// `person/face/update` answered 12: this edition offers no way to replace a face.
    FaceUpdateUnsupported,
    /// HikCentral accepted the update, but reading the person back does not show the new face.
    FaceNotApplied(Message),
}

impl From<crate::store::StoreError> for SyncFailure {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Store(e)
    }
}

impl std::fmt::Display for SyncFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // Logs get the cause; people get `InternalError`.
            Self::Store(e) => write!(f, "the ledger could not be read or written: {e}"),
            _ => f.write_str(&self.message().english()),
        }
    }
}

impl std::error::Error for SyncFailure {}

impl SyncFailure {
    /// The sentence the frontend shows (`details.msg`).
    pub fn message(&self) -> Message {
        match self {
            Self::BadCi(ci) => Message::BadCi { ci: ci.clone() },
            Self::UnknownCi(ci) => Message::UnknownCi { ci: ci.clone() },
            Self::PersonCodeUnfit { ci, rule } => Message::PersonCodeUnfit {
                ci: ci.clone(),
                rule: rule.clone(),
            },
            Self::NotRegistered(ci) => Message::NotRegistered { ci: ci.clone() },
            Self::Siad(e) => super::wording::siad(e),
            Self::HikCentralNotConfigured => Message::HikCentralNotConfigured,
            Self::NoOrg(t) => Message::NoOrg {
                person_type: t.clone(),
            },
            Self::Upstream(e) => super::wording::hikcentral(e),
            Self::Store(_) => Message::InternalError,
            Self::FaceUpdateUnsupported => Message::FaceUpdateUnsupported,
            Self::FaceNotApplied(m) => m.clone(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadCi(_) | Self::PersonCodeUnfit { .. } => StatusCode::BAD_REQUEST,
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
            Self::PersonCodeUnfit { .. } => "person_code_unfit",
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
}
