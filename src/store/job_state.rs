//! The states of a bulk sync job, typed; the store keeps them as their lowercase words.

use super::words::stored_words;

stored_words! {
    /// Where a bulk sync job stands.
    pub enum JobState, unknown: UnknownJobState {
        /// Created, waiting for the job runner.
        Queued = "queued",
        /// Being worked on, one person at a time (resumed here after a restart).
        Running = "running",
        /// Every person processed.
        Done = "done",
        /// Stopped by an operator between two persons.
        Cancelled = "cancelled",
        /// Stopped by an error that is not about one person.
        Failed = "failed",
    }
}

impl JobState {
    /// The job has ended and will not change again.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobState::Done | JobState::Cancelled | JobState::Failed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_done_cancelled_and_failed_are_finished() {
        let finished: Vec<JobState> = JobState::ALL
            .iter()
            .copied()
            .filter(|s| s.is_finished())
            .collect();
        assert_eq!(
            finished,
            [JobState::Done, JobState::Cancelled, JobState::Failed]
        );
        for &state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>(), Ok(state));
            assert_eq!(
                serde_json::to_value(state).ok(),
                Some(serde_json::Value::from(state.as_str()))
            );
        }
    }
}
