//! `GET /metrics`: valid Prometheus text whose figures follow what the service did, with no
//! secret, CI or employee id in it. Its own test binary: the recorder is process-wide.

mod common;

use common::app::TestApp;
use common::until;
use hikbridge::sim::humand::{HumandSim, HumandSimConfig};
use serde_json::json;

const SECRET: &str = "metrics-callback-secret-0123";
const TOKEN: &str = "metrics-admin-token-0123456789";
const HUMAND_KEY: &str = "ZGVtby1pZDpkZW1vLXNlY3JldA==";
const KNOWN: &str = "1712345678";
const UNKNOWN: &str = "0923456789";

fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            prometheus_parse::Value::Histogram(ref h) => h.last().map_or(0.0, |b| b.count),
            prometheus_parse::Value::Summary(_) => f64::NAN,
        })
}

#[tokio::test]
async fn metrics_follow_ingest_decisions_and_deliveries_and_leak_nothing() {
    let humand = HumandSim::new(HumandSimConfig {
        api_key: HUMAND_KEY.into(),
        ..HumandSimConfig::default()
    });
    humand.add_user(KNOWN, "Ana", KNOWN);
    let running = humand.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = HumandSim::api_base(&running);
    let app = TestApp::builder()
        .env(&[
            ("HIKBRIDGE__EVENTS__CALLBACK_SECRET", SECRET),
            ("HIKBRIDGE__API__TOKENS", TOKEN),
            ("HIKBRIDGE__HUMAND__BASE_URL", base.as_str()),
            ("HIKBRIDGE__HUMAND__API_KEY", HUMAND_KEY),
            ("HIKBRIDGE__ATTENDANCE__DOORS", "code:11=entry"),
        ])
        .start()
        .await;
    let event = |id: &str, code: &str| {
        json!({"eventId": id, "eventType": 196893, "happenTime": "2026-01-27T08:00:00-05:00",
               "srcIndex": "11", "srcName": "Entrada", "srcType": "door",
               "data": {"personCode": code}})
    };
    // A clock in the year 9999: stored out of the time window, never decided.
    let mut far_ahead = event("m-3", KNOWN);
    far_ahead["happenTime"] = json!("9999-12-31T23:59:59+00:00");
    let body = json!({"method": "OnEventNotify", "params": {"events": [
        event("m-1", KNOWN), event("m-2", UNKNOWN), {"eventType": 196893}, far_ahead
    ]}});
    let res = app
        .server
        .post(&format!("/hikcentral/events/{SECRET}"))
        .json(&body)
        .await;
    assert_eq!(res.status_code(), 200, "{}", res.text());
    // A wrong secret is counted as a refused push.
    let res = app
        .server
        .post("/hikcentral/events/wrong")
        .json(&body)
        .await;
    assert_eq!(res.status_code(), 404);

    let store = app.state.store().clone();
    until("one punch delivered and one parked", || async {
        let counts = store.punches().counts().await.unwrap();
        let n = |s: &str| counts.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
        n("delivered") == 1 && n("parked") == 1
    })
    .await;
    // Counters are bumped right after the commits they count, by the workers: wait for the
    // last of them rather than racing it.
    until("the counters caught up", || async {
        let text = app.server.get("/metrics").await.text();
        let scrape =
            prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
        let punch = value(
            &scrape,
            "hikbridge_decisions_total",
            &[("outcome", "punch")],
        );
        let parked = value(
            &scrape,
            "hikbridge_punch_deliveries_total",
            &[("outcome", "parked")],
        );
        punch == Some(2.0) && parked == Some(1.0)
    })
    .await;

    let res = app.server.get("/metrics").await;
    assert_eq!(res.status_code(), 200);
    let content_type = res.header("content-type");
    assert!(
        content_type.to_str().unwrap().starts_with("text/plain"),
        "{content_type:?}"
    );
    let text = res.text();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("Prometheus text format");
    let get = |name: &str, labels: &[(&str, &str)]| {
        value(&scrape, name, labels).unwrap_or_else(|| panic!("{name} {labels:?} in:\n{text}"))
    };
    assert_eq!(
        get("hikbridge_events_ingested_total", &[("source", "push")]),
        3.0
    );
    assert_eq!(
        get(
            "hikbridge_events_out_of_window_total",
            &[("source", "push")]
        ),
        1.0
    );
    assert_eq!(get("hikbridge_events_out_of_window", &[]), 1.0);
    assert_eq!(
        get("hikbridge_events_rejected_total", &[("reason", "unusable")]),
        1.0
    );
    assert_eq!(
        get(
            "hikbridge_pushes_refused_total",
            &[("reason", "wrong_secret")]
        ),
        1.0
    );
    assert_eq!(
        get("hikbridge_decisions_total", &[("outcome", "punch")]),
        2.0
    );
    assert_eq!(
        get(
            "hikbridge_punch_deliveries_total",
            &[("outcome", "delivered")]
        ),
        1.0
    );
    assert_eq!(
        get("hikbridge_punch_deliveries_total", &[("outcome", "parked")]),
        1.0
    );
    assert_eq!(get("hikbridge_outbox_depth", &[("state", "parked")]), 1.0);
    assert_eq!(get("hikbridge_outbox_depth", &[("state", "queued")]), 0.0);
    assert_eq!(get("hikbridge_outbox_oldest_age_seconds", &[]), 0.0);
    assert_eq!(get("hikbridge_worker_up", &[("worker", "delivery")]), 1.0);
    assert_eq!(get("hikbridge_store_write_failing", &[]), 0.0);
    assert!(get("hikbridge_ingest_commit_seconds_count", &[]) >= 1.0);
    assert!(
        get(
            "hikbridge_upstream_request_duration_seconds_count",
            &[("upstream", "humand"), ("status", "201")]
        ) >= 1.0
            || get(
                "hikbridge_upstream_request_duration_seconds_count",
                &[("upstream", "humand"), ("status", "200")]
            ) >= 1.0,
        "{text}"
    );
    assert!(get("hikbridge_humand_budget_remaining", &[]) > 0.0);
    for private in [SECRET, TOKEN, HUMAND_KEY, KNOWN, UNKNOWN] {
        assert!(!text.contains(private), "{private} appears in /metrics");
    }
}

#[tokio::test]
async fn with_a_separate_metrics_address_the_api_listener_does_not_serve_metrics() {
    let app = TestApp::builder()
        .env(&[("HIKBRIDGE__METRICS__LISTEN", "127.0.0.1:0")])
        .without_workers()
        .start()
        .await;
    assert_eq!(app.server.get("/metrics").await.status_code(), 404);
    let app = TestApp::builder().without_workers().start().await;
    assert_eq!(app.server.get("/metrics").await.status_code(), 200);
}
