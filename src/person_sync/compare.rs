//! HikCentral's photo of a person read back (`personId/personInfo`, then `picture_data`) and
//! compared with SIAD's by perceptual hash (similarity 0–100), for `/biometrico/gethick` and
//! the compare route.

use super::outcome::{self, SyncFailure};
use super::{PersonSync, Registration, PERSON_BY_ID, PICTURE};
use crate::artemis::model::ArtemisCode;
use crate::artemis::ArtemisError;
use crate::i18n::Message;
use crate::photo;
use serde_json::{json, Value};

impl PersonSync {
    /// The person's current photo in HikCentral: (bytes, content type), or `None`.
    pub async fn hikcentral_photo(
        &self,
        ci: &str,
    ) -> Result<Option<(Vec<u8>, String)>, SyncFailure> {
        let Registration::Registered { person_id } = self.registration(ci).await? else {
            return Ok(None);
        };
        let hik = self.hik()?;
        let info = match hik
            .call(PERSON_BY_ID, &json!({"personId": person_id}))
            .await
        {
            Ok(v) => v,
            Err(ArtemisError::Api(ArtemisCode::NotFound(_))) => return Ok(None),
            Err(e) => return Err(SyncFailure::Upstream(e)),
        };
        let Some(uri) = info
            .pointer("/personPhoto/picUri")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
        else {
            return Ok(None);
        };
        let resp = hik
            .call_raw(PICTURE, &json!({"personId": person_id, "picUri": uri}))
            .await
            .map_err(SyncFailure::Upstream)?;
        Ok(outcome::picture_from_answer(&resp))
    }

    /// How alike the SIAD photo and the HikCentral photo are (0–100).
    pub async fn compare(&self, ci: &str) -> Result<Comparison, SyncFailure> {
        let siad = self.siad()?.photo(ci).await.map_err(SyncFailure::Siad)?;
        let hik = self.hikcentral_photo(ci).await?;
        let siad_hash = match siad {
            Some(b) => photo::hash_off_runtime(b, (*self.limits).clone()).await,
            None => None,
        };
        let hik_hash = match hik {
            Some((b, _)) => photo::hash_off_runtime(b, (*self.limits).clone()).await,
            None => None,
        };
        let similarity = match (siad_hash, hik_hash) {
            (Some(a), Some(b)) => Some(photo::similarity(a, b)),
            _ => None,
        };
        let reason = match (siad_hash, hik_hash) {
            (None, _) => Message::NoUsableSiadPhoto,
            (_, None) => Message::NoHikCentralPhoto,
            _ => Message::PhotosCompared,
        };
        Ok(Comparison {
            ci: ci.to_owned(),
            similarity,
            siad_hash: siad_hash.map(|h| h.to_string()),
            hikcentral_hash: hik_hash.map(|h| h.to_string()),
            reason,
        })
    }
}

/// The two photos compared: similarity 0–100 (`None` when one is missing) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub ci: String,
    pub similarity: Option<u8>,
    pub siad_hash: Option<String>,
    pub hikcentral_hash: Option<String>,
    pub reason: Message,
}
