//! What an owner searches a shop's payments by: a range of the shop's own days, a state, a till and
//! an amount range, each typed at the edge and read here into the store's filter.

use quipu_domain::identity::MerchantId;
use quipu_domain::money::MoneyError;
use quipu_domain::payment::{PaymentStatus, TillLabel};
use quipu_domain::zone::LocalDate;
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Kernel};
use quipu_store::payments::PaymentFilter;

/// A search as typed; each part left `None` lets every payment through.
#[derive(Debug, Clone, Copy, Default)]
pub struct PaymentSearch<'a> {
    pub status: Option<&'a str>,
    /// A till's label; an empty one is the payments taken at no named till.
    pub till: Option<&'a str>,
    pub min_amount: Option<&'a str>,
    pub max_amount: Option<&'a str>,
    /// YYYY-MM-DD: the first day, in the shop's time zone.
    pub from: Option<&'a str>,
    /// YYYY-MM-DD: the last day included.
    pub to: Option<&'a str>,
}

impl PaymentSearch<'_> {
    /// The store's filter: days become instants in the shop's zone (read only when a day is named).
    pub(crate) async fn filter(&self, kernel: &Kernel, merchant: MerchantId) -> CoreResult<PaymentFilter> {
        let status = self.status.map(|text| PaymentStatus::parse(text).ok_or_else(invalid_status)).transpose()?;
        let till = self.till.map(|text| TillLabel::parse(Some(text)).map(|till| till.as_str().to_owned()));
        let till = till.transpose().map_err(CoreError::from)?;
        let currency = kernel.settings.currencies.default_currency();
        let amount = |text: &str| currency.parse_amount(text).map_err(amount_refused);
        let min_amount = self.min_amount.map(amount).transpose()?;
        let max_amount = self.max_amount.map(amount).transpose()?;
        if min_amount.zip(max_amount).is_some_and(|(least, most)| least > most) {
            return Err(CoreError::new(
                ErrorKind::Rejected,
                "invalid_amount_range",
                "the smallest amount is above the largest",
            ));
        }
        let (first, last) = (self.from.map(day).transpose()?, self.to.map(day).transpose()?);
        if first.zip(last).is_some_and(|(first, last)| first > last) {
            return Err(CoreError::new(ErrorKind::Rejected, "invalid_date_range", "the first day is after the last"));
        }
        let (mut from, mut to) = (None, None);
        if first.is_some() || last.is_some() {
            let zone = kernel.merchant_zone(merchant).await?;
            let out_of_range = || CoreError::invalid("invalid_date", "the date is out of range");
            from = first.map(|date| zone.start_of(date).ok_or_else(out_of_range)).transpose()?;
            to = last.map(|date| zone.day(date).map(|(_, end)| end).ok_or_else(out_of_range)).transpose()?;
        }
        Ok(PaymentFilter { status, till, min_amount, max_amount, from, to })
    }
}

/// An amount that is no number is malformed; one the currency cannot hold (too many decimals, too
/// large) is well formed and refused.
fn amount_refused(error: MoneyError) -> CoreError {
    match error {
        MoneyError::Malformed(_) => {
            CoreError::invalid("invalid_amount", "an amount is a decimal number, such as 12.50")
        }
        other => CoreError::new(ErrorKind::Rejected, "invalid_amount", other.to_string()),
    }
}

fn day(text: &str) -> CoreResult<LocalDate> {
    LocalDate::parse(text).ok_or_else(|| CoreError::invalid("invalid_date", "a date is YYYY-MM-DD"))
}

fn invalid_status() -> CoreError {
    CoreError::invalid(
        "invalid_status",
        "status is processing, awaiting_approval, completed, failed, partially_refunded or refunded",
    )
}
