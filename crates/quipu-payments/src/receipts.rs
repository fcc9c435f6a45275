//! What a payment leaves on paper: a receipt for either side of it, and a
//! merchant's summary of a day (count, gross, fees, refunds, net).

use quipu_domain::Timestamp;
use quipu_domain::money::{Amount, CurrencyCode};
use quipu_domain::payment::{self as rules, PaymentId, PaymentMethod, RefundStatus};
use quipu_domain::zone::{LocalDate, Zone};
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::payments::{MAX_SUMMARY_REFUNDS, PaymentTotals, RefundRecord, SummaryRefund};

use crate::{Payment, Payments};

/// Widest UTC offsets on Earth, in minutes.
const MIN_OFFSET_MINUTES: i32 = -12 * 60;
const MAX_OFFSET_MINUTES: i32 = 14 * 60;
const DAY_SECONDS: i64 = 24 * 3600;
/// The most days one summary covers: a quarter.
pub const MAX_SUMMARY_DAYS: i64 = 92;

/// A payment's receipt, for its customer or its merchant.
#[derive(Debug, Clone)]
pub struct PaymentReceipt {
    pub payment: Payment,
    pub merchant_city: String,
    /// "payment code", "merchant QR" or "card 990001******1234".
    pub paid_with: String,
    /// Completed refunds, oldest first.
    pub refunds: Vec<RefundRecord>,
    /// What the customer paid in the end: the amount less refunds.
    pub net: Amount,
    pub printed_at: Timestamp,
}

/// A merchant's day, or days, per currency.
#[derive(Debug, Clone)]
pub struct MerchantSummary {
    /// The (first) day, YYYY-MM-DD, in `time_zone` or at `utc_offset_minutes`.
    pub date: String,
    /// The last day, the same as `date` for one day.
    pub last_date: String,
    pub days: u32,
    /// The offset the days are at (a zone's at the start of the first day).
    pub utc_offset_minutes: i32,
    /// The shop's zone the days are in; `None` when the caller named a fixed offset.
    pub time_zone: Option<String>,
    pub from: Timestamp,
    pub to: Timestamp,
    pub lines: Vec<SummaryLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryLine {
    pub currency: CurrencyCode,
    /// Payments completed that day (including those since refunded).
    pub payments: u64,
    pub gross: Amount,
    pub fees: Amount,
    /// Refunds made that day, whichever day their payment was.
    pub refunds: Amount,
    /// The part of the fee those refunds gave back to the merchant.
    pub fees_returned: Amount,
    /// What reached the merchant's account: gross − fees − refunds + fees returned.
    pub net: Amount,
}

impl Payments {
    /// A payment's receipt, for its customer or its merchant.
    pub async fn payment_receipt(&self, principal: &Principal, id: PaymentId) -> CoreResult<PaymentReceipt> {
        let payment = self.visible_payment(principal, id).await?;
        let store = &self.kernel.store;
        let merchant = store.merchant(payment.merchant_id).await?.ok_or_else(|| CoreError::not_found("merchant"))?;
        let refunds = store.refunds_of(payment.id).await?;
        let paid_with = match (payment.method, payment.card_number.as_ref()) {
            (PaymentMethod::Card, Some(number)) => format!("card {}", number.masked()),
            (PaymentMethod::Card, None) => "card".to_owned(),
            (PaymentMethod::PaymentCode, _) => "payment code".to_owned(),
            (PaymentMethod::MerchantQr, _) => "merchant QR".to_owned(),
        };
        Ok(PaymentReceipt {
            net: payment.amount.checked_sub(payment.refunded)?,
            refunds: refunds.into_iter().filter(|r| r.status == RefundStatus::Completed).collect(),
            payment: Payment { record: payment, merchant_name: merchant.name },
            merchant_city: merchant.city,
            paid_with,
            printed_at: self.kernel.now(),
        })
    }

    /// A merchant's day, or days: payments completed then (count, gross,
    /// fees) and refunds made then (with the fee share they gave back), per
    /// currency. `date` is `YYYY-MM-DD` (today by default), a day in the
    /// shop's time zone, or at a fixed UTC offset when one is given (what
    /// integrators asked for before shops had zones); `last_date`, if given,
    /// makes it the days from `date` to `last_date`, both included, at most
    /// [`MAX_SUMMARY_DAYS`].
    pub async fn merchant_summary(
        &self,
        principal: &Principal,
        date: Option<&str>,
        last_date: Option<&str>,
        utc_offset_minutes: Option<i32>,
    ) -> CoreResult<MerchantSummary> {
        let merchant = principal.require_merchant()?;
        let calendar = match utc_offset_minutes {
            Some(minutes) => Calendar::Offset(minutes),
            None => Calendar::Zone(self.kernel.merchant_zone(merchant).await?),
        };
        let now = self.kernel.now();
        let (day, from, first_end) = calendar.day(date, now)?;
        let (last_day, to) = match last_date {
            Some(last) => {
                let (last_day, last_start, to) = calendar.day(Some(last), now)?;
                if last_start < from {
                    // Each day is well formed; together they name no range (422, not malformed).
                    return Err(CoreError::new(
                        ErrorKind::Rejected,
                        "invalid_date_range",
                        "the last day is before the first",
                    ));
                }
                (last_day, to)
            }
            None => (day, first_end),
        };
        let days = day.days_until(last_day).saturating_add(1);
        if days > MAX_SUMMARY_DAYS {
            return Err(CoreError::new(
                ErrorKind::Rejected,
                "date_range_too_long",
                format!("a summary covers at most {MAX_SUMMARY_DAYS} days; ask for several"),
            ));
        }
        let store = &self.kernel.store;
        let totals = store.merchant_payment_totals(merchant, from, to).await?;
        let refunds = store.merchant_refunds_between(merchant, from, to, MAX_SUMMARY_REFUNDS + 1).await?;
        if refunds.len() > usize::try_from(MAX_SUMMARY_REFUNDS).unwrap_or(usize::MAX) {
            return Err(CoreError::new(
                ErrorKind::Rejected,
                "summary_too_large",
                format!("more than {MAX_SUMMARY_REFUNDS} refunds in those days; ask for fewer days"),
            ));
        }
        Ok(MerchantSummary {
            date: day.to_string(),
            last_date: last_day.to_string(),
            days: u32::try_from(days).unwrap_or(u32::MAX),
            utc_offset_minutes: calendar.offset_minutes_at(from),
            time_zone: calendar.zone_name(),
            from,
            to,
            lines: summary_lines(&totals, &refunds)?,
        })
    }
}

/// Adds up each currency: net is what reached the merchant's account, gross less fees less refunds
/// plus the fee share refunds gave back.
fn summary_lines(totals: &[PaymentTotals], refunds: &[SummaryRefund]) -> CoreResult<Vec<SummaryLine>> {
    let mut currencies: Vec<CurrencyCode> =
        totals.iter().map(|t| t.currency).chain(refunds.iter().map(|r| r.currency)).collect();
    currencies.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    currencies.dedup();
    let mut lines = Vec::with_capacity(currencies.len());
    for currency in currencies {
        let (mut payments, mut gross, mut fees) = (0u64, Amount::ZERO, Amount::ZERO);
        for t in totals.iter().filter(|t| t.currency == currency) {
            payments = payments.saturating_add(t.count);
            gross = gross.checked_add(t.gross)?;
            fees = fees.checked_add(t.fees)?;
        }
        let (mut refunded, mut fees_returned) = (Amount::ZERO, Amount::ZERO);
        for r in refunds.iter().filter(|r| r.currency == currency) {
            refunded = refunded.checked_add(r.amount)?;
            fees_returned =
                fees_returned.checked_add(rules::fee_returned(r.paid, r.fee, r.refunded_before, r.amount)?)?;
        }
        let net = gross.checked_sub(fees)?.checked_sub(refunded)?.checked_add(fees_returned)?;
        lines.push(SummaryLine { currency, payments, gross, fees, refunds: refunded, fees_returned, net });
    }
    Ok(lines)
}

/// What a summary's days are: a shop's zone's, or (asked for by an integrator) a fixed offset's.
pub(crate) enum Calendar {
    Zone(Zone),
    Offset(i32),
}

impl Calendar {
    /// The day `date` (or today), as the day and `[from, to)` in ledger time.
    pub(crate) fn day(&self, date: Option<&str>, now: Timestamp) -> CoreResult<(LocalDate, Timestamp, Timestamp)> {
        match self {
            Calendar::Offset(minutes) => day_window(date, *minutes, now),
            Calendar::Zone(zone) => {
                let out_of_range = || CoreError::invalid("invalid_date", "the date is out of range");
                let day = match date {
                    Some(text) => parse_date(text)?,
                    None => zone.date_of(now).ok_or_else(out_of_range)?,
                };
                let (from, to) = zone.day(day).ok_or_else(out_of_range)?;
                Ok((day, from, to))
            }
        }
    }

    fn offset_minutes_at(&self, at: Timestamp) -> i32 {
        match self {
            Calendar::Offset(minutes) => *minutes,
            Calendar::Zone(zone) => zone.local(at).map_or(0, |local| local.utc_offset_seconds / 60),
        }
    }

    fn zone_name(&self) -> Option<String> {
        match self {
            Calendar::Zone(zone) => Some(zone.name().to_owned()),
            Calendar::Offset(_) => None,
        }
    }
}

/// The day `date` (or today) at a fixed UTC offset, as `[from, to)` in ledger time.
fn day_window(
    date: Option<&str>,
    offset_minutes: i32,
    now: Timestamp,
) -> CoreResult<(LocalDate, Timestamp, Timestamp)> {
    if !(MIN_OFFSET_MINUTES..=MAX_OFFSET_MINUTES).contains(&offset_minutes) {
        return Err(CoreError::invalid("invalid_utc_offset", "utc_offset_minutes is between -720 and 840"));
    }
    let shifted = now.plus_seconds(i64::from(offset_minutes) * 60);
    let day = match date {
        Some(text) => parse_date(text)?,
        None => Zone::utc()
            .date_of(shifted)
            .ok_or_else(|| CoreError::invalid("invalid_date", "the clock is out of range"))?,
    };
    let midnight_utc =
        Zone::utc().start_of(day).ok_or_else(|| CoreError::invalid("invalid_date", "the date is out of range"))?;
    let from = midnight_utc.plus_seconds(-i64::from(offset_minutes) * 60);
    Ok((day, from, from.plus_seconds(DAY_SECONDS)))
}

fn parse_date(text: &str) -> CoreResult<LocalDate> {
    LocalDate::parse(text).ok_or_else(|| CoreError::invalid("invalid_date", "a date is YYYY-MM-DD, e.g. 2026-11-22"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use quipu_kernel::text::rfc3339;

    use super::*;

    #[test]
    fn a_day_runs_from_local_midnight_to_midnight() {
        let noon_utc = Timestamp(1_795_348_800 * Timestamp::MICROS_PER_SECOND); // 2026-11-22T12:00:00Z
        let (day, from, to) = day_window(None, -300, noon_utc).unwrap();
        assert_eq!((day.to_string().as_str(), rfc3339(from).as_str()), ("2026-11-22", "2026-11-22T05:00:00Z"));
        assert_eq!(to.0 - from.0, DAY_SECONDS * Timestamp::MICROS_PER_SECOND);
        let (day, from, _) = day_window(Some("2026-02-28"), 0, noon_utc).unwrap();
        assert_eq!((day.to_string().as_str(), rfc3339(from).as_str()), ("2026-02-28", "2026-02-28T00:00:00Z"));
        for bad in ["2026-02-30", "26-02-01", "2026-2-01", "2026-02-01x", "", "yesterday"] {
            assert!(day_window(Some(bad), 0, noon_utc).is_err(), "{bad}");
        }
        assert!(day_window(None, 841, noon_utc).is_err());
    }

    #[test]
    fn a_shops_today_is_its_own_zones_day() {
        let late_utc = Timestamp(1_796_599_800 * Timestamp::MICROS_PER_SECOND); // 2026-12-06T23:30:00Z
        let seoul = Calendar::Zone(Zone::parse("Asia/Seoul").unwrap());
        let (day, from, to) = seoul.day(None, late_utc).unwrap();
        assert_eq!(day.to_string(), "2026-12-07");
        assert_eq!((rfc3339(from).as_str(), rfc3339(to).as_str()), ("2026-12-06T15:00:00Z", "2026-12-07T15:00:00Z"));
        assert_eq!((seoul.offset_minutes_at(from), seoul.zone_name().as_deref()), (540, Some("Asia/Seoul")));
        let (utc_day, _, _) = Calendar::Zone(Zone::utc()).day(None, late_utc).unwrap();
        assert_eq!(utc_day.to_string(), "2026-12-06");
        assert!(seoul.day(Some("2026-13-01"), late_utc).is_err());
    }

    #[test]
    fn net_is_gross_less_fees_and_refunds_plus_the_fee_refunds_gave_back() {
        let code = |text: &str| CurrencyCode::parse(text).unwrap();
        let totals = [PaymentTotals {
            currency: code("USD"),
            count: 2,
            gross: Amount::from_minor(3000),
            fees: Amount::from_minor(45),
        }];
        let refund = |currency, amount, paid, fee| SummaryRefund {
            currency: code(currency),
            amount: Amount::from_minor(amount),
            refunded_before: Amount::from_minor(0),
            paid: Amount::from_minor(paid),
            fee: Amount::from_minor(fee),
        };
        let refunds = [refund("USD", 500, 1000, 15), refund("EUR", 200, 200, 2)];
        let lines = summary_lines(&totals, &refunds).unwrap();
        assert_eq!(lines.iter().map(|l| l.currency.as_str()).collect::<Vec<_>>(), ["EUR", "USD"]);
        assert_eq!(
            (lines[1].payments, lines[1].fees_returned.minor(), lines[1].net.minor()),
            (2, 7, 3000 - 45 - 500 + 7)
        );
        assert_eq!((lines[0].payments, lines[0].net.minor()), (0, -198));
    }
}
