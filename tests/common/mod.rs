//! Helpers shared by the integration tests. Each test binary uses only some of them.
#![allow(dead_code)]

pub mod app;
pub mod db;
pub mod upstreams;
