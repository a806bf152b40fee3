//! The language a request is answered in: its `Accept-Language` among the languages offered,
//! else `ui.language` ([`crate::i18n::negotiate`]). Answers whose words depend on it say so
//! with `Vary: Accept-Language`, so a cache never hands one reader's language to another.

use crate::http::AppState;
use crate::i18n::{negotiate, Language};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use std::convert::Infallible;

/// The request's language (an extractor; it never refuses a request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang(pub Language);

impl FromRequestParts<AppState> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(Lang(of_request(parts, state.settings().ui.language)))
    }
}

/// The language of a request whose configured default is `default`.
pub fn of_request(parts: &Parts, default: Language) -> Language {
    let values = parts
        .headers
        .get_all(header::ACCEPT_LANGUAGE)
        .iter()
        .filter_map(|v| v.to_str().ok());
    negotiate(values, default)
}

/// Middleware body: add `Accept-Language` to the answer's `Vary`.
pub async fn vary(mut res: Response) -> Response {
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept-language"));
    res
}
