//! A seller's shopfront as rules: what kind of shop it is, where it stands, when it is open, and
//! on what terms it delivers. Time is passed in; nothing here reads a clock.

use crate::ledger::string_enum;
use crate::zone::{LocalDate, Zone};
use crate::{Amount, Timestamp};

string_enum!(
    /// What a seller sells, for browsing and for the rules that differ (a pharmacy's checks).
    SellerKind {
        Grocery => "grocery",
        Household => "household",
        Pharmacy => "pharmacy",
        Restaurant => "restaurant",
    }
);

string_enum!(
    /// What a shop does with goods a courier brings back because nobody took them at the door:
    /// `refund` gives the customer their money back (the shop pays the courier's fee, and sells
    /// the goods again); `charge` keeps it (a cooked meal cannot be sold again).
    ReturnedGoods {
        Refund => "refund",
        Charge => "charge",
    }
);

impl SellerKind {
    /// The kind's stated policy for goods brought back, shown on its shopfront before checkout.
    pub fn returned_goods(self) -> ReturnedGoods {
        match self {
            SellerKind::Restaurant => ReturnedGoods::Charge,
            SellerKind::Grocery | SellerKind::Household | SellerKind::Pharmacy => ReturnedGoods::Refund,
        }
    }
}

/// A point on Earth, from a phone's location or a shop's address.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinates {
    latitude: f64,
    longitude: f64,
}

/// Mean Earth radius, in metres (what the haversine formula assumes).
const EARTH_RADIUS_METRES: f64 = 6_371_000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a location is a latitude from -90 to 90 and a longitude from -180 to 180")]
pub struct BadCoordinates;

impl Coordinates {
    /// Refuses NaN, infinities and anything off the globe.
    pub fn new(latitude: f64, longitude: f64) -> Result<Self, BadCoordinates> {
        let on_globe = (-90.0..=90.0).contains(&latitude) && (-180.0..=180.0).contains(&longitude);
        if on_globe { Ok(Self { latitude, longitude }) } else { Err(BadCoordinates) }
    }

    pub fn latitude(self) -> f64 {
        self.latitude
    }

    pub fn longitude(self) -> f64 {
        self.longitude
    }

    /// Great-circle distance in whole metres (haversine): good to well under 1% at a town's scale.
    pub fn metres_to(self, other: Coordinates) -> u32 {
        let (lat1, lat2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.longitude - self.longitude).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        let metres = 2.0 * EARTH_RADIUS_METRES * a.sqrt().min(1.0).asin();
        // At most half the Earth's circumference (~20,000 km), which fits a u32 of metres.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let whole = metres.round() as u32;
        whole
    }
}

/// Minutes since local midnight: 0 to 1440.
pub type DayMinute = u16;
const MINUTES_PER_DAY: DayMinute = 24 * 60;
/// Most opening periods on one weekday (a lunch break makes two).
pub const MAX_PERIODS_PER_DAY: usize = 4;
/// Most closure dates kept ahead.
pub const MAX_CLOSURES: usize = 100;

/// One opening period on a weekday: `opens` to `closes`; a `closes` at or before `opens` runs past
/// midnight into the next day (a restaurant open 17:00–02:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub opens: DayMinute,
    pub closes: DayMinute,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    #[error("opening hours are periods such as 09:00-18:00, at most 4 a day, separated by commas")]
    Period,
    #[error("at most 100 closure dates")]
    TooManyClosures,
}

impl Period {
    /// `HH:MM-HH:MM`, 24-hour clock; `24:00` closes at midnight.
    pub fn parse(text: &str) -> Result<Self, HoursError> {
        let (opens, closes) = text.trim().split_once('-').ok_or(HoursError::Period)?;
        let (opens, closes) = (clock(opens)?, clock(closes)?);
        if opens == closes || opens >= MINUTES_PER_DAY {
            return Err(HoursError::Period);
        }
        Ok(Self { opens, closes })
    }

    fn crosses_midnight(self) -> bool {
        self.closes <= self.opens
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (oh, om, ch, cm) = (self.opens / 60, self.opens % 60, self.closes / 60, self.closes % 60);
        write!(f, "{oh:02}:{om:02}-{ch:02}:{cm:02}")
    }
}

fn clock(text: &str) -> Result<DayMinute, HoursError> {
    let (hours, minutes) = text.trim().split_once(':').ok_or(HoursError::Period)?;
    let digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(hours) || !digits(minutes) {
        return Err(HoursError::Period);
    }
    let (hours, minutes): (u16, u16) =
        (hours.parse().map_err(|_| HoursError::Period)?, minutes.parse().map_err(|_| HoursError::Period)?);
    if minutes >= 60 || hours > 24 || (hours == 24 && minutes != 0) {
        return Err(HoursError::Period);
    }
    Ok(day_minute(hours, minutes))
}

/// Saturating, though a clock time never comes near `u16::MAX`.
fn day_minute(hours: u16, minutes: u16) -> DayMinute {
    hours.saturating_mul(60).saturating_add(minutes)
}

/// A weekday's periods, from text such as `09:00-12:00, 13:00-18:00` (empty: closed all day).
pub fn parse_day(text: &str) -> Result<Vec<Period>, HoursError> {
    let periods: Vec<Period> =
        text.split(',').filter(|part| !part.trim().is_empty()).map(Period::parse).collect::<Result<_, _>>()?;
    if periods.len() > MAX_PERIODS_PER_DAY {
        return Err(HoursError::Period);
    }
    Ok(periods)
}

/// A shop's week in its own time zone, and the dates it stays closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHours {
    /// Monday first.
    week: [Vec<Period>; 7],
    closures: Vec<LocalDate>,
}

impl OpeningHours {
    pub fn new(week: [Vec<Period>; 7], mut closures: Vec<LocalDate>) -> Result<Self, HoursError> {
        if week.iter().any(|day| day.len() > MAX_PERIODS_PER_DAY) {
            return Err(HoursError::Period);
        }
        if closures.len() > MAX_CLOSURES {
            return Err(HoursError::TooManyClosures);
        }
        closures.sort_unstable();
        closures.dedup();
        Ok(Self { week, closures })
    }

    /// Monday's (1) to Sunday's (7) periods.
    pub fn day(&self, weekday: u8) -> &[Period] {
        usize::from(weekday).checked_sub(1).and_then(|index| self.week.get(index)).map_or(&[], Vec::as_slice)
    }

    /// A weekday's periods as text, as [`parse_day`] reads them ("09:00-12:00,13:00-18:00"; empty:
    /// closed).
    pub fn day_text(&self, weekday: u8) -> String {
        self.day(weekday).iter().map(Period::to_string).collect::<Vec<_>>().join(",")
    }

    pub fn closures(&self) -> &[LocalDate] {
        &self.closures
    }

    /// Whether the shop is open at `at` where it stands. A period running past midnight belongs to
    /// the day it opened: a closure on that day closes its small hours too.
    pub fn is_open(&self, zone: &Zone, at: Timestamp) -> bool {
        let Some(local) = zone.local(at) else { return false };
        let minute = day_minute(local.hour.into(), local.minute.into());
        let today = local.date;
        let open_today = !self.is_closed_on(today)
            && self
                .day(today.weekday())
                .iter()
                .any(|period| minute >= period.opens && (period.crosses_midnight() || minute < period.closes));
        let from_yesterday = today.previous().is_some_and(|yesterday| {
            !self.is_closed_on(yesterday)
                && self
                    .day(yesterday.weekday())
                    .iter()
                    .any(|period| period.crosses_midnight() && minute < period.closes)
        });
        open_today || from_yesterday
    }

    fn is_closed_on(&self, date: LocalDate) -> bool {
        self.closures.binary_search(&date).is_ok()
    }
}

/// On what terms a shop delivers to an area (or within its radius).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryTerms {
    pub fee: Amount,
    pub minimum_order: Amount,
    /// From this subtotal on, delivery is free.
    pub free_from: Option<Amount>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the order is below this shop's minimum for delivery there ({minimum:?})")]
pub struct BelowMinimum {
    pub minimum: Amount,
}

impl DeliveryTerms {
    /// The delivery fee for an order of `subtotal`, or why it cannot be delivered on these terms.
    pub fn fee_for(&self, subtotal: Amount) -> Result<Amount, BelowMinimum> {
        if subtotal < self.minimum_order {
            return Err(BelowMinimum { minimum: self.minimum_order });
        }
        Ok(match self.free_from {
            Some(threshold) if subtotal >= threshold => Amount::ZERO,
            _ => self.fee,
        })
    }
}

/// Whether a customer's shared location is within a shop's delivery radius.
pub fn within_radius(shop: Coordinates, customer: Coordinates, radius_metres: u32) -> bool {
    shop.metres_to(customer) <= radius_metres
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn seoul() -> Zone {
        Zone::parse("Asia/Seoul").unwrap()
    }

    /// 2026-12-07 (a Monday) at `hh:mm` in Seoul.
    fn monday_seoul(hour: i64, minute: i64) -> Timestamp {
        let midnight = seoul().start_of(LocalDate::parse("2026-12-07").unwrap()).unwrap();
        midnight.plus_seconds(hour * 3600 + minute * 60)
    }

    fn week(monday: &str, sunday: &str) -> [Vec<Period>; 7] {
        let mut week: [Vec<Period>; 7] = Default::default();
        week[0] = parse_day(monday).unwrap();
        week[6] = parse_day(sunday).unwrap();
        week
    }

    #[test]
    fn periods_parse_strictly() {
        assert_eq!(Period::parse("09:00-18:30").unwrap(), Period { opens: 540, closes: 1110 });
        assert_eq!(Period::parse("17:00-02:00").unwrap().to_string(), "17:00-02:00");
        assert_eq!(Period::parse("08:00-24:00").unwrap().closes, 1440);
        for bad in ["9:00-18:00", "09:00-09:00", "25:00-26:00", "09:60-10:00", "24:00-02:00", "09:00", "", "a:b-c:d"] {
            assert_eq!(Period::parse(bad), Err(HoursError::Period), "{bad:?}");
        }
        assert_eq!(parse_day(""), Ok(vec![]));
        let hours = OpeningHours::new(week("09:00-12:00, 13:00-18:00", ""), vec![]).unwrap();
        assert_eq!((hours.day_text(1), hours.day_text(7)), ("09:00-12:00,13:00-18:00".to_owned(), String::new()));
        assert!(parse_day("01:00-02:00,03:00-04:00,05:00-06:00,07:00-08:00,09:00-10:00").is_err());
    }

    #[test]
    fn open_means_within_a_period_of_the_local_day() {
        let hours = OpeningHours::new(week("09:00-12:00, 13:00-18:00", ""), vec![]).unwrap();
        assert_eq!(LocalDate::parse("2026-12-07").unwrap().weekday(), 1);
        assert!(!hours.is_open(&seoul(), monday_seoul(8, 59)));
        assert!(hours.is_open(&seoul(), monday_seoul(9, 0)));
        assert!(!hours.is_open(&seoul(), monday_seoul(12, 30)), "lunch break");
        assert!(!hours.is_open(&seoul(), monday_seoul(18, 0)), "closes at 18:00 sharp");
        assert!(!hours.is_open(&Zone::utc(), monday_seoul(10, 0)), "01:00 UTC is not opening time in UTC");
    }

    #[test]
    fn a_late_night_period_runs_into_the_next_day_and_a_closure_closes_it() {
        let hours = OpeningHours::new(week("", "17:00-02:00"), vec![]).unwrap();
        assert!(hours.is_open(&seoul(), monday_seoul(1, 30)), "Sunday's evening runs to Monday 02:00");
        assert!(!hours.is_open(&seoul(), monday_seoul(2, 0)));
        assert!(!hours.is_open(&seoul(), monday_seoul(17, 30)), "Monday has no hours");
        let sunday = LocalDate::parse("2026-12-06").unwrap();
        let closed = OpeningHours::new(week("", "17:00-02:00"), vec![sunday, sunday]).unwrap();
        assert_eq!(closed.closures().len(), 1);
        assert!(!closed.is_open(&seoul(), monday_seoul(1, 30)));
    }

    #[test]
    fn delivery_terms_take_minimum_and_free_threshold() {
        let terms = DeliveryTerms {
            fee: Amount::from_minor(3000),
            minimum_order: Amount::from_minor(10_000),
            free_from: Some(Amount::from_minor(30_000)),
        };
        assert_eq!(terms.fee_for(Amount::from_minor(9_999)), Err(BelowMinimum { minimum: Amount::from_minor(10_000) }));
        assert_eq!(terms.fee_for(Amount::from_minor(10_000)), Ok(Amount::from_minor(3000)));
        assert_eq!(terms.fee_for(Amount::from_minor(30_000)), Ok(Amount::ZERO));
    }

    #[test]
    fn distances_are_great_circle_and_bad_points_refused() {
        let city_hall = Coordinates::new(37.5663, 126.9779).unwrap();
        let gangnam = Coordinates::new(37.4979, 127.0276).unwrap();
        let metres = city_hall.metres_to(gangnam);
        assert!((8_500..8_900).contains(&metres), "{metres}");
        assert_eq!(city_hall.metres_to(city_hall), 0);
        assert!(within_radius(city_hall, gangnam, 9_000) && !within_radius(city_hall, gangnam, 5_000));
        for (lat, lon) in [(91.0, 0.0), (0.0, 180.5), (f64::NAN, 0.0), (0.0, f64::INFINITY)] {
            assert_eq!(Coordinates::new(lat, lon), Err(BadCoordinates));
        }
        let antipode = Coordinates::new(-37.5663, -53.0221).unwrap();
        assert!(city_hall.metres_to(antipode) > 20_000_000);
    }
}
