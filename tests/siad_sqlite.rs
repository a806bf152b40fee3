//! The SQLite SIAD end to end: `seed_demo` writes a database, `siad::open` reads it through the
//! `Directory` trait exactly as the service will.

use hikbridge::config::SiadSettings;
use hikbridge::secret::Secret;
use hikbridge::siad::seed::{self, ProblemCase, SeedSummary, PROBLEM_PERIOD, PROBLEM_PROGRAM};
use hikbridge::siad::{open, Directory, SiadError, SiadPerson};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use tokio::sync::OnceCell;

/// Enough people for every type and program to appear; small enough to seed quickly.
const PEOPLE: u32 = 60;
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
        query_person_by_ci: String::new(),
        query_students_by_program_period: String::new(),
        query_staff_by_type: String::new(),
        query_photo_by_ci: String::new(),
        roster_query_timeout: Duration::from_millis(1000),
        query_active_students: String::new(),
        query_active_staff: String::new(),
        query_current_periods: String::new(),
        query_photo_versions: String::new(),
    }
}

/// One demo database for the read-only tests of this binary (placeholder portraits take CPU
/// time); each test opens its own directory on it, in its own runtime.
static SHARED: OnceCell<(TempDir, SeedSummary)> = OnceCell::const_new();

async fn seeded() -> (Arc<dyn Directory>, &'static SeedSummary) {
    let (dir, summary) = SHARED
        .get_or_init(|| async {
            let dir = tempfile::tempdir().unwrap();
            // A directory that does not exist yet: seeding creates it.
            let path = dir.path().join("siad").join("demo.db");
            let summary = seed::seed_demo(&path, PEOPLE, SEED).await.unwrap();
            (dir, summary)
        })
        .await;
    assert!(summary.path.starts_with(dir.path()));
    let directory = open(&settings(format!("sqlite://{}", summary.path.display())))
        .await
        .unwrap();
    (directory, summary)
}

fn cis(people: &[SiadPerson]) -> HashSet<String> {
    people.iter().map(|p| p.ci.clone()).collect()
}

#[tokio::test]
async fn person_by_ci_found_and_not_found() {
    let (siad, _) = seeded().await;
    let expected = &seed::generate(PEOPLE, SEED)[10].person;

    let found = siad
        .person_by_ci(&format!(" {} ", expected.ci))
        .await
        .unwrap();
    assert_eq!(found.as_ref(), Some(expected));
    assert!(siad.person_by_ci("1700000000").await.unwrap().is_none());
    assert!(
        siad.describe().starts_with("sqlite "),
        "{}",
        siad.describe()
    );
    siad.ping().await.unwrap();
}

#[tokio::test]
async fn students_by_program_with_and_without_period() {
    let (siad, summary) = seeded().await;
    let demo = seed::generate(PEOPLE, SEED);
    let enrolled = |program: &str, period: Option<&str>| -> HashSet<String> {
        demo.iter()
            .filter(|d| {
                d.enrolments
                    .iter()
                    .any(|(c, p)| c == program && period.is_none_or(|want| p == want))
            })
            .map(|d| d.person.ci.clone())
            .collect()
    };

    for program in seed::PROGRAMS {
        for period in seed::PERIODS {
            let got = siad.students(program, Some(period)).await.unwrap();
            assert_eq!(
                cis(&got),
                enrolled(program, Some(period)),
                "{program} {period}"
            );
            assert!(got.iter().all(|p| p.person_type == "E"));
        }
        let any = siad.students(program, None).await.unwrap();
        assert_eq!(any.len(), cis(&any).len(), "each student once");
        assert_eq!(cis(&any), enrolled(program, None), "{program}");
        assert_eq!(any.len(), summary.students_by_program[program]);
    }
    // Every problem case is a SOFTWARE student of the problem period.
    let software = cis(&siad
        .students(PROBLEM_PROGRAM, Some(PROBLEM_PERIOD))
        .await
        .unwrap());
    for case in ProblemCase::ALL {
        assert!(software.contains(summary.ci_of(case).unwrap()), "{case:?}");
    }
    assert!(siad
        .students("ARQUITECTURA", None)
        .await
        .unwrap()
        .is_empty());
    assert!(siad
        .students("SOFTWARE", Some("1999-1"))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn staff_by_type() {
    let (siad, summary) = seeded().await;
    for person_type in ["D", "A", "E"] {
        let people = siad.staff(person_type).await.unwrap();
        assert_eq!(people.len(), summary.by_type[person_type], "{person_type}");
        assert!(people.iter().all(|p| p.person_type == person_type));
    }
    assert!(summary.by_type["D"] > 0 && summary.by_type["A"] > 0);
    assert!(siad.staff("Z").await.unwrap().is_empty());
}

#[tokio::test]
async fn photos_are_jpeg_for_normal_people_and_absent_or_broken_for_problem_cases() {
    let (siad, summary) = seeded().await;
    let normal = &seed::generate(PEOPLE, SEED)[20].person.ci;

    let jpeg = siad
        .photo(normal)
        .await
        .unwrap()
        .expect("a normal person has a photo");
    assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]), "JPEG magic");
    let img = image::load_from_memory(&jpeg).unwrap();
    assert_eq!((img.width(), img.height()), seed::PORTRAIT_SIZE);

    let ci = |case| summary.ci_of(case).unwrap();
    assert_eq!(siad.photo(ci(ProblemCase::NoPhoto)).await.unwrap(), None);
    let tiny = siad
        .photo(ci(ProblemCase::TinyPhoto))
        .await
        .unwrap()
        .unwrap();
    let tiny = image::load_from_memory(&tiny).unwrap();
    assert_eq!((tiny.width(), tiny.height()), (80, 60));
    let png = siad
        .photo(ci(ProblemCase::PngPhoto))
        .await
        .unwrap()
        .unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let junk = siad
        .photo(ci(ProblemCase::NotAnImage))
        .await
        .unwrap()
        .unwrap();
    assert!(image::load_from_memory(&junk).is_err());
    assert_eq!(siad.photo("1700000000").await.unwrap(), None);
    assert_eq!(summary.photos, PEOPLE as usize - 1);
}

#[tokio::test]
async fn same_seed_same_people_and_reseeding_replaces_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let b = dir.path().join("b.db");
    let first = seed::seed_demo(&a, 12, 7).await.unwrap();
    let second = seed::seed_demo(&b, 12, 7).await.unwrap();
    assert_eq!(first.problem_cases, second.problem_cases);
    let staff = |s: Arc<dyn Directory>| async move {
        let mut all = Vec::new();
        for t in ["E", "D", "A"] {
            all.extend(s.staff(t).await.unwrap());
        }
        all.sort_by(|x, y| x.ci.cmp(&y.ci));
        all
    };
    let from_a = staff(
        open(&settings(format!("sqlite://{}", a.display())))
            .await
            .unwrap(),
    )
    .await;
    let from_b = staff(
        open(&settings(format!("sqlite://{}", b.display())))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(from_a.len(), 12);
    assert_eq!(from_a, from_b);

    // Re-seeding the same path with another seed replaces everyone.
    let other = seed::seed_demo(&a, 12, 8).await.unwrap();
    assert_ne!(other.problem_cases, first.problem_cases);
    let reopened = staff(
        open(&settings(format!("sqlite://{}", a.display())))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reopened.len(), 12);
    assert!(cis(&reopened).is_disjoint(&cis(&from_a)));
}

#[tokio::test]
async fn contract_json_has_exactly_the_contract_keys() {
    let (siad, _) = seeded().await;
    let person = siad.staff("D").await.unwrap().remove(0);
    let json = person.to_contract_json();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "ApellInfPer",
            "ApellMatInfPer",
            "CIInfPer",
            "NombInfPer",
            "TipoInfPer",
            "mailInst"
        ]
    );
    assert_eq!(json["CIInfPer"], person.ci);
    assert_eq!(json["TipoInfPer"], "D");
}

#[tokio::test]
async fn open_explains_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite://{}", dir.path().join("none.db").display());
    let err = open(&settings(missing)).await.err().unwrap();
    assert!(matches!(err, SiadError::Unreachable(_)));
    assert!(err.to_string().contains("seed-demo"), "{err}");

    let err = open(&settings(String::new())).await.err().unwrap();
    assert!(matches!(err, SiadError::NotConfigured));

    let err = open(&settings("oracle://db/SIAD".into()))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, SiadError::Settings(_)), "{err:?}");

    // SQL Server settings are validated at open, without connecting.
    let err = open(&settings("mssql://db.example.edu/SIAD".into()))
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("siad.user"), "{err}");
}

// ---- the lifecycle's roster -------------------------------------------------------------------

#[tokio::test]
async fn the_current_period_is_the_one_covering_today() {
    let (siad, summary) = seeded().await;
    assert_eq!(
        siad.current_periods().await.unwrap(),
        [seed::CURRENT_PERIOD]
    );
    assert_eq!(summary.current_period, seed::CURRENT_PERIOD);
    let today = hikbridge::siad::sqlite::local_today();
    let (_, first, last) = summary
        .periods
        .iter()
        .find(|(id, _, _)| id == seed::CURRENT_PERIOD)
        .unwrap();
    assert!(*first <= today && today <= *last, "{first} – {last}");
}

#[tokio::test]
async fn active_students_are_the_students_enrolled_in_the_period() {
    let (siad, summary) = seeded().await;
    let demo = seed::generate(PEOPLE, SEED);
    for period in seed::PERIODS {
        let got = siad.active_students(period).await.unwrap();
        assert_eq!(got.len(), cis(&got).len(), "each student once");
        let expected: HashSet<String> = demo
            .iter()
            .filter(|d| d.enrolled_in(period))
            .map(|d| d.person.ci.clone())
            .collect();
        assert_eq!(cis(&got), expected, "{period}");
    }
    let current = siad.active_students(seed::CURRENT_PERIOD).await.unwrap();
    assert_eq!(current.len(), summary.active_students);
    // Students who graduated (previous period only) are not on the current roster.
    let graduate = demo
        .iter()
        .find(|d| d.enrolled_in(seed::PREVIOUS_PERIOD) && !d.enrolled_in(seed::CURRENT_PERIOD))
        .expect("the demo has a graduate");
    assert!(!cis(&current).contains(&graduate.person.ci));
    assert!(siad.active_students(" 1999-1 ").await.unwrap().is_empty());
}

#[tokio::test]
async fn active_staff_excludes_ended_contracts_and_students() {
    let (siad, summary) = seeded().await;
    let demo = seed::generate(PEOPLE, SEED);
    let staff = siad.active_staff().await.unwrap();
    let expected: HashSet<String> = demo
        .iter()
        .filter(|d| d.active_staff())
        .map(|d| d.person.ci.clone())
        .collect();
    assert_eq!(cis(&staff), expected);
    assert_eq!(staff.len(), summary.active_staff);
    assert!(staff.iter().all(|p| p.person_type != "E"));
    let ended: Vec<&str> = demo
        .iter()
        .filter(|d| d.person.person_type != "E" && !d.active_staff())
        .map(|d| d.person.ci.as_str())
        .collect();
    assert!(!ended.is_empty(), "the demo has a contract that ended");
    assert_eq!(ended.len(), summary.ended_contracts);
    for ci in ended {
        assert!(!cis(&staff).contains(ci), "{ci} has no active contract");
        // Still in SIAD: only the roster leaves them out.
        assert!(siad.person_by_ci(ci).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn photo_versions_are_the_sha256_of_each_stored_photo() {
    use sha2::{Digest, Sha256};
    let (siad, summary) = seeded().await;
    let versions = siad
        .photo_versions()
        .await
        .unwrap()
        .expect("SQLite has them");
    assert_eq!(versions.len(), summary.photos);
    for (ci, version) in &versions {
        let photo = siad.photo(ci).await.unwrap().unwrap();
        assert_eq!(*version, hex::encode(Sha256::digest(&photo)), "{ci}");
    }
    let no_photo = summary.ci_of(ProblemCase::NoPhoto).unwrap();
    assert!(versions.iter().all(|(ci, _)| ci != no_photo));
}
