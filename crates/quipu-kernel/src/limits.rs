//! Customer tiers and the limits they carry: per payment, per rolling 24
//! hours of payments, and the most a wallet or card may hold. The rules are
//! `quipu_domain::limits`; this looks up the tier and what was spent, and
//! names the limit hit in the error. The most a wallet may hold is the
//! ledger's to enforce: this only says what it is.
//!
//! A limit is a risk control, not a ledger invariant: two payments checked
//! at the same instant may together pass a daily limit by one payment.

use quipu_domain::Timestamp;
use quipu_domain::card::CardId;
use quipu_domain::identity::UserId;
use quipu_domain::limits::{CustomerTier, LimitHit, TierLimits};
use quipu_domain::money::{Amount, Currency};

use crate::Kernel;
use crate::error::{CoreError, CoreResult, ErrorKind};

/// The window a daily limit counts over.
const DAY_SECONDS: i64 = 24 * 3600;

/// A customer's limits in one currency, and what is left of the daily one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitsNow {
    pub currency: Currency,
    pub limits: TierLimits,
    /// Paid in the last 24 hours (wallet and linked cards together).
    pub spent_today: Amount,
    /// What the daily limit still allows; `None` when there is no daily limit.
    pub remaining_today: Option<Amount>,
}

impl Kernel {
    /// A customer's tier and, per currency, their limits and what is left of the daily one.
    pub async fn limits_now(
        &self,
        customer: UserId,
        currencies: &[Currency],
    ) -> CoreResult<(CustomerTier, Vec<LimitsNow>)> {
        let tier = self.tier_of(Some(customer)).await?;
        let since = self.now().plus_seconds(-DAY_SECONDS);
        let mut lines = Vec::with_capacity(currencies.len());
        for currency in currencies {
            let spent = self.store.payer_spent_since(Some(customer), None, currency.code, since).await?;
            let limits = self.settings.tier_limits(tier, *currency);
            let remaining_today = limits.per_day.map(|day| {
                let left = day.checked_sub(spent).unwrap_or(Amount::ZERO);
                if left < Amount::ZERO { Amount::ZERO } else { left }
            });
            lines.push(LimitsNow { currency: *currency, limits, spent_today: spent, remaining_today });
        }
        Ok((tier, lines))
    }

    /// A customer's tier; none set is basic, as is an unlinked card.
    pub async fn tier_of(&self, customer: Option<UserId>) -> CoreResult<CustomerTier> {
        Ok(match customer {
            Some(customer) => self.store.customer_tier(customer).await?.unwrap_or(CustomerTier::Basic),
            None => CustomerTier::Basic,
        })
    }

    /// Refuses a payment above the payer's tier limits. An unlinked card is on the basic tier.
    pub async fn check_payment_limits(
        &self,
        customer: Option<UserId>,
        card: Option<CardId>,
        currency: Currency,
        amount: Amount,
    ) -> CoreResult<()> {
        self.check_spending(customer, card, currency, amount, Amount::ZERO).await
    }

    /// [`Self::check_payment_limits`] for spending that also counts what a context outside the
    /// payments keeps (a market order's hold): `elsewhere` is what the payer spent there in the
    /// last 24 hours.
    pub async fn check_spending(
        &self,
        customer: Option<UserId>,
        card: Option<CardId>,
        currency: Currency,
        amount: Amount,
        elsewhere: Amount,
    ) -> CoreResult<()> {
        let tier = self.tier_of(customer).await?;
        let since = self.payment_day_start();
        let spent = self.store.payer_spent_since(customer, card, currency.code, since).await?;
        let spent = Amount::from_minor(spent.minor().saturating_add(elsewhere.minor()));
        self.settings.tier_limits(tier, currency).check_payment(amount, spent).map_err(|hit| limit_error(hit, currency))
    }

    /// Where the payer's 24 hours of spending that limits count start.
    pub fn payment_day_start(&self) -> Timestamp {
        self.now().plus_seconds(-DAY_SECONDS)
    }

    /// The most a wallet or card may hold on its holder's tier, for the ledger to hold it to
    /// (`TransferCommand::credit_cap`): checked there, after the sender's funds, so parallel
    /// credits cannot pass it and a refusal tells the sender nothing of the recipient's balance.
    pub async fn balance_cap(&self, customer: Option<UserId>, currency: Currency) -> CoreResult<Option<Amount>> {
        let tier = self.tier_of(customer).await?;
        Ok(self.settings.tier_limits(tier, currency).max_balance)
    }
}

/// A limit's refusal, worded for whoever asked: often the shop at a till, so it names the limit but
/// neither the payer's tier nor what they paid elsewhere today (the payer reads that on their own).
fn limit_error(hit: LimitHit, currency: Currency) -> CoreError {
    let money = |amount: Amount| format!("{} {}", currency.format_amount(amount), currency.code);
    let detail = match hit {
        LimitHit::PerPayment { limit } => format!("the payer may pay at most {} per payment", money(limit)),
        LimitHit::PerDay { limit, .. } => {
            format!("the payer may pay at most {} in 24 hours, and this payment would pass it", money(limit))
        }
    };
    CoreError::new(ErrorKind::Rejected, hit.code(), detail)
}
