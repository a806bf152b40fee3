//! Keys: `config/default.toml` lists every known key with a default whose type each value must
//! have; a key that deserialisation leaves unused (found by `serde_ignored`) is unknown and gets a
//! "did you mean" suggestion (`strsim`), or, when it is a secret written in the file, a pointer
//! to its variable.
//!
//! Three small pieces stay explicit because serde cannot provide them: every type error at once
//! (serde stops at the first), the variable name of an unknown key that came from the
//! environment (`serde_ignored` only knows the merged, dotted key), and the refusal of a database
//! password in the file (it is a value, not a key, and only wrong in the file).

use super::problems::{quoted, ConfigError, Problem};
use super::sources::Layered;
use super::{redact_url, secrets, Settings, DEFAULT_TOML};
use config::{Config, File, FileFormat, Value, ValueKind};
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// Every known key, dotted, with its default.
pub(super) struct Known(BTreeMap<String, Value>);

impl Known {
    pub(super) fn embedded() -> Result<Known, ConfigError> {
        let defaults = Config::builder()
            .add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml))
            .build()
            .map_err(|e| ConfigError::single("config/default.toml", "", &e.to_string(), ""))?;
        Ok(Known(leaves(defaults)))
    }

    /// Check each known key against the type of its default, so all type errors are reported;
    /// the keys with one are added to `bad_keys`.
    pub(super) fn check_types(
        &self,
        cfg: &Config,
        problems: &mut Vec<Problem>,
        bad_keys: &mut Vec<String>,
    ) {
        for (key, default) in &self.0 {
            let (ok, expected) = match &default.kind {
                ValueKind::Boolean(_) => (cfg.get_bool(key).is_ok(), "true or false"),
                ValueKind::I64(_) | ValueKind::U64(_) | ValueKind::I128(_) | ValueKind::U128(_) => {
                    (
                        cfg.get_int(key).map(|n| n >= 0).unwrap_or(false),
                        "a whole number ≥ 0",
                    )
                }
                ValueKind::Array(_) => (
                    cfg.get_array(key).is_ok() || cfg.get_string(key).is_ok(),
                    "a list of strings (or a comma-separated string)",
                ),
                _ => (cfg.get_string(key).is_ok(), "a string"),
            };
            let text = || cfg.get_string(key).unwrap_or_default();
            let problem = if !ok {
                let shown = cfg
                    .get::<Value>(key)
                    .map(|v| quoted(&v.to_string()))
                    .unwrap_or_default();
                Some(Problem::new(
                    key,
                    &shown,
                    &format!("must be {expected}"),
                    &default.to_string(),
                ))
            } else if key == "server.listen" && text().parse::<SocketAddr>().is_err() {
                Some(Problem::new(
                    key,
                    &quoted(&text()),
                    "must be an IP address and port",
                    "\"0.0.0.0:8080\"",
                ))
            } else if key == "log.format" && !matches!(text().as_str(), "text" | "json") {
                Some(Problem::new(
                    key,
                    &quoted(&text()),
                    "must be text or json",
                    "\"json\"",
                ))
            } else {
                None
            };
            if let Some(problem) = problem {
                problems.push(problem);
                bad_keys.push(key.clone());
            }
        }
    }

    /// `cfg` with each of `bad_keys` back at its default, so the rest can still be read.
    pub(super) fn reset(&self, cfg: Config, bad_keys: &[String]) -> Result<Config, String> {
        let mut builder = Config::builder().add_source(cfg);
        for key in bad_keys {
            if let Some(default) = self.0.get(key) {
                builder = builder
                    .set_override(key, default.clone())
                    .map_err(|e| e.to_string())?;
            }
        }
        builder.build().map_err(|e| e.to_string())
    }

    fn unknown(&self, shown: &str, dotted: &str) -> Problem {
        // Secrets are not in the file, only in the environment: suggest their variable.
        let candidates = self
            .0
            .keys()
            .map(|k| (k.as_str(), format!("did you mean {k}?")))
            .chain(
                secrets::SECRETS
                    .iter()
                    .map(|(key, var, _)| (*key, format!("did you mean {var}?"))),
            );
        let suggestion = candidates
            .map(|(k, hint)| (strsim::levenshtein(k, dotted), hint))
            .filter(|(d, _)| *d <= 3)
            .min_by_key(|(d, _)| *d)
            .map(|(_, hint)| hint)
            .unwrap_or_else(|| "see config/default.toml for every key".into());
        Problem::new(shown, "", &format!("unknown key; {suggestion}"), "")
    }

    /// The keys of the file and the environment that are not settings, with where they came
    /// from; a secret in the file; a database password in the file.
    pub(super) fn source_problems(&self, ignored: &[String], layered: &Layered) -> Vec<Problem> {
        let mut out = Vec::new();
        let under = |key: &str, path: &str| key == path || key.starts_with(&format!("{path}."));
        for path in ignored {
            let mut from_env: Vec<_> = layered
                .env_vars
                .iter()
                .filter(|(key, _)| under(key, path))
                .collect();
            from_env.sort();
            for (key, var) in from_env {
                out.push(self.unknown(&format!("{var} (→ {key})"), key));
            }
            let Some((file, file_cfg)) = &layered.file else {
                continue;
            };
            let Ok(value) = file_cfg.get::<Value>(path) else {
                continue;
            };
            let mut keys = BTreeMap::new();
            walk(path, value, &mut keys);
            for key in keys.keys() {
                out.push(secrets::in_file(key, file).unwrap_or_else(|| self.unknown(key, key)));
            }
        }
        if let Some((file, file_cfg)) = &layered.file {
            let url = file_cfg.get_string("store.url").unwrap_or_default();
            if url::Url::parse(&url).is_ok_and(|u| u.password().is_some()) {
                out.push(Problem::new(
                    "store.url",
                    &quoted(&redact_url(&url)),
                    &format!(
                        "a database password is a secret and is not read from configuration files ({}); set the whole URL in HIKBRIDGE__STORE__URL instead",
                        file.display()
                    ),
                    "HIKBRIDGE__STORE__URL=postgres://hikbridge:…@db:5432/hikbridge",
                ));
            }
        }
        out
    }
}

/// Deserialise the settings, with the dotted path of every key they do not use.
pub(super) fn deserialize(cfg: Config) -> Result<(Settings, Vec<String>), config::ConfigError> {
    let mut ignored = Vec::new();
    let settings = serde_ignored::deserialize(cfg, |path| ignored.push(path.to_string()))?;
    ignored.sort();
    Ok((settings, ignored))
}

/// Every leaf key of a configuration, dotted, with its value.
fn leaves(cfg: Config) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    if let Ok(table) = cfg.try_deserialize::<config::Map<String, Value>>() {
        for (k, v) in table {
            walk(&k, v, &mut out);
        }
    }
    out
}

fn walk(prefix: &str, value: Value, out: &mut BTreeMap<String, Value>) {
    match value.kind {
        ValueKind::Table(t) => {
            for (k, v) in t {
                walk(&format!("{prefix}.{k}"), v, out);
            }
        }
        _ => {
            out.insert(prefix.to_string(), value);
        }
    }
}
