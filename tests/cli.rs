//! The `hikbridge` binary: `artemis sign`, `check-config`, `openapi`, `serve` and `healthcheck`.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_hikbridge");

/// The binary with no HIKBRIDGE_* variables from the caller, run in `dir` (so no
/// config/default.toml is found and the embedded defaults apply).
fn hikbridge(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("HIKBRIDGE") {
            cmd.env_remove(k);
        }
    }
    cmd.env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    hikbridge(dir, env, args).output().expect("run hikbridge")
}

/// For tests whose simulators run on the test's own runtime.
async fn run_async(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    tokio::process::Command::from(hikbridge(dir, env, args))
        .output()
        .await
        .expect("run hikbridge")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const SECRET_ENV: (&str, &str) = ("HIKBRIDGE__HIKCENTRAL__APP_SECRET", "Zq8n2kQpX3vL9mTz");
const PATH: &str = "/artemis/api/resource/v1/person/advance/personList";
const BODY: &str = r#"{"pageNo":1,"pageSize":1,"personCode":"1234567890"}"#;

fn sign(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "artemis",
        "sign",
        "--method",
        "POST",
        "--path",
        PATH,
        "--app-key",
        "26744628",
        "--timestamp",
        "1767225600000",
        "--nonce",
        "c2b0f4e1-6f4a-4e8e-9a39-1f0a6f8d2b11",
    ];
    args.extend_from_slice(extra);
    let out = run(dir, &[SECRET_ENV], &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

#[test]
fn artemis_sign_prints_the_reference_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let v1 = sign(
        dir.path(),
        &[
            "--accept",
            "*/*",
            "--content-type",
            "application/json;charset=UTF-8",
        ],
    );
    assert!(v1.contains(&format!(
        "string to sign: POST\\n*/*\\napplication/json;charset=UTF-8\\nx-ca-key:26744628\\nx-ca-nonce:c2b0f4e1-6f4a-4e8e-9a39-1f0a6f8d2b11\\nx-ca-timestamp:1767225600000\\n{PATH}"
    )), "{v1}");
    assert!(
        v1.contains("x-ca-signature: AatfkWH42T5dSKszEh45ubmGconjKY06HImhhriNXtU="),
        "{v1}"
    );

    let body = dir.path().join("body.json");
    std::fs::write(&body, BODY).unwrap();
    let v2 = sign(
        dir.path(),
        &[
            "--accept",
            "application/json",
            "--body",
            body.to_str().unwrap(),
        ],
    );
    assert!(v2.contains("content-md5: qGZQO+8MShztQgnCtEc86Q=="), "{v2}");
    assert!(
        v2.contains("x-ca-signature: hqj8MqjD4YYX0AFX+YgQ0wEyP0iwzAFryKpOiT4DZSk="),
        "{v2}"
    );

    // The defaults (Accept */*, Content-Type application/json;charset=UTF-8) are V1's.
    let v3 = sign(
        dir.path(),
        &["--query", "pageSize=1", "--query", "pageNo=1"],
    );
    assert!(v3.contains(&format!("{PATH}?pageNo=1&pageSize=1")), "{v3}");
    assert!(
        v3.contains("x-ca-signature: 1kK/jioBxCsPD4mBZPDdv1Tn++EOXM5HiNeQ72XML7g="),
        "{v3}"
    );

    let v4 = sign(
        dir.path(),
        &[
            "--signed-headers",
            "x-ca-key",
            "--accept",
            "application/json",
            "--content-type",
            "application/json",
        ],
    );
    assert!(v4.contains("x-ca-signature-headers: x-ca-key\n"), "{v4}");
    assert!(
        v4.contains("x-ca-signature: +PySiHIZFloPlMw9+OIwpdZWFPv8+xUfxMpidGovcYM="),
        "{v4}"
    );
}

#[test]
fn artemis_sign_needs_the_secret_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[],
        &[
            "artemis",
            "sign",
            "--path",
            PATH,
            "--app-key",
            "1",
            "--timestamp",
            "1",
            "--nonce",
            "n",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("HIKBRIDGE__HIKCENTRAL__APP_SECRET"));
}

#[test]
fn check_config_names_each_problem_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            ("HIKBRIDGE__STORE__URL", "mysql://db/x"),
            ("HIKBRIDGE__HIKCENTRAL__BASE_URL", "hikcentral.local"),
            ("HIKBRIDGE__HIKCENTRAL__TLS__PIN_SHA256", "abc"),
            ("HIKBRIDGE__HUMAND__RATE_LIMIT", "0"),
        ],
        &["check-config"],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    for needle in [
        "✗ store.url = \"mysql://db/x\"",
        "✗ hikcentral.base_url = \"hikcentral.local\"",
        "✗ hikcentral.app_key",
        "✗ hikcentral.app_secret",
        "✗ hikcentral.tls.pin_sha256 = \"abc\"",
        "✗ humand.rate_limit = 0",
        "→ for example",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn check_config_passes_on_the_embedded_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &[], &["check-config"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("✓ configuration: embedded defaults"),
        "{text}"
    );
    assert!(
        text.contains("✓ store: sqlite://data/hikbridge.db does not exist yet"),
        "{text}"
    );
    // A check creates nothing.
    assert!(
        !dir.path().join("data").exists(),
        "check-config created data/"
    );
    assert!(text.contains("· hikcentral: not configured"), "{text}");
    assert!(text.contains("· siad: not configured"), "{text}");

    // A configured SIAD is tried: a missing demo database is a ✗ with what to do.
    let out = run(
        dir.path(),
        &[("HIKBRIDGE__SIAD__URL", "sqlite://missing/siad.db")],
        &["check-config"],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("✗ siad:") && text.contains("seed-demo"),
        "{text}"
    );
}

#[test]
fn openapi_prints_the_served_document_without_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &[], &["openapi"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let served = hikbridge::http::openapi::document().unwrap();
    assert_eq!(stdout(&out), format!("{served}\n"));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["info"]["title"], "hikbridge");
    // It starts nothing: no store, no files.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn check_config_tries_each_connection_and_says_what_to_change() {
    let (_hik, hik_running) = common::upstreams::hikcentral(None).await;
    let humand = hikbridge::sim::humand::HumandSim::new(Default::default());
    let humand_running = humand.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let humand_base = hikbridge::sim::humand::HumandSim::api_base(&humand_running);
    let dir = tempfile::tempdir().unwrap();
    let base = hik_running.base_url.clone();
    let env = [
        ("HIKBRIDGE__HIKCENTRAL__BASE_URL", base.as_str()),
        ("HIKBRIDGE__HIKCENTRAL__APP_KEY", common::upstreams::APP_KEY),
        ("HIKBRIDGE__HIKCENTRAL__APP_SECRET", "not-the-secret"),
        ("HIKBRIDGE__HUMAND__BASE_URL", humand_base.as_str()),
        ("HIKBRIDGE__HUMAND__API_KEY", "wrong-key"),
    ];
    let out = run_async(dir.path(), &env, &["check-config"]).await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("✗ hikcentral:"), "{text}");
    assert!(text.contains("invalid signature"), "{text}");
    assert!(text.contains("HIKBRIDGE__HIKCENTRAL__APP_SECRET"), "{text}");
    assert!(text.contains("✗ humand:"), "{text}");
    assert!(text.contains("401"), "{text}");
    assert!(
        !text.contains("not-the-secret") && !text.contains("wrong-key"),
        "secrets printed:\n{text}"
    );

    let good = [
        ("HIKBRIDGE__HIKCENTRAL__BASE_URL", base.as_str()),
        ("HIKBRIDGE__HIKCENTRAL__APP_KEY", common::upstreams::APP_KEY),
        (
            "HIKBRIDGE__HIKCENTRAL__APP_SECRET",
            common::upstreams::APP_SECRET,
        ),
        ("HIKBRIDGE__HUMAND__BASE_URL", humand_base.as_str()),
        ("HIKBRIDGE__HUMAND__API_KEY", "ZGVtby1pZDpkZW1vLXNlY3JldA=="),
    ];
    let out = run_async(dir.path(), &good, &["check-config"]).await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("✓ hikcentral:") && text.contains("HikCentral Professional"),
        "{text}"
    );
    assert!(text.contains("✓ humand:"), "{text}");
}

#[test]
fn serve_answers_healthcheck_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    // The socket is the test's, handed to `serve` (LISTEN_FDS): no port to race for.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let health = format!("http://{}/health", listener.local_addr().unwrap());
    let env = [("HIKBRIDGE__SERVER__SHUTDOWN_GRACE_SECS", "2")];
    let mut serve = hikbridge(dir.path(), &env, &["serve"]);
    common::process::hand_over(&mut serve, &listener);
    let mut child = serve.spawn().expect("start serve");
    drop((serve, listener)); // the child's copy is the only one now

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = run(dir.path(), &env, &["healthcheck", "--url", &health]);
        if out.status.success() {
            assert!(stdout(&out).contains("healthy"));
            break;
        }
        assert!(Instant::now() < deadline, "serve never became healthy");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        dir.path().join("data/hikbridge.db").exists(),
        "the SQLite store is created on first start"
    );

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let out = run(
        dir.path(),
        &env,
        &["healthcheck", "--url", &health, "--timeout-secs", "1"],
    );
    assert_eq!(out.status.code(), Some(1), "nothing listens any more");
}

#[test]
fn serve_refuses_a_handed_over_socket_that_is_not_one() {
    let dir = tempfile::tempdir().unwrap();
    // LISTEN_FDS says fd 3 is a socket; here fd 3 is not open at all.
    let out = hikbridge(dir.path(), &[], &["serve"])
        .env("LISTEN_FDS", "1")
        .output()
        .expect("run serve");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the socket handed over in LISTEN_FDS (fd 3) is not a TCP socket"),
        "{err}"
    );
}
