//! One delivery attempt for one punch: the late-event check, the exact request, `sending`
//! before the call, the outcome recorded on this replica's claim, and what an unknown outcome
//! or a failure means (read back first, retry with backoff, park, or pause for credentials).

use super::{Delivery, Outcome, BASE_BACKOFF, MAX_BACKOFF};
use crate::config::{LateEventPolicy, UnknownOutcomePolicy};
use crate::humand::readback::{Lookup, Wanted};
use crate::humand::HumandError;
use crate::store::{Punch, PunchState};
use crate::upstream::retry::equal_jitter;
use chrono::{DateTime, SecondsFormat, Utc};
use http::Method;
use serde_json::{json, Value};
use std::time::Duration;

impl Delivery {
    /// The exact request for a punch: (path, body).
    pub fn request_for(&self, p: &Punch) -> Result<(String, Value), &'static str> {
        let employee: Value = if self.opts.employee_id_integer {
            employee_number(&p.employee_id).ok_or("employee_id_not_integer")?
        } else {
            json!(p.employee_id)
        };
        let at = DateTime::from_timestamp_millis(p.at_ms).ok_or("bad_time")?;
        let body = json!({
            "employeeId": employee,
            "now": at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "comment": self.opts.comment.replace("{door}", &p.door),
        });
        Ok((p.direction.humand_path().to_string(), body))
    }

    pub(super) async fn deliver_one(&self, p: &Punch) -> anyhow::Result<Outcome> {
        let now_ms = Utc::now().timestamp_millis();
        let punches = self.punches();
        if self.opts.late_events == LateEventPolicy::Park {
            if let Some(later_ms) = punches.delivered_after(&p.employee_id, p.at_ms).await? {
                let later = DateTime::from_timestamp_millis(later_ms).unwrap_or_default();
                punches
                    .park(
                        p.id,
                        "late_event",
                        None,
                        None,
                        &format!(
                            "a later punch of this employee ({}) was already delivered; \
                             retry to send this one anyway, or discard it \
                             (delivery.late_events = park)",
                            later.to_rfc3339_opts(SecondsFormat::Secs, true)
                        ),
                        now_ms,
                    )
                    .await?;
                return Ok(Outcome::Parked("late_event"));
            }
        }
        let (path, body) = match self.request_for(p) {
            Ok(r) => r,
            Err(reason) => {
                punches
                    .park(
                        p.id,
                        reason,
                        None,
                        None,
                        "cannot build the Humand request",
                        now_ms,
                    )
                    .await?;
                return Ok(Outcome::Parked(reason));
            }
        };
        let request = json!({"method": "POST", "path": path, "body": body}).to_string();
        if self.opts.dry_run {
            punches.mark_dry_run(p.id, &request, now_ms).await?;
            return Ok(Outcome::DryRun);
        }
        let Some(humand) = &self.humand else {
            punches
                .retry_later(
                    p.id,
                    now_ms + 60_000,
                    "no Humand API key configured",
                    false,
                    now_ms,
                )
                .await?;
            return Ok(Outcome::RetryLater { unknown: false });
        };
        // A previous attempt may have reached Humand: look before sending again.
        if p.state == PunchState::Sending {
            if let Some(outcome) = self.settle_unknown(p, now_ms).await? {
                return Ok(outcome);
            }
        }
        if !punches.mark_sending(p.id, &request, now_ms).await? {
            // The claim expired (this replica was too slow) and another replica holds it.
            tracing::warn!(
                punch = p.id,
                "claim expired before sending; left to the replica that holds it"
            );
            return Ok(Outcome::RetryLater { unknown: false });
        }
        let resp = match humand
            .send_once(Method::POST, &path, &[], Some(&body))
            .await
        {
            Ok(r) => r,
            Err(e @ HumandError::NotSent(_)) => return self.failed(p, &e, false).await,
            Err(e) => return self.failed(p, &e, true).await,
        };
        let status = resp.status.as_u16();
        let text = resp.body_snippet();
        let now_ms = Utc::now().timestamp_millis();
        match status {
            200..=299 => {
                let id = serde_json::from_slice::<Value>(&resp.body)
                    .ok()
                    .and_then(|v| v.get("id").cloned())
                    .and_then(|id| match id {
                        Value::String(s) if !s.is_empty() => Some(s),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    });
                self.set_paused(None);
                match id {
                    Some(id) => {
                        punches
                            .mark_delivered(p.id, &id, i64::from(status), &text, now_ms)
                            .await?;
                        tracing::info!(punch = p.id, direction = %p.direction, entry = %id.escape_debug(), "punch delivered");
                        Ok(Outcome::Delivered(id))
                    }
                    None => {
                        punches
                            .park(
                                p.id,
                                "humand_no_id",
                                Some(i64::from(status)),
                                Some(&text),
                                "Humand answered 2xx without an entry id",
                                now_ms,
                            )
                            .await?;
                        Ok(Outcome::Parked("humand_no_id"))
                    }
                }
            }
            401 | 403 => {
                let next = now_ms + self.opts.credentials_probe.as_millis() as i64;
                punches
                    .retry_later(
                        p.id,
                        next,
                        &format!("HTTP {status}: credentials refused; delivery paused"),
                        false,
                        now_ms,
                    )
                    .await?;
                // After the punch is back in the queue, so the pause never shows a punch in
                // flight.
                self.set_paused(Some(format!("Humand answered HTTP {status}: {text}")));
                Ok(Outcome::CredentialsRefused)
            }
            429 => {
                self.set_paused(None);
                let wait = crate::upstream::retry::wait_after_429(resp.header("retry-after"));
                punches
                    .retry_later(
                        p.id,
                        now_ms + wait.as_millis() as i64,
                        "HTTP 429: rate limited",
                        false,
                        now_ms,
                    )
                    .await?;
                Ok(Outcome::RetryLater { unknown: false })
            }
            500..=599 => {
                let err = HumandError::Http {
                    status,
                    code: String::new(),
                    message: text.clone(),
                    body: text,
                };
                self.failed(p, &err, true).await
            }
            _ => {
                self.set_paused(None);
                let reason = if status == 400 || status == 422 {
                    "humand_rejected"
                } else {
                    "humand_http_error"
                };
                punches
                    .park(
                        p.id,
                        reason,
                        Some(i64::from(status)),
                        Some(&text),
                        &format!("Humand answered HTTP {status}"),
                        now_ms,
                    )
                    .await?;
                tracing::warn!(punch = p.id, status, reason, humand = %crate::humand::client::error_message(&resp).escape_debug(), "punch parked: Humand refused it");
                Ok(Outcome::Parked(reason))
            }
        }
    }

    /// Retry later with backoff; `unknown` keeps the punch `sending` so the next attempt looks
    /// for it in Humand first.
    async fn failed(&self, p: &Punch, err: &HumandError, unknown: bool) -> anyhow::Result<Outcome> {
        let now_ms = Utc::now().timestamp_millis();
        let delay = retry_delay(p.attempts);
        self.punches()
            .retry_later(
                p.id,
                now_ms + delay.as_millis() as i64,
                &err.to_string(),
                unknown,
                now_ms,
            )
            .await?;
        tracing::warn!(punch = p.id, attempts = p.attempts, retry_in_ms = delay.as_millis() as u64, error = %err, "delivery failed; will retry");
        Ok(Outcome::RetryLater { unknown })
    }

    /// A punch left `sending` (its outcome unknown): look it up in Humand. `Some(outcome)` ends
    /// this attempt (found → delivered; no read API and the policy is `park` → parked; a
    /// transient read failure → retried later); `None` means send it.
    async fn settle_unknown(&self, p: &Punch, now_ms: i64) -> anyhow::Result<Option<Outcome>> {
        let Some(readback) = &self.readback else {
            return Ok(None);
        };
        let punches = self.punches();
        let taken = punches.attributed_entry_ids(&p.employee_id, p.id).await?;
        let wanted = Wanted {
            taken: &taken,
            employee_id: &p.employee_id,
            kind: p.direction.humand_type(),
            at: DateTime::from_timestamp_millis(p.at_ms).unwrap_or_default(),
        };
        match readback.find(wanted).await {
            Ok(Lookup::Found(id)) => {
                punches
                    .mark_delivered(
                        p.id,
                        &id,
                        0,
                        "found in Humand after an unknown outcome",
                        now_ms,
                    )
                    .await?;
                tracing::info!(punch = p.id, entry = %id, "unknown outcome resolved: already delivered");
                Ok(Some(Outcome::Delivered(id)))
            }
            Ok(Lookup::NotFound) => Ok(None),
            Ok(Lookup::Unavailable(why)) => match self.opts.unknown_outcome {
                UnknownOutcomePolicy::Resend => {
                    tracing::warn!(punch = p.id, reasons = %why, "no Humand read API answers; sending again (delivery.unknown_outcome = resend: Humand refuses a second record of a type)");
                    Ok(None)
                }
                UnknownOutcomePolicy::Park => {
                    let detail = format!(
                        "the outcome of the last attempt is unknown and no Humand read API \
                         answers ({why}); check the employee's records in Humand, then retry or \
                         discard (delivery.unknown_outcome = park)"
                    );
                    punches
                        .park(p.id, "outcome_unknown", None, None, &detail, now_ms)
                        .await?;
                    Ok(Some(Outcome::Parked("outcome_unknown")))
                }
            },
            Err(e) => self.failed(p, &e, true).await.map(Some),
        }
    }
}

/// `employeeId` as a JSON integer, only when that loses nothing: digits only, no leading zero
/// ("0923456789" would become 923456789, another employee or none), at least 1.
fn employee_number(id: &str) -> Option<Value> {
    let exact = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && !id.starts_with('0');
    if !exact {
        return None;
    }
    id.parse::<u64>().ok().map(|n| json!(n))
}

/// The wait after a punch's `attempts`-th failed attempt: [`BASE_BACKOFF`] doubling up to
/// [`MAX_BACKOFF`], with equal jitter.
fn retry_delay(attempts: i64) -> Duration {
    let step = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0);
    equal_jitter(BASE_BACKOFF, MAX_BACKOFF, step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_employee_ids_never_lose_digits() {
        assert_eq!(employee_number("43013830"), Some(json!(43013830)));
        for refused in [
            "0923456789",
            "0",
            "",
            "12a",
            " 12",
            "-5",
            "99999999999999999999999",
        ] {
            assert_eq!(employee_number(refused), None, "{refused:?}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for _ in 0..20 {
            let b1 = retry_delay(1);
            assert!(b1 >= Duration::from_secs(1) && b1 <= Duration::from_secs(2));
            let b20 = retry_delay(20);
            assert!(b20 >= MAX_BACKOFF / 2 && b20 <= MAX_BACKOFF);
        }
    }
}
