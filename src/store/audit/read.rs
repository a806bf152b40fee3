//! Reading the audit log: filtered pages (newest first), the whole chain checked in order, and
//! retention, which moves the anchor before it removes anything.

use super::chain::{AuditRow, Break, Verifier};
use super::{append, now_ms, Actor, AuditAction, AuditOutcome, AuditRecord};
use crate::store::{Store, StoreError};

/// Which rows to list. Every field narrows; `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// The client's name or the acting user.
    pub actor: Option<String>,
    /// An action word, or a prefix ending in `*` (`person_*`).
    pub action: Option<String>,
    pub target_kind: Option<String>,
    pub target: Option<String>,
    pub outcome: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Only rows older than this sequence number (the next page).
    pub before_seq: Option<i64>,
}

const COLUMNS: &str = "seq, at_ms, client, acting_user, scope, action, target_kind, target, \
                       outcome, request_id, remote_addr, detail, prev_hash, hash";

/// Rows read per round when the whole chain is walked.
const VERIFY_PAGE: i64 = 2000;

/// The chain as checked: how many rows, from which anchor to which head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub rows: u64,
    pub anchor_seq: i64,
    pub head_seq: i64,
    pub head_hash: String,
}

/// `LIKE` pattern text with its wildcards escaped (`\` is the escape character).
fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl Store {
    /// The newest rows matching `filter`, at most `limit`, newest first.
    pub async fn audit_rows(
        &self,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let mut conditions: Vec<String> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        let mut numbers: Vec<i64> = Vec::new();
        // Texts are bound first ($1 …), numbers after them.
        if let Some(actor) = &filter.actor {
            texts.push(actor.clone());
            let n = texts.len();
            conditions.push(format!("(client = ${n} OR acting_user = ${n})"));
        }
        if let Some(action) = &filter.action {
            match action.strip_suffix('*') {
                Some(prefix) => {
                    texts.push(format!("{}%", like_literal(prefix)));
                    conditions.push(format!("action LIKE ${} ESCAPE '\\'", texts.len()));
                }
                None => {
                    texts.push(action.clone());
                    conditions.push(format!("action = ${}", texts.len()));
                }
            }
        }
        if let Some(kind) = &filter.target_kind {
            texts.push(kind.clone());
            conditions.push(format!("target_kind = ${}", texts.len()));
        }
        if let Some(target) = &filter.target {
            texts.push(target.clone());
            conditions.push(format!("target = ${}", texts.len()));
        }
        if let Some(outcome) = &filter.outcome {
            texts.push(outcome.clone());
            conditions.push(format!("outcome = ${}", texts.len()));
        }
        let mut number = |column_op: &str, v: Option<i64>| {
            if let Some(v) = v {
                numbers.push(v);
                conditions.push(format!("{column_op} ${}", texts.len() + numbers.len()));
            }
        };
        number("at_ms >=", filter.since_ms);
        number("at_ms <", filter.until_ms);
        number("seq <", filter.before_seq);
        numbers.push(limit.clamp(1, 10_000));
        let limit_at = texts.len() + numbers.len();
        let where_clause = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log {where_clause} ORDER BY seq DESC LIMIT ${limit_at}"
        );
        let mut query = sqlx::query_as::<_, AuditRow>(&sql);
        for t in texts {
            query = query.bind(t);
        }
        for n in numbers {
            query = query.bind(n);
        }
        Ok(query.fetch_all(self.pool()).await?)
    }

    /// Walk the whole chain from the retention anchor to the head; the first break is the
    /// error. Rows appended while it runs are left for the next check.
    pub async fn verify_audit(&self) -> Result<Result<Verified, Break>, StoreError> {
        let (head_seq, head_hash, anchor_seq, anchor_hash): (i64, String, i64, String) =
            sqlx::query_as(
                "SELECT seq, hash, anchor_seq, anchor_hash FROM audit_head WHERE id = 1",
            )
            .fetch_one(self.pool())
            .await?;
        let mut verifier = Verifier::from_anchor(anchor_seq, &anchor_hash);
        let mut after = anchor_seq;
        loop {
            let rows: Vec<AuditRow> = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 AND seq <= $2 \
                 ORDER BY seq LIMIT $3"
            ))
            .bind(after)
            .bind(head_seq.max(after))
            .bind(VERIFY_PAGE)
            .fetch_all(self.pool())
            .await?;
            let Some(last) = rows.last().map(|r| r.seq) else {
                break;
            };
            for row in &rows {
                if let Err(b) = verifier.check(row) {
                    return Ok(Err(b));
                }
            }
            after = last;
        }
        Ok(verifier
            .finish(head_seq, &head_hash)
            .map(|(rows, _)| Verified {
                rows,
                anchor_seq,
                head_seq,
                head_hash: head_hash.clone(),
            }))
    }

    /// Remove the rows older than `before_ms`: the anchor moves to the newest of them first
    /// (so the chain stays verifiable from the oldest row kept), and the removal is itself
    /// recorded. Returns how many rows were removed.
    pub async fn prune_audit(&self, before_ms: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = async {
            let last: Option<(i64, String)> = sqlx::query_as(
                "SELECT seq, hash FROM audit_log WHERE seq = \
                 (SELECT MAX(seq) FROM audit_log WHERE at_ms < $1)",
            )
            .bind(before_ms)
            .fetch_optional(tx.conn())
            .await?;
            let Some((seq, hash)) = last else {
                return Ok(0);
            };
            sqlx::query("UPDATE audit_head SET anchor_seq = $1, anchor_hash = $2 WHERE id = 1")
                .bind(seq)
                .bind(&hash)
                .execute(tx.conn())
                .await?;
            let removed = sqlx::query("DELETE FROM audit_log WHERE seq <= $1")
                .bind(seq)
                .execute(tx.conn())
                .await?
                .rows_affected();
            let detail = format!(
                "removed {removed} rows through row {seq} (retention.audit_days); the chain now starts after row {seq}"
            );
            append(
                &mut tx,
                &Actor::service(),
                &AuditRecord {
                    action: AuditAction::AuditPrune,
                    target_kind: "audit",
                    target: "",
                    outcome: AuditOutcome::Ok,
                    detail: &detail,
                },
                now_ms(),
            )
            .await?;
            Ok(removed)
        }
        .await;
        tx.finish(done).await
    }
}

#[cfg(test)]
mod tests {
    use super::like_literal;

    #[test]
    fn like_wildcards_in_a_prefix_are_literal() {
        assert_eq!(like_literal("person_"), "person\\_");
        assert_eq!(like_literal("50%"), "50\\%");
    }
}
