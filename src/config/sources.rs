//! Where settings come from and in which order they win: the embedded defaults, then the
//! configuration file, then `HIKBRIDGE__SECTION__KEY` environment variables (secret variables
//! are kept out of the layers; `secrets` reads them).

use super::problems::{quoted, ConfigError, Problem};
use super::{secrets, DEFAULT_CONFIG_PATH, DEFAULT_TOML, ENV_PREFIX};
use config::{Config, Environment, File, FileFormat};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

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

    /// One environment variable by its full name (a client's `token_env`).
    pub(super) fn var(&self, name: &str) -> Option<String> {
        match &self.env {
            Some(env) => env.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }

    /// The `HIKBRIDGE__…` variables, secrets included.
    pub(super) fn prefixed_env(&self) -> HashMap<String, String> {
        let prefix = format!("{ENV_PREFIX}__");
        let env = self
            .env
            .clone()
            .unwrap_or_else(|| std::env::vars().collect());
        env.into_iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .collect()
    }
}

/// The layers merged, and what each source set.
pub(super) struct Layered {
    pub cfg: Config,
    /// The configuration file read, with its own keys.
    pub file: Option<(PathBuf, Config)>,
    /// The variable that set each dotted key from the environment.
    pub env_vars: HashMap<String, String>,
}

impl Layered {
    /// Defaults, file and environment (`env` already limited to the `HIKBRIDGE__` prefix).
    pub(super) fn build(
        sources: &Sources,
        env: &HashMap<String, String>,
        problems: &mut Vec<Problem>,
    ) -> Result<Layered, ConfigError> {
        let mut builder =
            Config::builder().add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml));
        let mut file = None;
        if let Some(path) = file_to_read(sources.file.as_deref(), problems) {
            let source = || File::from(path.as_path()).format(FileFormat::Toml);
            match Config::builder().add_source(source()).build() {
                Ok(file_cfg) => {
                    builder = builder.add_source(source());
                    file = Some((path, file_cfg));
                }
                Err(e) => problems.push(Problem::new(
                    &path.display().to_string(),
                    "",
                    &format!("cannot read the configuration file: {e}"),
                    "a TOML file shaped like config/default.toml",
                )),
            }
        }
        let layered: HashMap<String, String> = env
            .iter()
            .filter(|(k, _)| !secrets::is_secret_variable(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let env_vars = layered
            .keys()
            .map(|var| (env_key_to_dotted(var), var.clone()))
            .collect();
        builder = builder.add_source(
            Environment::with_prefix(ENV_PREFIX)
                .separator("__")
                .source(Some(layered.into_iter().collect())),
        );
        match builder.build() {
            Ok(cfg) => Ok(Layered {
                cfg,
                file,
                env_vars,
            }),
            Err(e) => {
                problems.push(Problem::new("configuration", "", &e.to_string(), ""));
                Err(ConfigError {
                    problems: std::mem::take(problems),
                })
            }
        }
    }
}

fn file_to_read(explicit: Option<&Path>, problems: &mut Vec<Problem>) -> Option<PathBuf> {
    match explicit {
        // An empty path means "embedded defaults only".
        Some(p) if p.as_os_str().is_empty() => None,
        Some(p) if p.is_file() => Some(p.to_path_buf()),
        Some(p) => {
            problems.push(Problem::new(
                "--config",
                &quoted(&p.display().to_string()),
                "file not found",
                "--config /etc/hikbridge/hikbridge.toml",
            ));
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
