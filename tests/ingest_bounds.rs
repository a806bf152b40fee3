//! Bounded, explained answers to hostile or absurd input on the callback, on the real server
//! (`App::serve`): the secret before the body, connection cap and header timeout, event and
//! rejected-item caps, a full writer queue, a poisoned push among good ones, implausible times
//! (kept out of the time window, never punched).

mod common;

use common::db::{db_for, Db, TestDb};
use hikbridge::app::App;
use hikbridge::config::Settings;
use rstest::rstest;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "callback-secret-0123456789";

struct Served {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Served {
    fn url(&self) -> String {
        format!("http://{}/hikcentral/events/{SECRET}", self.addr)
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(20), self.task).await;
    }
}

async fn serve(store_url: &str, env: &[(&str, &str)]) -> Served {
    let mut all = vec![
        ("HIKBRIDGE__STORE__URL", store_url),
        ("HIKBRIDGE__EVENTS__CALLBACK_SECRET", SECRET),
        ("HIKBRIDGE__DELIVERY__ENABLED", "false"),
        ("HIKBRIDGE__SERVER__SHUTDOWN_GRACE_SECS", "1"),
    ];
    all.extend_from_slice(env);
    let settings = Settings::defaults_with_env(&all).unwrap_or_else(|e| panic!("{e}"));
    let app = App::build(settings).await.expect("build the app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.serve(listener, async move {
        let _ = rx.await;
    }));
    Served {
        addr,
        stop: Some(tx),
        task,
    }
}

fn event(id: &str, person_code: &str) -> Value {
    json!({"eventId": id, "eventType": 196893, "happenTime": chrono::Utc::now().to_rfc3339(),
        "srcIndex": "11", "srcName": "Door 11", "data": {"personCode": person_code}})
}

fn push_body(events: Vec<Value>) -> Value {
    json!({"method": "OnEventNotify", "params": {"events": events}})
}

/// Send raw bytes and read until the server answers or closes (at most `wait`).
async fn raw_exchange(addr: SocketAddr, bytes: &[u8], wait: Duration) -> Option<String> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    s.write_all(bytes).await.ok()?;
    let mut buf = vec![0u8; 4096];
    match tokio::time::timeout(wait, s.read(&mut buf)).await {
        Ok(Ok(n)) => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
        _ => None,
    }
}

#[tokio::test]
async fn a_wrong_secret_is_refused_before_any_body_byte_is_read() {
    let db = common::db::sqlite_db().await;
    let served = serve(&db.url, &[]).await;
    // Announces a megabyte and sends none of it: the answer must not wait for the body.
    let head = "POST /hikcentral/events/wrong-secret HTTP/1.1\r\nHost: x\r\n\
                Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n";
    let answer = raw_exchange(served.addr, head.as_bytes(), Duration::from_secs(5))
        .await
        .expect("an answer without the body");
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    served.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed_and_silent_clients_time_out() {
    let db = common::db::sqlite_db().await;
    let served = serve(
        &db.url,
        &[
            ("HIKBRIDGE__SERVER__MAX_CONNECTIONS", "2"),
            ("HIKBRIDGE__SERVER__HEADER_READ_TIMEOUT_SECS", "1"),
            ("HIKBRIDGE__SERVER__IDLE_TIMEOUT_SECS", "1"),
        ],
    )
    .await;
    // Two clients that send half a request line and then nothing.
    let mut a = TcpStream::connect(served.addr).await.unwrap();
    let mut b = TcpStream::connect(served.addr).await.unwrap();
    a.write_all(b"POST /hik").await.unwrap();
    b.write_all(b"GET /hea").await.unwrap();
    // A third is closed at once: reading gives end-of-stream (or a reset), not a hang.
    let mut c = TcpStream::connect(served.addr).await.unwrap();
    let _ = c
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let mut buf = [0u8; 64];
    let third = tokio::time::timeout(Duration::from_secs(5), c.read(&mut buf)).await;
    assert!(
        matches!(third, Ok(Ok(0)) | Ok(Err(_))),
        "the connection over the cap is closed at once: {third:?}"
    );
    // The silent ones are disconnected by the header-read timeout.
    for s in [&mut a, &mut b] {
        let r = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await;
        assert!(r.is_ok(), "a silent client is disconnected");
    }
    // With them gone, a normal request is served again.
    let mut ok = false;
    for _ in 0..50 {
        if reqwest::get(format!("http://{}/health", served.addr))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "served again once the slots are free");
    served.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn too_many_events_or_junk_items_get_bounded_answers() {
    let db = common::db::sqlite_db().await;
    let served = serve(
        &db.url,
        &[
            ("HIKBRIDGE__EVENTS__MAX_EVENTS_PER_PUSH", "100"),
            ("HIKBRIDGE__EVENTS__MAX_REJECTED_STORED_PER_PUSH", "5"),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    // 1 MB of tiny junk items: refused as a whole, nothing parsed item by item or stored.
    let junk = format!(
        r#"{{"params":{{"events":[{}]}}}}"#,
        ["1"; 400_000].join(",")
    );
    let res = client
        .post(served.url())
        .header("content-type", "application/json")
        .body(junk)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_events", "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("400000 events"));
    assert_eq!(db.store.inbox().rejected(1000).await.unwrap().len(), 0);

    // 60 junk items and one good event: the good one is stored, 5 rejected rows plus one
    // row that counts the other 55.
    let mut events: Vec<Value> = (0..60).map(|i| json!(i)).collect();
    events.push(event("good-1", "1712345678"));
    let res = client
        .post(served.url())
        .json(&push_body(events))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(db.store.inbox().get("good-1").await.unwrap().is_some());
    let rejected = db.store.inbox().rejected(1000).await.unwrap();
    assert_eq!(rejected.len(), 6, "{rejected:?}");
    assert!(rejected[5].reason.starts_with("55 more unusable items"));
    served.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn implausible_event_times_are_kept_out_of_the_window_with_a_reason_never_punched() {
    let db = common::db::sqlite_db().await;
    let served = serve(&db.url, &[]).await;
    let mut year1 = event("year-1", "1712345678");
    year1["happenTime"] = json!("0001-01-01T00:00:00+00:00");
    let mut year9999 = event("year-9999", "1712345678");
    year9999["happenTime"] = json!("9999-12-31T23:59:59+00:00");
    let res = reqwest::Client::new()
        .post(served.url())
        .json(&push_body(vec![
            year1,
            year9999,
            event("now-1", "1712345678"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Once the event of now is decided, the decider has been past the other two.
    common::until("the event of now decided", || async {
        db.store.inbox().get("now-1").await.unwrap().unwrap().state == "decided"
    })
    .await;
    for (id, reason, setting) in [
        ("year-1", "too_old", "accept_past_hours"),
        ("year-9999", "too_far_ahead", "accept_future_secs"),
    ] {
        let ev = db.store.inbox().get(id).await.unwrap().unwrap();
        assert_eq!(ev.state, "out_of_window", "{ev:?}");
        assert_eq!(ev.reason.as_deref(), Some(reason));
        assert!(ev.detail.as_deref().unwrap().contains(setting), "{ev:?}");
        assert!(db.store.punches().by_event(id).await.unwrap().is_none());
    }
    assert!(db.store.inbox().rejected(10).await.unwrap().is_empty());
    served.stop().await;
    db.cleanup().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_poisoned_push_gets_its_own_400_and_its_neighbours_their_200(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    poisoned_push(&db).await;
    db.cleanup().await;
}

async fn poisoned_push(db: &TestDb) {
    let served = serve(&db.url, &[]).await;
    let client = reqwest::Client::new();
    // Pushed together so that they share group commits; one carries a NUL byte, which
    // PostgreSQL refuses in text (SQLite stores it).
    let sends = (0..12).map(|i| {
        let code = if i == 5 { "17\u{0}12" } else { "1712345678" };
        let body = push_body(vec![event(&format!("n-{i}"), code)]);
        let (client, url) = (client.clone(), served.url());
        tokio::spawn(async move {
            let r = client.post(url).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        })
    });
    let answers: Vec<(u16, String)> = futures::future::join_all(sends)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    for (i, (status, body)) in answers.iter().enumerate() {
        let want = if i == 5 && db.name == "postgres" {
            400
        } else {
            200
        };
        assert_eq!(*status, want, "{}: push {i}: {body}", db.name);
        let stored = db.store.inbox().get(&format!("n-{i}")).await.unwrap();
        assert_eq!(stored.is_some(), want == 200, "{}: push {i}", db.name);
    }
    if db.name == "postgres" {
        assert!(
            answers[5].1.contains("refused_by_database"),
            "{}",
            answers[5].1
        );
    }
    served.stop().await;
}

#[rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
#[tokio::test]
async fn a_full_writer_queue_answers_503_with_retry_after_at_once(#[case] backend: Db) {
    let Some(db) = db_for(backend).await else {
        return;
    };
    full_queue(&db).await;
    db.cleanup().await;
}

async fn full_queue(db: &TestDb) {
    let served = serve(
        &db.url,
        &[
            ("HIKBRIDGE__EVENTS__WRITER_QUEUE_DEPTH", "1"),
            ("HIKBRIDGE__STORE__BUSY_TIMEOUT_MS", "60000"),
        ],
    )
    .await;
    // Hold the write lock so that the writer blocks on its commit.
    let mut blocker = db.store.pool().acquire().await.unwrap();
    let lock = if db.name == "postgres" {
        "BEGIN; LOCK TABLE events IN EXCLUSIVE MODE"
    } else {
        "BEGIN IMMEDIATE"
    };
    sqlx::raw_sql(lock).execute(&mut *blocker).await.unwrap();
    let client = reqwest::Client::new();
    let mut waiting = Vec::new();
    let mut refused = None;
    for i in 0..20 {
        let (client, url) = (client.clone(), served.url());
        let body = push_body(vec![event(&format!("q-{i}"), "1712345678")]);
        let mut push = tokio::spawn(async move { client.post(url).json(&body).send().await });
        // A push either waits (the writer or the queue holds it) or is refused at once (well
        // within 5 s even on a loaded machine; a waiting one never answers while locked).
        match tokio::time::timeout(Duration::from_secs(5), &mut push).await {
            Ok(res) => {
                refused = Some(res.unwrap().unwrap());
                break;
            }
            Err(_) => waiting.push(push),
        }
    }
    let refused = refused.expect("a push is refused once the queue is full");
    assert_eq!(refused.status(), 503, "{}", db.name);
    assert!(
        refused.headers().get("retry-after").is_some(),
        "{}",
        db.name
    );
    assert!(
        waiting.len() <= 3,
        "{}: {} pushes waited",
        db.name,
        waiting.len()
    );
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut *blocker)
        .await
        .unwrap();
    drop(blocker);
    for w in waiting {
        let res = w.await.unwrap().unwrap();
        assert_eq!(
            res.status(),
            200,
            "{}: the waiting pushes are committed",
            db.name
        );
    }
    served.stop().await;
}
