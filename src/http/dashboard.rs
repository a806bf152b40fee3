//! The operator dashboard at `/`: three files embedded in the binary (no CDN, no build step;
//! it works on an offline LAN). The page itself holds no data: it logs in with one of
//! `api.tokens` and reads everything through the bearer-protected admin API, `/ready` and
//! `/metrics`.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const INDEX: &str = include_str!("../../assets/dashboard/index.html");
const APP_JS: &str = include_str!("../../assets/dashboard/app.js");
const STYLE: &str = include_str!("../../assets/dashboard/style.css");

/// The page loads only its own script and style and talks only to this origin.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; \
                   base-uri 'none'; form-action 'none'";

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/dashboard/app.js", get(app_js))
        .route("/dashboard/style.css", get(style_css))
}

/// The operator dashboard
///
/// It logs in with one of `api.tokens` and reads everything through the admin API, `/ready`
/// and `/metrics`.
#[utoipa::path(get, path = "/", tag = "dashboard", responses(
    (status = 200, description = "HTML", content_type = "text/html", body = String)
))]
async fn index() -> Response {
    asset(INDEX, "text/html; charset=utf-8")
}

/// The dashboard's script
#[utoipa::path(get, path = "/dashboard/app.js", tag = "dashboard", responses(
    (status = 200, description = "JavaScript", content_type = "text/javascript", body = String)
))]
async fn app_js() -> Response {
    asset(APP_JS, "text/javascript; charset=utf-8")
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
