//! SIAD → HikCentral person sync: verify before creating (ledger, then `personCode/personInfo`),
//! read the person and photo from SIAD, validate and normalise the photo, register or update in
//! HikCentral, and translate every outcome into the frontend's contract.

mod access;
mod face;
pub mod outcome;

use crate::artemis::model::ArtemisCode;
use crate::artemis::{ArtemisClient, ArtemisError};
use crate::config::BiometricoSettings;
use crate::photo::{self, PhotoLimits};
use crate::siad::{Directory, SiadError, SiadPerson};
use crate::store::{LedgerUpdate, Store};
pub use access::DeviceStatus;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
pub use outcome::{Contract, SyncFailure};
use serde_json::{json, Value};
use std::sync::Arc;

const PERSON_INFO: &str = "/artemis/api/resource/v1/person/personCode/personInfo";
const PERSON_BY_ID: &str = "/artemis/api/resource/v1/person/personId/personInfo";
const ADD: &str = "/artemis/api/resource/v1/person/single/add";
const FACE_UPDATE: &str = "/artemis/api/resource/v1/person/face/update";
const PICTURE: &str = "/artemis/api/resource/v1/person/picture_data";
const FACE_CHECK: &str = "/artemis/api/acs/v1/faceCheck";

#[derive(Clone)]
pub struct PersonSync {
    store: Store,
    siad: Option<Arc<dyn Directory>>,
    hikcentral: Option<ArtemisClient>,
    settings: Arc<BiometricoSettings>,
    limits: Arc<PhotoLimits>,
    /// Why SIAD could not be opened at start, when it is configured but unusable.
    siad_error: Option<Arc<str>>,
}

/// Where a person stands in HikCentral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    Registered { person_id: String },
    NotRegistered,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A CI usable as a HikCentral personCode: 1–32 letters or digits, no hyphen.
pub fn valid_ci(ci: &str) -> bool {
    !ci.is_empty() && ci.len() <= 32 && ci.chars().all(|c| c.is_ascii_alphanumeric())
}

impl PersonSync {
    /// HikCentral's personCode for `ci` (`biometrico.person_code`), validated before any call.
    fn person_code(&self, ci: &str) -> Result<String, SyncFailure> {
        self.settings
            .person_code
            .person_code(ci)
            .map_err(SyncFailure::PersonCodeUnfit)
    }

    pub fn new(
        store: Store,
        siad: Option<Arc<dyn Directory>>,
        hikcentral: Option<ArtemisClient>,
        settings: BiometricoSettings,
        limits: PhotoLimits,
    ) -> Self {
        Self {
            store,
            siad,
            hikcentral,
            settings: Arc::new(settings),
            limits: Arc::new(limits),
            siad_error: None,
        }
    }

    /// SIAD is configured but could not be opened: say why in every 503.
    pub fn with_siad_error(mut self, error: Option<String>) -> Self {
        self.siad_error = error.map(Into::into);
        self
    }

    pub fn siad(&self) -> Result<&Arc<dyn Directory>, SyncFailure> {
        self.siad.as_ref().ok_or_else(|| match &self.siad_error {
            Some(e) => SyncFailure::Siad(SiadError::Unreachable(e.to_string())),
            None => SyncFailure::Siad(SiadError::NotConfigured),
        })
    }

    fn hik(&self) -> Result<&ArtemisClient, SyncFailure> {
        self.hikcentral
            .as_ref()
            .ok_or(SyncFailure::HikCentralNotConfigured)
    }

    /// Ledger first, then HikCentral; a person found in HikCentral is written to the ledger.
    pub async fn registration(&self, ci: &str) -> Result<Registration, SyncFailure> {
        if !valid_ci(ci) {
            return Err(SyncFailure::BadCi(ci.to_string()));
        }
        if let Some(pid) = self.store.ledger_entry(ci).await?.and_then(|e| e.person_id) {
            return Ok(Registration::Registered { person_id: pid });
        }
        let code = self.person_code(ci)?;
        match self
            .hik()?
            .call(PERSON_INFO, &json!({"personCode": code}))
            .await
        {
            // Some servers answer success with an empty `data` for an unknown person code: the
            // same as 128.
            Ok(info) if is_empty_answer(&info) => Ok(Registration::NotRegistered),
            Ok(info) => {
                let pid = person_id_of(&info).ok_or_else(|| {
                    SyncFailure::Upstream(ArtemisError::Decode(
                        "personInfo without personId".into(),
                    ))
                })?;
                self.store
                    .record_ledger(
                        &LedgerUpdate {
                            ci,
                            person_id: Some(&pid),
                            outcome: "found",
                            reason: "already in HikCentral",
                            ..LedgerUpdate::default()
                        },
                        now_ms(),
                    )
                    .await?;
                Ok(Registration::Registered { person_id: pid })
            }
            Err(ArtemisError::Api(ArtemisCode::NotFound(_))) => Ok(Registration::NotRegistered),
            Err(e) => Err(SyncFailure::Upstream(e)),
        }
    }

    /// Register one SIAD person; never creates a duplicate.
    pub async fn register(&self, ci: &str) -> Result<Contract, SyncFailure> {
        if let Registration::Registered { person_id } = self.registration(ci).await? {
            return Ok(Contract::already_registered(
                &person_id,
                None,
                "already registered in HikCentral",
            ));
        }
        let person = self.siad_person(ci).await?;
        let face = match self.face_or_rejection(ci, &person).await? {
            Ok(face) => face,
            Err(rejected) => return Ok(rejected),
        };
        let body = self.person_body(&person, None, &face.0)?;
        let hik = self.hik()?;
        match hik.call(ADD, &body).await {
            Ok(data) => {
                let pid = data
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| person_id_of(&data))
                    .unwrap_or_default();
                let reason = match self.grant_access(hik, &pid, &person.person_type).await {
                    Ok(done) if done.is_empty() => "registered in HikCentral".to_owned(),
                    Ok(done) => format!("registered in HikCentral; {done}"),
                    Err(problem) => {
                        tracing::warn!(problem = %problem, "registered, but access levels failed");
                        format!("registered in HikCentral, but {problem}")
                    }
                };
                self.note(ci, &person, Some((&pid, &face.1)), "registered", &reason)
                    .await?;
                Ok(Contract::success(&pid, &reason))
            }
            Err(ArtemisError::Api(ArtemisCode::AlreadyExists(msg))) => {
                // Registered by someone else meanwhile: find the personId, never create twice.
                let pid = match self.registration(ci).await? {
                    Registration::Registered { person_id } => person_id,
                    Registration::NotRegistered => String::new(),
                };
                Ok(Contract::already_registered(
                    &pid,
                    Some(("131", &msg)),
                    "HikCentral already has this personCode",
                ))
            }
            Err(e) => self.upstream_outcome(ci, &person, e).await,
        }
    }

    /// What [`register`](Self::register) would do, without sending anything to HikCentral
    /// (bulk jobs with `dryRun`): `already_registered`, `would_register` or `photo_rejected`.
    pub async fn plan(&self, ci: &str) -> Result<Contract, SyncFailure> {
        if let Registration::Registered { person_id } = self.registration(ci).await? {
            return Ok(Contract::already_registered(
                &person_id,
                None,
                "already registered in HikCentral",
            ));
        }
        let person = self.siad_person(ci).await?;
        match self.normalised_photo(ci).await? {
            Err(reason) => Ok(Contract::photo_rejected(None, &reason)),
            Ok(_) => {
                self.person_body(&person, None, "")?;
                Ok(Contract::would_register(&format!(
                    "would register {} (dry run: nothing sent)",
                    person.full_name()
                )))
            }
        }
    }

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
    pub async fn compare(&self, ci: &str) -> Result<Value, SyncFailure> {
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
            (None, _) => "SIAD has no usable photo for this person",
            (_, None) => "HikCentral has no photo for this person",
            _ => "compared",
        };
        Ok(json!({
            "ci": ci,
            "similarity": similarity,
            "siadHash": siad_hash.map(|h| h.to_string()),
            "hikcentralHash": hik_hash.map(|h| h.to_string()),
            "reason": reason,
        }))
    }

    async fn siad_person(&self, ci: &str) -> Result<SiadPerson, SyncFailure> {
        self.siad()?
            .person_by_ci(ci)
            .await
            .map_err(SyncFailure::Siad)?
            .ok_or_else(|| SyncFailure::UnknownCi(ci.to_string()))
    }

    /// The normalised face, or the contract's photo answer (recorded in the ledger) when SIAD's
    /// photo is not usable.
    async fn face_or_rejection(
        &self,
        ci: &str,
        person: &SiadPerson,
    ) -> Result<Result<(String, String), Contract>, SyncFailure> {
        let refused = match self.normalised_photo(ci).await? {
            Ok(face) => match self.face_check(&face.0).await? {
                None => return Ok(Ok(face)),
                Some(refusal) => refusal,
            },
            Err(reason) => (None, reason),
        };
        let (upstream, reason) = refused;
        self.note(ci, person, None, "photo_rejected", &reason)
            .await?;
        let upstream = upstream.as_ref().map(|(c, m)| (c.as_str(), m.as_str()));
        Ok(Err(Contract::photo_rejected(upstream, &reason)))
    }

    /// HikCentral's face-quality pre-check (`acs/v1/faceCheck` against the device
    /// `biometrico.face_check_device`), when configured: `Some((HikCentral's code and message,
    /// reason))` when it refuses the picture. An edition without the API skips the check.
    async fn face_check(
        &self,
        face_b64: &str,
    ) -> Result<Option<(Option<(String, String)>, String)>, SyncFailure> {
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
                format!(
                    "HikCentral's face check refused the photo: {}",
                    code.message()
                ),
            ))),
            Err(e) => Err(SyncFailure::Upstream(e)),
        }
    }

    /// `Ok(Ok((base64 JPEG, hash)))`, or `Ok(Err(reason))` when the photo is not usable.
    async fn normalised_photo(
        &self,
        ci: &str,
    ) -> Result<Result<(String, String), String>, SyncFailure> {
        let Some(bytes) = self.siad()?.photo(ci).await.map_err(SyncFailure::Siad)? else {
            return Ok(Err("SIAD has no photo for this person".into()));
        };
        match photo::normalise_off_runtime(bytes, (*self.limits).clone()).await {
            Ok(p) => Ok(Ok((B64.encode(&p.jpeg), p.hash.to_string()))),
            Err(e) => Ok(Err(e.to_string())),
        }
    }

    /// The `single/add` body (or `single/update` with `person_id`).
    fn person_body(
        &self,
        p: &SiadPerson,
        person_id: Option<&str>,
        face_b64: &str,
    ) -> Result<Value, SyncFailure> {
        let org = self
            .settings
            .org_for(&p.person_type)
            .ok_or_else(|| SyncFailure::NoOrg(p.person_type.clone()))?;
        let mut body = json!({
            "personCode": self.person_code(&p.ci)?,
            "personGivenName": p.given_names,
            "personFamilyName": p.family_name(),
            "orgIndexCode": org,
            "gender": 0,
            "faces": [{"faceData": face_b64}],
        });
        if let Some(email) = &p.email {
            body["email"] = json!(email);
        }
        if let Some((begin, end)) = self.settings.validity_for(&p.person_type) {
            body["beginTime"] = json!(begin);
            body["endTime"] = json!(end);
        }
        if let Some(pid) = person_id {
            body["personId"] = json!(pid);
        }
        Ok(body)
    }

    async fn note(
        &self,
        ci: &str,
        p: &SiadPerson,
        registered: Option<(&str, &str)>,
        outcome: &str,
        reason: &str,
    ) -> Result<(), SyncFailure> {
        self.store
            .record_ledger(
                &LedgerUpdate {
                    ci,
                    person_id: registered.map(|r| r.0).filter(|p| !p.is_empty()),
                    person_type: Some(&p.person_type),
                    photo_hash: registered.map(|r| r.1),
                    outcome,
                    reason,
                },
                now_ms(),
            )
            .await?;
        Ok(())
    }

    /// HikCentral said no: photo problems become the contract's 128; throttling and outages
    /// are HTTP errors; the rest passes HikCentral's code and message through.
    async fn upstream_outcome(
        &self,
        ci: &str,
        p: &SiadPerson,
        e: ArtemisError,
    ) -> Result<Contract, SyncFailure> {
        match &e {
            ArtemisError::Api(code) if outcome::is_photo_problem(code) => {
                let reason = format!("HikCentral refused the photo: {}", code.message());
                self.note(ci, p, None, "photo_rejected", &reason).await?;
                Ok(Contract::photo_rejected(
                    Some((&code.code(), code.message())),
                    &reason,
                ))
            }
            ArtemisError::Api(code)
                if code.class() == crate::artemis::model::CodeClass::Permanent =>
            {
                let reason = format!("HikCentral refused: {code}");
                self.note(ci, p, None, "failed", &reason).await?;
                Ok(Contract::other(&code.code(), code.message(), &reason))
            }
            _ => Err(SyncFailure::Upstream(e)),
        }
    }
}

/// `data` that carries nothing: null, `""`, `{}` or `[]`.
fn is_empty_answer(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn person_id_of(info: &Value) -> Option<String> {
    match info.get("personId")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod empty_answer_tests {
    use super::is_empty_answer;
    use serde_json::json;

    #[test]
    fn an_empty_data_is_not_a_person() {
        for empty in [json!(null), json!(""), json!({}), json!([])] {
            assert!(is_empty_answer(&empty), "{empty}");
        }
        assert!(!is_empty_answer(&json!({"personId": "1"})));
    }
}
