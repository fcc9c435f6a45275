//! Customer tiers and their limits: the most one payment may be, the most a
//! payer may pay in a rolling 24 hours, the most a wallet or card may hold.
//! Pure rules; the services look up what was spent. The most a wallet may
//! hold is held by the ledger itself (`TransferCommand::credit_cap`).

use crate::ledger::string_enum;
use crate::money::Amount;

string_enum!(
    /// How far the operator has verified a customer (know-your-customer).
    /// Unverified customers and anonymous cards are `Basic`.
    CustomerTier {
        Basic => "basic",
        Verified => "verified",
    }
);

/// One tier's limits in one currency; `None` means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TierLimits {
    pub per_payment: Option<Amount>,
    pub per_day: Option<Amount>,
    pub max_balance: Option<Amount>,
}

/// Which limit a movement would break, and the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitHit {
    PerPayment {
        limit: Amount,
    },
    /// `spent` is what the payer already paid in the last 24 hours.
    PerDay {
        limit: Amount,
        spent: Amount,
    },
}

impl LimitHit {
    /// A stable error code naming the limit.
    pub fn code(self) -> &'static str {
        match self {
            LimitHit::PerPayment { .. } => "payment_limit",
            LimitHit::PerDay { .. } => "daily_limit",
        }
    }
}

impl TierLimits {
    /// Whether a payer who already paid `spent_today` may pay `amount` more.
    pub fn check_payment(&self, amount: Amount, spent_today: Amount) -> Result<(), LimitHit> {
        if let Some(limit) = self.per_payment.filter(|limit| amount > *limit) {
            return Err(LimitHit::PerPayment { limit });
        }
        if let Some(limit) = self.per_day {
            let after = spent_today.checked_add(amount).unwrap_or(Amount::from_minor(i64::MAX));
            if after > limit {
                return Err(LimitHit::PerDay { limit, spent: spent_today });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: TierLimits = TierLimits {
        per_payment: Some(Amount::from_minor(100)),
        per_day: Some(Amount::from_minor(250)),
        max_balance: Some(Amount::from_minor(1000)),
    };

    #[test]
    fn each_limit_is_named_when_hit_and_the_edges_are_allowed() {
        assert_eq!(LIMITS.check_payment(Amount::from_minor(100), Amount::from_minor(150)), Ok(()));
        assert_eq!(
            LIMITS.check_payment(Amount::from_minor(101), Amount::from_minor(0)),
            Err(LimitHit::PerPayment { limit: Amount::from_minor(100) })
        );
        assert_eq!(
            LIMITS.check_payment(Amount::from_minor(100), Amount::from_minor(151)),
            Err(LimitHit::PerDay { limit: Amount::from_minor(250), spent: Amount::from_minor(151) })
        );
        assert_eq!(
            TierLimits::default().check_payment(Amount::from_minor(i64::MAX), Amount::from_minor(i64::MAX)),
            Ok(())
        );
    }
}
