//! The OpenAPI document (`GET /openapi.json`) against the router: every `.route("…", …)` in
//! `src/http` is documented with its methods, every documented operation is routed (it answers
//! something other than the fallback's 404), the bearer-protected ones are exactly those marked
//! with the `bearer` security scheme, answers have documented statuses and shapes, and the
//! document's examples match their schemas. Also the offline docs page at `/docs`.

mod common;

use axum::http::{header, Method, StatusCode};
use common::app::TestApp;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

const TOKEN: &str = "openapi-test-token-0123456789";
const SECRET: &str = "openapi-callback-secret-0123456789";
const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

async fn app() -> TestApp {
    TestApp::builder()
        .env(&[
            ("HIKBRIDGE__API__TOKENS", TOKEN),
            ("HIKBRIDGE__EVENTS__CALLBACK_SECRET", SECRET),
        ])
        .without_workers()
        .start()
        .await
}

async fn document(app: &TestApp) -> Value {
    let res = app.server.get("/openapi.json").await;
    assert_eq!(res.status_code(), StatusCode::OK);
    assert!(
        res.content_type().starts_with("application/json"),
        "{}",
        res.content_type()
    );
    res.json()
}

#[tokio::test]
async fn states_and_directions_are_documented_as_the_words_the_api_answers() {
    let app = app().await;
    let doc = document(&app).await;
    let words = |name: &str| -> Vec<String> {
        let schema = &doc["components"]["schemas"][name];
        schema["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} is not an enum: {schema}"))
            .iter()
            .map(|w| w.as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(
        words("PunchState"),
        [
            "queued",
            "sending",
            "parked",
            "delivered",
            "dry_run",
            "discarded"
        ]
    );
    assert_eq!(
        words("EventState"),
        ["new", "held", "decided", "parked", "out_of_window"]
    );
    assert_eq!(words("Direction"), ["entry", "exit"]);
    let punch = &doc["components"]["schemas"]["Punch"]["properties"];
    assert_eq!(punch["state"]["$ref"], "#/components/schemas/PunchState");
    assert_eq!(punch["direction"]["$ref"], "#/components/schemas/Direction");
}

/// Every (method, path) the document describes.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let item = item.as_object().expect("a path item");
            item.keys()
                .filter(|m| METHODS.contains(&m.as_str()))
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect()
}

/// Every (method, path) routed in `src/http/**/*.rs`: each `.route("…", …)` literal with the
/// methods chained in its second argument (`get(a)`, `post(b).get(c)`, …).
fn routed() -> BTreeSet<(String, String)> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http"),
        &mut files,
    );
    let mut out = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for (path, methods) in routes_in(&code) {
            assert!(
                !methods.is_empty(),
                "{}: no method found for .route({path:?}, …)",
                file.display()
            );
            out.extend(methods.into_iter().map(|m| (m, path.clone())));
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(path, methods)` of each `.route(` call in `code`.
fn routes_in(code: &str) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let args = rest.trim_start();
        let path = args
            .strip_prefix('"')
            .and_then(|a| a.split_once('"'))
            .map(|(p, _)| p.to_owned())
            .unwrap_or_else(|| panic!("a .route( whose path is not a string literal: {args:.60}"));
        found.push((path, methods_in(call_arguments(rest))));
    }
    found
}

/// The text up to the `)` that closes the call whose arguments start `text`.
fn call_arguments(text: &str) -> &str {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, c) in text.char_indices() {
        match (in_string, c) {
            (true, '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (true, '"') if !escaped => in_string = false,
            (false, '"') => in_string = true,
            (false, '(' | '[' | '{') => depth += 1,
            (false, ')' | ']' | '}') if depth == 0 => return &text[..i],
            (false, ')' | ']' | '}') => depth -= 1,
            _ => {}
        }
        escaped = false;
    }
    panic!("unbalanced .route( call: {text:.80}")
}

/// HTTP method names called at the top level of a route's arguments.
fn methods_in(args: &str) -> Vec<String> {
    let (mut depth, mut in_string, mut word) = (0usize, false, String::new());
    let mut methods = Vec::new();
    for c in args.chars() {
        if in_string {
            in_string = c != '"';
            continue;
        }
        if c == '(' && depth == 0 && METHODS.contains(&word.as_str()) {
            methods.push(word.clone());
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            word.clear();
        }
    }
    methods
}

/// A URL for a documented path: its parameters filled with probe values.
fn url_for(path: &str) -> String {
    let mut url = String::new();
    for (i, part) in path.split(['{', '}']).enumerate() {
        url.push_str(match (i % 2, part) {
            (0, text) => text,
            (_, "secret") => SECRET,
            (_, "id") => "1",
            (_, "day") => "2026-01-27",
            (_, "cedula" | "ci") => "1712345678",
            _ => "openapi-probe",
        });
    }
    url
}

fn is_fallback(status: StatusCode, body: &Value) -> bool {
    status == StatusCode::NOT_FOUND
        && *body
            == json!({"error": {"code": "not_found", "message": "no such route", "details": null}})
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_declares_the_bearer_scheme() {
    let app = app().await;
    let doc = document(&app).await;
    let version = doc["openapi"].as_str().expect("openapi");
    assert!(version.starts_with("3.1"), "openapi is {version}");
    assert_eq!(doc["info"]["title"], "hikbridge");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        json!({"type": "http", "scheme": "bearer", "description": doc["components"]["securitySchemes"]["bearer"]["description"]})
    );
}

#[tokio::test]
async fn every_route_of_the_router_is_documented() {
    let app = app().await;
    let doc = document(&app).await;
    let routed = routed();
    assert!(
        routed.len() >= 40,
        "the scan found only {} routes: {routed:?}",
        routed.len()
    );
    let documented = documented(&doc);
    let missing: Vec<_> = routed.difference(&documented).collect();
    assert!(missing.is_empty(), "routed but not documented: {missing:?}");
    let unscanned: Vec<_> = documented.difference(&routed).collect();
    assert!(
        unscanned.is_empty(),
        "documented but no .route( found: {unscanned:?}"
    );
}

/// Without a token: a protected operation answers 401 from the bearer layer (which only runs
/// for a matched route), any other one answers something documented, never the fallback.
#[tokio::test]
async fn every_documented_operation_is_routed_and_protected_as_documented() {
    let app = app().await;
    let doc = document(&app).await;
    let mut problems = Vec::new();
    for (method, path) in documented(&doc) {
        let op = &doc["paths"][&path][&method];
        let secured = op["security"]
            .as_array()
            .is_some_and(|reqs| !reqs.is_empty() && reqs.iter().all(|r| r["bearer"].is_array()));
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let res = app.server.method(m, &url_for(&path)).await;
        let status = res.status_code();
        let body: Value = serde_json::from_slice(res.as_bytes()).unwrap_or(Value::Null);
        if is_fallback(status, &body) || status == StatusCode::METHOD_NOT_ALLOWED {
            problems.push(format!("{method} {path}: not routed ({status})"));
        } else if secured != (status == StatusCode::UNAUTHORIZED) {
            problems.push(format!(
                "{method} {path}: security {secured} but {status} without a token"
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// With the token and minimal input (no body, probe values): every answer's status is listed
/// for its operation, and a JSON answer matches the documented schema.
#[tokio::test]
async fn answers_have_documented_statuses_and_shapes() {
    let app = app().await;
    let doc = document(&app).await;
    let mut problems = Vec::new();
    let mut checked_bodies = 0;
    for (method, path) in documented(&doc) {
        let op = &doc["paths"][&path][&method];
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let res = app
            .server
            .method(m, &url_for(&path))
            .authorization_bearer(TOKEN)
            .await;
        let status = res.status_code();
        let documented = &op["responses"][status.as_str()];
        if documented.is_null() {
            problems.push(format!(
                "{method} {path}: {status} is not documented: {}",
                res.text()
            ));
            continue;
        }
        if status == StatusCode::NO_CONTENT {
            assert!(
                res.as_bytes().is_empty(),
                "{method} {path}: 204 with a body"
            );
            continue;
        }
        let ct = res.content_type();
        let media = documented["content"]
            .as_object()
            .and_then(|c| c.iter().find(|(k, _)| ct.starts_with(k.as_str())))
            .map(|(_, v)| v);
        match (media, ct.starts_with("application/json")) {
            (Some(media), true) => {
                let body: Value = res.json();
                let mut errors = Vec::new();
                check(&doc, &media["schema"], &body, "body", &mut errors);
                checked_bodies += 1;
                problems.extend(
                    errors
                        .into_iter()
                        .map(|e| format!("{method} {path} {status}: {e}: {body}")),
                );
            }
            (Some(_), false) => {}
            (None, _) if documented.get("content").is_none() && res.as_bytes().is_empty() => {}
            (None, _) => problems.push(format!(
                "{method} {path} {status}: content type {ct} is not documented"
            )),
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(checked_bodies >= 30, "only {checked_bodies} JSON answers");
}

#[tokio::test]
async fn an_event_push_and_the_fixtures_match_the_documented_body_and_answer() {
    let app = app().await;
    let doc = document(&app).await;
    let op = &doc["paths"]["/hikcentral/events/{secret}"]["post"];
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hikcentral-events");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let body: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let mut errors = Vec::new();
            check(&doc, schema, &body, "body", &mut errors);
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        }
    }
    let res = app
        .server
        .post(&format!("/hikcentral/events/{SECRET}"))
        .text(common::fixture("hcp-granted-face-entry.json"))
        .await;
    assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
    let mut errors = Vec::new();
    let answer = &op["responses"]["200"]["content"]["application/json"]["schema"];
    check(&doc, answer, &res.json(), "answer", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn the_examples_in_the_document_match_their_schemas() {
    let doc: Value = serde_json::from_str(hikbridge::http::openapi::document().unwrap()).unwrap();
    let mut errors = Vec::new();
    let mut count = 0;
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        for example in schema["examples"].as_array().into_iter().flatten() {
            check(&doc, schema, example, name, &mut errors);
            count += 1;
        }
    }
    let media_types = doc["paths"].as_object().unwrap().values().flat_map(|item| {
        METHODS.iter().flat_map(move |m| {
            let op = &item[*m];
            let bodies = op["responses"]
                .as_object()
                .into_iter()
                .flat_map(|r| r.values());
            bodies
                .chain(std::iter::once(&op["requestBody"]))
                .filter_map(|r| r["content"].as_object())
                .flat_map(|c| c.iter())
        })
    });
    for (ct, media) in media_types {
        let named = media["examples"].as_object().into_iter().flatten();
        let examples = media
            .get("example")
            .into_iter()
            .chain(named.map(|(_, e)| &e["value"]));
        for example in examples.filter(|_| ct.starts_with("application/json")) {
            check(&doc, &media["schema"], example, ct, &mut errors);
            count += 1;
        }
    }
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(count >= 30, "only {count} examples");
}

#[tokio::test]
async fn the_docs_page_is_offline_and_reads_the_document() {
    let app = app().await;
    let page = app.server.get("/docs").await;
    assert_eq!(page.status_code(), StatusCode::OK);
    assert!(page.content_type().starts_with("text/html"));
    let csp = page.header(header::CONTENT_SECURITY_POLICY);
    assert!(csp.to_str().unwrap().contains("script-src 'self'"));
    let html = page.text();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no CDN"
    );
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "nothing inline"
    );
    for asset in ["/docs/docs.js", "/docs/docs.css", "/dashboard/style.css"] {
        assert!(html.contains(asset), "the page loads {asset}");
        let res = app.server.get(asset).await;
        assert_eq!(res.status_code(), StatusCode::OK, "{asset}");
    }
    let js = app.server.get("/docs/docs.js").await.text();
    assert!(js.contains("/openapi.json"));
}

/// A small JSON Schema check (the subset the document uses): `$ref`, `oneOf`, `type` (one or
/// several), `required`, `properties`, `additionalProperties`, `items`.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        assert!(!target.is_null(), "{at}: dangling $ref {r}");
        return check(doc, target, value, at, errors);
    }
    if let Some(alternatives) = schema["oneOf"].as_array() {
        let fits = |s: &Value| {
            let mut e = Vec::new();
            check(doc, s, value, at, &mut e);
            e.is_empty()
        };
        if !alternatives.iter().any(fits) {
            errors.push(format!("{at}: matches no oneOf alternative"));
        }
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| type_fits(t, value)) {
        errors.push(format!("{at}: {value} is not {types:?}"));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            errors.push(format!("{at}: {value} is not one of {allowed:?}"));
            return;
        }
    }
    if let Value::Object(map) = value {
        for key in schema["required"].as_array().into_iter().flatten() {
            let key = key.as_str().unwrap_or_default();
            if !map.contains_key(key) {
                errors.push(format!("{at}: missing {key}"));
            }
        }
        let properties = schema["properties"].as_object();
        for (key, v) in map {
            match properties.and_then(|p| p.get(key)) {
                Some(s) => check(doc, s, v, &format!("{at}.{key}"), errors),
                None if schema["additionalProperties"].is_object() => check(
                    doc,
                    &schema["additionalProperties"],
                    v,
                    &format!("{at}.{key}"),
                    errors,
                ),
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(s)) = (value, schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            check(doc, s, v, &format!("{at}[{i}]"), errors);
        }
    }
}

fn type_fits(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        _ => true,
    }
}
