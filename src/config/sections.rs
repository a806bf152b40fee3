//! The section types of the service's own connections and parts: `[server]`, `[log]`,
//! `[store]`, `[hikcentral]` (with `[hikcentral.tls]`), `[humand]`, `[api]`, `[events]`,
//! `[attendance]`, `[delivery]` and `[ui]`, each field already its typed value.

use super::values::{
    self, string_or_list, u32_list, EmployeeIdType, PollReceiveTime, PollTypesPerCall,
};
use super::{doors, redact_url, LateEventPolicy, UnknownOutcomePolicy};
use crate::attendance::{AlternationPolicy, DoorRule};
use crate::secret::Secret;
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    #[serde(rename = "request_timeout_secs", with = "super::duration::secs")]
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
    /// A TOML list, or a comma-separated string from the environment.
    #[serde(deserialize_with = "string_or_list")]
    pub cors_allowed_origins: Vec<String>,
    #[serde(rename = "shutdown_grace_secs", with = "super::duration::secs")]
    pub shutdown_grace: Duration,
    pub max_connections: usize,
    #[serde(rename = "header_read_timeout_secs", with = "super::duration::secs")]
    pub header_read_timeout: Duration,
    #[serde(rename = "idle_timeout_secs", with = "super::duration::secs")]
    pub idle_timeout: Duration,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    #[serde(deserialize_with = "super::values::log_level")]
    pub level: super::values::LogFilter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Deserialize)]
pub struct StoreSettings {
    pub url: String,
    pub max_connections: u32,
    #[serde(rename = "busy_timeout_ms", with = "super::duration::millis")]
    pub busy_timeout: Duration,
    #[serde(rename = "connect_timeout_ms", with = "super::duration::millis")]
    pub connect_timeout: Duration,
}

/// `Debug` shows the URL with its password replaced.
impl fmt::Debug for StoreSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreSettings")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("busy_timeout", &self.busy_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct HikCentralSettings {
    pub base_url: String,
    pub app_key: String,
    #[serde(skip)]
    pub app_secret: Secret,
    pub app_secret_file: String,
    pub accept: String,
    pub content_type: String,
    pub send_content_md5: bool,
    #[serde(rename = "timeout_ms", with = "super::duration::millis")]
    pub timeout: Duration,
    #[serde(rename = "connect_timeout_ms", with = "super::duration::millis")]
    pub connect_timeout: Duration,
    pub requests_per_second: u32,
    pub max_concurrent: u32,
    pub max_attempts: u32,
    #[serde(rename = "backoff_base_ms", with = "super::duration::millis")]
    pub backoff_base: Duration,
    #[serde(rename = "backoff_max_ms", with = "super::duration::millis")]
    pub backoff_max: Duration,
    pub tls: TlsSettings,
}

impl HikCentralSettings {
    /// Configured means a base URL is set (the rest is then validated as required).
    pub fn is_configured(&self) -> bool {
        !self.base_url.trim().is_empty()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TlsSettings {
    pub ca_file: String,
    /// The SHA-256 of the server certificate; `None` (empty in the file) = no pin.
    #[serde(deserialize_with = "values::pin_sha256")]
    pub pin_sha256: Option<[u8; 32]>,
    pub insecure: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HumandSettings {
    pub base_url: String,
    #[serde(skip)]
    pub api_key: Secret,
    pub api_key_file: String,
    #[serde(rename = "timeout_ms", with = "super::duration::millis")]
    pub timeout: Duration,
    #[serde(rename = "connect_timeout_ms", with = "super::duration::millis")]
    pub connect_timeout: Duration,
    pub rate_limit: u32,
    #[serde(rename = "rate_window_secs", with = "super::duration::secs")]
    pub rate_window: Duration,
    pub max_attempts: u32,
    pub read_page_limit: u32,
}

impl HumandSettings {
    /// Configured means an API key is present.
    pub fn is_configured(&self) -> bool {
        !self.api_key.is_empty()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApiSettings {
    /// The legacy shared tokens: one client with every scope.
    #[serde(skip)]
    pub tokens: Vec<Secret>,
    pub tokens_file: String,
    /// Named clients with their scopes (`[[api.clients]]`).
    pub clients: Vec<super::access::ClientSettings>,
    /// The header a client with `assert_user` names the acting person in.
    pub acting_user_header: String,
    pub jwt: super::access::JwtSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventsSettings {
    /// The `{secret}` path segment of the callback; empty turns the receiver off.
    #[serde(skip)]
    pub callback_secret: Secret,
    pub callback_secret_file: String,
    /// Who may push events: CIDRs or bare addresses (one host), from a TOML list or a
    /// comma-separated string; empty = anyone.
    #[serde(deserialize_with = "values::networks")]
    pub allowed_ips: Vec<ipnet::IpNet>,
    pub public_url: String,
    pub subscribe_on_start: bool,
    pub pass_back: bool,
    #[serde(deserialize_with = "u32_list")]
    pub event_types: Vec<u32>,
    #[serde(rename = "poll_interval_secs", with = "super::duration::secs")]
    pub poll_interval: Duration,
    #[serde(rename = "poll_overlap_secs", with = "super::duration::secs")]
    pub poll_overlap: Duration,
    #[serde(rename = "poll_lookback_hours", with = "super::duration::hours")]
    pub poll_lookback: Duration,
    #[serde(deserialize_with = "string_or_list")]
    pub poll_doors: Vec<String>,
    pub poll_page_size: u32,
    pub max_events_per_push: usize,
    pub max_rejected_stored_per_push: usize,
    pub max_concurrent_pushes: usize,
    pub writer_queue_depth: usize,
    #[serde(rename = "accept_past_hours", with = "super::duration::hours")]
    pub accept_past: Duration,
    #[serde(rename = "accept_future_secs", with = "super::duration::secs")]
    pub accept_future: Duration,
    pub poll_types_per_call: PollTypesPerCall,
    pub poll_receive_time: PollReceiveTime,
}

impl EventsSettings {
    /// The event times accepted from pushes and polls.
    pub fn time_window(&self) -> crate::attendance::event::TimeWindow {
        crate::attendance::event::TimeWindow {
            max_past: self.accept_past,
            max_future: self.accept_future,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AttendanceSettings {
    #[serde(deserialize_with = "values::zone")]
    pub time_zone: chrono_tz::Tz,
    /// Event types that clock someone (never 197151, access denied by face).
    #[serde(deserialize_with = "values::granted_types")]
    pub granted_types: Vec<u32>,
    #[serde(deserialize_with = "doors::rules")]
    pub doors: Vec<DoorRule>,
    pub trust_isc_in_out: bool,
    #[serde(rename = "double_scan_window_secs", with = "super::duration::secs")]
    pub double_scan_window: Duration,
    #[serde(rename = "future_tolerance_secs", with = "super::duration::secs")]
    pub future_tolerance: Duration,
    #[serde(deserialize_with = "values::alternation_policy")]
    pub alternation: AlternationPolicy,
    pub validate_employees: bool,
    pub toggle_follows_last_punch: bool,
    #[serde(rename = "toggle_max_shift_hours", with = "super::duration::hours")]
    pub toggle_max_shift: Duration,
}

impl AttendanceSettings {
    /// The rules' configuration.
    pub fn rules(&self) -> crate::attendance::RulesConfig {
        crate::attendance::RulesConfig {
            granted_types: self.granted_types.iter().copied().collect(),
            doors: self.doors.clone(),
            trust_isc_in_out: self.trust_isc_in_out,
            double_scan_window: self.double_scan_window,
            future_tolerance: self.future_tolerance,
            time_zone: self.time_zone,
            alternation: self.alternation,
            toggle_follows_last_punch: self.toggle_follows_last_punch,
            toggle_max_shift: self.toggle_max_shift,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeliverySettings {
    pub enabled: bool,
    pub dry_run: bool,
    pub employee_id_type: EmployeeIdType,
    pub comment: String,
    pub concurrency: u32,
    #[serde(rename = "credentials_probe_secs", with = "super::duration::secs")]
    pub credentials_probe: Duration,
    #[serde(rename = "settle_secs", with = "super::duration::secs")]
    pub settle: Duration,
    pub late_events: LateEventPolicy,
    #[serde(rename = "lease_secs", with = "super::duration::secs")]
    pub lease: Duration,
    pub unknown_outcome: UnknownOutcomePolicy,
    #[serde(rename = "lookup_tolerance_secs", with = "super::duration::secs")]
    pub lookup_tolerance: Duration,
}

/// `[ui]`: the language of the sentences people read (the SIAD frontend's messages, the jobs'
/// reports, the dashboard), unless a request's `Accept-Language` asks for the other.
#[derive(Debug, Clone, Deserialize)]
pub struct UiSettings {
    pub language: crate::i18n::Language,
}
