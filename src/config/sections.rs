//! The section types of the service's own connections and parts: `[server]`, `[log]`,
//! `[store]`, `[hikcentral]` (with `[hikcentral.tls]`), `[humand]`, `[api]`, `[events]`,
//! `[attendance]` and `[delivery]`, each field already its typed value.

use super::values::{
    self, string_or_list, u32_list, EmployeeIdType, PollReceiveTime, PollTypesPerCall,
};
use super::{doors, redact_url, LateEventPolicy, UnknownOutcomePolicy};
use crate::attendance::{AlternationPolicy, DoorRule};
use crate::secret::Secret;
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    pub request_timeout_secs: u64,
    pub body_limit_bytes: usize,
    /// A TOML list, or a comma-separated string from the environment.
    #[serde(deserialize_with = "string_or_list")]
    pub cors_allowed_origins: Vec<String>,
    pub shutdown_grace_secs: u64,
    pub max_connections: usize,
    pub header_read_timeout_secs: u64,
    pub idle_timeout_secs: u64,
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
    pub busy_timeout_ms: u64,
    pub connect_timeout_ms: u64,
}

/// `Debug` shows the URL with its password replaced.
impl fmt::Debug for StoreSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreSettings")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("busy_timeout_ms", &self.busy_timeout_ms)
            .field("connect_timeout_ms", &self.connect_timeout_ms)
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
    pub timeout_ms: u64,
    pub connect_timeout_ms: u64,
    pub requests_per_second: u32,
    pub max_concurrent: u32,
    pub max_attempts: u32,
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
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
    pub timeout_ms: u64,
    pub connect_timeout_ms: u64,
    pub rate_limit: u32,
    pub rate_window_secs: u64,
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
    #[serde(skip)]
    pub tokens: Vec<Secret>,
    pub tokens_file: String,
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
    pub poll_interval_secs: u64,
    pub poll_overlap_secs: u64,
    pub poll_lookback_hours: u64,
    #[serde(deserialize_with = "string_or_list")]
    pub poll_doors: Vec<String>,
    pub poll_page_size: u32,
    pub max_events_per_push: usize,
    pub max_rejected_stored_per_push: usize,
    pub max_concurrent_pushes: usize,
    pub writer_queue_depth: usize,
    pub accept_past_hours: u64,
    pub accept_future_secs: u64,
    pub poll_types_per_call: PollTypesPerCall,
    pub poll_receive_time: PollReceiveTime,
}

impl EventsSettings {
    /// The event times accepted from pushes and polls.
    pub fn time_window(&self) -> crate::attendance::event::TimeWindow {
        crate::attendance::event::TimeWindow {
            max_past: std::time::Duration::from_secs(self.accept_past_hours.saturating_mul(3600)),
            max_future: std::time::Duration::from_secs(self.accept_future_secs),
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
    pub double_scan_window_secs: u64,
    pub future_tolerance_secs: u64,
    #[serde(deserialize_with = "values::alternation_policy")]
    pub alternation: AlternationPolicy,
    pub validate_employees: bool,
    pub toggle_follows_last_punch: bool,
    pub toggle_max_shift_hours: u64,
}

impl AttendanceSettings {
    /// The rules' configuration.
    pub fn rules(&self) -> crate::attendance::RulesConfig {
        crate::attendance::RulesConfig {
            granted_types: self.granted_types.iter().copied().collect(),
            doors: self.doors.clone(),
            trust_isc_in_out: self.trust_isc_in_out,
            double_scan_window: std::time::Duration::from_secs(self.double_scan_window_secs),
            future_tolerance: std::time::Duration::from_secs(self.future_tolerance_secs),
            time_zone: self.time_zone,
            alternation: self.alternation,
            toggle_follows_last_punch: self.toggle_follows_last_punch,
            toggle_max_shift: std::time::Duration::from_secs(
                self.toggle_max_shift_hours.saturating_mul(3600),
            ),
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
    pub credentials_probe_secs: u64,
    pub settle_secs: u64,
    pub late_events: LateEventPolicy,
    pub lease_secs: u64,
    pub unknown_outcome: UnknownOutcomePolicy,
    pub lookup_tolerance_secs: u64,
}
