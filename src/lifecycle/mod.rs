//! Keeping HikCentral current with SIAD: who may enter now (the roster), who is in HikCentral
//! (the census), one action per person (the plan: register, refresh, revoke, restore, erase),
//! guarded against a wrong roster, then applied step by step with every change recorded.

pub mod plan;
