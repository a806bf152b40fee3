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
        assert_eq!(
            demo[i].enrolments,
            vec![(PROBLEM_PROGRAM.to_owned(), PROBLEM_PERIOD.to_owned())]
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
