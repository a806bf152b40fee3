//! Typed settings: embedded defaults → configuration file → `HIKBRIDGE__SECTION__KEY`
//! environment variables, validated once at start. Every problem names the key, the bad value
//! and an example of a good one. Secrets come only from the environment or from files.

use crate::secret::Secret;
use config::{Config, Environment, File, FileFormat, Value, ValueKind};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod operations;
mod reliability;
pub use operations::{AlertSettings, MetricsSettings, WebhookFormat};
pub use reliability::{ClusterSettings, LateEventPolicy, RetentionSettings, UnknownOutcomePolicy};

/// The documented defaults; also the list of every key the service knows.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");
/// Where `serve` looks when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "config/default.toml";
pub const ENV_PREFIX: &str = "HIKBRIDGE";

/// Secret keys: (key, environment variable, the `*_file` key that may hold it instead).
const SECRETS: [(&str, &str, &str); 7] = [
    (
        "hikcentral.app_secret",
        "HIKBRIDGE__HIKCENTRAL__APP_SECRET",
        "hikcentral.app_secret_file",
    ),
    (
        "humand.api_key",
        "HIKBRIDGE__HUMAND__API_KEY",
        "humand.api_key_file",
    ),
    ("api.tokens", "HIKBRIDGE__API__TOKENS", "api.tokens_file"),
    (
        "events.callback_secret",
        "HIKBRIDGE__EVENTS__CALLBACK_SECRET",
        "events.callback_secret_file",
    ),
    (
        "siad.password",
        "HIKBRIDGE__SIAD__PASSWORD",
        "siad.password_file",
    ),
    (
        "alerts.webhook_url",
        "HIKBRIDGE__ALERTS__WEBHOOK_URL",
        "alerts.webhook_url_file",
    ),
    (
        "alerts.smtp_url",
        "HIKBRIDGE__ALERTS__SMTP_URL",
        "alerts.smtp_url_file",
    ),
];

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub log: LogSettings,
    pub store: StoreSettings,
    pub hikcentral: HikCentralSettings,
    pub humand: HumandSettings,
    pub events: EventsSettings,
    pub attendance: AttendanceSettings,
    pub delivery: DeliverySettings,
    pub siad: SiadSettings,
    pub biometrico: BiometricoSettings,
    pub photo: crate::photo::PhotoLimits,
    pub api: ApiSettings,
    pub cluster: ClusterSettings,
    pub retention: RetentionSettings,
    pub metrics: MetricsSettings,
    pub alerts: AlertSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BiometricoSettings {
    #[serde(deserialize_with = "string_or_list")]
    pub org_by_person_type: Vec<String>,
    #[serde(deserialize_with = "string_or_list")]
    pub validity: Vec<String>,
    /// How a CI becomes a HikCentral personCode (at most 16 letters or digits).
    pub person_code: PersonCodeRule,
    /// Access levels (privilege group ids) per person type: `TYPE=id|id`, `*` the fallback.
    #[serde(deserialize_with = "string_or_list")]
    pub access_levels: Vec<String>,
    /// The access-control device whose face model checks photos before they are sent
    /// (`acs/v1/faceCheck`); empty = no pre-check.
    pub face_check_device: String,
}

/// `biometrico.person_code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonCodeRule {
    /// The CI exactly; a CI that is not 1–16 letters or digits is refused with the reason.
    Ci,
    /// The CI's letters and digits only ("1.234.567-8" → "12345678"), then the same check.
    CiAlnum,
}

impl PersonCodeRule {
    /// The personCode for `ci`, or why it cannot have one.
    pub fn person_code(self, ci: &str) -> Result<String, String> {
        let code: String = match self {
            PersonCodeRule::Ci => ci.trim().to_owned(),
            PersonCodeRule::CiAlnum => ci.chars().filter(char::is_ascii_alphanumeric).collect(),
        };
        let fits =
            (1..=16).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric());
        if fits {
            Ok(code)
        } else {
            Err(format!(
                "CI {ci:?} cannot be a HikCentral personCode: it must be 1 to 16 letters or \
                 digits (biometrico.person_code = \"{}\")",
                match self {
                    PersonCodeRule::Ci => "ci",
                    PersonCodeRule::CiAlnum => "ci_alnum",
                }
            ))
        }
    }
}

impl BiometricoSettings {
    /// The orgIndexCode for a SIAD person type (`*` is the fallback).
    pub fn org_for(&self, person_type: &str) -> Option<String> {
        per_type(&self.org_by_person_type, person_type).map(str::to_string)
    }

    /// The access levels (privilege group ids) a person of this type is added to; empty when
    /// none is configured (the person then opens no door).
    pub fn access_levels_for(&self, person_type: &str) -> Vec<String> {
        per_type(&self.access_levels, person_type)
            .map(|v| {
                v.split('|')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// (beginTime, endTime) for a SIAD person type.
    pub fn validity_for(&self, person_type: &str) -> Option<(String, String)> {
        let v = per_type(&self.validity, person_type)?;
        let (b, e) = v.split_once('/')?;
        Some((b.trim().to_string(), e.trim().to_string()))
    }
}

/// `TYPE=value` entries: the exact type first, then `*`.
fn per_type<'a>(entries: &'a [String], person_type: &str) -> Option<&'a str> {
    let pairs = entries.iter().filter_map(|e| e.split_once('='));
    let pt = person_type.trim();
    pairs
        .clone()
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(pt))
        .or_else(|| pairs.clone().find(|(k, _)| k.trim() == "*"))
        .map(|(_, v)| v.trim())
}

#[derive(Debug, Clone, Deserialize)]
pub struct SiadSettings {
    pub url: String,
    pub user: String,
    #[serde(skip)]
    pub password: Secret,
    pub password_file: String,
    pub trust_server_certificate: bool,
    pub ca_file: String,
    pub pool_size: u32,
    pub reconcile_interval_secs: u64,
    pub connect_timeout_ms: u64,
    pub query_timeout_ms: u64,
    pub query_person_by_ci: String,
    pub query_students_by_program_period: String,
    pub query_staff_by_type: String,
    pub query_photo_by_ci: String,
}

impl SiadSettings {
    pub fn is_configured(&self) -> bool {
        !self.url.trim().is_empty()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AttendanceSettings {
    pub time_zone: String,
    #[serde(deserialize_with = "u32_list")]
    pub granted_types: Vec<u32>,
    #[serde(deserialize_with = "string_or_list")]
    pub doors: Vec<String>,
    pub trust_isc_in_out: bool,
    pub double_scan_window_secs: u64,
    pub future_tolerance_secs: u64,
    pub alternation: String,
    pub validate_employees: bool,
    pub toggle_follows_last_punch: bool,
    pub toggle_max_shift_hours: u64,
}

impl AttendanceSettings {
    /// The rules' configuration (validated at load, so parsing cannot fail here).
    pub fn rules(&self) -> crate::attendance::RulesConfig {
        use crate::attendance::RulesConfig;
        let d = RulesConfig::default();
        RulesConfig {
            granted_types: self.granted_types.iter().copied().collect(),
            doors: self
                .doors
                .iter()
                .filter_map(|d| parse_door(d).ok())
                .collect(),
            trust_isc_in_out: self.trust_isc_in_out,
            double_scan_window: std::time::Duration::from_secs(self.double_scan_window_secs),
            future_tolerance: std::time::Duration::from_secs(self.future_tolerance_secs),
            time_zone: self.time_zone.parse().unwrap_or(d.time_zone),
            alternation: self.alternation.parse().unwrap_or(d.alternation),
            toggle_follows_last_punch: self.toggle_follows_last_punch,
            toggle_max_shift: std::time::Duration::from_secs(
                self.toggle_max_shift_hours.saturating_mul(3600),
            ),
        }
    }
}

/// `code:11=entry` or `name:Facial Salida=exit` (a bare `11=entry` means a code).
pub fn parse_door(spec: &str) -> Result<crate::attendance::DoorRule, String> {
    use crate::attendance::{DoorMatcher, DoorRule};
    let (lhs, mode) = spec
        .rsplit_once('=')
        .ok_or_else(|| "expected code:<index>=<mode> or name:<door name>=<mode>".to_string())?;
    let mode = mode.trim().parse().map_err(|e| format!("{e}"))?;
    let lhs = lhs.trim();
    let matcher = if let Some(name) = lhs.strip_prefix("name:") {
        DoorMatcher::Name(name.trim().to_string())
    } else if let Some(code) = lhs.strip_prefix("code:") {
        DoorMatcher::IndexCode(code.trim().to_string())
    } else if let Some((kind, _)) = lhs.split_once(':') {
        let hint = ["code", "name"]
            .into_iter()
            .find(|k| strsim_close(kind.trim(), k))
            .map(|k| format!(" (did you mean {k}:?)"))
            .unwrap_or_default();
        return Err(format!(
            "{:?} is neither code: nor name:{hint}",
            format!("{}:", kind.trim())
        ));
    } else {
        DoorMatcher::IndexCode(lhs.to_string())
    };
    let empty = match &matcher {
        DoorMatcher::Name(n) | DoorMatcher::IndexCode(n) => n.is_empty(),
    };
    if empty {
        return Err("the door code or name is empty".to_string());
    }
    Ok(DoorRule { matcher, mode })
}

/// Two words one or two edits apart (a typo).
fn strsim_close(a: &str, b: &str) -> bool {
    let a = a.to_ascii_lowercase();
    a != b && strsim::levenshtein(&a, b) <= 2
}

/// Pairs of rules that match the same door with different modes.
fn conflicting_doors(specs: &[String]) -> Vec<String> {
    let rules: Vec<(&String, crate::attendance::DoorRule)> = specs
        .iter()
        .filter_map(|s| parse_door(s).ok().map(|r| (s, r)))
        .collect();
    let mut out = Vec::new();
    for (i, (sa, a)) in rules.iter().enumerate() {
        for (sb, b) in &rules[i + 1..] {
            if a.matcher == b.matcher && a.mode != b.mode {
                out.push(format!(
                    "{sa:?} and {sb:?} give the same door two directions"
                ));
            }
        }
    }
    out
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeliverySettings {
    pub enabled: bool,
    pub dry_run: bool,
    pub employee_id_type: String,
    pub comment: String,
    pub concurrency: u32,
    pub credentials_probe_secs: u64,
    pub settle_secs: u64,
    pub late_events: LateEventPolicy,
    pub lease_secs: u64,
    pub unknown_outcome: UnknownOutcomePolicy,
    pub lookup_tolerance_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventsSettings {
    /// The `{secret}` path segment of the callback; empty turns the receiver off.
    #[serde(skip)]
    pub callback_secret: Secret,
    pub callback_secret_file: String,
    /// A TOML list, or a comma-separated string from the environment.
    #[serde(deserialize_with = "string_or_list")]
    pub allowed_ips: Vec<String>,
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
    pub poll_types_per_call: String,
    pub poll_receive_time: String,
}

impl EventsSettings {
    /// The event times accepted from pushes and polls.
    pub fn time_window(&self) -> crate::attendance::event::TimeWindow {
        crate::attendance::event::TimeWindow {
            max_past: std::time::Duration::from_secs(self.accept_past_hours.saturating_mul(3600)),
            max_future: std::time::Duration::from_secs(self.accept_future_secs),
        }
    }

    /// The allowlist parsed (validated at load, so unparsable entries cannot remain).
    pub fn allowed_networks(&self) -> Vec<ipnet::IpNet> {
        self.allowed_ips
            .iter()
            .filter_map(|s| parse_net(s))
            .collect()
    }
}

/// `10.0.0.0/8`, or a bare address meaning just that host.
pub fn parse_net(s: &str) -> Option<ipnet::IpNet> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| s.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
}

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
    pub level: String,
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
    pub pin_sha256: String,
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

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub value: String,
    pub problem: String,
    pub example: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.key)?;
        if !self.value.is_empty() {
            write!(f, " = {}", self.value)?;
        }
        write!(f, ": {}", self.problem)?;
        if !self.example.is_empty() {
            write!(f, " (example: {})", self.example)?;
        }
        Ok(())
    }
}

/// Every problem found, so an operator can fix them all at once.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the configuration has {} problem(s):",
            self.problems.len()
        )?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Where settings come from.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// A configuration file; `None` uses `config/default.toml` when it exists.
    pub file: Option<PathBuf>,
    /// Environment variables; `None` reads the process environment.
    pub env: Option<HashMap<String, String>>,
}

impl Sources {
    pub fn with_env(env: &[(&str, &str)]) -> Self {
        Self {
            file: None,
            env: Some(
                env.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
        }
    }
}

impl Settings {
    /// Load and validate. On error, every problem found is listed.
    pub fn load(sources: &Sources) -> Result<Settings, ConfigError> {
        let mut problems = Vec::new();
        let env = sources
            .env
            .clone()
            .unwrap_or_else(|| std::env::vars().collect());
        let env: HashMap<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with(&format!("{ENV_PREFIX}__")))
            .collect();

        let defaults = Config::builder()
            .add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml))
            .build()
            .map_err(|e| single("config/default.toml", "", &e.to_string(), ""))?;
        let known = flatten(&defaults);

        let mut builder =
            Config::builder().add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml));
        if let Some(path) = file_to_read(sources.file.as_deref(), &mut problems) {
            match Config::builder()
                .add_source(File::from(path.as_path()).format(FileFormat::Toml))
                .build()
            {
                Ok(file_cfg) => {
                    check_file_keys(&path, &file_cfg, &known, &mut problems);
                    builder =
                        builder.add_source(File::from(path.as_path()).format(FileFormat::Toml));
                }
                Err(e) => problems.push(Problem {
                    key: path.display().to_string(),
                    value: String::new(),
                    problem: format!("cannot read the configuration file: {e}"),
                    example: "a TOML file shaped like config/default.toml".into(),
                }),
            }
        }
        let env_for_config: HashMap<String, String> = env
            .iter()
            .filter(|(k, _)| !SECRETS.iter().any(|(_, var, _)| var == k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for key in env_for_config.keys() {
            let dotted = env_key_to_dotted(key);
            if !known.contains_key(&dotted) {
                problems.push(unknown_key(&format!("{key} (→ {dotted})"), &dotted, &known));
            }
        }
        builder = builder.add_source(
            Environment::with_prefix(ENV_PREFIX)
                .separator("__")
                .source(Some(env_for_config.into_iter().collect())),
        );
        let cfg = match builder.build() {
            Ok(c) => c,
            Err(e) => {
                problems.push(
                    single("configuration", "", &e.to_string(), "")
                        .problems
                        .remove(0),
                );
                return Err(ConfigError { problems });
            }
        };

        // Semantic checks need well-typed values; unknown keys do not stop them.
        let before = problems.len();
        check_types(&cfg, &known, &mut problems);
        if problems.len() > before {
            return Err(ConfigError { problems });
        }
        let mut settings: Settings = match cfg.try_deserialize() {
            Ok(s) => s,
            Err(e) => {
                problems.push(Problem {
                    key: "configuration".into(),
                    value: String::new(),
                    problem: e.to_string(),
                    example: String::new(),
                });
                return Err(ConfigError { problems });
            }
        };
        settings.resolve_secrets(&env, &mut problems);
        settings.validate(&mut problems);
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(ConfigError { problems })
        }
    }

    /// Embedded defaults only, plus the given environment (tests, `demo`).
    pub fn defaults_with_env(env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Self::load(&Sources {
            file: Some(PathBuf::new()),
            ..Sources::with_env(env)
        })
    }

    fn resolve_secrets(&mut self, env: &HashMap<String, String>, problems: &mut Vec<Problem>) {
        let read =
            |key: &str, var: &str, file_key: &str, file: &str, problems: &mut Vec<Problem>| {
                if let Some(v) = env.get(var) {
                    return v.trim().to_string();
                }
                if file.trim().is_empty() {
                    return String::new();
                }
                match std::fs::read_to_string(file.trim()) {
                    Ok(s) => s.trim().to_string(),
                    Err(e) => {
                        problems.push(Problem {
                            key: file_key.into(),
                            value: format!("{file:?}"),
                            problem: format!("cannot read the file holding {key}: {e}"),
                            example: "/run/secrets/hikbridge_secret".into(),
                        });
                        String::new()
                    }
                }
            };
        let [hik, humand, api, events, siad, webhook, smtp] = SECRETS;
        let mut secret = |(key, var, file_key): (&str, &str, &str), file: &str| {
            Secret::new(read(key, var, file_key, file, problems))
        };
        self.alerts.webhook_url = secret(webhook, &self.alerts.webhook_url_file);
        self.alerts.smtp_url = secret(smtp, &self.alerts.smtp_url_file);
        self.siad.password = secret(siad, &self.siad.password_file);
        self.events.callback_secret = secret(events, &self.events.callback_secret_file);
        self.hikcentral.app_secret = secret(hik, &self.hikcentral.app_secret_file);
        self.humand.api_key = secret(humand, &self.humand.api_key_file);
        let tokens = read(api.0, api.1, api.2, &self.api.tokens_file.clone(), problems);
        self.api.tokens = tokens
            .split([',', '\n'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(Secret::new)
            .collect();
    }

    fn validate(&self, problems: &mut Vec<Problem>) {
        let mut bad = |key: &str, value: &dyn fmt::Display, problem: &str, example: &str| {
            problems.push(Problem {
                key: key.into(),
                value: value.to_string(),
                problem: problem.into(),
                example: example.into(),
            })
        };
        let positive = [
            (
                "server.request_timeout_secs",
                self.server.request_timeout_secs,
                "30",
            ),
            (
                "server.body_limit_bytes",
                self.server.body_limit_bytes as u64,
                "1048576",
            ),
            (
                "store.max_connections",
                self.store.max_connections as u64,
                "8",
            ),
            ("hikcentral.timeout_ms", self.hikcentral.timeout_ms, "15000"),
            (
                "hikcentral.requests_per_second",
                self.hikcentral.requests_per_second as u64,
                "5",
            ),
            (
                "hikcentral.max_concurrent",
                self.hikcentral.max_concurrent as u64,
                "4",
            ),
            (
                "hikcentral.max_attempts",
                self.hikcentral.max_attempts as u64,
                "4",
            ),
            (
                "hikcentral.backoff_base_ms",
                self.hikcentral.backoff_base_ms,
                "500",
            ),
            ("humand.timeout_ms", self.humand.timeout_ms, "15000"),
            ("humand.rate_limit", self.humand.rate_limit as u64, "50"),
            (
                "humand.rate_window_secs",
                self.humand.rate_window_secs,
                "60",
            ),
            ("humand.max_attempts", self.humand.max_attempts as u64, "4"),
            (
                "server.max_connections",
                self.server.max_connections as u64,
                "512",
            ),
            (
                "server.header_read_timeout_secs",
                self.server.header_read_timeout_secs,
                "10",
            ),
            (
                "server.idle_timeout_secs",
                self.server.idle_timeout_secs,
                "60",
            ),
            (
                "events.max_events_per_push",
                self.events.max_events_per_push as u64,
                "1000",
            ),
            (
                "events.max_concurrent_pushes",
                self.events.max_concurrent_pushes as u64,
                "64",
            ),
            (
                "events.writer_queue_depth",
                self.events.writer_queue_depth as u64,
                "256",
            ),
            (
                "events.accept_past_hours",
                self.events.accept_past_hours,
                "744",
            ),
            ("cluster.lease_secs", self.cluster.lease_secs, "15"),
        ];
        for (key, v, example) in positive {
            if v == 0 {
                bad(key, &v, "must be greater than 0", example);
            }
        }
        if self.delivery.lease_secs.saturating_mul(1000) <= self.humand.timeout_ms {
            bad(
                "delivery.lease_secs",
                &self.delivery.lease_secs,
                "must be longer than one Humand request (humand.timeout_ms), or a punch could be \
                 claimed by another replica while its request is still in flight",
                "120",
            );
        }
        if self.hikcentral.backoff_max_ms < self.hikcentral.backoff_base_ms {
            bad(
                "hikcentral.backoff_max_ms",
                &self.hikcentral.backoff_max_ms,
                "must be at least hikcentral.backoff_base_ms",
                "30000",
            );
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            bad(
                "log.level",
                &quoted(&self.log.level),
                &format!("not a log filter: {e}"),
                "\"info\"",
            );
        }
        let url = self.store.url.trim();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            bad(
                "store.url",
                &quoted(&crate::config::redact_url(url)),
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
        for ip in &self.events.allowed_ips {
            if parse_net(ip).is_none() {
                bad(
                    "events.allowed_ips",
                    &quoted(ip),
                    "not an IP address or CIDR",
                    "[\"10.0.0.5/32\", \"192.168.10.0/24\"]",
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
        if !matches!(e.poll_types_per_call.as_str(), "all" | "one") {
            bad(
                "events.poll_types_per_call",
                &quoted(&e.poll_types_per_call),
                "must be \"all\" (eventTypes, one call) or \"one\" (eventType, a call per type)",
                "\"all\"",
            );
        }
        if !matches!(e.poll_receive_time.as_str(), "auto" | "off") {
            bad(
                "events.poll_receive_time",
                &quoted(&e.poll_receive_time),
                "must be \"auto\" (use acs/v2/door/events where offered) or \"off\"",
                "\"auto\"",
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
        let a = &self.attendance;
        if a.time_zone.parse::<chrono_tz::Tz>().is_err() {
            bad(
                "attendance.time_zone",
                &quoted(&a.time_zone),
                "not an IANA time zone",
                "\"America/Guayaquil\"",
            );
        }
        if a.alternation
            .parse::<crate::attendance::AlternationPolicy>()
            .is_err()
        {
            bad(
                "attendance.alternation",
                &quoted(&a.alternation),
                "must be send or park",
                "\"send\"",
            );
        }
        if a.granted_types.contains(&197151) {
            bad(
                "attendance.granted_types",
                &"[…, 197151, …]",
                "197151 is access DENIED by face and must never clock anyone",
                "[196893, 198914]",
            );
        }
        for d in &a.doors {
            if let Err(p) = parse_door(d) {
                bad(
                    "attendance.doors",
                    &quoted(d),
                    &p,
                    "[\"code:11=entry\", \"name:Facial Salida=exit\"]",
                );
            }
        }
        for conflict in conflicting_doors(&a.doors) {
            bad(
                "attendance.doors",
                &"[…]",
                &conflict,
                "one rule per door: [\"code:11=entry\", \"code:12=exit\"]",
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
        for entry in &self.biometrico.org_by_person_type {
            if entry
                .split_once('=')
                .is_none_or(|(k, v)| k.trim().is_empty() || v.trim().is_empty())
            {
                bad(
                    "biometrico.org_by_person_type",
                    &quoted(entry),
                    "expected TYPE=orgIndexCode",
                    "[\"E=2\", \"D=3\", \"*=4\"]",
                );
            }
        }
        for entry in &self.biometrico.validity {
            let ok = entry
                .split_once('=')
                .and_then(|(_, v)| v.split_once('/'))
                .is_some_and(|(b, e)| {
                    chrono::DateTime::parse_from_rfc3339(b.trim()).is_ok()
                        && chrono::DateTime::parse_from_rfc3339(e.trim()).is_ok()
                });
            if !ok {
                bad(
                    "biometrico.validity",
                    &quoted(entry),
                    "expected TYPE=begin/end with ISO-8601 times and offsets",
                    "[\"*=2020-01-01T00:00:00-05:00/2037-12-31T23:59:59-05:00\"]",
                );
            }
        }
        let d = &self.delivery;
        if !matches!(d.employee_id_type.as_str(), "string" | "integer") {
            bad(
                "delivery.employee_id_type",
                &quoted(&d.employee_id_type),
                "must be string or integer",
                "\"string\"",
            );
        }
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
        if !h.tls.pin_sha256.trim().is_empty() && parse_pin(&h.tls.pin_sha256).is_none() {
            bad(
                "hikcentral.tls.pin_sha256",
                &quoted(&h.tls.pin_sha256),
                "must be 64 hex digits (colons allowed): the SHA-256 of the server certificate",
                "\"3f:a1:...\" from `openssl x509 -in cert.pem -outform DER | sha256sum`",
            );
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

/// Values from the environment are strings: environment variables are never guessed into
/// numbers (an AppKey "0026744628" must keep its zeros), so lists arrive comma-separated.
fn string_or_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        OneOrMany::Many(v) => v,
    })
}

/// A TOML list of numbers, or a comma-separated string from the environment.
fn u32_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u32>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Item {
        N(u32),
        S(String),
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<Item>),
    }
    let texts: Vec<String> = match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect(),
        OneOrMany::Many(v) => v
            .into_iter()
            .map(|i| match i {
                Item::N(n) => n.to_string(),
                Item::S(s) => s.trim().to_string(),
            })
            .collect(),
    };
    texts
        .iter()
        .map(|t| {
            t.parse::<u32>()
                .map_err(|_| serde::de::Error::custom(format!("{t:?} is not an event type number")))
        })
        .collect()
}

/// Parse a certificate pin: 64 hex digits, colons and spaces ignored.
pub fn parse_pin(pin: &str) -> Option<[u8; 32]> {
    let hex: String = pin.chars().filter(|c| !matches!(c, ':' | ' ')).collect();
    let bytes = hex::decode(hex).ok()?;
    bytes.try_into().ok()
}

pub use crate::store::redact_url;

fn check_base_url(raw: &str, path_allowed: bool) -> Result<(), String> {
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

fn quoted(s: &str) -> String {
    format!("{s:?}")
}

fn single(key: &str, value: &str, problem: &str, example: &str) -> ConfigError {
    ConfigError {
        problems: vec![Problem {
            key: key.into(),
            value: value.into(),
            problem: problem.into(),
            example: example.into(),
        }],
    }
}

fn file_to_read(explicit: Option<&Path>, problems: &mut Vec<Problem>) -> Option<PathBuf> {
    match explicit {
        // An empty path means "embedded defaults only".
        Some(p) if p.as_os_str().is_empty() => None,
        Some(p) if p.is_file() => Some(p.to_path_buf()),
        Some(p) => {
            problems.push(Problem {
                key: "--config".into(),
                value: quoted(&p.display().to_string()),
                problem: "file not found".into(),
                example: "--config /etc/hikbridge/hikbridge.toml".into(),
            });
            None
        }
        None => {
            let p = PathBuf::from(DEFAULT_CONFIG_PATH);
            p.is_file().then_some(p)
        }
    }
}

/// `HIKBRIDGE__HIKCENTRAL__TLS__CA_FILE` → `hikcentral.tls.ca_file`.
fn env_key_to_dotted(var: &str) -> String {
    var.trim_start_matches(ENV_PREFIX)
        .trim_start_matches("__")
        .split("__")
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join(".")
}

fn check_file_keys(
    path: &Path,
    file_cfg: &Config,
    known: &BTreeMap<String, Value>,
    problems: &mut Vec<Problem>,
) {
    for key in flatten(file_cfg).keys() {
        if let Some((_, var, file_key)) = SECRETS.iter().find(|(k, _, _)| k == key) {
            problems.push(Problem {
                key: key.clone(),
                value: "(hidden)".into(),
                problem: format!(
                    "secrets are not read from configuration files ({}); remove it and set {var} or {file_key}",
                    path.display()
                ),
                example: format!("{var}=…"),
            });
        } else if !known.contains_key(key) {
            problems.push(unknown_key(key, key, known));
        } else if key == "store.url" {
            let url = file_cfg.get_string(key).unwrap_or_default();
            if url::Url::parse(&url).is_ok_and(|u| u.password().is_some()) {
                problems.push(Problem {
                    key: key.clone(),
                    value: quoted(&redact_url(&url)),
                    problem: format!(
                        "a database password is a secret and is not read from configuration files ({}); set the whole URL in HIKBRIDGE__STORE__URL instead",
                        path.display()
                    ),
                    example: "HIKBRIDGE__STORE__URL=postgres://hikbridge:…@db:5432/hikbridge".into(),
                });
            }
        }
    }
}

fn unknown_key(shown: &str, dotted: &str, known: &BTreeMap<String, Value>) -> Problem {
    // Secrets are not in the file, only in the environment: suggest their variable.
    let candidates = known
        .keys()
        .map(|k| (k.as_str(), format!("did you mean {k}?")))
        .chain(
            SECRETS
                .iter()
                .map(|(key, var, _)| (*key, format!("did you mean {var}?"))),
        );
    let suggestion = candidates
        .map(|(k, hint)| (strsim::levenshtein(k, dotted), hint))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, hint)| hint)
        .unwrap_or_else(|| "see config/default.toml for every key".into());
    Problem {
        key: shown.into(),
        value: String::new(),
        problem: format!("unknown key; {suggestion}"),
        example: String::new(),
    }
}

/// Every leaf key of a configuration, dotted, with its value.
fn flatten(cfg: &Config) -> BTreeMap<String, Value> {
    fn walk(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
        match &value.kind {
            ValueKind::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            _ => {
                out.insert(prefix.to_string(), value.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    if let Ok(table) = cfg.clone().try_deserialize::<config::Map<String, Value>>() {
        for (k, v) in &table {
            walk(k, v, &mut out);
        }
    }
    out
}

/// Check each known key against the type of its default, so all type errors are reported.
fn check_types(cfg: &Config, known: &BTreeMap<String, Value>, problems: &mut Vec<Problem>) {
    for (key, default) in known {
        let shown = |cfg: &Config| {
            cfg.get::<Value>(key)
                .map(|v| quoted(&v.to_string()))
                .unwrap_or_default()
        };
        let (ok, expected) = match &default.kind {
            ValueKind::Boolean(_) => (cfg.get_bool(key).is_ok(), "true or false"),
            ValueKind::I64(_) | ValueKind::U64(_) | ValueKind::I128(_) | ValueKind::U128(_) => (
                cfg.get_int(key).map(|n| n >= 0).unwrap_or(false),
                "a whole number ≥ 0",
            ),
            ValueKind::Array(_) => (
                cfg.get_array(key).is_ok() || cfg.get_string(key).is_ok(),
                "a list of strings (or a comma-separated string)",
            ),
            _ => (cfg.get_string(key).is_ok(), "a string"),
        };
        if !ok {
            problems.push(Problem {
                key: key.clone(),
                value: shown(cfg),
                problem: format!("must be {expected}"),
                example: default.to_string(),
            });
        } else if key == "server.listen" {
            let v = cfg.get_string(key).unwrap_or_default();
            if v.parse::<SocketAddr>().is_err() {
                problems.push(Problem {
                    key: key.clone(),
                    value: quoted(&v),
                    problem: "must be an IP address and port".into(),
                    example: "\"0.0.0.0:8080\"".into(),
                });
            }
        } else if key == "log.format" {
            let v = cfg.get_string(key).unwrap_or_default();
            if !matches!(v.as_str(), "text" | "json") {
                problems.push(Problem {
                    key: key.clone(),
                    value: quoted(&v),
                    problem: "must be text or json".into(),
                    example: "\"json\"".into(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_load_and_are_valid() {
        let s = Settings::defaults_with_env(&[]).expect("defaults are valid");
        assert_eq!(s.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.store.url, "sqlite://data/hikbridge.db");
        assert!(!s.hikcentral.is_configured());
        assert!(!s.humand.is_configured());
        assert_eq!(s.hikcentral.content_type, "application/json;charset=UTF-8");
        assert!(s.api.tokens.is_empty());
    }

    #[test]
    fn environment_overrides_nested_keys_and_reads_secrets() {
        let s = Settings::defaults_with_env(&[
            ("HIKBRIDGE__SERVER__LISTEN", "0.0.0.0:9000"),
            ("HIKBRIDGE__HIKCENTRAL__BASE_URL", "https://hik.example:443"),
            ("HIKBRIDGE__HIKCENTRAL__APP_KEY", "26744628"),
            ("HIKBRIDGE__HIKCENTRAL__APP_SECRET", "Zq8n2kQpX3vL9mTz"),
            ("HIKBRIDGE__HIKCENTRAL__TLS__INSECURE", "true"),
            ("HIKBRIDGE__HUMAND__API_KEY", "abc"),
            ("HIKBRIDGE__API__TOKENS", "t1, t2"),
        ])
        .expect("valid");
        assert_eq!(s.server.listen.port(), 9000);
        assert_eq!(s.hikcentral.app_key, "26744628");
        assert_eq!(s.hikcentral.app_secret.expose(), "Zq8n2kQpX3vL9mTz");
        assert!(s.hikcentral.tls.insecure);
        assert!(s.humand.is_configured());
        let tokens: Vec<&str> = s.api.tokens.iter().map(Secret::expose).collect();
        assert_eq!(tokens, ["t1", "t2"]);
        let debug = format!("{s:?}");
        assert!(
            !debug.contains("Zq8n2kQpX3vL9mTz"),
            "Debug leaks the AppSecret"
        );
        assert!(!debug.contains("\"abc\""), "Debug leaks the Humand key");
    }

    #[test]
    fn every_problem_names_key_value_and_example() {
        let err = Settings::defaults_with_env(&[
            ("HIKBRIDGE__SERVER__LISTEN", "localhost"),
            ("HIKBRIDGE__SERVER__REQUEST_TIMEOUT_SECS", "soon"),
            ("HIKBRIDGE__STORE__URL", "mysql://x"),
            ("HIKBRIDGE__HIKCENTRAL__BASE_URL", "ftp://hik"),
        ])
        .expect_err("broken");
        let text = err.to_string();
        assert!(text.contains("server.listen = \"localhost\""), "{text}");
        assert!(text.contains("0.0.0.0:8080"), "{text}");
        assert!(
            text.contains("server.request_timeout_secs = \"soon\""),
            "{text}"
        );
        // Type errors are reported first; semantic checks need well-typed values.
        assert_eq!(err.problems.len(), 2, "{text}");

        let err = Settings::defaults_with_env(&[
            ("HIKBRIDGE__STORE__URL", "mysql://x"),
            ("HIKBRIDGE__HIKCENTRAL__BASE_URL", "ftp://hik"),
            ("HIKBRIDGE__HIKCENTRAL__TLS__PIN_SHA256", "abcd"),
        ])
        .expect_err("broken");
        let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
        for k in [
            "store.url",
            "hikcentral.base_url",
            "hikcentral.app_key",
            "hikcentral.app_secret",
            "hikcentral.tls.pin_sha256",
        ] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
        assert!(err.problems.iter().all(|p| !p.example.is_empty()));
    }

    #[test]
    fn environment_strings_keep_leading_zeros_and_lists_split_on_commas() {
        let s = Settings::defaults_with_env(&[
            ("HIKBRIDGE__HIKCENTRAL__APP_KEY", "0026744628"),
            (
                "HIKBRIDGE__SERVER__CORS_ALLOWED_ORIGINS",
                "https://a.example.edu, https://b.example.edu",
            ),
        ])
        .expect("valid");
        assert_eq!(s.hikcentral.app_key, "0026744628");
        assert_eq!(
            s.server.cors_allowed_origins,
            ["https://a.example.edu", "https://b.example.edu"]
        );
    }

    #[test]
    fn attendance_and_event_lists_come_from_toml_or_comma_strings() {
        let s = Settings::defaults_with_env(&[
            (
                "HIKBRIDGE__ATTENDANCE__DOORS",
                "code:11=entry, name:Facial Salida=exit, 13=toggle",
            ),
            ("HIKBRIDGE__EVENTS__EVENT_TYPES", "196893,198914"),
            ("HIKBRIDGE__ATTENDANCE__TIME_ZONE", "America/Bogota"),
        ])
        .expect("valid");
        assert_eq!(s.events.event_types, [196893, 198914]);
        let rules = s.attendance.rules();
        assert_eq!(rules.doors.len(), 3);
        assert_eq!(rules.time_zone, chrono_tz::America::Bogota);
        assert!(rules.granted_types.contains(&196893));
        assert!(!rules.granted_types.contains(&197151));

        let err = Settings::defaults_with_env(&[
            ("HIKBRIDGE__ATTENDANCE__DOORS", "11=sideways"),
            ("HIKBRIDGE__ATTENDANCE__TIME_ZONE", "Mars/Olympus"),
            ("HIKBRIDGE__ATTENDANCE__GRANTED_TYPES", "196893,197151"),
        ])
        .expect_err("broken");
        let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "attendance.time_zone",
                "attendance.granted_types",
                "attendance.doors"
            ],
            "{err}"
        );
    }

    #[test]
    fn a_misspelled_secret_variable_is_pointed_at_the_right_variable() {
        let err =
            Settings::defaults_with_env(&[("HIKBRIDGE__HUMAND__API_KY", "x")]).expect_err("typo");
        assert!(
            err.to_string()
                .contains("did you mean HIKBRIDGE__HUMAND__API_KEY?"),
            "{err}"
        );
    }

    #[test]
    fn door_rules_with_a_typo_or_a_conflict_are_refused() {
        for (rules, want) in [
            ("cod:11=entry", "did you mean code:?"),
            ("nmae:Salida=exit", "did you mean name:?"),
            ("code:=entry", "empty"),
            ("code:11=entry, code:11=exit", "two directions"),
        ] {
            let err = Settings::defaults_with_env(&[("HIKBRIDGE__ATTENDANCE__DOORS", rules)])
                .expect_err(rules);
            assert!(err.to_string().contains(want), "{rules}: {err}");
        }
        assert!(Settings::defaults_with_env(&[(
            "HIKBRIDGE__ATTENDANCE__DOORS",
            "code:11=entry, 12=exit, name:Torniquete=toggle, code:11=entry"
        )])
        .is_ok());
    }

    #[test]
    fn unknown_environment_key_is_reported_with_a_suggestion() {
        let err = Settings::defaults_with_env(&[("HIKBRIDGE__SERVER__LISTN", "0.0.0.0:1")])
            .expect_err("typo");
        assert!(
            err.to_string().contains("did you mean server.listen?"),
            "{err}"
        );
    }

    #[test]
    fn secrets_in_a_file_are_refused() {
        let dir = std::env::temp_dir().join(format!("hb-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.toml");
        std::fs::write(&path, "[hikcentral]\napp_secret = \"oops\"\n").unwrap();
        let err = Settings::load(&Sources {
            file: Some(path),
            env: Some(HashMap::new()),
        })
        .expect_err("secret in file");
        let text = err.to_string();
        assert!(text.contains("hikcentral.app_secret"), "{text}");
        assert!(
            !text.contains("oops"),
            "the secret itself must not be echoed"
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_database_password_in_a_file_is_refused_and_debug_redacts_it() {
        let dir = std::env::temp_dir().join(format!("hb-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.toml");
        std::fs::write(&path, "[store]\nurl = \"postgres://u:hunter2@db/x\"\n").unwrap();
        let err = Settings::load(&Sources {
            file: Some(path),
            env: Some(HashMap::new()),
        })
        .expect_err("password in file");
        assert!(err.to_string().contains("store.url"), "{err}");
        assert!(!err.to_string().contains("hunter2"));
        std::fs::remove_dir_all(dir).ok();

        let s =
            Settings::defaults_with_env(&[("HIKBRIDGE__STORE__URL", "postgres://u:hunter2@db/x")])
                .unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn secret_files_are_read() {
        let dir = std::env::temp_dir().join(format!("hb-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let secret = dir.join("s");
        std::fs::write(&secret, "from-file\n").unwrap();
        let s = Settings::defaults_with_env(&[(
            "HIKBRIDGE__HIKCENTRAL__APP_SECRET_FILE",
            secret.to_str().unwrap(),
        )])
        .unwrap();
        assert_eq!(s.hikcentral.app_secret.expose(), "from-file");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn pins_parse_with_or_without_colons() {
        let hex64 = "ab".repeat(32);
        assert!(parse_pin(&hex64).is_some());
        let colons: Vec<&str> = std::iter::repeat_n("AB", 32).collect();
        assert_eq!(parse_pin(&colons.join(":")), parse_pin(&hex64));
        assert!(parse_pin("abcd").is_none());
    }

    #[test]
    fn person_codes_are_at_most_sixteen_letters_or_digits() {
        assert_eq!(
            PersonCodeRule::Ci.person_code("0923456789").unwrap(),
            "0923456789"
        );
        let too_long = PersonCodeRule::Ci
            .person_code("12345678901234567")
            .unwrap_err();
        assert!(too_long.contains("1 to 16 letters or digits"), "{too_long}");
        assert!(PersonCodeRule::Ci.person_code("1.234.567-8").is_err());
        assert_eq!(
            PersonCodeRule::CiAlnum.person_code("1.234.567-8").unwrap(),
            "12345678"
        );
    }

    #[test]
    fn redact_url_hides_passwords() {
        assert_eq!(
            redact_url("postgres://u:pw@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        // The one implementation for every place a database URL is printed: a password given
        // as a query parameter is hidden too (it was printed at start and by check-config).
        let shown = redact_url("postgres://u@h:5432/db?sslmode=require&password=s3cr3t");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("sslmode=require"), "{shown}");
    }
}
