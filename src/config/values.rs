//! Typed values parsed from configuration text: lists (a TOML list or a comma-separated string
//! from the environment), event types, IP networks, certificate pins, the time zone and the
//! one-word choices. Each value has one parse function; it both deserialises the setting and, in
//! [`check`], reports every bad item with its precise problem before deserialisation, so an
//! operator sees all of them at once.

use super::doors;
use super::per_type;
use super::problems::{quoted, Problem};
use crate::attendance::AlternationPolicy;
use config::Config;
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Deserializer};

/// Event type 197151: access denied by face.
const DENIED_BY_FACE: u32 = 197151;
const DENIED_CLOCKS: &str = "197151 is access DENIED by face and must never clock anyone";

/// The problems of every key with a typed value (in the order they are reported), and the keys
/// that had one (they are reset to their defaults so the rest can still be checked).
pub(super) fn check(cfg: &Config, problems: &mut Vec<Problem>, bad_keys: &mut Vec<String>) {
    let found = [
        list(
            cfg,
            "events.allowed_ips",
            "[\"10.0.0.5/32\", \"192.168.10.0/24\"]",
            network,
        ),
        scalar(
            cfg,
            "hikcentral.tls.pin_sha256",
            "\"3f:a1:...\" from `openssl x509 -in cert.pem -outform DER | sha256sum`",
            pin,
        ),
        word::<PollTypesPerCall>(
            cfg,
            "events.poll_types_per_call",
            "must be \"all\" (eventTypes, one call) or \"one\" (eventType, a call per type)",
            "\"all\"",
        ),
        word::<PollReceiveTime>(
            cfg,
            "events.poll_receive_time",
            "must be \"auto\" (use acs/v2/door/events where offered) or \"off\"",
            "\"auto\"",
        ),
        scalar(
            cfg,
            "attendance.time_zone",
            "\"America/Guayaquil\"",
            time_zone,
        ),
        scalar(cfg, "attendance.alternation", "\"send\"", alternation),
        scalar(cfg, "log.level", "\"info\"", log_filter),
        denied_granted(cfg),
        doors::check(cfg),
        list(
            cfg,
            "biometrico.org_by_person_type",
            "[\"E=2\", \"D=3\", \"*=4\"]",
            per_type::org_entry,
        ),
        list(
            cfg,
            "biometrico.validity",
            "[\"*=2020-01-01T00:00:00-05:00/2037-12-31T23:59:59-05:00\"]",
            per_type::validity_entry,
        ),
        list(
            cfg,
            "biometrico.access_levels",
            "[\"E=1\", \"D=2|3\"]",
            per_type::access_entry,
        ),
        word::<EmployeeIdType>(
            cfg,
            "delivery.employee_id_type",
            "must be string or integer",
            "\"string\"",
        ),
        word::<crate::i18n::Language>(
            cfg,
            "ui.language",
            "must be \"es\" (Spanish) or \"en\" (English)",
            "\"es\"",
        ),
    ];
    for found in found {
        if let Some(first) = found.first() {
            bad_keys.push(first.key.clone());
        }
        problems.extend(found);
    }
}

/// The problem of a one-text key (none when it is not text: that is a type problem).
fn scalar<T>(
    cfg: &Config,
    key: &str,
    example: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Vec<Problem> {
    let Ok(text) = cfg.get_string(key) else {
        return Vec::new();
    };
    match parse(&text) {
        Ok(_) => Vec::new(),
        Err(p) => vec![Problem::new(key, &quoted(&text), &p, example)],
    }
}

/// The problem of a one-word choice: an enum deserialised by its name.
fn word<T: DeserializeOwned>(
    cfg: &Config,
    key: &str,
    problem: &str,
    example: &str,
) -> Vec<Problem> {
    scalar(cfg, key, example, |text| {
        let parsed: Result<T, serde::de::value::Error> = T::deserialize(text.into_deserializer());
        parsed.map_err(|_| problem.to_owned())
    })
}

/// A problem for each bad item of a list key.
fn list<T>(
    cfg: &Config,
    key: &str,
    example: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Vec<Problem> {
    texts(cfg, key)
        .iter()
        .filter_map(|t| {
            let problem = parse(t).err()?;
            Some(Problem::new(key, &quoted(t), &problem, example))
        })
        .collect()
}

/// The items of a list key as text, however they were given.
pub(super) fn texts(cfg: &Config, key: &str) -> Vec<String> {
    if let Ok(text) = cfg.get_string(key) {
        return split_commas(&text);
    }
    cfg.get_array(key)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| v.into_string().ok())
        .collect()
}

fn split_commas(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn denied_granted(cfg: &Config) -> Vec<Problem> {
    let key = "attendance.granted_types";
    if texts(cfg, key)
        .iter()
        .any(|t| t.trim().parse() == Ok(DENIED_BY_FACE))
    {
        vec![Problem::new(
            key,
            "[…, 197151, …]",
            DENIED_CLOCKS,
            "[196893, 198914]",
        )]
    } else {
        Vec::new()
    }
}

/// Deserialise text with `parse`; its message is the problem.
fn parsed<'de, D: Deserializer<'de>, T>(
    d: D,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, D::Error> {
    let text = String::deserialize(d)?;
    parse(&text).map_err(serde::de::Error::custom)
}

/// Values from the environment are strings: environment variables are never guessed into
/// numbers (an AppKey "0026744628" must keep its zeros), so lists arrive comma-separated.
pub(super) fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => split_commas(&s),
        OneOrMany::Many(v) => v,
    })
}

/// A TOML list of numbers, or a comma-separated string from the environment.
pub(super) fn u32_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u32>, D::Error> {
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
        OneOrMany::One(s) => split_commas(&s),
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

/// `attendance.granted_types`: event types that clock someone, never 197151.
pub(super) fn granted_types<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u32>, D::Error> {
    let types = u32_list(d)?;
    if types.contains(&DENIED_BY_FACE) {
        return Err(serde::de::Error::custom(DENIED_CLOCKS));
    }
    Ok(types)
}

/// `10.0.0.0/8`, or a bare address meaning just that host.
pub fn parse_net(s: &str) -> Option<ipnet::IpNet> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| s.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
}

fn network(text: &str) -> Result<ipnet::IpNet, String> {
    parse_net(text).ok_or_else(|| "not an IP address or CIDR".to_owned())
}

/// `events.allowed_ips`.
pub(super) fn networks<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ipnet::IpNet>, D::Error> {
    string_or_list(d)?
        .iter()
        .map(|t| network(t).map_err(serde::de::Error::custom))
        .collect()
}

/// Parse a certificate pin: 64 hex digits, colons and spaces ignored.
pub fn parse_pin(pin: &str) -> Option<[u8; 32]> {
    let hex: String = pin.chars().filter(|c| !matches!(c, ':' | ' ')).collect();
    let bytes = hex::decode(hex).ok()?;
    bytes.try_into().ok()
}

/// An empty pin is none.
fn pin(text: &str) -> Result<Option<[u8; 32]>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse_pin(text).map(Some).ok_or_else(|| {
        "must be 64 hex digits (colons allowed): the SHA-256 of the server certificate".to_owned()
    })
}

/// `hikcentral.tls.pin_sha256`.
pub(super) fn pin_sha256<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u8; 32]>, D::Error> {
    parsed(d, pin)
}

/// `log.level`: a `tracing` filter (`info`, `hikbridge=debug,sqlx=warn`), checked once at load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFilter(String);

impl LogFilter {
    /// The filter, ready for the subscriber (the text was checked when the setting was read).
    pub fn env_filter(&self) -> tracing_subscriber::EnvFilter {
        tracing_subscriber::EnvFilter::try_new(&self.0)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for LogFilter {
    /// For code that sets a known-good filter itself (the simulators' `info`).
    fn from(text: &str) -> Self {
        LogFilter(text.to_owned())
    }
}

fn log_filter(text: &str) -> Result<LogFilter, String> {
    tracing_subscriber::EnvFilter::try_new(text)
        .map(|_| LogFilter(text.to_owned()))
        .map_err(|e| format!("not a log filter: {e}"))
}

/// `log.level`.
pub(super) fn log_level<'de, D: Deserializer<'de>>(d: D) -> Result<LogFilter, D::Error> {
    parsed(d, log_filter)
}

fn time_zone(text: &str) -> Result<chrono_tz::Tz, String> {
    text.parse().map_err(|_| "not an IANA time zone".to_owned())
}

/// `attendance.time_zone`.
pub(super) fn zone<'de, D: Deserializer<'de>>(d: D) -> Result<chrono_tz::Tz, D::Error> {
    parsed(d, time_zone)
}

fn alternation(text: &str) -> Result<AlternationPolicy, String> {
    text.parse().map_err(|_| "must be send or park".to_owned())
}

/// `attendance.alternation`.
pub(super) fn alternation_policy<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<AlternationPolicy, D::Error> {
    parsed(d, alternation)
}

/// `events.poll_types_per_call`: how the poller asks for several event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PollTypesPerCall {
    /// One `door/events` call with every type (`eventTypes "a,b,c"`).
    All,
    /// A call per type (`eventType`), for servers that refuse the list.
    One,
}

/// `events.poll_receive_time`: whether the poller also back-fills by receive time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PollReceiveTime {
    /// Use `acs/v2/door/events` where HikCentral offers it (probed once).
    Auto,
    /// Skip the probe.
    Off,
}

/// `delivery.employee_id_type`: the JSON type of `employeeId` sent to Humand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmployeeIdType {
    String,
    Integer,
}
