//! Injected randomness, like the clock: ids, secrets, card numbers and salts
//! all draw from a [`Random`], so a test can make them repeatable.

use rand::RngCore;
use rand::rngs::OsRng;
use uuid::Uuid;

use crate::clock::Clock;

pub trait Random: Send + Sync + 'static {
    fn fill(&self, bytes: &mut [u8]);
}

/// The operating system's generator: what production uses.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, bytes: &mut [u8]) {
        OsRng.fill_bytes(bytes);
    }
}

/// A [`Random`] seen as a `rand` generator, for uniform ranges.
pub struct Draw<'a>(pub &'a dyn Random);

impl RngCore for Draw<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut bytes = [0; 4];
        self.0.fill(&mut bytes);
        u32::from_le_bytes(bytes)
    }

    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0; 8];
        self.0.fill(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.0.fill(dest);
        Ok(())
    }
}

/// `N` random bytes.
pub fn bytes<const N: usize>(random: &dyn Random) -> [u8; N] {
    let mut bytes = [0; N];
    random.fill(&mut bytes);
    bytes
}

/// `n` random bytes as lowercase hex.
pub fn hex(random: &dyn Random, n: usize) -> String {
    let mut buffer = vec![0u8; n];
    random.fill(&mut buffer);
    ::hex::encode(buffer)
}

/// A uniform draw from `range`.
pub fn in_range(random: &dyn Random, range: std::ops::RangeInclusive<u32>) -> u32 {
    rand::Rng::gen_range(&mut Draw(random), range)
}

/// A new server-minted id: a UUIDv7 from the injected clock and randomness,
/// so ids sort by when they were made.
pub fn new_id(clock: &dyn Clock, random: &dyn Random) -> Uuid {
    let millis = u64::try_from(clock.now().0 / 1_000).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &bytes::<10>(random)).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;

    #[test]
    fn ids_are_version_7_and_distinct() {
        let (a, b) = (new_id(&SystemClock, &OsRandom), new_id(&SystemClock, &OsRandom));
        assert_eq!(a.get_version_num(), 7);
        assert_ne!(a, b);
        assert!(in_range(&OsRandom, 1..=9) >= 1);
    }
}
