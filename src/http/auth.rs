//! Bearer-token protection for the APIs (`api.tokens`: a list, so tokens can be rotated).

use crate::error::ApiError;
use crate::http::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Middleware: let the request through only with `Authorization: Bearer <one of api.tokens>`.
pub async fn require_bearer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let tokens = &state.settings().api.tokens;
    let ok = given.is_some_and(|g| token_matches(tokens.iter().map(|t| t.expose()), g));
    if ok {
        return next.run(req).await;
    }
    let message = if tokens.is_empty() {
        "no API tokens are configured: set HIKBRIDGE__API__TOKENS on the server"
    } else if given.is_none() {
        "send Authorization: Bearer <token>"
    } else {
        "the bearer token is not valid"
    };
    let mut res = ApiError::unauthorized(message).into_response();
    res.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    res
}

/// Constant-time comparison against every configured token (no early exit on a match).
fn token_matches<'a>(tokens: impl Iterator<Item = &'a str>, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    let mut found = subtle::Choice::from(0u8);
    for t in tokens {
        let same_len = t.len() == given.len();
        let eq = if same_len {
            t.as_bytes().ct_eq(given.as_bytes())
        } else {
            subtle::Choice::from(0u8)
        };
        found |= eq & subtle::Choice::from(u8::from(!t.is_empty()));
    }
    found.into()
}

#[cfg(test)]
mod tests {
    use super::token_matches;

    #[test]
    fn any_configured_token_matches_and_nothing_else() {
        let tokens = ["old-token-aaaa", "new-token-bbbb"];
        assert!(token_matches(tokens.into_iter(), "new-token-bbbb"));
        assert!(token_matches(tokens.into_iter(), "old-token-aaaa"));
        assert!(!token_matches(tokens.into_iter(), "new-token-bbb"));
        assert!(!token_matches(std::iter::empty(), ""));
        assert!(!token_matches([""].into_iter(), ""));
    }
}
