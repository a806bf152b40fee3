//! The catalogue: every sentence the frontend's users and the jobs' reports read, as a typed
//! key with its parameters. A message is stored as JSON (`{"key": "unknown_ci", "ci": "…"}`)
//! where it must be rendered later in the reader's language (a bulk job's item reasons), so
//! the keys and field names below are a stored format: rename one only with a fallback.

use serde::{Deserialize, Serialize};

/// One sentence, with its parameters. Text inside (`msg`, `detail`, `name`) is quoted as it
/// came from SIAD, HikCentral or a driver; the rest is rendered per language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "key", rename_all = "snake_case")]
pub enum Message {
    // --- The contract's `msg` (the frontend compares "Success"; the others it may show).
    /// `msg` with code `"0"`: the literal the frontend compares, the same in every language.
    Success,
    /// `msg` with code `"131"`.
    PersonAlreadyRegistered,
    /// `msg` with code `"128"`.
    PhotoIncompatible,
    /// `msg` of a dry run's answer.
    DryRunWouldRegister,
    /// `msg` with HikCentral's own code: what HikCentral said, in a sentence.
    HikCentralAnswered {
        code: String,
        msg: String,
    },

    // --- Reasons of contract answers (also a bulk job's item reasons).
    AlreadyInHikCentral,
    PersonCodeTaken,
    Registered,
    /// Registered, and what was done besides (access levels).
    RegisteredAnd {
        done: Box<Message>,
    },
    /// Registered, but something after it failed (access levels).
    RegisteredBut {
        problem: Box<Message>,
    },
    WouldRegister {
        name: String,
    },
    PhotoUpdated,
    HikCentralRefused {
        code: String,
        msg: String,
    },
    HikCentralRefusedPhoto {
        msg: String,
    },
    FaceCheckRefusedPhoto {
        msg: String,
    },

    // --- Photo problems (the contract's 128 reasons; crate::photo::PhotoError).
    NoSiadPhoto,
    PhotoEmpty,
    PhotoTooLarge {
        bytes: u64,
        max: u64,
    },
    PhotoFormat {
        detected: String,
    },
    PhotoUndecodable {
        detail: String,
    },
    PhotoTooSmall {
        width: u32,
        height: u32,
        min_width: u32,
        min_height: u32,
    },
    PhotoTooManyPixels {
        width: u32,
        height: u32,
        max: u32,
    },
    PhotoCannotFit {
        max: u64,
    },

    // --- Access levels and the devices (registration reasons, `devices.reason`).
    NoAccessLevel {
        person_type: String,
    },
    AccessLevelsApplied {
        levels: String,
    },
    AccessLevelAddFailed {
        level: String,
        error: Box<Message>,
    },
    AccessLevelsNotApplied {
        levels: String,
        error: Box<Message>,
    },
    DevicesApplied,
    DevicesPending {
        count: u64,
    },
    /// HikCentral's `errorItems` codes, e.g. `"3,0"`.
    DevicesRefused {
        items: String,
    },
    ApplicationResultUnreadable {
        error: Box<Message>,
    },

    // --- A photo update that did not take.
    FaceUpdateUnsupported,
    FaceNotShown,
    FaceReadBackFailed {
        error: Box<Message>,
    },
    FaceDoesNotDownload,
    PreviousFaceKept,

    // --- Photo comparison.
    PhotosCompared,
    NoUsableSiadPhoto,
    NoHikCentralPhoto,
    NoHikCentralPhotoForCi {
        ci: String,
    },

    // --- Why a request could not be answered (`details.msg`).
    BadCi {
        ci: String,
    },
    UnknownCi {
        ci: String,
    },
    PersonCodeUnfit {
        ci: String,
        rule: String,
    },
    NotRegistered {
        ci: String,
    },
    SiadUnreachable {
        detail: String,
    },
    SiadQueryFailed {
        detail: String,
    },
    SiadUnexpectedRow {
        detail: String,
    },
    SiadSettingsUnusable {
        detail: String,
    },
    SiadNotConfigured,
    HikCentralNotConfigured,
    NoOrg {
        person_type: String,
    },
    /// HikCentral answered with a failure code (crate::artemis::model::ArtemisCode).
    HikCentralError {
        code: String,
        msg: String,
    },
    HikCentralHttp {
        status: u16,
        message: String,
    },
    HikCentralUnreachable {
        detail: String,
    },
    HikCentralGaveUp {
        attempts: u32,
        last: String,
    },
    HikCentralUnreadable {
        detail: String,
    },
    InternalError,
    /// A bulk job's item whose outcome the ledger could not take (the log has the cause).
    LedgerFailed,

    // --- Requests the `/biometrico` routes refuse.
    ProgramRequired,
    PersonTypeRequired,
    UpdateBodyInvalid {
        detail: String,
    },
    OneJobSelector,
    NoSuchJob {
        id: String,
    },
    JobEnded {
        id: String,
    },
}

impl Message {
    /// The stored form (JSON with the key and the parameters), rendered later with
    /// [`Message::render_stored`].
    pub fn to_stored(&self) -> String {
        // Every field is a string, a number or another message: serialising cannot fail, but
        // should it, the English sentence is kept rather than nothing.
        serde_json::to_string(self).unwrap_or_else(|_| self.english())
    }

    /// A stored reason in `lang`: a message stored by [`Message::to_stored`], or, for rows
    /// written before messages were stored (plain sentences), the text as it is.
    pub fn render_stored(stored: &str, lang: super::Language) -> String {
        if stored.starts_with('{') {
            if let Ok(message) = serde_json::from_str::<Message>(stored) {
                return message.render(lang);
            }
        }
        stored.to_owned()
    }
}
