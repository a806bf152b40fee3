//! `hikbridge audit …`: check the audit log's hash chain, and print its newest rows.

use crate::config::Settings;
use crate::store::audit::AuditFilter;
use crate::store::{Store, StoreOptions};

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Walk the whole chain from the retention anchor to the newest row and recompute every
    /// hash: exit 0 and print the head when intact; exit 1 naming the first row where it breaks
    /// (a row changed, removed, or written around the service).
    Verify,
    /// Print the newest rows (tab-separated: seq, time, client, user, scope, action, target,
    /// outcome, detail).
    Tail {
        /// How many rows.
        #[arg(long, default_value_t = 50)]
        rows: i64,
        /// Only this client or acting user.
        #[arg(long)]
        actor: Option<String>,
        /// Only this action, or a prefix ending in * (person_*).
        #[arg(long)]
        action: Option<String>,
    },
}

/// The configured store, migrated (what `serve` would open).
pub(super) async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    Ok(Store::open(
        &settings.store.url,
        &StoreOptions {
            max_connections: settings.store.max_connections,
            busy_timeout: settings.store.busy_timeout,
            connect_timeout: settings.store.connect_timeout,
        },
    )
    .await?)
}

pub async fn run(cmd: AuditCommand, settings: &Settings) -> anyhow::Result<i32> {
    let store = open_store(settings).await?;
    let code = match cmd {
        AuditCommand::Verify => match store.verify_audit().await? {
            Ok(v) => {
                println!(
                    "audit log intact: {} rows checked (after row {}), head row {} sha256:{}",
                    v.rows, v.anchor_seq, v.head_seq, v.head_hash
                );
                0
            }
            Err(broken) => {
                println!("audit log BROKEN: {broken}");
                1
            }
        },
        AuditCommand::Tail {
            rows,
            actor,
            action,
        } => {
            let filter = AuditFilter {
                actor,
                action,
                ..AuditFilter::default()
            };
            for r in store.audit_rows(&filter, rows).await? {
                let at = chrono::DateTime::from_timestamp_millis(r.at_ms)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                let target = match (r.target_kind, r.target) {
                    (Some(k), Some(t)) => format!("{k}:{t}"),
                    (Some(k), None) => k,
                    (None, t) => t.unwrap_or_default(),
                };
                println!(
                    "{}\t{at}\t{}\t{}\t{}\t{}\t{target}\t{}\t{}",
                    r.seq,
                    r.client,
                    r.acting_user.unwrap_or_default(),
                    r.scope.unwrap_or_default(),
                    r.action,
                    r.outcome,
                    r.detail.unwrap_or_default().escape_debug()
                );
            }
            0
        }
    };
    store.close().await;
    Ok(code)
}
