//! `hikbridge demo`: the whole service on one machine, nothing external. The HikCentral and
//! Humand simulators run in-process on free local ports, a synthetic SIAD is seeded, people are
//! registered through the real person-sync routes, a bulk job runs with progress, and a day of
//! access events reaches the service through its real callback (pushed by the simulator's
//! subscription) and its real poller; then SIAD moves to its next period and a person-lifecycle
//! run plans (and, once approved where a guardrail holds it, applies) what follows. Punches go to the simulated Humand at its production
//! pace (50 requests per 60 s). Besides the legacy token (every scope, the dashboard's), two
//! clients show least privilege: `demo-viewer` (`read`: the dashboard without actions) and
//! `siad-demo` (`sync`, naming the person acting), which makes the script's registrations.
//!
//! State lives under `--data-dir` (the store and the SIAD file); the demo starts afresh each
//! time, removing only the files it creates itself.

mod day;
mod lifecycle;
mod script;

use crate::app::App;
use crate::config::{ClientSettings, Scope, Settings, TokenDigest};
use crate::sim::hikcentral::{HikSim, HikSimConfig};
use crate::sim::humand::{HumandSim, HumandSimConfig};
use anyhow::Context;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

pub use day::{plan, Batch, Delivery, Person, DOOR_RULES};

/// The files the demo owns inside its data directory.
const STORE_FILE: &str = "hikbridge-demo.db";
const SIAD_FILE: &str = "siad-demo.db";

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub data_dir: PathBuf,
    /// People in the synthetic SIAD.
    pub people: u32,
    /// Where the service listens (`HIKBRIDGE__SERVER__LISTEN`); `None`: 127.0.0.1:8080, or a
    /// free port when that one is taken.
    pub listen: Option<SocketAddr>,
}

/// Run until `shutdown` resolves.
/// The demo's access level, and every person type's levels (`biometrico.access_levels`).
const DEMO_ACCESS_LEVEL: &str = "1";
const DEMO_ACCESS_LEVELS: &str = "*=1";

pub async fn run(
    opts: DemoOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&opts.data_dir)
        .with_context(|| format!("cannot create {}", opts.data_dir.display()))?;
    for name in [
        STORE_FILE,
        &format!("{STORE_FILE}-wal"),
        &format!("{STORE_FILE}-shm"),
        &format!("{STORE_FILE}.lock"),
    ] {
        let _ = std::fs::remove_file(opts.data_dir.join(name));
    }
    let siad_path = opts.data_dir.join(SIAD_FILE);
    let seeded = crate::siad::seed::seed_demo(&siad_path, opts.people, 42).await?;
    let people = crate::siad::seed::generate(opts.people, 42);

    let hik_cfg = HikSimConfig::default();
    let (app_key, app_secret) = (hik_cfg.app_key.clone(), hik_cfg.app_secret.clone());
    let hik = HikSim::new(hik_cfg);
    // One access level over every door: registration adds each person to it and applies it, so
    // the simulated doors (which judge every event as HikCentral's do) let registered people in.
    hik.add_access_level(DEMO_ACCESS_LEVEL, "Campus");
    let hik_running = hik
        .start(SocketAddr::from(([127, 0, 0, 1], 0)), None)
        .await?;
    let humand_cfg = HumandSimConfig::default();
    let humand_key = humand_cfg.api_key.clone();
    let humand = HumandSim::new(humand_cfg);
    let humand_running = humand.start(SocketAddr::from(([127, 0, 0, 1], 0))).await?;

    let listener = bind(opts.listen).await?;
    let addr = listener.local_addr()?;
    let token = format!("demo-{}", uuid::Uuid::new_v4().simple());
    let viewer_token = format!("demo-viewer-{}", uuid::Uuid::new_v4().simple());
    let siad_token = format!("demo-siad-{}", uuid::Uuid::new_v4().simple());
    let callback_secret = format!("cb-{}", uuid::Uuid::new_v4().simple());
    let store_url = format!("sqlite://{}", opts.data_dir.join(STORE_FILE).display());
    let siad_url = format!("sqlite://{}", siad_path.display());
    let public_url = format!("http://{addr}");
    let listen = addr.to_string();
    let humand_base = HumandSim::api_base(&humand_running);
    let env = [
        ("HIKBRIDGE__SERVER__LISTEN", listen.as_str()),
        ("HIKBRIDGE__STORE__URL", store_url.as_str()),
        ("HIKBRIDGE__SIAD__URL", siad_url.as_str()),
        (
            "HIKBRIDGE__HIKCENTRAL__BASE_URL",
            hik_running.base_url.as_str(),
        ),
        ("HIKBRIDGE__HIKCENTRAL__APP_KEY", app_key.as_str()),
        ("HIKBRIDGE__HIKCENTRAL__APP_SECRET", app_secret.as_str()),
        ("HIKBRIDGE__HUMAND__BASE_URL", humand_base.as_str()),
        ("HIKBRIDGE__HUMAND__API_KEY", humand_key.as_str()),
        (
            "HIKBRIDGE__EVENTS__CALLBACK_SECRET",
            callback_secret.as_str(),
        ),
        ("HIKBRIDGE__EVENTS__PUBLIC_URL", public_url.as_str()),
        ("HIKBRIDGE__EVENTS__SUBSCRIBE_ON_START", "true"),
        ("HIKBRIDGE__EVENTS__POLL_INTERVAL_SECS", "20"),
        ("HIKBRIDGE__ATTENDANCE__DOORS", DOOR_RULES),
        ("HIKBRIDGE__DELIVERY__SETTLE_SECS", "5"),
        ("HIKBRIDGE__BIOMETRICO__ORG_BY_PERSON_TYPE", "E=2, D=3, *=4"),
        ("HIKBRIDGE__BIOMETRICO__ACCESS_LEVELS", DEMO_ACCESS_LEVELS),
        ("HIKBRIDGE__API__TOKENS", token.as_str()),
        ("HIKBRIDGE__LOG__LEVEL", "info,tower_http=warn"),
    ];
    let mut settings = Settings::defaults_with_env(&env).map_err(|e| anyhow::anyhow!("{e}"))?;
    // Least privilege to try: a dashboard that may only read, and the SIAD application's
    // client (sync only, naming the person acting), which the script's registrations use.
    settings.api.clients.extend([
        client(VIEWER_CLIENT, Scope::Read, false, &viewer_token),
        client(SIAD_CLIENT, Scope::Sync, true, &siad_token),
    ]);
    let acting_user_header = settings.api.acting_user_header.clone();
    crate::telemetry::init(&settings.log);
    let app = App::build(settings).await?;
    let server = tokio::spawn(app.serve(listener, shutdown));

    println!("hikbridge demo — nothing here talks to a real system");
    println!(
        "  simulated HikCentral {}  ·  simulated Humand {}  ·  synthetic SIAD {} ({} people)",
        hik_running.base_url,
        humand_running.base_url,
        seeded.path.display(),
        seeded.people
    );
    println!("dashboard: http://{addr}/#token={token}");
    println!("  read-only dashboard (client {VIEWER_CLIENT}): http://{addr}/#token={viewer_token}");
    println!(
        "  the SIAD application's token (client {SIAD_CLIENT}, sync only: no dashboard views): \
         http://{addr}/#token={siad_token}"
    );
    println!(
        "  watch: counts rise as the day is played, punches go to Humand at 50 per minute, \
         parked punches show Humand's reason (retry or discard them), a bulk job shows progress"
    );
    println!("  also: http://{addr}/metrics  ·  http://{addr}/ready  ·  Ctrl-C stops");

    let player = script::Script {
        base: format!("http://{addr}"),
        token: siad_token,
        acting_user_header,
        hik: hik.clone(),
        humand: humand.clone(),
        people,
        lifecycle: lifecycle::LifecycleScript {
            base: format!("http://{addr}"),
            token: token.clone(),
            siad_path: siad_path.clone(),
        },
    };
    let play = tokio::spawn(async move {
        if let Err(e) = player.play().await {
            tracing::error!(error = %format!("{e:#}"), "the demo script stopped");
        }
    });
    let served = server.await;
    play.abort();
    drop((hik_running, humand_running));
    served.context("the service task failed")?
}

/// The demo's read-only client and the SIAD application's (besides the legacy token).
const VIEWER_CLIENT: &str = "demo-viewer";
const SIAD_CLIENT: &str = "siad-demo";
/// The person the SIAD application names as acting in the demo's registrations.
const DEMO_USER: &str = "secretaria.demo";

/// A client with one scope and one token, as `[[api.clients]]` with `token_env` would give.
fn client(name: &str, scope: Scope, assert_user: bool, token: &str) -> ClientSettings {
    ClientSettings {
        name: name.to_owned(),
        scopes: [scope].into_iter().collect(),
        token_file: String::new(),
        token_sha256: Vec::new(),
        token_env: String::new(),
        assert_user,
        tokens: vec![TokenDigest::of(token)],
    }
}

/// The requested address, else 127.0.0.1:8080, else any free port.
async fn bind(listen: Option<SocketAddr>) -> anyhow::Result<tokio::net::TcpListener> {
    if let Some(addr) = listen {
        return tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (HIKBRIDGE__SERVER__LISTEN)"));
    }
    match tokio::net::TcpListener::bind(("127.0.0.1", 8080)).await {
        Ok(l) => Ok(l),
        Err(_) => Ok(tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?),
    }
}
