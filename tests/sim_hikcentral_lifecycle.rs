//! The simulated HikCentral is as strict as the reference for a person's lifecycle
//! (`shared/reference/hikcentral-lifecycle.md`): validity, access levels that reach the doors
//! only when applied, deletion behind the admin password with the IP lock, and paging through
//! tens of thousands of persons. Every call goes through the signed `ArtemisClient`.

mod common;

use bytes::Bytes;
use common::upstreams::{hik_settings, hikcentral};
use hikbridge::artemis::{ArtemisClient, ArtemisError};
use hikbridge::sim::hikcentral::{
    DeleteOutcome, HikSim, IpLockScope, NotFoundAnswer, ReapplyWithoutIds, SeedPerson,
};
use hikbridge::sim::RunningSim;
use serde_json::{json, Value};
use std::collections::HashSet;

const RES: &str = "/artemis/api/resource/v1";
const ACS: &str = "/artemis/api/acs/v1";
const ADD: &str = "/artemis/api/resource/v1/person/single/add";
const UPDATE: &str = "/artemis/api/resource/v1/person/single/update";
const DELETE: &str = "/artemis/api/resource/v1/person/single/delete";
const BY_CODE: &str = "/artemis/api/resource/v1/person/personCode/personInfo";
const REAPPLY: &str = "/artemis/api/visitor/v1/auth/reapplication";
const RESULT: &str = "/artemis/api/acs/v1/auth/applicationResult";
const PASSWORD: &str = "demo-admin-password";

const GRANTED_FACE: u32 = 196893;
const GRANTED_CARD: u32 = 198914;
const DENIED_FACE: i64 = 197151;

struct Rig {
    sim: HikSim,
    _running: RunningSim,
    c: ArtemisClient,
}

async fn rig() -> Rig {
    let (sim, running) = hikcentral(None).await;
    let settings = hik_settings(&running.base_url, &[]);
    let c = ArtemisClient::new(&settings, ArtemisClient::pacer_for(&settings)).unwrap();
    Rig {
        sim,
        _running: running,
        c,
    }
}

impl Rig {
    /// The whole envelope, failures included (`call` keeps only the code of a failure).
    async fn raw(&self, path: &str, body: Value) -> Value {
        let resp = self.c.call_raw(path, &body).await.expect("an answer");
        serde_json::from_slice(&resp.body).expect("a JSON envelope")
    }

    async fn ok(&self, path: &str, body: Value) -> Value {
        self.c
            .call(path, &body)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    async fn code(&self, path: &str, body: Value) -> String {
        match self.c.call(path, &body).await {
            Ok(_) => "0".into(),
            Err(ArtemisError::Api(c)) => c.code(),
            Err(e) => panic!("{path}: {e}"),
        }
    }

    /// A person of organisation 2 with the given validity; returns its personId.
    async fn add(&self, code: &str, begin: &str, end: &str) -> String {
        let body = json!({"personCode": code, "personGivenName": "Ana", "personFamilyName": "Paz",
            "orgIndexCode": "2", "beginTime": begin, "endTime": end, "cards": [{"cardNo": "55501"}]});
        self.ok(ADD, body).await.as_str().unwrap().to_owned()
    }

    async fn join(&self, level: &str, person_id: &str) {
        let body = json!({"privilegeGroupId": level, "type": 1, "list": [{"id": person_id}]});
        self.ok(&format!("{ACS}/privilege/group/single/addPersons"), body)
            .await;
    }

    async fn reapply(&self, person_ids: &str) {
        let body = json!({"ImmediateDownload": 0, "personIds": person_ids});
        assert_eq!(self.ok(REAPPLY, body).await, json!("null"));
    }

    /// (unApplicationCount, applicationFailCount, editAndUnApplicationCount).
    async fn statistics(&self) -> (u64, u64, u64) {
        let v = self
            .ok(RESULT, json!({"applicationResultType": 1, "type": 1}))
            .await;
        let n = |k: &str| v["statisticResult"][k].as_u64().unwrap();
        (
            n("unApplicationCount"),
            n("applicationFailCount"),
            n("editAndUnApplicationCount"),
        )
    }

    /// Record one access event and return the type the simulator kept.
    fn swipe(&self, code: &str, event_type: u32, door: &str, at: &str) -> i64 {
        self.sim
            .record_event(json!({"eventType": event_type, "happenTime": at,
            "srcIndex": door, "data": {"personCode": code}}));
        self.sim.events().last().unwrap()["eventType"]
            .as_i64()
            .unwrap()
    }
}

const BEGIN: &str = "2026-01-01T00:00:00-05:00";
const END: &str = "2026-06-30T23:59:59-05:00";
const INSIDE: &str = "2026-03-02T08:00:00-05:00";
const AFTER: &str = "2026-07-01T08:00:00-05:00";

#[tokio::test]
async fn validity_needs_a_numeric_offset_and_is_read_back_only_in_the_v21_style() {
    let r = rig().await;
    let person = |begin: &str| {
        json!({"personCode": "V1", "personGivenName": "A", "personFamilyName": "B",
               "orgIndexCode": "2", "beginTime": begin, "endTime": END})
    };
    for bad in ["2026-01-01T00:00:00", "2026-01-01T05:00:00Z", "2026-01-01"] {
        let v = r.raw(ADD, person(bad)).await;
        assert_eq!(v["code"], "0x00072003", "{bad}: {v}");
        assert!(v["msg"].as_str().unwrap().contains("beginTime"), "{v}");
    }
    let late = json!({"personCode": "V1", "personGivenName": "A", "personFamilyName": "B",
        "orgIndexCode": "2", "beginTime": BEGIN, "endTime": "2038-01-01T00:00:00-05:00"});
    assert_eq!(r.code(ADD, late.clone()).await, "0x00072002");
    r.sim.configure(|s| s.validity_capped_2037 = false);
    assert_eq!(r.code(ADD, late).await, "0");

    r.add("V2", BEGIN, END).await;
    let info = r.ok(BY_CODE, json!({"personCode": "V2"})).await;
    assert!(info.get("beginTime").is_none() && info.get("endTime").is_none());
    r.sim.configure(|s| s.validity_in_answers = true);
    let info = r.ok(BY_CODE, json!({"personCode": "V2"})).await;
    assert_eq!(
        (info["beginTime"].as_str(), info["endTime"].as_str()),
        (Some(BEGIN), Some(END))
    );
}

#[tokio::test]
async fn update_clears_validity_and_cards_left_out() {
    let r = rig().await;
    r.sim.configure(|s| s.validity_in_answers = true);
    let id = r.add("U1", BEGIN, END).await;
    let rename = json!({"personId": id, "personGivenName": "Ana Maria", "personFamilyName": "Paz",
        "orgIndexCode": "2"});
    assert_eq!(r.ok(UPDATE, rename).await, json!("null"));
    let info = r.ok(BY_CODE, json!({"personCode": "U1"})).await;
    assert_eq!(info["personGivenName"], "Ana Maria");
    assert!(
        info.get("beginTime").is_none() && info.get("endTime").is_none(),
        "{info}"
    );
    assert_eq!(info["cards"], json!([]), "{info}");
}

#[tokio::test]
async fn a_person_outside_its_applied_validity_gets_denied_events_until_a_new_one_is_applied() {
    let r = rig().await;
    r.sim.add_access_level("7", "Campus");
    let id = r.add("P1", BEGIN, END).await;
    r.join("7", &id).await;
    assert_eq!(r.statistics().await, (1, 0, 0), "added, not applied yet");
    assert_eq!(
        r.swipe("P1", GRANTED_FACE, "1", INSIDE),
        DENIED_FACE,
        "not on the devices yet"
    );
    r.reapply(&id).await;
    assert_eq!(r.statistics().await, (0, 0, 0));
    assert_eq!(
        r.swipe("P1", GRANTED_FACE, "1", INSIDE),
        i64::from(GRANTED_FACE)
    );
    assert_eq!(r.swipe("P1", GRANTED_FACE, "1", AFTER), DENIED_FACE);
    assert_eq!(
        r.swipe("P1", GRANTED_CARD, "1", AFTER),
        197633,
        "card expired"
    );

    // A longer validity is an edit: the doors still hold the old one until it is applied.
    let longer = json!({"personId": id, "personGivenName": "Ana", "personFamilyName": "Paz",
        "orgIndexCode": "2", "beginTime": BEGIN, "endTime": "2026-12-31T23:59:59-05:00"});
    r.ok(UPDATE, longer).await;
    assert_eq!(r.statistics().await, (0, 0, 1), "edited and not applied");
    assert_eq!(r.swipe("P1", GRANTED_FACE, "1", AFTER), DENIED_FACE);
    r.reapply(&id).await;
    assert_eq!(
        r.swipe("P1", GRANTED_FACE, "1", AFTER),
        i64::from(GRANTED_FACE)
    );

    // Pushed events are judged the same way.
    r.sim
        .push_events(vec![
            json!({"eventType": GRANTED_FACE, "happenTime": "2027-01-05T08:00:00-05:00",
            "srcIndex": "1", "data": {"personId": id}}),
        ])
        .await;
    assert_eq!(r.sim.events().last().unwrap()["eventType"], DENIED_FACE);
}

#[tokio::test]
async fn leaving_an_access_level_reaches_the_doors_only_when_applied_or_at_once_behind_the_switch()
{
    let r = rig().await;
    r.sim.add_access_level_with_doors("3", "Library", &["3"]);
    let id = r.add("L1", BEGIN, END).await;
    r.join("3", &id).await;
    r.reapply(&id).await;
    assert_eq!(r.sim.applied_doors("L1"), ["3"]);
    assert_eq!(
        r.swipe("L1", GRANTED_FACE, "3", INSIDE),
        i64::from(GRANTED_FACE)
    );
    assert_eq!(
        r.swipe("L1", GRANTED_CARD, "1", INSIDE),
        197635,
        "no access level at door 1"
    );

    let leave = json!({"privilegeGroupId": "3", "type": 1, "list": [{"personCode": "L1"}]});
    r.ok(
        &format!("{ACS}/privilege/group/single/deletePersons"),
        leave.clone(),
    )
    .await;
    assert!(r.sim.access_level_members("3").is_empty());
    assert_eq!(r.statistics().await, (0, 0, 1));
    assert_eq!(
        r.swipe("L1", GRANTED_FACE, "3", INSIDE),
        i64::from(GRANTED_FACE),
        "still held"
    );
    r.reapply(&id).await;
    assert_eq!(r.swipe("L1", GRANTED_FACE, "3", INSIDE), DENIED_FACE);
    assert_eq!(r.statistics().await, (0, 0, 0));

    r.sim.configure(|s| s.edits_apply_at_once = true);
    r.join("3", &id).await;
    assert_eq!(
        r.swipe("L1", GRANTED_FACE, "3", INSIDE),
        i64::from(GRANTED_FACE)
    );
    r.ok(
        &format!("{ACS}/privilege/group/single/deletePersons"),
        leave,
    )
    .await;
    assert_eq!(r.swipe("L1", GRANTED_FACE, "3", INSIDE), DENIED_FACE);
}

#[tokio::test]
async fn access_level_calls_take_at_most_20_persons_of_type_1() {
    let r = rig().await;
    r.sim.add_access_level("7", "Campus");
    let mut list = Vec::new();
    for i in 0..21 {
        let id = r.add(&format!("M{i}"), BEGIN, END).await;
        list.push(json!({"id": id}));
    }
    for call in ["addPersons", "deletePersons"] {
        let path = format!("{ACS}/privilege/group/single/{call}");
        let too_many = json!({"privilegeGroupId": "7", "type": 1, "list": list});
        assert_eq!(r.code(&path, too_many).await, "2", "{call}");
        let twenty = json!({"privilegeGroupId": "7", "type": 1, "list": list[..20]});
        assert_eq!(r.code(&path, twenty).await, "0", "{call}");
        let no_type = json!({"privilegeGroupId": "7", "list": list[..1]});
        assert_eq!(r.code(&path, no_type).await, "0x00072001", "{call}");
        let unknown = json!({"privilegeGroupId": "99", "type": 1, "list": list[..1]});
        assert_eq!(r.code(&path, unknown).await, "128", "{call}");
    }
}

#[tokio::test]
async fn access_levels_list_nested_or_flat_and_their_members_page_at_most_500() {
    let r = rig().await;
    r.sim
        .add_access_level_with_doors("7", "Campus", &["1", "2"]);
    r.sim.add_access_level("8", "Library");
    let groups = format!("{ACS}/privilege/group");
    let v = r
        .ok(&groups, json!({"pageNo": 1, "pageSize": 1, "type": 1}))
        .await;
    assert_eq!(v["total"], 2);
    let info = &v["list"][0]["PrivilegeGroupInfo"];
    assert_eq!(info.as_array().unwrap().len(), 1);
    assert_eq!(info[0]["privilegeGroupId"], "7");
    assert_eq!(info[0]["ElementList"][1]["ID"], 2, "door IDs are numbers");
    r.sim.configure(|s| s.privilege_groups_flat = true);
    let v = r
        .ok(&groups, json!({"pageNo": 2, "pageSize": 1, "type": 1}))
        .await;
    assert_eq!(v["list"][0]["privilegeGroupId"], "8");
    assert!(v["list"][0].get("PrivilegeGroupInfo").is_none());

    let mut ids = Vec::new();
    for i in 0..3 {
        let id = r.add(&format!("G{i}"), BEGIN, END).await;
        r.join("7", &id).await;
        ids.push(id);
    }
    let members = format!("{ACS}/privilege/group/single/personList");
    let page = |n: u32, size: u32| json!({"pageNo": n, "pageSize": size, "type": 1, "privilegeGroupId": "7"});
    let v = r.ok(&members, page(2, 2)).await;
    assert_eq!(v["total"], 3);
    assert_eq!(v["list"], json!([{"id": ids[2], "personCode": "G2"}]));
    assert_eq!(r.code(&members, page(1, 501)).await, "0x00072002");
}

#[tokio::test]
async fn reapplication_takes_comma_separated_strings_and_applies_only_what_it_names() {
    let r = rig().await;
    r.sim.add_access_level("7", "Campus");
    let a = r.add("R1", BEGIN, END).await;
    let b = r.add("R2", BEGIN, END).await;
    r.join("7", &a).await;
    r.join("7", &b).await;
    let array = json!({"ImmediateDownload": 0, "personIds": [a]});
    let v = r.raw(REAPPLY, array).await;
    assert_eq!(v["code"], "2", "{v}");
    assert!(
        v["msg"].as_str().unwrap().contains("comma-separated"),
        "{v}"
    );

    // Without personIds nothing is applied by default (UNCONFIRMED), yet the answer is success.
    assert_eq!(
        r.ok(REAPPLY, json!({"ImmediateDownload": 0})).await,
        json!("null")
    );
    assert_eq!(r.statistics().await, (2, 0, 0));
    r.sim
        .configure(|s| s.reapply_without_ids = ReapplyWithoutIds::Refuse);
    assert_eq!(
        r.code(REAPPLY, json!({"ImmediateDownload": 1})).await,
        "0x00072001"
    );

    let door_2 =
        json!({"ImmediateDownload": 0, "personIds": format!("{a}, 999"), "doorIndexCodes": "2"});
    r.ok(REAPPLY, door_2).await;
    assert_eq!(r.sim.applied_doors("R1"), ["2"]);
    assert_eq!(
        r.statistics().await,
        (1, 0, 1),
        "R1 half applied, R2 not at all"
    );
    r.sim
        .configure(|s| s.reapply_without_ids = ReapplyWithoutIds::ApplyAll);
    r.ok(REAPPLY, json!({"ImmediateDownload": 0})).await;
    assert_eq!(r.statistics().await, (0, 0, 0));
    assert_eq!(r.sim.applied_doors("R2"), ["1", "2", "3", "9"]);
}

#[tokio::test]
async fn application_errors_are_paged_per_device_and_a_failed_person_is_never_applied() {
    let r = rig().await;
    r.sim.add_access_level_with_doors("7", "Gates", &["1", "2"]);
    let id = r.add("E1", BEGIN, END).await;
    r.join("7", &id).await;
    r.sim.set_application_error("E1", Some("3"));
    r.reapply(&id).await;
    assert!(r.sim.applied_doors("E1").is_empty());
    assert_eq!(r.statistics().await, (0, 1, 0));
    let errors = |n: u32, size: u32| json!({"applicationResultType": 2, "type": 1, "pageNo": n, "pageSize": size});
    let v = r.ok(RESULT, errors(2, 1)).await;
    let page = &v["applicationErrorResult"];
    assert_eq!(
        (
            page["total"].as_u64(),
            page["applicationFailCount"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(page["list"][0]["deviceName"], "Face reader 2");
    assert_eq!(page["list"][0]["errorList"][0]["personCode"], "E1");
    assert_eq!(page["list"][0]["errorList"][0]["errorItems"], "3");
    assert_eq!(r.code(RESULT, errors(1, 501)).await, "0x00072002");
    assert_eq!(r.code(RESULT, errors(0, 10)).await, "0x00072002");
}

#[tokio::test]
async fn delete_needs_the_admin_password_and_wrong_ones_lock_the_callers_ip() {
    let r = rig().await;
    r.sim.configure(|s| s.delete_max_attempts = 3);
    let id = r.add("D1", BEGIN, END).await;
    let config = r
        .ok(&format!("{RES}/person/deleteconfig/get"), json!({}))
        .await;
    assert_eq!(config, json!({"enable": 1}));

    let wrong = json!({"personId": id, "adminPassword": "guess"});
    for remaining in [2, 1] {
        let v = r.raw(DELETE, wrong.clone()).await;
        assert_eq!(v["code"], "2", "{v}");
        assert_eq!(v["data"]["remainLockNumber"], remaining, "{v}");
    }
    let v = r.raw(DELETE, json!({"personId": id})).await;
    assert_eq!(
        v["data"]["remainLockNumber"], 0,
        "a missing password counts too: {v}"
    );
    // Locked: the right password is refused, and so is every other call from this IP.
    let right = json!({"personId": id, "adminPassword": PASSWORD});
    assert_eq!(r.raw(DELETE, right.clone()).await["code"], "65");
    assert_eq!(r.code(BY_CODE, json!({"personCode": "D1"})).await, "65");
    let outcomes: Vec<DeleteOutcome> = r
        .sim
        .delete_attempts()
        .into_iter()
        .map(|a| a.outcome)
        .collect();
    assert_eq!(
        outcomes,
        [
            DeleteOutcome::WrongPassword { remaining: 2 },
            DeleteOutcome::WrongPassword { remaining: 1 },
            DeleteOutcome::MissingPassword { remaining: 0 },
            DeleteOutcome::IpLocked,
        ]
    );
    assert!(r.sim.person_by_code("D1").is_some(), "nothing was deleted");

    r.sim.clear_ip_locks();
    assert_eq!(r.raw(DELETE, right).await["data"]["remainLockNumber"], 3);
    assert_eq!(r.code(BY_CODE, json!({"personCode": "D1"})).await, "128");
    r.sim
        .configure(|s| s.not_found = NotFoundAnswer::Code0x00072203);
    // The client reads both as not found; the wire code is the switch's.
    assert_eq!(
        r.raw(BY_CODE, json!({"personCode": "D1"})).await["code"],
        "0x00072203"
    );
    r.sim
        .configure(|s| s.not_found = NotFoundAnswer::EmptySuccess);
    assert_eq!(
        r.ok(BY_CODE, json!({"personCode": "D1"})).await,
        Value::Null
    );
    assert_eq!(
        r.swipe("D1", GRANTED_CARD, "1", INSIDE),
        197634,
        "card does not exist"
    );
    assert_eq!(
        r.sim.delete_attempts().last().unwrap().outcome,
        DeleteOutcome::Deleted
    );
}

#[tokio::test]
async fn the_ip_lock_can_cover_only_the_password_calls_and_delete_can_be_unsupported() {
    let r = rig().await;
    r.sim.configure(|s| {
        s.delete_max_attempts = 1;
        s.ip_lock_scope = IpLockScope::PasswordCalls;
    });
    let id = r.add("S1", BEGIN, END).await;
    let v = r
        .raw(
            DELETE,
            json!({"personCode": "S1", "adminPassword": "guess"}),
        )
        .await;
    assert_eq!(v["data"]["remainLockNumber"], 0);
    assert_eq!(r.code(BY_CODE, json!({"personCode": "S1"})).await, "0");
    let right = json!({"personId": id, "adminPassword": PASSWORD});
    assert_eq!(r.code(DELETE, right.clone()).await, "65");

    r.sim.clear_ip_locks();
    r.sim.configure(|s| s.delete_unsupported = true);
    assert_eq!(r.code(DELETE, right).await, "8");
    r.sim.configure(|s| {
        s.delete_unsupported = false;
        s.delete_requires_password = false;
    });
    let config = r
        .ok(&format!("{RES}/person/deleteconfig/get"), json!({}))
        .await;
    assert_eq!(config["enable"], 0);
    assert_eq!(r.code(DELETE, json!({"personCode": "S1"})).await, "0");
    assert!(r.sim.person_by_code("S1").is_none());
}

#[tokio::test]
async fn person_lists_show_organisation_photo_and_access_levels_only_where_offered() {
    let r = rig().await;
    r.sim.add_access_level("7", "Campus");
    let face = Bytes::from_static(&[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
    let seed = SeedPerson {
        code: "A1".into(),
        given: "Ana".into(),
        family: "Paz".into(),
        org: "3".into(),
        access_levels: vec!["7".into()],
        face: Some(face),
        ..SeedPerson::default()
    };
    r.sim.seed_persons(vec![seed]).unwrap();
    let list = format!("{RES}/person/personList");
    let body = json!({"pageNo": 1, "pageSize": 500, "showAccessLevel": 1});
    let item = &r.ok(&list, body.clone()).await["list"][0];
    assert_eq!(item["orgIndexCode"], "3");
    assert!(item["personPhoto"]["picUri"].is_string());
    assert!(
        item.get("accessLevelList").is_none(),
        "V2.1 has none (default)"
    );
    r.sim.configure(|s| s.show_access_level = true);
    let item = &r.ok(&list, body).await["list"][0];
    assert_eq!(
        item["accessLevelList"],
        json!([{"accessLevelId": 7, "accessLevelName": "Campus"}])
    );
    assert_eq!(
        r.code(&list, json!({"pageNo": 1, "pageSize": 501})).await,
        "0x00072002"
    );
    r.sim.configure(|s| s.max_answer_bytes = Some(64));
    assert_eq!(
        r.code(&list, json!({"pageNo": 1, "pageSize": 500})).await,
        "0x00072004"
    );
}

#[tokio::test]
async fn a_bad_seed_stores_nothing() {
    let r = rig().await;
    let ok = |code: &str| SeedPerson {
        code: code.into(),
        org: "2".into(),
        ..SeedPerson::default()
    };
    for (bad, why) in [
        (
            SeedPerson {
                org: "99".into(),
                ..ok("B2")
            },
            "organisation",
        ),
        (
            SeedPerson {
                access_levels: vec!["5".into()],
                ..ok("B2")
            },
            "access level",
        ),
        (
            SeedPerson {
                end: Some("2026-06-30T23:59:59".into()),
                ..ok("B2")
            },
            "endTime",
        ),
        (ok("B1"), "repeated"),
    ] {
        let err = r.sim.seed_persons(vec![ok("B1"), bad]).unwrap_err();
        assert!(err.contains(why), "{err}");
        assert!(r.sim.persons().is_empty(), "{why}: nothing stored");
    }
}

#[tokio::test]
async fn forty_thousand_seeded_persons_page_through_person_list_at_500() {
    let r = rig().await;
    r.sim.add_access_level("7", "Campus");
    let photo = Bytes::from(vec![0xFF; 2048]);
    let seeds: Vec<SeedPerson> = (0..40_000)
        .map(|i| SeedPerson {
            code: format!("{:010}", 1_700_000_000u64 + i),
            given: "Persona".into(),
            family: format!("N{i}"),
            org: if i % 10 == 0 { "3" } else { "2" }.into(),
            begin: Some(BEGIN.into()),
            end: Some(END.into()),
            access_levels: vec!["7".into()],
            face: Some(photo.clone()),
            applied: true,
        })
        .collect();
    assert_eq!(r.sim.seed_persons(seeds).unwrap().len(), 40_000);
    let mut seen = HashSet::new();
    for page in 1..=80 {
        let v = r
            .ok(
                &format!("{RES}/person/personList"),
                json!({"pageNo": page, "pageSize": 500}),
            )
            .await;
        assert_eq!(v["total"], 40_000);
        let list = v["list"].as_array().unwrap();
        assert_eq!(list.len(), 500, "page {page}");
        for p in list {
            assert!(seen.insert(p["personCode"].as_str().unwrap().to_owned()));
        }
    }
    assert_eq!(seen.len(), 40_000);
    let past = r
        .ok(
            &format!("{RES}/person/personList"),
            json!({"pageNo": 81, "pageSize": 500}),
        )
        .await;
    assert_eq!(past["list"], json!([]));
    assert_eq!(
        r.swipe("1700000007", GRANTED_FACE, "9", INSIDE),
        i64::from(GRANTED_FACE)
    );
}
