//! A faithful HikCentral Professional (Artemis OpenAPI) simulator.
//!
//! Every `/artemis/` API sits behind the [`gateway`]: AppKey, a signature rebuilt from the bytes
//! that arrived, optional Content-MD5 and a per-second throttle. Behind it: persons, organisations,
//! event subscriptions with push, and the door-event log, with HikCentral's rules and limits
//! (see `shared/reference/hikcentral-artemis.md`).

mod access;
mod events;
mod gateway;
mod orgs;
mod person_fields;
mod persons;
mod subscriptions;
mod wire;

use crate::sim::faults::{self, Faults};
use crate::sim::{RunningSim, SimTls};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use axum::{middleware, Json, Router};
use serde_json::{json, Value};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};
use wire::{envelope, reply, ApiResult, Params};

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
}

struct Inner {
    cfg: RwLock<HikSimConfig>,
    store: Mutex<Store>,
    throttle: Mutex<gateway::Throttle>,
    accepted: AtomicU64,
    rejected: AtomicU64,
    throttled: AtomicU64,
    http: reqwest::Client,
}

/// The simulator. Cheap to clone; all clones share state.
#[derive(Clone)]
pub struct HikSim {
    inner: Arc<Inner>,
    pub faults: Arc<Faults>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

type Api = fn(&HikSim, &Params) -> ApiResult;

/// A POST route whose JSON-object body is parsed and answered with the envelope.
fn api(f: Api) -> MethodRouter<HikSim> {
    post(move |State(sim): State<HikSim>, body: Bytes| async move {
        reply(Params::parse(&body).and_then(|p| f(&sim, &p)))
    })
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(envelope("404", "API not found", None)),
    )
        .into_response()
}

fn version(sim: &HikSim, _: &Params) -> ApiResult {
    let cfg = sim.cfg();
    Ok(json!({ "produceName": cfg.product_name, "softVersion": cfg.soft_version }))
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
                accepted: AtomicU64::new(0),
                rejected: AtomicU64::new(0),
                throttled: AtomicU64::new(0),
                http,
            }),
            faults: Faults::new(),
        }
    }

    /// The full app: faults (outermost), then the gateway, then the APIs. Unknown paths: 404.
    pub fn router(&self) -> Router {
        const RES: &str = "/artemis/api/resource/v1";
        const EVT: &str = "/artemis/api/eventService/v1";
        let routes: Vec<(String, MethodRouter<HikSim>)> = vec![
            ("/artemis/api/common/v1/version".into(), api(version)),
            (format!("{RES}/person/single/add"), api(persons::add)),
            (format!("{RES}/person/single/update"), api(persons::update)),
            (format!("{RES}/person/single/delete"), api(persons::delete)),
            (
                format!("{RES}/person/face/update"),
                api(persons::face_update),
            ),
            (
                format!("{RES}/person/personCode/personInfo"),
                api(persons::by_code),
            ),
            (
                format!("{RES}/person/personId/personInfo"),
                api(persons::by_id),
            ),
            (format!("{RES}/person/personList"), api(persons::list)),
            (
                format!("{RES}/person/advance/personList"),
                api(persons::advance_list),
            ),
            (
                format!("{RES}/person/picture_data"),
                post(persons::picture_data),
            ),
            (format!("{RES}/org/rootOrg"), api(orgs::root)),
            (format!("{RES}/org/orgList"), api(orgs::list)),
            (
                format!("{RES}/org/advance/orgList"),
                api(orgs::advance_list),
            ),
            (
                format!("{EVT}/eventSubscriptionByEventTypes"),
                api(subscriptions::subscribe),
            ),
            (
                format!("{EVT}/eventSubscriptionView"),
                api(subscriptions::view),
            ),
            (
                format!("{EVT}/eventUnSubscriptionByEventTypes"),
                api(subscriptions::unsubscribe),
            ),
            (
                "/artemis/api/acs/v1/door/events".into(),
                api(events::door_events),
            ),
            (
                "/artemis/api/acs/v1/privilege/group/single/addPersons".into(),
                api(access::add_persons),
            ),
            (
                "/artemis/api/visitor/v1/auth/reapplication".into(),
                api(access::reapplication),
            ),
            (
                "/artemis/api/acs/v2/door/events".into(),
                api(events::door_events_v2),
            ),
            (
                "/artemis/api/acs/v1/faceCheck".into(),
                api(persons::face_check),
            ),
            (
                "/artemis/api/acs/v1/auth/applicationResult".into(),
                api(access::application_result),
            ),
        ];
        let mut router = Router::new();
        for (path, method_router) in routes {
            router = router.route(&path, method_router);
        }
        router
            .route_layer(middleware::from_fn_with_state(self.clone(), gateway::check))
            .fallback(not_found)
            .layer(DefaultBodyLimit::disable())
            .with_state(self.clone())
            .layer(middleware::from_fn_with_state(
                self.faults.clone(),
                faults::apply,
            ))
    }

    /// Serve on `addr` (port 0 picks a free one), plain or over TLS.
    pub async fn start(&self, addr: SocketAddr, tls: Option<SimTls>) -> anyhow::Result<RunningSim> {
        crate::sim::serve(self.router(), addr, tls).await
    }

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

    /// Insert a person as if registered by other means (lenient: no API validation). Uses the
    /// given numeric `personId` when free; returns the personId.
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
