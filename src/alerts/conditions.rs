//! Which alert conditions hold in a [`Snapshot`], and the incidents they open and close. Pure:
//! no clock, no I/O.

use crate::metrics::Snapshot;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertKind {
    StoreWritesFailing,
    DeliveryPaused,
    PunchesParked,
    EventsOutOfWindow,
    OutboxStale,
    PollerFailing,
    WorkerDown,
    LifecyclePlanHeld,
    LifecycleRunFailed,
    ErasuresHalted,
}

impl AlertKind {
    pub fn code(self) -> &'static str {
        match self {
            AlertKind::StoreWritesFailing => "store_writes_failing",
            AlertKind::DeliveryPaused => "delivery_paused",
            AlertKind::PunchesParked => "punches_parked",
            AlertKind::EventsOutOfWindow => "events_out_of_window",
            AlertKind::OutboxStale => "outbox_stale",
            AlertKind::PollerFailing => "poller_failing",
            AlertKind::WorkerDown => "worker_down",
            AlertKind::LifecyclePlanHeld => "lifecycle_plan_held",
            AlertKind::LifecycleRunFailed => "lifecycle_run_failed",
            AlertKind::ErasuresHalted => "erasures_halted",
        }
    }
}

/// When a condition counts.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub outbox_oldest_age: Duration,
    pub poller_failures: u32,
}

/// One condition that holds now. `key` tells incidents of one kind apart (the worker's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    pub kind: AlertKind,
    pub key: String,
    pub summary: String,
    pub detail: String,
}

/// What the snapshot says: the conditions that hold, and the kinds it cannot tell (the store
/// did not answer), whose open incidents stay open.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub firing: Vec<Firing>,
    pub unknown: Vec<AlertKind>,
}

pub fn evaluate(snap: &Snapshot, th: &Thresholds) -> Evaluation {
    let mut out = Evaluation::default();
    let mut fire = |kind, key: &str, summary: String, detail: String| {
        out.firing.push(Firing {
            kind,
            key: key.to_owned(),
            summary,
            detail,
        })
    };
    if let Some(error) = &snap.store_write_failure {
        fire(
            AlertKind::StoreWritesFailing,
            "",
            "Store writes are failing: event pushes are refused with 503".into(),
            format!("The database says: {error}. Check the disk and the database; the service recovers by itself once a write succeeds."),
        );
    }
    if let Some(reason) = &snap.delivery_paused {
        fire(
            AlertKind::DeliveryPaused,
            "",
            "Delivery to Humand is paused".into(),
            format!("{reason}. Punches wait in the outbox and nothing is lost; delivery resumes by itself once Humand accepts the key again."),
        );
    }
    match snap.outbox_count("parked") {
        Some(n) if n > 0 => fire(
            AlertKind::PunchesParked,
            "",
            "Punches are parked and need a person".into(),
            format!("{n} punch(es) parked. Open the dashboard's Parked list to see Humand's reason, then retry or discard each."),
        ),
        Some(_) => {}
        None => out.unknown.push(AlertKind::PunchesParked),
    }
    match snap.out_of_window_events {
        Some(n) if n > 0 => fire(
            AlertKind::EventsOutOfWindow,
            "",
            "Events outside the time window wait for a person".into(),
            format!("{n} event(s) arrived with a time outside events.accept_past_hours / accept_future_secs (a reader offline for weeks, a wrong device clock). They clock no one until admitted: open the dashboard's Out of the time window list, then admit the genuine ones. Retention removes them retention.out_of_window_days after arrival."),
        ),
        Some(_) => {}
        None => out.unknown.push(AlertKind::EventsOutOfWindow),
    }
    match snap.oldest_queued_age {
        Some(age) if age > th.outbox_oldest_age => fire(
            AlertKind::OutboxStale,
            "",
            "Punches are waiting too long for Humand".into(),
            format!(
                "The oldest punch waiting to go out is {} min old (alerts.outbox_oldest_age_secs = {}). Check Humand's health and the delivery pace on the dashboard.",
                age.as_secs() / 60,
                th.outbox_oldest_age.as_secs()
            ),
        ),
        Some(_) => {}
        None => out.unknown.push(AlertKind::OutboxStale),
    }
    if snap.poller_failures >= th.poller_failures.max(1) {
        fire(
            AlertKind::PollerFailing,
            "",
            "The door-event back-fill from HikCentral is failing".into(),
            format!(
                "{} passes failed in a row; the latest: {}. Pushed events still arrive; events a push missed wait until it works again.",
                snap.poller_failures,
                snap.poller_error.as_deref().unwrap_or("unknown error")
            ),
        );
    }
    match &snap.lifecycle {
        Some(l) => {
            if let Some((run, why)) = &l.held {
                fire(
                    AlertKind::LifecyclePlanHeld,
                    run,
                    "A lifecycle plan waits for an administrator's approval".into(),
                    format!("Run {run}: {why}. Check the plan on the dashboard (or GET /admin/lifecycle/runs/{run}/actions.csv), then approve it (POST …/apply) or discard it; a wrong roster would lock people out."),
                );
            }
            if let Some((run, error)) = &l.failed {
                fire(
                    AlertKind::LifecycleRunFailed,
                    run,
                    "The latest lifecycle run failed".into(),
                    format!(
                        "Run {run}: {error}. A run that could not plan revoked nobody; what an applied run could not do is left for the next run. The dashboard shows HikCentral's answers."
                    ),
                );
            }
            if let Some(why) = &l.erasure_halt {
                fire(
                    AlertKind::ErasuresHalted,
                    "",
                    "Erasures are stopped".into(),
                    format!("{why}. Revoked people stay revoked; their faces stay in HikCentral until erasures go on (DELETE /admin/lifecycle/erasure-halt once fixed)."),
                );
            }
        }
        None => out.unknown.extend([
            AlertKind::LifecyclePlanHeld,
            AlertKind::LifecycleRunFailed,
            AlertKind::ErasuresHalted,
        ]),
    }
    for (worker, up) in &snap.workers {
        if !up {
            fire(
                AlertKind::WorkerDown,
                worker,
                format!("The {worker} worker is down"),
                "It is restarting after a failure; /ready shows its last error.".into(),
            );
        }
    }
    out
}

/// A message to send: an incident opened or closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: AlertKind,
    pub key: String,
    pub resolved: bool,
    pub summary: String,
    pub detail: String,
    pub since: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct Open {
    since: DateTime<Utc>,
    summary: String,
}

/// The incidents open now; one notice when each opens and one when it closes.
#[derive(Debug, Default)]
pub struct Incidents(BTreeMap<(AlertKind, String), Open>);

impl Incidents {
    pub fn update(&mut self, eval: Evaluation, now: DateTime<Utc>) -> Vec<Notice> {
        let mut notices = Vec::new();
        let holding: Vec<(AlertKind, String)> = eval
            .firing
            .iter()
            .map(|f| (f.kind, f.key.clone()))
            .collect();
        let ended: Vec<(AlertKind, String)> = self
            .0
            .keys()
            .filter(|k| !holding.contains(k) && !eval.unknown.contains(&k.0))
            .cloned()
            .collect();
        for key in ended {
            if let Some(open) = self.0.remove(&key) {
                notices.push(Notice {
                    kind: key.0,
                    key: key.1,
                    resolved: true,
                    summary: open.summary,
                    detail: format!(
                        "Resolved after {} min.",
                        (now - open.since).num_minutes().max(0)
                    ),
                    since: open.since,
                    at: now,
                });
            }
        }
        for f in eval.firing {
            let id = (f.kind, f.key.clone());
            if self.0.contains_key(&id) {
                continue;
            }
            self.0.insert(
                id,
                Open {
                    since: now,
                    summary: f.summary.clone(),
                },
            );
            notices.push(Notice {
                kind: f.kind,
                key: f.key,
                resolved: false,
                summary: f.summary,
                detail: f.detail,
                since: now,
                at: now,
            });
        }
        notices
    }

    pub fn open_count(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TH: Thresholds = Thresholds {
        outbox_oldest_age: Duration::from_secs(900),
        poller_failures: 3,
    };

    fn healthy() -> Snapshot {
        Snapshot {
            outbox: vec![("queued", 2), ("parked", 0)],
            oldest_queued_age: Some(Duration::from_secs(10)),
            out_of_window_events: Some(0),
            workers: vec![("delivery".into(), true)],
            lifecycle: Some(crate::metrics::LifecycleStatus::default()),
            ..Snapshot::default()
        }
    }

    #[test]
    fn a_held_plan_a_failed_run_and_halted_erasures_each_alert() {
        let mut s = healthy();
        s.lifecycle = Some(crate::metrics::LifecycleStatus {
            held: Some(("run-1".into(), "this plan revokes 120 of 1,200".into())),
            failed: Some((
                "run-2".into(),
                "HikCentral's person list page 3 failed".into(),
            )),
            erasure_halt: Some("HikCentral refused the admin password".into()),
        });
        let kinds: Vec<(AlertKind, String)> = evaluate(&s, &TH)
            .firing
            .into_iter()
            .map(|f| (f.kind, f.key))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (AlertKind::LifecyclePlanHeld, "run-1".into()),
                (AlertKind::LifecycleRunFailed, "run-2".into()),
                (AlertKind::ErasuresHalted, String::new()),
            ]
        );
        s.lifecycle = None;
        let eval = evaluate(&s, &TH);
        assert!(eval.firing.is_empty());
        assert!(eval.unknown.contains(&AlertKind::LifecyclePlanHeld));
    }

    #[test]
    fn each_condition_fires_on_its_own_threshold() {
        assert!(evaluate(&healthy(), &TH).firing.is_empty());
        let mut s = healthy();
        s.outbox = vec![("parked", 3)];
        s.out_of_window_events = Some(50);
        s.oldest_queued_age = Some(Duration::from_secs(901));
        s.poller_failures = 3;
        s.workers = vec![("delivery".into(), false), ("poller".into(), true)];
        s.delivery_paused = Some("Humand refuses the API key".into());
        s.store_write_failure = Some("database or disk is full".into());
        let kinds: Vec<(AlertKind, String)> = evaluate(&s, &TH)
            .firing
            .into_iter()
            .map(|f| (f.kind, f.key))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (AlertKind::StoreWritesFailing, String::new()),
                (AlertKind::DeliveryPaused, String::new()),
                (AlertKind::PunchesParked, String::new()),
                (AlertKind::EventsOutOfWindow, String::new()),
                (AlertKind::OutboxStale, String::new()),
                (AlertKind::PollerFailing, String::new()),
                (AlertKind::WorkerDown, "delivery".into()),
            ]
        );
        s.poller_failures = 2;
        assert!(!evaluate(&s, &TH)
            .firing
            .iter()
            .any(|f| f.kind == AlertKind::PollerFailing));
    }

    #[test]
    fn an_incident_is_announced_once_and_resolved_once() {
        let t0 = Utc::now();
        let mut inc = Incidents::default();
        let mut paused = healthy();
        paused.delivery_paused = Some("Humand refuses the API key".into());
        let first = inc.update(evaluate(&paused, &TH), t0);
        assert_eq!(first.len(), 1);
        assert!(!first[0].resolved);
        assert!(
            inc.update(evaluate(&paused, &TH), t0).is_empty(),
            "once per incident"
        );
        let done = inc.update(evaluate(&healthy(), &TH), t0 + chrono::Duration::minutes(7));
        assert_eq!(done.len(), 1);
        assert!(done[0].resolved);
        assert_eq!(done[0].detail, "Resolved after 7 min.");
        assert_eq!(inc.open_count(), 0);
    }

    #[test]
    fn a_store_that_does_not_answer_neither_opens_nor_closes_outbox_incidents() {
        let t0 = Utc::now();
        let mut inc = Incidents::default();
        let mut parked = healthy();
        parked.outbox = vec![("parked", 1)];
        assert_eq!(inc.update(evaluate(&parked, &TH), t0).len(), 1);
        let mut unknown = healthy();
        unknown.outbox = Vec::new();
        unknown.oldest_queued_age = None;
        assert!(inc.update(evaluate(&unknown, &TH), t0).is_empty());
        assert_eq!(inc.open_count(), 1);
    }
}
