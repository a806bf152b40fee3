//! Erasing a person: deleted in HikCentral (the only documented way to remove a face there),
//! the deletion confirmed, and the local personal data removed (the ledger row with its photo
//! fingerprint and version, the personId cache); attendance records stay. A person still with
//! access is revoked first (the same steps as a revocation, as a group of one).
//!
//! Someone HikCentral no longer has (looked up by personCode first) is erased locally at once,
//! "already absent from HikCentral".
//!
//! The admin password: `deleteconfig/get` says whether HikCentral wants it; it is sent once per
//! person and never retried (the request goes out exactly once). The first refusal (any answer
//! but not-found to a delete that carried the password) stops every
//! erasure — the caller's address is locked after a few wrong attempts — until another password
//! is configured (its SHA-256 differs from the refused one's) or an operator clears the halt;
//! an alert says so.

use super::hik::{self, Deleted};
use super::Lifecycle;
use crate::store::audit::Actor;
use crate::store::lifecycle::{
    ActionEnd, ActionState, ErasureHalt, LifecycleAction, PersonChange, PersonState,
};

fn digest(password: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(password.as_bytes()))
}

impl Lifecycle {
    /// Why erasures may not go on now, if they may not.
    pub async fn erasure_blocked(&self) -> anyhow::Result<Option<ErasureHalt>> {
        let Some(halt) = self.store.erasure_halt().await? else {
            return Ok(None);
        };
        let configured = digest(self.config.lifecycle.admin_password.expose());
        let same_password = !halt.password_sha256.is_empty() && halt.password_sha256 == configured;
        if same_password || halt.password_sha256.is_empty() {
            Ok(Some(halt))
        } else {
            // Another password is configured: it gets its one try.
            self.store.clear_erasure_halt().await?;
            Ok(None)
        }
    }

    pub(super) async fn apply_erase(
        &self,
        a: &LifecycleAction,
        actor: &Actor,
    ) -> anyhow::Result<()> {
        if let Some(halt) = self.erasure_blocked().await? {
            let what = format!("not attempted: erasures are stopped ({})", halt.message);
            return self.fail(a, &what, None, actor).await;
        }
        let hik = self.hik()?;
        let code = self.rules().code(&a.ci).unwrap_or_else(|| a.ci.clone());
        // Someone HikCentral no longer has (deleted there by hand, or never registered): there
        // is nothing to revoke or delete, and the local data still has to go.
        if a.step < 4 {
            match hik::still_there(hik, &code).await {
                Ok(false) => {
                    let end = ActionEnd {
                        state: ActionState::Done,
                        outcome: "ok",
                        detail: "already absent from HikCentral (it no longer finds the person): nothing deleted there; the local photo fingerprint and cached personal data removed; attendance records kept",
                        upstream: None,
                    };
                    return self
                        .finish(a, &end, Some(&PersonChange::Erased), Some(actor))
                        .await;
                }
                Ok(true) => {}
                Err(e) if super::apply::is_transient(&e) => return Err(e.into()),
                Err(e) => {
                    return self
                        .fail(
                            a,
                            "whether HikCentral still has the person could not be read",
                            Some(&e),
                            actor,
                        )
                        .await
                }
            }
        }
        let Some(pid) = a.person_id.clone() else {
            return self
                .fail(
                    a,
                    "no personId: HikCentral did not list this person",
                    None,
                    actor,
                )
                .await;
        };
        // Revoke first (validity, levels, re-application) unless already revoked.
        let revoked = self
            .store
            .lifecycle_person(&a.ci)
            .await?
            .is_some_and(|p| p.state == PersonState::Revoked);
        if a.step < 3 && !revoked {
            let live = self
                .access_steps(std::slice::from_ref(a), true, actor)
                .await?;
            if live.is_empty() {
                return Ok(()); // failed during the revocation, and recorded
            }
        }
        let needs = match hik::delete_needs_password(hik).await {
            Ok(n) => n,
            Err(e) if super::apply::is_transient(&e) => return Err(e.into()),
            Err(e) => {
                return self
                    .fail(
                        a,
                        "HikCentral's delete configuration could not be read",
                        Some(&e),
                        actor,
                    )
                    .await
            }
        };
        let password = &self.config.lifecycle.admin_password;
        if needs && password.is_empty() {
            let halt = ErasureHalt {
                password_sha256: String::new(),
                at_ms: chrono::Utc::now().timestamp_millis(),
                message: "HikCentral asks for the admin password to delete a person: set HIKBRIDGE__LIFECYCLE__ADMIN_PASSWORD (or lifecycle.admin_password_file)".into(),
            };
            return self.fail(a, &halt.message, None, actor).await;
        }
        // The delete is marked sent before it goes: a restart after this point only checks
        // whether the person is gone, and never sends the password again.
        let deleted = if a.step >= 4 {
            Deleted::NotFound
        } else {
            self.store
                .lifecycle_step_done(&a.run_id, a.position, 4, None)
                .await?;
            match hik::delete(hik, &pid, needs.then_some(password)).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %e.to_string().escape_debug(), "person delete: no answer; checking whether the person is gone");
                    Deleted::NotFound
                }
            }
        };
        match deleted {
            Deleted::Yes | Deleted::NotFound => {}
            Deleted::PasswordRefused { remaining, message } => {
                let left = remaining.map_or_else(String::new, |n| {
                    format!(" ({n} attempt(s) left before HikCentral locks this address)")
                });
                let halt = ErasureHalt {
                    password_sha256: digest(password.expose()),
                    at_ms: chrono::Utc::now().timestamp_millis(),
                    message: format!("HikCentral refused the admin password{left}: {message}; erasures are stopped until another password is configured"),
                };
                self.store.halt_erasures(&halt).await?;
                crate::metrics::lifecycle_erasure_halted();
                tracing::error!(left = ?remaining, "HikCentral refused the admin password: every erasure is stopped, the password is never sent again");
                return self.fail(a, &halt.message, None, actor).await;
            }
            Deleted::Unsupported(msg) => {
                let halt = ErasureHalt {
                    password_sha256: String::new(),
                    at_ms: chrono::Utc::now().timestamp_millis(),
                    message: format!("this HikCentral cannot delete persons through OpenAPI (code 8: {msg}): delete them in the HikCentral client; they stay revoked"),
                };
                self.store.halt_erasures(&halt).await?;
                crate::metrics::lifecycle_erasure_halted();
                return self.fail(a, &halt.message, None, actor).await;
            }
            Deleted::Refused { code, message } => {
                let what = format!("HikCentral refused the deletion (code {code}): {message}");
                return self.fail(a, &what, None, actor).await;
            }
        }
        match hik::still_there(hik, &code).await {
            Ok(false) => {
                let end = ActionEnd {
                    state: ActionState::Done,
                    outcome: "ok",
                    detail: "deleted in HikCentral with its face (confirmed: it no longer finds the person); the local photo fingerprint and cached personal data removed; attendance records kept",
                    upstream: None,
                };
                self.finish(a, &end, Some(&PersonChange::Erased), Some(actor))
                    .await
            }
            Ok(true) => {
                self.fail(
                    a,
                    "HikCentral still lists the person after the delete",
                    None,
                    actor,
                )
                .await
            }
            Err(e) if super::apply::is_transient(&e) => Err(e.into()),
            Err(e) => {
                self.fail(a, "the deletion could not be confirmed", Some(&e), actor)
                    .await
            }
        }
    }
}
