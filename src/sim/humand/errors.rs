//! Humand's error body, `{"message", "code", "metadata": {}}`, as an axum response.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// One error answer of the simulated API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// `400 INVALID_DATA`: malformed request (bad JSON, missing or unparsable fields).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_DATA", message)
    }

    pub fn unknown_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNKNOWN_TOKEN", "Unknown token")
    }

    pub fn access_denied() -> Self {
        Self::new(StatusCode::FORBIDDEN, "ACCESS_DENIED", "Access denied")
    }

    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMIT_EXCEEDED",
            "Rate limit reached, please try again later",
        )
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"message": self.message, "code": self.code, "metadata": {}});
        (self.status, Json(body)).into_response()
    }
}

/// Fallback for paths the API does not have.
pub(crate) async fn route_not_found() -> ApiError {
    ApiError::not_found("Route not found")
}

/// Fallback for a known path called with the wrong method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "Method not allowed",
    )
}
