//! SIAD → HikCentral person sync: verify before creating (ledger, then `personCode/personInfo`),
//! read the person and photo from SIAD, validate and normalise the photo, register or update in
//! HikCentral, and translate every outcome into the frontend's contract.

mod access;
mod compare;
mod face;
pub mod outcome;
pub mod person_list;
mod photo_check;

pub(crate) use photo_check::Face;
mod wording;

use crate::artemis::model::ArtemisCode;
use crate::artemis::{ArtemisClient, ArtemisError};
use crate::config::BiometricoSettings;
use crate::i18n::Message;
use crate::photo::PhotoLimits;
use crate::siad::{Directory, SiadError, SiadPerson};
use crate::store::audit::{Actor, AuditAction, AuditOutcome, AuditRecord};
use crate::store::{LedgerUpdate, Store};
pub use access::DeviceStatus;
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
        let rule = self.settings.person_code;
        rule.person_code(ci)
            .map_err(|_| SyncFailure::PersonCodeUnfit {
                ci: ci.to_owned(),
                rule: rule.name().to_owned(),
            })
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
                let reason = Message::AlreadyInHikCentral.english();
                self.store
                    .record_ledger(
                        &LedgerUpdate {
                            ci,
                            person_id: Some(&pid),
                            outcome: "found",
                            reason: &reason,
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

    /// Register one SIAD person; never creates a duplicate. What was done is recorded in the
    /// audit log as `actor`'s.
    pub async fn register(&self, ci: &str, actor: &Actor) -> Result<Contract, SyncFailure> {
        if let Registration::Registered { person_id } = self.registration(ci).await? {
            return Ok(Contract::already_registered(
                &person_id,
                None,
                Message::AlreadyInHikCentral,
            ));
        }
        let person = self.siad_person(ci).await?;
        let done = Done::new(AuditAction::PersonRegister, "", actor);
        let face = match self.face_or_rejection(ci, &person, done).await? {
            Ok(face) => face,
            Err(rejected) => return Ok(rejected),
        };
        let body = self.person_body(&person, None, &face.b64)?;
        let hik = self.hik()?;
        match hik.call(ADD, &body).await {
            Ok(data) => {
                let pid = data
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| person_id_of(&data))
                    .unwrap_or_default();
                let reason = match self.grant_access(hik, &pid, &person.person_type).await {
                    Ok(None) => Message::Registered,
                    Ok(Some(done)) => Message::RegisteredAnd {
                        done: Box::new(done),
                    },
                    Err(problem) => {
                        tracing::warn!(problem = %problem.english(), "registered, but access levels failed");
                        Message::RegisteredBut {
                            problem: Box::new(problem),
                        }
                    }
                };
                let done = done.ending("registered");
                self.note(ci, &person, Some((&pid, &face)), done, &reason)
                    .await?;
                Ok(Contract::success(&pid, reason))
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
                    Message::PersonCodeTaken,
                ))
            }
            Err(e) => self.upstream_outcome(ci, &person, e, done).await,
        }
    }

    /// What [`register`](Self::register) would do, without sending anything to HikCentral
    /// (bulk jobs with `dryRun`): `already_registered`, `would_register` or `photo_rejected`.
    pub async fn plan(&self, ci: &str) -> Result<Contract, SyncFailure> {
        if let Registration::Registered { person_id } = self.registration(ci).await? {
            return Ok(Contract::already_registered(
                &person_id,
                None,
                Message::AlreadyInHikCentral,
            ));
        }
        let person = self.siad_person(ci).await?;
        match self.normalised_photo(ci).await? {
            Err(reason) => Ok(Contract::photo_rejected(None, reason)),
            Ok(_) => {
                self.person_body(&person, None, "")?;
                Ok(Contract::would_register(Message::WouldRegister {
                    name: person.full_name(),
                }))
            }
        }
    }

    async fn siad_person(&self, ci: &str) -> Result<SiadPerson, SyncFailure> {
        self.siad()?
            .person_by_ci(ci)
            .await
            .map_err(SyncFailure::Siad)?
            .ok_or_else(|| SyncFailure::UnknownCi(ci.to_string()))
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

    /// Record an outcome in the ledger (the service's own record: the reason in English).
    async fn note(
        &self,
        ci: &str,
        p: &SiadPerson,
        registered: Option<(&str, &Face)>,
        done: Done<'_>,
        reason: &Message,
    ) -> Result<(), SyncFailure> {
        let reason = reason.english();
        let update = LedgerUpdate {
            ci,
            person_id: registered.map(|r| r.0).filter(|p| !p.is_empty()),
            person_type: Some(&p.person_type),
            photo_hash: registered.map(|r| r.1.hash.as_str()),
            photo_version: registered.map(|r| r.1.version.as_str()),
            outcome: done.outcome,
            reason: &reason,
        };
        let rec = AuditRecord {
            action: done.action,
            target_kind: "person",
            target: ci,
            outcome: match done.outcome {
                "registered" | "updated" => AuditOutcome::Ok,
                "photo_rejected" => AuditOutcome::Refused,
                _ => AuditOutcome::Failed,
            },
            detail: &reason,
        };
        self.store
            .record_ledger_audited(&update, done.actor, &rec, now_ms())
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
        done: Done<'_>,
    ) -> Result<Contract, SyncFailure> {
        match &e {
            ArtemisError::Api(code) if outcome::is_photo_problem(code) => {
                let reason = Message::HikCentralRefusedPhoto {
                    msg: code.message().to_owned(),
                };
                self.note(ci, p, None, done.ending("photo_rejected"), &reason)
                    .await?;
                Ok(Contract::photo_rejected(
                    Some((&code.code(), code.message())),
                    reason,
                ))
            }
            ArtemisError::Api(code)
                if code.class() == crate::artemis::model::CodeClass::Permanent =>
            {
                let reason = Message::HikCentralRefused {
                    code: code.code(),
                    msg: code.message().to_owned(),
                };
                self.note(ci, p, None, done.ending("failed"), &reason)
                    .await?;
                Ok(Contract::other(&code.code(), code.message(), reason))
            }
            _ => Err(SyncFailure::Upstream(e)),
        }
    }
}

/// What a change to a person was, for its ledger and audit rows: the audited action, the
/// ledger's outcome word, and who did it.
#[derive(Clone, Copy)]
pub(crate) struct Done<'a> {
    action: AuditAction,
    outcome: &'a str,
    actor: &'a Actor,
}

impl<'a> Done<'a> {
    pub(crate) fn new(action: AuditAction, outcome: &'a str, actor: &'a Actor) -> Self {
        Done {
            action,
            outcome,
            actor,
        }
    }

    /// The same change, ending with `outcome`.
    pub(crate) fn ending(self, outcome: &'a str) -> Self {
        Done { outcome, ..self }
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
