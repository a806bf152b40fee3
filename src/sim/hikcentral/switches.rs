//! The person-lifecycle switches: validity, access levels applied to the doors, deletion with
//! the admin password, and what no public source settles (UNCONFIRMED). Each UNCONFIRMED switch
//! defaults to the stricter, less convenient reading, so a client that works against the
//! defaults also works against the kinder server (`shared/reference/hikcentral-lifecycle.md`).

use std::fmt;
use std::time::Duration;

/// What `visitor/v1/auth/reapplication` does when `personIds` is left out (UNCONFIRMED whether
/// it means "everyone").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReapplyWithoutIds {
    /// Success, and nothing is applied (default: the client only learns it from the
    /// application result).
    #[default]
    ApplyNothing,
    /// Code 2, `personIds` is required.
    Refuse,
    /// Every person with a change not yet applied.
    ApplyAll,
}

/// How a look-up of a person that does not exist (never did, or was deleted) is answered
/// (UNCONFIRMED: reference §2 names all three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NotFoundAnswer {
    /// Code `128`, "requested resource doesn't exist" (default).
    #[default]
    Code128,
    /// Code `0x00072203`, "resource doesn't exist".
    Code0x00072203,
    /// Code `0` with `data: null`.
    EmptySuccess,
}

/// Which calls fail from an IP locked by wrong admin passwords (the spec only says "the IP will
/// be locked").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IpLockScope {
    /// Every API call from that IP (default).
    #[default]
    AllCalls,
    /// Only the calls that take the admin password (`person/single/delete`).
    PasswordCalls,
}

/// The lifecycle part of [`HikSimConfig`](super::HikSimConfig).
#[derive(Clone)]
pub struct LifecycleSwitches {
    /// The admin password `person/single/delete` checks (a secret: never in `Debug`).
    pub admin_password: String,
    /// `deleteconfig/get` answers `enable: 1` and delete needs the password (default true).
    pub delete_requires_password: bool,
    /// Wrong passwords allowed before the caller's IP is locked (the spec's example: 5).
    pub delete_max_attempts: u32,
    /// How long a locked IP stays locked.
    pub ip_lock_duration: Duration,
    pub ip_lock_scope: IpLockScope,
    /// `person/single/delete` answers code 8 "product version not supported", as one
    /// deployment did.
    pub delete_unsupported: bool,
    /// A wrong admin password is answered code 2 without `data.remainLockNumber` (the failure
    /// answers are not documented: UNCONFIRMED). Default false: with it.
    pub wrong_password_without_count: bool,
    pub not_found: NotFoundAnswer,
    /// personInfo / person lists carry `beginTime`/`endTime` (the V2.1 guide's PersonInfo).
    /// Default false: the V3.x catalogue's answers have none (UNCONFIRMED per version).
    pub validity_in_answers: bool,
    /// `showAccessLevel: 1` adds `accessLevelList` (V3.x). Default false: V2.1 has none and
    /// ignores the field (UNCONFIRMED per version).
    pub show_access_level: bool,
    /// `acs/v1/privilege/group` answers the V2.1 flat list. Default false: the V3.x nested
    /// `list[{PrivilegeGroupInfo:[...]}]`.
    pub privilege_groups_flat: bool,
    /// Validity and access-level edits reach the doors at once. Default false: only after a
    /// reapplication (UNCONFIRMED whether HikCentral applies edits by itself).
    pub edits_apply_at_once: bool,
    pub reapply_without_ids: ReapplyWithoutIds,
    /// `acs/v1/auth/applicationResult` answers code 8 "product version not supported" (the API
    /// is minVersion V1.7.0). Default false.
    pub application_result_unsupported: bool,
    /// A validity after 2037-12-31T23:59:59 (wall time) is refused with code 0x00072002
    /// (device firmware's limit; UNCONFIRMED for HikCentral itself). Default true.
    pub validity_capped_2037: bool,
    /// Access events the simulator records for a known person are judged by the devices'
    /// state: a granted type becomes a denied one when the person is outside its applied
    /// validity or not applied to that door. Default true.
    pub doors_enforce_access: bool,
    /// A person list page whose JSON is longer answers `0x00072004` (`None`: no limit).
    pub max_answer_bytes: Option<usize>,
}

impl Default for LifecycleSwitches {
    fn default() -> Self {
        Self {
            admin_password: "demo-admin-password".into(),
            delete_requires_password: true,
            delete_max_attempts: 5,
            ip_lock_duration: Duration::from_secs(30 * 60),
            ip_lock_scope: IpLockScope::default(),
            delete_unsupported: false,
            wrong_password_without_count: false,
            not_found: NotFoundAnswer::default(),
            validity_in_answers: false,
            show_access_level: false,
            privilege_groups_flat: false,
            edits_apply_at_once: false,
            reapply_without_ids: ReapplyWithoutIds::default(),
            application_result_unsupported: false,
            validity_capped_2037: true,
            doors_enforce_access: true,
            max_answer_bytes: None,
        }
    }
}

impl fmt::Debug for LifecycleSwitches {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LifecycleSwitches")
            .field("admin_password", &"[redacted]")
            .field("delete_requires_password", &self.delete_requires_password)
            .field("delete_max_attempts", &self.delete_max_attempts)
            .field("ip_lock_duration", &self.ip_lock_duration)
            .field("ip_lock_scope", &self.ip_lock_scope)
            .field("delete_unsupported", &self.delete_unsupported)
            .field(
                "wrong_password_without_count",
                &self.wrong_password_without_count,
            )
            .field("not_found", &self.not_found)
            .field("validity_in_answers", &self.validity_in_answers)
            .field("show_access_level", &self.show_access_level)
            .field("privilege_groups_flat", &self.privilege_groups_flat)
            .field("edits_apply_at_once", &self.edits_apply_at_once)
            .field("reapply_without_ids", &self.reapply_without_ids)
            .field(
                "application_result_unsupported",
                &self.application_result_unsupported,
            )
            .field("validity_capped_2037", &self.validity_capped_2037)
            .field("doors_enforce_access", &self.doors_enforce_access)
            .field("max_answer_bytes", &self.max_answer_bytes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows_in_debug() {
        let s = LifecycleSwitches {
            admin_password: "s3cr3t-pw".into(),
            ..LifecycleSwitches::default()
        };
        let text = format!("{s:?}");
        assert!(!text.contains("s3cr3t-pw"), "{text}");
        assert!(text.contains("[redacted]"));
    }
}
