//! The plan, pure: from the roster (who may enter now), HikCentral's census (who is there), the
//! ledger and what the lifecycle knows of each person, one action per person with its reason,
//! and whether the plan must be held for an administrator.
//!
//! Rules, in order, for a person on the roster: an erasure request keeps them out; in
//! HikCentral in an organisation not managed here → `unmanaged`; revoked → `restore`; name,
//! e-mail or organisation differ → `refresh_person`; the SIAD photo changed → `refresh_face`;
//! not in HikCentral → `register` (or `skip` without a photo). For a person in HikCentral off
//! the roster: an organisation not managed here, or not a SIAD person → `unmanaged`; exempt →
//! `skip`; revoked long enough → `erase`; revoked → nothing; its roster part unusable → `skip`;
//! within the grace → `skip`; else `revoke`.

pub use super::rules::Rules;
use crate::siad::SiadPerson;
use crate::store::lifecycle::{ActionKind, LifecyclePerson, PersonState, PlannedAction};
use crate::store::LedgerEntry;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One person of HikCentral's list, as much as the plan needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HikPerson {
    pub person_id: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub org: String,
}

/// Whether the off-roster people of a roster part may be revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    Usable,
    /// Why not: the query failed, or answered nobody.
    Unusable(String),
}

/// Everything a plan is made from.
pub struct PlanInput<'a> {
    /// On the roster, by CI.
    pub roster: &'a HashMap<String, SiadPerson>,
    pub students: &'a Coverage,
    pub staff: &'a Coverage,
    /// HikCentral's people by personCode.
    pub census: &'a HashMap<String, HikPerson>,
    pub ledger: &'a HashMap<String, LedgerEntry>,
    pub people: &'a HashMap<String, LifecyclePerson>,
    /// For people off the roster in a managed organisation: their SIAD person type, or `None`
    /// when SIAD does not know them (not a SIAD person).
    pub siad_types: &'a HashMap<String, Option<String>>,
    /// On the roster, in HikCentral, whose SIAD photo is a new face.
    pub new_faces: &'a HashSet<String>,
    /// On the roster with a photo in SIAD.
    pub with_photo: &'a HashSet<String>,
    pub rules: &'a Rules,
    pub now_ms: i64,
}

/// A plan: its actions, what it leaves unchanged, and who it found off (or back on) the roster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub actions: Vec<PlannedAction>,
    /// Managed people (on the roster in HikCentral, or SIAD people off it).
    pub managed: u64,
    /// Managed people needing nothing.
    pub unchanged: u64,
    /// Off the roster, noted now (the grace starts).
    pub newly_off: Vec<String>,
    /// Back on the roster after being noted off.
    pub back: Vec<String>,
}

impl Plan {
    pub fn count(&self, kind: ActionKind) -> u64 {
        self.actions.iter().filter(|a| a.action == kind).count() as u64
    }

    /// Why an administrator must approve this plan, if it must.
    pub fn hold_reason(&self, rules: &Rules) -> Option<String> {
        let revokes = self.count(ActionKind::Revoke);
        if revokes == 0 {
            return None;
        }
        let share = revokes as f64 / self.managed.max(1) as f64;
        if revokes > rules.max_revoke_count {
            return Some(format!(
                "this plan revokes {revokes} people, more than lifecycle.max_revoke_count ({}): an administrator must approve it",
                rules.max_revoke_count
            ));
        }
        if share > rules.max_revoke_share {
            return Some(format!(
                "this plan revokes {revokes} of {} managed people ({:.1} %), more than lifecycle.max_revoke_share ({:.1} %): an administrator must approve it",
                self.managed,
                share * 100.0,
                rules.max_revoke_share * 100.0
            ));
        }
        None
    }
}

fn day(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Which fields of the HikCentral record differ from SIAD (names only, never values).
fn differences(p: &SiadPerson, h: &HikPerson, org: Option<&str>) -> Vec<&'static str> {
    let mut out = Vec::new();
    if p.given_names.trim() != h.given_name.trim() || p.family_name().trim() != h.family_name.trim()
    {
        out.push("name");
    }
    let email = p.email.as_deref().unwrap_or("").trim();
    if !email.is_empty() && email != h.email.trim() {
        out.push("e-mail");
    }
    if let Some(org) = org {
        if org != h.org {
            out.push("organisation (person type)");
        }
    }
    out
}

/// Decide every person's action.
pub fn plan(input: &PlanInput<'_>) -> Plan {
    let rules = input.rules;
    let mut plan = Plan::default();
    let mut push = |ci: &str, pid: Option<&str>, ptype: Option<&str>, action, reason: String| {
        plan.actions.push(PlannedAction {
            ci: ci.to_owned(),
            person_id: pid.map(str::to_owned),
            person_type: ptype.map(str::to_owned),
            action,
            reason,
        })
    };
    let mut managed = 0u64;
    let mut unchanged = 0u64;
    let mut newly_off = Vec::new();
    let mut back = Vec::new();
    let mut on_roster_codes: HashSet<String> = HashSet::new();

    // Sorted for a stable, readable order.
    let roster: BTreeMap<&String, &SiadPerson> = input.roster.iter().collect();
    for (ci, p) in roster {
        let known = input.people.get(ci.as_str());
        if known.is_some_and(|k| k.missing_since_ms.is_some()) {
            back.push(ci.clone());
        }
        let Some(code) = rules.code(ci) else {
            push(
                ci,
                None,
                Some(&p.person_type),
                ActionKind::Skip,
                "the CI cannot be a HikCentral personCode (biometrico.person_code)".into(),
            );
            continue;
        };
        on_roster_codes.insert(code.clone());
        let ptype = Some(p.person_type.as_str());
        if let Some(k) = known.filter(|k| k.blocked()) {
            let when = k.erase_requested_at_ms.map(day).unwrap_or_default();
            push(ci, None, ptype, ActionKind::Skip, format!("erased on request ({when}): kept out of register until an administrator lifts it"));
            continue;
        }
        let Some(h) = input.census.get(&code) else {
            if !input.with_photo.contains(ci.as_str()) {
                push(
                    ci,
                    None,
                    ptype,
                    ActionKind::Skip,
                    "on the roster, not in HikCentral, and SIAD has no photo".into(),
                );
            } else {
                let why = match input
                    .ledger
                    .get(ci.as_str())
                    .and_then(|e| e.person_id.as_deref())
                {
                    Some(_) => "on the roster; HikCentral no longer has this person",
                    None => "on the roster, not in HikCentral",
                };
                push(ci, None, ptype, ActionKind::Register, why.into());
            }
            continue;
        };
        let pid = Some(h.person_id.as_str());
        if !rules.managed_orgs.contains(&h.org) {
            push(ci, pid, ptype, ActionKind::Unmanaged, format!("on the roster, but in HikCentral organisation {} which this service does not manage", h.org));
            continue;
        }
        managed += 1;
        if known.is_some_and(|k| k.state == PersonState::Revoked) {
            push(
                ci,
                pid,
                ptype,
                ActionKind::Restore,
                "revoked earlier, on the roster again".into(),
            );
            continue;
        }
        let org = rules.org(&p.person_type);
        let changed = differences(p, h, org.as_deref());
        if !changed.is_empty() {
            push(
                ci,
                pid,
                ptype,
                ActionKind::RefreshPerson,
                format!("changed in SIAD: {}", changed.join(", ")),
            );
        } else if input.new_faces.contains(ci.as_str()) {
            push(
                ci,
                pid,
                ptype,
                ActionKind::RefreshFace,
                "the SIAD photo is a different face from the one sent".into(),
            );
        } else {
            unchanged += 1;
        }
    }

    // Off the roster: everyone in HikCentral whose code is not on it. The CI of a code is the
    // one the ledger or the lifecycle knows for it (they differ with person_code = ci_alnum).
    let ci_of: HashMap<String, &str> = input
        .ledger
        .keys()
        .chain(input.people.keys())
        .filter_map(|ci| Some((rules.code(ci)?, ci.as_str())))
        .collect();
    let census: BTreeMap<&String, &HikPerson> = input.census.iter().collect();
    for (code, h) in census {
        if on_roster_codes.contains(code.as_str()) {
            continue;
        }
        let ci = ci_of.get(code.as_str()).copied().unwrap_or(code.as_str());
        let pid = Some(h.person_id.as_str());
        if !rules.managed_orgs.contains(&h.org) {
            push(
                ci,
                pid,
                None,
                ActionKind::Unmanaged,
                format!(
                    "in HikCentral organisation {}, which this service does not manage",
                    h.org
                ),
            );
            continue;
        }
        let known = input.people.get(ci);
        let ledger_type = input.ledger.get(ci).and_then(|e| e.person_type.clone());
        let ptype = match input.siad_types.get(ci) {
            Some(Some(t)) => Some(t.clone()),
            Some(None) => {
                push(
                    ci,
                    pid,
                    None,
                    ActionKind::Unmanaged,
                    "in a managed organisation, but not a SIAD person".into(),
                );
                continue;
            }
            None => ledger_type,
        };
        managed += 1;
        if rules.exempt.contains(ci) {
            push(
                ci,
                pid,
                ptype.as_deref(),
                ActionKind::Skip,
                "off the roster, but exempt (lifecycle.exempt)".into(),
            );
            continue;
        }
        match known.map(|k| k.state) {
            Some(PersonState::Revoked) => {
                let since = known.and_then(|k| k.revoked_at_ms).unwrap_or(input.now_ms);
                if rules.erase_after_ms > 0 && input.now_ms - since >= rules.erase_after_ms {
                    push(
                        ci,
                        pid,
                        ptype.as_deref(),
                        ActionKind::Erase,
                        format!("revoked since {} (lifecycle.erase_after_days)", day(since)),
                    );
                } else {
                    unchanged += 1;
                }
                continue;
            }
            Some(PersonState::Active) | Some(PersonState::Erased) | None => {}
        }
        let Some(person_type) = ptype else {
            push(
                ci,
                pid,
                None,
                ActionKind::Skip,
                "off the roster, but its SIAD person type is unknown: not revoked".into(),
            );
            continue;
        };
        let (part, coverage) = if rules.is_student(&person_type) {
            ("students", input.students)
        } else {
            ("staff", input.staff)
        };
        if let Coverage::Unusable(why) = coverage {
            push(
                ci,
                pid,
                Some(&person_type),
                ActionKind::Skip,
                format!("the {part} roster is unusable ({why}): nobody it covers is revoked"),
            );
            continue;
        }
        let since = match known.and_then(|k| k.missing_since_ms) {
            Some(s) => s,
            None => {
                newly_off.push(ci.to_owned());
                input.now_ms
            }
        };
        if input.now_ms - since < rules.grace_ms {
            push(ci, pid, Some(&person_type), ActionKind::Skip, format!("off the roster since {}: revoked after the grace (lifecycle.grace_days), on {}", day(since), day(since + rules.grace_ms)));
            continue;
        }
        push(
            ci,
            pid,
            Some(&person_type),
            ActionKind::Revoke,
            format!("not on the {part} roster (off since {})", day(since)),
        );
    }
    // Acting actions first in the order applying wants them: revocations together (they go in
    // groups of 20), then the rest; reported ones last.
    plan.actions.sort_by_key(|a| match a.action {
        ActionKind::Revoke => 0,
        ActionKind::Restore => 1,
        ActionKind::RefreshPerson => 2,
        ActionKind::RefreshFace => 3,
        ActionKind::Register => 4,
        ActionKind::Erase => 5,
        ActionKind::Skip => 6,
        ActionKind::Unmanaged => 7,
    });
    plan.managed = managed;
    plan.unchanged = unchanged;
    plan.newly_off = newly_off;
    plan.back = back;
    plan
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
