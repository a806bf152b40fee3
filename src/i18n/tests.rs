//! The catalogue walked key by key: every message has a sample here (the list of keys comes
//! from the enum itself, so a new message without a sample fails), and every sample renders
//! to a non-empty sentence in both languages, different in each, stored and read back alike.

use super::{Language, Message as M};
use std::collections::BTreeSet;

/// One message of each key, with sample parameters (no English or Spanish words in them, so
/// the language checks below see only the catalogue's own words).
fn samples() -> Vec<M> {
    let err = || {
        Box::new(M::HikCentralUnreachable {
            detail: "ECONNREFUSED".into(),
        })
    };
    vec![
        M::Success,
        M::PersonAlreadyRegistered,
        M::PhotoIncompatible,
        M::DryRunWouldRegister,
        M::HikCentralAnswered {
            code: "2".into(),
            msg: "XYZ".into(),
        },
        M::AlreadyInHikCentral,
        M::PersonCodeTaken,
        M::Registered,
        M::RegisteredAnd {
            done: Box::new(M::AccessLevelsApplied {
                levels: "7, 8".into(),
            }),
        },
        M::RegisteredBut {
            problem: Box::new(M::AccessLevelAddFailed {
                level: "9".into(),
                error: err(),
            }),
        },
        M::WouldRegister {
            name: "Juan Alberto Perez Garcia".into(),
        },
        M::PhotoUpdated,
        M::HikCentralRefused {
            code: "0x00072204".into(),
            msg: "XYZ".into(),
        },
        M::HikCentralRefusedPhoto { msg: "XYZ".into() },
        M::FaceCheckRefusedPhoto { msg: "XYZ".into() },
        M::NoSiadPhoto,
        M::PhotoEmpty,
        M::PhotoTooLarge {
            bytes: 9_000_000,
            max: 8_388_608,
        },
        M::PhotoFormat {
            detected: "gif".into(),
        },
        M::PhotoUndecodable {
            detail: "EOF".into(),
        },
        M::PhotoTooSmall {
            width: 80,
            height: 60,
            min_width: 200,
            min_height: 200,
        },
        M::PhotoTooManyPixels {
            width: 20_000,
            height: 100,
            max: 8000,
        },
        M::PhotoCannotFit { max: 204_800 },
        M::NoAccessLevel {
            person_type: "D".into(),
        },
        M::AccessLevelsApplied {
            levels: "7, 8".into(),
        },
        M::AccessLevelAddFailed {
            level: "9".into(),
            error: err(),
        },
        M::AccessLevelsNotApplied {
            levels: "7".into(),
            error: err(),
        },
        M::DevicesApplied,
        M::DevicesPending { count: 3 },
        M::DevicesRefused {
            items: "3,0,1,2,4,99".into(),
        },
        M::ApplicationResultUnreadable { error: err() },
        M::FaceUpdateUnsupported,
        M::FaceNotShown,
        M::FaceReadBackFailed { error: err() },
        M::FaceDoesNotDownload,
        M::PreviousFaceKept,
        M::PhotosCompared,
        M::NoUsableSiadPhoto,
        M::NoHikCentralPhoto,
        M::NoHikCentralPhotoForCi {
            ci: "1712345678".into(),
        },
        M::BadCi { ci: "12-34".into() },
        M::UnknownCi {
            ci: "1712345678".into(),
        },
        M::PersonCodeUnfit {
            ci: "12345678901234567".into(),
            rule: "ci".into(),
        },
        M::NotRegistered {
            ci: "1712345678".into(),
        },
        M::SiadUnreachable {
            detail: "ETIMEDOUT".into(),
        },
        M::SiadQueryFailed {
            detail: "SQL-42".into(),
        },
        M::SiadUnexpectedRow {
            detail: "CIInfPer".into(),
        },
        M::SiadSettingsUnusable {
            detail: "mssql://".into(),
        },
        M::SiadNotConfigured,
        M::HikCentralNotConfigured,
        M::NoOrg {
            person_type: "X".into(),
        },
        M::HikCentralError {
            code: "0x02401009".into(),
            msg: "XYZ".into(),
        },
        M::HikCentralHttp {
            status: 502,
            message: "XYZ".into(),
        },
        M::HikCentralUnreachable {
            detail: "ECONNREFUSED".into(),
        },
        M::HikCentralGaveUp {
            attempts: 3,
            last: "HTTP 503".into(),
        },
        M::HikCentralUnreadable {
            detail: "EOF".into(),
        },
        M::InternalError,
        M::LedgerFailed,
        M::ProgramRequired,
        M::PersonTypeRequired,
        M::UpdateBodyInvalid {
            detail: "EOF".into(),
        },
        M::OneJobSelector,
        M::NoSuchJob {
            id: "0b8e6f0e".into(),
        },
        M::JobEnded {
            id: "0b8e6f0e".into(),
        },
    ]
}

/// Every key of the enum, as serde knows them: an unknown key's error lists all of them.
fn every_key() -> BTreeSet<String> {
    let err = serde_json::from_str::<M>(r#"{"key":"no_such_key"}"#)
        .unwrap_err()
        .to_string();
    let list = err
        .split("expected one of")
        .nth(1)
        .expect("serde lists the keys");
    list.split(',')
        .map(|k| k.trim().trim_matches(|c| c == '`' || c == ' ').to_owned())
        .map(|k| k.split('`').next().unwrap_or_default().to_owned())
        .filter(|k| !k.is_empty())
        .collect()
}

fn key_of(m: &M) -> String {
    serde_json::to_value(m).unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn every_key_has_a_sample() {
    let keys = every_key();
    assert!(keys.len() > 50, "the key list was read: {keys:?}");
    let sampled: BTreeSet<String> = samples().iter().map(key_of).collect();
    let missing: Vec<&String> = keys.difference(&sampled).collect();
    assert!(
        missing.is_empty(),
        "messages without a sample in i18n/tests.rs: {missing:?}"
    );
}

#[test]
fn every_message_has_a_spanish_and_an_english_text_and_they_differ() {
    for m in samples() {
        let es = m.render(Language::Es);
        let en = m.render(Language::En);
        assert!(
            !es.trim().is_empty() && !en.trim().is_empty(),
            "{m:?}: empty text"
        );
        if m == M::Success {
            // The contract's literal, compared by the frontend: never translated.
            assert_eq!((es.as_str(), en.as_str()), ("Success", "Success"));
            continue;
        }
        assert_ne!(es, en, "{m:?}: the same text in both languages");
        for english in [
            " the ", " is ", " not ", " has ", " cannot ", "photo", "could",
        ] {
            assert!(
                !es.contains(english),
                "{m:?}: English {english:?} in the Spanish text {es:?}"
            );
        }
        for spanish in ['á', 'é', 'í', 'ó', 'ú', 'ñ', '¿'] {
            assert!(
                !en.contains(spanish),
                "{m:?}: {spanish:?} in the English text {en:?}"
            );
        }
    }
}

#[test]
fn the_ci_is_called_cedula_in_spanish() {
    for m in samples() {
        let en = m.render(Language::En);
        if en.contains("CI ") {
            let es = m.render(Language::Es);
            assert!(
                es.contains("cédula") && !es.contains("CI "),
                "{m:?}: {es:?}"
            );
        }
    }
    assert_eq!(
        M::UnknownCi {
            ci: "1712345678".into()
        }
        .render(Language::Es),
        "el SIAD no tiene ninguna persona con la cédula 1712345678"
    );
}

#[test]
fn stored_messages_render_later_in_either_language_and_older_text_stays_as_it_is() {
    for m in samples() {
        let stored = m.to_stored();
        for lang in Language::ALL {
            assert_eq!(M::render_stored(&stored, lang), m.render(lang), "{stored}");
        }
    }
    let old = "registered in HikCentral";
    assert_eq!(M::render_stored(old, Language::Es), old);
    let not_a_message = r#"{"key":"renamed_since"}"#;
    assert_eq!(M::render_stored(not_a_message, Language::Es), not_a_message);
}

#[test]
fn languages_read_their_tags() {
    assert_eq!(Language::from_tag("es-EC"), Some(Language::Es));
    assert_eq!(Language::from_tag("EN"), Some(Language::En));
    assert_eq!(Language::from_tag("fr"), None);
    assert_eq!(Language::from_tag(""), None);
    assert_eq!(Language::Es.to_string(), "es");
}

#[test]
fn a_face_failure_on_the_devices_tells_the_operator_to_replace_the_photo() {
    let refused = M::DevicesRefused {
        items: "3,0".into(),
    };
    let en = refused.render(Language::En);
    assert!(
        en.contains("incorrect face information: replace the photo"),
        "{en}"
    );
    assert!(en.contains("device exception"), "{en}");
    let es = refused.render(Language::Es);
    assert!(
        es.contains("información facial incorrecta: reemplace la fotografía"),
        "{es}"
    );
    assert!(es.contains("falla del dispositivo"), "{es}");
}
