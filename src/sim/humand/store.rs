//! The simulator's data and Humand's business rules, free of HTTP: users, accepted entries,
//! and the checks a clock-in / clock-out must pass.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{json, Value};

/// START (clockIn) or END (clockOut).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    Start,
    End,
}

impl EntryKind {
    fn as_str(self) -> &'static str {
        match self {
            EntryKind::Start => "START",
            EntryKind::End => "END",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: u64,
    pub employee_internal_id: String,
    pub first_name: String,
    pub last_name: String,
}

impl User {
    pub fn to_json(&self) -> Value {
        let email = format!(
            "{}.{}@example.com",
            self.first_name.to_lowercase(),
            self.last_name.to_lowercase()
        )
        .replace(' ', "");
        json!({
            "id": self.id,
            "status": "ACTIVE",
            "employeeInternalId": self.employee_internal_id,
            "email": email,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "nickname": null,
            "phoneNumber": null,
            "hiringDate": "2020-01-01",
            "birthdate": null,
            "segmentation": [],
            "relationships": [],
            "fields": [],
        })
    }

    fn matches(&self, needle: &str) -> bool {
        let full = format!("{} {}", self.first_name, self.last_name);
        [&self.employee_internal_id, &full, &self.last_name]
            .iter()
            .any(|hay| hay.to_lowercase().contains(needle))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub id: String,
    pub user_id: u64,
    pub employee_internal_id: String,
    pub kind: EntryKind,
    pub time: DateTime<Utc>,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
    /// `API` for clock calls; `AUTO_CLOSE` for the END Humand adds to a day left open.
    pub source: &'static str,
}

impl Entry {
    pub fn date(&self) -> NaiveDate {
        self.time.date_naive()
    }

    pub fn to_json(&self) -> Value {
        let ts = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
        let date = self.date().format("%Y-%m-%d").to_string();
        json!({
            "id": self.id,
            "userId": self.user_id,
            "employeeInternalId": self.employee_internal_id,
            "date": date,
            "referenceDate": date,
            "type": self.kind.as_str(),
            "source": self.source,
            "site": null,
            "coordinates": null,
            "comment": self.comment,
            "createdAt": ts(&self.created_at),
            "updatedAt": ts(&self.created_at),
            "time": ts(&self.time),
        })
    }
}

/// Why a well-formed clock request was refused (answered with the business-rule status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleViolation {
    UnknownUser,
    Future,
    AlreadyStarted,
    NotStarted,
}

impl RuleViolation {
    pub fn message(self) -> &'static str {
        match self {
            RuleViolation::UnknownUser => "User not found",
            RuleViolation::Future => "The entry time cannot be in the future",
            RuleViolation::AlreadyStarted => "Time tracking already started for this user",
            RuleViolation::NotStarted => "Time tracking not started for this user",
        }
    }
}

/// One clock-in or clock-out as asked for.
#[derive(Debug, Clone)]
pub(crate) struct ClockRequest {
    pub employee_id: String,
    pub kind: EntryKind,
    pub time: DateTime<Utc>,
    pub comment: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    users: Vec<User>,
    entries: Vec<Entry>,
}

impl Store {
    /// Add a user, or rename the one with that `employeeInternalId`.
    pub fn upsert_user(&mut self, employee_internal_id: &str, first: &str, last: &str) -> &User {
        let pos = match self
            .users
            .iter()
            .position(|u| u.employee_internal_id == employee_internal_id)
        {
            Some(pos) => pos,
            None => {
                let id = 1000 + self.users.len() as u64 + 1;
                self.users.push(User {
                    id,
                    employee_internal_id: employee_internal_id.to_string(),
                    first_name: String::new(),
                    last_name: String::new(),
                });
                self.users.len() - 1
            }
        };
        let user = &mut self.users[pos];
        user.first_name = first.to_string();
        user.last_name = last.to_string();
        user
    }

    pub fn user(&self, employee_internal_id: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.employee_internal_id == employee_internal_id)
    }

    /// Users whose names or internal id contain `search` (case-insensitive), in creation order.
    pub fn search_users(&self, search: &str) -> Vec<&User> {
        let needle = search.trim().to_lowercase();
        self.users.iter().filter(|u| u.matches(&needle)).collect()
    }

    /// Apply Humand's rules and record the entry: the user must exist, `time` must not be
    /// later than `latest_allowed`, and entries alternate START → END per employee (judged by
    /// the last accepted entry). A refused request leaves no trace.
    pub fn clock(
        &mut self,
        req: ClockRequest,
        now: DateTime<Utc>,
        latest_allowed: DateTime<Utc>,
    ) -> Result<&Entry, RuleViolation> {
        let user_id = self
            .user(&req.employee_id)
            .ok_or(RuleViolation::UnknownUser)?
            .id;
        if req.time > latest_allowed {
            return Err(RuleViolation::Future);
        }
        let last = self
            .entries
            .iter()
            .rev()
            .find(|e| e.employee_internal_id == req.employee_id)
            .map(|e| (e.kind, e.time, e.user_id));
        let mut started = last.is_some_and(|(kind, _, _)| kind == EntryKind::Start);
        // A day left open (a START and no END before the day changed) is handled by Humand
        // itself (UNCONFIRMED in detail): a new START closes the old day with an AUTO_CLOSE END
        // at its end; an END (a night shift) splits the shift at midnight with a DAY_CHANGE END
        // and a DAY_CHANGE START, then records the END. The integrator never invents either.
        if let Some((EntryKind::Start, at, user)) = last {
            if at.date_naive() < req.time.date_naive() {
                let end_of_day = at
                    .date_naive()
                    .and_hms_opt(23, 59, 59)
                    .map_or(at, |t| t.and_utc());
                let system = |kind, time, source| Entry {
                    id: uuid::Uuid::new_v4().to_string(),
                    user_id: user,
                    employee_internal_id: req.employee_id.clone(),
                    kind,
                    time,
                    comment: None,
                    created_at: now,
                    source,
                };
                match req.kind {
                    EntryKind::Start => {
                        self.entries
                            .push(system(EntryKind::End, end_of_day, "AUTO_CLOSE"));
                        started = false;
                    }
                    EntryKind::End => {
                        let midnight = req
                            .time
                            .date_naive()
                            .and_hms_opt(0, 0, 0)
                            .map_or(req.time, |t| t.and_utc());
                        self.entries
                            .push(system(EntryKind::End, end_of_day, "DAY_CHANGE"));
                        self.entries
                            .push(system(EntryKind::Start, midnight, "DAY_CHANGE"));
                    }
                }
            }
        }
        match (req.kind, started) {
            (EntryKind::Start, true) => return Err(RuleViolation::AlreadyStarted),
            (EntryKind::End, false) => return Err(RuleViolation::NotStarted),
            _ => {}
        }
        self.entries.push(Entry {
            id: uuid::Uuid::new_v4().to_string(),
            user_id,
            employee_internal_id: req.employee_id,
            kind: req.kind,
            time: req.time,
            comment: req.comment,
            created_at: now,
            source: "API",
        });
        Ok(&self.entries[self.entries.len() - 1])
    }

    /// Accepted entries in creation order, optionally for one employee.
    pub fn entries(&self, employee_internal_id: Option<&str>) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| employee_internal_id.is_none_or(|id| e.employee_internal_id == id))
            .collect()
    }

    /// One employee's entries dated within `[from, to]`, ordered by time.
    pub fn entries_between(
        &self,
        employee_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Vec<&Entry> {
        let mut found: Vec<&Entry> = self
            .entries(Some(employee_id))
            .into_iter()
            .filter(|e| (from..=to).contains(&e.date()))
            .collect();
        found.sort_by_key(|e| e.time);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 27, h, 0, 0).unwrap()
    }

    fn req(kind: EntryKind, h: u32) -> ClockRequest {
        ClockRequest {
            employee_id: "43013830".into(),
            kind,
            time: at(h),
            comment: None,
        }
    }

    fn store() -> Store {
        let mut s = Store::default();
        s.upsert_user("43013830", "Ana", "Pérez");
        s
    }

    fn clock(s: &mut Store, kind: EntryKind, h: u32) -> Result<EntryKind, RuleViolation> {
        s.clock(req(kind, h), at(23), at(23)).map(|e| e.kind)
    }

    #[test]
    fn entries_must_alternate_start_end() {
        use EntryKind::*;
        let mut s = store();
        assert_eq!(clock(&mut s, End, 7), Err(RuleViolation::NotStarted));
        assert_eq!(clock(&mut s, Start, 8), Ok(Start));
        assert_eq!(clock(&mut s, Start, 9), Err(RuleViolation::AlreadyStarted));
        assert_eq!(clock(&mut s, End, 17), Ok(End));
        assert_eq!(clock(&mut s, End, 18), Err(RuleViolation::NotStarted));
        assert_eq!(s.entries(Some("43013830")).len(), 2);
    }

    #[test]
    fn unknown_user_and_future_time_are_refused() {
        let mut s = store();
        let mut r = req(EntryKind::Start, 8);
        r.employee_id = "999".into();
        assert_eq!(
            s.clock(r, at(23), at(23)).err(),
            Some(RuleViolation::UnknownUser)
        );
        let r = req(EntryKind::Start, 12);
        let latest = at(11) + Duration::seconds(5);
        assert_eq!(
            s.clock(r, at(11), latest).err(),
            Some(RuleViolation::Future)
        );
        assert!(s.entries(None).is_empty());
    }

    #[test]
    fn entry_json_has_utc_millis_and_the_users_numeric_id() {
        let mut s = store();
        let e = s
            .clock(req(EntryKind::Start, 8), at(9), at(9))
            .unwrap()
            .to_json();
        assert_eq!(e["time"], "2026-01-27T08:00:00.000Z");
        assert_eq!(e["date"], "2026-01-27");
        assert_eq!(e["userId"], 1001);
        assert_eq!(e["type"], "START");
        assert_eq!(e["source"], "API");
    }

    #[test]
    fn search_matches_names_and_internal_id_case_insensitively() {
        let mut s = store();
        s.upsert_user("20111222", "Bruno", "Díaz");
        let ids = |q: &str| -> Vec<String> {
            s.search_users(q)
                .iter()
                .map(|u| u.employee_internal_id.clone())
                .collect()
        };
        assert_eq!(ids("ana p"), vec!["43013830"]);
        assert_eq!(ids("DÍAZ"), vec!["20111222"]);
        assert_eq!(ids("2011"), vec!["20111222"]);
        assert_eq!(ids("").len(), 2);
    }

    #[test]
    fn upsert_renames_without_changing_the_id() {
        let mut s = store();
        let id = s.upsert_user("43013830", "Ana María", "Pérez").id;
        assert_eq!(id, 1001);
        assert_eq!(s.search_users("").len(), 1);
    }
}
