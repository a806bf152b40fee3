//! Built-in alerts against local receivers: a webhook (an axum server) and an SMTP server (a
//! minimal one here), once when an incident opens and once when it is resolved.

mod common;

use common::app::TestApp;
use common::until;
use hikbridge::sim::humand::{HumandSim, HumandSimConfig};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const SECRET: &str = "alerts-callback-secret-0123";
const KEY: &str = "ZGVtby1pZDpkZW1vLXNlY3JldA==";
const EMPLOYEE: &str = "1712345678";

type Seen = Arc<Mutex<Vec<String>>>;

/// A webhook receiver: every body it gets, as text.
async fn webhook() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let kept = seen.clone();
    let app = axum::Router::new().route(
        "/hook/{token}",
        axum::routing::post(move |body: String| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook/webhook-token-42"), seen)
}

/// Just enough SMTP to accept messages: every message's data, as text.
async fn smtp() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let kept = seen.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = sock.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(d) = data.as_mut() {
                        if line == "." {
                            kept.lock().unwrap().push(std::mem::take(d));
                            data = None;
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            d.push_str(&line);
                            d.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 test\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(answer).await.unwrap();
                }
            });
        }
    });
    (format!("smtp://{addr}"), seen)
}

fn alerts_of(seen: &Seen) -> Vec<Value> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect()
}

#[tokio::test]
async fn delivery_paused_is_announced_once_by_webhook_and_mail_and_then_resolved() {
    let humand = HumandSim::new(HumandSimConfig {
        api_key: "d3Jvbmc6a2V5".into(), // not the key the service sends: 401, delivery pauses
        ..HumandSimConfig::default()
    });
    humand.add_user(EMPLOYEE, "Ana", EMPLOYEE);
    let running = humand.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = HumandSim::api_base(&running);
    let (hook, hooks) = webhook().await;
    let (smtp_url, mails) = smtp().await;
    let app = TestApp::builder()
        .env(&[
            ("HIKBRIDGE__EVENTS__CALLBACK_SECRET", SECRET),
            ("HIKBRIDGE__HUMAND__BASE_URL", base.as_str()),
            ("HIKBRIDGE__HUMAND__API_KEY", KEY),
            ("HIKBRIDGE__ATTENDANCE__DOORS", "code:11=entry"),
            ("HIKBRIDGE__DELIVERY__CREDENTIALS_PROBE_SECS", "1"),
            ("HIKBRIDGE__ALERTS__WEBHOOK_URL", hook.as_str()),
            ("HIKBRIDGE__ALERTS__SMTP_URL", smtp_url.as_str()),
            ("HIKBRIDGE__ALERTS__EMAIL_TO", "ops@example.edu"),
            ("HIKBRIDGE__ALERTS__CHECK_INTERVAL_SECS", "1"),
            ("HIKBRIDGE__ALERTS__SERVICE_NAME", "bridge-test"),
        ])
        .start()
        .await;
    let body = json!({"method": "OnEventNotify", "params": {"events": [
        {"eventId": "a-1", "eventType": 196893, "happenTime": "2026-01-27T08:00:00-05:00",
         "srcIndex": "11", "srcName": "Entrada", "srcType": "door", "data": {"personCode": EMPLOYEE}}
    ]}});
    let res = app
        .server
        .post(&format!("/hikcentral/events/{SECRET}"))
        .json(&body)
        .await;
    assert_eq!(res.status_code(), 200);

    until("the pause is announced", || async {
        alerts_of(&hooks)
            .iter()
            .any(|a| a["alert"] == "delivery_paused")
    })
    .await;
    until("and mailed", || async {
        mails
            .lock()
            .unwrap()
            .iter()
            .any(|m| m.contains("Delivery to Humand is paused"))
    })
    .await;
    let fired = alerts_of(&hooks);
    let paused = fired
        .iter()
        .find(|a| a["alert"] == "delivery_paused")
        .unwrap();
    assert_eq!(paused["status"], "firing");
    assert_eq!(paused["service"], "bridge-test");
    assert!(paused["detail"]
        .as_str()
        .unwrap()
        .contains("nothing is lost"));

    // Humand takes the key again: the punch goes out and the incident is resolved, once.
    humand.set_api_key(KEY);
    until("the pause is resolved", || async {
        alerts_of(&hooks)
            .iter()
            .any(|a| a["alert"] == "delivery_paused" && a["status"] == "resolved")
    })
    .await;
    let store = app.state.store().clone();
    until("the punch is delivered", || async {
        let counts = store.punches().counts().await.unwrap();
        counts.iter().any(|(s, n)| s == "delivered" && *n == 1)
    })
    .await;
    let about_pause: Vec<Value> = alerts_of(&hooks)
        .into_iter()
        .filter(|a| a["alert"] == "delivery_paused")
        .collect();
    assert_eq!(
        about_pause.len(),
        2,
        "once firing, once resolved: {about_pause:?}"
    );
    until("the resolution is mailed", || async {
        mails.lock().unwrap().iter().any(|m| m.contains("RESOLVED"))
    })
    .await;
    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 2, "{mails:?}");
    // The webhook's token never reaches a message.
    for m in &mails {
        assert!(!m.contains("webhook-token-42"));
    }
}
