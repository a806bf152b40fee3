//! The real application on a fresh SQLite store, for route tests.

use axum_test::TestServer;
use hikbridge::app::{App, AppState};
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

async fn spawn_app_with(env: &[(&str, &str)], socket: bool) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("app.db").display());
    let mut all = vec![("HIKBRIDGE__STORE__URL", url.as_str())];
    all.extend_from_slice(env);
    let settings = Settings::defaults_with_env(&all).unwrap_or_else(|e| panic!("{e}"));
    let app = App::build(settings).await.expect("build the app");
    let state = app.state.clone();
    let server = if socket {
        TestServer::builder().http_transport().build(app.router)
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
