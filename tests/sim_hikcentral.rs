//! The HikCentral simulator on a real socket, called the way an Artemis client must call it:
//! signed with `hikbridge::artemis::sign`, sending exactly the signed bytes.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hikbridge::artemis::sign::{self, SignInput};
use hikbridge::sim::hikcentral::{HikSim, HikSimConfig, LifecycleSwitches};
use hikbridge::sim::RunningSim;
use serde_json::{json, Value};
use std::net::SocketAddr;

const KEY: &str = "demo-app-key";
const SECRET: &str = "demo-app-secret";
const RES: &str = "/artemis/api/resource/v1";
const VERSION: &str = "/artemis/api/common/v1/version";
const DOOR_EVENTS: &str = "/artemis/api/acs/v1/door/events";
const EVT: &str = "/artemis/api/eventService/v1";
const ADD_PERSONS: &str = "/artemis/api/acs/v1/privilege/group/single/addPersons";
const REAPPLY: &str = "/artemis/api/visitor/v1/auth/reapplication";

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// One request exactly as it goes on the wire: headers, path, raw query pairs, body bytes.
#[derive(Clone)]
struct Req {
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// How to sign a request (defaults: the simulator's credentials, no Content-MD5, no query).
struct Signing<'a> {
    key: &'a str,
    secret: &'a str,
    content_md5: Option<String>,
    query: Vec<(String, String)>,
}

impl Default for Signing<'_> {
    fn default() -> Self {
        Self {
            key: KEY,
            secret: SECRET,
            content_md5: None,
            query: Vec::new(),
        }
    }
}

impl Req {
    fn signed(path: &str, body: &Value) -> Self {
        Self::signed_with(path, body.to_string().into_bytes(), Signing::default())
    }

    fn signed_with(path: &str, body: Vec<u8>, s: Signing<'_>) -> Self {
        let x_ca = vec![
            ("x-ca-key".to_string(), s.key.to_string()),
            ("x-ca-nonce".to_string(), uuid::Uuid::new_v4().to_string()),
            ("x-ca-timestamp".to_string(), "1767225600000".to_string()),
        ];
        let input = SignInput {
            method: "POST".into(),
            accept: Some("application/json".into()),
            content_md5: s.content_md5.clone(),
            content_type: Some("application/json;charset=UTF-8".into()),
            date: None,
            headers: x_ca.clone(),
            path: path.into(),
            query: s.query.clone(),
        };
        let mut headers = vec![
            ("accept".to_string(), "application/json".to_string()),
            (
                "content-type".to_string(),
                "application/json;charset=UTF-8".to_string(),
            ),
        ];
        if let Some(md5) = s.content_md5 {
            headers.push(("content-md5".into(), md5));
        }
        headers.extend(x_ca);
        headers.push(("x-ca-signature-headers".into(), input.signature_headers()));
        headers.push((
            "x-ca-signature".into(),
            sign::signature(s.secret, &input.string_to_sign()),
        ));
        Self {
            path: path.into(),
            query: s.query,
            headers,
            body,
        }
    }

    fn header(&self, name: &str) -> &str {
        &self.headers.iter().find(|(k, _)| k == name).unwrap().1
    }

    fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(k, _)| k != name);
        self.headers.push((name.into(), value.into()));
    }

    async fn try_send(&self, base: &str) -> reqwest::Result<reqwest::Response> {
        let mut url = url::Url::parse(&format!("{base}{}", self.path)).unwrap();
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        let mut rb = reqwest::Client::new().post(url).body(self.body.clone());
        for (k, v) in &self.headers {
            rb = rb.header(k, v);
        }
        rb.send().await
    }

    async fn send(&self, base: &str) -> reqwest::Response {
        self.try_send(base).await.unwrap()
    }
}

struct Fixture {
    sim: HikSim,
    running: RunningSim,
}

impl Fixture {
    async fn start(cfg: HikSimConfig) -> Self {
        let sim = HikSim::new(cfg);
        let running = sim.start(local(), None).await.unwrap();
        Self { sim, running }
    }

    async fn new() -> Self {
        Self::start(HikSimConfig::default()).await
    }

    fn base(&self) -> &str {
        &self.running.base_url
    }

    /// A signed call; the envelope as JSON.
    async fn call(&self, path: &str, body: Value) -> Value {
        self.send(&Req::signed(path, &body)).await
    }

    async fn send(&self, req: &Req) -> Value {
        let res = req.send(self.base()).await;
        assert_eq!(res.status(), 200, "HTTP status for {}", req.path);
        res.json().await.unwrap()
    }

    async fn add(&self, code: &str, given: &str) -> Value {
        self.call(
            &format!("{RES}/person/single/add"),
            json!({"personCode": code, "personGivenName": given, "personFamilyName": "Paz",
                   "orgIndexCode": "2", "gender": 1}),
        )
        .await
    }
}

fn jpeg(len: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.resize(len, 0x11);
    v
}

fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or("<not a string>")
}

#[tokio::test]
async fn a_correctly_signed_call_succeeds() {
    let f = Fixture::new().await;
    let v = f.call(VERSION, json!({})).await;
    assert_eq!(code(&v), "0");
    assert_eq!(v["msg"], "Success");
    assert_eq!(v["data"]["produceName"], "HikCentral Professional");
    assert_eq!(v["data"]["softVersion"], "V2.6.1.7");
    assert_eq!(f.sim.request_count(), 1);
    assert_eq!(f.sim.rejected_signatures(), 0);
}

#[tokio::test]
async fn a_signature_wrong_by_one_byte_is_rejected() {
    let f = Fixture::new().await;
    let good = Req::signed(VERSION, &json!({}));

    let mut flipped = good.clone();
    let mut sig = flipped.header("x-ca-signature").to_string();
    let first = if sig.starts_with('A') { "B" } else { "A" };
    sig.replace_range(0..1, first);
    flipped.set_header("x-ca-signature", &sig);

    // The body is covered only through Content-MD5.
    let body = b"{}".to_vec();
    let with_md5 = Signing {
        content_md5: Some(sign::content_md5(&body)),
        ..Signing::default()
    };
    let mut body_changed = Req::signed_with(VERSION, body, with_md5);
    body_changed.body = b"{ }".to_vec();

    let list = format!("{RES}/person/personList");
    let page = json!({"pageNo": 1, "pageSize": 10});
    let signing = Signing {
        query: vec![("pageNo".into(), "1".into())],
        ..Signing::default()
    };
    let mut query_changed = Req::signed_with(&list, page.to_string().into_bytes(), signing);
    query_changed.query = vec![("pageNo".into(), "2".into())];

    // A classic client bug: signing the path without the `/artemis` prefix.
    let mut no_prefix =
        Req::signed_with("/api/common/v1/version", b"{}".to_vec(), Signing::default());
    no_prefix.path = VERSION.into();

    let wrong_secret = Req::signed_with(
        VERSION,
        b"{}".to_vec(),
        Signing {
            secret: "demo-app-secreT",
            ..Signing::default()
        },
    );

    let cases = [
        flipped,
        body_changed,
        query_changed,
        no_prefix,
        wrong_secret,
    ];
    for req in &cases {
        let res = req.send(f.base()).await;
        assert_eq!(res.status(), 200);
        let msg = res.headers()["x-ca-error-message"]
            .to_str()
            .unwrap()
            .to_string();
        let v: Value = res.json().await.unwrap();
        assert_eq!(code(&v), "0x02401003", "{}", req.path);
        assert!(msg.starts_with("Invalid Signature"), "error message {msg}");
    }
    assert_eq!(f.sim.rejected_signatures(), cases.len() as u64);
    assert_eq!(f.sim.request_count(), 0);
    assert_eq!(code(&f.send(&good).await), "0", "the original still passes");

    // Faithful to Artemis: without Content-MD5 the body is not part of the signature.
    let mut unprotected = Req::signed(VERSION, &json!({}));
    unprotected.body = b"{ }".to_vec();
    assert_eq!(code(&f.send(&unprotected).await), "0");
}

#[tokio::test]
async fn the_error_header_shows_the_servers_string_to_sign() {
    let f = Fixture::new().await;
    let mut req = Req::signed(VERSION, &json!({}));
    req.set_header("x-ca-signature", "AAAA");
    let res = req.send(f.base()).await;
    let msg = res.headers()["x-ca-error-message"].to_str().unwrap();
    let nonce = req.header("x-ca-nonce");
    let expected = format!(
        "POST\\napplication/json\\napplication/json;charset=UTF-8\\nx-ca-key:{KEY}\\nx-ca-nonce:{nonce}\\nx-ca-timestamp:1767225600000\\n{VERSION}"
    );
    assert!(msg.contains(&expected), "{msg}");
    assert!(res.headers().contains_key("x-ca-request-id"));
}

#[tokio::test]
async fn a_listed_but_missing_signed_header_is_an_invalid_signature() {
    let f = Fixture::new().await;
    let mut req = Req::signed(VERSION, &json!({}));
    req.headers.retain(|(k, _)| k != "x-ca-nonce");
    let v = f.send(&req).await;
    assert_eq!(code(&v), "0x02401003");
}

#[tokio::test]
async fn unknown_key_or_missing_signature_is_401() {
    let f = Fixture::new().await;
    let req = Req::signed_with(
        VERSION,
        b"{}".to_vec(),
        Signing {
            key: "someone-else",
            ..Signing::default()
        },
    );
    let res = req.send(f.base()).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["x-ca-error-message"], "Invalid AppKey");
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["msg"], "Invalid AppKey");

    let mut unsigned = Req::signed(VERSION, &json!({}));
    unsigned.headers.retain(|(k, _)| k != "x-ca-signature");
    assert_eq!(unsigned.send(f.base()).await.status(), 401);
    assert_eq!(f.sim.request_count(), 0);
}

#[tokio::test]
async fn unknown_api_is_404() {
    let f = Fixture::new().await;
    let res = Req::signed("/artemis/api/nothing/here", &json!({}))
        .send(f.base())
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn content_md5_must_match_the_body() {
    let f = Fixture::new().await;
    let body = b"{}".to_vec();
    let good = Signing {
        content_md5: Some(sign::content_md5(&body)),
        ..Signing::default()
    };
    let v = f.send(&Req::signed_with(VERSION, body.clone(), good)).await;
    assert_eq!(code(&v), "0");

    // Signed consistently, but the MD5 is of other bytes than the body sent.
    let lying = Signing {
        content_md5: Some(sign::content_md5(b"{\"x\":1}")),
        ..Signing::default()
    };
    let v = f.send(&Req::signed_with(VERSION, body, lying)).await;
    assert_eq!(code(&v), "0x02401003");
    assert_eq!(f.sim.rejected_signatures(), 1);
}

#[tokio::test]
async fn query_parameters_take_part_in_signing() {
    let f = Fixture::new().await;
    let query = vec![
        ("pageSize".to_string(), "1".to_string()),
        ("Mid".to_string(), "a b/ñ&=x".to_string()),
    ];
    let signed = Signing {
        query: query.clone(),
        ..Signing::default()
    };
    let v = f
        .send(&Req::signed_with(VERSION, b"{}".to_vec(), signed))
        .await;
    assert_eq!(code(&v), "0", "raw values signed, encoded values sent");

    let mut unsigned_query = Req::signed(VERSION, &json!({}));
    unsigned_query.query = query;
    assert_eq!(code(&f.send(&unsigned_query).await), "0x02401003");
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_code_2() {
    let f = Fixture::new().await;
    for body in [b"[1,2]".to_vec(), b"not json".to_vec()] {
        let req = Req::signed_with(
            &format!("{RES}/person/single/add"),
            body,
            Signing::default(),
        );
        assert_eq!(code(&f.send(&req).await), "2");
    }
}

#[tokio::test]
async fn add_then_duplicate_person_code_is_131() {
    let f = Fixture::new().await;
    let v = f.add("1712345678", "Ana").await;
    assert_eq!(code(&v), "0");
    assert_eq!(
        v["data"], "100",
        "data is the new personId as a plain string"
    );
    let v = f.add("1712345678", "Otra").await;
    assert_eq!(code(&v), "131");
    assert_eq!(v["msg"], "person code already exists");
    assert_eq!(code(&f.add("17-123", "Guion").await), "0x00072003");

    let bad_org = f
        .call(
            &format!("{RES}/person/single/add"),
            json!({"personCode":"9","personGivenName":"A","personFamilyName":"B","orgIndexCode":"99"}),
        )
        .await;
    assert_eq!(code(&bad_org), "2");
    let bad_face = f
        .call(
            &format!("{RES}/person/single/add"),
            json!({"personCode":"9","personGivenName":"A","personFamilyName":"B","orgIndexCode":"2",
                   "faces":[{"faceData": format!("data:image/jpeg;base64,{}", B64.encode(jpeg(10)))}]}),
        )
        .await;
    assert_eq!(code(&bad_face), "2");
    assert!(bad_face["msg"]
        .as_str()
        .unwrap()
        .starts_with("invalid face data: "));
    assert_eq!(f.sim.persons().len(), 1);
}

#[tokio::test]
async fn update_replaces_the_record_clears_omitted_fields_and_never_touches_the_face() {
    let f = Fixture::new().await;
    let full = json!({
        "personCode": "0923456789", "personGivenName": "Juan Alberto", "personFamilyName": "Perez Garcia",
        "orgIndexCode": "3", "gender": "1", "phoneNo": "0991234567", "email": "jp@uni.edu",
        "remark": "docente", "cards": [{"cardNo": "3405551234"}],
        "beginTime": "2026-01-01T00:00:00-03:00", "endTime": "2030-12-31T23:59:59-03:00",
        "faces": [{"faceData": B64.encode(jpeg(2048))}],
    });
    let id = f.call(&format!("{RES}/person/single/add"), full).await["data"]
        .as_str()
        .unwrap()
        .to_string();
    let before = f.sim.person_by_code("0923456789").unwrap();
    assert_eq!(before["personName"], "Juan Alberto Perez Garcia");
    assert_eq!(before["email"], "jp@uni.edu");
    assert!(before["personPhoto"]["picUri"].is_string());

    let v = f
        .call(
            &format!("{RES}/person/single/update"),
            json!({"personId": id, "personGivenName": "Juan", "personFamilyName": "Perez", "orgIndexCode": "3"}),
        )
        .await;
    assert_eq!(code(&v), "0");
    let after = f.sim.person_by_code("0923456789").unwrap();
    assert_eq!(after["personName"], "Juan Perez");
    assert_eq!(after["email"], "");
    assert_eq!(after["phoneNo"], "");
    assert_eq!(after["remark"], "");
    assert_eq!(after["gender"], 0);
    assert_eq!(after["cards"], json!([]));
    assert!(after.get("beginTime").is_none() && after.get("endTime").is_none());
    // The face is not a field of single/update (spec): neither cleared nor replaced by it.
    assert_eq!(after["personPhoto"], before["personPhoto"]);
    let with_faces = f
        .call(
            &format!("{RES}/person/single/update"),
            json!({"personId": id, "personGivenName": "Juan", "personFamilyName": "Perez",
                   "orgIndexCode": "3", "faces": [{"faceData": B64.encode(jpeg(4096))}]}),
        )
        .await;
    assert_eq!(code(&with_faces), "0");
    assert_eq!(
        f.sim.person_by_code("0923456789").unwrap()["personPhoto"],
        before["personPhoto"],
        "faces sent to single/update change nothing"
    );

    let change_code = f
        .call(
            &format!("{RES}/person/single/update"),
            json!({"personId": id, "personCode": "other", "personGivenName": "J", "personFamilyName": "P", "orgIndexCode": "3"}),
        )
        .await;
    assert_eq!(code(&change_code), "2");
    let unknown = f
        .call(
            &format!("{RES}/person/single/update"),
            json!({"personId": "9999", "personGivenName": "J", "personFamilyName": "P", "orgIndexCode": "3"}),
        )
        .await;
    assert_eq!(code(&unknown), "128");
}

#[tokio::test]
async fn face_update_replaces_the_photo_or_answers_12_when_unsupported() {
    let f = Fixture::new().await;
    let id = f.add("A1", "Ana").await["data"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("{RES}/person/face/update");
    let body = json!({"personId": id, "faceData": B64.encode(jpeg(100))});
    assert_eq!(code(&f.call(&path, body.clone()).await), "0");
    let uri1 = f.sim.person_by_code("A1").unwrap()["personPhoto"]["picUri"].clone();
    assert_eq!(code(&f.call(&path, body.clone()).await), "0");
    let uri2 = f.sim.person_by_code("A1").unwrap()["personPhoto"]["picUri"].clone();
    assert_ne!(uri1, uri2, "a new face gets a new picUri");

    let too_big = json!({"personId": id, "faceData": B64.encode(jpeg(200 * 1024 + 1))});
    assert_eq!(code(&f.call(&path, too_big).await), "2");

    f.sim.set_face_update_supported(false);
    let v = f.call(&path, body).await;
    assert_eq!(code(&v), "12");
    assert_eq!(v["msg"], "API not supported");
}

#[tokio::test]
async fn person_look_ups_and_delete() {
    let f = Fixture::new().await;
    let id = f.add("A1", "Ana").await["data"]
        .as_str()
        .unwrap()
        .to_string();
    let by_code = f
        .call(
            &format!("{RES}/person/personCode/personInfo"),
            json!({"personCode": "A1"}),
        )
        .await;
    assert_eq!(by_code["data"]["personId"], json!(id));
    let unknown = f
        .call(
            &format!("{RES}/person/personCode/personInfo"),
            json!({"personCode": "nobody"}),
        )
        .await;
    assert_eq!(code(&unknown), "128");
    let by_id = f
        .call(
            &format!("{RES}/person/personId/personInfo"),
            json!({"personId": id.parse::<u64>().unwrap()}),
        )
        .await;
    assert_eq!(by_id["data"]["personCode"], "A1");

    let delete = format!("{RES}/person/single/delete");
    let password = LifecycleSwitches::default().admin_password;
    let body = json!({"personId": id, "adminPassword": password});
    assert_eq!(code(&f.call(&delete, body.clone()).await), "0");
    assert_eq!(code(&f.call(&delete, body).await), "128");
    assert!(f.sim.persons().is_empty());
}

#[tokio::test]
async fn person_lists_page_in_person_id_order_and_limit_page_size() {
    let f = Fixture::new().await;
    for i in 0..7 {
        f.add(&format!("C{i}"), if i % 2 == 0 { "Maria" } else { "Jose" })
            .await;
    }
    let list = format!("{RES}/person/personList");
    let v = f.call(&list, json!({"pageNo": "3", "pageSize": "3"})).await;
    assert_eq!(code(&v), "0");
    assert_eq!(v["data"]["total"], 7);
    assert_eq!(v["data"]["list"].as_array().unwrap().len(), 1);
    assert_eq!(v["data"]["list"][0]["personId"], "106");
    let first = f.call(&list, json!({"pageNo": 1, "pageSize": 3})).await;
    let ids: Vec<&str> = first["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["personId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["100", "101", "102"]);

    let too_big = f.call(&list, json!({"pageNo": 1, "pageSize": 501})).await;
    assert_eq!(code(&too_big), "0x00072002");
    let page_zero = f.call(&list, json!({"pageNo": 0, "pageSize": 5})).await;
    assert_eq!(code(&page_zero), "0x00072002");

    let advance = format!("{RES}/person/advance/personList");
    let v = f
        .call(
            &advance,
            json!({"pageNo": 1, "pageSize": 500, "personName": "mARIA"}),
        )
        .await;
    assert_eq!(v["data"]["total"], 4);
}

#[tokio::test]
async fn organisations_are_seeded() {
    let f = Fixture::new().await;
    let root = f.call(&format!("{RES}/org/rootOrg"), json!({})).await;
    assert_eq!(root["data"]["orgIndexCode"], "1");
    assert_eq!(root["data"]["parentOrgIndexCode"], "0");
    let all = f
        .call(
            &format!("{RES}/org/orgList"),
            json!({"pageNo": 1, "pageSize": 10}),
        )
        .await;
    assert_eq!(all["data"]["total"], 4);
    let docentes = f
        .call(
            &format!("{RES}/org/advance/orgList"),
            json!({"pageNo": 1, "pageSize": 10, "orgName": "docen"}),
        )
        .await;
    assert_eq!(
        docentes["data"]["list"],
        json!([{"orgIndexCode":"3","orgName":"Docentes","parentOrgIndexCode":"1"}])
    );
}

#[tokio::test]
async fn picture_data_answers_raw_jpeg_or_a_data_uri() {
    let f = Fixture::new().await;
    let face = jpeg(3000);
    let add = f
        .call(
            &format!("{RES}/person/single/add"),
            json!({"personCode":"P1","personGivenName":"A","personFamilyName":"B","orgIndexCode":"2",
                   "faces":[{"faceData": B64.encode(&face)}]}),
        )
        .await;
    let id = add["data"].as_str().unwrap().to_string();
    let uri = f.sim.person_by_code("P1").unwrap()["personPhoto"]["picUri"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("{RES}/person/picture_data");

    let res = Req::signed(&path, &json!({"personId": id, "picUri": uri}))
        .send(f.base())
        .await;
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.bytes().await.unwrap().to_vec(), face);

    f.sim.set_picture_as_data_uri(true);
    let res = Req::signed(&path, &json!({"personId": id, "picUri": uri}))
        .send(f.base())
        .await;
    let text = res.text().await.unwrap();
    let b64 = text.strip_prefix("data:image/jpeg;base64,").unwrap();
    assert_eq!(B64.decode(b64).unwrap(), face);

    let wrong = f
        .call(&path, json!({"personId": id, "picUri": "/pic?nope"}))
        .await;
    assert_eq!(code(&wrong), "128");
    let no_person = f
        .call(&path, json!({"personId": "999", "picUri": uri}))
        .await;
    assert_eq!(code(&no_person), "128");
}

fn door_event(i: usize, time: &str, door: &str, event_type: i64, person_id: &str) -> Value {
    json!({
        "eventId": format!("ev-{i:03}"), "eventType": event_type, "happenTime": time,
        "srcIndex": door, "srcName": format!("Door {door}"), "srcType": "door", "srcParentIndex": "1",
        "status": 0, "timeout": 0,
        "data": {"personId": person_id, "personCode": "1712345678", "cardNo": "", "checkInAndOutType": 1}
    })
}

fn events_query(start: &str, end: &str) -> Value {
    json!({"startTime": start, "endTime": end, "eventType": 196893, "doorIndexCodes": [],
           "pageNo": 1, "pageSize": 500})
}

#[tokio::test]
async fn door_events_enforce_the_31_day_and_10_door_limits() {
    let f = Fixture::new().await;
    let ok = events_query("2026-01-01T00:00:00-03:00", "2026-02-01T00:00:00-03:00");
    assert_eq!(code(&f.call(DOOR_EVENTS, ok.clone()).await), "0");
    let mut long = ok.clone();
    long["endTime"] = json!("2026-02-01T00:00:01-03:00");
    assert_eq!(code(&f.call(DOOR_EVENTS, long).await), "0x00072002");
    let mut backwards = ok.clone();
    backwards["endTime"] = json!("2025-12-01T00:00:00-03:00");
    assert_eq!(code(&f.call(DOOR_EVENTS, backwards).await), "0x00072002");
    let mut no_offset = ok.clone();
    no_offset["startTime"] = json!("2026-01-01T00:00:00");
    assert_eq!(code(&f.call(DOOR_EVENTS, no_offset).await), "0x00072003");
    let mut no_start = ok.clone();
    no_start.as_object_mut().unwrap().remove("startTime");
    assert_eq!(code(&f.call(DOOR_EVENTS, no_start).await), "0x00072001");
    let mut no_filter = ok.clone();
    no_filter.as_object_mut().unwrap().remove("eventType");
    assert_eq!(code(&f.call(DOOR_EVENTS, no_filter).await), "0x00072001");

    let doors = |n: usize| json!((1..=n).map(|d| d.to_string()).collect::<Vec<_>>());
    let mut ten = ok.clone();
    ten["doorIndexCodes"] = doors(10);
    assert_eq!(code(&f.call(DOOR_EVENTS, ten).await), "0");
    let mut eleven = ok.clone();
    eleven["doorIndexCodes"] = doors(11);
    assert_eq!(code(&f.call(DOOR_EVENTS, eleven).await), "0x00072002");
    let mut big_page = ok;
    big_page["pageSize"] = json!(501);
    assert_eq!(code(&f.call(DOOR_EVENTS, big_page).await), "0x00072002");
}

#[tokio::test]
async fn door_events_filter_and_page_over_several_pages() {
    let f = Fixture::new().await;
    let id = f
        .sim
        .add_person(json!({"personId": "187", "personCode": "1712345678",
        "personGivenName": "Ana", "personFamilyName": "Paz"}));
    assert_eq!(id, "187");
    // The devices at doors 11 and 12 hold the person (else its granted events are denied).
    f.sim.add_door("11", "Door 11");
    f.sim.add_door("12", "Door 12");
    f.sim.add_access_level("5", "Staff");
    let add = json!({"privilegeGroupId": "5", "type": 1, "list": [{"id": "187"}]});
    let add = f.call(ADD_PERSONS, add).await;
    assert_eq!(code(&add), "0");
    let apply = json!({"ImmediateDownload": 0, "personIds": "187"});
    assert_eq!(code(&f.call(REAPPLY, apply).await), "0");
    // 12 granted face events at door 11 (recorded out of order), plus noise.
    for i in (0..12).rev() {
        let t = format!("2026-01-10T08:{i:02}:00-03:00");
        f.sim.record_event(door_event(i, &t, "11", 196893, "187"));
    }
    f.sim.record_event(door_event(
        50,
        "2026-01-10T09:00:00-03:00",
        "12",
        196893,
        "187",
    ));
    f.sim.record_event(door_event(
        51,
        "2026-01-10T09:00:00-03:00",
        "11",
        197151,
        "187",
    ));
    f.sim.record_event(door_event(
        52,
        "2025-11-10T09:00:00-03:00",
        "11",
        196893,
        "187",
    ));

    let mut q = events_query("2026-01-01T00:00:00-03:00", "2026-01-31T00:00:00-03:00");
    q["doorIndexCodes"] = json!(["11"]);
    q["pageSize"] = json!(5);
    q["sortField"] = json!("SwipeTime");
    let mut seen = Vec::new();
    for page in 1..=3 {
        q["pageNo"] = json!(page);
        let v = f.call(DOOR_EVENTS, q.clone()).await;
        assert_eq!(code(&v), "0");
        assert_eq!(v["data"]["total"], 12);
        let list = v["data"]["list"].as_array().unwrap();
        assert_eq!(list.len(), if page < 3 { 5 } else { 2 });
        for rec in list {
            assert!(
                rec.get("personCode").is_none(),
                "door records carry no personCode"
            );
            assert_eq!(rec["personName"], "Ana Paz");
            assert_eq!(rec["doorIndexCode"], "11");
            seen.push(rec["eventId"].as_str().unwrap().to_string());
        }
    }
    let expected: Vec<String> = (0..12).map(|i| format!("ev-{i:03}")).collect();
    assert_eq!(seen, expected, "ascending by event time across pages");

    q["pageNo"] = json!(1);
    q["orderType"] = json!(1);
    let desc = f.call(DOOR_EVENTS, q).await;
    assert_eq!(desc["data"]["list"][0]["eventId"], "ev-011");

    let by_name = json!({"startTime": "2026-01-01T00:00:00-03:00", "endTime": "2026-01-31T00:00:00-03:00",
        "personName": "ana", "pageNo": 1, "pageSize": 100});
    assert_eq!(f.call(DOOR_EVENTS, by_name).await["data"]["total"], 14);
}

#[tokio::test]
async fn subscriptions_subscribe_view_and_unsubscribe() {
    let f = Fixture::new().await;
    let sub = format!("{EVT}/eventSubscriptionByEventTypes");
    let a = "https://bridge.example/hikcentral/events/a";
    let b = "http://127.0.0.1:9/hook";
    let v = f
        .call(
            &sub,
            json!({"eventTypes": [196893, 198914], "eventDest": a, "token": "t"}),
        )
        .await;
    assert_eq!(code(&v), "0");
    f.call(&sub, json!({"eventTypes": ["197151"], "eventDest": b}))
        .await;
    let view = f
        .call(&format!("{EVT}/eventSubscriptionView"), json!({}))
        .await;
    assert_eq!(
        view["data"]["detail"],
        json!([{"eventTypes":[197151],"eventDest":b},{"eventTypes":[196893,198914],"eventDest":a}]),
        "grouped by destination, sorted"
    );

    // Subscribing a type again moves it to the new destination.
    f.call(&sub, json!({"eventTypes": [198914], "eventDest": b}))
        .await;
    let unsub = format!("{EVT}/eventUnSubscriptionByEventTypes");
    assert_eq!(
        code(&f.call(&unsub, json!({"eventTypes": [196893]})).await),
        "0"
    );
    assert_eq!(
        f.sim.subscriptions(),
        vec![json!({"eventTypes":[197151,198914],"eventDest":b})]
    );

    for bad in [
        json!({"eventTypes": [], "eventDest": a}),
        json!({"eventTypes": [196893], "eventDest": "ftp://x/y"}),
        json!({"eventTypes": [196893]}),
    ] {
        assert_eq!(code(&f.call(&sub, bad).await), "2");
    }
}

#[tokio::test]
async fn push_events_delivers_an_on_event_notify_batch_of_subscribed_types() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let receiver = axum::Router::new().route(
        "/hikcentral/events/{secret}",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let tx = tx.clone();
            async move {
                tx.send(body).unwrap();
                axum::Json(json!({"code": "0", "msg": "OK"}))
            }
        }),
    );
    let receiver = hikbridge::sim::serve(receiver, local(), None)
        .await
        .unwrap();
    let dest = format!("{}/hikcentral/events/s3cr3t", receiver.base_url);

    let f = Fixture::new().await;
    let v = f
        .call(
            &format!("{EVT}/eventSubscriptionByEventTypes"),
            json!({"eventTypes": [196893, 198914], "eventDest": dest}),
        )
        .await;
    assert_eq!(code(&v), "0");

    let events = vec![
        door_event(1, "2026-01-27T08:04:00-03:00", "11", 196893, "187"),
        door_event(2, "2026-01-27T08:04:05-03:00", "11", 197151, ""),
        door_event(3, "2026-01-27T08:04:09-03:00", "12", 198914, "201"),
    ];
    let results = f.sim.push_events(events).await;
    assert_eq!(results, vec![(dest.clone(), Ok(200))]);

    let batch = rx.recv().await.unwrap();
    assert_eq!(batch["method"], "OnEventNotify");
    assert_eq!(batch["params"]["ability"], "event_acs");
    assert!(batch["params"]["sendTime"].is_string());
    let ids: Vec<&str> = batch["params"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ev-001", "ev-003"], "only subscribed types, in order");
    assert!(rx.try_recv().is_err(), "one POST for the destination");
    assert_eq!(f.sim.events().len(), 3, "every pushed event is recorded");

    // The unsubscribed one is still in the door-event log.
    let mut q = events_query("2026-01-27T00:00:00-03:00", "2026-01-28T00:00:00-03:00");
    q["eventType"] = json!(197151);
    assert_eq!(f.call(DOOR_EVENTS, q).await["data"]["total"], 1);
}

#[tokio::test]
async fn throttle_answers_the_envelope_code_or_http_429() {
    let f = Fixture::new().await;
    f.sim.set_throttle(Some(2), false);
    let mut codes = Vec::new();
    for _ in 0..5 {
        codes.push(code(&f.call(VERSION, json!({})).await).to_string());
    }
    assert_eq!(&codes[..2], ["0", "0"], "the first N in the window pass");
    assert!(codes[2..].iter().any(|c| c == "0x02401009"), "{codes:?}");

    f.sim.set_throttle(Some(1), true);
    let first = Req::signed(VERSION, &json!({})).send(f.base()).await;
    assert_eq!(first.status(), 200);
    let mut saw_429 = false;
    for _ in 0..3 {
        let res = Req::signed(VERSION, &json!({})).send(f.base()).await;
        if res.status() == 429 {
            assert_eq!(res.headers()["retry-after"], "1");
            let v: Value = res.json().await.unwrap();
            assert_eq!(code(&v), "0x02401009");
            saw_429 = true;
        }
    }
    assert!(saw_429);
    assert!(f.sim.throttled_requests() >= 2);

    f.sim.set_throttle(None, false);
    for _ in 0..5 {
        assert_eq!(code(&f.call(VERSION, json!({})).await), "0");
    }
}

#[tokio::test]
async fn throttle_is_checked_after_the_signature() {
    let f = Fixture::start(HikSimConfig {
        throttle_per_second: Some(1),
        ..HikSimConfig::default()
    })
    .await;
    let mut bad = Req::signed(VERSION, &json!({}));
    bad.set_header("x-ca-signature", "AAAA");
    assert_eq!(code(&f.send(&bad).await), "0x02401003");
    assert_eq!(
        code(&f.call(VERSION, json!({})).await),
        "0",
        "bad calls use no quota"
    );
}

#[tokio::test]
async fn faults_give_a_5xx_or_a_dropped_connection() {
    let f = Fixture::new().await;
    f.sim.faults.fail_next(1, 503);
    let res = Req::signed(VERSION, &json!({})).send(f.base()).await;
    assert_eq!(res.status(), 503);
    assert_eq!(
        code(&f.call(VERSION, json!({})).await),
        "0",
        "only the next one fails"
    );

    f.sim.faults.drop_next(1);
    let req = Req::signed(VERSION, &json!({}));
    let outcome = match req.try_send(f.base()).await {
        Ok(res) => res.bytes().await.map(|_| ()),
        Err(e) => Err(e),
    };
    assert!(outcome.is_err(), "the dropped connection fails the call");
    assert_eq!(code(&f.call(VERSION, json!({})).await), "0");
}
