//! Who is calling, and may they: every `/admin` and `/biometrico` request names a client by its
//! bearer token (`[[api.clients]]`, or the legacy `api.tokens` as one client with every scope)
//! or carries a user's own JWT (`[api.jwt]`); the route's scope comes from [`scopes::ROUTES`].
//! A call the client's scopes do not cover answers 403 naming the scope it lacks.
//!
//! The middleware leaves an [`Actor`] in the request for the handlers (who, which scope,
//! request id, address): every change they make is recorded with it in the audit log, and a
//! state-changing call that recorded nothing more specific gets one row here after it answers.

pub mod jwt;
pub mod scopes;

use crate::config::{ApiSettings, Scope, TokenDigest};
use crate::error::ApiError;
use crate::http::{AppState, REQUEST_ID};
use crate::store::audit::{Actor, AuditAction, AuditOutcome, AuditRecord};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jwt::JwtVerifier;
use scopes::Recorded;
use serde_json::json;
use std::collections::BTreeSet;
use std::net::SocketAddr;

/// One client as the middleware checks it.
#[derive(Debug)]
struct Client {
    name: String,
    scopes: BTreeSet<Scope>,
    tokens: Vec<TokenDigest>,
    assert_user: bool,
}

/// Who called: the client, the person behind it when known, and what they may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub client: String,
    pub user: Option<String>,
    pub scopes: BTreeSet<Scope>,
}

/// The clients, the JWT verifier and the acting-user header, built once at start.
#[derive(Debug)]
pub struct Authenticator {
    clients: Vec<Client>,
    jwt: Option<JwtVerifier>,
    acting_user_header: HeaderName,
}

/// Longest acting-user name accepted.
const MAX_USER: usize = 128;

impl Authenticator {
    pub fn new(api: &ApiSettings) -> Result<Authenticator, String> {
        let clients = api
            .all_clients()
            .into_iter()
            .map(|c| Client {
                name: c.name,
                scopes: c.scopes,
                tokens: c.tokens,
                assert_user: c.assert_user,
            })
            .collect();
        let acting_user_header = HeaderName::from_bytes(api.acting_user_header.as_bytes())
            .map_err(|e| format!("api.acting_user_header: {e}"))?;
        Ok(Authenticator {
            clients,
            jwt: JwtVerifier::from_settings(&api.jwt)?,
            acting_user_header,
        })
    }

    /// Whether anything can authenticate at all.
    pub fn is_configured(&self) -> bool {
        !self.clients.is_empty() || self.jwt.is_some()
    }

    /// Whether the legacy `api.tokens` client (every scope) is in use.
    pub fn uses_legacy_tokens(&self) -> bool {
        self.clients
            .iter()
            .any(|c| c.name == crate::config::LEGACY_CLIENT)
    }

    /// The caller behind `token` (and, for a client allowed to, the acting-user header).
    pub fn identify(
        &self,
        token: &str,
        headers: &axum::http::HeaderMap,
    ) -> Result<Caller, ApiError> {
        if let Some(client) = self.client_of(token) {
            let user = if client.assert_user {
                acting_user(
                    headers.get(&self.acting_user_header),
                    &self.acting_user_header,
                )?
            } else {
                None
            };
            return Ok(Caller {
                client: client.name.clone(),
                user,
                scopes: client.scopes.clone(),
            });
        }
        match &self.jwt {
            Some(v) if JwtVerifier::looks_like_jwt(token) => match v.verify(token) {
                Ok(t) => Ok(Caller {
                    client: v.client_name.clone(),
                    user: Some(t.user),
                    scopes: t.scopes,
                }),
                Err(why) => Err(ApiError::unauthorized(why)),
            },
            _ => Err(ApiError::unauthorized("the bearer token is not valid")),
        }
    }

    /// Constant time over every client's every token (no early exit on a match).
    fn client_of(&self, token: &str) -> Option<&Client> {
        use subtle::ConstantTimeEq;
        let given = TokenDigest::of(token);
        let mut found = None;
        for client in &self.clients {
            for t in &client.tokens {
                if bool::from(t.0.ct_eq(&given.0)) && found.is_none() {
                    found = Some(client);
                }
            }
        }
        found
    }
}

/// The acting user a trusted client named, if any: 1–128 printable characters.
fn acting_user(value: Option<&HeaderValue>, name: &HeaderName) -> Result<Option<String>, ApiError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let text = value.to_str().ok().map(str::trim).filter(|t| {
        !t.is_empty() && t.chars().count() <= MAX_USER && !t.chars().any(char::is_control)
    });
    match text {
        Some(t) => Ok(Some(t.to_owned())),
        None => Err(ApiError::bad_request(format!(
            "{name} must be 1–{MAX_USER} printable characters naming the person acting"
        ))),
    }
}

fn bearer(req: &Request) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn unauthorized(e: ApiError) -> Response {
    let mut res = e.into_response();
    res.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    res
}

/// Middleware on every protected route: authenticate, check the route's scope, hand the
/// handlers an [`Actor`], and record the call in the audit log when it changed something (or
/// read a face) and wrote no row of its own.
pub async fn require_scope(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let auth = state.authenticator();
    let Some(token) = bearer(&req) else {
        let message = if auth.is_configured() {
            "send Authorization: Bearer <token>"
        } else {
            "no API clients are configured: set [[api.clients]] (or HIKBRIDGE__API__TOKENS) on the server"
        };
        return unauthorized(ApiError::unauthorized(message));
    };
    let caller = match auth.identify(token, req.headers()) {
        Ok(c) => c,
        Err(e) if e.status() == axum::http::StatusCode::UNAUTHORIZED => return unauthorized(e),
        Err(e) => return e.into_response(),
    };
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let rule = scopes::rule(&method, &route);
    let mut actor = Actor::new(caller.client.clone(), caller.user.clone());
    actor.request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    actor.remote_addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip().to_string());
    let target = format!("{method} {}", req.uri().path());
    let Some(rule) = rule else {
        // Not in the policy table: nobody may call it (tests catch a route left out).
        tracing::error!(%route, %method, "a protected route has no scope in http::auth::scopes::ROUTES");
        return forbidden(&state, &actor, &target, &[]).await;
    };
    let Some(scope) = rule.scopes.iter().find(|s| caller.scopes.contains(s)) else {
        return forbidden(&state, &actor, &target, rule.scopes).await;
    };
    actor.scope = Some(scope.as_str());
    req.extensions_mut().insert(actor.clone());
    req.extensions_mut().insert(caller);
    let res = next.run(req).await;
    let record = match rule.recorded {
        Recorded::Change if changes_state(&method) => Some(AuditAction::HttpRequest),
        Recorded::Read(action) => Some(action),
        _ => None,
    };
    if let Some(action) = record {
        if !actor.recorded() {
            let status = res.status().as_u16();
            let (kind, target) = match action {
                AuditAction::PersonPhotoView => ("person", last_segment(&target)),
                _ => ("route", target.clone()),
            };
            let detail = format!("HTTP {status}");
            record_quietly(
                &state,
                &actor,
                &AuditRecord {
                    action,
                    target_kind: kind,
                    target: &target,
                    outcome: AuditOutcome::of_status(status),
                    detail: &detail,
                },
            )
            .await;
        }
    }
    res
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn last_segment(path_target: &str) -> String {
    path_target
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// 403 naming what is missing, recorded as denied.
async fn forbidden(state: &AppState, actor: &Actor, target: &str, needed: &[Scope]) -> Response {
    let words: Vec<&str> = needed.iter().map(|s| s.as_str()).collect();
    let message = match words.as_slice() {
        [] => "this route has no scope in the service's policy: nobody may call it".to_owned(),
        [one] => format!(
            "client {:?} lacks the scope `{one}` this call needs",
            actor.client
        ),
        many => format!(
            "client {:?} lacks the scope this call needs (one of {})",
            actor.client,
            many.join(", ")
        ),
    };
    crate::metrics::access_denied(&actor.client);
    let detail = format!("lacks scope {}", words.join(" or "));
    record_quietly(
        state,
        actor,
        &AuditRecord {
            action: AuditAction::HttpRequest,
            target_kind: "route",
            target,
            outcome: AuditOutcome::Denied,
            detail: &detail,
        },
    )
    .await;
    ApiError::forbidden(message.clone())
        .with_details(json!({"msg": message, "required_scopes": words, "client": actor.client}))
        .into_response()
}

/// Write a row after the answer is made: a failure is logged and counted, the answer stands.
async fn record_quietly(state: &AppState, actor: &Actor, rec: &AuditRecord<'_>) {
    if let Err(e) = state.store().record_audit(actor, rec).await {
        crate::metrics::audit_write_failed();
        tracing::error!(error = %e, action = %rec.action, "could not write the audit row of a request");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_acting_user_is_printable_and_bounded() {
        let name = HeaderName::from_static("x-acting-user");
        let ok = HeaderValue::from_static(" jperez@uni.edu.ec ");
        assert_eq!(
            acting_user(Some(&ok), &name).unwrap().as_deref(),
            Some("jperez@uni.edu.ec")
        );
        assert_eq!(acting_user(None, &name).unwrap(), None);
        let long = HeaderValue::from_str(&"a".repeat(MAX_USER + 1)).unwrap();
        assert!(acting_user(Some(&long), &name).is_err());
        assert!(acting_user(Some(&HeaderValue::from_static("  ")), &name).is_err());
    }
}
