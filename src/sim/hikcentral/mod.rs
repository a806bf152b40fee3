//! A faithful HikCentral Professional (Artemis OpenAPI) simulator.
//!
//! Every `/artemis/` API sits behind the [`gateway`]: AppKey, a signature rebuilt from the bytes
//! that arrived, optional Content-MD5, the caller's IP lock and a per-second throttle. Behind it:
//! persons with their validity, access levels and what the door devices hold, deletion with the
//! admin password, organisations, event subscriptions with push, and the door-event log, with
//! HikCentral's rules and limits (see `shared/reference/hikcentral-artemis.md` and
//! `hikcentral-lifecycle.md`). Where no source settles a behaviour, [`LifecycleSwitches`] plays
//! it either way, the stricter by default.

mod access;
mod apply;
mod control;
mod devices;
mod events;
mod gateway;
mod orgs;
mod person_fields;
mod persons;
mod routes;
mod seed;
mod subscriptions;
mod switches;
mod validity;
mod wire;

pub use persons::{DeleteAttempt, DeleteOutcome};
pub use seed::SeedPerson;
pub use switches::{IpLockScope, LifecycleSwitches, NotFoundAnswer, ReapplyWithoutIds};

use crate::sim::faults::Faults;
use crate::sim::lock;
use crate::sim::{RunningSim, SimTls};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

/// How the simulated server behaves.
#[derive(Clone)]
pub struct HikSimConfig {
    /// The one valid credential pair.
    pub app_key: String,
    pub app_secret: String,
    /// `None` = no throttle; beyond N requests in the current 1-s window answer throttled.
    pub throttle_per_second: Option<u32>,
    /// `false`: HTTP 200 with code `0x02401009`; `true`: HTTP 429 with `Retry-After: 1`.
    pub throttle_http_429: bool,
    /// `false`: `person/face/update` answers code `12` (not offered by this edition).
    pub face_update_supported: bool,
    /// `true`: `person/face/update` answers success but keeps the old face (a live server did
    /// report success for changes it never applied; the service must read the face back).
    pub face_update_ignored: bool,
    /// `true`: `acs/v1/faceCheck` refuses every picture.
    pub face_check_refuses: bool,
    /// `true`: `acs/v2/door/events` (by receive time) exists; `false` answers code 12.
    pub door_events_v2: bool,
    /// `person/picture_data` answers a `data:image/jpeg;base64,...` string (true) or raw JPEG.
    pub picture_as_data_uri: bool,
    pub max_face_bytes: usize,
    pub product_name: String,
    pub soft_version: String,
    /// Validity, access levels at the doors, deletion, and the UNCONFIRMED behaviours.
    pub lifecycle: LifecycleSwitches,
}

impl Default for HikSimConfig {
    fn default() -> Self {
        Self {
            app_key: "demo-app-key".into(),
            app_secret: "demo-app-secret".into(),
            throttle_per_second: None,
            throttle_http_429: false,
            face_update_supported: true,
            face_update_ignored: false,
            face_check_refuses: false,
            door_events_v2: false,
            picture_as_data_uri: false,
            max_face_bytes: 200 * 1024,
            product_name: "HikCentral Professional".into(),
            soft_version: "V2.6.1.7".into(),
            lifecycle: LifecycleSwitches::default(),
        }
    }
}

impl fmt::Debug for HikSimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HikSimConfig")
            .field("app_key", &self.app_key)
            .field("app_secret", &"[redacted]")
            .field("throttle_per_second", &self.throttle_per_second)
            .field("throttle_http_429", &self.throttle_http_429)
            .field("face_update_supported", &self.face_update_supported)
            .field("picture_as_data_uri", &self.picture_as_data_uri)
            .field("max_face_bytes", &self.max_face_bytes)
            .field("product_name", &self.product_name)
            .field("soft_version", &self.soft_version)
            .field("lifecycle", &self.lifecycle)
            .finish()
    }
}

/// Everything the APIs read and change, behind one lock.
#[derive(Default)]
struct Store {
    persons: persons::Persons,
    access: access::AccessLevels,
    orgs: orgs::Orgs,
    subscriptions: subscriptions::Subscriptions,
    events: events::EventLog,
    devices: devices::Devices,
}

struct Inner {
    cfg: RwLock<HikSimConfig>,
    store: Mutex<Store>,
    throttle: Mutex<gateway::Throttle>,
    /// Wrong admin passwords and locked IPs (locked before the store, never while holding it).
    deletes: Mutex<persons::DeleteGuard>,
    accepted: AtomicU64,
    rejected: AtomicU64,
    throttled: AtomicU64,
    /// Calls that passed the gateway, by path (tests check that nothing was sent twice).
    calls: Mutex<std::collections::HashMap<String, u64>>,
    http: reqwest::Client,
}

/// The simulator. Cheap to clone; all clones share state.
#[derive(Clone)]
pub struct HikSim {
    inner: Arc<Inner>,
    pub faults: Arc<Faults>,
}

impl HikSim {
    /// A simulator with the seeded organisations (root `1`; `2`, `3`, `4` under it).
    pub fn new(cfg: HikSimConfig) -> Self {
        // The push receiver is usually the bridge with a self-signed certificate, like on site.
        let http = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        let store = Store {
            orgs: orgs::Orgs::seeded(),
            ..Store::default()
        };
        Self {
            inner: Arc::new(Inner {
                cfg: RwLock::new(cfg),
                store: Mutex::new(store),
                throttle: Mutex::new(gateway::Throttle::default()),
                deletes: Mutex::new(persons::DeleteGuard::default()),
                accepted: AtomicU64::new(0),
                calls: Mutex::default(),
                rejected: AtomicU64::new(0),
                throttled: AtomicU64::new(0),
                http,
            }),
            faults: Faults::new(),
        }
    }

    /// Serve on `addr` (port 0 picks a free one), plain or over TLS.
    pub async fn start(&self, addr: SocketAddr, tls: Option<SimTls>) -> anyhow::Result<RunningSim> {
        crate::sim::serve(self.router(), addr, tls).await
    }

    fn cfg(&self) -> RwLockReadGuard<'_, HikSimConfig> {
        self.inner
            .cfg
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn cfg_mut(&self) -> std::sync::RwLockWriteGuard<'_, HikSimConfig> {
        self.inner
            .cfg
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.inner.store)
    }

    fn delete_guard(&self) -> MutexGuard<'_, persons::DeleteGuard> {
        lock(&self.inner.deletes)
    }

    /// Whether `ip` is locked and the lock covers every call.
    fn ip_locked_for_every_call(&self, ip: std::net::IpAddr) -> bool {
        self.cfg().lifecycle.ip_lock_scope == IpLockScope::AllCalls
            && self.delete_guard().locked(ip, Instant::now())
    }

    /// What the person fields are checked against.
    fn field_rules(&self) -> person_fields::FieldRules {
        let cfg = self.cfg();
        person_fields::FieldRules {
            max_face_bytes: cfg.max_face_bytes,
            validity_capped: cfg.lifecycle.validity_capped_2037,
        }
    }

    fn credentials(&self) -> (String, String) {
        let cfg = self.cfg();
        (cfg.app_key.clone(), cfg.app_secret.clone())
    }

    fn count_rejected(&self) {
        self.inner.rejected.fetch_add(1, Ordering::SeqCst);
    }

    /// Admit one signed request: `None` if it may proceed, `Some(http_429)` if throttled.
    fn throttle(&self) -> Option<bool> {
        let (limit, http_429) = {
            let cfg = self.cfg();
            (cfg.throttle_per_second, cfg.throttle_http_429)
        };
        if lock(&self.inner.throttle).admit(Instant::now(), limit) {
            self.inner.accepted.fetch_add(1, Ordering::SeqCst);
            None
        } else {
            self.inner.throttled.fetch_add(1, Ordering::SeqCst);
            Some(http_429)
        }
    }
}
