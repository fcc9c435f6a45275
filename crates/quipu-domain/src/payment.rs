//! In-store payments: their states, the merchant fee, and how a refund
//! shares it. Pure rules; the services move the money through the ledger.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ledger::string_enum;
use crate::money::{Amount, MoneyError};

/// Basis points in a whole: a fee of 150 bps is 1.5%.
pub const BPS_PER_WHOLE: i64 = 10_000;
/// The highest fee rate an operator may set: 10%.
pub const MAX_FEE_BPS: u32 = 1_000;

string_enum!(
    /// Where a payment stands. `Processing` lasts only while its ledger
    /// transfers commit; a retry with the same idempotency key finishes it.
    PaymentStatus {
        Processing => "processing",
        AwaitingApproval => "awaiting_approval",
        Completed => "completed",
        Failed => "failed",
        PartiallyRefunded => "partially_refunded",
        Refunded => "refunded",
    }
);

string_enum!(
    /// How the customer paid.
    PaymentMethod {
        PaymentCode => "payment_code",
        MerchantQr => "merchant_qr",
        Card => "card",
    }
);

string_enum!(
    /// A customer's enrolled device: paused devices' codes are refused until resumed; revoked is final.
    DeviceStatus {
        Active => "active",
        Paused => "paused",
        Revoked => "revoked",
    }
);

string_enum!(
    /// A refund is claimed against its payment before its transfers commit, so
    /// concurrent partial refunds can never exceed what was paid.
    RefundStatus {
        Pending => "pending",
        Completed => "completed",
        Failed => "failed",
    }
);

impl PaymentStatus {
    /// Whether money may still go back to the customer.
    pub fn is_refundable(self) -> bool {
        matches!(self, PaymentStatus::Completed | PaymentStatus::PartiallyRefunded)
    }
}

/// The merchant's fee on a payment, rounded down to the minor unit: the
/// network never charges a fraction of a cent more than the rate says.
pub fn fee_for(amount: Amount, fee_bps: u32) -> Result<Amount, MoneyError> {
    share(amount, i64::from(fee_bps), BPS_PER_WHOLE)
}

/// The part of the fee a refund gives back to the merchant. Computed from
/// running totals, so however a payment is refunded in parts, the fee given
/// back sums to exactly the fee once the whole amount is refunded.
pub fn fee_returned(paid: Amount, fee: Amount, refunded_before: Amount, refund: Amount) -> Result<Amount, MoneyError> {
    let after = refunded_before.checked_add(refund)?;
    if paid.0 <= 0 || after > paid {
        return Err(MoneyError::Overflow);
    }
    share(fee, after.0, paid.0)?.checked_sub(share(fee, refunded_before.0, paid.0)?)
}

/// `amount × numerator / denominator`, rounded down, in 128 bits so it cannot overflow midway.
fn share(amount: Amount, numerator: i64, denominator: i64) -> Result<Amount, MoneyError> {
    let product = i128::from(amount.0).checked_mul(i128::from(numerator)).ok_or(MoneyError::Overflow)?;
    let quotient = product.checked_div(i128::from(denominator)).ok_or(MoneyError::Overflow)?;
    i64::try_from(quotient).map(Amount).map_err(|_| MoneyError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_round_down() {
        assert_eq!(fee_for(Amount(10_000), 150), Ok(Amount(150)));
        assert_eq!(fee_for(Amount(99), 150), Ok(Amount(1)));
        assert_eq!(fee_for(Amount(66), 150), Ok(Amount(0)));
        assert_eq!(fee_for(Amount(i64::MAX), MAX_FEE_BPS), Ok(Amount(i64::MAX / 10)));
    }

    #[test]
    fn partial_refunds_give_back_exactly_the_fee_in_total() {
        let (paid, fee) = (Amount(1_001), Amount(15));
        let mut refunded = Amount(0);
        let mut returned = Amount(0);
        for part in [333, 1, 400, 267] {
            returned = returned.checked_add(fee_returned(paid, fee, refunded, Amount(part)).unwrap()).unwrap();
            refunded = refunded.checked_add(Amount(part)).unwrap();
        }
        assert_eq!(refunded, paid);
        assert_eq!(returned, fee);
        assert!(fee_returned(paid, fee, paid, Amount(1)).is_err(), "nothing beyond the amount paid");
    }
}
