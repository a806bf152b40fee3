//! HikCentral's event subscriptions (reference §4), pointed at this service's receiver
//! `POST /hikcentral/events/{secret}`: subscribe, unsubscribe, read the view, and mask the
//! callback secret wherever a destination is shown.
//!
//! The callback secret is the only thing guarding the receiver, so nothing here prints it: every
//! destination shown has its last path segment after `/hikcentral/events/` replaced by
//! `<secret>`, and the secret is also masked in error messages (HikCentral may echo the
//! `eventDest` back in one).
//!
//! `passBack: 1` is sent when `events.pass_back` is on (the default): the spec says HikCentral
//! then keeps pushes it could not deliver (at most 500, for a day) and sends them again. The
//! types are checked before any call: at most 256, each between 100000 and 2147483647.
//! Used by the service at start (`events.subscribe_on_start`) and by the `subscriptions`
//! command.

use super::{ArtemisClient, ArtemisError};
use crate::config::EventsSettings;
use anyhow::Context;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const SUBSCRIBE_PATH: &str = "/artemis/api/eventService/v1/eventSubscriptionByEventTypes";
const UNSUBSCRIBE_PATH: &str = "/artemis/api/eventService/v1/eventUnSubscriptionByEventTypes";
const VIEW_PATH: &str = "/artemis/api/eventService/v1/eventSubscriptionView";
/// The receiver route, as mounted by the HTTP layer.
const RECEIVER_PREFIX: &str = "/hikcentral/events/";
/// What a secret is shown as.
pub const SECRET_MASK: &str = "<secret>";

/// `events.public_url` (trailing slashes trimmed, any path prefix kept) +
/// `/hikcentral/events/` + the callback secret, percent-encoded as a path segment.
pub fn callback_url(settings: &EventsSettings) -> anyhow::Result<String> {
    let public = settings.public_url.trim().trim_end_matches('/');
    if public.is_empty() {
        anyhow::bail!(
            "events.public_url is not set: HikCentral needs to know how to reach this service, \
             e.g. events.public_url = \"https://bridge.example.edu:8443\""
        );
    }
    let secret = settings.callback_secret.expose().trim();
    if secret.is_empty() {
        anyhow::bail!(
            "events.callback_secret is not set: set HIKBRIDGE__EVENTS__CALLBACK_SECRET (or \
             events.callback_secret_file), e.g. to the output of `openssl rand -hex 24`"
        );
    }
    let mut url = url::Url::parse(public)
        .map_err(|e| anyhow::anyhow!("events.public_url {public:?} is not a URL: {e}"))?;
    url.path_segments_mut()
        .map_err(|()| anyhow::anyhow!("events.public_url {public:?} cannot carry a path"))?
        .pop_if_empty()
        .extend(["hikcentral", "events", secret]);
    Ok(url.to_string())
}

/// Subscribe `types` to this service's callback URL. Subscribing again replaces the destination
/// of those types.
pub async fn subscribe(
    client: &ArtemisClient,
    settings: &EventsSettings,
    types: &[u32],
) -> anyhow::Result<()> {
    let types = distinct(types)?;
    let dest = callback_url(settings)?;
    let secret = settings.callback_secret.expose();
    let mut body = json!({"eventTypes": types, "eventDest": dest});
    if settings.pass_back {
        body["passBack"] = json!(1);
    }
    client
        .call(SUBSCRIBE_PATH, &body)
        .await
        .map_err(|e| masked(e, secret))
        .with_context(|| {
            format!(
                "eventSubscriptionByEventTypes of {} type(s) to {}",
                types.len(),
                redact_dest(&dest, secret)
            )
        })?;
    Ok(())
}

/// Unsubscribe `types`, whatever their destination.
pub async fn unsubscribe(client: &ArtemisClient, types: &[u32]) -> anyhow::Result<()> {
    let types = distinct(types)?;
    client
        .call(UNSUBSCRIBE_PATH, &json!({"eventTypes": types}))
        .await
        .with_context(|| format!("eventUnSubscriptionByEventTypes of {} type(s)", types.len()))?;
    Ok(())
}

/// HikCentral's answer to `eventSubscriptionView`, as sent: `{"detail":[{eventTypes,eventDest}]}`.
pub async fn view(client: &ArtemisClient) -> anyhow::Result<Value> {
    client
        .call(VIEW_PATH, &json!({}))
        .await
        .context("eventSubscriptionView")
}

/// Mask the receiver secret in a destination: the segment after `/hikcentral/events/` (any
/// secret, not only ours) and any other occurrence of `secret`.
pub fn redact_dest(dest: &str, secret: &str) -> String {
    let masked = match dest.find(RECEIVER_PREFIX) {
        Some(i) => {
            let after = i + RECEIVER_PREFIX.len();
            let end = dest[after..]
                .find(['/', '?', '#'])
                .map_or(dest.len(), |j| after + j);
            format!("{}{SECRET_MASK}{}", &dest[..after], &dest[end..])
        }
        None => dest.to_owned(),
    };
    mask_secret(&masked, secret)
}

/// Replace every occurrence of `secret` in `text` (an empty secret changes nothing).
pub fn mask_secret(text: &str, secret: &str) -> String {
    let secret = secret.trim();
    if secret.is_empty() {
        text.to_owned()
    } else {
        text.replace(secret, SECRET_MASK)
    }
}

fn masked(e: ArtemisError, secret: &str) -> anyhow::Error {
    anyhow::anyhow!(mask_secret(&e.to_string(), secret))
}

/// The `detail` list of a view (an absent or null list is empty; a bare list is accepted too).
pub(crate) fn detail(view: &Value) -> Vec<&Value> {
    let list = view.get("detail").unwrap_or(view);
    list.as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// The event types of one view entry (numbers, or numbers written as strings).
pub(crate) fn types_of(entry: &Value) -> Vec<u32> {
    entry
        .get("eventTypes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| match t {
                    Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every type subscribed to any destination.
pub(crate) fn subscribed_types(view: &Value) -> BTreeSet<u32> {
    detail(view).into_iter().flat_map(types_of).collect()
}

/// Which of `types` the view does not show at `dest`.
pub(crate) fn missing_at(view: &Value, dest: &str, types: &[u32]) -> Vec<u32> {
    let at: BTreeSet<u32> = detail(view)
        .into_iter()
        .filter(|e| e.get("eventDest").and_then(Value::as_str) == Some(dest))
        .flat_map(types_of)
        .collect();
    types.iter().copied().filter(|t| !at.contains(t)).collect()
}

/// The types in first-seen order without repeats; an empty list is an error.
pub(crate) fn distinct(types: &[u32]) -> anyhow::Result<Vec<u32>> {
    let mut out: Vec<u32> = Vec::with_capacity(types.len());
    for t in types {
        if !out.contains(t) {
            out.push(*t);
        }
    }
    if out.is_empty() {
        anyhow::bail!("no event types: set events.event_types or pass --types 196893,198914");
    }
    crate::artemis::model::check_subscription_types(&out).map_err(anyhow::Error::msg)?;
    Ok(out)
}

pub(crate) fn join(types: &[u32]) -> String {
    types
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_masked_whatever_the_secret() {
        let s = "Zq8n2kQpX3vL9mTz-secret";
        for (dest, shown) in [
            (
                "https://b.example/hikcentral/events/Zq8n2kQpX3vL9mTz-secret",
                "https://b.example/hikcentral/events/<secret>",
            ),
            (
                "https://b.example/p/hikcentral/events/other-bridge?x=1",
                "https://b.example/p/hikcentral/events/<secret>?x=1",
            ),
            (
                "http://h/custom/Zq8n2kQpX3vL9mTz-secret",
                "http://h/custom/<secret>",
            ),
            ("http://h/other", "http://h/other"),
        ] {
            assert_eq!(redact_dest(dest, s), shown);
        }
        assert_eq!(mask_secret("abc", ""), "abc");
    }

    #[test]
    fn types_are_deduplicated_and_required() {
        assert_eq!(
            distinct(&[198914, 196893, 198914]).unwrap(),
            [198914, 196893]
        );
        assert!(distinct(&[2]).unwrap_err().to_string().contains("100000"));
        assert!(distinct(&[])
            .unwrap_err()
            .to_string()
            .contains("events.event_types"));
    }
}
