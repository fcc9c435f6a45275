//! Money leaving the network, and agents' earnings: the rules of merchant
//! payouts (their states, their ledger legs) and of agent commissions (how
//! much an operation earns, never more than the network's fee income holds).
//!
//! A payout moves a merchant's e-money to the network's `settlement` account
//! (the operator's bank pays the merchant from the trust account): held when
//! the owner asks, posted when the operator marks the bank batch paid,
//! voided if rejected. A commission moves money from `fee_income` to the
//! agent's float, in the same linked chain as the operation that earned it.

use crate::Timestamp;
use crate::ledger::{TransferCode, TransferId, derived_id, id_type, string_enum};
use crate::money::{Amount, MoneyError};
use crate::state::StateMachine;

id_type!(
    /// A payout's id: derived from the owner and their Idempotency-Key (or, for a scheduled one,
    /// from the merchant, currency and day), so a retry names the same payout.
    PayoutId
);
id_type!(
    /// A batch of payouts the operator sends to the bank as one file.
    PayoutBatchId
);

string_enum!(
    /// Where a payout stands.
    ///
    /// ```text
    /// pending ──▶ batched ──▶ paid
    ///    │           │
    ///    ├──▶ failed └──▶ rejected ◀── pending
    /// ```
    /// `pending`: requested, its hold placed (or being placed). `batched`: in a
    /// file sent to the bank. `paid`: the bank paid it, the hold posted.
    /// `rejected`: the operator refused it (or the bank did), the hold voided.
    /// `failed`: the ledger refused the hold (the balance was gone); nothing moved.
    PayoutStatus {
        Pending => "pending",
        Batched => "batched",
        Paid => "paid",
        Rejected => "rejected",
        Failed => "failed",
    }
);

impl PayoutStatus {
    /// States a payout never leaves.
    pub const FINAL: [PayoutStatus; 3] = [PayoutStatus::Paid, PayoutStatus::Rejected, PayoutStatus::Failed];

    /// Whether its hold should be open: the money is reserved, not yet gone.
    pub fn holds_money(self) -> bool {
        matches!(self, PayoutStatus::Pending | PayoutStatus::Batched)
    }
}

impl StateMachine for PayoutStatus {
    /// A payout waits (pending), goes to the bank in a batch (batched), and is paid; the operator
    /// rejects it before it is paid, and a hold the ledger refused fails it.
    fn may_become(self, next: PayoutStatus) -> bool {
        use PayoutStatus::*;
        matches!(
            (self, next),
            (Pending, Batched) | (Pending, Rejected) | (Pending, Failed) | (Batched, Paid) | (Batched, Rejected)
        )
    }
}

string_enum!(
    /// The ledger transfers a payout makes: a `hold` (merchant → settlement, pending), then
    /// `post` (paid) or `void` (rejected).
    PayoutLeg {
        Hold => "hold",
        Post => "post",
        Void => "void",
    }
);

impl PayoutLeg {
    /// The state a payout is in once this leg is in the ledger: settling a hold is decided by the
    /// ledger first (a hold settles once), and the payout's status follows it.
    pub fn settles_as(self) -> PayoutStatus {
        match self {
            PayoutLeg::Hold => PayoutStatus::Pending,
            PayoutLeg::Post => PayoutStatus::Paid,
            PayoutLeg::Void => PayoutStatus::Rejected,
        }
    }

    pub fn transfer_id(self, payout: PayoutId) -> TransferId {
        TransferId(derived_id("quipu.payout", &[payout.0.as_bytes(), self.as_str().as_bytes()]))
    }
}

/// The reference a payout's transfers carry.
pub fn payout_ledger_reference(payout: PayoutId) -> String {
    format!("payout:{payout}")
}

/// A scheduled payout's id: one per merchant, currency and day, so two
/// housekeeping passes (or two processes) on one day request one payout.
pub fn scheduled_payout_id(merchant: uuid::Uuid, currency: &str, day: i64) -> PayoutId {
    PayoutId(derived_id("quipu.auto-payout", &[merchant.as_bytes(), currency.as_bytes(), &day.to_be_bytes()]))
}

/// Why a payout request is refused before anything is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PayoutError {
    #[error("the amount is more than the merchant's available balance")]
    AboveAvailable,
    #[error("there is nothing to pay out")]
    NothingAvailable,
}

/// How much a payout request takes: the amount asked, or the whole available balance.
pub fn payout_amount(asked: Option<Amount>, available: Amount) -> Result<Amount, PayoutError> {
    match asked {
        Some(amount) if amount > available => Err(PayoutError::AboveAvailable),
        Some(amount) => Ok(amount),
        None if available > Amount::ZERO => Ok(available),
        None => Err(PayoutError::NothingAvailable),
    }
}

/// Whether a scheduled payout is due: the available balance is above the merchant's threshold.
pub fn scheduled_payout_due(available: Amount, threshold: Amount) -> bool {
    available > threshold && available > Amount::ZERO
}

string_enum!(
    /// Agent operations that may earn a commission.
    CommissionOperation {
        CashIn => "cash_in",
        CashOut => "cash_out",
        CardIssue => "card_issue",
    }
);

/// Basis points in a whole.
const BPS_PER_WHOLE: i64 = 10_000;

/// What an operation earns its agent, as the operator configured it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommissionRate {
    /// A fixed amount per operation.
    Fixed(Amount),
    /// A share of the operation's amount, rounded down (card issues have no amount: they earn nothing this way).
    Bps(u32),
}

/// Why a commission rate is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CommissionError {
    #[error("a fixed commission must not be negative")]
    Negative,
    #[error("a commission in basis points is at most 10000 (the whole amount)")]
    TooManyBps,
    #[error("a card issue has no amount: its commission must be a fixed amount")]
    CardIssueBps,
}

impl CommissionRate {
    /// A rate for an operation, checked.
    pub fn new(operation: CommissionOperation, rate: CommissionRate) -> Result<Self, CommissionError> {
        match rate {
            CommissionRate::Fixed(amount) if amount < Amount::ZERO => Err(CommissionError::Negative),
            CommissionRate::Bps(bps) if i64::from(bps) > BPS_PER_WHOLE => Err(CommissionError::TooManyBps),
            CommissionRate::Bps(_) if operation == CommissionOperation::CardIssue => Err(CommissionError::CardIssueBps),
            rate => Ok(rate),
        }
    }

    /// What an operation of `amount` earns by this rate, before the fee-income cap.
    ///
    /// A fixed commission on cash-in or cash-out is at most [`MAX_FIXED_SHARE_BPS`] of the
    /// operation's amount: otherwise an agent and an accomplice cycling 0.01 in and out would
    /// earn the whole fixed amount each time, and drain the network's fee income into a float.
    pub fn earned(self, operation: CommissionOperation, amount: Amount) -> Result<Amount, MoneyError> {
        match (self, operation) {
            (CommissionRate::Fixed(fixed), CommissionOperation::CardIssue) => Ok(fixed),
            (CommissionRate::Fixed(fixed), _) => Ok(fixed.min(share(amount, MAX_FIXED_SHARE_BPS)?)),
            (CommissionRate::Bps(bps), _) => share(amount, bps),
        }
    }
}

/// The most a fixed commission on cash-in or cash-out may be, as a share of the operation: 10%.
pub const MAX_FIXED_SHARE_BPS: u32 = 1_000;

/// `bps` basis points of `amount`, rounded down.
fn share(amount: Amount, bps: u32) -> Result<Amount, MoneyError> {
    let product = i128::from(amount.minor()).checked_mul(i128::from(bps)).ok_or(MoneyError::Overflow)?;
    let quotient = product.checked_div(i128::from(BPS_PER_WHOLE)).ok_or(MoneyError::Overflow)?;
    i64::try_from(quotient).map(Amount::from_minor).map_err(|_| MoneyError::Overflow)
}

/// What a commission pays: what the rate earns, but never more than the fee
/// income the network has actually earned and not yet spent. The ledger's
/// flag on the fee-income account (debits never above credits) enforces the
/// same bound; this keeps the agent's operation from being refused for it.
pub fn commission_payable(earned: Amount, fee_income_available: Amount) -> Amount {
    earned.min(fee_income_available).max(Amount::ZERO)
}

/// What decides whether an operation's commission is paid, and how much of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommissionCheck {
    /// What the rate earns the operation ([`CommissionRate::earned`]).
    pub earned: Amount,
    /// The operation undoes money the same customer moved the other way at the same agent within
    /// the window (a cash-out after their cash-in, or a cash-in after their cash-out).
    pub reverses_recent: bool,
    /// What the agent's commissions have paid so far today (UTC).
    pub earned_today: Amount,
    /// The most the agent's commissions may pay in a day.
    pub daily_cap: Amount,
    /// What fee income holds, spendable.
    pub fee_income_available: Amount,
}

/// What an operation's commission pays. Commissions reward net new money: an operation that
/// reverses the same customer's recent opposite operation at the same agent earns nothing (all or
/// nothing, whatever the amounts: cycling money in and out earns once, not each time); what is
/// paid keeps the agent's day within the cap, and never exceeds the fee income held.
pub fn commission_due(check: CommissionCheck) -> Amount {
    if check.reverses_recent {
        return Amount::ZERO;
    }
    let left_today = check.daily_cap.checked_sub(check.earned_today).unwrap_or(Amount::ZERO).max(Amount::ZERO);
    commission_payable(check.earned.min(left_today), check.fee_income_available)
}

/// The start of the UTC day `now` falls in: an agent's daily commission cap counts from it.
pub fn commission_day_start(now: Timestamp) -> Timestamp {
    Timestamp(now.0.saturating_sub(now.0.rem_euclid(MICROS_PER_DAY)))
}

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A commission transfer's id: derived from what earned it (the operation's transfer, or the card
/// issued), so a retried operation pays at most one commission.
pub fn commission_transfer_id(operation: CommissionOperation, source: uuid::Uuid) -> TransferId {
    TransferId(derived_id("quipu.commission", &[operation.as_str().as_bytes(), source.as_bytes()]))
}

/// The reference a commission carries: what earned it.
pub fn commission_reference(operation: CommissionOperation, source: uuid::Uuid) -> String {
    format!("{operation}:{source}")
}

/// Reads a commission's reference back.
pub fn parse_commission_reference(reference: &str) -> Option<(CommissionOperation, uuid::Uuid)> {
    let (operation, source) = reference.split_once(':')?;
    Some((CommissionOperation::parse(operation)?, uuid::Uuid::parse_str(source).ok()?))
}

impl CommissionOperation {
    /// The operation that moves money the other way at the same counter: a cash-out reverses a
    /// cash-in and a cash-in a cash-out. A card issue moves no money.
    pub fn reversal(self) -> Option<CommissionOperation> {
        match self {
            CommissionOperation::CashIn => Some(CommissionOperation::CashOut),
            CommissionOperation::CashOut => Some(CommissionOperation::CashIn),
            CommissionOperation::CardIssue => None,
        }
    }

    /// The ledger code of the operation that earns it; none for a card issue (no money moves).
    pub fn transfer_code(self) -> Option<TransferCode> {
        match self {
            CommissionOperation::CashIn => Some(TransferCode::CashIn),
            CommissionOperation::CashOut => Some(TransferCode::CashOut),
            CommissionOperation::CardIssue => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payout_states_move_forward_only() {
        use PayoutStatus::*;
        assert!(Pending.may_become(Batched) && Batched.may_become(Paid));
        assert!(Pending.may_become(Rejected) && Batched.may_become(Rejected));
        assert!(Pending.may_become(Failed));
        for from in PayoutStatus::FINAL {
            assert!(PayoutStatus::ALL.iter().all(|to| !from.may_become(*to)), "{from} is final");
        }
        assert!(!Pending.may_become(Paid), "a payout is paid only from a batch sent to the bank");
        assert!(!Batched.may_become(Pending) && !Batched.may_become(Failed));
    }

    #[test]
    fn payouts_take_at_most_the_available_balance() {
        let available = Amount::from_minor(10_00);
        assert_eq!(payout_amount(None, available), Ok(available));
        assert_eq!(payout_amount(Some(Amount::from_minor(4_00)), available), Ok(Amount::from_minor(4_00)));
        assert_eq!(payout_amount(Some(Amount::from_minor(10_01)), available), Err(PayoutError::AboveAvailable));
        assert_eq!(payout_amount(None, Amount::ZERO), Err(PayoutError::NothingAvailable));
        assert!(scheduled_payout_due(Amount::from_minor(10_001), Amount::from_minor(10_000)));
        assert!(!scheduled_payout_due(Amount::from_minor(10_000), Amount::from_minor(10_000)));
        assert!(!scheduled_payout_due(Amount::ZERO, Amount::ZERO));
    }

    #[test]
    fn payout_legs_and_scheduled_ids_are_derived() {
        let id = PayoutId(uuid::Uuid::from_u128(7));
        assert_ne!(PayoutLeg::Hold.transfer_id(id), PayoutLeg::Post.transfer_id(id));
        assert_eq!(PayoutLeg::Void.transfer_id(id), PayoutLeg::Void.transfer_id(id));
        let merchant = uuid::Uuid::from_u128(9);
        assert_eq!(scheduled_payout_id(merchant, "USD", 20_000), scheduled_payout_id(merchant, "USD", 20_000));
        assert_ne!(scheduled_payout_id(merchant, "USD", 20_000), scheduled_payout_id(merchant, "USD", 20_001));
        assert_ne!(scheduled_payout_id(merchant, "USD", 20_000), scheduled_payout_id(merchant, "EUR", 20_000));
    }

    #[test]
    fn commissions_are_capped_by_fee_income() {
        let fixed = CommissionRate::Fixed(Amount::from_minor(50));
        assert_eq!(fixed.earned(CommissionOperation::CashIn, Amount::from_minor(20_00)), Ok(Amount::from_minor(50)));
        assert_eq!(
            fixed.earned(CommissionOperation::CashIn, Amount::from_minor(1_00)),
            Ok(Amount::from_minor(10)),
            "a fixed commission is at most a tenth of the operation: cycling cents earns nothing"
        );
        assert_eq!(fixed.earned(CommissionOperation::CashOut, Amount::from_minor(1)), Ok(Amount::ZERO));
        assert_eq!(fixed.earned(CommissionOperation::CardIssue, Amount::ZERO), Ok(Amount::from_minor(50)));
        let bps = CommissionRate::Bps(125);
        assert_eq!(
            bps.earned(CommissionOperation::CashIn, Amount::from_minor(50_00)),
            Ok(Amount::from_minor(62)),
            "1.25% of 50.00, rounded down"
        );
        assert_eq!(commission_payable(Amount::from_minor(62), Amount::from_minor(40)), Amount::from_minor(40));
        assert_eq!(commission_payable(Amount::from_minor(62), Amount::ZERO), Amount::ZERO);
        assert_eq!(commission_payable(Amount::from_minor(62), Amount::from_minor(-5)), Amount::ZERO);
        assert_eq!(
            CommissionRate::new(CommissionOperation::CashIn, CommissionRate::Fixed(Amount::from_minor(-1))),
            Err(CommissionError::Negative)
        );
        assert_eq!(
            CommissionRate::new(CommissionOperation::CashOut, CommissionRate::Bps(10_001)),
            Err(CommissionError::TooManyBps)
        );
        assert_eq!(
            CommissionRate::new(CommissionOperation::CardIssue, CommissionRate::Bps(10)),
            Err(CommissionError::CardIssueBps)
        );
    }

    #[test]
    fn commissions_pay_only_net_new_money_within_the_daily_cap() {
        let check = CommissionCheck {
            earned: Amount::from_minor(10),
            reverses_recent: false,
            earned_today: Amount::ZERO,
            daily_cap: Amount::from_minor(1_00),
            fee_income_available: Amount::from_minor(5_00),
        };
        assert_eq!(commission_due(check), Amount::from_minor(10));
        assert_eq!(commission_due(CommissionCheck { reverses_recent: true, ..check }), Amount::ZERO);
        let late = CommissionCheck { earned_today: Amount::from_minor(95), ..check };
        assert_eq!(commission_due(late), Amount::from_minor(5), "only what is left of the day's cap");
        assert_eq!(commission_due(CommissionCheck { earned_today: Amount::from_minor(1_20), ..check }), Amount::ZERO);
        assert_eq!(
            commission_due(CommissionCheck { fee_income_available: Amount::from_minor(3), ..check }),
            Amount::from_minor(3)
        );
        assert_eq!(CommissionOperation::CashIn.reversal(), Some(CommissionOperation::CashOut));
        assert_eq!(CommissionOperation::CashOut.reversal(), Some(CommissionOperation::CashIn));
        assert_eq!(CommissionOperation::CardIssue.reversal(), None);
        let day = 20_000 * MICROS_PER_DAY;
        assert_eq!(commission_day_start(Timestamp(day + 5)), Timestamp(day));
        assert_eq!(commission_day_start(Timestamp(day)), Timestamp(day));
    }

    #[test]
    fn commission_references_round_trip() {
        let source = uuid::Uuid::from_u128(42);
        let reference = commission_reference(CommissionOperation::CashOut, source);
        assert_eq!(parse_commission_reference(&reference), Some((CommissionOperation::CashOut, source)));
        assert_eq!(parse_commission_reference("cash_out:nope"), None);
        assert_eq!(parse_commission_reference("payment:00000000-0000-0000-0000-000000000000"), None);
        assert_ne!(
            commission_transfer_id(CommissionOperation::CashIn, source),
            commission_transfer_id(CommissionOperation::CashOut, source)
        );
    }
}
