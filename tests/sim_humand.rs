//! The Humand simulator behaves like the Humand Public API reference says: auth, permission,
//! rate limit with headers, clock rules, listings and faults, over a real socket.

use chrono::{DateTime, Duration as ChronoDuration, SecondsFormat, Utc};
use hikbridge::sim::humand::{HumandSim, HumandSimConfig};
use hikbridge::sim::RunningSim;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

const KEY: &str = "ZGVtby1pZDpkZW1vLXNlY3JldA==";
const EMPLOYEE: &str = "43013830";

struct Harness {
    sim: HumandSim,
    base: String,
    http: reqwest::Client,
    _running: RunningSim,
}

impl Harness {
    async fn start(cfg: HumandSimConfig) -> Self {
        let sim = HumandSim::new(cfg);
        sim.add_user(EMPLOYEE, "Ana", "Pérez");
        let running = sim.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
        Self {
            base: HumandSim::api_base(&running),
            sim,
            http: reqwest::Client::new(),
            _running: running,
        }
    }

    async fn default() -> Self {
        Self::start(HumandSimConfig::default()).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str) -> Response {
        self.http
            .get(self.url(path))
            .header("Authorization", format!("Basic {KEY}"))
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> Response {
        self.http
            .post(self.url(path))
            .header("Authorization", format!("Basic {KEY}"))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn clock(&self, action: &str, employee: Value, now: DateTime<Utc>) -> Response {
        let now = now.to_rfc3339_opts(SecondsFormat::Millis, true);
        let body = json!({"employeeId": employee, "now": now, "comment": "Door 1"});
        self.post(&format!("/time-tracking/entries/{action}"), body)
            .await
    }
}

/// `minutes` before noon (UTC) yesterday: always in the past, and never across a day change,
/// which the simulator answers differently (Humand closes a day left open). Anchoring to
/// `now` made these tests fail when run in the first hour after midnight UTC.
fn ago(minutes: i64) -> DateTime<Utc> {
    let yesterday = Utc::now().date_naive().pred_opt().unwrap();
    yesterday.and_hms_opt(12, 0, 0).unwrap().and_utc() - ChronoDuration::minutes(minutes)
}

async fn status_and_body(r: Response) -> (StatusCode, Value) {
    let status = r.status();
    (status, r.json().await.unwrap())
}

fn header(r: &Response, name: &str) -> String {
    r.headers()
        .get(name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .unwrap()
        .to_string()
}

/// `remaining` from `RateLimit: limit=L, remaining=R, reset=S`.
fn remaining(r: &Response) -> u32 {
    let value = header(r, "RateLimit");
    let part = value
        .split(", ")
        .find_map(|p| p.strip_prefix("remaining="))
        .unwrap();
    part.parse().unwrap()
}

#[tokio::test]
async fn missing_or_wrong_key_is_401_unknown_token() {
    let h = Harness::default().await;
    let expected = json!({"message":"Unknown token","code":"UNKNOWN_TOKEN","metadata":{}});
    let missing = h.http.get(h.url("/users")).send().await.unwrap();
    assert_eq!(
        status_and_body(missing).await,
        (StatusCode::UNAUTHORIZED, expected.clone())
    );
    for wrong in ["Basic d3Jvbmc6a2V5", "Bearer ZGVtby1pZDpkZW1vLXNlY3JldA=="] {
        let r = h
            .http
            .post(h.url("/time-tracking/entries/clockIn"))
            .header("Authorization", wrong)
            .json(&json!({"employeeId": EMPLOYEE, "now": ago(1).to_rfc3339()}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            status_and_body(r).await,
            (StatusCode::UNAUTHORIZED, expected.clone())
        );
    }
    assert_eq!(
        h.sim.clock_requests(),
        0,
        "refused before reaching the handler"
    );
}

#[tokio::test]
async fn key_without_time_tracking_permission_is_403_on_clock_routes_only() {
    let h = Harness::default().await;
    h.sim.set_time_tracking_allowed(false);
    let r = h.clock("clockIn", json!(EMPLOYEE), ago(1)).await;
    let expected = json!({"message":"Access denied","code":"ACCESS_DENIED","metadata":{}});
    assert_eq!(status_and_body(r).await, (StatusCode::FORBIDDEN, expected));
    let listing = h
        .get(&format!(
            "/time-tracking/entries?employeeId={EMPLOYEE}&startDate=2026-01-01&endDate=2026-01-31"
        ))
        .await;
    assert_eq!(listing.status(), StatusCode::FORBIDDEN);
    assert_eq!(h.get("/users").await.status(), StatusCode::OK);
    assert!(h.sim.all_entries().is_empty());
}

#[tokio::test]
async fn clock_in_then_out_are_created_with_id_and_utc_millis_time() {
    let h = Harness::default().await;
    let local = DateTime::parse_from_rfc3339("2026-01-27T08:12:45.5-03:00").unwrap();
    let (s, start) =
        status_and_body(h.clock("clockIn", json!(EMPLOYEE), local.to_utc()).await).await;
    assert_eq!(s, StatusCode::CREATED, "{start}");
    assert_eq!(start["time"], "2026-01-27T11:12:45.500Z");
    assert_eq!(start["type"], "START");
    assert_eq!(start["employeeInternalId"], EMPLOYEE);
    assert_eq!(start["date"], "2026-01-27");
    assert_eq!(
        start["userId"],
        h.sim.add_user(EMPLOYEE, "Ana", "Pérez")["id"]
    );

    // The same day (a later day would find it auto-closed by Humand).
    let out_at = local.to_utc() + ChronoDuration::hours(8);
    let (s, end) = status_and_body(h.clock("clockOut", json!(EMPLOYEE), out_at).await).await;
    assert_eq!(s, StatusCode::CREATED, "{end}");
    assert_eq!(end["type"], "END");
    assert_eq!(
        end["time"],
        out_at.to_rfc3339_opts(SecondsFormat::Millis, true)
    );
    assert!(end["time"].as_str().unwrap().ends_with('Z'));
    assert!(!start["id"].as_str().unwrap().is_empty());
    assert_ne!(start["id"], end["id"]);
    assert_eq!(h.sim.entries(EMPLOYEE), vec![start, end]);
    assert_eq!(h.sim.clock_requests(), 2);
}

#[tokio::test]
async fn start_while_started_and_end_while_not_started_are_refused() {
    let h = Harness::default().await;
    let (s, body) = status_and_body(h.clock("clockOut", json!(EMPLOYEE), ago(30)).await).await;
    assert_eq!(
        (s, body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("INVALID_DATA"))
    );
    assert!(
        body["message"].as_str().unwrap().contains("not started"),
        "{body}"
    );

    assert_eq!(
        h.clock("clockIn", json!(EMPLOYEE), ago(20)).await.status(),
        StatusCode::CREATED
    );
    let (s, body) = status_and_body(h.clock("clockIn", json!(EMPLOYEE), ago(10)).await).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("already started"),
        "{body}"
    );
    assert_eq!(
        h.sim.entries(EMPLOYEE).len(),
        1,
        "the first START stays, alone"
    );
}

#[tokio::test]
async fn business_rule_status_can_be_422() {
    let cfg = HumandSimConfig {
        business_rule_status: 422,
        ..Default::default()
    };
    let h = Harness::start(cfg).await;
    let r = h.clock("clockOut", json!(EMPLOYEE), ago(1)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let malformed = h
        .post(
            "/time-tracking/entries/clockIn",
            json!({"employeeId": EMPLOYEE}),
        )
        .await;
    assert_eq!(
        malformed.status(),
        StatusCode::BAD_REQUEST,
        "malformed stays 400"
    );
}

#[tokio::test]
async fn future_now_is_refused_beyond_the_tolerance() {
    let cfg = HumandSimConfig {
        future_tolerance: Duration::from_secs(60),
        ..Default::default()
    };
    let h = Harness::start(cfg).await;
    let ahead = Utc::now() + ChronoDuration::minutes(5);
    let (s, body) = status_and_body(h.clock("clockIn", json!(EMPLOYEE), ahead).await).await;
    assert_eq!(
        (s, body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("INVALID_DATA"))
    );
    assert!(
        body["message"].as_str().unwrap().contains("future"),
        "{body}"
    );
    let slightly_ahead = Utc::now() + ChronoDuration::seconds(5);
    let r = h.clock("clockIn", json!(EMPLOYEE), slightly_ahead).await;
    assert_eq!(r.status(), StatusCode::CREATED, "within the tolerance");
}

#[tokio::test]
async fn unknown_employee_is_refused_with_user_not_found() {
    let h = Harness::default().await;
    let r = h.clock("clockIn", json!("99999999"), ago(1)).await;
    let expected = json!({"message":"User not found","code":"INVALID_DATA","metadata":{}});
    assert_eq!(
        status_and_body(r).await,
        (StatusCode::BAD_REQUEST, expected)
    );
    assert!(h.sim.all_entries().is_empty());
}

#[tokio::test]
async fn integer_employee_id_is_accepted_as_the_same_employee() {
    let h = Harness::default().await;
    let r = h.clock("clockIn", json!(43013830), ago(1)).await;
    let (s, body) = status_and_body(r).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["employeeInternalId"], EMPLOYEE);
    assert_eq!(h.sim.entries(EMPLOYEE).len(), 1);
}

#[tokio::test]
async fn malformed_clock_bodies_are_400_invalid_data() {
    let h = Harness::default().await;
    for body in [
        json!({"now": ago(1).to_rfc3339()}),
        json!({"employeeId": EMPLOYEE}),
        json!({"employeeId": EMPLOYEE, "now": "yesterday"}),
        json!({"employeeId": -5, "now": ago(1).to_rfc3339()}),
    ] {
        let (s, b) = status_and_body(h.post("/time-tracking/entries/clockIn", body).await).await;
        assert_eq!(
            (s, b["code"].clone()),
            (StatusCode::BAD_REQUEST, json!("INVALID_DATA"))
        );
    }
    let r = h
        .http
        .post(h.url("/time-tracking/entries/clockIn"))
        .header("Authorization", format!("Basic {KEY}"))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_body(r).await.1["code"], "INVALID_DATA");
}

#[tokio::test]
async fn every_answer_carries_rate_limit_headers_with_remaining_decreasing() {
    let h = Harness::default().await;
    let first = h.get("/users").await;
    assert_eq!(header(&first, "RateLimit-Policy"), "50;w=60");
    let rl = header(&first, "RateLimit");
    assert!(rl.starts_with("limit=50, remaining=49, reset="), "{rl}");
    let reset: u64 = rl.rsplit("reset=").next().unwrap().parse().unwrap();
    assert!((1..=60).contains(&reset), "{rl}");

    let second = h.clock("clockOut", json!(EMPLOYEE), ago(1)).await; // a 400 answer
    assert_eq!(second.status(), StatusCode::BAD_REQUEST);
    assert_eq!(remaining(&second), 48);
    let unauthorized = h.http.get(h.url("/users")).send().await.unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(remaining(&unauthorized), 47, "401s spend the budget too");
    let missing = h.get("/users/nobody").await;
    assert_eq!(remaining(&missing), 46);
}

#[tokio::test]
async fn beyond_the_limit_is_429_with_retry_after_until_the_window_resets() {
    let cfg = HumandSimConfig {
        limit: 3,
        window: Duration::from_secs(1),
        ..Default::default()
    };
    let h = Harness::start(cfg).await;
    let seen: Vec<u32> = remaining_after_requests(&h, 3).await;
    assert_eq!(seen, vec![2, 1, 0]);

    let refused = h.clock("clockIn", json!(EMPLOYEE), ago(1)).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = header(&refused, "Retry-After").parse().unwrap();
    assert_eq!(retry_after, 1);
    assert_eq!(header(&refused, "RateLimit-Policy"), "3;w=1");
    assert_eq!(remaining(&refused), 0);
    let expected = json!({"message":"Rate limit reached, please try again later","code":"RATE_LIMIT_EXCEEDED","metadata":{}});
    assert_eq!(refused.json::<Value>().await.unwrap(), expected);
    assert_eq!(h.sim.rate_limited(), 1);
    assert_eq!(h.sim.clock_requests(), 0, "a 429 never reaches the handler");

    // The window reset is the behaviour under test: wait exactly what Retry-After says.
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let again = h.get("/users").await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(remaining(&again), 2);
}

async fn remaining_after_requests(h: &Harness, n: usize) -> Vec<u32> {
    let mut out = Vec::new();
    for _ in 0..n {
        let r = h.get("/users").await;
        assert_eq!(r.status(), StatusCode::OK);
        out.push(remaining(&r));
    }
    out
}

#[tokio::test]
async fn set_limit_replaces_the_policy() {
    let h = Harness::default().await;
    h.sim.set_limit(1, Duration::from_secs(2));
    let ok = h.get("/users").await;
    assert_eq!(header(&ok, "RateLimit-Policy"), "1;w=2");
    let refused = h.get("/users").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=2).contains(&header(&refused, "Retry-After").parse::<u64>().unwrap()));
}

#[tokio::test]
async fn entries_listing_requires_its_three_filters_and_pages() {
    let h = Harness::default().await;
    for (i, action) in ["clockIn", "clockOut", "clockIn", "clockOut", "clockIn"]
        .iter()
        .enumerate()
    {
        let at = ago(50 - i as i64 * 5);
        assert_eq!(
            h.clock(action, json!(EMPLOYEE), at).await.status(),
            StatusCode::CREATED
        );
    }
    let day = ago(0).date_naive();
    let (from, to) = (day.pred_opt().unwrap(), day.succ_opt().unwrap());
    for missing in [
        format!("startDate={from}&endDate={to}"),
        format!("employeeId={EMPLOYEE}&endDate={to}"),
        format!("employeeId={EMPLOYEE}&startDate={from}"),
        format!("employeeId={EMPLOYEE}&startDate=27/01/2026&endDate={to}"),
        format!("employeeId={EMPLOYEE}&startDate={from}&endDate={to}&limit=51"),
        format!("employeeId={EMPLOYEE}&startDate={from}&endDate={to}&limit=9"),
        format!("employeeId={EMPLOYEE}&startDate={from}&endDate={to}&limit=0"),
    ] {
        let (s, b) =
            status_and_body(h.get(&format!("/time-tracking/entries?{missing}")).await).await;
        assert_eq!(
            (s, b["code"].clone()),
            (StatusCode::BAD_REQUEST, json!("INVALID_DATA")),
            "{missing}"
        );
    }

    // The spec's minimum page size is 10: five entries fit on page 1, page 2 is empty.
    let page = |n: u32| {
        format!("/time-tracking/entries?employeeId={EMPLOYEE}&startDate={from}&endDate={to}&page={n}&limit=10")
    };
    let mut times = Vec::new();
    for n in 1..=2 {
        let (s, body) = status_and_body(h.get(&page(n)).await).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            (body["page"].clone(), body["limit"].clone()),
            (json!(n), json!(10))
        );
        assert_eq!(
            (body["count"].clone(), body["totalPages"].clone()),
            (json!(5), json!(1))
        );
        let items = body["items"].as_array().unwrap();
        assert_eq!(items.len(), if n == 1 { 5 } else { 0 });
        times.extend(
            items
                .iter()
                .map(|e| e["time"].as_str().unwrap().to_string()),
        );
    }
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "ordered by time");
    assert_eq!(times.len(), 5);

    let (_, empty) = status_and_body(h.get(&page(4)).await).await;
    assert!(empty["items"].as_array().unwrap().is_empty());
    let outside = format!(
        "/time-tracking/entries?employeeId={EMPLOYEE}&startDate=2000-01-01&endDate=2000-01-31"
    );
    assert_eq!(status_and_body(h.get(&outside).await).await.1["count"], 0);
}

#[tokio::test]
async fn users_list_requires_limit_of_at_least_ten_and_searches() {
    let h = Harness::default().await;
    h.sim.add_user("20111222", "Bruno", "Díaz");
    let (s, b) = status_and_body(h.get("/users?limit=9").await).await;
    assert_eq!(
        (s, b["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("INVALID_DATA"))
    );

    let (s, all) = status_and_body(h.get("/users?page=1&limit=10").await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(all["count"], 2);
    assert_eq!(all["users"].as_array().unwrap().len(), 2);

    let (_, found) = status_and_body(h.get("/users?search=bruno&limit=10").await).await;
    assert_eq!(found["count"], 1);
    let user = &found["users"][0];
    assert_eq!(user["employeeInternalId"], "20111222");
    assert_eq!(user["status"], "ACTIVE");
    for key in [
        "id",
        "email",
        "firstName",
        "lastName",
        "nickname",
        "phoneNumber",
        "hiringDate",
        "birthdate",
    ] {
        assert!(user.get(key).is_some(), "User has {key}");
    }
    for key in ["segmentation", "relationships", "fields"] {
        assert!(user[key].is_array(), "User.{key} is a list");
    }
}

#[tokio::test]
async fn user_by_internal_id_or_404_not_found() {
    let h = Harness::default().await;
    let (s, user) = status_and_body(h.get(&format!("/users/{EMPLOYEE}")).await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (user["firstName"].clone(), user["lastName"].clone()),
        (json!("Ana"), json!("Pérez"))
    );
    let r = h.get("/users/00000000").await;
    let expected = json!({"message":"User not found","code":"NOT_FOUND","metadata":{}});
    assert_eq!(status_and_body(r).await, (StatusCode::NOT_FOUND, expected));
}

#[tokio::test]
async fn unknown_route_is_404_json_and_wrong_method_405_json() {
    let h = Harness::default().await;
    let (s, body) = status_and_body(h.get("/no-such-thing").await).await;
    assert_eq!(
        (s, body["code"].clone()),
        (StatusCode::NOT_FOUND, json!("NOT_FOUND"))
    );
    let (s, body) = status_and_body(h.get("/time-tracking/entries/clockIn").await).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["code"], "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn faults_fail_next_gives_5xx_and_drop_next_breaks_the_answer() {
    let h = Harness::default().await;
    h.sim.faults.fail_next(1, 503);
    let r = h.clock("clockIn", json!(EMPLOYEE), ago(2)).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(h.sim.all_entries().is_empty());

    h.sim.faults.drop_next(1);
    let sent = h
        .http
        .get(h.url("/users"))
        .header("Authorization", format!("Basic {KEY}"))
        .send()
        .await;
    let failed = match sent {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(failed, "a dropped connection surfaces as a reqwest error");

    let r = h.clock("clockIn", json!(EMPLOYEE), ago(1)).await;
    assert_eq!(r.status(), StatusCode::CREATED, "faults were consumed");
}

#[tokio::test]
async fn rotating_the_key_makes_the_old_one_401() {
    let h = Harness::default().await;
    assert_eq!(h.get("/users").await.status(), StatusCode::OK);
    h.sim.set_api_key("bmV3LWlkOm5ldy1zZWNyZXQ=");
    assert_eq!(h.get("/users").await.status(), StatusCode::UNAUTHORIZED);
    let r = h
        .http
        .get(h.url("/users"))
        .header("Authorization", "Basic bmV3LWlkOm5ldy1zZWNyZXQ=")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    h.sim.set_api_key(KEY);
    assert_eq!(h.get("/users").await.status(), StatusCode::OK, "restored");
}

#[test]
fn config_debug_never_shows_the_key() {
    let printed = format!("{:?}", HumandSimConfig::default());
    assert!(!printed.contains(KEY));
    assert!(printed.contains("limit: 50"));
}

#[tokio::test]
async fn the_entries_listing_can_be_refused_and_day_summaries_answer_instead() {
    let h = Harness::default().await;
    let at = ago(5);
    assert_eq!(
        h.clock("clockIn", json!(EMPLOYEE), at).await.status(),
        StatusCode::CREATED
    );
    let day = ago(0).date_naive();
    let (from, to) = (day.pred_opt().unwrap(), day.succ_opt().unwrap());
    h.sim.set_entries_listing_refused(true);
    let (s, _) = status_and_body(
        h.get(&format!(
            "/time-tracking/entries?employeeId={EMPLOYEE}&startDate={from}&endDate={to}"
        ))
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "as one production answered");
    let (s, body) = status_and_body(
        h.get(&format!(
            "/time-tracking/day-summaries?employeeIds={EMPLOYEE}&startDate={from}&endDate={to}&limit=50"
        ))
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "one summary per day: {body}");
    assert_eq!(body["totalPages"], 1);
    let entries: Vec<&Value> = items
        .iter()
        .flat_map(|d| d["entries"].as_array().unwrap())
        .collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["type"], "START");
    let (s, _) = status_and_body(
        h.get(&format!(
            "/time-tracking/day-summaries?employeeIds={EMPLOYEE}&startDate={from}&endDate={to}&limit=9"
        ))
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "limit below 10 refused");
}

#[tokio::test]
async fn a_day_left_open_is_auto_closed_by_humand_itself() {
    let h = Harness::default().await;
    let yesterday = Utc::now() - ChronoDuration::days(1);
    let today = Utc::now() - ChronoDuration::minutes(1);
    assert_eq!(
        h.clock("clockIn", json!(EMPLOYEE), yesterday)
            .await
            .status(),
        StatusCode::CREATED
    );
    // The next day's START is accepted: Humand closed the open day with an AUTO_CLOSE END.
    assert_eq!(
        h.clock("clockIn", json!(EMPLOYEE), today).await.status(),
        StatusCode::CREATED
    );
    let entries = h.sim.entries(EMPLOYEE);
    let kinds: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e["type"].as_str().unwrap(), e["source"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("START", "API"), ("END", "AUTO_CLOSE"), ("START", "API")]
    );
    assert!(entries[1]["time"]
        .as_str()
        .unwrap()
        .ends_with("T23:59:59.000Z"));
}

#[tokio::test]
async fn a_night_shift_is_split_at_midnight_with_day_change_entries() {
    let h = Harness::default().await;
    // "Today" is a day whose 00:01 has passed (yesterday, in the first minutes after midnight).
    let today = (Utc::now() - ChronoDuration::minutes(5)).date_naive();
    let yesterday_22 = (today - ChronoDuration::days(1))
        .and_hms_opt(22, 0, 0)
        .unwrap()
        .and_utc();
    let today_0001 = today.and_hms_opt(0, 1, 0).unwrap().and_utc();
    assert_eq!(
        h.clock("clockIn", json!(EMPLOYEE), yesterday_22)
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        h.clock("clockOut", json!(EMPLOYEE), today_0001)
            .await
            .status(),
        StatusCode::CREATED,
        "the night shift's exit is accepted"
    );
    let kinds: Vec<(String, String)> = h
        .sim
        .entries(EMPLOYEE)
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().into(),
                e["source"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [
        ("START", "API"),
        ("END", "DAY_CHANGE"),
        ("START", "DAY_CHANGE"),
        ("END", "API"),
    ];
    assert_eq!(kinds, want.map(|(a, b)| (a.to_string(), b.to_string())));
}
