//! The operator dashboard at `/`: four files embedded in the binary (no CDN, no build step;
//! it works on an offline LAN). The page itself holds no data: it logs in with an API client's
//! token (`[[api.clients]]` or `api.tokens`), asks `GET /admin/session` for the client's scopes
//! and shows only the views and actions they allow, and reads everything through the
//! bearer-protected admin API (the audit log included), `/ready` and `/metrics`.
//!
//! The page speaks Spanish and English (`assets/dashboard/i18n.js`). The server names the
//! request's language in `<html lang>` (`Accept-Language`, else `ui.language`); the page
//! starts in it, and a choice made with its language switch is kept in that browser.

use super::language::Lang;
use super::AppState;
use crate::i18n::Language;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const INDEX: &str = include_str!("../../assets/dashboard/index.html");
const APP_JS: &str = include_str!("../../assets/dashboard/app.js");
const I18N_JS: &str = include_str!("../../assets/dashboard/i18n.js");
const STYLE: &str = include_str!("../../assets/dashboard/style.css");
/// The root element as written in index.html; the server puts the request's language in it.
const HTML_ROOT: &str = "<html lang=\"es\">";

/// The page loads only its own script and style and talks only to this origin.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; \
                   base-uri 'none'; form-action 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/dashboard/app.js", get(app_js))
        .route("/dashboard/i18n.js", get(i18n_js))
        .route("/dashboard/style.css", get(style_css))
}

/// The operator dashboard
///
/// It logs in with an API client's token, shows only what the client's scopes allow
/// (`GET /admin/session`) and reads everything through the admin API, `/ready` and `/metrics`. `<html lang>` is the request's language (`Accept-Language`, else
/// `ui.language`): `es` or `en`.
#[utoipa::path(get, path = "/", tag = "dashboard",
    params(("Accept-Language" = Option<String>, Header,
        description = "The page's first language: es or en (else `ui.language`)")),
    responses((status = 200, description = "HTML", content_type = "text/html", body = String)))]
async fn index(Lang(lang): Lang) -> Response {
    let mut res = asset(INDEX, "text/html; charset=utf-8");
    *res.body_mut() = page_in(lang).into();
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept-language"));
    res
}

/// index.html with `lang` in its root element.
fn page_in(lang: Language) -> String {
    INDEX.replacen(HTML_ROOT, &format!("<html lang=\"{lang}\">"), 1)
}

/// The dashboard's script
#[utoipa::path(get, path = "/dashboard/app.js", tag = "dashboard", responses(
    (status = 200, description = "JavaScript", content_type = "text/javascript", body = String)
))]
async fn app_js() -> Response {
    asset(APP_JS, "text/javascript; charset=utf-8")
}

/// The dashboard's texts in Spanish and English
#[utoipa::path(get, path = "/dashboard/i18n.js", tag = "dashboard", responses(
    (status = 200, description = "JavaScript", content_type = "text/javascript", body = String)
))]
async fn i18n_js() -> Response {
    asset(I18N_JS, "text/javascript; charset=utf-8")
}

/// The dashboard's style sheet
#[utoipa::path(get, path = "/dashboard/style.css", tag = "dashboard", responses(
    (status = 200, description = "CSS", content_type = "text/css", body = String)
))]
async fn style_css() -> Response {
    asset(STYLE, "text/css; charset=utf-8")
}

/// An embedded file with the page's CSP (also used by `/docs` and `/openapi.json`).
pub(super) fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_served_in_the_requests_language() {
        assert_eq!(
            INDEX.matches(HTML_ROOT).count(),
            1,
            "index.html starts with {HTML_ROOT}"
        );
        assert!(page_in(Language::En).contains("<html lang=\"en\">"));
        assert!(!page_in(Language::En).contains(HTML_ROOT));
        assert_eq!(page_in(Language::Es), INDEX);
    }
}
