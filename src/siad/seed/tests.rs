//! Unit tests of the demo SIAD seeder: cédulas, the mix of people, the problem photos.

use super::*;
use std::collections::HashSet;

#[test]
fn cedulas_are_valid_looking_unique_and_deterministic() {
    let a = generate(500, 7);
    let b = generate(500, 7);
    assert_eq!(a, b);
    let cis: HashSet<_> = a.iter().map(|d| d.person.ci.clone()).collect();
    assert_eq!(cis.len(), 500);
    assert!(a.iter().all(|d| cedula_is_valid(&d.person.ci)));
    assert_ne!(generate(5, 8)[0].person.ci, a[0].person.ci);
}

#[test]
fn known_cedula_check_digit() {
    // 171234567 → weighted digits 2,7,2,2,6,4,1,6,5 = 35 → check (10 − 5) % 10 = 5.
    assert!(cedula_is_valid("1712345675"));
    assert!(!cedula_is_valid("1712345674"));
    assert!(!cedula_is_valid("9912345675"));
    assert!(!cedula_is_valid("17123456"));
}

#[test]
fn mix_of_types_and_problem_cases_first() {
    let demo = generate(300, 42);
    let count = |t: &str| demo.iter().filter(|d| d.person.person_type == t).count();
    assert!(count("E") > 200 && count("D") > 10 && count("A") > 5);
    for (i, case) in ProblemCase::ALL.iter().enumerate() {
        assert!(
            matches!(demo[i].photo, DemoPhoto::Problem { case: c, .. } if c == *case),
            "{i}: {:?}",
            demo[i].photo
        );
        // In the problem period (the /biometrico demos) and on today's roster.
        assert_eq!(
            demo[i].enrolments,
            vec![
                (PROBLEM_PROGRAM.to_owned(), PROBLEM_PERIOD.to_owned()),
                (PROBLEM_PROGRAM.to_owned(), CURRENT_PERIOD.to_owned())
            ]
        );
    }
    let emails: Vec<_> = demo.iter().filter_map(|d| d.person.email.clone()).collect();
    let unique: HashSet<_> = emails.iter().collect();
    assert_eq!(unique.len(), emails.len());
    assert!(emails
        .iter()
        .all(|e| e.is_ascii() && e.ends_with("@uni.example.edu")));
}

#[test]
fn problem_photos_are_what_they_claim() {
    let tiny = photo_bytes(DemoPhoto::Problem {
        case: ProblemCase::TinyPhoto,
        seed: 1,
    })
    .unwrap();
    let img = image::load_from_memory(&tiny).unwrap();
    assert_eq!((img.width(), img.height()), (80, 60));
    let png = photo_bytes(DemoPhoto::Problem {
        case: ProblemCase::PngPhoto,
        seed: 1,
    })
    .unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    assert_eq!(
        photo_bytes(DemoPhoto::Problem {
            case: ProblemCase::NoPhoto,
            seed: 1
        }),
        None
    );
    let junk = photo_bytes(DemoPhoto::Problem {
        case: ProblemCase::NotAnImage,
        seed: 1,
    })
    .unwrap();
    assert!(image::load_from_memory(&junk).is_err());
}

#[test]
fn history_has_every_case_of_the_roster() {
    let demo = generate(2000, 42);
    let students: Vec<&DemoPerson> = demo
        .iter()
        .filter(|d| d.person.person_type == "E")
        .collect();
    let only = |periods: &[&str]| {
        students
            .iter()
            .filter(|d| {
                let mine: Vec<&str> = d.enrolments.iter().map(|(_, p)| p.as_str()).collect();
                mine == periods
            })
            .count()
    };
    let continuing = students
        .iter()
        .filter(|d| d.enrolled_in(PREVIOUS_PERIOD) && d.enrolled_in(CURRENT_PERIOD))
        .count();
    let graduated = only(&[PREVIOUS_PERIOD]) + only(&[EARLIER_PERIOD, PREVIOUS_PERIOD]);
    let new = only(&[CURRENT_PERIOD]);
    let came_back = only(&[EARLIER_PERIOD, CURRENT_PERIOD]);
    let left = only(&[EARLIER_PERIOD]);
    assert_eq!(
        continuing + graduated + new + came_back + left,
        students.len(),
        "every student is one of the cases"
    );
    // Most continue; every other case is there in numbers.
    assert!(
        continuing * 2 > students.len(),
        "{continuing} of {}",
        students.len()
    );
    for (case, n) in [
        ("graduated", graduated),
        ("new", new),
        ("came back", came_back),
        ("left", left),
    ] {
        assert!(
            n * 100 >= students.len() * 4,
            "{case}: {n} of {}",
            students.len()
        );
    }
    // Each student keeps one program.
    assert!(students.iter().all(|d| {
        let programs: HashSet<&str> = d.enrolments.iter().map(|(c, _)| c.as_str()).collect();
        programs.len() == 1
    }));

    let staff: Vec<&DemoPerson> = demo
        .iter()
        .filter(|d| d.person.person_type != "E")
        .collect();
    assert!(staff
        .iter()
        .all(|d| !d.contracts.is_empty() && d.enrolments.is_empty()));
    assert!(students.iter().all(|d| d.contracts.is_empty()));
    let ended = staff.iter().filter(|d| !d.active_staff()).count();
    let renewed = staff.iter().filter(|d| d.contracts.len() == 2).count();
    assert!(ended * 100 >= staff.len() * 3, "{ended} of {}", staff.len());
    assert!(
        ended * 100 <= staff.len() * 15,
        "{ended} of {}",
        staff.len()
    );
    assert!(renewed > 0);
    assert!(staff
        .iter()
        .filter(|d| d.contracts.len() == 2)
        .all(|d| d.active_staff()));
}

#[test]
fn contracts_cover_their_days_and_dates_move_by_days() {
    let open = Contract {
        from: -10,
        until: None,
    };
    assert!(open.covers(-10) && open.covers(0) && open.covers(10_000));
    assert!(!open.covers(-11));
    let ended = Contract {
        from: -100,
        until: Some(-1),
    };
    assert!(ended.covers(-1) && !ended.covers(0));
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    assert_eq!(day_from(today, -1).to_string(), "2026-02-28");
    assert_eq!(day_from(today, 150).to_string(), "2026-07-29");
    assert_eq!(day_from(today, i64::MIN), today, "out of range stays put");
    // Exactly one seeded period covers the day of writing: the current one.
    let covering: Vec<&str> = PERIODS
        .iter()
        .zip(PERIOD_DAYS)
        .filter(|(_, (first, last))| *first <= 0 && 0 <= *last)
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(covering, [CURRENT_PERIOD]);
    assert!(
        PERIOD_DAYS.windows(2).all(|w| w[0].1 < w[1].0),
        "no overlap"
    );
}

#[test]
fn the_period_after_is_the_next_half_year() {
    use super::changes::following_period;
    assert_eq!(following_period("2026-1").as_deref(), Some("2026-2"));
    assert_eq!(following_period("2026-2").as_deref(), Some("2027-1"));
    assert_eq!(following_period("2026-3"), None);
    assert_eq!(following_period("primavera"), None);
}

#[test]
fn a_changed_photo_looks_different() {
    let old = photo_bytes(DemoPhoto::Portrait { seed: 5 }).unwrap();
    let (new, alike) = super::changes::least_similar_portrait(&old, 99);
    assert_ne!(new, old);
    let limits = crate::photo::PhotoLimits::default();
    let measured = crate::photo::similarity(
        crate::photo::hash_image(&old, &limits).unwrap(),
        crate::photo::hash_image(&new, &limits).unwrap(),
    );
    assert_eq!(alike, measured);
    assert!(alike <= 75, "similarity {alike}: not visibly different");
}
