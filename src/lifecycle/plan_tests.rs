use super::*;
use crate::config::{PerType, PersonCodeRule};

const DAY: i64 = 86_400_000;
const NOW: i64 = 1_780_000_000_000;

fn person(ci: &str, ptype: &str, given: &str, family: &str) -> SiadPerson {
    SiadPerson {
        ci: ci.into(),
        given_names: given.into(),
        paternal_surname: family.into(),
        maternal_surname: String::new(),
        email: Some(format!("{ci}@example.edu")),
        person_type: ptype.into(),
    }
}

fn hik(p: &SiadPerson, org: &str) -> HikPerson {
    HikPerson {
        person_id: format!("pid-{}", p.ci),
        given_name: p.given_names.clone(),
        family_name: p.family_name(),
        email: p.email.clone().unwrap_or_default(),
        org: org.into(),
    }
}

fn known(ci: &str, state: PersonState) -> LifecyclePerson {
    LifecyclePerson {
        ci: ci.into(),
        state,
        missing_since_ms: None,
        revoked_at_ms: None,
        erased_at_ms: None,
        register_blocked: 0,
        erase_reason: None,
        erase_requested_at_ms: None,
        valid_from: None,
        valid_until: None,
    }
}

fn rules() -> Rules {
    let orgs = PerType::from_entries(
        [("E", "2"), ("D", "3"), ("*", "4")]
            .iter()
            .map(|(t, o)| (t.to_string(), o.to_string()))
            .collect(),
    );
    Rules {
        managed_orgs: orgs.values().cloned().collect(),
        orgs,
        person_code: PersonCodeRule::Ci,
        exempt: ["0000000009".to_owned()].into_iter().collect(),
        student_types: ["E".to_owned()].into_iter().collect(),
        grace_ms: 0,
        erase_after_ms: 30 * DAY,
        max_revoke_share: 0.05,
        max_revoke_count: 200,
    }
}

/// The world of one test: who is on the roster, who is in HikCentral, what is known.
#[derive(Default)]
struct World {
    roster: HashMap<String, SiadPerson>,
    census: HashMap<String, HikPerson>,
    ledger: HashMap<String, LedgerEntry>,
    people: HashMap<String, LifecyclePerson>,
    siad_types: HashMap<String, Option<String>>,
    new_faces: HashSet<String>,
    with_photo: HashSet<String>,
    students: Option<Coverage>,
}

impl World {
    fn on_roster(&mut self, p: &SiadPerson) {
        self.roster.insert(p.ci.clone(), p.clone());
        self.with_photo.insert(p.ci.clone());
    }

    fn in_hik(&mut self, p: &SiadPerson, org: &str) {
        self.census.insert(p.ci.clone(), hik(p, org));
        self.siad_types
            .insert(p.ci.clone(), Some(p.person_type.clone()));
    }

    fn plan_with(&self, rules: &Rules) -> Plan {
        plan(&PlanInput {
            roster: &self.roster,
            students: self.students.as_ref().unwrap_or(&Coverage::Usable),
            staff: &Coverage::Usable,
            census: &self.census,
            ledger: &self.ledger,
            people: &self.people,
            siad_types: &self.siad_types,
            new_faces: &self.new_faces,
            with_photo: &self.with_photo,
            rules,
            now_ms: NOW,
        })
    }

    fn plan(&self) -> Plan {
        self.plan_with(&rules())
    }
}

fn action_of(plan: &Plan, ci: &str) -> Option<ActionKind> {
    plan.actions.iter().find(|a| a.ci == ci).map(|a| a.action)
}

/// Fifty students on the roster and in HikCentral, to keep shares realistic.
fn campus() -> World {
    let mut w = World::default();
    for i in 0..50 {
        let p = person(&format!("17000000{i:02}"), "E", "Ana", "Mora");
        w.on_roster(&p);
        w.in_hik(&p, "2");
    }
    w
}

#[test]
fn a_graduate_is_revoked_and_everyone_unchanged_is_left_alone() {
    let mut w = campus();
    let grad = person("1800000001", "E", "Luis", "Paz");
    w.in_hik(&grad, "2");
    let p = w.plan();
    assert_eq!(action_of(&p, "1800000001"), Some(ActionKind::Revoke));
    assert_eq!(p.actions.len(), 1);
    assert_eq!((p.managed, p.unchanged), (51, 50));
    assert_eq!(p.newly_off, ["1800000001"]);
    assert_eq!(p.hold_reason(&rules()), None);
}

#[test]
fn a_returning_student_is_restored_a_renamed_one_refreshed_a_new_face_replaced() {
    let mut w = campus();
    w.people.insert(
        "1700000001".into(),
        known("1700000001", PersonState::Revoked),
    );
    let renamed = person("1700000002", "E", "Ana María", "Mora");
    w.roster.insert(renamed.ci.clone(), renamed);
    w.new_faces.insert("1700000003".into());
    let p = w.plan();
    assert_eq!(action_of(&p, "1700000001"), Some(ActionKind::Restore));
    assert_eq!(action_of(&p, "1700000002"), Some(ActionKind::RefreshPerson));
    assert!(p
        .actions
        .iter()
        .any(|a| a.reason.contains("name") && !a.reason.contains("María")));
    assert_eq!(action_of(&p, "1700000003"), Some(ActionKind::RefreshFace));
}

#[test]
fn a_new_student_is_registered_only_with_a_photo_and_not_after_an_erasure_request() {
    let mut w = campus();
    let new = person("1900000001", "E", "Eva", "Ruiz");
    let no_photo = person("1900000002", "E", "Iván", "Soto");
    let erased = person("1900000003", "E", "Olga", "Vera");
    w.on_roster(&new);
    w.roster.insert(no_photo.ci.clone(), no_photo);
    w.on_roster(&erased);
    let mut blocked = known("1900000003", PersonState::Erased);
    blocked.register_blocked = 1;
    w.people.insert("1900000003".into(), blocked);
    let p = w.plan();
    assert_eq!(action_of(&p, "1900000001"), Some(ActionKind::Register));
    assert_eq!(action_of(&p, "1900000002"), Some(ActionKind::Skip));
    assert_eq!(action_of(&p, "1900000003"), Some(ActionKind::Skip));
}

#[test]
fn revoked_people_are_erased_after_erase_after_days_and_never_when_exempt() {
    let mut w = campus();
    for (ci, days) in [("1800000001", 31), ("1800000002", 5), ("0000000009", 400)] {
        let p = person(ci, "E", "X", "Y");
        w.in_hik(&p, "2");
        let mut k = known(ci, PersonState::Revoked);
        k.revoked_at_ms = Some(NOW - days * DAY);
        w.people.insert(ci.into(), k);
    }
    let p = w.plan();
    assert_eq!(action_of(&p, "1800000001"), Some(ActionKind::Erase));
    assert_eq!(action_of(&p, "1800000002"), None);
    assert_eq!(action_of(&p, "0000000009"), Some(ActionKind::Skip));
    let mut never = rules();
    never.erase_after_ms = 0;
    assert_eq!(action_of(&w.plan_with(&never), "1800000001"), None);
}

#[test]
fn people_outside_the_managed_organisations_or_siad_are_only_reported() {
    let mut w = campus();
    let guard = person("1500000001", "A", "Pedro", "Lara");
    w.census.insert(guard.ci.clone(), hik(&guard, "99"));
    let contractor = person("1500000002", "A", "Rosa", "Gil");
    w.census
        .insert(contractor.ci.clone(), hik(&contractor, "4"));
    w.siad_types.insert(contractor.ci.clone(), None);
    let on_roster_elsewhere = person("1700000007", "E", "Ana", "Mora");
    w.census.insert(
        on_roster_elsewhere.ci.clone(),
        hik(&on_roster_elsewhere, "99"),
    );
    let p = w.plan();
    for ci in ["1500000001", "1500000002", "1700000007"] {
        assert_eq!(action_of(&p, ci), Some(ActionKind::Unmanaged), "{ci}");
    }
    assert_eq!(p.count(ActionKind::Revoke), 0);
}

#[test]
fn an_unusable_students_roster_revokes_no_student_but_staff_still_are() {
    let mut w = campus();
    w.roster.clear();
    w.students = Some(Coverage::Unusable(
        "the query for 2026-2 answered nobody".into(),
    ));
    let teacher = person("1600000001", "D", "Raúl", "Ortiz");
    w.in_hik(&teacher, "3");
    let p = w.plan();
    assert_eq!(p.count(ActionKind::Revoke), 1);
    assert_eq!(action_of(&p, "1600000001"), Some(ActionKind::Revoke));
    assert_eq!(p.count(ActionKind::Skip), 50);
    assert!(p
        .actions
        .iter()
        .filter(|a| a.action == ActionKind::Skip)
        .all(|a| a.reason.contains("students roster is unusable")));
}

#[test]
fn the_grace_delays_a_revocation_from_the_day_someone_was_first_off_the_roster() {
    let mut w = campus();
    let grad = person("1800000001", "E", "Luis", "Paz");
    w.in_hik(&grad, "2");
    let mut graceful = rules();
    graceful.grace_ms = 7 * DAY;
    let p = w.plan_with(&graceful);
    assert_eq!(action_of(&p, "1800000001"), Some(ActionKind::Skip));
    assert_eq!(p.newly_off, ["1800000001"]);
    let mut k = known("1800000001", PersonState::Active);
    k.missing_since_ms = Some(NOW - 8 * DAY);
    w.people.insert("1800000001".into(), k);
    let p = w.plan_with(&graceful);
    assert_eq!(action_of(&p, "1800000001"), Some(ActionKind::Revoke));
    assert!(p.newly_off.is_empty());
}

#[test]
fn a_plan_revoking_more_than_the_share_or_the_count_is_held() {
    let mut w = campus();
    for i in 0..3 {
        let p = person(&format!("18000000{i:02}"), "E", "X", "Y");
        w.in_hik(&p, "2");
    }
    let p = w.plan();
    assert_eq!(p.count(ActionKind::Revoke), 3);
    let why = p.hold_reason(&rules()).unwrap();
    assert!(
        why.contains("3 of 53") && why.contains("max_revoke_share"),
        "{why}"
    );
    let mut lax = rules();
    lax.max_revoke_share = 0.5;
    assert_eq!(p.hold_reason(&lax), None);
    lax.max_revoke_count = 2;
    assert!(p.hold_reason(&lax).unwrap().contains("max_revoke_count"));
}
