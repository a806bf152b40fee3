//! `check-config`: validate the configuration, then try each configured connection and print
//! one line per item: ✓, ✗ with what to change, or · when not configured.

use crate::artemis::{ArtemisClient, ArtemisError};
use crate::config::{redact_url, Settings, Sources};
use crate::humand::HumandClient;
use crate::store::{Store, StoreOptions};
use std::time::Duration;

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Ok(String, String),
    Fail(String, String, String),
    Skipped(String, String),
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Line::Ok(item, what) => write!(f, "✓ {item}: {what}"),
            Line::Fail(item, what, fix) => write!(f, "✗ {item}: {what}\n    → {fix}"),
            Line::Skipped(item, why) => write!(f, "· {item}: {why}"),
        }
    }
}

/// Print the report; 0 when nothing failed.
pub async fn run(sources: &Sources) -> i32 {
    let lines = report(sources).await;
    for l in &lines {
        println!("{l}");
    }
    i32::from(lines.iter().any(|l| matches!(l, Line::Fail(..))))
}

pub async fn report(sources: &Sources) -> Vec<Line> {
    let settings = match Settings::load(sources) {
        Ok(s) => s,
        Err(e) => {
            return e
                .problems
                .iter()
                .map(|p| {
                    let fix = if p.example.is_empty() {
                        "see config/default.toml".to_string()
                    } else {
                        format!("for example {}", p.example)
                    };
                    let value = if p.value.is_empty() {
                        String::new()
                    } else {
                        format!(" = {}", p.value)
                    };
                    Line::Fail(format!("{}{value}", p.key), p.problem.clone(), fix)
                })
                .collect()
        }
    };
    let source = match &sources.file {
        Some(p) if !p.as_os_str().is_empty() => p.display().to_string(),
        _ if std::path::Path::new(crate::config::DEFAULT_CONFIG_PATH).is_file() => {
            crate::config::DEFAULT_CONFIG_PATH.to_string()
        }
        _ => "embedded defaults".to_string(),
    };
    let mut lines = vec![Line::Ok(
        "configuration".into(),
        format!(
            "{source} + environment; listens on {}",
            settings.server.listen
        ),
    )];
    lines.push(check_store(&settings).await);
    lines.push(check_hikcentral(&settings).await);
    lines.push(check_humand(&settings).await);
    lines.push(check_siad(&settings).await);
    lines.push(if settings.api.tokens.is_empty() {
        Line::Skipped(
            "api tokens".into(),
            "none set: protected APIs will refuse every call (set HIKBRIDGE__API__TOKENS)".into(),
        )
    } else {
        Line::Ok(
            "api tokens".into(),
            format!("{} token(s)", settings.api.tokens.len()),
        )
    });
    lines
}

async fn check_store(settings: &Settings) -> Line {
    let url = redact_url(&settings.store.url);
    // A check creates nothing: a SQLite file that does not exist yet is reported, not made.
    if let Some(path) = crate::store::sqlite_file(&settings.store.url) {
        if !path.exists() {
            let path = std::path::absolute(&path).unwrap_or(path);
            let first_existing = path.ancestors().skip(1).find(|d| d.exists());
            let writable = first_existing
                .and_then(|d| std::fs::metadata(d).ok())
                .is_some_and(|m| !m.permissions().readonly());
            return if writable {
                Line::Ok(
                    "store".into(),
                    format!("{url} does not exist yet: it is created, with its directory, at the first start"),
                )
            } else {
                Line::Fail(
                    "store".into(),
                    format!("{url} does not exist and its directory cannot be created or written"),
                    "create the directory and let the service's user write to it".into(),
                )
            };
        }
    }
    let opts = StoreOptions {
        max_connections: 1,
        busy_timeout: settings.store.busy_timeout,
        connect_timeout: settings.store.connect_timeout,
    };
    let attempt = async {
        let store = Store::connect(&settings.store.url, &opts).await?;
        store.ping().await?;
        let version = store.schema_version().await.unwrap_or(0);
        store.close().await;
        Ok::<_, crate::store::StoreError>((store.backend(), version))
    };
    match tokio::time::timeout(
        settings
            .store
            .connect_timeout
            .saturating_add(Duration::from_secs(1)),
        attempt,
    )
    .await
    {
        Ok(Ok((backend, version))) => Line::Ok(
            "store".into(),
            format!("{url} ({backend}, schema version {version}; pending migrations run at start)"),
        ),
        Ok(Err(e)) => Line::Fail(
            "store".into(),
            format!("{url}: {e}"),
            "check store.url, that the database runs and this user may connect".into(),
        ),
        Err(_) => Line::Fail(
            "store".into(),
            format!("{url}: no answer in time"),
            "check store.url and the network path to the database".into(),
        ),
    }
}

async fn check_hikcentral(settings: &Settings) -> Line {
    let h = &settings.hikcentral;
    if !h.is_configured() {
        return Line::Skipped("hikcentral".into(), "not configured (set hikcentral.base_url, hikcentral.app_key and HIKBRIDGE__HIKCENTRAL__APP_SECRET)".into());
    }
    // One attempt: a check should report, not wait out backoffs.
    let mut once = h.clone();
    once.max_attempts = 1;
    let client = match ArtemisClient::new(&once, ArtemisClient::pacer_for(&once)) {
        Ok(c) => c,
        Err(e) => {
            return Line::Fail(
                "hikcentral".into(),
                format!("{e:#}"),
                "fix hikcentral.tls.* or hikcentral.base_url".into(),
            )
        }
    };
    let tls = if h.base_url.starts_with("https") {
        client.tls_mode().describe()
    } else {
        "plain HTTP"
    };
    match client.version().await {
        Ok(v) => Line::Ok(
            "hikcentral".into(),
            format!("{} — {v} (TLS: {tls})", h.base_url),
        ),
        Err(e) => {
            let fix = match &e {
                ArtemisError::Api(crate::artemis::model::ArtemisCode::InvalidSignature(_)) => "the AppSecret does not match the AppKey: check HIKBRIDGE__HIKCENTRAL__APP_SECRET; `hikbridge artemis sign` shows what is signed",
                ArtemisError::Http { status: 401, .. } => "HikCentral does not know this AppKey: check hikcentral.app_key",
                ArtemisError::Transport(t) if t.contains("certificate") || t.contains("TLS") || t.contains("tls") => "the certificate is not trusted: set hikcentral.tls.ca_file (the CA's PEM) or hikcentral.tls.pin_sha256",
                ArtemisError::Transport(_) | ArtemisError::GaveUp { .. } => "check hikcentral.base_url (scheme, host, port) and that this host can reach it",
                _ => "see the message; HikCentral's code and text are shown as it sent them",
            };
            Line::Fail(
                "hikcentral".into(),
                format!("{}: {e}", h.base_url),
                fix.into(),
            )
        }
    }
}

async fn check_siad(settings: &Settings) -> Line {
    if !settings.siad.is_configured() {
        return Line::Skipped(
            "siad".into(),
            "not configured (set siad.url: mssql://host:1433/SIAD, or sqlite://data/siad-demo.db after `hikbridge siad seed-demo`)".into(),
        );
    }
    let url = redact_url(&settings.siad.url);
    let dir = match crate::siad::open(&settings.siad).await {
        Ok(d) => d,
        Err(e) => {
            return Line::Fail(
                "siad".into(),
                format!("{url}: {e}"),
                "fix siad.url, siad.user, HIKBRIDGE__SIAD__PASSWORD or the TLS settings".into(),
            )
        }
    };
    match dir.ping().await {
        Ok(()) => Line::Ok("siad".into(), dir.describe()),
        Err(e) => Line::Fail(
            "siad".into(),
            format!("{}: {e}", dir.describe()),
            "check that SIAD's SQL Server is reachable from here, the login and password, and the certificate (siad.ca_file)".into(),
        ),
    }
}

async fn check_humand(settings: &Settings) -> Line {
    let h = &settings.humand;
    if !h.is_configured() {
        return Line::Skipped(
            "humand".into(),
            "not configured (set HIKBRIDGE__HUMAND__API_KEY)".into(),
        );
    }
    let mut once = h.clone();
    once.max_attempts = 1;
    let client = match HumandClient::new(&once, HumandClient::pacer_for(&once, 1)) {
        Ok(c) => c,
        Err(e) => {
            return Line::Fail(
                "humand".into(),
                format!("{e:#}"),
                "fix humand.base_url or the API key".into(),
            )
        }
    };
    match client.check().await {
        Ok(what) => Line::Ok("humand".into(), format!("{} — {what}", h.base_url)),
        Err(e) => {
            let fix = if e.is_credentials() {
                "the API key is refused: set HIKBRIDGE__HUMAND__API_KEY to the key exactly as Humand issued it, with the needed permissions"
            } else {
                "check humand.base_url and that this host can reach it"
            };
            Line::Fail("humand".into(), format!("{}: {e}", h.base_url), fix.into())
        }
    }
}
