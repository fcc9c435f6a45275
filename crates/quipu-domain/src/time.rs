//! Time as the domain sees it: microseconds since the Unix epoch.
//!
//! Microseconds, not nanoseconds, so values survive a trip through
//! JavaScript's 53-bit integers and map 1:1 onto PostgreSQL timestamps.

use serde::{Deserialize, Serialize};

/// Microseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const MICROS_PER_SECOND: i64 = 1_000_000;

    /// `self + seconds`, saturating: a far-future deadline is still a deadline.
    pub fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds.saturating_mul(Self::MICROS_PER_SECOND)))
    }

    /// Whole seconds from `earlier` to `self`; zero when `earlier` is not earlier.
    pub fn seconds_since(self, earlier: Timestamp) -> u64 {
        u64::try_from(self.0.saturating_sub(earlier.0) / Self::MICROS_PER_SECOND).unwrap_or(0)
    }

    /// The next representable instant; used to keep ledger timestamps strictly increasing.
    pub fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }
}
