//! The reconciler: reads HikCentral's whole person list (`person/personList`, reference §3) and
//! brings into the ledger the people registered by other means (by hand in the HikCentral
//! client, by an older tool), so they stop showing as pending.
//!
//! Choices:
//! - **Paging**: `pageNo` from 1 with `pageSize` [`PAGE_SIZE`] (HikCentral's maximum), until a
//!   short page or `pageNo × pageSize ≥ total`. A full page with a `total` of 0 (missing) is read
//!   as "total unknown": paging goes on until a short page, bounded by [`MAX_PAGES`].
//! - **Mapping**: the CI is the trimmed `personCode`. People without one (or without a
//!   `personId`) are counted in [`ReconcileReport::persons`] and skipped.
//! - **Counting and writing**: the ledger row of each CI is read first. No personId there yet →
//!   `new_in_ledger`; another personId → `updated`; both are written with outcome
//!   [`OUTCOME`] and reason [`REASON`] (photo hash and person type are kept as stored). The same
//!   personId → `unchanged`, and the row is **not** rewritten, so its last sync time, outcome and
//!   reason keep describing the last real sync.
//! - **Nothing is erased**: a ledger personId whose CI is absent from the list stays; a complete
//!   pass only logs how many such CIs there are.
//! - **Failures**: each page is decoded whole before any of it is applied, so a failing or
//!   unreadable page aborts the pass with the error and nothing half-interpreted; pages applied
//!   before it stay applied (re-applying them next pass is harmless: they come back unchanged).
//!   Offset paging over a list that changes during the pass can skip or repeat a person; the next
//!   pass catches up.

use crate::artemis::model::string_or_number;
use crate::artemis::ArtemisClient;
use crate::person_sync::person_list::PersonPages;
use crate::store::{LedgerUpdate, Store};
use anyhow::Context;
use serde::Deserialize;
use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

pub use crate::person_sync::person_list::{last_page, MAX_PAGES, PAGE_SIZE, PERSON_LIST_PATH};
/// Ledger outcome written for a person found in the list.
pub const OUTCOME: &str = "found";
/// Ledger reason written for a person found in the list.
pub const REASON: &str = "reconciled from HikCentral's person list";

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReconcileReport {
    /// `person/personList` pages answered and applied.
    pub pages: u32,
    /// Persons listed, with or without a personCode.
    pub persons: u32,
    /// Persons with a non-empty personCode (the ones the ledger can know).
    pub with_code: u32,
    /// CIs the ledger had no personId for, now written.
    pub new_in_ledger: u32,
    /// CIs whose ledger personId differed from HikCentral's, now rewritten.
    pub updated: u32,
    /// CIs whose ledger personId already matched; left untouched.
    pub unchanged: u32,
}

/// The two PersonInfo fields the reconciler reads; numbers are tolerated, the rest ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListedPerson {
    #[serde(default, deserialize_with = "string_or_number")]
    person_id: String,
    #[serde(default, deserialize_with = "string_or_number")]
    person_code: String,
}

/// What to do with one listed person, given the personId the ledger holds for its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    New,
    Updated,
    Unchanged,
}

fn change(stored: Option<&str>, listed: &str) -> Change {
    match stored {
        None => Change::New,
        Some(s) if s == listed => Change::Unchanged,
        Some(_) => Change::Updated,
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The person-list reconciler; cheap to clone.
#[derive(Clone)]
pub struct Reconciler {
    client: ArtemisClient,
    store: Store,
}

impl std::fmt::Debug for Reconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reconciler")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl Reconciler {
    pub fn new(client: ArtemisClient, store: Store) -> Self {
        Self { client, store }
    }

    /// Page `person/personList` (pageNo from 1, pageSize [`PAGE_SIZE`]) until a short page or
    /// `pageNo × pageSize ≥ total`; for every person with a non-empty personCode make the ledger
    /// say CI = personCode → personId (see the module documentation). A failing page aborts the
    /// pass with the error; pages already applied stay applied.
    pub async fn reconcile_once(&self) -> anyhow::Result<ReconcileReport> {
        let mut report = ReconcileReport::default();
        let mut seen: HashSet<String> = HashSet::new();
        let mut pages = PersonPages::new(&self.client);
        while let Some(list) = pages
            .next::<ListedPerson>()
            .await
            .context("reconcile: reading HikCentral's person list (pages read stay applied)")?
        {
            for person in &list {
                self.apply(person, &mut seen, &mut report)
                    .await
                    .with_context(|| {
                        format!("reconcile: applying person list page {}", pages.read)
                    })?;
            }
            report.pages += 1;
        }
        let total = pages.total;
        if u64::from(report.persons) < total {
            tracing::warn!(
                listed = report.persons,
                total,
                "HikCentral's person list ended before its total; the next pass reads it again"
            );
        }
        self.log_missing(&seen).await;
        tracing::info!(
            pages = report.pages,
            persons = report.persons,
            with_code = report.with_code,
            new_in_ledger = report.new_in_ledger,
            updated = report.updated,
            unchanged = report.unchanged,
            "person-list reconcile pass done"
        );
        Ok(report)
    }

    /// Bring one listed person into the ledger and count it.
    async fn apply(
        &self,
        person: &ListedPerson,
        seen: &mut HashSet<String>,
        report: &mut ReconcileReport,
    ) -> anyhow::Result<()> {
        report.persons += 1;
        let ci = person.person_code.trim();
        if ci.is_empty() {
            return Ok(());
        }
        report.with_code += 1;
        let person_id = person.person_id.trim();
        if person_id.is_empty() {
            tracing::warn!(
                ci,
                "HikCentral listed this personCode without a personId; skipped"
            );
            return Ok(());
        }
        seen.insert(ci.to_string());
        let stored = self
            .store
            .ledger_entry(ci)
            .await
            .with_context(|| format!("cannot read the ledger entry of {ci}"))?
            .and_then(|e| e.person_id);
        let change = change(stored.as_deref(), person_id);
        match change {
            Change::Unchanged => {
                report.unchanged += 1;
                return Ok(());
            }
            Change::New => report.new_in_ledger += 1,
            Change::Updated => {
                tracing::info!(
                    ci,
                    old_person_id = stored.as_deref().unwrap_or_default(),
                    person_id,
                    "HikCentral now has another personId for this CI; ledger updated"
                );
                report.updated += 1;
            }
        }
        self.store
            .record_ledger(
                &LedgerUpdate {
                    ci,
                    person_id: Some(person_id),
                    outcome: OUTCOME,
                    reason: REASON,
                    ..LedgerUpdate::default()
                },
                now_ms(),
            )
            .await
            .with_context(|| format!("cannot write the ledger entry of {ci}"))
    }

    /// After a complete pass: say how many ledger CIs HikCentral did not list (kept as they are).
    async fn log_missing(&self, seen: &HashSet<String>) {
        match self.store.registered_cis().await {
            Ok(registered) => {
                let mut missing: Vec<&String> = registered.difference(seen).collect();
                if !missing.is_empty() {
                    missing.sort();
                    missing.truncate(10);
                    tracing::warn!(
                        count = registered.difference(seen).count(),
                        first = ?missing,
                        "ledger CIs with a personId that HikCentral's person list lacks; kept \
                         (never erased by reconcile)"
                    );
                }
            }
            Err(e) => tracing::warn!(
                error = %e,
                "cannot list the ledger's registered CIs to compare with HikCentral's list"
            ),
        }
    }

    /// Reconcile now and then every `interval` until `shutdown` resolves; a failed pass is logged
    /// and retried at the next interval, never ending the loop. A pass cut short by shutdown is
    /// safe (what was written is consistent per person). An `interval` of 0 turns the schedule
    /// off: it just waits for `shutdown`, so the worker still shows as running.
    pub async fn run(
        self,
        interval: Duration,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let mut shutdown = std::pin::pin!(shutdown);
        if interval.is_zero() {
            tracing::info!("the person-list reconcile interval is 0: scheduled reconcile is off");
            shutdown.await;
            return Ok(());
        }
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => return Ok(()),
                result = self.reconcile_once() => {
                    if let Err(e) = result {
                        tracing::warn!(
                            error = %format!("{e:#}"),
                            retry_in_secs = interval.as_secs(),
                            "person-list reconcile failed; retrying at the next interval"
                        );
                    }
                }
            }
            tokio::select! {
                biased;
                () = &mut shutdown => return Ok(()),
                () = tokio::time::sleep(interval) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artemis::model::Page;
    use serde_json::json;

    #[test]
    fn listed_persons_tolerate_numbers_nulls_and_missing_fields() {
        let page: Page<ListedPerson> = serde_json::from_value(json!({
            "total": 4, "pageNo": 1, "pageSize": 500,
            "list": [
                {"personId": "187", "personCode": "1712345678", "personName": "Ana"},
                {"personId": 188, "personCode": 1712345679},
                {"personId": "189", "personCode": null},
                {"personId": "190"}
            ]
        }))
        .unwrap();
        let pairs: Vec<(&str, &str)> = page
            .list
            .iter()
            .map(|p| (p.person_id.as_str(), p.person_code.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("187", "1712345678"),
                ("188", "1712345679"),
                ("189", ""),
                ("190", "")
            ]
        );
    }

    #[test]
    fn changes_compare_the_stored_person_id() {
        assert_eq!(change(None, "100"), Change::New);
        assert_eq!(change(Some("100"), "100"), Change::Unchanged);
        assert_eq!(change(Some("100"), "101"), Change::Updated);
    }

    #[test]
    fn paging_ends_on_a_short_page_or_at_the_total() {
        assert!(last_page(1, 499, 0));
        assert!(last_page(1, 0, 0));
        assert!(last_page(2, 500, 1000));
        assert!(!last_page(2, 500, 1001));
        // A full page with no total: keep reading until a short page.
        assert!(!last_page(1, 500, 0));
        assert!(last_page(3, 203, 1203));
    }
}
