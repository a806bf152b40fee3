//! The hash chain, pure: a row's hash covers its content and the previous row's hash, so a
//! changed row no longer matches its hash and a removed one leaves its successor pointing at a
//! hash nobody has. [`Verifier`] walks rows in order and reports the first break.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first row ever written.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a row's hash covers: every column but `hash` itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditRow {
    pub seq: i64,
    pub at_ms: i64,
    pub client: String,
    pub acting_user: Option<String>,
    pub scope: Option<String>,
    pub action: String,
    pub target_kind: Option<String>,
    pub target: Option<String>,
    pub outcome: String,
    pub request_id: Option<String>,
    pub remote_addr: Option<String>,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// SHA-256 (hex) of the row's content and `prev_hash`, as one JSON array: unambiguous (every
/// field quoted and escaped, `null` distinct from `""`) and stable.
pub fn row_hash(row: &AuditRow) -> String {
    let content = serde_json::json!([
        row.seq,
        row.at_ms,
        row.client,
        row.acting_user,
        row.scope,
        row.action,
        row.target_kind,
        row.target,
        row.outcome,
        row.request_id,
        row.remote_addr,
        row.detail,
        row.prev_hash,
    ]);
    hex::encode(Sha256::digest(content.to_string().as_bytes()))
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The row's content no longer matches its hash: it was changed.
    Changed { seq: i64 },
    /// The row does not point at the hash of the row before it: that row (or rows) was removed,
    /// changed together with its hash, or this row's link was edited.
    Unlinked { seq: i64, expected_prev: String },
    /// Sequence numbers jump: rows in between were removed.
    Gap { after: i64, next: i64 },
    /// The newest row is not the one the head records: rows at the end were removed or added
    /// around the service.
    Head { head_seq: i64, last_seq: i64 },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Changed { seq } => write!(
                f,
                "row {seq} was changed: its content no longer matches its hash"
            ),
            Break::Unlinked { seq, .. } => write!(
                f,
                "row {seq} does not follow the row before it: that row was changed or removed"
            ),
            Break::Gap { after, next } => write!(
                f,
                "rows {} to {} are missing (removed)",
                after + 1,
                next - 1
            ),
            Break::Head { head_seq, last_seq } => write!(
                f,
                "the newest row is {last_seq} but the head records {head_seq}: rows at the end were removed or written around the service"
            ),
        }
    }
}

/// Checks rows given in sequence order, starting after the retention anchor.
#[derive(Debug)]
pub struct Verifier {
    last_seq: i64,
    last_hash: String,
    checked: u64,
}

impl Verifier {
    /// Start at the anchor: the sequence number and hash of the last row retention removed
    /// (0 and [`GENESIS`] before any).
    pub fn from_anchor(anchor_seq: i64, anchor_hash: &str) -> Self {
        Verifier {
            last_seq: anchor_seq,
            last_hash: anchor_hash.to_owned(),
            checked: 0,
        }
    }

    /// Check the next row; the first break found is returned.
    pub fn check(&mut self, row: &AuditRow) -> Result<(), Break> {
        if row.seq != self.last_seq + 1 {
            return Err(Break::Gap {
                after: self.last_seq,
                next: row.seq,
            });
        }
        if row_hash(row) != row.hash {
            return Err(Break::Changed { seq: row.seq });
        }
        if row.prev_hash != self.last_hash {
            return Err(Break::Unlinked {
                seq: row.seq,
                expected_prev: self.last_hash.clone(),
            });
        }
        self.last_seq = row.seq;
        self.last_hash = row.hash.clone();
        self.checked += 1;
        Ok(())
    }

    /// After the last row: it must be the head's.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<(u64, i64), Break> {
        if head_seq != self.last_seq || head_hash != self.last_hash {
            return Err(Break::Head {
                head_seq,
                last_seq: self.last_seq,
            });
        }
        Ok((self.checked, self.last_seq))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRow> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut row = AuditRow {
                    seq,
                    at_ms: 1_700_000_000_000 + seq,
                    client: "siad-frontend".into(),
                    acting_user: Some("jperez".into()),
                    scope: Some("sync".into()),
                    action: "person.register".into(),
                    target_kind: Some("person".into()),
                    target: Some(format!("17000000{seq:02}")),
                    outcome: "ok".into(),
                    request_id: None,
                    remote_addr: None,
                    detail: Some("registered".into()),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                row.hash = row_hash(&row);
                prev = row.hash.clone();
                row
            })
            .collect()
    }

    fn verify(rows: &[AuditRow]) -> Result<(u64, i64), Break> {
        let mut v = Verifier::from_anchor(0, GENESIS);
        for r in rows {
            v.check(r)?;
        }
        let last = rows.last().map(|r| (r.seq, r.hash.clone()));
        let (seq, hash) = last.unwrap_or((0, GENESIS.to_owned()));
        v.finish(seq, &hash)
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok((5, 5)));
        assert_eq!(verify(&[]), Ok((0, 0)));
    }

    #[test]
    fn a_changed_field_is_found_at_its_row() {
        let mut rows = chain(5);
        rows[2].acting_user = Some("someone-else".into());
        assert_eq!(verify(&rows), Err(Break::Changed { seq: 3 }));
        let mut rows = chain(5);
        rows[1].acting_user = None;
        assert_eq!(verify(&rows), Err(Break::Changed { seq: 2 }));
    }

    #[test]
    fn a_row_rewritten_with_a_fresh_hash_breaks_the_next_link() {
        let mut rows = chain(5);
        rows[2].outcome = "failed".into();
        rows[2].hash = row_hash(&rows[2]);
        assert!(matches!(verify(&rows), Err(Break::Unlinked { seq: 4, .. })));
    }

    #[test]
    fn a_removed_row_is_a_gap_and_a_renumbered_chain_is_unlinked() {
        let mut rows = chain(5);
        rows.remove(1);
        assert_eq!(verify(&rows), Err(Break::Gap { after: 1, next: 3 }));
        let mut rows = chain(5);
        rows.remove(1);
        for (i, r) in rows.iter_mut().enumerate() {
            r.seq = i as i64 + 1;
        }
        assert!(matches!(verify(&rows), Err(Break::Changed { seq: 2 })));
    }

    #[test]
    fn removing_the_newest_rows_disagrees_with_the_head() {
        let rows = chain(5);
        let mut v = Verifier::from_anchor(0, GENESIS);
        for r in &rows[..3] {
            v.check(r).unwrap();
        }
        assert_eq!(
            v.finish(5, &rows[4].hash),
            Err(Break::Head {
                head_seq: 5,
                last_seq: 3
            })
        );
    }
}
