//! `hikbridge bench`: benchmarks anyone can rerun on their machine, printed as a Markdown table
//! with the target each one is held to (issue 10). Each scenario checks its own result, so a
//! fast wrong run cannot pass: every acknowledged event must be in the store afterwards.
//! Nothing here is a test: timings belong in this table, not in assertions.

pub mod ingest;
pub mod server;

use ingest::{IngestOptions, IngestResult};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub duration: Duration,
    pub connections: usize,
    /// A PostgreSQL server on which a database may be created (and dropped) for the run.
    pub postgres: Option<String>,
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
    let mut rows = Vec::new();
    let sqlite = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let ingest = |store_url: String, per_post: usize, rate: Option<u32>| IngestOptions {
        store_url,
        connections: opts.connections,
        duration: opts.duration,
        events_per_post: per_post,
        rate,
    };
    eprintln!("bench: ingest, 1 event per POST, closed loop (SQLite)…");
    let r = ingest::run(dir.path(), &ingest(sqlite("closed.db"), 1, None)).await?;
    rows.push(Row {
        scenario: format!(
            "ingest, 1 event/POST, {} connections, max",
            opts.connections
        ),
        store: "SQLite",
        met: r.events_per_sec() >= 15_000.0,
        target: "≥ 15,000 ev/s".into(),
        result: r,
    });
    eprintln!("bench: ingest at a fixed 1,000 ev/s, open loop (SQLite)…");
    let r = ingest::run(dir.path(), &ingest(sqlite("open.db"), 1, Some(1000))).await?;
    rows.push(Row {
        scenario: "ingest, 1 event/POST, fixed 1,000 ev/s (open loop)".into(),
        store: "SQLite",
        met: r.latency_ms[1] <= 10.0,
        target: "p99 ≤ 10 ms".into(),
        result: r,
    });
    eprintln!("bench: ingest, 50 events per POST, closed loop (SQLite)…");
    let r = ingest::run(dir.path(), &ingest(sqlite("batch.db"), 50, None)).await?;
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
        let r = ingest::run(dir.path(), &ingest(db.url.clone(), 1, None)).await;
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
    print_table(&rows, &opts);
    Ok(if rows.iter().all(|r| r.result.verified()) {
        0
    } else {
        1
    })
}

fn print_table(rows: &[Row], opts: &BenchOptions) {
    println!(
        "\n{} s per scenario; load generator and service on the same machine ({} cores)\n",
        opts.duration.as_secs(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| scenario | store | events/s | p50 ms | p99 ms | p99.9 ms | max ms | acked | stored | failed POSTs | peak RSS MiB | target | met |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
    for r in rows {
        let x = &r.result;
        println!(
            "| {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} | {} | {} | {} | {} |",
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
            x.peak_rss_mib.map_or("?".into(), |m| format!("{m:.0}")),
            r.target,
            match (x.verified(), r.met) {
                (false, _) => "**LOST EVENTS**",
                (true, true) => "yes",
                (true, false) => "no",
            }
        );
    }
}
