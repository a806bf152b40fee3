//! The access log of an event push: one line per push that says what it stored. Alone in its
//! test binary: `tracing`'s per-callsite interest is process-wide, and tests running beside it
//! without a subscriber would make it skip the very lines this test reads.

mod common;

use axum::http::StatusCode;
use common::app::TestApp;
use serde_json::json;

const SECRET: &str = "callback-secret-0123456789";
const URL: &str = "/hikcentral/events/callback-secret-0123456789";

/// The log lines written while `run` runs, at `info`.
async fn logged<F: std::future::Future<Output = ()>>(run: F) -> String {
    #[derive(Clone, Default)]
    struct Lines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let lines = Lines::default();
    let out = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_env_filter("info")
        .with_writer(move || out.clone())
        .finish();
    // The test's runtime has one thread: the handler runs under this subscriber.
    let guard = tracing::subscriber::set_default(subscriber);
    run.await;
    drop(guard);
    let text = lines.0.lock().unwrap().clone();
    String::from_utf8(text).unwrap()
}

#[tokio::test]
async fn a_push_has_one_access_line_that_says_what_it_stored() {
    let db = common::db::sqlite_db().await;
    let app = TestApp::builder()
        .on_store(&db.url)
        .env(&[
            ("HIKBRIDGE__EVENTS__CALLBACK_SECRET", SECRET),
            // The shipped window, 31 days (the test app's is a century): 40 days old is outside.
            ("HIKBRIDGE__EVENTS__ACCEPT_PAST_HOURS", "744"),
        ])
        .start()
        .await;
    let post = |body: String| {
        let app = &app;
        async move {
            app.server
                .post(URL)
                .content_type("application/json")
                .bytes(body.into())
                .await
                .status_code()
        }
    };
    let now = chrono::Utc::now().to_rfc3339();
    let body = json!({"method": "OnEventNotify", "params": {"ability": "event_acs", "events": [
        {"eventId": "log-1", "eventType": 196893, "happenTime": now, "srcIndex": "1",
         "srcName": "Door 1", "data": {"personCode": "1712345678"}}]}})
    .to_string();
    let old = (chrono::Utc::now() - chrono::Duration::days(40)).to_rfc3339();
    let late_and_unusable = json!({"method": "OnEventNotify", "params": {"events": [
        {"eventId": "log-2", "eventType": 196893, "happenTime": old, "srcIndex": "1"},
        {"eventType": 196893, "happenTime": now}]}})
    .to_string();
    let log = logged(async {
        assert_eq!(post(body.clone()).await, StatusCode::OK);
        assert_eq!(post(body.clone()).await, StatusCode::OK);
        assert_eq!(post(late_and_unusable).await, StatusCode::OK);
    })
    .await;
    let pushes: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("/hikcentral/events/"))
        .collect();
    assert_eq!(pushes.len(), 3, "one line per push:\n{log}");
    for line in &pushes {
        assert!(line.contains("answered status=200"), "{line}");
        assert!(line.contains("path=/hikcentral/events/<secret>"), "{line}");
        assert!(line.contains("request_id="), "{line}");
    }
    // `accepted=` always; the other counts only when they are not zero.
    assert!(pushes[0].contains("accepted=1}"), "{}", pushes[0]);
    assert!(
        pushes[1].contains("accepted=0 duplicates=1}"),
        "{}",
        pushes[1]
    );
    assert!(
        pushes[2].contains("accepted=0 out_of_window=1 rejected=1}"),
        "{}",
        pushes[2]
    );
    assert!(!log.contains(SECRET), "the secret is never logged:\n{log}");
    db.cleanup().await;
}
