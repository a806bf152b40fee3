//! The audit log: who did what, when, with what outcome — one append-only, hash-chained table
//! that the HTTP layer, the workers and the command line all write through.
//!
//! A change and the row recording it are written in the same transaction ([`append`], the last
//! statement before `COMMIT`: it takes the chain's head row, which serialises appends, so it is
//! held only until the commit). Rows never carry secrets, tokens, photos or face fingerprints:
//! the CI names a person; details are short sentences.

mod chain;
mod read;

pub use chain::{row_hash, AuditRow, Break, Verifier, GENESIS};
pub use read::{AuditFilter, Verified};

use super::words::stored_words;
use super::{Store, StoreError, WriteTx};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Longest text kept in a free-text column (longer is cut, marked with `…`).
const MAX_TEXT: usize = 500;

stored_words! {
    /// What was done. Each word is `<what>_<verb>`, so `person_*` selects a person's history.
    pub enum AuditAction, unknown: UnknownAuditAction {
        /// The service started (detail: version and the settings' fingerprint).
        ServiceStart = "service_start",
        /// A state-changing request that recorded nothing more specific (refused, failed,
        /// not found …), or a request to a sensitive read.
        HttpRequest = "http_request",
        /// Registered in HikCentral (from a route or a bulk job), or the attempt refused.
        PersonRegister = "person_register",
        /// The face in HikCentral replaced.
        PersonFaceUpdate = "person_face_update",
        /// Name, e-mail or organisation rewritten in HikCentral.
        PersonRefresh = "person_refresh",
        /// Access ended: validity closed, removed from access levels, re-applied.
        PersonRevoke = "person_revoke",
        /// Access given back.
        PersonRestore = "person_restore",
        /// Deleted in HikCentral and the local personal data removed.
        PersonErase = "person_erase",
        /// An erasure requested by an operator (the CI is then kept out of `register`).
        PersonEraseRequest = "person_erase_request",
        /// An erasure block lifted.
        PersonEraseLift = "person_erase_lift",
        /// A face read from HikCentral was shown.
        PersonPhotoView = "person_photo_view",
        PunchRetry = "punch_retry",
        PunchDiscard = "punch_discard",
        EventRetry = "event_retry",
        EventAdmit = "event_admit",
        EventRedecide = "event_redecide",
        OverrideSet = "override_set",
        OverrideDelete = "override_delete",
        OverrideImport = "override_import",
        JobCreate = "job_create",
        JobCancel = "job_cancel",
        RunCreate = "run_create",
        RunApply = "run_apply",
        RunDiscard = "run_discard",
        /// Retention removed old audit rows (detail: through which row).
        AuditPrune = "audit_prune",
    }
}

stored_words! {
    /// How it ended.
    pub enum AuditOutcome, unknown: UnknownAuditOutcome {
        /// Done.
        Ok = "ok",
        /// Not done: the input, the state or an upstream refused it.
        Refused = "refused",
        /// Not done: something failed (an outage, an error).
        Failed = "failed",
        /// Not done: the client lacks the scope.
        Denied = "denied",
    }
}

impl AuditOutcome {
    /// The outcome an HTTP status stands for.
    pub fn of_status(status: u16) -> AuditOutcome {
        match status {
            200..=399 => AuditOutcome::Ok,
            403 => AuditOutcome::Denied,
            400..=499 => AuditOutcome::Refused,
            _ => AuditOutcome::Failed,
        }
    }
}

/// Who acted, and through which request.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The API client's name; `hikbridge` for the service itself, `cli` for a command.
    pub client: String,
    /// The person behind the call, when the client may name one (or a user token named it).
    pub user: Option<String>,
    /// The scope that allowed the call.
    pub scope: Option<&'static str>,
    pub request_id: Option<String>,
    pub remote_addr: Option<String>,
    /// Set when a row about this request was written, so the request is not recorded twice.
    recorded: Arc<AtomicBool>,
}

/// The client name of the service's own actions.
pub const SERVICE: &str = "hikbridge";

impl Actor {
    pub fn new(client: impl Into<String>, user: Option<String>) -> Actor {
        Actor {
            client: client.into(),
            user,
            scope: None,
            request_id: None,
            remote_addr: None,
            recorded: Arc::default(),
        }
    }

    /// The service itself (scheduled work, start-up, retention).
    pub fn service() -> Actor {
        Actor::new(SERVICE, None)
    }

    /// A command run by an operator at a terminal: the login name, when the system tells it.
    pub fn command_line() -> Actor {
        let user = ["SUDO_USER", "USER", "LOGNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()));
        Actor::new("cli", user.map(|u| cut(&u)))
    }

    /// This actor, for work done later on its behalf (a bulk job's persons): same client and
    /// user, its own record of what was written.
    pub fn on_behalf(&self) -> Actor {
        Actor {
            recorded: Arc::default(),
            ..self.clone()
        }
    }

    /// Whether a row about this actor's request has been written.
    pub fn recorded(&self) -> bool {
        self.recorded.load(Ordering::Acquire)
    }
}

/// One thing done, to record.
#[derive(Debug, Clone, Copy)]
pub struct AuditRecord<'a> {
    pub action: AuditAction,
    /// `person`, `punch`, `event`, `job`, `run`, `override`, `service`, `route` …
    pub target_kind: &'a str,
    pub target: &'a str,
    pub outcome: AuditOutcome,
    /// A short sentence: never a secret, a token, a photo or a face fingerprint.
    pub detail: &'a str,
}

/// Cut `text` to [`MAX_TEXT`] characters and drop control characters (a detail may quote
/// something from outside).
fn cut(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    match clean.char_indices().nth(MAX_TEXT) {
        Some((i, _)) => format!("{}…", &clean[..i]),
        None => clean,
    }
}

fn opt(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| cut(text))
}

/// Append one row inside `tx`. Call it last before the commit: it holds the chain's head
/// until then.
pub async fn append(
    tx: &mut WriteTx,
    actor: &Actor,
    rec: &AuditRecord<'_>,
    at_ms: i64,
) -> Result<i64, StoreError> {
    let (seq, prev_hash): (i64, String) =
        sqlx::query_as("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(tx.conn())
            .await?;
    let mut row = AuditRow {
        seq,
        at_ms,
        client: cut(&actor.client),
        acting_user: actor.user.as_deref().map(cut),
        scope: actor.scope.map(str::to_owned),
        action: rec.action.as_str().to_owned(),
        target_kind: opt(rec.target_kind),
        target: opt(rec.target),
        outcome: rec.outcome.as_str().to_owned(),
        request_id: actor.request_id.as_deref().map(cut),
        remote_addr: actor.remote_addr.as_deref().map(cut),
        detail: opt(rec.detail),
        prev_hash,
        hash: String::new(),
    };
    row.hash = row_hash(&row);
    sqlx::query(
        "INSERT INTO audit_log (seq, at_ms, client, acting_user, scope, action, target_kind, \
         target, outcome, request_id, remote_addr, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(row.seq)
    .bind(row.at_ms)
    .bind(&row.client)
    .bind(&row.acting_user)
    .bind(&row.scope)
    .bind(&row.action)
    .bind(&row.target_kind)
    .bind(&row.target)
    .bind(&row.outcome)
    .bind(&row.request_id)
    .bind(&row.remote_addr)
    .bind(&row.detail)
    .bind(&row.prev_hash)
    .bind(&row.hash)
    .execute(tx.conn())
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&row.hash)
        .execute(tx.conn())
        .await?;
    actor.recorded.store(true, Ordering::Release);
    Ok(seq)
}

impl Store {
    /// Record something that changed nothing else in this database (a HikCentral call's
    /// outcome, a refused request, the service's start), in a transaction of its own.
    pub async fn record_audit(
        &self,
        actor: &Actor,
        rec: &AuditRecord<'_>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = append(&mut tx, actor, rec, now_ms()).await;
        tx.finish(done).await
    }
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_and_outcomes_are_their_words() {
        for &a in AuditAction::ALL {
            assert_eq!(a.as_str().parse::<AuditAction>(), Ok(a));
            assert_eq!(serde_json::to_value(a).ok(), Some(a.as_str().into()));
        }
        for &o in AuditOutcome::ALL {
            assert_eq!(serde_json::to_value(o).ok(), Some(o.as_str().into()));
        }
    }

    #[test]
    fn statuses_map_to_outcomes() {
        assert_eq!(AuditOutcome::of_status(202), AuditOutcome::Ok);
        assert_eq!(AuditOutcome::of_status(403), AuditOutcome::Denied);
        assert_eq!(AuditOutcome::of_status(409), AuditOutcome::Refused);
        assert_eq!(AuditOutcome::of_status(503), AuditOutcome::Failed);
    }

    #[test]
    fn long_or_control_text_is_cut_and_cleaned() {
        assert_eq!(cut("a\nb\u{1b}[31mc"), "ab[31mc");
        let long = "é".repeat(MAX_TEXT + 10);
        let kept = cut(&long);
        assert_eq!(kept.chars().count(), MAX_TEXT + 1);
        assert!(kept.ends_with('…'));
    }

    #[test]
    fn work_on_behalf_of_an_actor_keeps_who_but_not_what_was_recorded() {
        let a = Actor::new("siad-frontend", Some("jperez".into()));
        a.recorded.store(true, Ordering::Release);
        let later = a.on_behalf();
        assert_eq!(later.client, "siad-frontend");
        assert_eq!(later.user.as_deref(), Some("jperez"));
        assert!(!later.recorded());
    }
}
