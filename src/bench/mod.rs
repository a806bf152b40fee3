//! `hikbridge bench`: benchmarks anyone can rerun on their machine, printed as a Markdown table
//! with the target each one is held to (issue 10). Each scenario checks its own result, so a
//! fast wrong run cannot pass: every acknowledged event must be in the store afterwards.
//! Nothing here is a test: timings belong in this table, not in assertions.

pub mod backlog;
pub mod bulk;
pub mod delivery;
pub mod ingest;
pub mod lifecycle;
pub mod push_client;
pub mod server;

use delivery::{DeliveryResult, DeliveryScenario};
use ingest::{IngestOptions, IngestResult};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub duration: Duration,
    pub connections: usize,
    /// A PostgreSQL server on which a database may be created (and dropped) for the run.
    pub postgres: Option<String>,
    pub only: Vec<Suite>,
    pub backlog_events: usize,
    pub humand_limit: u32,
    pub humand_window: Duration,
    pub bulk_people: u32,
    pub bulk_rate: u32,
    pub lifecycle_people: u32,
    pub lifecycle_rate: u32,
}

/// One group of benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Suite {
    Ingest,
    Backlog,
    Delivery,
    Bulk,
    Lifecycle,
}

struct Row {
    scenario: String,
    store: &'static str,
    result: IngestResult,
    target: String,
    met: bool,
}

pub async fn run(opts: BenchOptions) -> anyhow::Result<i32> {
    let dir = tempfile::tempdir()?;
    let mut ok = true;
    if opts.only.contains(&Suite::Ingest) {
        ok &= run_ingest(dir.path(), &opts).await?;
    }
    if opts.only.contains(&Suite::Backlog) {
        ok &= run_backlog(dir.path(), &opts).await?;
    }
    if opts.only.contains(&Suite::Delivery) {
        ok &= run_delivery(dir.path(), &opts).await?;
    }
    if opts.only.contains(&Suite::Bulk) {
        ok &= run_bulk(dir.path(), &opts).await?;
    }
    if opts.only.contains(&Suite::Lifecycle) {
        ok &= run_lifecycle(dir.path(), &opts).await?;
    }
    Ok(if ok { 0 } else { 1 })
}

async fn run_ingest(dir: &std::path::Path, opts: &BenchOptions) -> anyhow::Result<bool> {
    let mut rows = Vec::new();
    let sqlite = |name: &str| format!("sqlite://{}", dir.join(name).display());
    let ingest = |store_url: String, per_post: usize, rate: Option<u32>| IngestOptions {
        store_url,
        connections: opts.connections,
        duration: opts.duration,
        events_per_post: per_post,
        rate,
    };
    eprintln!("bench: ingest, 1 event per POST, closed loop (SQLite)…");
    let r = ingest::run(dir, &ingest(sqlite("closed.db"), 1, None)).await?;
    rows.push(Row {
        scenario: format!(
            "ingest, 1 event/POST, {} connections, max",
            opts.connections
        ),
        store: "SQLite",
        met: r.events_per_sec() >= 15_000.0 && r.cpu_us_per_event.is_some_and(|c| c <= 40.0),
        target: "≥ 15,000 ev/s; ≤ 40 µs CPU/event".into(),
        result: r,
    });
    eprintln!("bench: ingest at a fixed 1,000 ev/s, open loop (SQLite)…");
    let r = ingest::run(dir, &ingest(sqlite("open.db"), 1, Some(1000))).await?;
    rows.push(Row {
        scenario: "ingest, 1 event/POST, fixed 1,000 ev/s (open loop)".into(),
        store: "SQLite",
        met: r.latency_ms[1] <= 10.0,
        target: "p99 ≤ 10 ms".into(),
        result: r,
    });
    eprintln!("bench: ingest, 50 events per POST, closed loop (SQLite)…");
    let r = ingest::run(dir, &ingest(sqlite("batch.db"), 50, None)).await?;
    rows.push(Row {
        scenario: format!(
            "ingest, 50 events/POST, {} connections, max",
            opts.connections
        ),
        store: "SQLite",
        met: r.events_per_sec() >= 60_000.0,
        target: "≥ 60,000 ev/s".into(),
        result: r,
    });
    if let Some(admin) = &opts.postgres {
        eprintln!("bench: ingest, 1 event per POST, closed loop (PostgreSQL)…");
        let db = server::PgBench::create(admin).await?;
        let r = ingest::run(dir, &ingest(db.url.clone(), 1, None)).await;
        db.drop_db().await;
        let r = r?;
        rows.push(Row {
            scenario: format!(
                "ingest, 1 event/POST, {} connections, max",
                opts.connections
            ),
            store: "PostgreSQL",
            met: r.events_per_sec() >= 10_000.0,
            target: "≥ 10,000 ev/s".into(),
            result: r,
        });
    }
    print_table(&rows, opts);
    Ok(rows.iter().all(|r| r.result.verified()))
}

async fn run_backlog(dir: &std::path::Path, opts: &BenchOptions) -> anyhow::Result<bool> {
    let n = opts.backlog_events;
    let employees = (n / 50).max(1);
    let mut rows = Vec::new();
    eprintln!("bench: deciding a backlog of {n} events (SQLite)…");
    let url = format!("sqlite://{}", dir.join("backlog.db").display());
    rows.push(("SQLite", backlog::run(&url, n, employees).await?));
    if let Some(admin) = &opts.postgres {
        eprintln!("bench: deciding a backlog of {n} events (PostgreSQL)…");
        let db = server::PgBench::create(admin).await?;
        let r = backlog::run(&db.url, n, employees).await;
        db.drop_db().await;
        rows.push(("PostgreSQL", r?));
    }
    println!("\n| scenario | store | events | seconds | events/s | left pending | punches | peak RSS MiB | target | met |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---|---|");
    for (store, r) in &rows {
        let met = r.events_per_sec() >= 5_000.0 && (n < 100_000 || r.elapsed.as_secs_f64() < 30.0);
        println!(
            "| decisions from a backlog ({employees} employees) | {store} | {} | {:.1} | {:.0} | {} | {} | {} | ≥ 5,000 ev/s; 100,000 in < 30 s | {} |",
            r.events,
            r.elapsed.as_secs_f64(),
            r.events_per_sec(),
            r.left_pending,
            r.punches,
            r.peak_rss_mib.map_or("?".into(), |m| format!("{m:.0}")),
            verdict(r.verified(), met)
        );
    }
    Ok(rows.iter().all(|(_, r)| r.verified()))
}

async fn run_delivery(dir: &std::path::Path, opts: &BenchOptions) -> anyhow::Result<bool> {
    let (limit, window) = (opts.humand_limit, opts.humand_window);
    let sc = |latency_ms: u64, retry_after: bool| DeliveryScenario {
        limit,
        window,
        latency: Duration::from_millis(latency_ms),
        retry_after,
    };
    eprintln!(
        "bench: delivery to the Humand simulator ({limit} per {} s), three scenarios at once, {} s…",
        window.as_secs(),
        window.as_secs() * 3
    );
    let (a, b, c) = tokio::join!(
        delivery::run(dir, sc(0, false)),
        delivery::run(dir, sc(300, false)),
        delivery::run(dir, sc(300, true)),
    );
    let rows: Vec<(&str, DeliveryResult)> = vec![
        ("backlog, Humand answering at once", a?),
        ("backlog, Humand answering in 300 ms", b?),
        ("300 ms, another client spends the window: Retry-After", c?),
    ];
    println!("\n| scenario | seconds | accepted | budget | share of budget | 429s drawn | after the pause, one window | delivered = in Humand | parked | target | met |");
    println!("|---|---:|---:|---:|---:|---:|---:|---|---:|---|---|");
    for (name, r) in &rows {
        let (target, met) = match r.after_pause {
            Some(share) => ("full pace again within one window (≥ 97%)", share >= 0.97),
            None => (
                "≥ 97% of the budget, 0 × 429",
                r.share_of_budget() >= 0.97 && r.rate_limited == 0,
            ),
        };
        println!(
            "| {name} | {:.0} | {} | {:.1} | {:.1}% | {} | {} | {} = {} | {} | {target} | {} |",
            r.elapsed.as_secs_f64(),
            r.accepted,
            r.budget,
            r.share_of_budget() * 100.0,
            r.rate_limited,
            r.after_pause
                .map_or("–".into(), |s| format!("{:.1}%", s * 100.0)),
            r.delivered_in_store,
            r.entries_in_humand,
            r.parked,
            verdict(r.verified(), met)
        );
    }
    Ok(rows.iter().all(|(_, r)| r.verified()))
}

async fn run_bulk(dir: &std::path::Path, opts: &BenchOptions) -> anyhow::Result<bool> {
    let (n, rate) = (opts.bulk_people, opts.bulk_rate);
    eprintln!("bench: a bulk sync job for {n} people at {rate} HikCentral requests/s…");
    let r = bulk::run(dir, n, rate).await?;
    println!("\n| scenario | seconds | HikCentral requests | requests/s | configured | share of pace | outcomes | registered = in HikCentral | peak RSS MiB | target | met |");
    println!("|---|---:|---:|---:|---:|---:|---:|---|---:|---|---|");
    println!(
        "| bulk person sync, {n} people (photos normalised) | {:.1} | {} | {:.1} | {rate} | {:.1}% | {} | {} = {} | {} | ≥ 95% of the configured pace | {} |",
        r.elapsed.as_secs_f64(),
        r.requests,
        r.requests as f64 / r.elapsed.as_secs_f64().max(1e-9),
        r.share_of_pace() * 100.0,
        r.done,
        r.registered,
        r.in_hikcentral,
        r.peak_rss_mib.map_or("?".into(), |m| format!("{m:.0}")),
        verdict(r.verified(), r.share_of_pace() >= 0.95)
    );
    Ok(r.verified())
}

/// A benchmark's own check: one `SELECT COUNT(*) …` on the store under test.
pub(crate) async fn count(store: &crate::store::Store, sql: &str) -> anyhow::Result<i64> {
    use sqlx::Row;
    Ok(sqlx::query(sql).fetch_one(store.pool()).await?.try_get(0)?)
}

fn verdict(verified: bool, met: bool) -> &'static str {
    match (verified, met) {
        (false, _) => "**WRONG RESULT**",
        (true, true) => "yes",
        (true, false) => "no",
    }
}

fn print_table(rows: &[Row], opts: &BenchOptions) {
    println!(
        "\n{} s per scenario; load generator and service on the same machine ({} cores); the \
         service logs at `info`, as shipped, to a file\n",
        opts.duration.as_secs(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| scenario | store | events/s | p50 ms | p99 ms | p99.9 ms | max ms | acked | stored | failed POSTs | all decided, s after the load | peak RSS MiB | service CPU µs/event | service log lines | target | met |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
    for r in rows {
        let x = &r.result;
        println!(
            "| {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.scenario,
            r.store,
            x.events_per_sec(),
            x.latency_ms[0],
            x.latency_ms[1],
            x.latency_ms[2],
            x.latency_ms[3],
            x.acked_events,
            x.stored_events,
            x.failed_posts,
            x.decided_after
                .map_or("not within 600".into(), |d| format!("{:.1}", d.as_secs_f64())),
            x.peak_rss_mib.map_or("?".into(), |m| format!("{m:.0}")),
            x.cpu_us_per_event.map_or("?".into(), |c| format!("{c:.0}")),
            x.log_lines.map_or("?".into(), |n| n.to_string()),
            r.target,
            verdict(x.verified(), r.met)
        );
    }
}

async fn run_lifecycle(dir: &std::path::Path, opts: &BenchOptions) -> anyhow::Result<bool> {
    let (n, rate) = (opts.lifecycle_people, opts.lifecycle_rate);
    eprintln!("bench: the lifecycle, {n} people on the roster and in HikCentral, 1 % graduated, {rate} HikCentral requests/s…");
    let r = lifecycle::run(dir, n, rate).await?;
    let plan_met = r.plan_cpu_secs >= 0.0
        && r.plan_cpu_secs <= 60.0
        && r.plan_peak_rss_mib >= 0.0
        && r.plan_peak_rss_mib <= 150.0;
    println!("\n| scenario | people | plan wall s | plan CPU s | plan peak RSS MiB | revocations planned | target | met |");
    println!("|---|---:|---:|---:|---:|---:|---|---|");
    println!(
        "| lifecycle plan (child process: roster, 80 HikCentral pages, ledger, photo versions) | {} | {:.1} | {:.1} | {:.0} | {} | CPU ≤ 60 s, RSS ≤ 150 MB | {} |",
        r.people,
        r.plan_wall.as_secs_f64(),
        r.plan_cpu_secs,
        r.plan_peak_rss_mib,
        r.planned_revokes,
        verdict(r.planned_revokes == u64::from(r.graduates), plan_met)
    );
    println!("\n| scenario | revocations | seconds | HikCentral requests | requests/s | configured | share of pace | revoked ok | level members | target | met |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
    println!(
        "| lifecycle apply (revoke in groups of 20) | {} | {:.1} | {} | {:.1} | {rate} | {:.1}% | {} | {} | ≥ 95% of the configured pace | {} |",
        r.graduates,
        r.apply_elapsed.as_secs_f64(),
        r.apply_requests,
        r.apply_requests as f64 / r.apply_elapsed.as_secs_f64().max(1e-9),
        r.share_of_pace() * 100.0,
        r.revoked_ok,
        r.level_members,
        verdict(r.verified(), r.share_of_pace() >= 0.95)
    );
    Ok(r.verified() && plan_met && r.share_of_pace() >= 0.95)
}
