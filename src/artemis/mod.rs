//! The HikCentral Professional OpenAPI ("Artemis"): signing, wire model and the signed client.

pub mod client;
pub mod model;
pub mod sign;
pub mod signer;
pub mod subscriptions;

pub use client::{ArtemisClient, ArtemisError};
