//! What a payment leaves on paper: a receipt for either side of it, and a
//! merchant's summary of a day (count, gross, fees, refunds, net).

use quipu_domain::Timestamp;
use quipu_domain::money::{Amount, CurrencyCode};
use quipu_domain::payment::{self as rules, PaymentId, PaymentMethod, RefundStatus};
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::payments::{MAX_SUMMARY_REFUNDS, PaymentTotals, RefundRecord, SummaryRefund};
use time::{Date, Month, OffsetDateTime, UtcOffset};

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
    /// The (first) day, YYYY-MM-DD, at `utc_offset_minutes`.
    pub date: String,
    /// The last day, the same as `date` for one day.
    pub last_date: String,
    pub days: u32,
    pub utc_offset_minutes: i32,
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
    /// currency. `date` is `YYYY-MM-DD` (today by default) in the merchant's
    /// UTC offset; `last_date`, if given, makes it the days from `date` to
    /// `last_date`, both included, at most [`MAX_SUMMARY_DAYS`].
    pub async fn merchant_summary(
        &self,
        principal: &Principal,
        date: Option<&str>,
        last_date: Option<&str>,
        utc_offset_minutes: Option<i32>,
    ) -> CoreResult<MerchantSummary> {
        let merchant = principal.require_merchant()?;
        let offset_minutes = utc_offset_minutes.unwrap_or(0);
        let now = self.kernel.now();
        let (day, from, first_end) = day_window(date, offset_minutes, now)?;
        let (last_day, to) = match last_date {
            Some(last) => {
                let (last_day, last_start, to) = day_window(Some(last), offset_minutes, now)?;
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
            None => (day.clone(), first_end),
        };
        let days = (to.0 - from.0) / (DAY_SECONDS * Timestamp::MICROS_PER_SECOND);
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
            date: day,
            last_date: last_day,
            days: u32::try_from(days).unwrap_or(u32::MAX),
            utc_offset_minutes: offset_minutes,
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

/// The day `date` (or today) at a fixed UTC offset, as `[from, to)` in ledger time.
fn day_window(date: Option<&str>, offset_minutes: i32, now: Timestamp) -> CoreResult<(String, Timestamp, Timestamp)> {
    if !(MIN_OFFSET_MINUTES..=MAX_OFFSET_MINUTES).contains(&offset_minutes) {
        return Err(CoreError::invalid("invalid_utc_offset", "utc_offset_minutes is between -720 and 840"));
    }
    let offset = UtcOffset::from_whole_seconds(offset_minutes * 60)
        .map_err(|_| CoreError::invalid("invalid_utc_offset", "utc_offset_minutes is between -720 and 840"))?;
    let day = match date {
        Some(text) => parse_date(text)?,
        None => OffsetDateTime::from_unix_timestamp_nanos(i128::from(now.0) * 1000)
            .map_err(|_| CoreError::invalid("invalid_date", "the clock is out of range"))?
            .to_offset(offset)
            .date(),
    };
    let start = day.midnight().assume_offset(offset).unix_timestamp();
    let from = Timestamp(start.saturating_mul(Timestamp::MICROS_PER_SECOND));
    Ok((day.to_string(), from, from.plus_seconds(DAY_SECONDS)))
}

fn parse_date(text: &str) -> CoreResult<Date> {
    let invalid = || CoreError::invalid("invalid_date", "a date is YYYY-MM-DD, e.g. 2026-11-22");
    let mut parts = text.splitn(3, '-');
    let mut next = || parts.next().ok_or_else(invalid);
    let (year, month, day) = (next()?, next()?, next()?);
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return Err(invalid());
    }
    let year: i32 = year.parse().map_err(|_| invalid())?;
    let month: u8 = month.parse().map_err(|_| invalid())?;
    let day: u8 = day.parse().map_err(|_| invalid())?;
    Date::from_calendar_date(year, Month::try_from(month).map_err(|_| invalid())?, day).map_err(|_| invalid())
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
        assert_eq!((day.as_str(), rfc3339(from).as_str()), ("2026-11-22", "2026-11-22T05:00:00Z"));
        assert_eq!(to.0 - from.0, DAY_SECONDS * Timestamp::MICROS_PER_SECOND);
        let (day, from, _) = day_window(Some("2026-02-28"), 0, noon_utc).unwrap();
        assert_eq!((day.as_str(), rfc3339(from).as_str()), ("2026-02-28", "2026-02-28T00:00:00Z"));
        for bad in ["2026-02-30", "26-02-01", "2026-2-01", "2026-02-01x", "", "yesterday"] {
            assert!(day_window(Some(bad), 0, noon_utc).is_err(), "{bad}");
        }
        assert!(day_window(None, 841, noon_utc).is_err());
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
