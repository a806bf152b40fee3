//! Durations in settings. Each key names its unit (`_ms`, `_secs`, `_hours`, `_days`) and holds a
//! whole number, as operators write it; the typed setting is a [`Duration`], so nothing after
//! loading converts units again. Used as `#[serde(rename = "timeout_ms", with = "millis")]`.
//!
//! The number's type (a whole number ≥ 0) is checked with every other key's before this runs
//! (`keys::check_types`), so the only error left here is serde's own. Hours and days saturate
//! instead of overflowing: `u64::MAX` hours is "forever", which every user of these settings
//! already treats as such.

use serde::{Deserialize, Deserializer};
use std::time::Duration;

fn whole<'de, D: Deserializer<'de>>(d: D, seconds_per_unit: u64) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(|n| Duration::from_secs(n.saturating_mul(seconds_per_unit)))
}

pub(super) mod millis {
    use super::*;
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

pub(super) mod secs {
    use super::*;
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        whole(d, 1)
    }
}

pub(super) mod hours {
    use super::*;
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        whole(d, 3600)
    }
}

pub(super) mod days {
    use super::*;
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        whole(d, 86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::value::{Error, U64Deserializer};
    use serde::de::IntoDeserializer;

    fn number(n: u64) -> U64Deserializer<Error> {
        n.into_deserializer()
    }

    #[test]
    fn each_unit_reads_its_number_and_large_ones_saturate() {
        assert_eq!(
            millis::deserialize(number(1500)),
            Ok(Duration::from_millis(1500))
        );
        assert_eq!(secs::deserialize(number(90)), Ok(Duration::from_secs(90)));
        assert_eq!(hours::deserialize(number(2)), Ok(Duration::from_secs(7200)));
        assert_eq!(
            days::deserialize(number(3)),
            Ok(Duration::from_secs(259_200))
        );
        assert_eq!(
            hours::deserialize(number(u64::MAX)),
            Ok(Duration::from_secs(u64::MAX))
        );
    }
}
