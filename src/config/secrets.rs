//! Secrets: each comes only from its environment variable or from the file its `*_file` key
//! names, never from a configuration file, and is held as a [`Secret`] that `Debug` does not
//! print.

use super::problems::Problem;
use super::Settings;
use crate::secret::Secret;
use std::collections::HashMap;
use std::path::Path;

/// Secret keys: (key, environment variable, the `*_file` key that may hold it instead).
pub(super) const SECRETS: [(&str, &str, &str); 9] = [
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
    (
        "api.jwt.secret",
        "HIKBRIDGE__API__JWT__SECRET",
        "api.jwt.secret_file",
    ),
    (
        "lifecycle.admin_password",
        "HIKBRIDGE__LIFECYCLE__ADMIN_PASSWORD",
        "lifecycle.admin_password_file",
    ),
];

/// Whether an environment variable holds a secret (it is not layered into the configuration).
pub(super) fn is_secret_variable(var: &str) -> bool {
    SECRETS.iter().any(|(_, v, _)| *v == var)
}

/// The refusal of a secret found in the configuration file `path`; the value is not shown.
pub(super) fn in_file(key: &str, path: &Path) -> Option<Problem> {
    let (_, var, file_key) = SECRETS.iter().find(|(k, _, _)| *k == key)?;
    Some(Problem {
        key: key.into(),
        value: "(hidden)".into(),
        problem: format!(
            "secrets are not read from configuration files ({}); remove it and set {var} or {file_key}",
            path.display()
        ),
        example: format!("{var}=…"),
    })
}

impl Settings {
    /// Fill in every secret from its variable, else from the file its `*_file` key names.
    pub(super) fn resolve_secrets(
        &mut self,
        env: &HashMap<String, String>,
        problems: &mut Vec<Problem>,
    ) {
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
        let [hik, humand, api, events, siad, webhook, smtp, jwt, admin] = SECRETS;
        let mut secret = |(key, var, file_key): (&str, &str, &str), file: &str| {
            Secret::new(read(key, var, file_key, file, problems))
        };
        self.alerts.webhook_url = secret(webhook, &self.alerts.webhook_url_file);
        self.alerts.smtp_url = secret(smtp, &self.alerts.smtp_url_file);
        self.siad.password = secret(siad, &self.siad.password_file);
        self.events.callback_secret = secret(events, &self.events.callback_secret_file);
        self.hikcentral.app_secret = secret(hik, &self.hikcentral.app_secret_file);
        self.humand.api_key = secret(humand, &self.humand.api_key_file);
        self.api.jwt.secret = secret(jwt, &self.api.jwt.secret_file);
        self.lifecycle.admin_password = secret(admin, &self.lifecycle.admin_password_file);
        let tokens = read(api.0, api.1, api.2, &self.api.tokens_file.clone(), problems);
        self.api.tokens = tokens
            .split([',', '\n'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(Secret::new)
            .collect();
    }
}
