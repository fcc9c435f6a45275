//! Times as the reader reads them: in their zone (a shop's staff, the shop's), relative to their
//! today ("Today 13:16", "Yesterday 09:02", then "3 Dec 13:16", with the year when it is not this
//! year's), and lines grouped under a heading per day. Pure: the zone and "now" are given.

use quipu_core::kernel::text::{parse_rfc3339, rfc3339};
use quipu_domain::Timestamp;
use quipu_domain::zone::{LocalDate, LocalTime, Zone};

use crate::i18n::Lang;

/// Where and when a page is read.
#[derive(Debug, Clone)]
pub struct Local {
    pub lang: Lang,
    pub zone: Zone,
    pub now: Timestamp,
}

impl Local {
    /// `at` (RFC 3339, as the views carry it) as the reader says it; text that is no time is shown as it is.
    pub fn when(&self, at: &str) -> String {
        match parse_rfc3339(at).and_then(|at| self.zone.local(at)) {
            Some(local) => when(self.lang, self.today(), local),
            None => at.to_owned(),
        }
    }

    /// `at`'s local clock time alone, "13:16", for a line under its day's heading.
    pub fn clock(&self, at: &str) -> String {
        match parse_rfc3339(at).and_then(|at| self.zone.local(at)) {
            Some(local) => format!("{:02}:{:02}", local.hour, local.minute),
            None => at.to_owned(),
        }
    }

    /// `at` as the local date and clock time a spreadsheet sorts by, "2026-12-07 13:16".
    pub fn stamp(&self, at: &str) -> String {
        match parse_rfc3339(at).and_then(|at| self.zone.local(at)) {
            Some(local) => format!("{} {:02}:{:02}", local.date, local.hour, local.minute),
            None => at.to_owned(),
        }
    }

    /// `items`, newest first as they came, in runs of the same local day, each under its heading.
    pub fn by_day<'a, T: Dated>(&self, items: &'a [T]) -> Vec<Day<'a, T>> {
        let mut days: Vec<Day<'a, T>> = Vec::new();
        for item in items {
            let date = parse_rfc3339(item.at()).and_then(|at| self.zone.date_of(at));
            match days.last_mut() {
                Some(last) if last.date == date => last.items.push(item),
                _ => {
                    let heading = date.map_or_else(String::new, |date| day(self.lang, self.today(), date));
                    let iso = date.map_or_else(String::new, |date| date.to_string());
                    days.push(Day { date, heading, iso, items: vec![item] });
                }
            }
        }
        days
    }

    /// Now, in RFC 3339, for `<time datetime>`.
    pub fn iso_now(&self) -> String {
        rfc3339(self.now)
    }

    fn today(&self) -> Option<LocalDate> {
        self.zone.date_of(self.now)
    }
}

/// Something listed with the time it happened (RFC 3339).
pub trait Dated {
    fn at(&self) -> &str;
}

impl Dated for quipu_api::wallet::views::HistoryEntry {
    fn at(&self) -> &str {
        &self.transfer.timestamp
    }
}

impl Dated for quipu_api::payments::views::PaymentView {
    fn at(&self) -> &str {
        &self.created_at
    }
}

/// One day's run of lines.
#[derive(Debug)]
pub struct Day<'a, T> {
    date: Option<LocalDate>,
    /// "Today", "Yesterday", "3 Dec"…
    pub heading: String,
    /// YYYY-MM-DD, for `<time datetime>`.
    pub iso: String,
    pub items: Vec<&'a T>,
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A local time relative to today: "Today 13:16", "Yesterday 09:02", "3 Dec 13:16", "3 Dec 2025 13:16".
pub fn when(lang: Lang, today: Option<LocalDate>, at: LocalTime) -> String {
    format!("{} {:02}:{:02}", day(lang, today, at.date), at.hour, at.minute)
}

/// A date relative to today: "Today", "Yesterday", "3 Dec", "3 Dec 2025" (Korean: 오늘, 어제, 12월 3일,
/// 2025년 12월 3일).
pub fn day(lang: Lang, today: Option<LocalDate>, date: LocalDate) -> String {
    let relative = today.map(|today| date.days_until(today));
    let this_year = today.is_some_and(|today| today.year() == date.year());
    match (lang, relative) {
        (Lang::En, Some(0)) => "Today".to_owned(),
        (Lang::En, Some(1)) => "Yesterday".to_owned(),
        (Lang::Ko, Some(0)) => "오늘".to_owned(),
        (Lang::Ko, Some(1)) => "어제".to_owned(),
        (Lang::En, _) => {
            let month = MONTHS.get(usize::from(date.month().saturating_sub(1))).copied().unwrap_or_default();
            if this_year {
                format!("{} {month}", date.day())
            } else {
                format!("{} {month} {}", date.day(), date.year())
            }
        }
        (Lang::Ko, _) if this_year => format!("{}월 {}일", date.month(), date.day()),
        (Lang::Ko, _) => format!("{}년 {}월 {}일", date.year(), date.month(), date.day()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    fn local(lang: Lang, zone: &str, now: &str) -> Local {
        Local { lang, zone: Zone::parse(zone).unwrap(), now: parse_rfc3339(now).unwrap() }
    }

    #[test]
    fn today_yesterday_then_dates() {
        let en = local(Lang::En, "UTC", "2026-12-06T18:00:00Z");
        assert_eq!(en.when("2026-12-06T13:16:59.123456Z"), "Today 13:16");
        assert_eq!(en.when("2026-12-05T09:02:00Z"), "Yesterday 09:02");
        assert_eq!(en.when("2026-12-03T13:16:00Z"), "3 Dec 13:16");
        assert_eq!(en.when("2025-12-31T23:59:00Z"), "31 Dec 2025 23:59");
        assert_eq!(en.when("not a time"), "not a time");
        let ko = Local { lang: Lang::Ko, ..en };
        assert_eq!(ko.when("2026-12-06T13:16:00Z"), "오늘 13:16");
        assert_eq!(ko.when("2026-12-05T09:02:00Z"), "어제 09:02");
        assert_eq!(ko.when("2026-12-03T13:16:00Z"), "12월 3일 13:16");
        assert_eq!(ko.when("2025-01-02T08:00:00Z"), "2025년 1월 2일 08:00");
    }

    #[test]
    fn late_utc_evening_is_tomorrow_morning_in_seoul() {
        // 23:30 UTC on the 6th is 08:30 on the 7th in Seoul: today there, while UTC still says the 6th.
        let seoul = local(Lang::Ko, "Asia/Seoul", "2026-12-07T00:10:00Z");
        assert_eq!(seoul.when("2026-12-06T23:30:00Z"), "오늘 08:30");
        assert_eq!(seoul.when("2026-12-06T14:59:00Z"), "어제 23:59");
        let utc = local(Lang::En, "UTC", "2026-12-07T00:10:00Z");
        assert_eq!(utc.when("2026-12-06T23:30:00Z"), "Yesterday 23:30");
    }

    #[test]
    fn new_york_across_daylight_saving() {
        // 2026-11-01: clocks go back at 02:00 EDT, so 01:30 happens twice, and the day has 25 hours.
        let ny = local(Lang::En, "America/New_York", "2026-11-01T12:00:00Z");
        assert_eq!(ny.when("2026-11-01T05:30:00Z"), "Today 01:30");
        assert_eq!(ny.when("2026-11-01T06:30:00Z"), "Today 01:30");
        assert_eq!(ny.when("2026-11-01T03:59:00Z"), "Yesterday 23:59");
        // 2026-03-08: 01:59 EST is followed by 03:00 EDT.
        let spring = local(Lang::En, "America/New_York", "2026-03-08T20:00:00Z");
        assert_eq!(spring.when("2026-03-08T06:59:00Z"), "Today 01:59");
        assert_eq!(spring.when("2026-03-08T07:00:00Z"), "Today 03:00");
    }

    struct Line(&'static str);

    impl Dated for Line {
        fn at(&self) -> &str {
            self.0
        }
    }

    #[test]
    fn lines_run_under_their_days_in_the_readers_zone() {
        let lines = [
            Line("2026-12-06T23:30:00Z"),
            Line("2026-12-06T15:00:00Z"),
            Line("2026-12-06T14:59:59Z"),
            Line("2026-12-01T01:00:00Z"),
        ];
        let seoul = local(Lang::En, "Asia/Seoul", "2026-12-07T01:00:00Z");
        let days = seoul.by_day(&lines);
        let shape: Vec<(&str, &str, usize)> =
            days.iter().map(|d| (d.heading.as_str(), d.iso.as_str(), d.items.len())).collect();
        assert_eq!(shape, [("Today", "2026-12-07", 2), ("Yesterday", "2026-12-06", 1), ("1 Dec", "2026-12-01", 1)]);
        let utc = local(Lang::En, "UTC", "2026-12-07T01:00:00Z");
        assert_eq!(utc.by_day(&lines).iter().map(|d| d.items.len()).collect::<Vec<_>>(), [3, 1]);
    }
}
