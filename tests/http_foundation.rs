//! The HTTP foundation: probes, request ids, the JSON error shape, body limit, timeout, CORS.

mod common;

use axum::http::{HeaderValue, Method, StatusCode};
use common::app::TestApp;
use serde_json::Value;

#[tokio::test]
async fn health_answers_ok_without_consulting_dependencies() {
    let app = TestApp::builder().start().await;
    app.state.store().close().await;
    let res = app.server.get("/health").await;
    assert_eq!(res.status_code(), StatusCode::OK);
    assert_eq!(res.json::<Value>()["status"], "ok");
}

#[tokio::test]
async fn ready_reports_each_dependency() {
    let app = TestApp::builder().start().await;
    let res = app.server.get("/ready").await;
    assert_eq!(res.status_code(), StatusCode::OK);
    let body: Value = res.json();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["store"]["status"], "ok");
    assert_eq!(body["checks"]["store"]["backend"], "sqlite");
    assert_eq!(body["checks"]["workers"]["status"], "ok");
    assert_eq!(
        body["checks"]["upstreams"]["hikcentral"]["status"],
        "not_configured"
    );
    assert_eq!(
        body["checks"]["upstreams"]["humand"]["status"],
        "not_configured"
    );
}

#[tokio::test]
async fn ready_is_503_with_the_message_while_a_worker_fails_and_names_the_replica_role() {
    let app = TestApp::builder().start().await;
    // The workers start in the background: wait for the decider instead of racing it.
    common::until("the decider runs", || async {
        let body: Value = app.server.get("/ready").await.json();
        body["checks"]["workers"]["workers"]["decider"]["phase"] == "running"
    })
    .await;
    let body: Value = app.server.get("/ready").await.json();
    assert_eq!(
        body["cluster"]["role"], "leader",
        "SQLite: the only process leads"
    );
    app.state.workers().spawn("broken", |_| async {
        anyhow::bail!("checkpoint table missing")
    });
    // The body of the 503 itself: the worker restarts a second later and may be running again
    // by the next request.
    let body = std::sync::Mutex::new(Value::Null);
    common::until("the failure is recorded", || async {
        let res = app.server.get("/ready").await;
        let failing = res.status_code() == StatusCode::SERVICE_UNAVAILABLE;
        if failing {
            *body.lock().unwrap() = res.json();
        }
        failing
    })
    .await;
    let body = body.into_inner().unwrap();
    let broken = &body["checks"]["workers"]["workers"]["broken"];
    assert_eq!(broken["phase"], "restarting", "{body}");
    assert_eq!(broken["last_error"], "checkpoint table missing");
}

#[tokio::test]
async fn ready_is_503_while_store_writes_fail_and_recovers_after_a_successful_write() {
    // No background work: no heartbeat, lease or worker write can clear the failure early.
    let app = TestApp::builder().without_workers().start().await;
    let store = app.state.store();
    store.write_health().failed("database or disk is full");
    let res = app.server.get("/ready").await;
    assert_eq!(res.status_code(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json();
    // Nothing that writes runs: the retention pass or a lease renewal would clear the failure.
    for worker in ["retention", "decider", "delivery", "sync_jobs"] {
        assert_eq!(
            body["checks"]["workers"]["workers"][worker]["phase"], "standby",
            "{body}"
        );
    }
    assert!(body["checks"]["workers"]["workers"]["leadership"].is_null());
    let error = body["checks"]["store"]["error"].as_str().unwrap();
    assert!(error.contains("writes are failing since"), "{error}");
    assert!(error.contains("database or disk is full"), "{error}");
    // The heartbeat (or any write) that succeeds clears it.
    store.heartbeat("probe", 0, 1).await.unwrap();
    assert_eq!(app.server.get("/ready").await.status_code(), StatusCode::OK);
}

#[tokio::test]
async fn ready_is_503_when_the_store_is_unreachable() {
    let app = TestApp::builder().start().await;
    app.state.store().close().await;
    let res = app.server.get("/ready").await;
    assert_eq!(res.status_code(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["checks"]["store"]["status"], "error");
}

#[tokio::test]
async fn ready_turns_degraded_when_an_upstream_fails() {
    let (sim, running) = common::upstreams::hikcentral(None).await;
    let app = TestApp::builder()
        .env(&[
            ("HIKBRIDGE__HIKCENTRAL__BASE_URL", running.base_url.as_str()),
            ("HIKBRIDGE__HIKCENTRAL__APP_KEY", common::upstreams::APP_KEY),
            (
                "HIKBRIDGE__HIKCENTRAL__APP_SECRET",
                common::upstreams::APP_SECRET,
            ),
            ("HIKBRIDGE__HIKCENTRAL__MAX_ATTEMPTS", "1"),
            ("HIKBRIDGE__EVENTS__POLL_INTERVAL_SECS", "0"),
            ("HIKBRIDGE__SIAD__RECONCILE_INTERVAL_SECS", "0"),
        ])
        .start()
        .await;
    let hik = app.state.hikcentral().expect("configured");
    hik.version().await.expect("works");
    // The version is read once at start and shown (wait for it, so the fault below is ours).
    common::until("the version read at start", || async {
        let body: Value = app.server.get("/ready").await.json();
        body["checks"]["upstreams"]["hikcentral"]["version"].is_string()
    })
    .await;
    let body: Value = app.server.get("/ready").await.json();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["upstreams"]["hikcentral"]["status"], "ok");

    sim.faults.fail_next(1, 503);
    hik.version().await.expect_err("upstream down");
    let res = app.server.get("/ready").await;
    assert_eq!(
        res.status_code(),
        StatusCode::OK,
        "upstream trouble does not fail readiness"
    );
    let body: Value = res.json();
    assert_eq!(body["status"], "degraded");
    assert_eq!(
        body["checks"]["upstreams"]["hikcentral"]["status"],
        "warning"
    );
    assert!(body["checks"]["upstreams"]["hikcentral"]["last_error"]
        .as_str()
        .unwrap()
        .contains("503"));
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_keeps_a_given_one() {
    let app = TestApp::builder().start().await;
    let res = app.server.get("/health").await;
    let id = res.header("x-request-id");
    assert_eq!(id.to_str().unwrap().len(), 36, "a UUID is generated");
    let res = app
        .server
        .get("/health")
        .add_header("x-request-id", "trace-abc-123")
        .await;
    assert_eq!(res.header("x-request-id"), "trace-abc-123");
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_the_json_error_shape() {
    let app = TestApp::builder().start().await;
    let res = app.server.get("/nope").await;
    assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
    let body: Value = res.json();
    assert_eq!(body["error"]["code"], "not_found");
    assert!(body["error"]["message"].is_string());
    assert!(body["error"].as_object().unwrap().contains_key("details"));

    let res = app.server.post("/health").await;
    assert_eq!(res.status_code(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.json::<Value>()["error"]["code"], "method_not_allowed");
    assert!(res.maybe_header("allow").is_some(), "Allow is kept");
}

#[tokio::test]
async fn an_oversized_body_answers_413_json() {
    let app = TestApp::builder()
        .env(&[("HIKBRIDGE__SERVER__BODY_LIMIT_BYTES", "1024")])
        .socket()
        .start()
        .await;
    let url = app.server.server_url("/health").unwrap();
    let res = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("server.body_limit_bytes"));
}

/// The service with `server.cors_allowed_origins` = the SIAD frontend's origin.
async fn app_allowing_siad() -> TestApp {
    TestApp::builder()
        .env(&[(
            "HIKBRIDGE__SERVER__CORS_ALLOWED_ORIGINS",
            "https://siad.example.edu",
        )])
        .start()
        .await
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = app_allowing_siad().await;
    let preflight = |origin: &'static str| {
        app.server
            .method(Method::OPTIONS, "/ready")
            .add_header("origin", origin)
            .add_header("access-control-request-method", "GET")
    };
    let ok = preflight("https://siad.example.edu").await;
    assert_eq!(
        ok.maybe_header("access-control-allow-origin"),
        Some(HeaderValue::from_static("https://siad.example.edu"))
    );
    let other = preflight("https://evil.example").await;
    assert!(other.maybe_header("access-control-allow-origin").is_none());
}

/// An error answer made outside a handler (here axum's bodiless 405, rewritten into the JSON
/// error shape) still carries the CORS headers, so the SIAD frontend can read its message.
#[tokio::test]
async fn error_answers_keep_their_cors_headers() {
    let app = app_allowing_siad().await;
    let res = app
        .server
        .post("/ready")
        .add_header("origin", "https://siad.example.edu")
        .expect_failure()
        .await;
    assert_eq!(res.status_code(), 405);
    assert_eq!(
        res.maybe_header("access-control-allow-origin"),
        Some(HeaderValue::from_static("https://siad.example.edu"))
    );
    let body: Value = res.json();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn without_configured_origins_no_origin_is_allowed() {
    let app = TestApp::builder().start().await;
    for origin in ["https://siad.example.edu", "null"] {
        let res = app
            .server
            .method(Method::OPTIONS, "/ready")
            .add_header("origin", origin)
            .add_header("access-control-request-method", "GET")
            .await;
        assert!(
            res.maybe_header("access-control-allow-origin").is_none(),
            "{origin}"
        );
        let res = app.server.get("/ready").add_header("origin", origin).await;
        assert!(
            res.maybe_header("access-control-allow-origin").is_none(),
            "{origin}"
        );
    }
}

/// Paused time: the runtime jumps to the next timer when everything waits, so the 1 s limit
/// fires at once and the handler's 5 s would only be reached if the limit were missing.
#[tokio::test(start_paused = true)]
async fn a_request_over_the_time_limit_answers_408_json() {
    use axum::routing::get;
    let settings = hikbridge::config::Settings::defaults_with_env(&[(
        "HIKBRIDGE__SERVER__REQUEST_TIMEOUT_SECS",
        "1",
    )])
    .unwrap();
    let slow = axum::Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            "late"
        }),
    );
    let router = hikbridge::http::with_shared_layers(slow, &settings.server);
    let server = axum_test::TestServer::new(router).unwrap();
    let res = server.get("/slow").await;
    assert_eq!(res.status_code(), StatusCode::REQUEST_TIMEOUT);
    assert_eq!(res.json::<Value>()["error"]["code"], "request_timeout");
}

#[tokio::test]
async fn serve_stops_gracefully_when_told() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let settings = hikbridge::config::Settings::defaults_with_env(&[
        ("HIKBRIDGE__STORE__URL", url.as_str()),
        ("HIKBRIDGE__SERVER__SHUTDOWN_GRACE_SECS", "5"),
    ])
    .unwrap();
    let app = hikbridge::app::App::build(settings).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = rx.await;
    }));
    let health = reqwest::get(format!("http://{addr}/health")).await.unwrap();
    assert_eq!(health.status(), 200);
    tx.send(()).unwrap();
    let result = tokio::time::timeout(std::time::Duration::from_secs(5), server)
        .await
        .expect("serve returns promptly once idle");
    result.unwrap().expect("clean stop");
}
