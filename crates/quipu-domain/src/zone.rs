//! Where a person or a shop lives in time: an IANA time zone, and the local
//! days and clock times a [`Timestamp`] falls on there.
//!
//! The zone database is bundled into the binary (no system files are read),
//! so a zone means the same on every machine that runs the same build.

use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::Timestamp;

/// The longest zone name accepted (the longest IANA name is 32 characters).
const MAX_NAME: usize = 64;

/// An IANA time zone, such as `Asia/Seoul`, known to the bundled database.
#[derive(Clone)]
pub struct Zone {
    tz: TimeZone,
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Zone {}

/// A zone name that names no zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone: use an IANA name such as \"Asia/Seoul\" or \"UTC\"")]
pub struct UnknownZone;

impl Zone {
    pub fn utc() -> Self {
        Self { tz: TimeZone::UTC }
    }

    /// A zone by its IANA name, in any letter case (`asia/seoul` is `Asia/Seoul`). Anything else,
    /// a fixed offset (`+09:00`), a path or an empty name included, is refused.
    pub fn parse(name: &str) -> Result<Self, UnknownZone> {
        let plain = name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'));
        if name.is_empty() || name.len() > MAX_NAME || !plain || name.starts_with('/') || name.contains("..") {
            return Err(UnknownZone);
        }
        let tz = TimeZone::get(name).map_err(|_| UnknownZone)?;
        // Only named zones: a name is what is stored and shown back.
        tz.iana_name().ok_or(UnknownZone)?;
        Ok(Self { tz })
    }

    /// Its canonical IANA name.
    pub fn name(&self) -> &str {
        self.tz.iana_name().unwrap_or("UTC")
    }

    /// The local date and clock time of `at` in this zone; `None` only out of the calendar's range.
    pub fn local(&self, at: Timestamp) -> Option<LocalTime> {
        let instant = jiff::Timestamp::from_microsecond(at.0).ok()?;
        let zoned = instant.to_zoned_datetime(self.tz.clone());
        Some(LocalTime {
            date: LocalDate(zoned.date()),
            hour: zoned.hour().unsigned_abs(),
            minute: zoned.minute().unsigned_abs(),
            utc_offset_seconds: zoned.offset().seconds(),
        })
    }

    /// The local date `at` falls on here.
    pub fn date_of(&self, at: Timestamp) -> Option<LocalDate> {
        self.local(at).map(|local| local.date)
    }

    /// When `date` begins here: its first instant (local midnight, or the first moment after it when a
    /// clock change skips midnight).
    pub fn start_of(&self, date: LocalDate) -> Option<Timestamp> {
        let zoned = date.0.to_zoned_datetime(self.tz.clone()).ok()?;
        Some(Timestamp(zoned.timestamp().as_microsecond()))
    }

    /// The day `date` as `[from, to)`: from its start to the next day's (23 or 25 hours across a
    /// daylight-saving change).
    pub fn day(&self, date: LocalDate) -> Option<(Timestamp, Timestamp)> {
        Some((self.start_of(date)?, self.start_of(date.next()?)?))
    }
}

/// A calendar date, as a person reads it where they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDate(Date);

impl LocalDate {
    pub fn new(year: i16, month: u8, day: u8) -> Option<Self> {
        let month = i8::try_from(month).ok()?;
        let day = i8::try_from(day).ok()?;
        Date::new(year, month, day).ok().map(Self)
    }

    /// `YYYY-MM-DD`, exactly (no sign, no week or ordinal forms).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '-');
        let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
        let digits = |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
        if !(digits(year, 4) && digits(month, 2) && digits(day, 2)) {
            return None;
        }
        Self::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
    }

    pub fn year(self) -> i16 {
        self.0.year()
    }

    /// 1 to 12.
    pub fn month(self) -> u8 {
        self.0.month().unsigned_abs()
    }

    /// 1 to 31.
    pub fn day(self) -> u8 {
        self.0.day().unsigned_abs()
    }

    /// 1 (Monday) to 7 (Sunday).
    pub fn weekday(self) -> u8 {
        self.0.weekday().to_monday_one_offset().unsigned_abs()
    }

    pub fn next(self) -> Option<Self> {
        self.0.tomorrow().ok().map(Self)
    }

    pub fn previous(self) -> Option<Self> {
        self.0.yesterday().ok().map(Self)
    }

    /// Days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Self) -> i64 {
        later.0.since(self.0).map_or(0, |span| i64::from(span.get_days()))
    }
}

impl fmt::Display for LocalDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year(), self.month(), self.day())
    }
}

/// A local date and clock time, to the minute, and the zone's offset from UTC then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub date: LocalDate,
    pub hour: u8,
    pub minute: u8,
    pub utc_offset_seconds: i32,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// 2026-12-06T23:30:00Z.
    const LATE_SUNDAY_UTC: Timestamp = Timestamp(1_796_599_800 * Timestamp::MICROS_PER_SECOND);

    fn zone(name: &str) -> Zone {
        Zone::parse(name).unwrap()
    }

    #[test]
    fn names_are_canonical_and_strangers_refused() {
        assert_eq!(zone("asia/seoul").name(), "Asia/Seoul");
        assert_eq!(zone("UTC").name(), "UTC");
        assert_eq!(zone("America/New_York"), zone("AMERICA/NEW_YORK"));
        for bad in ["", "Mars/Olympus", "+09:00", "../../etc/passwd", "/etc/localtime", "Asia/Seoul ", "Asia\0Seoul"] {
            assert_eq!(Zone::parse(bad), Err(UnknownZone), "{bad:?}");
        }
        assert!(Zone::parse(&"A".repeat(65)).is_err());
    }

    #[test]
    fn late_evening_in_utc_is_tomorrow_in_seoul() {
        let seoul = zone("Asia/Seoul").local(LATE_SUNDAY_UTC).unwrap();
        assert_eq!((seoul.date.to_string(), seoul.hour, seoul.minute), ("2026-12-07".to_owned(), 8, 30));
        assert_eq!(seoul.utc_offset_seconds, 9 * 3600);
        let utc = Zone::utc().local(LATE_SUNDAY_UTC).unwrap();
        assert_eq!((utc.date.to_string(), utc.hour), ("2026-12-06".to_owned(), 23));
    }

    #[test]
    fn a_seoul_day_starts_at_fifteen_hundred_utc_the_day_before() {
        let seoul = zone("Asia/Seoul");
        let (from, to) = seoul.day(LocalDate::parse("2026-12-07").unwrap()).unwrap();
        assert_eq!(from, Timestamp(1_796_569_200 * Timestamp::MICROS_PER_SECOND)); // 2026-12-06T15:00Z
        assert!(from <= LATE_SUNDAY_UTC && LATE_SUNDAY_UTC < to);
        assert_eq!(to.0 - from.0, 24 * 3600 * Timestamp::MICROS_PER_SECOND);
    }

    #[test]
    fn daylight_saving_days_are_23_and_25_hours_long() {
        let new_york = zone("America/New_York");
        let hours = |date: &str| {
            let (from, to) = new_york.day(LocalDate::parse(date).unwrap()).unwrap();
            (to.0 - from.0) / (3600 * Timestamp::MICROS_PER_SECOND)
        };
        assert_eq!((hours("2026-03-08"), hours("2026-11-01"), hours("2026-11-02")), (23, 25, 24));
        // 2026-03-08T06:59:59Z is 01:59:59 EST; a second later it is 03:00 EDT.
        let before = new_york.local(Timestamp(1_772_953_199 * Timestamp::MICROS_PER_SECOND)).unwrap();
        let after = new_york.local(Timestamp(1_772_953_200 * Timestamp::MICROS_PER_SECOND)).unwrap();
        assert_eq!((before.hour, before.minute, before.utc_offset_seconds), (1, 59, -5 * 3600));
        assert_eq!((after.hour, after.minute, after.utc_offset_seconds), (3, 0, -4 * 3600));
    }

    #[test]
    fn dates_parse_strictly_and_count_days() {
        for bad in ["2026-02-30", "26-02-01", "2026-2-01", "2026-02-01x", "", "yesterday", "+2026-02-01"] {
            assert_eq!(LocalDate::parse(bad), None, "{bad}");
        }
        let first = LocalDate::parse("2026-02-28").unwrap();
        assert_eq!(first.next().unwrap().to_string(), "2026-03-01");
        assert_eq!(first.days_until(LocalDate::parse("2026-05-29").unwrap()), 90);
        assert_eq!(first.previous().unwrap().to_string(), "2026-02-27");
    }
}
