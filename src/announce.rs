//! At start, one log line per part of the service saying whether it is on and how it is set,
//! so an operator reading the first screen of the log knows what runs. Secrets never appear.

use crate::config::Settings;
use crate::store::redact_url;

pub fn parts(s: &Settings) {
    tracing::info!(store = %redact_url(&s.store.url), "store");
    if s.hikcentral.is_configured() {
        tracing::info!(base_url = %redact_url(&s.hikcentral.base_url), per_second = s.hikcentral.requests_per_second, "HikCentral: on");
    } else {
        tracing::info!(
            "HikCentral: off (hikcentral.base_url, app_key and the AppSecret are not all set)"
        );
    }
    if s.events.callback_secret.is_empty() {
        tracing::info!("event receiver: off (no events.callback_secret)");
    } else {
        let from = if s.events.allowed_ips.is_empty() {
            "any address".to_owned()
        } else {
            let nets: Vec<String> = s
                .events
                .allowed_ips
                .iter()
                .map(ToString::to_string)
                .collect();
            nets.join(", ")
        };
        tracing::info!(path = "/hikcentral/events/<callback secret>", from = %from, "event receiver: on");
    }
    match (s.hikcentral.is_configured(), s.events.poll_interval) {
        (true, every) if !every.is_zero() => tracing::info!(
            every_secs = every.as_secs(),
            "door-event back-fill (poller): on"
        ),
        _ => tracing::info!("door-event back-fill (poller): off"),
    }
    if s.humand.is_configured() {
        let mode = match (s.delivery.enabled, s.delivery.dry_run) {
            (false, _) => "off (delivery.enabled = false: punches are queued, not sent)",
            (true, true) => "dry run (nothing is sent)",
            (true, false) => "on",
        };
        tracing::info!(
            base_url = %redact_url(&s.humand.base_url),
            budget = %format!("{} per {} s", s.humand.rate_limit, s.humand.rate_window.as_secs()),
            "Humand delivery: {mode}"
        );
    } else {
        tracing::info!("Humand delivery: off (no Humand API key)");
    }
    if s.siad.is_configured() {
        tracing::info!(siad = %redact_url(&s.siad.url), "SIAD person sync (/biometrico): on");
    } else {
        tracing::info!("SIAD person sync (/biometrico): off (no siad.url)");
    }
    api_clients(&s.api);
    tracing::info!(
        language = %s.ui.language,
        "language of the frontend's messages and the dashboard (ui.language; a request's Accept-Language may choose the other)"
    );
    match s.metrics.listen {
        Some(addr) => tracing::info!(%addr, "metrics: /metrics on a separate address"),
        None => tracing::info!("metrics: /metrics on the main listener"),
    }
    let a = &s.alerts;
    match (a.webhook_url.is_empty(), a.sends_email()) {
        (true, false) => tracing::info!("alerts: off (no alerts.webhook_url or SMTP)"),
        (webhook_off, mail) => tracing::info!(
            webhook = !webhook_off,
            email = mail,
            "alerts: on (checked every {} s)",
            a.check_interval.as_secs()
        ),
    }
}

/// Which clients may call the APIs, with their scopes; a warning for the legacy tokens.
fn api_clients(api: &crate::config::ApiSettings) {
    let clients = api.all_clients();
    if clients.is_empty() && !api.jwt.enabled() {
        tracing::info!("admin API, /biometrico and dashboard: locked (no [[api.clients]], api.tokens or [api.jwt])");
    }
    for c in &clients {
        let scopes: Vec<&str> = c.scopes.iter().map(|s| s.as_str()).collect();
        tracing::info!(client = %c.name, scopes = %scopes.join(","), tokens = c.tokens.len(), acting_user = c.assert_user, "API client");
    }
    if api.jwt.enabled() {
        let allowed: Vec<&str> = api.jwt.allowed_scopes.iter().map(|s| s.as_str()).collect();
        tracing::info!(algorithm = %api.jwt.algorithm, client = %api.jwt.client_name, allowed_scopes = %allowed.join(","), "user tokens (JWT): on");
    }
    if !api.tokens.is_empty() {
        tracing::warn!(
            tokens = api.tokens.len(),
            "api.tokens gives each of its tokens EVERY scope (sync, read, operate, admin): \
             give each caller its own [[api.clients]] entry with only the scopes it needs \
             (the SIAD frontend: [\"sync\"]; the dashboard's operators: [\"read\", \"operate\"]) \
             and remove api.tokens; see docs/operations.md, \"API clients and scopes\""
        );
    }
}
