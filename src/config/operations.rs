//! Settings for the people who run the service: where `/metrics` is served (`[metrics]`) and
//! who is told when something needs them (`[alerts]`).

use serde::{Deserialize, Deserializer};
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    /// Serve `/metrics` on this separate address only (e.g. `127.0.0.1:9100`); `None` (an
    /// empty string in the file) = on the main listener next to the API.
    #[serde(deserialize_with = "optional_address")]
    pub listen: Option<SocketAddr>,
}

/// `""` → `None`; otherwise an `address:port`.
pub(crate) fn optional_address<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<SocketAddr>, D::Error> {
    let text = String::deserialize(d)?;
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "{text:?} is not an address:port (e.g. \"127.0.0.1:9100\"; empty for none)"
        ))
    })
}

/// Built-in alerts for installations without Prometheus: a webhook and/or e-mail, once per
/// incident, with a "resolved" message when it ends.
#[derive(Debug, Clone, Deserialize)]
pub struct AlertSettings {
    /// Where alerts are POSTed (it usually embeds a token, so it is a secret: from
    /// `HIKBRIDGE__ALERTS__WEBHOOK_URL` or `webhook_url_file`). Empty = no webhook.
    #[serde(skip)]
    pub webhook_url: crate::secret::Secret,
    pub webhook_url_file: String,
    /// The body sent to the webhook.
    pub webhook_format: WebhookFormat,
    /// `smtp://host:25`, `smtp://user:password@host:587?tls=required`, `smtps://host:465`
    /// (a secret: from `HIKBRIDGE__ALERTS__SMTP_URL` or `smtp_url_file`). Empty = no e-mail.
    #[serde(skip)]
    pub smtp_url: crate::secret::Secret,
    pub smtp_url_file: String,
    pub email_from: String,
    #[serde(deserialize_with = "super::values::string_or_list")]
    pub email_to: Vec<String>,
    /// How often the conditions are checked.
    #[serde(rename = "check_interval_secs", with = "super::duration::secs")]
    pub check_interval: Duration,
    /// The oldest punch still waiting to go out is older than this: an alert.
    #[serde(rename = "outbox_oldest_age_secs", with = "super::duration::secs")]
    pub outbox_oldest_age: Duration,
    /// The door-event back-fill failed this many passes in a row: an alert.
    pub poller_failures: u32,
    /// The service's name in messages (several installations may share one channel).
    pub service_name: String,
}

/// What the webhook receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// `{"service", "alert", "status", "summary", "detail", "since", "at"}`.
    Json,
    /// `{"text": "..."}`: what Slack, Mattermost, Rocket.Chat and Teams incoming webhooks accept.
    Text,
}

impl AlertSettings {
    /// (key, value as shown, problem, example) for each setting that cannot work. Secrets are
    /// never shown.
    pub(super) fn problems(&self) -> Vec<(&'static str, String, String, &'static str)> {
        let mut out = Vec::new();
        if !self.webhook_url.is_empty() {
            if let Err(p) = super::validate::check_base_url(self.webhook_url.expose(), true) {
                out.push((
                    "alerts.webhook_url",
                    "[redacted]".to_owned(),
                    p,
                    "https://hooks.example.com/services/T000/B000/XXXX",
                ));
            }
        }
        match (self.smtp_url.is_empty(), self.email_to.is_empty()) {
            (true, false) => out.push((
                "alerts.email_to",
                format!("{:?}", self.email_to),
                "recipients are set but no alerts.smtp_url (HIKBRIDGE__ALERTS__SMTP_URL) to send through".to_owned(),
                "smtp://mail.example.edu:587?tls=required",
            )),
            (false, true) => out.push((
                "alerts.email_to",
                "[]".to_owned(),
                "an SMTP server is set but nobody to write to".to_owned(),
                "[\"it-ops@example.edu\"]",
            )),
            _ => {}
        }
        for (key, address) in std::iter::once(("alerts.email_from", &self.email_from))
            .chain(self.email_to.iter().map(|a| ("alerts.email_to", a)))
        {
            if address.parse::<lettre::message::Mailbox>().is_err() {
                out.push((
                    key,
                    format!("{address:?}"),
                    "not an e-mail address".to_owned(),
                    "\"it-ops@example.edu\"",
                ));
            }
        }
        if self.check_interval.is_zero() {
            out.push((
                "alerts.check_interval_secs",
                "0".to_owned(),
                "must be at least 1".to_owned(),
                "30",
            ));
        }
        out
    }

    pub fn is_enabled(&self) -> bool {
        !self.webhook_url.is_empty() || self.sends_email()
    }

    pub fn sends_email(&self) -> bool {
        !self.smtp_url.is_empty() && !self.email_to.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    fn problems(env: &[(&str, &str)]) -> String {
        match Settings::defaults_with_env(env) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn alert_channels_that_cannot_work_are_refused_without_showing_secrets() {
        let text = problems(&[("HIKBRIDGE__ALERTS__WEBHOOK_URL", "ftp://secret-token@x")]);
        assert!(text.contains("alerts.webhook_url"), "{text}");
        assert!(!text.contains("secret-token"), "{text}");
        let text = problems(&[("HIKBRIDGE__ALERTS__EMAIL_TO", "ops@example.edu")]);
        assert!(text.contains("no alerts.smtp_url"), "{text}");
        let text = problems(&[
            ("HIKBRIDGE__ALERTS__SMTP_URL", "smtp://user:pw@127.0.0.1:25"),
            ("HIKBRIDGE__ALERTS__EMAIL_TO", "not-an-address"),
        ]);
        assert!(text.contains("not an e-mail address"), "{text}");
        assert!(!text.contains("pw@"), "{text}");
        assert_eq!(
            problems(&[
                (
                    "HIKBRIDGE__ALERTS__WEBHOOK_URL",
                    "https://hooks.example.com/T/B/X"
                ),
                ("HIKBRIDGE__METRICS__LISTEN", "127.0.0.1:9100"),
            ]),
            ""
        );
        let text = problems(&[("HIKBRIDGE__METRICS__LISTEN", "localhost")]);
        assert!(text.contains("metrics.listen"), "{text}");
    }
}
