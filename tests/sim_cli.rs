//! `hikbridge sim …` as a process: the Humand simulator says its key and employees; the
//! HikCentral simulator pushes a callback file to whoever subscribed.

mod common;

use hikbridge::artemis::ArtemisClient;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

fn sim(args: &[&str]) -> (Child, Lines<BufReader<ChildStdout>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hikbridge"))
        .arg("sim")
        .args(args)
        .env_remove("HIKBRIDGE__HUMAND__API_KEY")
        .env_remove("HIKBRIDGE__HIKCENTRAL__APP_KEY")
        .env_remove("HIKBRIDGE__HIKCENTRAL__APP_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    (child, lines)
}

/// The next line that contains `needle`, within 20 s.
async fn line_with(lines: &mut Lines<BufReader<ChildStdout>>, needle: &str) -> String {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match lines.next_line().await.unwrap() {
                Some(l) if l.contains(needle) => return l,
                Some(_) => {}
                None => panic!("the simulator ended before printing {needle:?}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no line with {needle:?}"))
}

#[tokio::test]
async fn the_humand_simulator_prints_its_key_and_employees() {
    let (_child, mut out) = sim(&["humand", "--port", "0", "--users", "3"]);
    line_with(&mut out, "simulated Humand at http://127.0.0.1:").await;
    let key = line_with(&mut out, "API key").await;
    assert!(key.contains("ZGVtby1pZDpkZW1vLXNlY3JldA=="), "{key}");
    let employees = line_with(&mut out, "employees").await;
    assert!(employees.contains("10000001 … 10000003"), "{employees}");
}

#[tokio::test]
async fn the_hikcentral_simulator_pushes_a_callback_file_to_its_subscribers() {
    let fixture = format!(
        "{}/tests/fixtures/hikcentral-events/hcp-granted-face-entry.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let (_child, mut out) = sim(&["hikcentral", "--port", "0", "--push", &fixture]);
    let first = line_with(&mut out, "simulated HikCentral at ").await;
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    // A receiver, subscribed the way the service subscribes.
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let kept = got.clone();
    let receiver = axum::Router::new().route(
        "/hikcentral/events/{secret}",
        axum::routing::post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body);
                axum::Json(serde_json::json!({"code": "0"}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    let settings = hikbridge::config::Settings::defaults_with_env(&[
        ("HIKBRIDGE__HIKCENTRAL__BASE_URL", base.as_str()),
        ("HIKBRIDGE__HIKCENTRAL__APP_KEY", "demo-app-key"),
        ("HIKBRIDGE__HIKCENTRAL__APP_SECRET", "demo-app-secret"),
        ("HIKBRIDGE__EVENTS__PUBLIC_URL", public.as_str()),
        (
            "HIKBRIDGE__EVENTS__CALLBACK_SECRET",
            "sim-cli-secret-0123456789",
        ),
    ])
    .unwrap();
    let client = ArtemisClient::new(
        &settings.hikcentral,
        ArtemisClient::pacer_for(&settings.hikcentral),
    )
    .unwrap();
    hikbridge::cli::subscriptions::subscribe(&client, &settings.events, &[196893])
        .await
        .unwrap();
    let pushed = line_with(&mut out, "push: 1 event(s)").await;
    assert!(pushed.contains("HTTP 200"), "{pushed}");
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let event = &got[0]["params"]["events"][0];
    assert_eq!(event["data"]["personCode"], "1712345678");
    // A fresh id: not the file's.
    assert_ne!(event["eventId"], "5f0c1a2e-1111-4a3b-9c7d-000000000001");
}
