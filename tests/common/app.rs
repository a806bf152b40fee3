//! The real application on a fresh SQLite store, for route tests.

use axum_test::TestServer;
use hikbridge::app::{App, AppState, Background};
use hikbridge::config::Settings;

pub struct TestApp {
    pub server: TestServer,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

/// Build the app with `env` overrides on top of the embedded defaults and a temporary store.
pub async fn spawn_app(env: &[(&str, &str)]) -> TestApp {
    spawn_app_with(env, false).await
}

/// Same, served on a real socket (for behaviours that need one, e.g. Content-Length checks).
pub async fn spawn_app_on_socket(env: &[(&str, &str)]) -> TestApp {
    spawn_app_with(env, true).await
}

/// The app without background work ([`Background::Off`]): no lease, no decider, poller or
/// delivery, so the store changes only when the test or a request changes it.
pub async fn spawn_app_without_workers(env: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("app.db").display());
    spawn_app_at(&url, env, false, dir, Background::Off).await
}

async fn spawn_app_with(env: &[(&str, &str)], socket: bool) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("app.db").display());
    spawn_app_at(&url, env, socket, dir, Background::Run).await
}

/// The app on the database at `store_url` (e.g. a [`super::db::TestDb`]'s URL).
pub async fn spawn_app_on_store(store_url: &str, env: &[(&str, &str)], socket: bool) -> TestApp {
    spawn_app_at(
        store_url,
        env,
        socket,
        tempfile::tempdir().unwrap(),
        Background::Run,
    )
    .await
}

async fn spawn_app_at(
    url: &str,
    env: &[(&str, &str)],
    socket: bool,
    dir: tempfile::TempDir,
    background: Background,
) -> TestApp {
    // Punches are delivered as soon as decided unless a test asks for a settle time, and the
    // fixtures' dates (January 2026) stay acceptable whatever day the tests run on.
    let mut all = vec![
        ("HIKBRIDGE__STORE__URL", url),
        ("HIKBRIDGE__DELIVERY__SETTLE_SECS", "0"),
        ("HIKBRIDGE__EVENTS__ACCEPT_PAST_HOURS", "876000"),
    ];
    all.extend_from_slice(env);
    let settings = Settings::defaults_with_env(&all).unwrap_or_else(|e| panic!("{e}"));
    let app = App::build_with(settings, background)
        .await
        .expect("build the app");
    let state = app.state.clone();
    // On a real socket, as `serve` does it: with the peer address (ConnectInfo).
    let server = if socket {
        TestServer::builder().http_transport().build(
            app.router
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
    } else {
        TestServer::new(app.router)
    }
    .expect("test server");
    TestApp {
        server,
        state,
        _dir: dir,
    }
}
