//! The states of an event in the inbox, typed; the store keeps them as their lowercase words.

use super::words::stored_words;

stored_words! {
    /// Where an access event stands on its way to a decision.
    pub enum EventState, unknown: UnknownEventState {
        /// Stored, waiting for the decider.
        New = "new",
        /// Happened in the future (a clock ahead): decided once its time has come.
        Held = "held",
        /// Decided: a punch, or skipped with a reason.
        Decided = "decided",
        /// Needs an operator (an unknown employee, a rule that parks).
        Parked = "parked",
        /// Well formed, but its time is outside `events.accept_past_hours` /
        /// `accept_future_secs`: the decider never takes it; an operator may admit it (→ new).
        OutOfWindow = "out_of_window",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_from_its_stored_word() {
        for &state in EventState::ALL {
            assert_eq!(state.as_str().parse::<EventState>(), Ok(state));
            assert_eq!(
                serde_json::to_value(state).ok(),
                Some(serde_json::Value::from(state.as_str()))
            );
        }
        assert!("done".parse::<EventState>().is_err());
    }
}
