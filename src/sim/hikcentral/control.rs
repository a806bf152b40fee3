//! The control surface for tests, the demo and `hikbridge sim`: the throttle and feature
//! switches, persons, doors and access levels set up directly, the gateway's counters, the
//! delete attempts, subscriptions, and the event log with push (judged by the doors' devices).

use super::access::Coverage;
use super::persons::DeleteAttempt;
use super::switches::LifecycleSwitches;
use super::{devices, events, gateway, lock, HikSim, Store};
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

    /// Change the lifecycle switches (validity, doors, deletion, the UNCONFIRMED behaviours).
    pub fn configure(&self, change: impl FnOnce(&mut LifecycleSwitches)) {
        change(&mut self.cfg_mut().lifecycle);
    }

    /// Add (or rename) door `code`. A new simulator has doors 1, 2, 3 and 9.
    pub fn add_door(&self, code: &str, name: &str) {
        self.store().devices.add_door(code, name);
    }

    /// Create access level (privilege group) `id` over every door.
    pub fn add_access_level(&self, id: &str, name: &str) {
        self.store().access.add_group(id, name, Coverage::AllDoors);
    }

    /// Create access level `id` over the given door index codes only.
    pub fn add_access_level_with_doors(&self, id: &str, name: &str, doors: &[&str]) {
        let doors = doors.iter().map(|d| (*d).to_owned()).collect();
        self.store()
            .access
            .add_group(id, name, Coverage::Doors(doors));
    }

    /// The personIds in access level `id`.
    pub fn access_level_members(&self, id: &str) -> Vec<String> {
        let store = self.store();
        store
            .access
            .members(id)
            .into_iter()
            .filter_map(|m| store.persons.get(m).map(|p| p.id_text.clone()))
            .collect()
    }

    /// The door index codes where the devices hold `person_code` (what a reapplication last
    /// applied, not what the levels say).
    pub fn applied_doors(&self, person_code: &str) -> Vec<String> {
        let store = self.store();
        store
            .persons
            .by_code(person_code)
            .and_then(|p| store.devices.held(p.id))
            .map(|held| held.iter().map(|(d, _)| d.to_string()).collect())
            .unwrap_or_default()
    }

    /// Every `person/single/delete` call so far, in order (never with the password).
    pub fn delete_attempts(&self) -> Vec<DeleteAttempt> {
        self.delete_guard().attempts()
    }

    /// Unlock every IP locked by wrong admin passwords and forget the counts.
    pub fn clear_ip_locks(&self) {
        self.delete_guard().clear_locks();
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

    /// Remove the person with `code` as if deleted in the HikCentral client (out of every level
    /// and off the devices; no delete call recorded). False when there was none.
    pub fn remove_person(&self, code: &str) -> bool {
        let mut store = self.store();
        let Some(id) = store.persons.by_code(code).map(|p| p.id) else {
            return false;
        };
        let Some(removed) = store.persons.remove(id) else {
            return false;
        };
        store.access.forget(removed.id);
        store.devices.forget(&removed);
        true
    }

    /// Signed requests the gateway let through to an API (not rejected, not throttled).
    /// Calls that passed the gateway to a path ending with `suffix` (e.g. `person/single/update`).
    pub fn calls_to(&self, suffix: &str) -> u64 {
        let calls = crate::sim::lock(&self.inner.calls);
        calls
            .iter()
            .filter(|(path, _)| path.ends_with(suffix))
            .map(|(_, n)| *n)
            .sum()
    }

    pub(crate) fn count_call(&self, path: &str) {
        *crate::sim::lock(&self.inner.calls)
            .entry(path.to_owned())
            .or_default() += 1;
    }

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

    /// An event as the devices report it: normalised, then, when the doors enforce access, a
    /// granted type turned into the denied one for a known person outside its applied
    /// validity or not applied at that door (or deleted).
    fn judged(&self, store: &Store, event: Value) -> Value {
        let event = events::normalise(event);
        if self.cfg().lifecycle.doors_enforce_access {
            devices::judge(store, event)
        } else {
            event
        }
    }

    /// Add an access record to the door-event log without pushing it (judged by the doors).
    pub fn record_event(&self, event: Value) {
        let mut store = self.store();
        let event = self.judged(&store, event);
        store.events.record(event);
    }

    /// Record `events` (judged by the doors), then POST one `OnEventNotify` batch to each
    /// subscribed destination with the events of the types it subscribed to. Returns
    /// (eventDest, HTTP status or error).
    pub async fn push_events(&self, events: Vec<Value>) -> Vec<(String, Result<u16, String>)> {
        let batches = {
            let mut store = self.store();
            let recorded: Vec<Value> = events
                .into_iter()
                .map(|e| {
                    let e = self.judged(&store, e);
                    store.events.record(e)
                })
                .collect();
            store.subscriptions.batches(&recorded)
        };
        events::push(&self.inner.http, batches).await
    }
}
