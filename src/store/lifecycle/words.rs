//! The words of the lifecycle: a run's state and kind, an action's kind and state.

use crate::store::words::stored_words;

stored_words! {
    /// Where a lifecycle run stands.
    pub enum RunState, unknown: UnknownRunState {
        /// Reading the roster and HikCentral, deciding each person's action.
        Planning = "planning",
        /// A plan, waiting for an operator to apply or discard it.
        Planned = "planned",
        /// A plan past a guardrail, waiting for an administrator's approval.
        Held = "held",
        /// Being applied, action by action (resumed here after a restart).
        Applying = "applying",
        /// Every action done or failed.
        Applied = "applied",
        /// Stopped by an error that is not about one person (the roster, HikCentral's list).
        Failed = "failed",
        /// Discarded or cancelled by an operator.
        Cancelled = "cancelled",
    }
}

stored_words! {
    /// Why a run exists.
    pub enum RunKind, unknown: UnknownRunKind {
        OnDemand = "on_demand",
        Scheduled = "scheduled",
        /// An erasure request: one person revoked and erased now.
        Erasure = "erasure",
    }
}

stored_words! {
    /// What a run does to one person.
    pub enum ActionKind, unknown: UnknownActionKind {
        /// On the roster, not in HikCentral: registered as the frontend would.
        Register = "register",
        /// SIAD's photo differs from the one sent: the face is replaced.
        RefreshFace = "refresh_face",
        /// Name, e-mail or organisation differ: the record is rewritten (cards kept).
        RefreshPerson = "refresh_person",
        /// Off the roster: validity ended, out of the access levels, re-applied.
        Revoke = "revoke",
        /// Revoked, on the roster again: validity and access levels back, re-applied.
        Restore = "restore",
        /// Revoked long enough (or on request): deleted in HikCentral, local data removed.
        Erase = "erase",
        /// In HikCentral, not from SIAD: reported, never changed.
        Unmanaged = "unmanaged",
        /// Nothing done, and why (exempt, a roster part unusable, in its grace, no photo …).
        Skip = "skip",
    }
}

impl ActionKind {
    /// Whether applying it changes HikCentral (the others are only reported).
    pub fn acts(self) -> bool {
        !matches!(self, ActionKind::Unmanaged | ActionKind::Skip)
    }
}

stored_words! {
    /// Where one action stands.
    pub enum ActionState, unknown: UnknownActionState {
        Pending = "pending",
        Done = "done",
        Failed = "failed",
        /// Not applied: the run was cancelled first.
        Cancelled = "cancelled",
        /// Only reported (unmanaged, skip).
        Reported = "reported",
    }
}
