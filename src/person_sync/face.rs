//! Replacing a registered person's face, and proving HikCentral holds it.
//!
//! The only OpenAPI call that replaces an access-control face is `person/face/update`
//! (`{personId, faceData}`, V1.7.0+). `person/single/update` has no face field at all (the spec
//! lists none; the old fallback that sent `faces` there changed nothing and answered "photo
//! updated"). A server that answers `12` (not supported) gets a clear refusal: this edition
//! cannot replace a face through OpenAPI (deleting and re-adding the person would, but gives a
//! new personId and loses its access levels, so it is not done behind the operator's back).
//!
//! After the update the person is read back: success only when HikCentral shows a face whose
//! picture downloads and is either the photo we sent (perceptual hash similarity ≥
//! [`SAME_FACE`]) or a new picture (its `picUri` changed: HikCentral may re-encode or crop).

use super::outcome::{Contract, SyncFailure};
use super::{Done, PersonSync, Registration, FACE_UPDATE, PERSON_BY_ID, PICTURE};
use crate::artemis::model::ArtemisCode;
use crate::artemis::{ArtemisClient, ArtemisError};
use crate::i18n::Message;
use crate::photo::{self, PhotoHash};
use crate::store::audit::{Actor, AuditAction};
use serde_json::{json, Value};

/// Perceptual-hash similarity (0–100) at which the picture read back is the photo sent.
pub const SAME_FACE: u8 = 90;

impl PersonSync {
    /// Replace the face of `ci` (or of `person_id` when the caller knows it) with SIAD's photo.
    pub async fn update_photo(
        &self,
        ci: &str,
        person_id: Option<&str>,
        actor: &Actor,
    ) -> Result<Contract, SyncFailure> {
        let done = Done::new(AuditAction::PersonFaceUpdate, "", actor);
        let pid = match person_id.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => p.to_string(),
            None => match self.registration(ci).await? {
                Registration::Registered { person_id } => person_id,
                Registration::NotRegistered => {
                    return Err(SyncFailure::NotRegistered(ci.to_string()))
                }
            },
        };
        let person = self.siad_person(ci).await?;
        let face = match self.face_or_rejection(ci, &person, done).await? {
            Ok(face) => face,
            Err(rejected) => return Ok(rejected),
        };
        let hik = self.hik()?;
        let before = picture_uri(hik, &pid).await;
        match hik
            .call(FACE_UPDATE, &json!({"personId": pid, "faceData": face.b64}))
            .await
        {
            Ok(_) => {}
            Err(ArtemisError::Api(ArtemisCode::NotSupported { .. })) => {
                let reason = Message::FaceUpdateUnsupported;
                self.note(ci, &person, None, done.ending("failed"), &reason)
                    .await?;
                return Err(SyncFailure::FaceUpdateUnsupported);
            }
            Err(e) => return self.upstream_outcome(ci, &person, e, done).await,
        }
        match self
            .verify_face(hik, &pid, before.as_deref(), &face.hash)
            .await
        {
            Ok(()) => {
                let reason = Message::PhotoUpdated;
                let done = done.ending("updated");
                self.note(ci, &person, Some((&pid, &face)), done, &reason)
                    .await?;
                Ok(Contract::success(&pid, reason))
            }
            Err(reason) => {
                self.note(ci, &person, None, done.ending("failed"), &reason)
                    .await?;
                Err(SyncFailure::FaceNotApplied(reason))
            }
        }
    }

    /// `Ok` when HikCentral now holds the face; otherwise what it holds instead.
    async fn verify_face(
        &self,
        hik: &ArtemisClient,
        pid: &str,
        before: Option<&str>,
        sent_hash: &str,
    ) -> Result<(), Message> {
        let Some(uri) = picture_uri(hik, pid).await else {
            return Err(Message::FaceNotShown);
        };
        let resp = hik
            .call_raw(PICTURE, &json!({"personId": pid, "picUri": uri}))
            .await
            .map_err(|e| Message::FaceReadBackFailed {
                error: Box::new(super::wording::hikcentral(&e)),
            })?;
        let Some((bytes, _)) = super::outcome::picture_from_answer(&resp) else {
            return Err(Message::FaceDoesNotDownload);
        };
        let limits = (*self.limits).clone();
        let held = photo::hash_off_runtime(bytes, limits).await;
        let sent = sent_hash.parse::<PhotoHash>().ok();
        let same = match (held, sent) {
            (Some(a), Some(b)) => photo::similarity(a, b) >= SAME_FACE,
            _ => false,
        };
        if same || before != Some(uri.as_str()) {
            Ok(())
        } else {
            Err(Message::PreviousFaceKept)
        }
    }
}

/// The person's current `personPhoto.picUri`, if any.
async fn picture_uri(hik: &ArtemisClient, pid: &str) -> Option<String> {
    let info: Value = hik
        .call(PERSON_BY_ID, &json!({"personId": pid}))
        .await
        .ok()?;
    info.pointer("/personPhoto/picUri")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
}
