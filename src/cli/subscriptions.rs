//! `hikbridge subscriptions list | subscribe | unsubscribe`: HikCentral's event subscriptions
//! (reference §4), pointed at this service's receiver `POST /hikcentral/events/{secret}`.
//!
//! The callback secret is the only thing guarding the receiver, so nothing here prints it: every
//! destination shown has its last path segment after `/hikcentral/events/` replaced by
//! `<secret>`, and the secret is also masked in error messages (HikCentral may echo the
//! `eventDest` back in one).
//!
//! `passBack: 1` is sent when `events.pass_back` is on (the default): the spec says HikCentral
//! then keeps pushes it could not deliver (at most 500, for a day) and sends them again. The
//! types are checked before any call: at most 256, each between 100000 and 2147483647.

use crate::artemis::{ArtemisClient, ArtemisError};
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

#[derive(Debug, clap::Subcommand)]
pub enum SubscriptionsCommand {
    /// Show HikCentral's event subscriptions (eventSubscriptionView).
    List,
    /// Subscribe events.event_types (or --types) to <events.public_url>/hikcentral/events/<secret>.
    Subscribe {
        /// Event types to subscribe instead of events.event_types, e.g. --types 196893,198914.
        #[arg(long, value_delimiter = ',')]
        types: Vec<u32>,
    },
    /// Unsubscribe events.event_types (or --types).
    Unsubscribe {
        /// Event types to unsubscribe instead of events.event_types.
        #[arg(long, value_delimiter = ',')]
        types: Vec<u32>,
    },
}

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

/// Run one command and print its human output; the exit code is 1 when HikCentral's view
/// afterwards disagrees with what was asked.
pub async fn run(
    cmd: SubscriptionsCommand,
    client: &ArtemisClient,
    settings: &EventsSettings,
) -> anyhow::Result<i32> {
    let (code, text) = output(cmd, client, settings).await?;
    print!("{text}");
    Ok(code)
}

/// What [`run`] prints, and its exit code. The callback secret never appears in either (nor in
/// the error).
pub async fn output(
    cmd: SubscriptionsCommand,
    client: &ArtemisClient,
    settings: &EventsSettings,
) -> anyhow::Result<(i32, String)> {
    let secret = settings.callback_secret.expose();
    let own = callback_url(settings).ok();
    let types_or_default = |types: Vec<u32>| {
        if types.is_empty() {
            settings.event_types.clone()
        } else {
            types
        }
    };
    match cmd {
        SubscriptionsCommand::List => {
            let v = view(client).await?;
            Ok((0, format_view(&v, secret, own.as_deref())))
        }
        SubscriptionsCommand::Subscribe { types } => {
            let types = distinct(&types_or_default(types))?;
            subscribe(client, settings, &types).await?;
            let dest = own.unwrap_or_default();
            let v = view(client).await?;
            let missing = missing_at(&v, &dest, &types);
            let mut text = format!(
                "subscribed {} event type(s) to {}\n",
                types.len(),
                redact_dest(&dest, secret)
            );
            let code = verdict(&mut text, &missing, "not subscribed to this service");
            text.push_str(&format_view(&v, secret, Some(&dest)));
            Ok((code, text))
        }
        SubscriptionsCommand::Unsubscribe { types } => {
            let types = distinct(&types_or_default(types))?;
            unsubscribe(client, &types).await?;
            let v = view(client).await?;
            let subscribed = subscribed_types(&v);
            let left: Vec<u32> = types
                .iter()
                .copied()
                .filter(|t| subscribed.contains(t))
                .collect();
            let mut text = format!("unsubscribed {} event type(s)\n", types.len());
            let code = verdict(&mut text, &left, "still subscribed");
            text.push_str(&format_view(&v, secret, own.as_deref()));
            Ok((code, text))
        }
    }
}

/// Add a warning line for `wrong` types; exit code 1 when there are any.
fn verdict(text: &mut String, wrong: &[u32], what: &str) -> i32 {
    if wrong.is_empty() {
        return 0;
    }
    text.push_str(&format!(
        "warning: HikCentral's view shows {} type(s) {what}: {}\n",
        wrong.len(),
        join(wrong)
    ));
    1
}

/// The view for people: one block per destination, secrets masked, this service's own
/// destination marked.
pub fn format_view(view: &Value, secret: &str, own_dest: Option<&str>) -> String {
    let entries = detail(view);
    if entries.is_empty() {
        return "HikCentral has no event subscriptions.\n".to_owned();
    }
    let mut out = format!(
        "HikCentral event subscriptions ({} destination(s)):\n",
        entries.len()
    );
    for entry in entries {
        let dest = entry
            .get("eventDest")
            .and_then(Value::as_str)
            .unwrap_or("(no eventDest)");
        let mark = if own_dest.is_some_and(|own| own == dest) {
            "  (this hikbridge)"
        } else {
            ""
        };
        let types = types_of(entry);
        out.push_str(&format!(
            "  {}{mark}\n    {} event type(s): {}\n",
            redact_dest(dest, secret),
            types.len(),
            join(&types)
        ));
    }
    out
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
fn detail(view: &Value) -> Vec<&Value> {
    let list = view.get("detail").unwrap_or(view);
    list.as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// The event types of one view entry (numbers, or numbers written as strings).
fn types_of(entry: &Value) -> Vec<u32> {
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
fn subscribed_types(view: &Value) -> BTreeSet<u32> {
    detail(view).into_iter().flat_map(types_of).collect()
}

/// Which of `types` the view does not show at `dest`.
fn missing_at(view: &Value, dest: &str, types: &[u32]) -> Vec<u32> {
    let at: BTreeSet<u32> = detail(view)
        .into_iter()
        .filter(|e| e.get("eventDest").and_then(Value::as_str) == Some(dest))
        .flat_map(types_of)
        .collect();
    types.iter().copied().filter(|t| !at.contains(t)).collect()
}

/// The types in first-seen order without repeats; an empty list is an error.
fn distinct(types: &[u32]) -> anyhow::Result<Vec<u32>> {
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

fn join(types: &[u32]) -> String {
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
    fn the_view_is_listed_per_destination_with_ours_marked() {
        let own = "https://b/hikcentral/events/s3cr3t-s3cr3t-s3cr3t";
        let v = json!({"detail": [
            {"eventTypes": [196893, "198914"], "eventDest": own},
            {"eventTypes": [197151], "eventDest": "http://x/y"},
        ]});
        let text = format_view(&v, "s3cr3t-s3cr3t-s3cr3t", Some(own));
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains("https://b/hikcentral/events/<secret>  (this hikbridge)"));
        assert!(text.contains("2 event type(s): 196893, 198914"));
        assert!(text.contains("http://x/y\n    1 event type(s): 197151"));
        assert_eq!(
            format_view(&json!({"detail": null}), "", None),
            "HikCentral has no event subscriptions.\n"
        );
        assert_eq!(
            missing_at(&v, own, &[196893, 197151]),
            [197151],
            "197151 goes elsewhere"
        );
        assert_eq!(
            subscribed_types(&v).into_iter().collect::<Vec<_>>(),
            [196893, 197151, 198914]
        );
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
