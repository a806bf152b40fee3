//! The policy: which scope each protected route needs, in one table. The auth middleware
//! enforces it, the OpenAPI document states it (every operation's `security` is made from it),
//! and a route missing from it is refused to everyone — so a new route cannot skip its scope.

use crate::config::Scope;
use crate::store::audit::AuditAction;
use axum::http::Method;
use std::collections::HashMap;
use std::sync::LazyLock;

use Scope::{Admin, Operate, Read, Sync};

/// What the audit log keeps of a call besides the changes it records itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// A state-changing call: one row, unless the change already wrote a more specific one.
    Change,
    /// A read: nothing.
    Nothing,
    /// A read of sensitive data (a face): one row with this action.
    Read(AuditAction),
}

/// (method, path as routed, the scopes any one of which allows the call, what is recorded).
#[rustfmt::skip]
pub const ROUTES: &[(&str, &str, &[Scope], Recorded)] = &[
    ("GET",    "/admin/session",                         &[Sync, Read, Operate, Admin], Recorded::Nothing),
    ("GET",    "/admin/summary",                         &[Read],    Recorded::Nothing),
    ("GET",    "/admin/punches",                         &[Read],    Recorded::Nothing),
    ("POST",   "/admin/punches/{id}/retry",              &[Operate], Recorded::Change),
    ("POST",   "/admin/punches/{id}/discard",            &[Operate], Recorded::Change),
    ("GET",    "/admin/parked",                          &[Read],    Recorded::Nothing),
    ("GET",    "/admin/events/{event_id}",               &[Read],    Recorded::Nothing),
    ("POST",   "/admin/events/{event_id}/retry",         &[Operate], Recorded::Change),
    ("POST",   "/admin/events/redecide",                 &[Operate], Recorded::Change),
    ("GET",    "/admin/out-of-window",                   &[Read],    Recorded::Nothing),
    ("POST",   "/admin/events/{event_id}/admit",         &[Operate], Recorded::Change),
    ("POST",   "/admin/events/admit",                    &[Operate], Recorded::Change),
    ("GET",    "/admin/timeline/{employee}/{day}",       &[Read],    Recorded::Nothing),
    ("GET",    "/admin/overrides",                       &[Read],    Recorded::Nothing),
    ("POST",   "/admin/overrides",                       &[Admin],   Recorded::Change),
    ("PUT",    "/admin/overrides/{person_code}",         &[Admin],   Recorded::Change),
    ("DELETE", "/admin/overrides/{person_code}",         &[Admin],   Recorded::Change),
    ("GET",    "/admin/doors/unmapped",                  &[Read],    Recorded::Nothing),
    ("GET",    "/admin/rejected",                        &[Read],    Recorded::Nothing),
    ("GET",    "/admin/audit",                           &[Read],    Recorded::Nothing),
    ("GET",    "/admin/audit.csv",                       &[Read],    Recorded::Nothing),
    ("GET",    "/admin/people/{ci}/history",             &[Read],    Recorded::Nothing),
    ("POST",   "/admin/people/{ci}/erase",               &[Admin],   Recorded::Change),
    ("POST",   "/admin/people/{ci}/erase/lift",          &[Admin],   Recorded::Change),
    ("POST",   "/admin/lifecycle/runs",                  &[Operate], Recorded::Change),
    ("GET",    "/admin/lifecycle/runs",                  &[Read],    Recorded::Nothing),
    ("GET",    "/admin/lifecycle/runs/{id}",             &[Read],    Recorded::Nothing),
    ("POST",   "/admin/lifecycle/runs/{id}/apply",       &[Admin],   Recorded::Change),
    ("POST",   "/admin/lifecycle/runs/{id}/discard",     &[Operate], Recorded::Change),
    ("GET",    "/admin/lifecycle/runs/{id}/actions",     &[Read],    Recorded::Nothing),
    ("GET",    "/admin/lifecycle/runs/{id}/actions.csv", &[Read],    Recorded::Nothing),
    ("DELETE", "/admin/lifecycle/erasure-halt",          &[Admin],   Recorded::Change),
    ("POST",   "/biometrico/sync-hikdoc-est-id/{cedula}", &[Sync],   Recorded::Change),
    ("POST",   "/biometrico/sync-hikdoc/{cedula}",       &[Sync],    Recorded::Change),
    ("POST",   "/biometrico/sync-hikcentral/{cedula}",   &[Sync],    Recorded::Change),
    ("POST",   "/biometrico/sync-hikdoc-update/{cedula}", &[Sync],   Recorded::Change),
    ("POST",   "/biometrico/sync-hikdupdatedoce/{cedula}", &[Sync],  Recorded::Change),
    ("GET",    "/biometrico/getperson-est/{ci}",         &[Sync],    Recorded::Nothing),
    ("GET",    "/biometrico/getperson/{ci}",             &[Sync],    Recorded::Nothing),
    ("GET",    "/biometrico/get-pending-sync-est",       &[Sync],    Recorded::Nothing),
    ("GET",    "/biometrico/get-pending-sync",           &[Sync],    Recorded::Nothing),
    ("GET",    "/biometrico/gethick/{ci}",               &[Sync],    Recorded::Read(AuditAction::PersonPhotoView)),
    ("GET",    "/biometrico/compare/{ci}",               &[Sync],    Recorded::Read(AuditAction::PersonPhotoView)),
    ("POST",   "/biometrico/jobs",                       &[Sync],    Recorded::Change),
    ("GET",    "/biometrico/jobs",                       &[Sync, Read], Recorded::Nothing),
    ("GET",    "/biometrico/jobs/{id}",                  &[Sync, Read], Recorded::Nothing),
    ("GET",    "/biometrico/jobs/{id}/events",           &[Sync, Read], Recorded::Nothing),
    ("GET",    "/biometrico/jobs/{id}/report.csv",       &[Sync, Read], Recorded::Nothing),
    ("POST",   "/biometrico/jobs/{id}/cancel",           &[Operate], Recorded::Change),
];

/// One route's rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub scopes: &'static [Scope],
    pub recorded: Recorded,
}

/// The rule of `method` on the routed path `path` (`None`: the route is not in the table).
pub fn rule(method: &Method, path: &str) -> Option<Rule> {
    static TABLE: LazyLock<HashMap<(&'static str, &'static str), Rule>> = LazyLock::new(|| {
        ROUTES
            .iter()
            .map(|(m, p, scopes, recorded)| {
                (
                    (*m, *p),
                    Rule {
                        scopes,
                        recorded: *recorded,
                    },
                )
            })
            .collect()
    });
    TABLE.get(&(method.as_str(), path)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_listed_once_with_a_scope() {
        let mut seen = std::collections::HashSet::new();
        for (m, p, scopes, _) in ROUTES {
            assert!(seen.insert((m, p)), "{m} {p} is listed twice");
            assert!(!scopes.is_empty(), "{m} {p} has no scope");
            assert!(p.starts_with("/admin/") || p.starts_with("/biometrico/"));
        }
    }

    #[test]
    fn the_frontends_scope_cannot_discard_redecide_override_or_cancel() {
        for (m, p) in [
            ("POST", "/admin/punches/{id}/discard"),
            ("POST", "/admin/events/redecide"),
            ("PUT", "/admin/overrides/{person_code}"),
            ("POST", "/biometrico/jobs/{id}/cancel"),
            ("POST", "/admin/lifecycle/runs/{id}/apply"),
            ("POST", "/admin/people/{ci}/erase"),
        ] {
            let method = Method::from_bytes(m.as_bytes()).unwrap();
            let r = rule(&method, p).unwrap();
            assert!(!r.scopes.contains(&Scope::Sync), "{m} {p}");
        }
        assert!(rule(&Method::GET, "/admin/nothing-here").is_none());
    }
}
