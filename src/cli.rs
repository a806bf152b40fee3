//! The command line: `serve`, `check-config`, `healthcheck`, `openapi`, `artemis …`,
//! `subscriptions …` and `siad …`; with the `sim` feature (default) also `demo`, `bench`,
//! `sim …` and `siad seed-demo`.

pub mod audit;
pub mod check;
pub mod commands;
pub mod lifecycle;
pub mod listener;
pub mod siad;
#[cfg(feature = "sim")]
pub mod sim;
pub mod subscriptions;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "hikbridge",
    version,
    about = "SIAD → HikCentral person sync and HikCentral → Humand time tracking"
)]
pub struct Cli {
    /// Configuration file (default: config/default.toml when present, else embedded defaults).
    /// Any key can be overridden with HIKBRIDGE__SECTION__KEY environment variables.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole flow on this machine with nothing external: simulated HikCentral and Humand,
    /// a synthetic SIAD, registrations, a bulk job and a day of access events; prints the
    /// dashboard's address. Runs until Ctrl-C.
    #[cfg(feature = "sim")]
    Demo(DemoArgs),
    /// Run the service.
    Serve,
    /// Benchmarks (ingest on SQLite and, with --postgres, PostgreSQL): prints a Markdown table
    /// with each target, and fails when an acknowledged event was not stored.
    #[cfg(feature = "sim")]
    Bench(BenchArgs),
    /// Load and validate the configuration, try each configured connection, print ✓/✗ per item.
    CheckConfig,
    /// GET /health on the configured address; exit 0 when healthy (for container HEALTHCHECKs).
    Healthcheck(HealthcheckArgs),
    /// Print the OpenAPI 3.1 document that GET /openapi.json serves (for client generators and
    /// validators); needs no configuration and starts nothing.
    Openapi,
    /// Talk to HikCentral's OpenAPI (Artemis) directly.
    #[command(subcommand)]
    Artemis(ArtemisCommand),
    /// HikCentral event subscriptions (push to this service's callback).
    #[command(subcommand)]
    Subscriptions(subscriptions::SubscriptionsCommand),
    /// Keeping HikCentral current with SIAD: print the plan a run would make, start a run.
    #[command(subcommand)]
    Lifecycle(lifecycle::LifecycleCommand),
    /// The audit log: verify its hash chain, print its newest rows.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// The SIAD directory: reconcile with HikCentral; with the `sim` feature, seed a demo database.
    #[command(subcommand)]
    Siad(siad::SiadCommand),
    /// Run a simulated upstream on this machine (manual runs, benchmarks).
    #[cfg(feature = "sim")]
    #[command(subcommand)]
    Sim(SimCommand),
}

#[cfg(feature = "sim")]
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the demo keeps its store and synthetic SIAD (its own files are replaced each run).
    #[arg(long, default_value = "demo-data")]
    pub data_dir: PathBuf,
    /// People in the synthetic SIAD.
    #[arg(long, default_value_t = 200)]
    pub people: u32,
}

#[cfg(feature = "sim")]
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Seconds per scenario.
    #[arg(long, default_value_t = 10)]
    pub duration_secs: u64,
    /// Concurrent client connections.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// A PostgreSQL server the benchmark may create a database on (dropped afterwards), e.g.
    /// postgres://postgres@127.0.0.1:5432/test.
    #[arg(long)]
    pub postgres: Option<String>,
    /// Which benchmarks to run (comma-separated): ingest, backlog, delivery, bulk, lifecycle.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "ingest,backlog,delivery,bulk,lifecycle"
    )]
    pub only: Vec<crate::bench::Suite>,
    /// Events queued for the backlog benchmark.
    #[arg(long, default_value_t = 100_000)]
    pub backlog_events: usize,
    /// The simulated Humand's limit per window in the delivery benchmark.
    #[arg(long, default_value_t = 100)]
    pub humand_limit: u32,
    /// The simulated Humand's window in seconds (a delivery scenario lasts 2 or 3 windows).
    #[arg(long, default_value_t = 60)]
    pub humand_window_secs: u64,
    /// People in the bulk-sync benchmark's job.
    #[arg(long, default_value_t = 1000)]
    pub bulk_people: u32,
    /// hikcentral.requests_per_second in the bulk-sync benchmark.
    #[arg(long, default_value_t = 20)]
    pub bulk_rate: u32,
    /// People on the roster and in HikCentral in the lifecycle benchmark.
    #[arg(long, default_value_t = 40_000)]
    pub lifecycle_people: u32,
    /// hikcentral.requests_per_second in the lifecycle benchmark.
    #[arg(long, default_value_t = 50)]
    pub lifecycle_rate: u32,
}

#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// Full URL to probe instead of http://<server.listen>/health.
    #[arg(long)]
    pub url: Option<String>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 3)]
    pub timeout_secs: u64,
}

#[derive(Debug, Subcommand)]
pub enum ArtemisCommand {
    /// Signed POST to the configured HikCentral; prints the answer.
    Call {
        /// API path, e.g. /artemis/api/resource/v1/org/rootOrg (the /artemis prefix may be left out).
        path: String,
        /// JSON body (default {}).
        json: Option<String>,
    },
    /// Print HikCentral's product and version (a check of address, TLS and signature).
    Version,
    /// Print the string to sign and the signature for a request, to compare with what
    /// HikCentral expects when it answers "invalid signature". The AppSecret is read from
    /// HIKBRIDGE__HIKCENTRAL__APP_SECRET.
    Sign(Box<SignArgs>),
}

#[derive(Debug, Args)]
pub struct SignArgs {
    #[arg(long, default_value = "POST")]
    pub method: String,
    /// Path including /artemis.
    #[arg(long)]
    pub path: String,
    /// Query or form parameter k=v (raw value); repeat for several.
    #[arg(long = "query", value_name = "K=V")]
    pub query: Vec<String>,
    /// Accept header as sent (default: hikcentral.accept).
    #[arg(long)]
    pub accept: Option<String>,
    /// Content-Type header as sent (default: hikcentral.content_type).
    #[arg(long)]
    pub content_type: Option<String>,
    /// Content-MD5 header as sent.
    #[arg(long, conflicts_with = "body")]
    pub content_md5: Option<String>,
    /// File with the exact body bytes; its Content-MD5 is computed and signed.
    #[arg(long, value_name = "FILE")]
    pub body: Option<PathBuf>,
    /// AppKey (default: hikcentral.app_key).
    #[arg(long)]
    pub app_key: Option<String>,
    /// x-ca-timestamp (milliseconds since the epoch).
    #[arg(long)]
    pub timestamp: Option<String>,
    /// x-ca-nonce.
    #[arg(long)]
    pub nonce: Option<String>,
    /// Signed x-ca-* headers, comma-separated.
    #[arg(long, default_value = "x-ca-key,x-ca-nonce,x-ca-timestamp")]
    pub signed_headers: String,
}

#[cfg(feature = "sim")]
#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Simulated HikCentral (AppKey/AppSecret from HIKBRIDGE__HIKCENTRAL__APP_KEY /
    /// HIKBRIDGE__HIKCENTRAL__APP_SECRET, or demo-app-key / demo-app-secret).
    Hikcentral {
        #[arg(long, default_value_t = 9443)]
        port: u16,
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// Answer throttled beyond this many requests per second.
        #[arg(long)]
        throttle_per_second: Option<u32>,
        /// Throttle with HTTP 429 + Retry-After instead of code 0x02401009.
        #[arg(long)]
        throttle_http_429: bool,
        /// Serve HTTPS with this PEM certificate (needs --tls-key).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Push the events of this callback file (e.g. tests/fixtures/hikcentral-events/*.json)
        /// to every subscriber, with fresh ids and the time now; repeat for several files.
        #[arg(long, value_name = "FILE")]
        push: Vec<PathBuf>,
        /// Push the files again every N seconds (0 = once).
        #[arg(long, default_value_t = 0, requires = "push")]
        push_every_secs: u64,
    },
    /// Simulated Humand (API key from HIKBRIDGE__HUMAND__API_KEY or the demo key).
    Humand {
        #[arg(long, default_value_t = 9444)]
        port: u16,
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// Requests per window.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Window length in seconds.
        #[arg(long, default_value_t = 60)]
        window_secs: u64,
        /// Demo users to create (employee ids 10000001, 10000002, …).
        #[arg(long, default_value_t = 20)]
        users: u32,
    },
}

/// Parse arguments and run; the process exit code.
pub async fn run(inherited: listener::Inherited) -> i32 {
    let cli = Cli::parse();
    let result = commands::dispatch(cli, inherited).await;
    crate::telemetry::flush();
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}
