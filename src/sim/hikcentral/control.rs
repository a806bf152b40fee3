//! The control surface for tests, the demo and `hikbridge sim`: the throttle and feature
//! switches, persons and access levels set up directly, the gateway's counters, subscriptions,
//! and the event log with push.

use super::{events, gateway, lock, HikSim};
use serde_json::Value;
use std::sync::atomic::Ordering;

impl HikSim {
    /// Change the throttle; the current window starts afresh.
    pub fn set_throttle(&self, per_second: Option<u32>, http_429: bool) {
        {
            let mut cfg = self.cfg_mut();
            cfg.throttle_per_second = per_second;
            cfg.throttle_http_429 = http_429;
        }
        *lock(&self.inner.throttle) = gateway::Throttle::default();
    }

    pub fn set_face_update_supported(&self, yes: bool) {
        self.cfg_mut().face_update_supported = yes;
    }

    pub fn set_door_events_v2(&self, yes: bool) {
        self.cfg_mut().door_events_v2 = yes;
    }

    pub fn set_face_check_refuses(&self, yes: bool) {
        self.cfg_mut().face_check_refuses = yes;
    }

    pub fn set_face_update_ignored(&self, yes: bool) {
        self.cfg_mut().face_update_ignored = yes;
    }

    pub fn set_picture_as_data_uri(&self, yes: bool) {
        self.cfg_mut().picture_as_data_uri = yes;
    }

    /// PersonInfo JSON of every person, by personId.
    pub fn persons(&self) -> Vec<Value> {
        self.store().persons.all_info()
    }

    pub fn person_by_code(&self, code: &str) -> Option<Value> {
        self.store().persons.by_code(code).map(|p| p.info())
    }

    /// Create access level (privilege group) `id`.
    pub fn add_access_level(&self, id: &str, name: &str) {
        self.store().access.add_group(id, name);
    }

    /// The personIds in access level `id`.
    pub fn access_level_members(&self, id: &str) -> Vec<String> {
        self.store().access.members(id)
    }

    /// Make the devices refuse `person_code` with `errorItems` (e.g. "3", incorrect face
    /// information); `None` clears it.
    pub fn set_application_error(&self, person_code: &str, items: Option<&str>) {
        self.store().access.set_error(person_code, items);
    }

    /// Hand out UUID-like personIds (32 hex digits, as in the spec's examples) from now on.
    pub fn set_uuid_person_ids(&self, yes: bool) {
        self.store().persons.uuid_ids = yes;
    }

    /// Insert a person as if registered by other means (lenient: no API validation). Uses the
    /// given numeric `personId` when free; returns the personId.
    pub fn add_person(&self, person: Value) -> String {
        self.store().persons.insert_raw(&person)
    }

    /// Signed requests the gateway let through to an API (not rejected, not throttled).
    pub fn request_count(&self) -> u64 {
        self.inner.accepted.load(Ordering::SeqCst)
    }

    pub fn rejected_signatures(&self) -> u64 {
        self.inner.rejected.load(Ordering::SeqCst)
    }

    /// Correctly signed requests answered as throttled.
    pub fn throttled_requests(&self) -> u64 {
        self.inner.throttled.load(Ordering::SeqCst)
    }

    /// The `passBack` `dest` was last subscribed with (0 when the request had none).
    pub fn subscription_pass_back(&self, dest: &str) -> Option<i64> {
        self.store().subscriptions.pass_back(dest)
    }

    /// `[{"eventTypes":[...],"eventDest":"..."}]`, one entry per destination.
    pub fn subscriptions(&self) -> Vec<Value> {
        self.store().subscriptions.view()
    }

    /// Every recorded event, in the push shape, in recording order.
    pub fn events(&self) -> Vec<Value> {
        self.store().events.all()
    }

    /// Add an access record to the door-event log without pushing it.
    pub fn record_event(&self, event: Value) {
        self.store().events.record(event);
    }

    /// Record `events`, then POST one `OnEventNotify` batch to each subscribed destination
    /// with the events of the types it subscribed to. Returns (eventDest, HTTP status or error).
    pub async fn push_events(&self, events: Vec<Value>) -> Vec<(String, Result<u16, String>)> {
        let batches = {
            let mut store = self.store();
            let recorded: Vec<Value> = events.into_iter().map(|e| store.events.record(e)).collect();
            store.subscriptions.batches(&recorded)
        };
        events::push(&self.inner.http, batches).await
    }
}
