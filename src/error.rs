//! One error type for the HTTP surfaces, one JSON shape:
//! `{"error":{"code","message","details"}}`. A 500 never leaks internals.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// A stable machine-readable code, e.g. `payload_too_large`.
    pub code: &'static str,
    /// What happened and what to do next.
    pub message: String,
    pub details: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Value::Null,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// Log the cause with its request context; tell the client only that it failed.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the request id in the x-request-id header finds it in the logs",
        )
    }

    /// The standard body for a status produced outside a handler (413, 408, 404, 405 …).
    pub fn for_status(status: StatusCode) -> Self {
        let (code, message) = match status.as_u16() {
            404 => ("not_found", "no such route".to_string()),
            405 => (
                "method_not_allowed",
                "this route does not accept that method".to_string(),
            ),
            408 => (
                "request_timeout",
                "the request took longer than server.request_timeout_secs".to_string(),
            ),
            413 => (
                "payload_too_large",
                "the request body is larger than server.body_limit_bytes".to_string(),
            ),
            415 => (
                "unsupported_media_type",
                "send Content-Type: application/json".to_string(),
            ),
            s if s >= 500 => ("internal", "internal error".to_string()),
            _ => (
                "http_error",
                status.canonical_reason().unwrap_or("error").to_lowercase(),
            ),
        };
        Self::new(status, code, message)
    }

    pub fn body(&self) -> Value {
        json!({"error": {"code": self.code, "message": self.message, "details": self.details}})
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        let status = r.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            return Self::for_status(status);
        }
        Self::new(status, "invalid_json", r.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_one_error_shape() {
        let e = ApiError::bad_request("missing field x").with_details(json!({"field": "x"}));
        assert_eq!(
            e.body(),
            json!({"error":{"code":"bad_request","message":"missing field x","details":{"field":"x"}}})
        );
    }

    #[test]
    fn internal_errors_leak_nothing() {
        let e = ApiError::internal("db password=hunter2 refused");
        assert!(!e.body().to_string().contains("hunter2"));
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
