//! Sending a [`Notice`]: a webhook POST (generic JSON, or `{"text"}` for chat webhooks) and/or
//! an e-mail over SMTP (lettre). The webhook URL and the SMTP URL are secrets: no error or log
//! line carries them.

use super::conditions::Notice;
use crate::config::{AlertSettings, WebhookFormat};
use anyhow::Context;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{json, Value};
use std::time::Duration;

pub struct Notifier {
    service: String,
    http: reqwest::Client,
    webhook: Option<(String, WebhookFormat)>,
    mail: Option<Mail>,
}

struct Mail {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl Notifier {
    /// `None` when no channel is configured.
    pub fn new(settings: &AlertSettings) -> anyhow::Result<Option<Notifier>> {
        if !settings.is_enabled() {
            return Ok(None);
        }
        let webhook = (!settings.webhook_url.is_empty()).then(|| {
            (
                settings.webhook_url.expose().to_owned(),
                settings.webhook_format,
            )
        });
        let mail = if settings.sends_email() {
            let transport =
                AsyncSmtpTransport::<Tokio1Executor>::from_url(settings.smtp_url.expose())
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "alerts.smtp_url is not usable (expected smtp://host:25, \
                             smtp://user:pass@host:587?tls=required or smtps://host:465)"
                        )
                    })?
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
            let from: Mailbox = settings
                .email_from
                .parse()
                .context("alerts.email_from is not an e-mail address")?;
            let to = settings
                .email_to
                .iter()
                .map(|a| {
                    a.parse::<Mailbox>()
                        .with_context(|| format!("alerts.email_to: {a:?} is not an e-mail address"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            Some(Mail {
                transport,
                from,
                to,
            })
        } else {
            None
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("hikbridge/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Some(Notifier {
            service: settings.service_name.clone(),
            http,
            webhook,
            mail,
        }))
    }

    /// Send on every channel; the first failure is returned after all were tried.
    pub async fn send(&self, n: &Notice) -> anyhow::Result<()> {
        let mut result = Ok(());
        if let Some((url, format)) = &self.webhook {
            let body = match format {
                WebhookFormat::Json => json_body(&self.service, n),
                WebhookFormat::Text => json!({"text": text(&self.service, n)}),
            };
            let sent = self
                .http
                .post(url)
                .json(&body)
                .send()
                .await
                .map_err(|e| anyhow::anyhow!("webhook: {}", e.without_url()))
                .and_then(|r| {
                    if r.status().is_success() {
                        Ok(())
                    } else {
                        Err(anyhow::anyhow!("webhook answered HTTP {}", r.status()))
                    }
                });
            result = result.and(sent);
        }
        if let Some(mail) = &self.mail {
            let sent = self.mail(mail, n).await;
            result = result.and(sent);
        }
        result
    }

    async fn mail(&self, mail: &Mail, n: &Notice) -> anyhow::Result<()> {
        let mut builder = Message::builder()
            .from(mail.from.clone())
            .subject(subject(&self.service, n));
        for to in &mail.to {
            builder = builder.to(to.clone());
        }
        let message = builder
            .body(format!(
                "{}\n\n{}\n\nAlert: {}\nSince: {}\n",
                n.summary,
                n.detail,
                n.kind.code(),
                n.since.to_rfc3339()
            ))
            .context("cannot build the alert e-mail")?;
        mail.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("SMTP: {e}"))
    }
}

fn status(n: &Notice) -> &'static str {
    if n.resolved {
        "resolved"
    } else {
        "firing"
    }
}

fn json_body(service: &str, n: &Notice) -> Value {
    json!({
        "service": service,
        "alert": n.kind.code(),
        "key": n.key,
        "status": status(n),
        "summary": n.summary,
        "detail": n.detail,
        "since": n.since.to_rfc3339(),
        "at": n.at.to_rfc3339(),
    })
}

fn subject(service: &str, n: &Notice) -> String {
    format!("[{service}] {}: {}", status(n).to_uppercase(), n.summary)
}

fn text(service: &str, n: &Notice) -> String {
    format!("{}\n{}", subject(service, n), n.detail)
}
