//! Settings for running safely: several replicas (`[cluster]`), what the database keeps and for
//! how long (`[retention]`), and what delivery does with a punch that arrives after a later one
//! was already delivered (`delivery.late_events`).

use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
pub struct ClusterSettings {
    /// How long the leader's lease lasts without renewal: a replica that stops takes over after
    /// at most this long (it renews every third of it).
    #[serde(rename = "lease_secs", with = "super::duration::secs")]
    pub lease: Duration,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RetentionSettings {
    /// Raw events older than this (by arrival) are removed once nothing waits on them.
    #[serde(rename = "events_days", with = "super::duration::days")]
    pub keep_events: Duration,
    /// Delivered, dry-run and discarded punches older than this (by last change) are removed.
    #[serde(rename = "punches_days", with = "super::duration::days")]
    pub keep_punches: Duration,
    /// Rejected events are removed after this long.
    #[serde(rename = "rejected_days", with = "super::duration::days")]
    pub keep_rejected: Duration,
    /// Audit-log rows are removed after this long.
    #[serde(rename = "audit_days", with = "super::duration::days")]
    pub keep_audit: Duration,
    /// Events left out of the time window (never admitted) are removed this long after arrival.
    #[serde(rename = "out_of_window_days", with = "super::duration::days")]
    pub keep_out_of_window: Duration,
    /// How often retention runs (0 = never).
    #[serde(rename = "interval_secs", with = "super::duration::secs")]
    pub interval: Duration,
}

/// A punch earlier than one already delivered for the same employee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LateEventPolicy {
    /// Send it anyway and record Humand's answer (a refusal parks it with Humand's message).
    Send,
    /// Park it with reason `late_event` for an operator to retry or discard.
    Park,
}

/// A punch whose outcome is unknown when no Humand read API answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownOutcomePolicy {
    /// Send it again: Humand refuses a second record of the same type in a row, so a resend of
    /// a recorded punch is refused (and parked with Humand's message) rather than duplicated.
    Resend,
    /// Park it with reason `outcome_unknown` for an operator to check Humand and retry or discard.
    Park,
}
