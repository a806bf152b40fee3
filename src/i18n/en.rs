//! The English texts: one arm per message (a message without one does not compile).

use super::message::Message as M;
use super::Language;
use crate::artemis::model::ArtemisCode;

pub(super) fn render(m: &M) -> String {
    let sub = |inner: &M| inner.render(Language::En);
    match m {
        M::Success => "Success".into(),
        M::PersonAlreadyRegistered => "Person already registered".into(),
        M::PhotoIncompatible => "Photo incompatible".into(),
        M::DryRunWouldRegister => "Would register".into(),
        M::HikCentralAnswered { code, msg } => format!("HikCentral answered code {code}: {msg}"),

        M::AlreadyInHikCentral => "already registered in HikCentral".into(),
        M::PersonCodeTaken => "HikCentral already has this personCode".into(),
        M::Registered => "registered in HikCentral".into(),
        M::RegisteredAnd { done } => format!("registered in HikCentral; {}", sub(done)),
        M::RegisteredBut { problem } => format!("registered in HikCentral, but {}", sub(problem)),
        M::WouldRegister { name } => format!("would register {name} (dry run: nothing sent)"),
        M::PhotoUpdated => "photo updated in HikCentral".into(),
        M::HikCentralRefused { code, msg } => {
            format!("HikCentral refused: {}", hikcentral_code(code, msg))
        }
        M::HikCentralRefusedPhoto { msg } => format!("HikCentral refused the photo: {msg}"),
        M::FaceCheckRefusedPhoto { msg } => {
            format!("HikCentral's face check refused the photo: {msg}")
        }

        M::NoSiadPhoto => "SIAD has no photo for this person".into(),
        M::PhotoEmpty => "photo is empty; send a JPEG, PNG or BMP file".into(),
        M::PhotoTooLarge { bytes, max } => {
            format!("photo is {bytes} bytes; at most {max} bytes are accepted")
        }
        M::PhotoFormat { detected } => {
            format!("photo format is {detected}; only JPEG, PNG and BMP are accepted")
        }
        M::PhotoUndecodable { detail } => {
            format!("photo cannot be decoded ({detail}); send a complete JPEG, PNG or BMP file")
        }
        M::PhotoTooSmall {
            width,
            height,
            min_width,
            min_height,
        } => format!("photo is {width}×{height} px; at least {min_width}×{min_height} is needed"),
        M::PhotoTooManyPixels { width, height, max } => {
            format!("photo is {width}×{height} px; at most {max} px per side is accepted")
        }
        M::PhotoCannotFit { max } => format!(
            "photo cannot be compressed under {max} bytes without going below the minimum \
             size; send a simpler or smaller photo"
        ),

        M::NoAccessLevel { person_type } => format!(
            "no access level is configured for person type {person_type:?} \
             (biometrico.access_levels): the person opens no door"
        ),
        M::AccessLevelsApplied { levels } => {
            format!("added to access levels {levels} and applied to the devices")
        }
        M::AccessLevelAddFailed { level, error } => {
            format!(
                "could not add the person to access level {level}: {}",
                sub(error)
            )
        }
        M::AccessLevelsNotApplied { levels, error } => {
            format!(
                "access levels {levels} not applied to the devices: {}",
                sub(error)
            )
        }
        M::DevicesApplied => {
            "in its access levels, applied to the devices with no failure reported".into()
        }
        M::DevicesPending { count } => format!(
            "HikCentral still has {count} person(s) to apply to the devices; this person may \
             be among them"
        ),
        M::DevicesRefused { items } => {
            let words: Vec<&str> = items.split(',').map(device_error).collect();
            format!("the devices refused the person: {}", words.join("; "))
        }
        M::ApplicationResultUnreadable { error } => {
            format!(
                "HikCentral's application result could not be read: {}",
                sub(error)
            )
        }

        M::FaceUpdateUnsupported => "this HikCentral edition cannot replace a face through \
             OpenAPI (person/face/update answered 12, not supported); replace the photo in \
             HikCentral's own client, or delete and register the person again (this gives a new \
             personId and loses its access levels)"
            .into(),
        M::FaceNotShown => "HikCentral accepted the face update but shows no face for the \
             person when read back"
            .into(),
        M::FaceReadBackFailed { error } => {
            format!(
                "the face could not be read back from HikCentral: {}",
                sub(error)
            )
        }
        M::FaceDoesNotDownload => {
            "HikCentral accepted the face update but its picture does not download".into()
        }
        M::PreviousFaceKept => {
            "HikCentral accepted the face update but still holds the previous face".into()
        }

        M::PhotosCompared => "compared".into(),
        M::NoUsableSiadPhoto => "SIAD has no usable photo for this person".into(),
        M::NoHikCentralPhoto => "HikCentral has no photo for this person".into(),
        M::NoHikCentralPhotoForCi { ci } => format!("HikCentral has no photo for CI {ci}"),

        M::BadCi { ci } => format!("{ci:?} is not a valid CI: 1–32 letters or digits, no hyphens"),
        M::UnknownCi { ci } => format!("SIAD has no person with CI {ci}"),
        M::PersonCodeUnfit { ci, rule } => format!(
            "CI {ci:?} cannot be a HikCentral personCode: it must be 1 to 16 letters or digits \
             (biometrico.person_code = \"{rule}\")"
        ),
        M::NotRegistered { ci } => {
            format!("CI {ci} is not registered in HikCentral; register it first")
        }
        M::SiadUnreachable { detail } => format!("SIAD is unreachable: {detail}"),
        M::SiadQueryFailed { detail } => format!("SIAD query failed: {detail}"),
        M::SiadUnexpectedRow { detail } => format!("SIAD returned an unexpected row: {detail}"),
        M::SiadSettingsUnusable { detail } => format!("SIAD settings are not usable: {detail}"),
        M::SiadNotConfigured => "SIAD is not configured: set siad.url, e.g. \
             sqlite://data/siad-demo.db or mssql://host:1433/SIAD"
            .into(),
        M::HikCentralNotConfigured => {
            "HikCentral is not configured on this service (hikcentral.base_url)".into()
        }
        M::NoOrg { person_type } => format!(
            "no orgIndexCode for SIAD person type {person_type:?}: set \
             biometrico.org_by_person_type"
        ),
        M::HikCentralError { code, msg } => hikcentral_code(code, msg),
        M::HikCentralHttp { status, message } => {
            format!("HikCentral answered HTTP {status}: {message}")
        }
        M::HikCentralUnreachable { detail } => format!("cannot reach HikCentral: {detail}"),
        M::HikCentralGaveUp { attempts, last } => {
            format!("HikCentral gave no usable answer after {attempts} attempt(s): {last}")
        }
        M::HikCentralUnreadable { detail } => {
            format!("HikCentral's answer could not be read: {detail}")
        }
        M::InternalError => {
            "internal error; the request id in the x-request-id header finds it in the logs".into()
        }

        M::LedgerFailed => {
            "the ledger could not be read or written; the service log has the cause".into()
        }

        M::ProgramRequired => "carrera_name is required".into(),
        M::PersonTypeRequired => "tipoFilter is required".into(),
        M::UpdateBodyInvalid { detail } => {
            format!("the body must be {{\"personaId\": \"…\"}}: {detail}")
        }
        M::OneJobSelector => {
            "give exactly one of program (with optional period), personType, or cis".into()
        }
        M::NoSuchJob { id } => format!("no sync job {id}"),
        M::JobEnded { id } => format!("sync job {id} has already ended"),
    }
}

/// HikCentral's failure code explained (the service's English wording of each code).
fn hikcentral_code(code: &str, msg: &str) -> String {
    match ArtemisCode::from_code(code, msg) {
        Some(known) => known.to_string(),
        None => format!("HikCentral answered code {code}: {msg}"),
    }
}

/// One of HikCentral's `errorItems` codes in words.
fn device_error(item: &str) -> &'static str {
    match item.trim() {
        "0" => "device exception (offline?)",
        "1" => "incorrect card information",
        "2" => "incorrect fingerprint information",
        "3" => "incorrect face information: replace the photo",
        "4" => "incorrect person information",
        _ => "unknown error",
    }
}
