//! `hikbridge subscriptions …` against the HikCentral simulator: subscribe, view, unsubscribe,
//! and the callback secret never shown.

mod common;

use clap::Parser;
use common::upstreams::{hikcentral, settings_for};
use hikbridge::artemis::ArtemisClient;
use hikbridge::cli::subscriptions::{
    callback_url, format_view, output, subscribe, unsubscribe, view, SubscriptionsCommand,
};
use hikbridge::config::Settings;
use hikbridge::sim::hikcentral::HikSim;
use hikbridge::sim::RunningSim;
use serde_json::{json, Value};

const SECRET: &str = "Cb-secret-0123456789abcdef";
const PUBLIC_URL: &str = "https://bridge.example.edu:8443/";
const OWN_DEST: &str =
    "https://bridge.example.edu:8443/hikcentral/events/Cb-secret-0123456789abcdef";

async fn setup(env: &[(&str, &str)]) -> (HikSim, RunningSim, ArtemisClient, Settings) {
    let (sim, running) = hikcentral(None).await;
    let mut all = vec![
        ("HIKBRIDGE__EVENTS__PUBLIC_URL", PUBLIC_URL),
        ("HIKBRIDGE__EVENTS__CALLBACK_SECRET", SECRET),
        ("HIKBRIDGE__EVENTS__EVENT_TYPES", "196893,198914,197151"),
    ];
    all.extend_from_slice(env);
    let settings = settings_for(&running.base_url, &all);
    let client = ArtemisClient::new(
        &settings.hikcentral,
        ArtemisClient::pacer_for(&settings.hikcentral),
    )
    .expect("client");
    (sim, running, client, settings)
}

/// The types HikCentral's view shows at `dest`.
fn types_at(view: &Value, dest: &str) -> Vec<u64> {
    view["detail"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["eventDest"] == dest)
        .flat_map(|e| e["eventTypes"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t.as_u64())
        .collect()
}

#[tokio::test]
async fn subscribe_then_view_shows_the_types_at_the_callback_url() {
    let (sim, _running, client, settings) = setup(&[]).await;
    subscribe(&client, &settings.events, &[196893, 198914, 196893])
        .await
        .expect("subscribe");
    let v = view(&client).await.expect("view");
    assert_eq!(types_at(&v, OWN_DEST), [196893, 198914], "{v}");
    assert_eq!(
        sim.subscriptions(),
        [json!({"eventTypes": [196893, 198914], "eventDest": OWN_DEST})]
    );
    assert_eq!(
        sim.subscription_pass_back(OWN_DEST),
        Some(1),
        "passBack on by default: HikCentral keeps pushes it could not deliver"
    );
}

#[tokio::test]
async fn event_types_outside_hikcentrals_limits_are_refused_before_any_call() {
    let (sim, _running, client, settings) = setup(&[]).await;
    let err = subscribe(&client, &settings.events, &[99_999])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("100000..=2147483647"), "{err}");
    let many: Vec<u32> = (0..257).map(|i| 196_000 + i).collect();
    let err = subscribe(&client, &settings.events, &many)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("at most 256"), "{err}");
    assert_eq!(sim.request_count(), 0, "nothing was sent");
    // The configuration refuses them too.
    let problem = hikbridge::config::Settings::defaults_with_env(&[(
        "HIKBRIDGE__EVENTS__EVENT_TYPES",
        "196893,42",
    )])
    .unwrap_err()
    .to_string();
    assert!(problem.contains("events.event_types"), "{problem}");
}

#[tokio::test]
async fn pass_back_can_be_switched_off() {
    let (sim, _running, client, settings) =
        setup(&[("HIKBRIDGE__EVENTS__PASS_BACK", "false")]).await;
    subscribe(&client, &settings.events, &[196893])
        .await
        .unwrap();
    assert_eq!(sim.subscription_pass_back(OWN_DEST), Some(0));
}

#[tokio::test]
async fn unsubscribe_removes_the_types() {
    let (sim, _running, client, settings) = setup(&[]).await;
    subscribe(&client, &settings.events, &settings.events.event_types)
        .await
        .unwrap();
    unsubscribe(&client, &[198914]).await.expect("unsubscribe");
    let v = view(&client).await.unwrap();
    assert_eq!(types_at(&v, OWN_DEST), [196893, 197151]);
    unsubscribe(&client, &[196893, 197151]).await.unwrap();
    assert!(sim.subscriptions().is_empty());
    let v = view(&client).await.unwrap();
    assert_eq!(
        format_view(&v, SECRET, Some(OWN_DEST)),
        "HikCentral has no event subscriptions.\n"
    );
}

#[test]
fn the_callback_url_needs_public_url_and_secret() {
    let base = |env: &[(&str, &str)]| settings_for("http://127.0.0.1:9", env).events;
    let err = callback_url(&base(&[("HIKBRIDGE__EVENTS__CALLBACK_SECRET", SECRET)]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("events.public_url"), "{err}");
    let err = callback_url(&base(&[("HIKBRIDGE__EVENTS__PUBLIC_URL", PUBLIC_URL)]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("events.callback_secret"), "{err}");
    assert!(!err.contains(SECRET));

    let both = |url: &str| {
        callback_url(&base(&[
            ("HIKBRIDGE__EVENTS__PUBLIC_URL", url),
            ("HIKBRIDGE__EVENTS__CALLBACK_SECRET", SECRET),
        ]))
        .unwrap()
    };
    assert_eq!(both(PUBLIC_URL), OWN_DEST);
    assert_eq!(both("https://bridge.example.edu:8443"), OWN_DEST);
    assert_eq!(
        both("https://proxy.example.edu/hikbridge/"),
        format!("https://proxy.example.edu/hikbridge/hikcentral/events/{SECRET}")
    );
}

#[tokio::test]
async fn command_output_never_shows_the_secret() {
    let (sim, _running, client, settings) = setup(&[]).await;
    let (code, text) = output(
        SubscriptionsCommand::Subscribe { types: vec![] },
        &client,
        &settings.events,
    )
    .await
    .expect("subscribe");
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("subscribed 3 event type(s) to https://bridge.example.edu:8443/hikcentral/events/<secret>"),
        "{text}"
    );
    assert_eq!(sim.subscriptions()[0]["eventDest"], OWN_DEST);

    let (code, list) = output(SubscriptionsCommand::List, &client, &settings.events)
        .await
        .expect("list");
    assert_eq!(code, 0);
    assert!(list.contains("<secret>  (this hikbridge)"), "{list}");
    assert!(list.contains("196893, 197151, 198914"), "{list}");

    let (code, after) = output(
        SubscriptionsCommand::Unsubscribe {
            types: vec![197151],
        },
        &client,
        &settings.events,
    )
    .await
    .expect("unsubscribe");
    assert_eq!(code, 0);
    assert!(after.contains("unsubscribed 1 event type(s)"), "{after}");
    for shown in [&text, &list, &after] {
        assert!(!shown.contains(SECRET), "{shown}");
    }
}

#[tokio::test]
async fn a_refused_destination_is_reported_without_the_secret() {
    let (_sim, _running, client, mut settings) = setup(&[]).await;
    // Not an http(s) URL: the simulator refuses it and quotes it back in its message.
    settings.events.public_url = "ftp://files.example.edu".into();
    let err = output(
        SubscriptionsCommand::Subscribe {
            types: vec![196893],
        },
        &client,
        &settings.events,
    )
    .await
    .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("<secret>") && msg.contains("eventDest"),
        "{msg}"
    );
    assert!(!msg.contains(SECRET), "{msg}");
}

#[test]
fn types_are_read_comma_separated() {
    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: SubscriptionsCommand,
    }
    let cli = Cli::try_parse_from(["x", "subscribe", "--types", "196893,198914"]).unwrap();
    assert!(
        matches!(cli.cmd, SubscriptionsCommand::Subscribe { types } if types == [196893, 198914])
    );
    let cli = Cli::try_parse_from(["x", "unsubscribe"]).unwrap();
    assert!(matches!(cli.cmd, SubscriptionsCommand::Unsubscribe { types } if types.is_empty()));
    assert!(Cli::try_parse_from(["x", "subscribe", "--types", "face"]).is_err());
}
