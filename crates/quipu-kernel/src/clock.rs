//! Injected time. Services never read the system clock directly, so tests
//! can move time forward (expire a hold, end a PIN lock) without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use quipu_domain::Timestamp;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX));
        Timestamp(micros)
    }
}

/// A clock that runs at real speed plus an adjustable offset: tests jump
/// forward in time while ordering between real events is preserved.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset_micros: AtomicI64,
}

impl OffsetClock {
    pub fn advance_seconds(&self, seconds: i64) {
        self.offset_micros.fetch_add(seconds.saturating_mul(Timestamp::MICROS_PER_SECOND), Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> Timestamp {
        let real = SystemClock.now();
        Timestamp(real.0.saturating_add(self.offset_micros.load(Ordering::SeqCst)))
    }
}
