//! The synthetic people of the demo SIAD: SplitMix64 draws, Ecuadorian-style cédulas with their
//! modulo-10 check digit, Spanish names, unique `example.edu` e-mails, types, and (from
//! `seed/history.rs`) enrolments and contracts.

use super::{history, DemoPerson, DemoPhoto, ProblemCase};
use crate::siad::model::SiadPerson;
use crate::splitmix::SplitMix64;
use std::collections::HashSet;

const MALE: [&str; 16] = [
    "Juan", "Carlos", "Luis", "José", "Andrés", "Diego", "Miguel", "Jorge", "Fernando", "Pablo",
    "Santiago", "Mateo", "Alberto", "Ricardo", "Esteban", "Tomás",
];
const FEMALE: [&str; 16] = [
    "María",
    "Ana",
    "Lucía",
    "Gabriela",
    "Daniela",
    "Sofía",
    "Valentina",
    "Camila",
    "Paola",
    "Andrea",
    "Carolina",
    "Fernanda",
    "Isabel",
    "Elena",
    "Verónica",
    "Mónica",
];
const SURNAMES: [&str; 24] = [
    "Pérez",
    "García",
    "Rodríguez",
    "López",
    "Martínez",
    "Sánchez",
    "Ramírez",
    "Torres",
    "Flores",
    "Rivera",
    "Gómez",
    "Díaz",
    "Vera",
    "Mendoza",
    "Cedeño",
    "Zambrano",
    "Moreira",
    "Macías",
    "Chávez",
    "Castillo",
    "Vásquez",
    "Andrade",
    "Intriago",
    "Muñoz",
];
const EMAIL_DOMAIN: &str = "uni.example.edu";

/// The modulo-10 check digit of an Ecuadorian cédula, from its first nine digits.
fn check_digit(first_nine: &[u8; 9]) -> u8 {
    let sum: u32 = first_nine
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let p = u32::from(d) * if i % 2 == 0 { 2 } else { 1 };
            if p > 9 {
                p - 9
            } else {
                p
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// Whether `ci` is shaped like a natural person's cédula: 10 digits, province 01–24, third
/// digit below 6, correct check digit.
pub fn cedula_is_valid(ci: &str) -> bool {
    let digits: Vec<u8> = ci.bytes().map(|b| b.wrapping_sub(b'0')).collect();
    if digits.len() != 10 || digits.iter().any(|&d| d > 9) {
        return false;
    }
    let province = digits[0] * 10 + digits[1];
    let mut first_nine = [0u8; 9];
    first_nine.copy_from_slice(&digits[..9]);
    (1..=24).contains(&province) && digits[2] < 6 && check_digit(&first_nine) == digits[9]
}

fn cedula(rng: &mut SplitMix64) -> String {
    let province = 1 + rng.below(24) as u8;
    let mut d = [0u8; 9];
    d[0] = province / 10;
    d[1] = province % 10;
    d[2] = rng.below(6) as u8;
    for slot in d.iter_mut().skip(3) {
        *slot = rng.below(10) as u8;
    }
    let check = check_digit(&d);
    d.iter()
        .chain(std::iter::once(&check))
        .map(|&x| char::from(b'0' + x))
        .collect()
}

/// Lower-case ASCII letters only (accents folded): `Muñoz` → `munoz`.
fn ascii_slug(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let c = match c {
                'á' | 'Á' => 'a',
                'é' | 'É' => 'e',
                'í' | 'Í' => 'i',
                'ó' | 'Ó' => 'o',
                'ú' | 'Ú' | 'ü' | 'Ü' => 'u',
                'ñ' | 'Ñ' => 'n',
                other => other,
            };
            c.is_ascii_alphabetic().then(|| c.to_ascii_lowercase())
        })
        .collect()
}

/// A new person's identity: a CI not in `cis`, Spanish names, and an e-mail not in `emails`
/// (always when `always_email`, else 96 % of the time); both sets gain what was drawn.
pub(super) fn identity(
    rng: &mut SplitMix64,
    cis: &mut HashSet<String>,
    emails: &mut HashSet<String>,
    person_type: &str,
    always_email: bool,
) -> SiadPerson {
    let ci = loop {
        let ci = cedula(rng);
        if cis.insert(ci.clone()) {
            break ci;
        }
    };
    let names: &[&str] = if rng.below(2) == 0 { &MALE } else { &FEMALE };
    let first = rng.pick(names);
    let second = loop {
        let n = rng.pick(names);
        if n != first {
            break n;
        }
    };
    let paternal = rng.pick(&SURNAMES);
    let maternal = rng.pick(&SURNAMES);
    let email = (rng.below(100) >= 4 || always_email)
        .then(|| unique_email(&[first, paternal, maternal], emails));
    SiadPerson {
        ci,
        given_names: format!("{first} {second}"),
        paternal_surname: paternal.to_owned(),
        maternal_surname: maternal.to_owned(),
        email,
        person_type: person_type.to_owned(),
    }
}

/// `first initial + paternal surname + maternal initial`, numbered from 2 when taken, on the
/// demo domain; the result is added to `emails`.
pub(super) fn unique_email(
    [first, paternal, maternal]: &[&str; 3],
    emails: &mut HashSet<String>,
) -> String {
    let base = format!(
        "{}{}{}",
        ascii_slug(first).chars().next().unwrap_or('x'),
        ascii_slug(paternal),
        ascii_slug(maternal).chars().next().unwrap_or('x'),
    );
    let mut candidate = format!("{base}@{EMAIL_DOMAIN}");
    let mut n = 1;
    while !emails.insert(candidate.clone()) {
        n += 1;
        candidate = format!("{base}{n}@{EMAIL_DOMAIN}");
    }
    candidate
}

/// Another given name for a person (a correction the registry makes): the second given name
/// replaced by one from the same list, or a fixed one when the lists do not know the first.
pub(super) fn corrected_given_names(rng: &mut SplitMix64, given_names: &str) -> String {
    let first = given_names.split_whitespace().next().unwrap_or("Ana");
    let names: &[&str] = if MALE.contains(&first) {
        &MALE
    } else {
        &FEMALE
    };
    loop {
        let second = rng.pick(names);
        let candidate = format!("{first} {second}");
        if second != first && candidate != given_names {
            return candidate;
        }
    }
}

/// The people of a demo database: pure and deterministic (no photo bytes yet). Dates (periods,
/// contracts) are days relative to the day the file is written.
pub fn generate(people: u32, seed: u64) -> Vec<DemoPerson> {
    let mut rng = SplitMix64(seed);
    let mut cis = HashSet::new();
    let mut emails = HashSet::new();
    (0..people)
        .map(|i| {
            let problem = ProblemCase::ALL.get(i as usize).copied();
            let roll = rng.below(100);
            let person_type = match (problem, roll) {
                (Some(_), _) | (None, 0..=79) => "E",
                (None, 80..=91) => "D",
                _ => "A",
            };
            let person = identity(
                &mut rng,
                &mut cis,
                &mut emails,
                person_type,
                problem.is_some(),
            );
            let (enrolments, contracts) = match (person_type, problem) {
                (_, Some(_)) => (history::problem_enrolments(), Vec::new()),
                ("E", None) => (history::enrolments(&mut rng), Vec::new()),
                _ => (Vec::new(), history::contracts(&mut rng)),
            };
            let photo_seed = rng.next();
            DemoPerson {
                person,
                enrolments,
                contracts,
                photo: match problem {
                    Some(case) => DemoPhoto::Problem {
                        case,
                        seed: photo_seed,
                    },
                    None => DemoPhoto::Portrait { seed: photo_seed },
                },
            }
        })
        .collect()
}
