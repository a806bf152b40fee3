//! Checks that need more than one value's parse: numbers that must be positive, URLs, header
//! values, files that must exist, and settings that only work together. They run on typed
//! settings; each bad setting becomes a [`Problem`].

use super::problems::{quoted, Problem};
use super::{redact_url, Settings};
use std::fmt;
use std::path::Path;

impl Settings {
    pub(super) fn validate(&self, problems: &mut Vec<Problem>) {
        self.api.validate_access(problems);
        self.lifecycle.validate(problems);
        let mut bad = |key: &str, value: &dyn fmt::Display, problem: &str, example: &str| {
            problems.push(Problem {
                key: key.into(),
                value: value.to_string(),
                problem: problem.into(),
                example: example.into(),
            })
        };
        // Each of these is a count or a duration that must not be 0 (`is_zero` below).
        let s = self;
        let zero = [
            (
                "server.request_timeout_secs",
                s.server.request_timeout.is_zero(),
                "30",
            ),
            (
                "server.body_limit_bytes",
                s.server.body_limit_bytes == 0,
                "1048576",
            ),
            ("store.max_connections", s.store.max_connections == 0, "8"),
            (
                "hikcentral.timeout_ms",
                s.hikcentral.timeout.is_zero(),
                "15000",
            ),
            (
                "hikcentral.requests_per_second",
                s.hikcentral.requests_per_second == 0,
                "5",
            ),
            (
                "hikcentral.max_concurrent",
                s.hikcentral.max_concurrent == 0,
                "4",
            ),
            (
                "hikcentral.max_attempts",
                s.hikcentral.max_attempts == 0,
                "4",
            ),
            (
                "hikcentral.backoff_base_ms",
                s.hikcentral.backoff_base.is_zero(),
                "500",
            ),
            ("humand.timeout_ms", s.humand.timeout.is_zero(), "15000"),
            ("humand.rate_limit", s.humand.rate_limit == 0, "50"),
            (
                "humand.rate_window_secs",
                s.humand.rate_window.is_zero(),
                "60",
            ),
            ("humand.max_attempts", s.humand.max_attempts == 0, "4"),
            (
                "server.max_connections",
                s.server.max_connections == 0,
                "512",
            ),
            (
                "server.header_read_timeout_secs",
                s.server.header_read_timeout.is_zero(),
                "10",
            ),
            (
                "server.idle_timeout_secs",
                s.server.idle_timeout.is_zero(),
                "60",
            ),
            (
                "events.max_events_per_push",
                s.events.max_events_per_push == 0,
                "1000",
            ),
            (
                "events.max_concurrent_pushes",
                s.events.max_concurrent_pushes == 0,
                "64",
            ),
            (
                "events.writer_queue_depth",
                s.events.writer_queue_depth == 0,
                "256",
            ),
            (
                "events.accept_past_hours",
                s.events.accept_past.is_zero(),
                "744",
            ),
            ("cluster.lease_secs", s.cluster.lease.is_zero(), "15"),
            (
                "retention.out_of_window_days",
                s.retention.keep_out_of_window.is_zero(),
                "90",
            ),
        ];
        for (key, is_zero, example) in zero {
            if is_zero {
                bad(key, &0, "must be greater than 0", example);
            }
        }
        if self.delivery.lease <= self.humand.timeout {
            bad(
                "delivery.lease_secs",
                &self.delivery.lease.as_secs(),
                "must be longer than one Humand request (humand.timeout_ms), or a punch could be \
                 claimed by another replica while its request is still in flight",
                "120",
            );
        }
        if self.hikcentral.backoff_max < self.hikcentral.backoff_base {
            bad(
                "hikcentral.backoff_max_ms",
                &self.hikcentral.backoff_max.as_millis(),
                "must be at least hikcentral.backoff_base_ms",
                "30000",
            );
        }
        let url = self.store.url.trim();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            bad(
                "store.url",
                &quoted(&redact_url(url)),
                "must start with sqlite: or postgres://",
                "\"sqlite://data/hikbridge.db\" or \"postgres://hikbridge@db:5432/hikbridge\"",
            );
        }
        for origin in &self.server.cors_allowed_origins {
            let ok = url::Url::parse(origin)
                .map(|u| {
                    matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.path() == "/"
                })
                .unwrap_or(false)
                && !origin.ends_with('/');
            if !ok {
                bad(
                    "server.cors_allowed_origins",
                    &quoted(origin),
                    "each origin is scheme://host[:port] with no path or trailing slash",
                    "[\"https://siad.example.edu\"]",
                );
            }
        }
        let secret = self.events.callback_secret.expose();
        if !secret.is_empty() && (secret.len() < 16 || secret.contains('/')) {
            bad(
                "events.callback_secret",
                &"(hidden)",
                "must be at least 16 characters and contain no '/': it is the only thing guarding the callback URL",
                "HIKBRIDGE__EVENTS__CALLBACK_SECRET=$(openssl rand -hex 24)",
            );
        }
        self.validate_hikcentral(&mut bad);
        self.siad.validate_queries(&mut bad);
        if let Err(p) = check_base_url(&self.humand.base_url, true) {
            bad(
                "humand.base_url",
                &quoted(&self.humand.base_url),
                &p,
                "\"https://api-prod.humand.co/public/api/v1\"",
            );
        }
        self.validate_events_and_attendance(&mut bad);
        for (key, value, problem, example) in self.alerts.problems() {
            bad(key, &value, &problem, example);
        }
    }

    fn validate_events_and_attendance(
        &self,
        bad: &mut impl FnMut(&str, &dyn fmt::Display, &str, &str),
    ) {
        let e = &self.events;
        if !e.public_url.trim().is_empty() {
            if let Err(p) = check_base_url(&e.public_url, true) {
                bad(
                    "events.public_url",
                    &quoted(&e.public_url),
                    &p,
                    "\"https://bridge.example.edu:8443\"",
                );
            }
        }
        if e.subscribe_on_start && (e.public_url.trim().is_empty() || e.callback_secret.is_empty())
        {
            bad(
                "events.subscribe_on_start",
                &"true",
                "needs events.public_url and HIKBRIDGE__EVENTS__CALLBACK_SECRET",
                "events.public_url = \"https://bridge.example.edu:8443\"",
            );
        }
        if e.event_types.is_empty() {
            bad(
                "events.event_types",
                &"[]",
                "list at least one event type",
                "[196893, 198914]",
            );
        }
        if let Err(problem) = crate::artemis::model::check_subscription_types(&e.event_types) {
            bad(
                "events.event_types",
                &format!("{} types", e.event_types.len()),
                &problem,
                "[196893, 198914]",
            );
        }
        if !(1..=500).contains(&e.poll_page_size) {
            bad(
                "events.poll_page_size",
                &e.poll_page_size,
                "must be 1..=500",
                "500",
            );
        }
        let siad = self.siad.url.trim();
        if !(siad.is_empty()
            || siad.starts_with("sqlite:")
            || siad.starts_with("mssql://")
            || siad.starts_with("sqlserver://"))
        {
            bad(
                "siad.url",
                &quoted(&redact_url(siad)),
                "must start with sqlite:, mssql:// or sqlserver://",
                "\"mssql://siad-db.example.edu:1433/SIAD\" or \"sqlite://data/siad-demo.db\"",
            );
        }
        let d = &self.delivery;
        if d.concurrency == 0 {
            bad("delivery.concurrency", &0, "must be greater than 0", "4");
        }
    }

    fn validate_hikcentral(&self, bad: &mut impl FnMut(&str, &dyn fmt::Display, &str, &str)) {
        let h = &self.hikcentral;
        if h.is_configured() {
            if let Err(p) = check_base_url(&h.base_url, false) {
                bad(
                    "hikcentral.base_url",
                    &quoted(&h.base_url),
                    &p,
                    "\"https://hikcentral.example.edu:443\"",
                );
            }
            if h.app_key.trim().is_empty() {
                bad(
                    "hikcentral.app_key",
                    &"\"\"",
                    "required when hikcentral.base_url is set",
                    "\"26744628\"",
                );
            }
            if h.app_secret.is_empty() {
                bad(
                    "hikcentral.app_secret",
                    &"(not set)",
                    "required when hikcentral.base_url is set; set HIKBRIDGE__HIKCENTRAL__APP_SECRET or hikcentral.app_secret_file",
                    "HIKBRIDGE__HIKCENTRAL__APP_SECRET=<the AppSecret from HikCentral's OpenAPI partner page>",
                );
            }
        }
        for (key, v) in [
            ("hikcentral.accept", &h.accept),
            ("hikcentral.content_type", &h.content_type),
        ] {
            if v.trim().is_empty() || http::HeaderValue::from_str(v).is_err() {
                bad(
                    key,
                    &quoted(v),
                    "must be a non-empty header value",
                    "\"application/json;charset=UTF-8\"",
                );
            }
        }
        let ca = h.tls.ca_file.trim();
        if !ca.is_empty() && !Path::new(ca).is_file() {
            bad(
                "hikcentral.tls.ca_file",
                &quoted(ca),
                "file not found",
                "\"/etc/hikbridge/hikcentral-ca.pem\"",
            );
        }
    }
}

pub(super) fn check_base_url(raw: &str, path_allowed: bool) -> Result<(), String> {
    let u = url::Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err("the scheme must be https:// (or http:// for simulators and labs)".into());
    }
    if u.host().is_none() {
        return Err("the URL has no host".into());
    }
    if !path_allowed && u.path() != "/" {
        return Err(
            "give only scheme://host[:port]; the /artemis/... paths are added by the client".into(),
        );
    }
    if u.query().is_some() || !u.username().is_empty() {
        return Err("the URL must not carry a query or credentials".into());
    }
    Ok(())
}
