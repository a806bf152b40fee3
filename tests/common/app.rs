//! The real application on a fresh SQLite store, for route tests.

use axum_test::TestServer;
use hikbridge::app::{App, AppState, Background};
use hikbridge::config::{Settings, Sources};

pub struct TestApp {
    pub server: TestServer,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// Start describing the app a test needs; [`TestAppBuilder::start`] builds it.
    pub fn builder<'a>() -> TestAppBuilder<'a> {
        TestAppBuilder {
            env: Vec::new(),
            config: None,
            store_url: None,
            socket: false,
            background: Background::Run,
        }
    }
}

/// The app for one test: `TestApp::builder().env(&[…]).socket().without_workers().start()`.
/// By default: the embedded defaults with the test's `env` on top, a fresh SQLite store in a
/// temporary directory, the in-memory transport (no port at all), and every worker running.
pub struct TestAppBuilder<'a> {
    env: Vec<(&'a str, &'a str)>,
    config: Option<String>,
    store_url: Option<String>,
    socket: bool,
    background: Background,
}

impl<'a> TestAppBuilder<'a> {
    /// `HIKBRIDGE__…` overrides (added to any given before).
    pub fn env(mut self, env: &[(&'a str, &'a str)]) -> Self {
        self.env.extend_from_slice(env);
        self
    }

    /// A configuration file with this TOML (for tables the environment cannot express, such
    /// as `[[api.clients]]`); the `env` overrides still apply on top.
    pub fn config(mut self, toml: &str) -> Self {
        self.config = Some(toml.to_owned());
        self
    }

    /// Use the database at `url` (e.g. a [`super::db::TestDb`]'s) instead of a fresh SQLite file.
    pub fn on_store(mut self, url: &str) -> Self {
        self.store_url = Some(url.to_owned());
        self
    }

    /// Serve on a real socket, for behaviours that need one (Content-Length checks, the peer
    /// address). The test server binds it and keeps it: there is no port to race for.
    pub fn socket(mut self) -> Self {
        self.socket = true;
        self
    }

    /// Serve with a real socket when `on` (for tests that take it as a parameter).
    pub fn socket_if(self, on: bool) -> Self {
        if on {
            self.socket()
        } else {
            self
        }
    }

    /// No background work ([`Background::Off`]): no lease, no decider, poller or delivery, so
    /// the store changes only when the test or a request changes it.
    pub fn without_workers(mut self) -> Self {
        self.background = Background::Off;
        self
    }

    pub async fn start(self) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = self
            .store_url
            .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("app.db").display()));
        let file = self.config.map(|toml| {
            let path = dir.path().join("hikbridge.toml");
            std::fs::write(&path, toml).unwrap();
            path
        });
        spawn_app_at(&url, &self.env, file, self.socket, dir, self.background).await
    }
}

async fn spawn_app_at(
    url: &str,
    env: &[(&str, &str)],
    file: Option<std::path::PathBuf>,
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
    let settings = Settings::load(&Sources {
        file: Some(file.unwrap_or_default()),
        ..Sources::with_env(&all)
    })
    .unwrap_or_else(|e| panic!("{e}"));
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
