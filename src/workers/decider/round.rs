//! One decider round: what it reads once for all its events (overrides and the employees'
//! punch history, two queries instead of two per event), and the decisions it collects until
//! they are written together in one transaction. Punches decided earlier in the round count
//! as history for the events after them.

use crate::attendance::Direction;
use crate::store::{DecisionRow, Store, StoreError, StoredEvent};
use chrono::TimeDelta;
use std::collections::{HashMap, HashSet};

#[derive(Default)]
pub(super) struct Round {
    pub rows: Vec<DecisionRow>,
    /// Punches decided in this round, per employee: (direction, at_ms).
    punches: HashMap<String, Vec<(Direction, i64)>>,
    pub queued_punch: bool,
    /// Person codes whose override was read: code → override (if any).
    overrides: HashMap<String, Option<String>>,
    /// Stored punches of the round's employees between `range`, in time order.
    histories: HashMap<String, Vec<(Direction, i64)>>,
    history_read_for: HashSet<String>,
    range: (i64, i64),
}

impl Round {
    /// Read what the round's events will need: the overrides of their person codes and the
    /// stored punches of those employees from `reach` before the first event to an hour after
    /// the last.
    pub async fn prefetch(
        store: &Store,
        events: &[StoredEvent],
        reach: TimeDelta,
    ) -> Result<Round, StoreError> {
        let mut round = Round::default();
        let codes: Vec<&str> = events
            .iter()
            .filter_map(|e| e.person_code.as_deref())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if codes.is_empty() {
            return Ok(round);
        }
        let found = store.employee_overrides_for(&codes).await?;
        for c in &codes {
            round
                .overrides
                .insert((*c).to_string(), found.get(*c).cloned());
        }
        let employees: Vec<&str> = codes
            .iter()
            .map(|c| found.get(*c).map_or(*c, String::as_str))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let first = events.iter().map(|e| e.happen_at_ms).min().unwrap_or(0);
        let last = events.iter().map(|e| e.happen_at_ms).max().unwrap_or(0);
        let from = first.saturating_sub(reach.num_milliseconds());
        let to = last.saturating_add(TimeDelta::hours(1).num_milliseconds());
        round.histories = store.punches().histories(&employees, from, to).await?;
        round.history_read_for = employees.iter().map(|e| (*e).to_string()).collect();
        round.range = (from, to);
        Ok(round)
    }

    /// The override of `code` if the round read it: `Some(None)` means it has none.
    pub fn override_of(&self, code: &str) -> Option<Option<String>> {
        self.overrides.get(code).cloned()
    }

    /// The stored punches of `employee` between `from_ms` and `to_ms`, if the round read them.
    pub fn history_of(
        &self,
        employee: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Option<Vec<(Direction, i64)>> {
        if !self.history_read_for.contains(employee)
            || from_ms < self.range.0
            || to_ms > self.range.1
        {
            return None;
        }
        Some(within(self.histories.get(employee), from_ms, to_ms))
    }

    pub fn push(&mut self, row: DecisionRow) {
        if let Some(p) = &row.punch {
            self.queued_punch = true;
            self.punches
                .entry(p.employee_id.clone())
                .or_default()
                .push((p.direction, p.at_ms));
        }
        self.rows.push(row);
    }

    /// Punches decided earlier in this round for `employee` between `from_ms` and `to_ms`.
    pub fn punches_of(&self, employee: &str, from_ms: i64, to_ms: i64) -> Vec<(Direction, i64)> {
        within(self.punches.get(employee), from_ms, to_ms)
    }
}

fn within(list: Option<&Vec<(Direction, i64)>>, from_ms: i64, to_ms: i64) -> Vec<(Direction, i64)> {
    list.map(|v| {
        v.iter()
            .filter(|(_, at)| (from_ms..=to_ms).contains(at))
            .cloned()
            .collect()
    })
    .unwrap_or_default()
}

/// Who an event is about, as far as the stored row says: its person code, else its personId.
pub(super) fn person_key(ev: &StoredEvent) -> Option<&str> {
    ev.person_code.as_deref().or(ev.person_id.as_deref())
}
