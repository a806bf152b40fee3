//! Deleting a person: `resource/v1/person/single/delete` `{personId | personCode,
//! adminPassword}` and `resource/v1/person/deleteconfig/get` (`data.enable`: whether the admin
//! password is required). The spec: a wrong password answers `data.remainLockNumber`, "the IP
//! will be locked when the maximum attempts reached". Its success demo also carries
//! `remainLockNumber`. The failure codes are not documented (UNCONFIRMED): a wrong or missing
//! password answers code 2, a locked IP code 65 ("user is locked"), both with
//! `data.remainLockNumber` (the switch `wrong_password_without_count` answers a wrong password
//! without it). Every call is recorded for the tests, never with the password.

use super::super::gateway::CallerIp;
use super::super::switches::NotFoundAnswer;
use super::super::wire::{code, reply, ApiError, ApiResult, Params};
use super::super::HikSim;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use serde_json::json;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// How one delete call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    /// The password was wrong; `remaining` attempts before the IP is locked (0: locked now).
    WrongPassword {
        remaining: u32,
    },
    /// The password was required and not sent.
    MissingPassword {
        remaining: u32,
    },
    /// The caller's IP was locked: nothing was checked.
    IpLocked,
    /// Answered code 8 (the switch for a deployment without delete).
    NotSupported,
    NotFound,
    /// Refused before anything was checked (the message says why).
    BadRequest(String),
}

/// One `person/single/delete` call: whom it named (personId or personCode as sent), from which
/// IP, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteAttempt {
    pub person: String,
    pub ip: IpAddr,
    pub outcome: DeleteOutcome,
}

/// Wrong-password counts and locks per caller IP, and the record of attempts.
#[derive(Debug, Default)]
pub(crate) struct DeleteGuard {
    failures: HashMap<IpAddr, u32>,
    locked_until: HashMap<IpAddr, Instant>,
    attempts: Vec<DeleteAttempt>,
}

impl DeleteGuard {
    pub fn locked(&self, ip: IpAddr, now: Instant) -> bool {
        self.locked_until.get(&ip).is_some_and(|until| now < *until)
    }

    /// Count a wrong password from `ip`; returns the attempts left, locking the IP for `lock`
    /// (and starting the count afresh) when none are.
    fn wrong(&mut self, ip: IpAddr, now: Instant, max: u32, lock: Duration) -> u32 {
        let failures = self.failures.entry(ip).or_insert(0);
        *failures = failures.saturating_add(1);
        let remaining = max.saturating_sub(*failures);
        if remaining == 0 {
            self.failures.remove(&ip);
            self.locked_until.insert(ip, now + lock);
        }
        remaining
    }

    pub fn clear_locks(&mut self) {
        self.failures.clear();
        self.locked_until.clear();
    }

    pub fn attempts(&self) -> Vec<DeleteAttempt> {
        self.attempts.clone()
    }

    fn record(&mut self, person: &str, ip: IpAddr, outcome: DeleteOutcome) {
        self.attempts.push(DeleteAttempt {
            person: person.to_owned(),
            ip,
            outcome,
        });
    }
}

/// The answer for a call from a locked IP.
pub(crate) fn locked_error() -> ApiError {
    ApiError::new(
        code::LOCKED,
        "the IP address is locked: too many wrong admin passwords",
    )
    .with_data(json!({ "remainLockNumber": 0 }))
}

/// `deleteconfig/get`: no body parameters; whatever body came is ignored.
pub(crate) async fn delete_config(State(sim): State<HikSim>) -> Response {
    let enable = i32::from(sim.cfg().lifecycle.delete_requires_password);
    reply(Ok(json!({ "enable": enable })))
}

pub(crate) async fn delete(
    State(sim): State<HikSim>,
    Extension(CallerIp(ip)): Extension<CallerIp>,
    body: Bytes,
) -> Response {
    reply(delete_person(&sim, ip, &body))
}

fn delete_person(sim: &HikSim, ip: IpAddr, body: &[u8]) -> ApiResult {
    let sw = sim.cfg().lifecycle.clone();
    let now = Instant::now();
    let mut guard = sim.delete_guard();
    let target = Params::parse(body).and_then(|p| {
        let target = match (p.opt_str("personId")?, p.opt_str("personCode")?) {
            (Some(id), None) => Ok((Some(id.clone()), id)),
            (None, Some(code)) => Ok((None, code.clone())),
            (Some(_), Some(_)) => Err(ApiError::bad(
                "personId and personCode are mutually exclusive",
            )),
            (None, None) => Err(ApiError::new(
                code::MISSING,
                "personId or personCode is required",
            )),
        }?;
        Ok((target, p.opt_str("adminPassword")?))
    });
    let ((by_id, named), password) = match target {
        Ok(t) => t,
        Err(e) => {
            guard.record("", ip, DeleteOutcome::BadRequest(e.msg.clone()));
            return Err(e);
        }
    };
    if guard.locked(ip, now) {
        guard.record(&named, ip, DeleteOutcome::IpLocked);
        return Err(locked_error());
    }
    if sw.delete_unsupported {
        guard.record(&named, ip, DeleteOutcome::NotSupported);
        return Err(ApiError::new(
            code::VERSION_NOT_SUPPORTED,
            "This product version is not supported.",
        ));
    }
    if sw.delete_requires_password {
        if password.as_deref() != Some(sw.admin_password.as_str()) {
            let remaining = guard.wrong(ip, now, sw.delete_max_attempts, sw.ip_lock_duration);
            let outcome = if password.is_some() {
                DeleteOutcome::WrongPassword { remaining }
            } else {
                DeleteOutcome::MissingPassword { remaining }
            };
            guard.record(&named, ip, outcome);
            let refused = ApiError::bad("the admin password is incorrect");
            if sw.wrong_password_without_count {
                return Err(refused);
            }
            return Err(refused.with_data(json!({ "remainLockNumber": remaining })));
        }
        guard.failures.remove(&ip);
    }
    let mut store = sim.store();
    let person = match &by_id {
        Some(id) => store.persons.by_id(id),
        None => store.persons.by_code(&named),
    }
    .map(|p| p.id);
    let Some(removed) = person.and_then(|id| store.persons.remove(id)) else {
        guard.record(&named, ip, DeleteOutcome::NotFound);
        let missing = match sw.not_found {
            NotFoundAnswer::Code0x00072203 => code::RESOURCE_MISSING,
            _ => code::NOT_FOUND,
        };
        return Err(ApiError::new(missing, "the person does not exist"));
    };
    store.access.forget(removed.id);
    store.devices.forget(&removed);
    guard.record(&named, ip, DeleteOutcome::Deleted);
    Ok(json!({ "remainLockNumber": sw.delete_max_attempts }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_passwords_count_down_then_lock_the_ip_for_the_configured_time() {
        let mut g = DeleteGuard::default();
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        let other: IpAddr = "10.0.0.8".parse().unwrap();
        let t0 = Instant::now();
        let lock = Duration::from_secs(60);
        assert_eq!(g.wrong(ip, t0, 3, lock), 2);
        assert_eq!(g.wrong(ip, t0, 3, lock), 1);
        assert!(!g.locked(ip, t0));
        assert_eq!(g.wrong(ip, t0, 3, lock), 0);
        assert!(g.locked(ip, t0 + Duration::from_secs(59)));
        assert!(!g.locked(other, t0));
        assert!(!g.locked(ip, t0 + lock), "the lock ends after its time");
        g.clear_locks();
        assert!(!g.locked(ip, t0));
    }
}
