//! `hikbridge siad seed-demo`: a synthetic SIAD database in SQLite, for demos, development and
//! tests. No real person, no real face.
//!
//! Everything follows from the seed (same seed → same file contents): CIs are 10-digit
//! Ecuadorian-style cédulas (province 01–24, third digit below 6, a correct modulo-10 check
//! digit) drawn at random, so they look valid but belong to nobody we know of; names come from
//! small built-in Spanish lists; e-mails are on the reserved `example.edu` domain. About 80 % are
//! students (`E`), 12 % teachers (`D`) and 8 % staff (`A`); students are enrolled in one program
//! and one or both periods. Photos are [`crate::photo::placeholder_portrait`] JPEGs (480×600).
//!
//! The first four people are students of SOFTWARE in 2026-1 with deliberately bad photos
//! ([`ProblemCase`]), so the photo errors can be shown and tested: no photo, a tiny 80×60 JPEG, a
//! PNG, and bytes that are not an image.

use super::model::SiadPerson;
use super::sqlite::SCHEMA;
use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// Programs (`carrera`) students are enrolled in.
pub const PROGRAMS: [&str; 4] = ["SOFTWARE", "MEDICINA", "DERECHO", "ENFERMERIA"];
/// Academic periods (`idper`).
pub const PERIODS: [&str; 2] = ["2026-1", "2026-2"];
/// The program and period of the problem cases.
pub const PROBLEM_PROGRAM: &str = "SOFTWARE";
pub const PROBLEM_PERIOD: &str = "2026-1";
/// Size of the normal placeholder portraits.
pub const PORTRAIT_SIZE: (u32, u32) = (480, 600);
/// More than this is refused: the portraits take time and the demo does not need it.
pub const MAX_PEOPLE: u32 = 20_000;

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

/// A deliberately unusable photo, for tests and demos of the photo errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum ProblemCase {
    /// No `fotografias` row at all.
    NoPhoto,
    /// A valid JPEG of 80×60 px, below the minimum size.
    TinyPhoto,
    /// A 480×600 PNG (accepted by the pipeline, converted to JPEG).
    PngPhoto,
    /// Bytes that are not an image (a PDF header).
    NotAnImage,
}

impl ProblemCase {
    pub const ALL: [ProblemCase; 4] = [
        Self::NoPhoto,
        Self::TinyPhoto,
        Self::PngPhoto,
        Self::NotAnImage,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::NoPhoto => "no photo",
            Self::TinyPhoto => "tiny 80x60 JPEG",
            Self::PngPhoto => "PNG photo",
            Self::NotAnImage => "not an image",
        }
    }
}

/// What the photo of one demo person is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoPhoto {
    Portrait { seed: u64 },
    Problem { case: ProblemCase, seed: u64 },
}

/// One generated person with enrolments (students only) and photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPerson {
    pub person: SiadPerson,
    /// (program, period) pairs.
    pub enrolments: Vec<(String, String)>,
    pub photo: DemoPhoto,
}

/// What was written, for the command's output and for tests.
#[derive(Debug, Clone)]
pub struct SeedSummary {
    pub path: PathBuf,
    pub seed: u64,
    pub people: usize,
    /// Count per `TipoInfPer`.
    pub by_type: BTreeMap<String, usize>,
    /// Students per program (any period).
    pub students_by_program: BTreeMap<String, usize>,
    /// Enrolments per period.
    pub enrolments_by_period: BTreeMap<String, usize>,
    /// `fotografias` rows written.
    pub photos: usize,
    /// Each problem case with the CI and full name of the person who has it.
    pub problem_cases: Vec<(ProblemCase, String, String)>,
}

impl SeedSummary {
    /// The CI of the person with `case`, when there are enough people for it.
    pub fn ci_of(&self, case: ProblemCase) -> Option<&str> {
        self.problem_cases
            .iter()
            .find(|(c, _, _)| *c == case)
            .map(|(_, ci, _)| ci.as_str())
    }
}

impl fmt::Display for SeedSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "SIAD demo database {} (seed {}): {} people",
            self.path.display(),
            self.seed,
            self.people
        )?;
        let label = |t: &str| match t {
            "E" => "students",
            "D" => "teachers",
            "A" => "staff",
            _ => "other",
        };
        for (t, n) in &self.by_type {
            writeln!(f, "  {t} ({}): {n}", label(t))?;
        }
        let join = |m: &BTreeMap<String, usize>| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            f,
            "  students by program: {}",
            join(&self.students_by_program)
        )?;
        writeln!(
            f,
            "  enrolments by period: {}",
            join(&self.enrolments_by_period)
        )?;
        writeln!(f, "  photos stored: {}", self.photos)?;
        if !self.problem_cases.is_empty() {
            writeln!(
                f,
                "problem cases ({PROBLEM_PROGRAM} {PROBLEM_PERIOD}, for photo error demos and tests):"
            )?;
            for (case, ci, name) in &self.problem_cases {
                writeln!(f, "  {:<16} {ci}  {name}", case.label())?;
            }
        }
        Ok(())
    }
}

/// SplitMix64: small, fast and stable forever (a library RNG may change its stream).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the bias is negligible for these small n).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

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

fn cedula(rng: &mut Rng) -> String {
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

/// The people of a demo database: pure and deterministic (no photo bytes yet).
pub fn generate(people: u32, seed: u64) -> Vec<DemoPerson> {
    let mut rng = Rng(seed);
    let mut cis = HashSet::new();
    let mut emails = HashSet::new();
    (0..people)
        .map(|i| {
            let ci = loop {
                let ci = cedula(&mut rng);
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
            let problem = ProblemCase::ALL.get(i as usize).copied();
            let roll = rng.below(100);
            let person_type = match (problem, roll) {
                (Some(_), _) | (None, 0..=79) => "E",
                (None, 80..=91) => "D",
                _ => "A",
            };
            let email = (rng.below(100) >= 4 || problem.is_some()).then(|| {
                let base = format!(
                    "{}{}{}",
                    ascii_slug(first).chars().next().unwrap_or('x'),
                    ascii_slug(paternal),
                    ascii_slug(maternal).chars().next().unwrap_or('x'),
                );
                let mut candidate = base.clone();
                let mut n = 1;
                while !emails.insert(candidate.clone()) {
                    n += 1;
                    candidate = format!("{base}{n}");
                }
                format!("{candidate}@{EMAIL_DOMAIN}")
            });
            let enrolments = if person_type != "E" {
                Vec::new()
            } else if problem.is_some() {
                vec![(PROBLEM_PROGRAM.to_owned(), PROBLEM_PERIOD.to_owned())]
            } else {
                let program = rng.pick(&PROGRAMS).to_owned();
                match rng.below(4) {
                    0 => PERIODS
                        .iter()
                        .map(|p| (program.clone(), (*p).to_owned()))
                        .collect(),
                    _ => vec![(program, rng.pick(&PERIODS).to_owned())],
                }
            };
            let photo_seed = rng.next();
            DemoPerson {
                person: SiadPerson {
                    ci,
                    given_names: format!("{first} {second}"),
                    paternal_surname: paternal.to_owned(),
                    maternal_surname: maternal.to_owned(),
                    email,
                    person_type: person_type.to_owned(),
                },
                enrolments,
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

/// The bytes stored for a photo (`None`: no `fotografias` row).
pub fn photo_bytes(photo: DemoPhoto) -> Option<Vec<u8>> {
    let (w, h) = PORTRAIT_SIZE;
    match photo {
        DemoPhoto::Portrait { seed } => Some(crate::photo::placeholder_portrait(seed, w, h)),
        DemoPhoto::Problem { case, seed } => match case {
            ProblemCase::NoPhoto => None,
            ProblemCase::TinyPhoto => Some(crate::photo::placeholder_portrait(seed, 80, 60)),
            ProblemCase::PngPhoto => Some(png_portrait(seed, w, h)),
            ProblemCase::NotAnImage => {
                Some(b"%PDF-1.4\n% SIAD demo: a document stored where a photo belongs\n".to_vec())
            }
        },
    }
}

fn png_portrait(seed: u64, w: u32, h: u32) -> Vec<u8> {
    let jpeg = crate::photo::placeholder_portrait(seed, w, h);
    let mut out = std::io::Cursor::new(Vec::new());
    // Both steps work on in-memory images the process just made; on the impossible failure the
    // person simply gets the JPEG (still a valid photo).
    match image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)
        .and_then(|img| img.write_to(&mut out, image::ImageFormat::Png))
    {
        Ok(()) => out.into_inner(),
        Err(_) => jpeg,
    }
}

/// All photos, rendered on every core (placeholder portraits are CPU work).
fn render_photos(people: &[DemoPerson]) -> Vec<Option<Vec<u8>>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = people.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = people
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|p| photo_bytes(p.photo))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Creates (or replaces) the demo SIAD database at `path` with `people` synthetic people.
///
/// The file is written next to `path` under a temporary name and renamed into place, so a
/// service reading the old file never sees a half-written one.
pub async fn seed_demo(path: &Path, people: u32, seed: u64) -> anyhow::Result<SeedSummary> {
    if people > MAX_PEOPLE {
        anyhow::bail!("--people {people} is more than {MAX_PEOPLE}; a demo needs far fewer");
    }
    let demo = generate(people, seed);
    let demo_for_photos = demo.clone();
    let photos = tokio::task::spawn_blocking(move || render_photos(&demo_for_photos))
        .await
        .context("rendering the placeholder portraits failed")?;

    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(dir)
            .await
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    }
    let file_name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let mut tmp_name = file_name.to_owned();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let _ = tokio::fs::remove_file(&tmp).await;

    write_database(&tmp, &demo, &photos)
        .await
        .with_context(|| format!("cannot write the SIAD demo database {}", tmp.display()))?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut stale = path.as_os_str().to_owned();
        stale.push(suffix);
        let _ = tokio::fs::remove_file(PathBuf::from(stale)).await;
    }
    tokio::fs::rename(&tmp, path)
        .await
        .with_context(|| format!("cannot move {} to {}", tmp.display(), path.display()))?;
    Ok(summarise(path, seed, &demo, &photos))
}

async fn write_database(
    path: &Path,
    demo: &[DemoPerson],
    photos: &[Option<Vec<u8>>],
) -> anyhow::Result<()> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Delete)
        .connect()
        .await?;
    sqlx::raw_sql(SCHEMA).execute(&mut conn).await?;
    let mut tx = conn.begin().await?;
    for (d, photo) in demo.iter().zip(photos) {
        let p = &d.person;
        sqlx::query(
            "INSERT INTO informacionpersonal \
             (CIInfPer, NombInfPer, ApellInfPer, ApellMatInfPer, mailInst, TipoInfPer) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&p.ci)
        .bind(&p.given_names)
        .bind(&p.paternal_surname)
        .bind(&p.maternal_surname)
        .bind(&p.email)
        .bind(&p.person_type)
        .execute(&mut *tx)
        .await?;
        for (program, period) in &d.enrolments {
            sqlx::query("INSERT INTO matriculas (CIInfPer, carrera, idper) VALUES (?1, ?2, ?3)")
                .bind(&p.ci)
                .bind(program)
                .bind(period)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(bytes) = photo {
            sqlx::query("INSERT INTO fotografias (CIInfPer, Fotografia) VALUES (?1, ?2)")
                .bind(&p.ci)
                .bind(bytes)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    conn.close().await?;
    Ok(())
}

fn summarise(
    path: &Path,
    seed: u64,
    demo: &[DemoPerson],
    photos: &[Option<Vec<u8>>],
) -> SeedSummary {
    let mut summary = SeedSummary {
        path: path.to_owned(),
        seed,
        people: demo.len(),
        by_type: BTreeMap::new(),
        students_by_program: BTreeMap::new(),
        enrolments_by_period: BTreeMap::new(),
        photos: photos.iter().filter(|p| p.is_some()).count(),
        problem_cases: Vec::new(),
    };
    for d in demo {
        *summary
            .by_type
            .entry(d.person.person_type.clone())
            .or_default() += 1;
        if let Some((program, _)) = d.enrolments.first() {
            *summary
                .students_by_program
                .entry(program.clone())
                .or_default() += 1;
        }
        for (_, period) in &d.enrolments {
            *summary
                .enrolments_by_period
                .entry(period.clone())
                .or_default() += 1;
        }
        if let DemoPhoto::Problem { case, .. } = d.photo {
            summary
                .problem_cases
                .push((case, d.person.ci.clone(), d.person.full_name()));
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
