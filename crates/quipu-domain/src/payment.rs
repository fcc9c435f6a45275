//! In-store payments: their states, the merchant fee, and how a refund
//! shares it. Pure rules; the services move the money through the ledger.

use serde::Serialize;

use crate::ledger::{TransferId, derived_id, id_type, string_enum};
use crate::money::{Amount, MoneyError};
use crate::state::{StateMachine, Transition};

id_type!(
    /// A payment's id. It derives from the caller and the request's idempotency key, so a retried
    /// request names the same payment, and the payment's ledger transfers derive from it.
    PaymentId
);
id_type!(
    /// An enrolled device's id, a UUIDv7.
    DeviceId
);
id_type!(
    /// A refund's id; like a payment's, it derives from the request's idempotency key.
    RefundId
);
id_type!(
    /// A payment request's id (a dynamic QR for one sale); it travels in the QR.
    PaymentRequestId
);

string_enum!(
    /// The ledger transfers a payment may make: `pay` (payer → merchant at once), or `hold`
    /// (reserved until the customer approves) then `post` (approved, in full) or `void`
    /// (cancelled or lapsed); and `fee` (merchant → fee income). Each one's id derives from the
    /// payment's, so a retry names the same transfer and `quipu ledger verify` finds it again.
    PaymentLeg {
        Pay => "pay",
        Hold => "hold",
        Post => "post",
        Void => "void",
        Fee => "fee",
    }
);

impl PaymentLeg {
    pub fn transfer_id(self, payment: PaymentId) -> TransferId {
        TransferId(derived_id("quipu.payment", &[payment.0.as_bytes(), self.as_str().as_bytes()]))
    }
}

string_enum!(
    /// The ledger transfers a refund makes, in one linked chain: `refund` (merchant → payer) and
    /// `fee` (fee income → merchant: the share of the fee the refund gives back).
    RefundLeg {
        Refund => "refund",
        Fee => "fee",
    }
);

impl RefundLeg {
    pub fn transfer_id(self, refund: RefundId) -> TransferId {
        TransferId(derived_id("quipu.refund", &[refund.0.as_bytes(), self.as_str().as_bytes()]))
    }
}

/// The reference a payment's transfers carry.
pub fn payment_ledger_reference(payment: PaymentId) -> String {
    format!("payment:{payment}")
}

/// The reference a refund's transfers carry: the payment it refunds.
pub fn refund_ledger_reference(payment: PaymentId) -> String {
    format!("refund:{payment}")
}

/// The payment a refund's transfer refunds, read back from its reference.
pub fn refunded_payment(reference: &str) -> Option<PaymentId> {
    reference.strip_prefix("refund:").and_then(|id| uuid::Uuid::parse_str(id).ok()).map(PaymentId)
}

/// Longest label of a till: it travels in the QR (EMV object 62.07).
pub const MAX_TILL_CHARS: usize = 16;
/// Longest reference a till may attach to a payment.
pub const MAX_REFERENCE_CHARS: usize = 64;
/// Longest reference of a sale in a QR (EMV object 62.05).
pub const MAX_QR_REFERENCE_CHARS: usize = 25;

/// Why a piece of a payment's text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PaymentTextError {
    #[error("a till label is at most 16 letters, digits, spaces, - or _")]
    Till,
    #[error("a reference is at most 64 printable characters")]
    Reference,
    #[error("a QR's reference is at most 25 printable ASCII characters")]
    QrReference,
}

/// A till's label: up to 16 letters, digits, spaces, '-' or '_'. Empty means the whole shop.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TillLabel(String);

impl TillLabel {
    pub fn parse(text: Option<&str>) -> Result<Self, PaymentTextError> {
        let text = text.map(str::trim).unwrap_or("");
        let plain = text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_'));
        if text.chars().count() > MAX_TILL_CHARS || !plain {
            return Err(PaymentTextError::Till);
        }
        Ok(Self(text.to_owned()))
    }

    /// The whole shop, no till in particular.
    pub fn none() -> Self {
        Self::default()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A till's own reference for a payment (a receipt number): at most 64 printable characters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PaymentReference(String);

impl PaymentReference {
    pub fn parse(text: Option<&str>) -> Result<Self, PaymentTextError> {
        let text = text.map(str::trim).unwrap_or("");
        if text.chars().count() > MAX_REFERENCE_CHARS || !crate::text::is_display_safe(text) {
            return Err(PaymentTextError::Reference);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A sale's reference as its QR carries it: at most 25 printable ASCII characters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct QrReference(String);

impl QrReference {
    pub fn parse(text: Option<&str>) -> Result<Self, PaymentTextError> {
        let text = text.map(str::trim).unwrap_or("");
        if text.len() > MAX_QR_REFERENCE_CHARS || !text.bytes().all(|b| (0x20..=0x7E).contains(&b)) {
            return Err(PaymentTextError::QrReference);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

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

    /// How much may still go back to the customer: what was paid less what was refunded, while the
    /// payment is refundable; zero otherwise.
    pub fn refundable_remainder(self, paid: Amount, refunded: Amount) -> Amount {
        match paid.checked_sub(refunded) {
            Ok(left) if self.is_refundable() && left > Amount::ZERO => left,
            _ => Amount::ZERO,
        }
    }

    /// The states of a payment whose money reached the merchant (refunded ones included): what a
    /// merchant's summary adds up.
    pub const SETTLED: [PaymentStatus; 3] =
        [PaymentStatus::Completed, PaymentStatus::PartiallyRefunded, PaymentStatus::Refunded];
}

impl StateMachine for PaymentStatus {
    /// A payment is recorded (processing), then completes, waits for the customer's PIN, or fails;
    /// a waiting one completes or fails. Refunds move a completed payment to partly refunded or
    /// refunded, and a refund the ledger refused gives its claim back (to completed or partly
    /// refunded). Failed is final.
    fn may_become(self, next: PaymentStatus) -> bool {
        use PaymentStatus::*;
        matches!(
            (self, next),
            (Processing, AwaitingApproval | Completed | Failed)
                | (AwaitingApproval, Completed | Failed)
                | (Completed, PartiallyRefunded | Refunded)
                | (PartiallyRefunded, PartiallyRefunded | Refunded | Completed)
                | (Refunded, PartiallyRefunded | Completed)
        )
    }
}

impl DeviceStatus {
    /// Revoked is final: a revoked device never comes back.
    pub const FINAL: DeviceStatus = DeviceStatus::Revoked;
}

/// Most refunds one payment may have; partial refunds beyond it are refused.
pub const MAX_REFUNDS_PER_PAYMENT: u32 = 100;

/// A payment as a refund sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundTarget {
    pub status: PaymentStatus,
    /// What the customer paid.
    pub amount: Amount,
    /// What went back to the customer so far (claimed refunds included).
    pub refunded: Amount,
    /// Refunds the payment has, the one being claimed included.
    pub refunds: u32,
}

/// The payment once a refund has claimed its amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundClaimed {
    /// From the payment's state to the one the refund leaves it in.
    pub transition: Transition<PaymentStatus>,
    pub refunded: Amount,
    /// What had been refunded before this refund: it fixes the fee share the refund gives back.
    pub refunded_before: Amount,
}

/// Why a refund cannot be claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundRefused {
    /// The payment is in a state that cannot be refunded, or has too many refunds.
    NotRefundable(PaymentStatus),
    /// More than is left to refund; `refundable` is what is left.
    Exceeds { refundable: Amount },
}

/// Claims `amount` of a payment for a refund: only a completed (or partly refunded) payment, never
/// more than is left, at most [`MAX_REFUNDS_PER_PAYMENT`] refunds. Refunding what is left makes
/// the payment `refunded`.
pub fn claim_refund(payment: RefundTarget, amount: Amount) -> Result<RefundClaimed, RefundRefused> {
    if !payment.status.is_refundable() || payment.refunds > MAX_REFUNDS_PER_PAYMENT {
        return Err(RefundRefused::NotRefundable(payment.status));
    }
    let left = payment.amount.checked_sub(payment.refunded).unwrap_or(Amount::ZERO);
    let refunded = payment.refunded.checked_add(amount).ok().filter(|after| *after <= payment.amount);
    let Some(refunded) = refunded.filter(|_| amount > Amount::ZERO) else {
        return Err(RefundRefused::Exceeds { refundable: left.max(Amount::ZERO) });
    };
    let status = if refunded == payment.amount { PaymentStatus::Refunded } else { PaymentStatus::PartiallyRefunded };
    let transition = Transition::new(payment.status, status).ok_or(RefundRefused::NotRefundable(payment.status))?;
    Ok(RefundClaimed { transition, refunded, refunded_before: payment.refunded })
}

/// Gives a claimed refund's amount back to its payment when the ledger refused the refund's
/// transfers: the move to the state that leaves the payment in (from `from`), and what is still
/// refunded; `None` if the payment is in no state a refund's claim leads to.
pub fn release_refund(
    from: PaymentStatus,
    refunded: Amount,
    released: Amount,
) -> Option<(Transition<PaymentStatus>, Amount)> {
    let left = refunded.checked_sub(released).unwrap_or(Amount::ZERO).max(Amount::ZERO);
    let status = if left == Amount::ZERO { PaymentStatus::Completed } else { PaymentStatus::PartiallyRefunded };
    Some((Transition::new(from, status)?, left))
}

/// A fee rate as people type it, in percent ("1.5", "1.50%", "10"), in basis points: 150. At most
/// two decimals (a basis point is the finest rate) and at most [`MAX_FEE_BPS`]; `None` otherwise.
pub fn fee_bps_from_percent(text: &str) -> Option<u32> {
    let text = text.trim();
    let number = text.strip_suffix('%').unwrap_or(text).trim_end();
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |part: &str, most: usize| part.len() <= most && part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole, 2) || !digits(fraction, 2) || (number.contains('.') && fraction.is_empty()) {
        return None;
    }
    let hundredths = format!("{fraction:0<2}");
    let bps = whole.parse::<u32>().ok()?.checked_mul(100)?.checked_add(hundredths.parse::<u32>().ok()?)?;
    (bps <= MAX_FEE_BPS).then_some(bps)
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
    if paid.minor() <= 0 || after > paid {
        return Err(MoneyError::Overflow);
    }
    share(fee, after.minor(), paid.minor())?.checked_sub(share(fee, refunded_before.minor(), paid.minor())?)
}

/// `amount × numerator / denominator`, rounded down, in 128 bits so it cannot overflow midway.
fn share(amount: Amount, numerator: i64, denominator: i64) -> Result<Amount, MoneyError> {
    let product = i128::from(amount.minor()).checked_mul(i128::from(numerator)).ok_or(MoneyError::Overflow)?;
    let quotient = product.checked_div(i128::from(denominator)).ok_or(MoneyError::Overflow)?;
    i64::try_from(quotient).map(Amount::from_minor).map_err(|_| MoneyError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fee_typed_in_percent_is_basis_points() {
        for (typed, bps) in [("1.5", 150), ("1.50%", 150), (" 0 ", 0), ("0.01", 1), ("10", 1_000), ("2 %", 200)] {
            assert_eq!(fee_bps_from_percent(typed), Some(bps), "{typed:?}");
        }
        for typed in ["", "1.555", "10.01", "abc", "-1", "1.", ".5", "1,5", "150", "1e1", "１"] {
            assert_eq!(fee_bps_from_percent(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn fees_round_down() {
        assert_eq!(fee_for(Amount::from_minor(10_000), 150), Ok(Amount::from_minor(150)));
        assert_eq!(fee_for(Amount::from_minor(99), 150), Ok(Amount::from_minor(1)));
        assert_eq!(fee_for(Amount::from_minor(66), 150), Ok(Amount::from_minor(0)));
        assert_eq!(fee_for(Amount::from_minor(i64::MAX), MAX_FEE_BPS), Ok(Amount::from_minor(i64::MAX / 10)));
    }

    #[test]
    fn only_a_refundable_payment_has_a_remainder_to_refund() {
        let (paid, three) = (Amount::from_minor(1000), Amount::from_minor(300));
        assert_eq!(PaymentStatus::Completed.refundable_remainder(paid, Amount::ZERO), paid);
        assert_eq!(PaymentStatus::PartiallyRefunded.refundable_remainder(paid, three), Amount::from_minor(700));
        assert_eq!(PaymentStatus::Refunded.refundable_remainder(paid, paid), Amount::ZERO);
        assert_eq!(PaymentStatus::AwaitingApproval.refundable_remainder(paid, Amount::ZERO), Amount::ZERO);
        assert_eq!(PaymentStatus::PartiallyRefunded.refundable_remainder(paid, paid), Amount::ZERO);
    }

    #[test]
    fn a_refund_reference_names_its_payment() {
        let payment = PaymentId(uuid::Uuid::from_u128(7));
        assert_eq!(refunded_payment(&refund_ledger_reference(payment)), Some(payment));
        assert_eq!(refunded_payment(&payment_ledger_reference(payment)), None);
        assert_eq!(refunded_payment("refund:nonsense"), None);
    }

    #[test]
    fn till_labels_are_short_and_plain() {
        assert_eq!(TillLabel::parse(Some(" Till 2 ")).map(|t| t.as_str().to_owned()), Ok("Till 2".to_owned()));
        assert_eq!(TillLabel::parse(Some("Till*2")), Err(PaymentTextError::Till));
        assert_eq!(TillLabel::parse(Some("a-very-long-till-label")), Err(PaymentTextError::Till));
        assert_eq!(TillLabel::parse(None), Ok(TillLabel::none()));
    }

    #[test]
    fn references_are_bounded_and_printable() {
        assert_eq!(
            PaymentReference::parse(Some(" receipt 42 ")).map(|r| r.as_str().to_owned()),
            Ok("receipt 42".into())
        );
        assert!(PaymentReference::parse(Some(&"x".repeat(65))).is_err());
        assert!(PaymentReference::parse(Some("a\u{7}b")).is_err());
        assert!(QrReference::parse(Some("Order 17")).is_ok());
        assert!(QrReference::parse(Some("Pedido nº 17")).is_err(), "ASCII only in a QR");
        assert!(QrReference::parse(Some(&"x".repeat(26))).is_err());
    }

    #[test]
    fn refunds_claim_what_is_left_and_no_more() {
        let paid = RefundTarget {
            status: PaymentStatus::Completed,
            amount: Amount::from_minor(1_000),
            refunded: Amount::from_minor(0),
            refunds: 1,
        };
        let part = claim_refund(paid, Amount::from_minor(400)).unwrap();
        assert_eq!(
            part,
            RefundClaimed {
                transition: Transition::new(PaymentStatus::Completed, PaymentStatus::PartiallyRefunded).unwrap(),
                refunded: Amount::from_minor(400),
                refunded_before: Amount::from_minor(0)
            }
        );
        let rest = RefundTarget { status: part.transition.to(), refunded: part.refunded, refunds: 2, ..paid };
        assert_eq!(
            claim_refund(rest, Amount::from_minor(601)),
            Err(RefundRefused::Exceeds { refundable: Amount::from_minor(600) })
        );
        let all = claim_refund(rest, Amount::from_minor(600)).unwrap();
        assert_eq!(
            (all.transition.to(), all.refunded, all.refunded_before),
            (PaymentStatus::Refunded, Amount::from_minor(1_000), Amount::from_minor(400))
        );
        let done = RefundTarget { status: all.transition.to(), refunded: all.refunded, refunds: 3, ..paid };
        assert_eq!(
            claim_refund(done, Amount::from_minor(1)),
            Err(RefundRefused::NotRefundable(PaymentStatus::Refunded))
        );
        for status in [PaymentStatus::Processing, PaymentStatus::AwaitingApproval, PaymentStatus::Failed] {
            assert_eq!(
                claim_refund(RefundTarget { status, ..paid }, Amount::from_minor(1)),
                Err(RefundRefused::NotRefundable(status))
            );
        }
        let crowded = RefundTarget { refunds: MAX_REFUNDS_PER_PAYMENT + 1, ..paid };
        assert_eq!(
            claim_refund(crowded, Amount::from_minor(1)),
            Err(RefundRefused::NotRefundable(PaymentStatus::Completed))
        );
        assert!(claim_refund(paid, Amount::from_minor(i64::MAX)).is_err(), "no overflow past the amount");
    }

    #[test]
    fn a_released_refund_gives_its_claim_back() {
        use PaymentStatus::*;
        let released = |from, refunded, amount| {
            release_refund(from, Amount::from_minor(refunded), Amount::from_minor(amount))
                .map(|(moved, left)| (moved.to(), left.minor()))
        };
        assert_eq!(released(PartiallyRefunded, 400, 400), Some((Completed, 0)));
        assert_eq!(released(Refunded, 1_000, 400), Some((PartiallyRefunded, 600)));
        assert_eq!(released(Failed, 400, 400), None, "a failed payment had no claim to give back");
    }

    #[test]
    fn a_payment_moves_only_as_its_table_says() {
        use PaymentStatus::*;
        let all = [Processing, AwaitingApproval, Completed, Failed, PartiallyRefunded, Refunded];
        assert!(all.iter().all(|to| !Failed.may_become(*to)), "failed is final");
        for from in all {
            assert!(!from.may_become(Processing), "nothing goes back to processing from {from:?}");
            assert_eq!(from.may_become(AwaitingApproval), from == Processing, "{from:?}");
        }
        assert!(!AwaitingApproval.may_become(Refunded) && !Processing.may_become(PartiallyRefunded));
        assert!(Transition::new(Completed, Failed).is_none(), "money that arrived is refunded, never failed");
    }

    #[test]
    fn partial_refunds_give_back_exactly_the_fee_in_total() {
        let (paid, fee) = (Amount::from_minor(1_001), Amount::from_minor(15));
        let mut refunded = Amount::from_minor(0);
        let mut returned = Amount::from_minor(0);
        for part in [333, 1, 400, 267] {
            returned =
                returned.checked_add(fee_returned(paid, fee, refunded, Amount::from_minor(part)).unwrap()).unwrap();
            refunded = refunded.checked_add(Amount::from_minor(part)).unwrap();
        }
        assert_eq!(refunded, paid);
        assert_eq!(returned, fee);
        assert!(fee_returned(paid, fee, paid, Amount::from_minor(1)).is_err(), "nothing beyond the amount paid");
    }
}
