//! The photo before it is sent: SIAD's photo normalised off the runtime (base64 JPEG and hash)
//! and HikCentral's `faceCheck` pre-check when configured; an unusable or refused photo becomes
//! the contract's `photo_rejected` answer, recorded in the ledger.

use super::outcome::{Contract, SyncFailure};
use super::{Done, PersonSync, FACE_CHECK};
use crate::artemis::model::ArtemisCode;
use crate::artemis::ArtemisError;
use crate::i18n::Message;
use crate::photo;
use crate::siad::SiadPerson;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::json;

/// A SIAD photo ready to send: the normalised JPEG in base64, its perceptual hash (what the
/// ledger keeps of the face sent), and the version of the SIAD photo it came from.
#[derive(Clone)]
pub(crate) struct Face {
    pub b64: String,
    pub hash: String,
    pub version: String,
}

impl std::fmt::Debug for Face {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Face([not shown])")
    }
}

impl PersonSync {
    /// The normalised face, or the contract's photo answer (recorded in the ledger) when SIAD's
    /// photo is not usable.
    pub(super) async fn face_or_rejection(
        &self,
        ci: &str,
        person: &SiadPerson,
        done: Done<'_>,
    ) -> Result<Result<Face, Contract>, SyncFailure> {
        let refused = match self.normalised_photo(ci).await? {
            Ok(face) => match self.face_check(&face.b64).await? {
                None => return Ok(Ok(face)),
                Some(refusal) => refusal,
            },
            Err(reason) => (None, reason),
        };
        let (upstream, reason) = refused;
        self.note(ci, person, None, done.ending("photo_rejected"), &reason)
            .await?;
        let upstream = upstream.as_ref().map(|(c, m)| (c.as_str(), m.as_str()));
        Ok(Err(Contract::photo_rejected(upstream, reason)))
    }

    /// HikCentral's face-quality pre-check (`acs/v1/faceCheck` against the device
    /// `biometrico.face_check_device`), when configured: `Some((HikCentral's code and message,
    /// reason))` when it refuses the picture. An edition without the API skips the check.
    async fn face_check(
        &self,
        face_b64: &str,
    ) -> Result<Option<(Option<(String, String)>, Message)>, SyncFailure> {
        let device = self.settings.face_check_device.trim();
        if device.is_empty() {
            return Ok(None);
        }
        let body = json!({"faceData": face_b64, "acsDevIndexCode": device});
        match self.hik()?.call(FACE_CHECK, &body).await {
            Ok(_) => Ok(None),
            Err(ArtemisError::Api(ArtemisCode::NotSupported { .. })) => {
                tracing::warn!("acs/v1/faceCheck is not offered by this HikCentral: photos are sent without the pre-check");
                Ok(None)
            }
            Err(ArtemisError::Api(code)) => Ok(Some((
                Some((code.code(), code.message().to_owned())),
                Message::FaceCheckRefusedPhoto {
                    msg: code.message().to_owned(),
                },
            ))),
            Err(e) => Err(SyncFailure::Upstream(e)),
        }
    }

    /// `Ok(Ok(face))`, or `Ok(Err(reason))` when the photo is not usable.
    pub(super) async fn normalised_photo(
        &self,
        ci: &str,
    ) -> Result<Result<Face, Message>, SyncFailure> {
        let Some(bytes) = self.siad()?.photo(ci).await.map_err(SyncFailure::Siad)? else {
            return Ok(Err(Message::NoSiadPhoto));
        };
        let version = crate::siad::photo_version(&bytes);
        match photo::normalise_off_runtime(bytes, (*self.limits).clone()).await {
            Ok(p) => Ok(Ok(Face {
                b64: B64.encode(&p.jpeg),
                hash: p.hash.to_string(),
                version,
            })),
            Err(e) => Ok(Err(super::wording::photo(&e))),
        }
    }
}
