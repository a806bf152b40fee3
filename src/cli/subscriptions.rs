//! `hikbridge subscriptions list | subscribe | unsubscribe`: the command over
//! [`crate::artemis::subscriptions`], which does the calls; this module prints what HikCentral's
//! view shows afterwards (the callback secret masked) and exits 1 when it disagrees.

pub use crate::artemis::subscriptions::{
    callback_url, mask_secret, redact_dest, subscribe, unsubscribe, view, SECRET_MASK,
};
use crate::artemis::subscriptions::{
    detail, distinct, join, missing_at, subscribed_types, types_of,
};
use crate::artemis::ArtemisClient;
use crate::config::EventsSettings;
use serde_json::Value;

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
