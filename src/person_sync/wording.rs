//! How person sync's causes are worded for people: SIAD, HikCentral and photo errors as
//! catalogue [`Message`]s (rendered later in the reader's language). The detail an upstream or
//! a driver gave is kept as it came.

use crate::artemis::ArtemisError;
use crate::i18n::Message;
use crate::photo::PhotoError;
use crate::siad::SiadError;

/// Why SIAD could not answer.
pub fn siad(e: &SiadError) -> Message {
    match e {
        SiadError::Unreachable(d) => Message::SiadUnreachable { detail: d.clone() },
        SiadError::Query(d) => Message::SiadQueryFailed { detail: d.clone() },
        SiadError::Mapping(d) => Message::SiadUnexpectedRow { detail: d.clone() },
        SiadError::Settings(d) => Message::SiadSettingsUnusable { detail: d.clone() },
        SiadError::NotConfigured => Message::SiadNotConfigured,
    }
}

/// Why a HikCentral call failed.
pub fn hikcentral(e: &ArtemisError) -> Message {
    match e {
        ArtemisError::Api(code) => Message::HikCentralError {
            code: code.code(),
            msg: code.message().to_owned(),
        },
        ArtemisError::Http { status, message } => Message::HikCentralHttp {
            status: *status,
            message: message.clone(),
        },
        ArtemisError::Transport(d) => Message::HikCentralUnreachable { detail: d.clone() },
        ArtemisError::GaveUp { attempts, last } => Message::HikCentralGaveUp {
            attempts: *attempts,
            last: last.clone(),
        },
        ArtemisError::Decode(d) => Message::HikCentralUnreadable { detail: d.clone() },
    }
}

/// Why SIAD's photo is not usable (the contract's 128 reasons).
pub fn photo(e: &PhotoError) -> Message {
    let wide = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    match e {
        PhotoError::Empty => Message::PhotoEmpty,
        PhotoError::TooLarge { bytes, max } => Message::PhotoTooLarge {
            bytes: wide(*bytes),
            max: wide(*max),
        },
        PhotoError::UnsupportedFormat { detected } => Message::PhotoFormat {
            detected: detected.clone(),
        },
        PhotoError::Undecodable { reason } => Message::PhotoUndecodable {
            detail: reason.clone(),
        },
        PhotoError::TooSmall {
            width,
            height,
            min_width,
            min_height,
        } => Message::PhotoTooSmall {
            width: *width,
            height: *height,
            min_width: *min_width,
            min_height: *min_height,
        },
        PhotoError::TooManyPixels { width, height, max } => Message::PhotoTooManyPixels {
            width: *width,
            height: *height,
            max: *max,
        },
        PhotoError::CannotFitBudget { max } => Message::PhotoCannotFit { max: wide(*max) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artemis::model::ArtemisCode;

    /// The English wording is the one the errors' own `Display` gives (logs say the same).
    #[test]
    fn english_matches_the_errors_own_wording() {
        let photos = [
            PhotoError::Empty,
            PhotoError::TooLarge { bytes: 9, max: 8 },
            PhotoError::UnsupportedFormat {
                detected: "gif".into(),
            },
            PhotoError::Undecodable {
                reason: "eof".into(),
            },
            PhotoError::TooSmall {
                width: 80,
                height: 60,
                min_width: 200,
                min_height: 200,
            },
            PhotoError::TooManyPixels {
                width: 9000,
                height: 10,
                max: 8000,
            },
            PhotoError::CannotFitBudget { max: 1000 },
        ];
        for e in photos {
            assert_eq!(photo(&e).english(), e.to_string());
        }
        let siads = [
            SiadError::Unreachable("x".into()),
            SiadError::Query("x".into()),
            SiadError::Mapping("x".into()),
            SiadError::Settings("x".into()),
            SiadError::NotConfigured,
        ];
        for e in siads {
            assert_eq!(siad(&e).english(), e.to_string());
        }
        let upstream = [
            ArtemisError::Api(ArtemisCode::LicenceExhausted {
                code: "0x00072204".into(),
                msg: "m".into(),
            }),
            ArtemisError::Api(ArtemisCode::Other("777".into(), "m".into())),
            ArtemisError::Http {
                status: 502,
                message: "m".into(),
            },
            ArtemisError::Transport("refused".into()),
            ArtemisError::GaveUp {
                attempts: 3,
                last: "HTTP 503".into(),
            },
            ArtemisError::Decode("eof".into()),
        ];
        for e in upstream {
            assert_eq!(hikcentral(&e).english(), e.to_string());
        }
    }
}
