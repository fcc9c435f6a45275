//! What a courier's position may say. Positions are not money: a bad one is refused, an old one
//! replayed after signal returns is skipped, and the trail keeps only points far enough apart to
//! draw the way taken. Pure; the caller hands in the last fix it stored.

use crate::Timestamp;
use crate::delivery::Vehicle;
use crate::delivery::dispatch::minutes_for;
use crate::market::storefront::Coordinates;

/// Most fixes one request may carry (a phone that was out of signal sends what it kept).
pub const MAX_FIXES_PER_BATCH: usize = 60;
/// The fastest a courier can move, in metres per second (250 km/h): anything faster is a bad fix.
pub const MAX_SPEED_MPS: u32 = 70;
/// How far ahead of the server's clock a phone's clock may run.
pub const MAX_FUTURE_SECONDS: i64 = 60;
/// The oldest fix taken: an hour covers a long stretch without signal.
pub const MAX_FIX_AGE_SECONDS: i64 = 60 * 60;
/// The trail keeps a point this far from the last kept one, or this long after it.
pub const TRAIL_METRES: u32 = 50;
pub const TRAIL_SECONDS: u64 = 60;
/// A position older than this is not shown as where the courier is.
pub const STALE_SECONDS: u64 = 120;

/// A position the courier's phone took at a moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    pub at: Timestamp,
    pub point: Coordinates,
}

/// Why a fix was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FixError {
    #[error("a position cannot be from the future")]
    FromTheFuture,
    #[error("a position more than an hour old is not kept")]
    TooOld,
    #[error("a position {metres} m from the last one {seconds} s earlier is faster than anyone travels")]
    Jump { metres: u32, seconds: u64 },
}

/// What to do with a fix that passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixUse {
    /// It is newer than the last: it becomes the last position.
    Newest,
    /// It is no newer than the last one kept (a batch sent twice): skipped.
    Skipped,
}

/// Checks `fix` against the server's clock and the last fix kept for the job.
pub fn check_fix(last: Option<Fix>, fix: Fix, now: Timestamp) -> Result<FixUse, FixError> {
    if fix.at > now.plus_seconds(MAX_FUTURE_SECONDS) {
        return Err(FixError::FromTheFuture);
    }
    if fix.at < now.plus_seconds(-MAX_FIX_AGE_SECONDS) {
        return Err(FixError::TooOld);
    }
    let Some(last) = last else { return Ok(FixUse::Newest) };
    if fix.at <= last.at {
        return Ok(FixUse::Skipped);
    }
    let metres = last.point.metres_to(fix.point);
    let seconds = fix.at.seconds_since(last.at).max(1);
    if u64::from(metres) > seconds.saturating_mul(u64::from(MAX_SPEED_MPS)) {
        return Err(FixError::Jump { metres, seconds });
    }
    Ok(FixUse::Newest)
}

/// Whether `fix` joins the trail after `last_kept`: the way taken, not every step of it.
pub fn joins_trail(last_kept: Option<Fix>, fix: Fix) -> bool {
    last_kept.is_none_or(|kept| {
        kept.point.metres_to(fix.point) >= TRAIL_METRES || fix.at.seconds_since(kept.at) >= TRAIL_SECONDS
    })
}

/// How far the courier is from where they are going, and about when they arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    pub metres: u32,
    pub minutes: u32,
}

/// The arrival from the courier's last fix, or `None` when the fix is stale (the page then shows
/// the step alone) or either point is unknown.
pub fn arrival(
    last: Option<Fix>,
    destination: Option<Coordinates>,
    vehicle: Vehicle,
    now: Timestamp,
) -> Option<Arrival> {
    let (fix, destination) = last.zip(destination)?;
    if now.seconds_since(fix.at) > STALE_SECONDS {
        return None;
    }
    let metres = fix.point.metres_to(destination);
    Some(Arrival { metres, minutes: minutes_for(vehicle, metres) })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn fix(seconds: i64, latitude: f64) -> Fix {
        Fix { at: Timestamp(0).plus_seconds(1_000_000 + seconds), point: Coordinates::new(latitude, 127.0).unwrap() }
    }

    fn now() -> Timestamp {
        Timestamp(0).plus_seconds(1_000_000)
    }

    #[test]
    fn a_first_fix_and_a_plausible_move_are_kept_and_replays_skipped() {
        assert_eq!(check_fix(None, fix(0, 37.5), now()), Ok(FixUse::Newest));
        // About 111 m in 15 s.
        assert_eq!(check_fix(Some(fix(-15, 37.5)), fix(0, 37.501), now()), Ok(FixUse::Newest));
        assert_eq!(check_fix(Some(fix(0, 37.5)), fix(0, 37.5), now()), Ok(FixUse::Skipped));
        assert_eq!(check_fix(Some(fix(0, 37.5)), fix(-30, 37.5), now()), Ok(FixUse::Skipped));
    }

    #[test]
    fn jumps_and_clocks_off_are_refused() {
        // 500 km in a second.
        let jump = check_fix(Some(fix(-1, 37.5)), fix(0, 42.0), now());
        assert!(matches!(jump, Err(FixError::Jump { seconds: 1, .. })), "{jump:?}");
        assert_eq!(check_fix(None, fix(MAX_FUTURE_SECONDS + 1, 37.5), now()), Err(FixError::FromTheFuture));
        assert_eq!(check_fix(None, fix(-MAX_FIX_AGE_SECONDS - 1, 37.5), now()), Err(FixError::TooOld));
    }

    #[test]
    fn the_trail_keeps_points_apart_in_space_or_time() {
        assert!(joins_trail(None, fix(0, 37.5)));
        assert!(!joins_trail(Some(fix(0, 37.5)), fix(15, 37.5001)));
        assert!(joins_trail(Some(fix(0, 37.5)), fix(15, 37.501)));
        assert!(joins_trail(Some(fix(0, 37.5)), fix(60, 37.5)));
    }

    #[test]
    fn arrival_is_shown_only_from_a_fresh_fix() {
        let door = Some(Coordinates::new(37.51, 127.0).unwrap());
        let fresh = arrival(Some(fix(-10, 37.5)), door, Vehicle::Motorbike, now()).unwrap();
        assert!((1_100..1_130).contains(&fresh.metres), "{fresh:?}");
        assert_eq!(fresh.minutes, 2);
        assert_eq!(arrival(Some(fix(-121, 37.5)), door, Vehicle::Motorbike, now()), None);
        assert_eq!(arrival(None, door, Vehicle::Motorbike, now()), None);
    }
}
