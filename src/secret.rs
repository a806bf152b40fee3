//! A string that must never be printed: `Debug` and `Display` redact it.

use serde::{Deserialize, Deserializer};
use std::fmt;

/// A credential (AppSecret, API key, password, bearer token). Read it with [`Secret::expose`]
/// only where it is used; every formatting path prints `[redacted]`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("Secret(<empty>)")
        } else {
            f.write_str("Secret([redacted])")
        }
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("Zq8n2kQpX3vL9mTz");
        assert!(!format!("{s:?}").contains("Zq8n"));
        assert!(!format!("{s}").contains("Zq8n"));
        assert!(!format!("{:#?}", vec![s.clone()]).contains("Zq8n"));
        assert_eq!(s.expose(), "Zq8n2kQpX3vL9mTz");
    }
}
