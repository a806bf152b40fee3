//! The signed HikCentral client against the simulator: signing, pacing, retries, typed errors
//! and TLS verification.

mod common;

use common::upstreams::{hik_settings, hikcentral, test_pki};
use hikbridge::artemis::model::ArtemisCode;
use hikbridge::artemis::{ArtemisClient, ArtemisError};
use serde_json::json;
use std::time::{Duration, Instant};

fn client(settings: &hikbridge::config::HikCentralSettings) -> ArtemisClient {
    ArtemisClient::new(settings, ArtemisClient::pacer_for(settings)).expect("client")
}

#[tokio::test]
async fn signed_calls_complete_against_the_simulator() {
    let (sim, running) = hikcentral(None).await;
    let c = client(&hik_settings(&running.base_url, &[]));
    let v = c.version().await.expect("version");
    assert_eq!(v.produce_name, "HikCentral Professional");

    let person_id: String = c
        .call_data(
            "/artemis/api/resource/v1/person/single/add",
            &json!({"personCode": "1712345678", "personGivenName": "Ana", "personFamilyName": "Mora Paz", "orgIndexCode": "1"}),
        )
        .await
        .expect("add");
    let info = c
        .call(
            "/artemis/api/resource/v1/person/personCode/personInfo",
            &json!({"personCode": "1712345678"}),
        )
        .await
        .expect("info");
    assert_eq!(info["personId"], person_id.as_str());
    assert_eq!(sim.rejected_signatures(), 0);
    assert_eq!(c.health().snapshot().status(), "ok");
}

#[tokio::test]
async fn content_md5_option_is_signed_and_accepted() {
    let (sim, running) = hikcentral(None).await;
    let c = client(&hik_settings(
        &running.base_url,
        &[
            ("HIKBRIDGE__HIKCENTRAL__SEND_CONTENT_MD5", "true"),
            ("HIKBRIDGE__HIKCENTRAL__ACCEPT", "application/json"),
        ],
    ));
    c.version().await.expect("version with Content-MD5");
    assert_eq!(sim.rejected_signatures(), 0);
}

#[tokio::test]
async fn upstream_codes_come_back_typed_with_code_and_message() {
    let (_sim, running) = hikcentral(None).await;
    let c = client(&hik_settings(&running.base_url, &[]));
    let err = c
        .call(
            "/artemis/api/resource/v1/person/personCode/personInfo",
            &json!({"personCode": "999"}),
        )
        .await
        .expect_err("unknown person");
    match err {
        ArtemisError::Api(ArtemisCode::NotFound(msg)) => assert!(!msg.is_empty()),
        other => panic!("expected NotFound, got {other:?}"),
    }
    let body = json!({"personCode": "1", "personGivenName": "A", "personFamilyName": "B", "orgIndexCode": "1"});
    c.call("/artemis/api/resource/v1/person/single/add", &body)
        .await
        .expect("first add");
    let dup = c
        .call("/artemis/api/resource/v1/person/single/add", &body)
        .await
        .expect_err("duplicate");
    assert!(
        matches!(dup, ArtemisError::Api(ArtemisCode::AlreadyExists(_))),
        "{dup:?}"
    );
    assert_eq!(dup.upstream_code().as_deref(), Some("131"));
}

#[tokio::test]
async fn a_wrong_secret_is_an_invalid_signature_and_is_not_retried() {
    let (sim, running) = hikcentral(None).await;
    let c = client(&hik_settings(
        &running.base_url,
        &[("HIKBRIDGE__HIKCENTRAL__APP_SECRET", "Zq8n2kQpX3vL9mTy")],
    ));
    let err = c.version().await.expect_err("bad secret");
    assert!(
        matches!(err, ArtemisError::Api(ArtemisCode::InvalidSignature(_))),
        "{err:?}"
    );
    assert_eq!(
        sim.rejected_signatures(),
        1,
        "permanent errors are not retried"
    );
    assert_eq!(c.health().snapshot().status(), "warning");
}

#[tokio::test]
async fn an_unknown_app_key_is_http_401_with_a_hint() {
    let (_sim, running) = hikcentral(None).await;
    let c = client(&hik_settings(
        &running.base_url,
        &[("HIKBRIDGE__HIKCENTRAL__APP_KEY", "11111111")],
    ));
    let err = c.version().await.expect_err("unknown key");
    match &err {
        ArtemisError::Http {
            status: 401,
            message,
        } => assert!(message.contains("app_key"), "{message}"),
        other => panic!("expected HTTP 401, got {other:?}"),
    }
}

#[tokio::test]
async fn a_throttled_call_waits_for_retry_after_then_succeeds() {
    let (sim, running) = hikcentral(None).await;
    let c = client(&hik_settings(&running.base_url, &[]));
    sim.set_throttle(Some(1), true);
    // Calls until one lands in a window that is already spent (on a stalled machine a call may
    // open a fresh window instead; the loop absorbs that).
    for _ in 0..5 {
        let throttled_before = sim.throttled_requests();
        let before = Instant::now();
        c.version()
            .await
            .expect("every call succeeds, waiting when told to");
        if sim.throttled_requests() > throttled_before {
            // The simulator asked for Retry-After: 1; the client must not have come back sooner.
            assert!(
                before.elapsed() >= Duration::from_secs(1),
                "retried after {:?}",
                before.elapsed()
            );
            return;
        }
    }
    panic!("the simulator never throttled a call");
}

#[tokio::test]
async fn throttling_envelopes_are_retried_up_to_max_attempts_then_reported() {
    let (sim, running) = hikcentral(None).await;
    let c = client(&hik_settings(
        &running.base_url,
        &[("HIKBRIDGE__HIKCENTRAL__MAX_ATTEMPTS", "3")],
    ));
    sim.set_throttle(Some(0), false);
    let err = c.version().await.expect_err("always throttled");
    match &err {
        ArtemisError::GaveUp { attempts, last } => {
            assert_eq!(*attempts, 3);
            assert!(last.contains("0x02401009"), "{last}");
        }
        other => panic!("expected GaveUp, got {other:?}"),
    }
    assert!(err.is_throttled());
    assert!(err.to_string().contains("after 3 attempt(s)"), "{err}");
    assert_eq!(sim.throttled_requests(), 3);
}

#[tokio::test]
async fn server_errors_and_dropped_connections_are_retried() {
    let (sim, running) = hikcentral(None).await;
    let c = client(&hik_settings(
        &running.base_url,
        &[("HIKBRIDGE__HIKCENTRAL__MAX_ATTEMPTS", "4")],
    ));
    sim.faults.fail_next(2, 503);
    c.version().await.expect("succeeds on the third attempt");
    sim.faults.drop_next(1);
    c.version()
        .await
        .expect("succeeds after a dropped connection");
    sim.faults.fail_next(5, 500);
    let err = c.version().await.expect_err("more failures than attempts");
    assert!(
        matches!(err, ArtemisError::GaveUp { attempts: 4, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_and_is_retried() {
    let (sim, running) = hikcentral(None).await;
    let c = client(&hik_settings(
        &running.base_url,
        &[
            ("HIKBRIDGE__HIKCENTRAL__TIMEOUT_MS", "100"),
            ("HIKBRIDGE__HIKCENTRAL__MAX_ATTEMPTS", "2"),
        ],
    ));
    sim.faults.set_latency_ms(500);
    let err = c.version().await.expect_err("too slow");
    assert!(
        matches!(err, ArtemisError::GaveUp { attempts: 2, .. }),
        "{err:?}"
    );
    sim.faults.set_latency_ms(0);
    c.version().await.expect("fast again");
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let c = client(&hik_settings(
        &url,
        &[("HIKBRIDGE__HIKCENTRAL__MAX_ATTEMPTS", "2")],
    ));
    let err = c.version().await.expect_err("nothing listens");
    assert!(
        matches!(err, ArtemisError::GaveUp { attempts: 2, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("connect"), "{err}");
}

#[tokio::test]
async fn clients_sharing_a_pacer_share_its_concurrency_cap() {
    let (sim, running) = hikcentral(None).await;
    let settings = hik_settings(
        &running.base_url,
        &[("HIKBRIDGE__HIKCENTRAL__MAX_CONCURRENT", "1")],
    );
    let pacer = ArtemisClient::pacer_for(&settings);
    let a = ArtemisClient::new(&settings, pacer.clone()).unwrap();
    let b = ArtemisClient::new(&settings, pacer).unwrap();
    sim.faults.set_latency_ms(300);
    let start = Instant::now();
    let (ra, rb) = tokio::join!(a.version(), b.version());
    ra.unwrap();
    rb.unwrap();
    // One in flight at a time: the second call started after the first finished.
    assert!(
        start.elapsed() >= Duration::from_millis(600),
        "{:?}",
        start.elapsed()
    );
}

mod tls {
    use super::*;

    async fn tls_sim() -> (hikbridge::sim::RunningSim, common::upstreams::TestPki) {
        let pki = test_pki();
        let (_sim, running) = hikcentral(Some(pki.leaf.clone())).await;
        (running, pki)
    }

    #[tokio::test]
    async fn a_certificate_from_an_unknown_ca_is_refused_by_default() {
        let (running, _pki) = tls_sim().await;
        let c = client(&hik_settings(
            &running.base_url,
            &[("HIKBRIDGE__HIKCENTRAL__MAX_ATTEMPTS", "4")],
        ));
        let err = c.version().await.expect_err("untrusted certificate");
        assert!(
            matches!(err, ArtemisError::Transport(_)),
            "a refused certificate is not retried: {err:?}"
        );
        let text = err.to_string().to_lowercase();
        assert!(
            text.contains("certificate") || text.contains("unknownissuer"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn the_configured_ca_bundle_is_trusted() {
        let (running, pki) = tls_sim().await;
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, &pki.ca_pem).unwrap();
        let c = client(&hik_settings(
            &running.base_url,
            &[("HIKBRIDGE__HIKCENTRAL__TLS__CA_FILE", ca.to_str().unwrap())],
        ));
        c.version().await.expect("CA-signed certificate accepted");
    }

    #[tokio::test]
    async fn a_matching_pin_is_accepted_and_a_wrong_pin_refused() {
        let (running, pki) = tls_sim().await;
        let pin = hikbridge::upstream::tls::fingerprint(&pki.leaf_der);
        let ok = client(&hik_settings(
            &running.base_url,
            &[("HIKBRIDGE__HIKCENTRAL__TLS__PIN_SHA256", &pin)],
        ));
        ok.version().await.expect("pinned certificate accepted");

        let wrong = "00".repeat(32);
        let bad = client(&hik_settings(
            &running.base_url,
            &[
                ("HIKBRIDGE__HIKCENTRAL__TLS__PIN_SHA256", &wrong),
                ("HIKBRIDGE__HIKCENTRAL__MAX_ATTEMPTS", "1"),
            ],
        ));
        let err = bad.version().await.expect_err("wrong pin");
        assert!(err.to_string().contains("pin mismatch"), "{err}");
    }

    #[tokio::test]
    async fn insecure_accepts_any_certificate() {
        let (running, _pki) = tls_sim().await;
        let c = client(&hik_settings(
            &running.base_url,
            &[("HIKBRIDGE__HIKCENTRAL__TLS__INSECURE", "true")],
        ));
        c.version().await.expect("insecure mode accepts");
    }
}
