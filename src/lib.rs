//! hikbridge: SIAD → HikCentral person sync and HikCentral → Humand time tracking.
//!
//! `docs/architecture.md` explains how the modules fit together.

pub mod alerts;
pub mod announce;
pub mod app;
pub mod artemis;
pub mod attendance;
#[cfg(feature = "sim")]
pub mod bench;
pub mod cli;
pub mod config;
#[cfg(feature = "sim")]
pub mod demo;
pub mod error;
pub mod http;
pub mod humand;
pub mod i18n;
pub mod lifecycle;
pub mod metrics;
pub mod percent;
pub mod person_sync;
pub mod photo;
pub mod procstat;
pub mod secret;
pub mod siad;
#[cfg(feature = "sim")]
pub mod sim;
mod splitmix;
pub mod status;
pub mod store;
pub mod telemetry;
pub mod upstream;
pub mod workers;
