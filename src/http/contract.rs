//! The frontend's JSON for person sync: the only place where a typed [`Contract`] or
//! [`SyncFailure`] becomes the wire shape the Vue frontend reads (`code`, `msg`, `data`,
//! `upstreamCode`, `upstreamMsg`, `reason`; errors with `details.msg`), its sentences in the
//! request's language. HikCentral's own `upstreamCode` / `upstreamMsg` pass as HikCentral wrote
//! them, and `msg` is `"Success"` with code `"0"` in every language (the frontend compares it).

use crate::i18n::Language;
use crate::person_sync::outcome::{Contract, SyncFailure};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::json;
use std::borrow::Cow;

/// The contract answer as the frontend reads it (HTTP 200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(
    description = "The SIAD frontend's answer (HTTP 200): `code` is a string — `\"0\"` \
    registered or updated, `\"131\"` already registered, `\"128\"` photo not compatible, \
    `\"dry_run\"`, or HikCentral's own code with `msg` to show; `msg` and `reason` are in the \
    request's language (`Accept-Language`, else `ui.language`), except `msg` `\"Success\"` with \
    code `\"0\"`; `upstreamCode` and `upstreamMsg` are HikCentral's own."
)]
pub struct ContractJson {
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

impl ContractJson {
    pub fn of(c: &Contract, lang: Language) -> Self {
        Self {
            code: c.code().to_owned(),
            msg: c.code.msg().render(lang),
            data: c.data.clone(),
            upstream_code: c.upstream.as_ref().map(|u| u.0.clone()),
            upstream_msg: c.upstream.as_ref().map(|u| u.1.clone()),
            reason: c.reason.render(lang),
        }
    }
}

/// `Contract` is documented as the JSON it becomes.
impl utoipa::PartialSchema for Contract {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <ContractJson as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for Contract {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Contract")
    }
}

/// An answer whose words are chosen per request.
pub trait RespondIn {
    fn respond_in(self, lang: Language) -> Response;
}

impl RespondIn for Contract {
    fn respond_in(self, lang: Language) -> Response {
        Json(ContractJson::of(&self, lang)).into_response()
    }
}

impl RespondIn for SyncFailure {
    fn respond_in(self, lang: Language) -> Response {
        let status = self.status();
        if matches!(self, Self::Store(_)) {
            tracing::error!(error = %self, "ledger failure");
        }
        let message = self.message().render(lang);
        let upstream = match &self {
            Self::Upstream(e) => e.upstream_code(),
            _ => None,
        };
        let body = json!({
            "code": self.code(),
            "msg": message,
            "details": {"msg": message, "upstreamCode": upstream},
            "error": {"code": self.code(), "message": message, "details": {"upstreamCode": upstream}},
        });
        let mut res = (status, Json(body)).into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            res.headers_mut()
                .insert("retry-after", HeaderValue::from_static("5"));
        }
        res
    }
}

impl<T: RespondIn, E: RespondIn> RespondIn for Result<T, E> {
    fn respond_in(self, lang: Language) -> Response {
        match self {
            Ok(t) => t.respond_in(lang),
            Err(e) => e.respond_in(lang),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artemis::model::ArtemisCode;
    use crate::artemis::ArtemisError;
    use crate::i18n::Message;

    #[test]
    fn throttling_is_http_429_with_retry_after_and_details_msg() {
        let f = SyncFailure::Upstream(ArtemisError::Api(ArtemisCode::Throttled {
            code: "0x02401009".into(),
            msg: "too many".into(),
        }));
        let res = f.respond_in(Language::Es);
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()["retry-after"], "5");
    }

    #[test]
    fn contract_answers_always_carry_upstream_fields_and_a_reason_in_either_language() {
        for lang in Language::ALL {
            for c in [
                Contract::success("187", Message::Registered),
                Contract::already_registered("187", None, Message::AlreadyInHikCentral),
                Contract::photo_rejected(None, Message::NoSiadPhoto),
                Contract::other(
                    "2",
                    "bad",
                    Message::HikCentralRefused {
                        code: "2".into(),
                        msg: "bad".into(),
                    },
                ),
                Contract::would_register(Message::WouldRegister { name: "Ana".into() }),
            ] {
                let wire = serde_json::to_value(ContractJson::of(&c, lang)).unwrap();
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

    #[test]
    fn success_stays_the_literal_and_hikcentrals_own_words_pass_unchanged() {
        let ok = ContractJson::of(&Contract::success("187", Message::Registered), Language::Es);
        assert_eq!((ok.code.as_str(), ok.msg.as_str()), ("0", "Success"));
        assert_eq!(ok.upstream_msg.as_deref(), Some("Success"));
        assert_eq!(ok.reason, "persona registrada en HikCentral");

        let refused = Contract::other(
            "777",
            "Person name too long",
            Message::HikCentralRefused {
                code: "777".into(),
                msg: "Person name too long".into(),
            },
        );
        let es = ContractJson::of(&refused, Language::Es);
        assert_eq!(es.code, "777");
        assert_eq!(es.upstream_code.as_deref(), Some("777"));
        assert_eq!(es.upstream_msg.as_deref(), Some("Person name too long"));
        assert_eq!(
            es.msg,
            "HikCentral respondió con el código 777: Person name too long"
        );
        let en = ContractJson::of(&refused, Language::En);
        assert_eq!(en.msg, "HikCentral answered code 777: Person name too long");
        assert_eq!(en.upstream_msg, es.upstream_msg);
    }
}
