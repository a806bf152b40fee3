//! The states of a punch in the outbox, typed; the store keeps them as their lowercase words.

use crate::store::words::stored_words;

stored_words! {
    /// Where a punch stands on its way to Humand.
    pub enum PunchState, unknown: UnknownPunchState {
        /// Waiting for its turn (or its next attempt).
        Queued = "queued",
        /// Sent (or about to be) with no recorded outcome: checked against Humand before
        /// resending.
        Sending = "sending",
        /// Held back for an operator, with `park_reason`.
        Parked = "parked",
        /// Humand holds it.
        Delivered = "delivered",
        /// Decided while delivery runs dry: the request was recorded, not sent.
        DryRun = "dry_run",
        /// Dropped by an operator; never sent.
        Discarded = "discarded",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_from_its_stored_word_and_its_json() {
        assert_eq!(PunchState::ALL.len(), 6);
        for &state in PunchState::ALL {
            assert_eq!(state.as_str().parse::<PunchState>(), Ok(state));
            assert_eq!(
                serde_json::to_value(state).ok(),
                Some(serde_json::Value::from(state.as_str()))
            );
        }
        assert_eq!(PunchState::DryRun, "dry_run");
        let unknown = "Queued".parse::<PunchState>();
        assert_eq!(unknown, Err(UnknownPunchState("Queued".into())));
        let message = unknown.map_err(|e| e.to_string()).err().unwrap_or_default();
        assert!(message.contains("queued, sending, parked"), "{message}");
    }
}
