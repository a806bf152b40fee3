//! The frontend's JSON for person sync: the only place where a typed [`Contract`] or
//! [`SyncFailure`] becomes the wire shape the Vue frontend reads (`code`, `msg`, `data`,
//! `upstreamCode`, `upstreamMsg`, `reason`; errors with `details.msg`).

use crate::person_sync::outcome::{Contract, SyncFailure};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

impl IntoResponse for Contract {
    fn into_response(self) -> Response {
        Json(self).into_response()
    }
}

impl IntoResponse for SyncFailure {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if matches!(self, Self::Store(_)) {
            tracing::error!(error = %self, "ledger failure");
            "internal error; the request id in the x-request-id header finds it in the logs"
                .to_string()
        } else {
            self.to_string()
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artemis::model::ArtemisCode;
    use crate::artemis::ArtemisError;

    #[test]
    fn throttling_is_http_429_with_retry_after_and_details_msg() {
        let f = SyncFailure::Upstream(ArtemisError::Api(ArtemisCode::Throttled {
            code: "0x02401009".into(),
            msg: "too many".into(),
        }));
        let res = f.into_response();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()["retry-after"], "5");
    }
}
