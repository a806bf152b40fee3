//! Typed settings: embedded defaults → configuration file → `HIKBRIDGE__SECTION__KEY`
//! environment variables, validated once at start. Every problem names the key, the bad value
//! and an example of a good one. Secrets come only from the environment or from files.
//!
//! This module owns [`Settings`] and the order of loading ([`Settings::load`]); the parts are:
//! - `sections`, `biometrico`, `operations`, `reliability`: the section types;
//! - `values`: typed values parsed from text (lists, networks, pins, time zone, one-word
//!   choices), and `doors`: the door rules, each parsed and validated in one place;
//! - `sources`: the layers (defaults, file, environment);
//! - `keys`: known keys and their types, unknown keys with suggestions;
//! - `secrets`: secrets from the environment or `*_file` keys;
//! - `validate`: checks that span several values (`siad_queries`: the `siad.query_*` SQL);
//! - `problems`: [`Problem`] and [`ConfigError`].

use serde::Deserialize;

mod access;
mod biometrico;
mod doors;
mod duration;
mod jwt;
mod keys;
mod lifecycle;
mod operations;
mod per_type;
mod problems;
mod reliability;
mod secrets;
mod sections;
mod siad_queries;
mod sources;
#[cfg(test)]
mod tests;
mod validate;
mod values;

pub use crate::store::redact_url;
pub use access::{ClientSettings, JwtSettings, Scope, TokenDigest, LEGACY_CLIENT, MIN_TOKEN_LEN};
pub use biometrico::{BiometricoSettings, PersonCodeRule, SiadSettings};
pub use doors::parse_door;
pub use lifecycle::{parse_schedule, LifecycleSettings};
pub use operations::{AlertSettings, MetricsSettings, WebhookFormat};
pub use per_type::{PerType, Validity};
pub use problems::{ConfigError, Problem};
pub use reliability::{ClusterSettings, LateEventPolicy, RetentionSettings, UnknownOutcomePolicy};
pub use sections::{
    ApiSettings, AttendanceSettings, DeliverySettings, EventsSettings, HikCentralSettings,
    HumandSettings, LogFormat, LogSettings, ServerSettings, StoreSettings, TlsSettings, UiSettings,
};
pub use sources::Sources;
pub use values::{
    parse_net, parse_pin, EmployeeIdType, LogFilter, PollReceiveTime, PollTypesPerCall,
};

/// The documented defaults; also the list of every key the service knows.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");
/// Where `serve` looks when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "config/default.toml";
pub const ENV_PREFIX: &str = "HIKBRIDGE";

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
    pub ui: UiSettings,
    pub photo: crate::photo::PhotoLimits,
    pub api: ApiSettings,
    pub cluster: ClusterSettings,
    pub retention: RetentionSettings,
    pub metrics: MetricsSettings,
    pub alerts: AlertSettings,
    pub lifecycle: LifecycleSettings,
}

impl Settings {
    /// Load and validate. On error, every problem found is listed.
    pub fn load(sources: &Sources) -> Result<Settings, ConfigError> {
        let known = keys::Known::embedded()?;
        let env = sources.prefixed_env();
        let mut problems = Vec::new();
        let layered = sources::Layered::build(sources, &env, &mut problems)?;

        // Values of the wrong type are reported first: the other checks need well-typed
        // values. Every bad value goes back to its default so the rest can still be read (and
        // unknown keys still found).
        let mut type_problems = Vec::new();
        let mut value_problems = Vec::new();
        let mut bad_keys = Vec::new();
        known.check_types(&layered.cfg, &mut type_problems, &mut bad_keys);
        values::check(&layered.cfg, &mut value_problems, &mut bad_keys);
        let read = known
            .reset(layered.cfg.clone(), &bad_keys)
            .and_then(|cfg| keys::deserialize(cfg).map_err(|e| e.to_string()));
        let (mut settings, ignored) = match read {
            Ok(read) => read,
            Err(e) => {
                problems.extend(type_problems);
                problems.push(Problem::new("configuration", "", &e, ""));
                return Err(ConfigError { problems });
            }
        };
        problems.extend(known.source_problems(&ignored, &layered));
        if !type_problems.is_empty() {
            problems.extend(type_problems);
            return Err(ConfigError { problems });
        }
        problems.extend(value_problems);
        settings.resolve_secrets(&env, &mut problems);
        settings.api.resolve_client_tokens(sources, &mut problems);
        settings.validate(&mut problems);
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(ConfigError { problems })
        }
    }

    /// SHA-256 (hex) of every setting as loaded, secrets redacted (their digests and values
    /// never enter it): two processes with the same fingerprint run the same configuration.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(format!("{self:?}").as_bytes()))
    }

    /// Embedded defaults only, plus the given environment (tests, `demo`).
    pub fn defaults_with_env(env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Self::load(&Sources {
            file: Some(std::path::PathBuf::new()),
            ..Sources::with_env(env)
        })
    }
}
