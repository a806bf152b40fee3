//! Settings for the people who run the service: where `/metrics` is served (`[metrics]`) and
//! who is told when something needs them (`[alerts]`).

use serde::{Deserialize, Deserializer};
use std::net::SocketAddr;

#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    /// Serve `/metrics` on this separate address only (e.g. `127.0.0.1:9100`); `None` (an
    /// empty string in the file) = on the main listener next to the API.
    #[serde(deserialize_with = "optional_address")]
    pub listen: Option<SocketAddr>,
}

/// `""` → `None`; otherwise an `address:port`.
pub(crate) fn optional_address<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<SocketAddr>, D::Error> {
    let text = String::deserialize(d)?;
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "{text:?} is not an address:port (e.g. \"127.0.0.1:9100\"; empty for none)"
        ))
    })
}
