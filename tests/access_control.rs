//! Least privilege: the scope matrix generated from the OpenAPI document (every protected
//! operation × every scope → allowed or 403), the SIAD frontend's client kept out of operator
//! and admin actions, the acting user recorded only for clients allowed to name one, and user
//! JWTs (RS256, keys made here) refused when expired, for another audience, forged or without
//! the user claim.

mod common;

use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use common::app::TestApp;
use hikbridge::config::Scope;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const SCOPE_TOKENS: [(&str, &str); 4] = [
    ("sync", "token-of-the-sync-client-0001"),
    ("read", "token-of-the-read-client-0002"),
    ("operate", "token-of-the-operate-client-03"),
    ("admin", "token-of-the-admin-client-0004"),
];
const TRUSTED: &str = "token-of-the-siad-backend-0005";

fn sha(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// One client per scope, and a trusted SIAD backend allowed to name the acting user.
fn clients_toml() -> String {
    let mut toml = String::new();
    for (scope, token) in SCOPE_TOKENS {
        toml.push_str(&format!(
            "[[api.clients]]\nname = \"only-{scope}\"\nscopes = [\"{scope}\"]\ntoken_sha256 = \"{}\"\n\n",
            sha(token)
        ));
    }
    toml.push_str(&format!(
        "[[api.clients]]\nname = \"siad-backend\"\nscopes = [\"sync\", \"read\"]\ntoken_sha256 = \"{}\"\nassert_user = true\n",
        sha(TRUSTED)
    ));
    toml
}

async fn app() -> TestApp {
    TestApp::builder()
        .config(&clients_toml())
        .without_workers()
        .start()
        .await
}

/// A URL for a documented path with probe values.
fn url_for(path: &str) -> String {
    let mut url = String::new();
    for (i, part) in path.split(['{', '}']).enumerate() {
        url.push_str(match (i % 2, part) {
            (0, text) => text,
            (_, "id") => "1",
            (_, "day") => "2026-01-27",
            (_, "cedula" | "ci") => "1712345678",
            _ => "probe",
        });
    }
    url
}

/// (method, path, scopes that allow it) for every protected operation of the document.
fn protected(doc: &Value) -> Vec<(String, String, BTreeSet<String>)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(reqs) = op["security"].as_array() else {
                continue;
            };
            let scopes: BTreeSet<String> = reqs
                .iter()
                .flat_map(|r| r["bearer"].as_array().cloned().unwrap_or_default())
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect();
            out.push((method.to_uppercase(), path.clone(), scopes));
        }
    }
    out
}

#[tokio::test]
async fn every_protected_operation_answers_each_scope_as_the_document_says() {
    let app = app().await;
    let doc: Value = app.server.get("/openapi.json").await.json();
    let ops = protected(&doc);
    assert!(ops.len() >= 35, "only {} protected operations", ops.len());
    let mut problems = Vec::new();
    for (method, path, allowed) in &ops {
        assert!(!allowed.is_empty(), "{method} {path} lists no scope");
        for (scope, token) in SCOPE_TOKENS {
            let m = Method::from_bytes(method.as_bytes()).unwrap();
            let res = app
                .server
                .method(m, &url_for(path))
                .authorization_bearer(token)
                .await;
            let status = res.status_code();
            if allowed.contains(scope) {
                if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
                    problems.push(format!("{method} {path}: {scope} allowed but {status}"));
                }
            } else if status != StatusCode::FORBIDDEN {
                problems.push(format!("{method} {path}: {scope} not allowed but {status}"));
            } else {
                let body: Value = res.json();
                let named: Vec<&str> = body["error"]["details"]["required_scopes"]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let expected: Vec<&str> = allowed.iter().map(String::as_str).collect();
                let mut named_sorted = named.clone();
                named_sorted.sort_unstable();
                if named_sorted != expected {
                    problems.push(format!(
                        "{method} {path}: 403 names {named:?}, not {expected:?}"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[tokio::test]
async fn the_frontends_client_cannot_discard_redecide_override_or_cancel() {
    let app = app().await;
    let sync = SCOPE_TOKENS[0].1;
    let calls = [
        (Method::POST, "/admin/punches/1/discard"),
        (Method::POST, "/admin/punches/1/retry"),
        (Method::POST, "/admin/events/redecide?reason=unmapped_door"),
        (Method::PUT, "/admin/overrides/1712345678"),
        (Method::DELETE, "/admin/overrides/1712345678"),
        (Method::POST, "/admin/overrides"),
        (Method::POST, "/biometrico/jobs/1/cancel"),
        (Method::GET, "/admin/audit"),
    ];
    for (m, url) in calls {
        let res = app
            .server
            .method(m.clone(), url)
            .authorization_bearer(sync)
            .await;
        assert_eq!(res.status_code(), StatusCode::FORBIDDEN, "{m} {url}");
        let body: Value = res.json();
        assert_eq!(body["error"]["code"], "forbidden");
        assert!(
            body["error"]["details"]["msg"]
                .as_str()
                .unwrap()
                .contains("only-sync"),
            "{body}"
        );
    }
    // Each refusal is on record, as denied, with the client's name.
    let audit: Value = app
        .server
        .get("/admin/audit?actor=only-sync&outcome=denied")
        .authorization_bearer(SCOPE_TOKENS[1].1)
        .await
        .json();
    let rows = audit["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 8, "{audit}");
    assert!(rows
        .iter()
        .all(|r| r["action"] == "http_request" && r["scope"].is_null()));
}

#[tokio::test]
async fn the_session_names_the_client_and_its_scopes() {
    let app = app().await;
    for (scope, token) in SCOPE_TOKENS {
        let me: Value = app
            .server
            .get("/admin/session")
            .authorization_bearer(token)
            .await
            .json();
        assert_eq!(me["client"], format!("only-{scope}"));
        assert_eq!(me["scopes"], json!([scope]));
        assert!(me["user"].is_null());
    }
    let unknown = app
        .server
        .get("/admin/session")
        .authorization_bearer("not-a-token-of-anyone-000")
        .await;
    assert_eq!(unknown.status_code(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn only_a_client_allowed_to_name_the_acting_user_has_it_recorded() {
    let app = app().await;
    let header = HeaderName::from_static("x-acting-user");
    let trusted: Value = app
        .server
        .get("/admin/session")
        .authorization_bearer(TRUSTED)
        .add_header(header.clone(), HeaderValue::from_static("mlopez"))
        .await
        .json();
    assert_eq!(trusted["user"], "mlopez");
    let untrusted: Value = app
        .server
        .get("/admin/session")
        .authorization_bearer(SCOPE_TOKENS[0].1)
        .add_header(header.clone(), HeaderValue::from_static("mlopez"))
        .await
        .json();
    assert!(untrusted["user"].is_null(), "{untrusted}");
    let bad = app
        .server
        .get("/admin/session")
        .authorization_bearer(TRUSTED)
        .add_header(header, HeaderValue::from_str(&"x".repeat(200)).unwrap())
        .await;
    assert_eq!(bad.status_code(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn legacy_tokens_keep_every_scope() {
    let app = TestApp::builder()
        .env(&[("HIKBRIDGE__API__TOKENS", "legacy-token-0123456789")])
        .without_workers()
        .start()
        .await;
    let me: Value = app
        .server
        .get("/admin/session")
        .authorization_bearer("legacy-token-0123456789")
        .await
        .json();
    assert_eq!(me["client"], "api.tokens");
    let all: Vec<Value> = Scope::ALL.iter().map(|s| json!(s.as_str())).collect();
    assert_eq!(me["scopes"], json!(all));
}

mod jwt {
    use super::*;
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    use std::sync::OnceLock;

    const ISSUER: &str = "https://siad.example.edu";
    const AUDIENCE: &str = "hikbridge";

    /// (private PEM, public PEM), made once per test run.
    fn keys(n: usize) -> &'static (String, String) {
        static KEYS: OnceLock<Vec<(String, String)>> = OnceLock::new();
        &KEYS.get_or_init(|| {
            (0..2)
                .map(|_| {
                    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
                    let private = key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
                    let public = key
                        .to_public_key()
                        .to_public_key_pem(LineEnding::LF)
                        .unwrap();
                    (private, public)
                })
                .collect()
        })[n]
    }

    async fn app(dir: &tempfile::TempDir) -> TestApp {
        let public = dir.path().join("oauth-public.key");
        std::fs::write(&public, &keys(0).1).unwrap();
        let toml = format!(
            "[api.jwt]\nalgorithm = \"RS256\"\npublic_key_file = \"{}\"\nissuer = \"{ISSUER}\"\naudience = \"{AUDIENCE}\"\nuser_claim = \"email\"\nscopes_claim = \"scopes\"\nallowed_scopes = [\"sync\", \"read\"]\n",
            public.display()
        );
        TestApp::builder()
            .config(&toml)
            .without_workers()
            .start()
            .await
    }

    fn token(signer: usize, extra: Value) -> String {
        let mut claims = json!({
            "iss": ISSUER, "aud": AUDIENCE, "email": "jperez@uni.edu.ec",
            "exp": chrono::Utc::now().timestamp() + 600, "scopes": ["sync", "admin"],
        });
        for (k, v) in extra.as_object().unwrap() {
            claims[k] = v.clone();
        }
        let key = EncodingKey::from_rsa_pem(keys(signer).0.as_bytes()).unwrap();
        encode(&Header::new(Algorithm::RS256), &claims, &key).unwrap()
    }

    #[tokio::test]
    async fn a_users_own_token_names_the_user_and_grants_only_allowed_scopes() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(&dir).await;
        let me: Value = app
            .server
            .get("/admin/session")
            .authorization_bearer(token(0, json!({})))
            .await
            .json();
        assert_eq!(me["client"], "siad-users");
        assert_eq!(me["user"], "jperez@uni.edu.ec");
        assert_eq!(
            me["scopes"],
            json!(["sync"]),
            "admin is beyond allowed_scopes"
        );
        let discard = app
            .server
            .post("/admin/punches/1/discard")
            .authorization_bearer(token(0, json!({})))
            .await;
        assert_eq!(discard.status_code(), StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn expired_foreign_forged_or_userless_tokens_answer_401() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(&dir).await;
        let past = chrono::Utc::now().timestamp() - 3600;
        let cases = [
            (token(0, json!({"exp": past})), "expired"),
            (token(0, json!({"aud": "another-service"})), "aud"),
            (token(1, json!({})), "signature"),
            (token(0, json!({"email": null})), "email"),
        ];
        for (t, why) in cases {
            let res = app
                .server
                .get("/admin/session")
                .authorization_bearer(t)
                .await;
            assert_eq!(res.status_code(), StatusCode::UNAUTHORIZED, "{why}");
            let body: Value = res.json();
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains(why), "{why}: {message}");
            assert_eq!(res.header("www-authenticate"), "Bearer");
        }
    }
}
