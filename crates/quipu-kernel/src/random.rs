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

/// Mints server ids: UUIDv7s from the injected clock and randomness that
/// increase strictly within a process, even within one millisecond (as
/// `Uuid::now_v7` does), so records made one after another, such as a
/// merchant's accounts in currency order, sort in the order they were made.
#[derive(Debug, Default)]
pub struct Ids {
    last: std::sync::Mutex<u128>,
}

/// The 62 random bits at the end of a UUIDv7, which a repeat within one
/// millisecond counts up from.
const COUNTER_BITS: u128 = (1 << 62) - 1;

impl Ids {
    pub fn next(&self, clock: &dyn Clock, random: &dyn Random) -> Uuid {
        let millis = u64::try_from(clock.now().0 / 1_000).unwrap_or(0);
        let fresh = v7(millis, random);
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let id = if fresh > *last {
            fresh
        } else if *last & COUNTER_BITS != COUNTER_BITS {
            *last + 1
        } else {
            // The counter ran out within one millisecond: borrow the next one, as uuid's ContextV7 does.
            let last_millis = u64::try_from(*last >> 80).unwrap_or(u64::MAX);
            v7(last_millis.saturating_add(1), random)
        };
        *last = id;
        Uuid::from_u128(id)
    }
}

fn v7(millis: u64, random: &dyn Random) -> u128 {
    uuid::Builder::from_unix_timestamp_millis(millis, &bytes::<10>(random)).into_uuid().as_u128()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_7_and_increase_within_a_millisecond() {
        let ids = Ids::default();
        let clock = crate::clock::OffsetClock::default();
        let minted: Vec<Uuid> = (0..1_000).map(|_| ids.next(&clock, &OsRandom)).collect();
        assert!(minted.iter().all(|id| id.get_version_num() == 7));
        assert!(minted.windows(2).all(|pair| pair[0] < pair[1]), "ids increase strictly");
        assert!(in_range(&OsRandom, 1..=9) >= 1);
    }

    struct Epoch;

    impl Clock for Epoch {
        fn now(&self) -> quipu_domain::Timestamp {
            quipu_domain::Timestamp(0)
        }
    }

    #[test]
    fn a_spent_counter_moves_to_the_next_millisecond() {
        let ids = Ids::default();
        let spent = uuid::Builder::from_unix_timestamp_millis(5_000, &[0xff; 10]).into_uuid().as_u128();
        assert_eq!(spent & COUNTER_BITS, COUNTER_BITS);
        *ids.last.lock().unwrap() = spent;
        let id = ids.next(&Epoch, &OsRandom);
        assert_eq!(id.as_u128() >> 80, 5_001, "the next millisecond");
        assert_eq!(id.get_version_num(), 7);
        assert!(id.as_u128() > spent);
    }
}
