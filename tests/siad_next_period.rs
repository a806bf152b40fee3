//! The demo's next period (`seed::start_next_period`) on the same file the service reads: the
//! roster before and after, through the `Directory` trait, with the directory left open.

use hikbridge::config::SiadSettings;
use hikbridge::secret::Secret;
use hikbridge::siad::seed::{self, NextPeriodSummary};
use hikbridge::siad::{open, Directory, SiadPerson};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

const PEOPLE: u32 = 120;
const SEED: u64 = 42;

fn settings(url: String) -> SiadSettings {
    SiadSettings {
        url,
        user: String::new(),
        password: Secret::default(),
        password_file: String::new(),
        trust_server_certificate: false,
        ca_file: String::new(),
        pool_size: 2,
        reconcile_interval: Duration::ZERO,
        connect_timeout: Duration::from_millis(1000),
        query_timeout: Duration::from_millis(1000),
        roster_query_timeout: Duration::from_millis(1000),
        query_person_by_ci: String::new(),
        query_students_by_program_period: String::new(),
        query_staff_by_type: String::new(),
        query_photo_by_ci: String::new(),
        query_active_students: String::new(),
        query_active_staff: String::new(),
        query_current_periods: String::new(),
        query_photo_versions: String::new(),
    }
}

/// Who may enter now: the students of every current period and the active staff.
struct Roster {
    periods: Vec<String>,
    students: HashSet<String>,
    staff: HashSet<String>,
    versions: BTreeMap<String, String>,
}

impl Roster {
    async fn read(siad: &Arc<dyn Directory>) -> Roster {
        let periods = siad.current_periods().await.unwrap();
        let mut students = HashSet::new();
        for period in &periods {
            students.extend(ci_set(&siad.active_students(period).await.unwrap()));
        }
        Roster {
            students,
            staff: ci_set(&siad.active_staff().await.unwrap()),
            versions: siad
                .photo_versions()
                .await
                .unwrap()
                .unwrap()
                .into_iter()
                .collect(),
            periods,
        }
    }

    fn admits(&self, ci: &str) -> bool {
        self.students.contains(ci) || self.staff.contains(ci)
    }
}

fn ci_set(people: &[SiadPerson]) -> HashSet<String> {
    people.iter().map(|p| p.ci.clone()).collect()
}

#[tokio::test]
async fn the_next_period_changes_the_roster_case_by_case() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("siad.db");
    let seeded = seed::seed_demo(&path, PEOPLE, SEED).await.unwrap();
    // The service's directory stays open (read-only) across the change, as in the demo.
    let siad = open(&settings(format!("sqlite://{}", path.display())))
        .await
        .unwrap();
    let before = Roster::read(&siad).await;
    assert_eq!(before.periods, [seed::CURRENT_PERIOD]);

    let next: NextPeriodSummary = seed::start_next_period(&path, 7).await.unwrap();
    let after = Roster::read(&siad).await;
    print!("{next}");

    // Exactly one current period: the new one.
    assert_eq!(next.ended_period, seed::CURRENT_PERIOD);
    assert_eq!(next.period, "2027-1");
    assert_eq!(after.periods, std::slice::from_ref(&next.period));
    assert_eq!(after.students.len(), next.enrolled);

    // Every case happened, to someone on the right side of the roster.
    assert_eq!(next.graduated.len(), before.students.len() / 10);
    for ci in &next.graduated {
        assert!(
            before.students.contains(ci) && !after.admits(ci),
            "graduate {ci}"
        );
    }
    assert!(!next.new_students.is_empty());
    for ci in &next.new_students {
        assert!(
            !before.versions.contains_key(ci),
            "new {ci} was not in SIAD"
        );
        assert!(after.students.contains(ci), "new {ci}");
        assert!(after.versions.contains_key(ci), "new {ci} has a photo");
    }
    assert_eq!(next.returning.len(), 1);
    for ci in &next.returning {
        assert!(
            !before.admits(ci) && after.students.contains(ci),
            "returning {ci}"
        );
        assert!(before.versions.contains_key(ci), "{ci} was in SIAD before");
    }
    assert_eq!(next.contract_ended.len(), 1);
    for ci in &next.contract_ended {
        assert!(
            before.staff.contains(ci) && !after.admits(ci),
            "contract {ci}"
        );
    }
    // Everyone else on the old roster is still on it.
    let gone: HashSet<&String> = next.graduated.iter().chain(&next.contract_ended).collect();
    for ci in before.students.iter().chain(&before.staff) {
        assert_eq!(after.admits(ci), !gone.contains(ci), "{ci}");
    }

    // The photo version changed for exactly the changed photo; new people added theirs.
    assert_eq!(next.photo_changed.len(), 1);
    let changed: Vec<&String> = before
        .versions
        .iter()
        .filter(|(ci, v)| after.versions.get(*ci) != Some(v))
        .map(|(ci, _)| ci)
        .collect();
    assert_eq!(changed, next.photo_changed.iter().collect::<Vec<_>>());
    let added: HashSet<&String> = after
        .versions
        .keys()
        .filter(|ci| !before.versions.contains_key(*ci))
        .collect();
    assert_eq!(added, next.new_students.iter().collect());
    assert!(next.photo_similarity.iter().all(|&s| s <= 75), "{next:?}");

    // The renamed person and the new e-mail read back from SIAD.
    let renamed = &next.renamed[0];
    let person = siad.person_by_ci(&renamed.ci).await.unwrap().unwrap();
    assert_ne!(renamed.before, renamed.after);
    assert_eq!(person.full_name(), renamed.after);
    assert!(after.admits(&renamed.ci));
    let mailed = &next.email_changed[0];
    let person = siad.person_by_ci(&mailed.ci).await.unwrap().unwrap();
    assert_eq!(person.email.as_deref(), Some(mailed.after.as_str()));
    assert_ne!(mailed.before, mailed.after);

    // Never a problem case: each pick has a normal portrait.
    let problems: HashSet<&str> = seeded
        .problem_cases
        .iter()
        .map(|(_, ci, _)| ci.as_str())
        .collect();
    let picked = next
        .graduated
        .iter()
        .chain(&next.returning)
        .chain(&next.contract_ended)
        .chain(&next.photo_changed)
        .chain(next.renamed.iter().map(|c| &c.ci));
    for ci in picked {
        assert!(!problems.contains(ci.as_str()), "{ci} is a problem case");
    }

    // And the step after that works on the same file.
    let third = seed::start_next_period(&path, 7).await.unwrap();
    assert_eq!(third.ended_period, "2027-1");
    assert_eq!(siad.current_periods().await.unwrap(), [third.period]);
}

#[tokio::test]
async fn a_missing_file_is_refused_with_how_to_create_it() {
    let dir = tempfile::tempdir().unwrap();
    let err = seed::start_next_period(&dir.path().join("none.db"), 1)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("seed-demo"), "{err}");
}
