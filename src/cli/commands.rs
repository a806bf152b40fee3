//! What each command does. Each returns the process exit code.

use super::listener::Inherited;
use super::{ArtemisCommand, Cli, Command, HealthcheckArgs, SignArgs};
use crate::app::{shutdown_signal, App};
use crate::artemis::sign::{content_md5, signature, SignInput};
use crate::artemis::ArtemisClient;
use crate::config::{Settings, Sources};
use anyhow::{bail, Context};

pub async fn dispatch(cli: Cli, inherited: Inherited) -> anyhow::Result<i32> {
    let sources = Sources {
        file: cli.config.clone(),
        env: None,
    };
    match cli.command {
        #[cfg(feature = "sim")]
        Command::Demo(args) => demo(args).await,
        Command::Serve => serve(&sources, inherited).await,
        #[cfg(feature = "sim")]
        Command::Bench(args) => {
            crate::bench::run(crate::bench::BenchOptions {
                duration: std::time::Duration::from_secs(args.duration_secs.max(1)),
                connections: args.connections.max(1),
                postgres: args.postgres,
                only: args.only,
                backlog_events: args.backlog_events.max(1),
                humand_limit: args.humand_limit.max(1),
                humand_window: std::time::Duration::from_secs(args.humand_window_secs.max(1)),
                bulk_people: args.bulk_people.max(1),
                bulk_rate: args.bulk_rate.max(1),
                lifecycle_people: args.lifecycle_people.max(200),
                lifecycle_rate: args.lifecycle_rate.max(1),
            })
            .await
        }
        Command::CheckConfig => Ok(super::check::run(&sources).await),
        Command::Healthcheck(args) => healthcheck(&sources, &args).await,
        Command::Openapi => openapi(),
        Command::Artemis(ArtemisCommand::Sign(args)) => sign(&sources, &args),
        Command::Artemis(ArtemisCommand::Version) => {
            let client = artemis_client(&sources)?;
            let v = client.version().await?;
            println!("{} {}", v.produce_name, v.soft_version);
            Ok(0)
        }
        Command::Artemis(ArtemisCommand::Call { path, json }) => {
            artemis_call(&sources, &path, json.as_deref()).await
        }
        Command::Subscriptions(cmd) => {
            let settings = load(&sources)?;
            let client = artemis_client(&sources)?;
            super::subscriptions::run(cmd, &client, &settings.events).await
        }
        Command::Siad(super::siad::SiadCommand::Reconcile) => {
            let settings = load(&sources)?;
            let client = artemis_client(&sources)?;
            let store = super::audit::open_store(&settings).await?;
            let report = crate::workers::reconciler::Reconciler::new(client, store.clone())
                .reconcile_once()
                .await?;
            store.close().await;
            println!(
                "reconciled: {} page(s), {} person(s), {} with a personCode; ledger: {} new, {} updated, {} unchanged",
                report.pages, report.persons, report.with_code, report.new_in_ledger, report.updated, report.unchanged
            );
            Ok(0)
        }
        Command::Audit(cmd) => super::audit::run(cmd, &load(&sources)?).await,
        Command::Lifecycle(cmd) => super::lifecycle::run(cmd, &load(&sources)?).await,
        #[cfg(feature = "sim")]
        Command::Siad(cmd) => super::siad::run(cmd).await,
        #[cfg(feature = "sim")]
        Command::Sim(cmd) => super::sim::run(cmd).await,
    }
}

/// Writes the served OpenAPI document to stdout (an error, not a panic, when stdout is closed).
fn openapi() -> anyhow::Result<i32> {
    use std::io::Write;
    let document = crate::http::openapi::document()
        .map_err(|e| anyhow::anyhow!("the OpenAPI document cannot be made: {e}"))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{document}")
        .and_then(|()| out.flush())
        .context("writing the OpenAPI document to stdout")?;
    Ok(0)
}

fn load(sources: &Sources) -> anyhow::Result<Settings> {
    Settings::load(sources)
        .map_err(|e| anyhow::anyhow!("{e}run `hikbridge check-config` for details"))
}

#[cfg(feature = "sim")]
async fn demo(args: super::DemoArgs) -> anyhow::Result<i32> {
    let listen = match std::env::var("HIKBRIDGE__SERVER__LISTEN") {
        Ok(v) if !v.trim().is_empty() => Some(v.trim().parse().map_err(|_| {
            anyhow::anyhow!("HIKBRIDGE__SERVER__LISTEN={v:?} is not an address:port")
        })?),
        _ => None,
    };
    let opts = crate::demo::DemoOptions {
        data_dir: args.data_dir,
        people: args.people,
        listen,
    };
    crate::demo::run(opts, shutdown_signal()).await?;
    Ok(0)
}

async fn serve(sources: &Sources, mut inherited: Inherited) -> anyhow::Result<i32> {
    let settings = load(sources)?;
    crate::telemetry::init(&settings.log);
    let listen = settings.server.listen;
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        %listen,
        store = %crate::config::redact_url(&settings.store.url),
        "starting hikbridge"
    );
    // One process per SQLite file; held until the process ends.
    let _lock = crate::store::lock_for_process(&settings.store.url)
        .context("the store (store.url) is in use")?;
    let app = App::build(settings).await?;
    let (listener, from) = inherited.http_listener(listen).await?;
    match listener.local_addr() {
        Ok(local) => tracing::info!(listen = %local, from, "listening"),
        Err(e) => tracing::info!(from, error = %e, "listening"),
    }
    app.serve(listener, shutdown_signal()).await?;
    Ok(0)
}

async fn healthcheck(sources: &Sources, args: &HealthcheckArgs) -> anyhow::Result<i32> {
    let url = match &args.url {
        Some(u) => u.clone(),
        None => {
            let settings = load(sources)?;
            let mut addr = settings.server.listen;
            if addr.ip().is_unspecified() {
                addr.set_ip(if addr.is_ipv4() {
                    std::net::Ipv4Addr::LOCALHOST.into()
                } else {
                    std::net::Ipv6Addr::LOCALHOST.into()
                });
            }
            format!("http://{addr}/health")
        }
    };
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(args.timeout_secs))
        .build()?;
    match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => {
            println!("healthy: {url}");
            Ok(0)
        }
        Ok(r) => {
            eprintln!("unhealthy: {url} answered {}", r.status());
            Ok(1)
        }
        Err(e) => {
            eprintln!(
                "unhealthy: {url}: {}",
                crate::upstream::transport::error_chain(&e)
            );
            Ok(1)
        }
    }
}

fn artemis_client(sources: &Sources) -> anyhow::Result<ArtemisClient> {
    let settings = load(sources)?;
    crate::telemetry::init(&settings.log);
    if !settings.hikcentral.is_configured() {
        bail!("hikcentral.base_url is not set; set HIKBRIDGE__HIKCENTRAL__BASE_URL (e.g. https://hikcentral.example.edu:443)");
    }
    let pacer = ArtemisClient::pacer_for(&settings.hikcentral);
    ArtemisClient::new(&settings.hikcentral, pacer)
}

async fn artemis_call(sources: &Sources, path: &str, json: Option<&str>) -> anyhow::Result<i32> {
    let body: serde_json::Value = match json {
        Some(s) => serde_json::from_str(s).context("the JSON argument is not valid JSON")?,
        None => serde_json::json!({}),
    };
    let client = artemis_client(sources)?;
    let resp = client.call_raw(path, &body).await?;
    let ct = resp.header("content-type").unwrap_or("").to_string();
    eprintln!("HTTP {} {}", resp.status.as_u16(), ct);
    match serde_json::from_slice::<serde_json::Value>(&resp.body) {
        Ok(v) => println!("{}", serde_json::to_string_pretty(&v)?),
        Err(_) if ct.starts_with("image/") => println!("<{} bytes of {ct}>", resp.body.len()),
        Err(_) => println!("{}", resp.body_snippet()),
    }
    let ok = resp.status.is_success()
        && serde_json::from_slice::<crate::artemis::model::Envelope>(&resp.body)
            .map(|e| e.is_success())
            .unwrap_or(true);
    Ok(if ok { 0 } else { 1 })
}

/// `artemis sign`: the same [`SignInput`] the client uses, from the command line.
fn sign(sources: &Sources, args: &SignArgs) -> anyhow::Result<i32> {
    // Defaults from the configuration when it loads; the command works without it too.
    let settings = Settings::load(sources).ok();
    let secret = std::env::var("HIKBRIDGE__HIKCENTRAL__APP_SECRET")
        .ok()
        .or_else(|| {
            settings
                .as_ref()
                .map(|s| s.hikcentral.app_secret.expose().to_string())
        })
        .filter(|s| !s.is_empty())
        .context("set HIKBRIDGE__HIKCENTRAL__APP_SECRET to the AppSecret")?;
    let app_key = args
        .app_key
        .clone()
        .or_else(|| settings.as_ref().map(|s| s.hikcentral.app_key.clone()))
        .filter(|k| !k.is_empty())
        .context("give --app-key or set HIKBRIDGE__HIKCENTRAL__APP_KEY")?;
    let accept = args
        .accept
        .clone()
        .or_else(|| settings.as_ref().map(|s| s.hikcentral.accept.clone()))
        .unwrap_or_else(|| "*/*".into());
    let content_type = args
        .content_type
        .clone()
        .or_else(|| settings.as_ref().map(|s| s.hikcentral.content_type.clone()))
        .unwrap_or_else(|| "application/json;charset=UTF-8".into());
    let md5 = match (&args.content_md5, &args.body) {
        (Some(m), _) => Some(m.clone()),
        (None, Some(file)) => {
            Some(content_md5(&std::fs::read(file).with_context(|| {
                format!("cannot read --body {}", file.display())
            })?))
        }
        (None, None) => None,
    };
    let mut headers = Vec::new();
    for name in args
        .signed_headers
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let value = match name.to_ascii_lowercase().as_str() {
            "x-ca-key" => app_key.clone(),
            "x-ca-timestamp" => args
                .timestamp
                .clone()
                .context("x-ca-timestamp is signed: give --timestamp")?,
            "x-ca-nonce" => args.nonce.clone().context("x-ca-nonce is signed: give --nonce")?,
            other => bail!("cannot sign header {other}: only x-ca-key, x-ca-nonce and x-ca-timestamp are known"),
        };
        headers.push((name.to_ascii_lowercase(), value));
    }
    let mut query = Vec::new();
    for pair in &args.query {
        let (k, v) = pair
            .split_once('=')
            .with_context(|| format!("--query {pair:?} is not k=v"))?;
        if v.is_empty() {
            bail!("--query {pair:?} has an empty value; never send empty query parameters (SDK generations sign them differently)");
        }
        query.push((k.to_string(), v.to_string()));
    }
    let input = SignInput {
        method: args.method.to_ascii_uppercase(),
        accept: Some(accept).filter(|a| !a.is_empty()),
        content_md5: md5.clone(),
        content_type: Some(content_type).filter(|c| !c.is_empty()),
        date: None,
        headers,
        path: args.path.clone(),
        query,
    };
    let sts = input.string_to_sign();
    println!("string to sign: {}", sts.replace('\n', "\\n"));
    if let Some(m) = md5 {
        println!("content-md5: {m}");
    }
    println!("x-ca-signature-headers: {}", input.signature_headers());
    println!("x-ca-signature: {}", signature(&secret, &sts));
    Ok(0)
}
