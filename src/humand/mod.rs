//! The Humand Public API: a paced, retried client built from the same layers as HikCentral's.

pub mod client;
pub mod ratelimit;
pub mod readback;

pub use client::{HumandClient, HumandError};
