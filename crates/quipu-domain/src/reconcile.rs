//! Business records against the ledger: every payment, refund and card
//! replacement has exactly the transfers it should, and every transfer a
//! record makes belongs to one.
//!
//! Storage pages through the records, finds each one's transfers by their
//! derived ids ([`PaymentLeg::transfer_id`], [`RefundLeg::transfer_id`]) and
//! hands them here as facts; [`RecordFacts`] keeps what it found. The other
//! direction is a count: once every record's transfers are found and
//! accounted for by code, a transfer of a record's code that no record
//! accounts for makes the ledger's count larger than the records' (see
//! `verify`). Records still in flight (a payment `processing`, a refund
//! `pending`) may have some of their transfers or none; their transfers must
//! still be the right ones.

use std::collections::HashMap;
use std::fmt;

use uuid::Uuid;

use crate::card::CardId;
use crate::delivery::job::JobStatus;
use crate::identity::{MerchantId, UserId};
use crate::ledger::{AccountKind, HoldState, Transfer, TransferCode, TransferId, TransferKind};
use crate::market::checkout::{OrderId, OrderLeg, order_ledger_reference};
use crate::market::order::OrderStatus;
use crate::money::{Amount, CurrencyCode};
use crate::payment::{
    PaymentId, PaymentLeg, PaymentStatus, RefundId, RefundLeg, RefundStatus, fee_returned, payment_ledger_reference,
    refund_ledger_reference,
};
use crate::settlement::{
    CommissionOperation, PayoutId, PayoutLeg, PayoutStatus, commission_transfer_id, parse_commission_reference,
    payout_ledger_reference,
};
use crate::state::StateMachine;

/// At most this many mismatches are described; the rest are counted.
pub const MAX_REPORTED: usize = 20;

/// An account as the cross-check sees it: its kind, and who owns it (none for the system's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    pub kind: AccountKind,
    pub owner: Option<Uuid>,
}

impl Holder {
    fn is(self, kind: AccountKind, owner: Option<Uuid>) -> bool {
        self.kind == kind && self.owner == owner
    }
}

/// A transfer found for a record, with the holders of its two accounts and,
/// for a pending transfer, where its hold stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundTransfer {
    pub transfer: Transfer,
    pub debit: Holder,
    pub credit: Holder,
    pub hold_state: Option<HoldState>,
}

/// Which account a payment was paid from: a customer's wallet, or a prepaid card's own account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaidFrom {
    Customer(UserId),
    Card(CardId),
}

impl PaidFrom {
    fn holder(self) -> Holder {
        match self {
            PaidFrom::Customer(user) => Holder { kind: AccountKind::CustomerWallet, owner: Some(user.0) },
            PaidFrom::Card(card) => Holder { kind: AccountKind::Card, owner: Some(card.0) },
        }
    }

    /// Where a refund may go: the wallet, or a card account (the card's own, or the card that
    /// replaced it, which the replacement check ties together).
    fn may_receive_refund(self, holder: Holder) -> bool {
        match self {
            PaidFrom::Customer(_) => holder == self.holder(),
            PaidFrom::Card(_) => holder.kind == AccountKind::Card,
        }
    }
}

/// A payment and the transfers found under its legs' ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentFacts {
    pub id: PaymentId,
    pub status: PaymentStatus,
    pub merchant: MerchantId,
    /// `None` only if the record is damaged: a payment always has a payer.
    pub payer: Option<PaidFrom>,
    pub amount: Amount,
    pub fee: Amount,
    pub refunded: Amount,
    pub currency: CurrencyCode,
    pub legs: Vec<(PaymentLeg, FoundTransfer)>,
    pub refunds: Vec<RefundFacts>,
}

/// A refund and the transfers found under its legs' ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundFacts {
    pub id: RefundId,
    pub status: RefundStatus,
    pub amount: Amount,
    pub refunded_before: Amount,
    pub legs: Vec<(RefundLeg, FoundTransfer)>,
}

/// A transfer coded `card_replacement`, with the card its money left and what replaced that card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepFacts {
    pub transfer: TransferId,
    pub from: Holder,
    pub to: Holder,
    /// The replacement recorded on the card the money left, if any.
    pub replaced_by: Option<CardId>,
}

/// A merchant payout and the transfers found under its legs' ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutFacts {
    pub id: PayoutId,
    pub status: PayoutStatus,
    pub merchant: MerchantId,
    pub amount: Amount,
    pub currency: CurrencyCode,
    pub legs: Vec<(PayoutLeg, FoundTransfer)>,
}

/// What a commission's reference names, as storage found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommissionSource {
    /// Nothing: the reference does not parse, or names an operation or card that is not there.
    Missing,
    /// The cash-in or cash-out transfer that earned it.
    Transfer(FoundTransfer),
    /// The card whose issue earned it, and who issued the card.
    Card { issued_by: Uuid },
}

/// A transfer coded `commission`, with what earned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissionFacts {
    pub commission: FoundTransfer,
    pub source: CommissionSource,
}

/// A market order and the transfers found under its legs' ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFacts {
    pub id: OrderId,
    pub status: OrderStatus,
    pub merchant: MerchantId,
    /// `None` only if the record is damaged: an order always has a payer.
    pub payer: Option<PaidFrom>,
    pub held: Amount,
    /// What completion took; zero until then.
    pub captured: Amount,
    pub fee: Amount,
    pub currency: CurrencyCode,
    /// Its delivery job, when a courier was to bring it.
    pub delivery: Option<DeliveryFacts>,
    pub legs: Vec<(OrderLeg, FoundTransfer)>,
}

/// What an order's delivery job says the courier earns: the fee when they delivered the goods or
/// brought them back, and the customer's tip when they delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryFacts {
    pub status: JobStatus,
    pub courier: Option<UserId>,
    pub fee: Amount,
    /// The tip the customer added (from their wallet), or zero.
    pub tip: Amount,
    /// Who tips: the order's customer.
    pub customer: UserId,
}

/// The record a mismatch is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    Payment(PaymentId),
    Refund(RefundId),
    CardSweep(TransferId),
    Payout(PayoutId),
    Commission(TransferId),
    Order(OrderId),
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Record::Payment(id) => write!(f, "payment {id}"),
            Record::Refund(id) => write!(f, "refund {id}"),
            Record::CardSweep(id) => write!(f, "card replacement transfer {id}"),
            Record::Payout(id) => write!(f, "payout {id}"),
            Record::Commission(id) => write!(f, "commission transfer {id}"),
            Record::Order(id) => write!(f, "order {id}"),
        }
    }
}

/// A record whose transfers are not what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMismatch {
    pub record: Record,
    pub problem: &'static str,
}

/// What the cross-check found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecordFacts {
    pub payments_checked: u64,
    pub refunds_checked: u64,
    pub sweeps_checked: u64,
    pub payouts_checked: u64,
    pub commissions_checked: u64,
    pub orders_checked: u64,
    /// Courier payouts (an order's `courier` leg) judged against their delivery jobs.
    pub courier_payouts_checked: u64,
    /// The first [`MAX_REPORTED`] mismatches.
    pub mismatches: Vec<RecordMismatch>,
    /// Mismatches past those.
    pub unreported: u64,
    /// Transfers found as records' legs, by code.
    pub accounted: HashMap<TransferCode, u64>,
    /// Every transfer in the ledger, by code (filled in by storage).
    pub in_ledger: HashMap<TransferCode, u64>,
}

/// The codes only records' transfers carry; the others (cash-in, P2P, …) are records themselves.
pub const RECORD_CODES: [TransferCode; 6] = [
    TransferCode::Payment,
    TransferCode::Fee,
    TransferCode::Refund,
    TransferCode::CardReplacement,
    TransferCode::Payout,
    TransferCode::Commission,
];

impl RecordFacts {
    pub fn check_payment(&mut self, payment: &PaymentFacts) {
        self.payments_checked = self.payments_checked.saturating_add(1);
        for (_, found) in &payment.legs {
            self.account(found.transfer.code);
        }
        let problem = payment_problem(payment);
        if let Some(problem) = problem {
            self.mismatch(Record::Payment(payment.id), problem);
        }
        for refund in &payment.refunds {
            self.refunds_checked = self.refunds_checked.saturating_add(1);
            for (_, found) in &refund.legs {
                self.account(found.transfer.code);
            }
            // A refund is judged against its payment, so only against a payment that holds up.
            if let Some(problem) = refund_problem(payment, refund).filter(|_| problem.is_none()) {
                self.mismatch(Record::Refund(refund.id), problem);
            }
        }
    }

    pub fn check_sweep(&mut self, sweep: &SweepFacts) {
        self.sweeps_checked = self.sweeps_checked.saturating_add(1);
        self.account(TransferCode::CardReplacement);
        let problem = if sweep.from.kind != AccountKind::Card || sweep.to.kind != AccountKind::Card {
            Some("moves money between accounts that are not cards'")
        } else if sweep.replaced_by.map(|card| card.0) != sweep.to.owner || sweep.to.owner.is_none() {
            Some("moves a card's money to a card that did not replace it")
        } else {
            None
        };
        if let Some(problem) = problem {
            self.mismatch(Record::CardSweep(sweep.transfer), problem);
        }
    }

    pub fn check_payout(&mut self, payout: &PayoutFacts) {
        self.payouts_checked = self.payouts_checked.saturating_add(1);
        for (_, found) in &payout.legs {
            self.account(found.transfer.code);
        }
        if let Some(problem) = payout_problem(payout) {
            self.mismatch(Record::Payout(payout.id), problem);
        }
    }

    pub fn check_order(&mut self, order: &OrderFacts) {
        self.orders_checked = self.orders_checked.saturating_add(1);
        if order.legs.iter().any(|(leg, _)| *leg == OrderLeg::Courier) {
            self.courier_payouts_checked = self.courier_payouts_checked.saturating_add(1);
        }
        for (_, found) in &order.legs {
            self.account(found.transfer.code);
        }
        if let Some(problem) = order_problem(order) {
            self.mismatch(Record::Order(order.id), problem);
        }
    }

    pub fn check_commission(&mut self, commission: &CommissionFacts) {
        self.commissions_checked = self.commissions_checked.saturating_add(1);
        self.account(TransferCode::Commission);
        if let Some(problem) = commission_problem(commission) {
            self.mismatch(Record::Commission(commission.commission.transfer.id), problem);
        }
    }

    fn account(&mut self, code: TransferCode) {
        let count = self.accounted.entry(code).or_default();
        *count = count.saturating_add(1);
    }

    fn mismatch(&mut self, record: Record, problem: &'static str) {
        if self.mismatches.len() < MAX_REPORTED {
            self.mismatches.push(RecordMismatch { record, problem });
        } else {
            self.unreported = self.unreported.saturating_add(1);
        }
    }
}

/// The first thing wrong with a payment's transfers, if any.
fn payment_problem(payment: &PaymentFacts) -> Option<&'static str> {
    let Some(payer) = payment.payer else { return Some("has no payer") };
    for (leg, found) in &payment.legs {
        if let Some(problem) = payment_leg_problem(payment, payer, *leg, found) {
            return Some(problem);
        }
    }
    let leg = |wanted: PaymentLeg| payment.legs.iter().find(|(leg, _)| *leg == wanted).map(|(_, found)| found);
    let (pay, hold, post, void, fee) = (
        leg(PaymentLeg::Pay),
        leg(PaymentLeg::Hold),
        leg(PaymentLeg::Post),
        leg(PaymentLeg::Void),
        leg(PaymentLeg::Fee),
    );
    let hold_state = hold.and_then(|found| found.hold_state);
    let settled = PaymentStatus::SETTLED.contains(&payment.status);
    if settled {
        let paid_at_once = pay.is_some() && hold.is_none();
        let paid_on_approval = pay.is_none() && post.is_some() && hold_state == Some(HoldState::Posted);
        if !(paid_at_once || paid_on_approval) || void.is_some() {
            return Some("is settled but its money did not move exactly once");
        }
        if fee.is_some() != (payment.fee > Amount::ZERO) {
            return Some("is settled but its fee transfer is missing or unexpected");
        }
    }
    match payment.status {
        PaymentStatus::Failed if pay.is_some() || post.is_some() || fee.is_some() => {
            return Some("failed but money moved");
        }
        PaymentStatus::Failed
            if hold.is_some() && !matches!(hold_state, Some(HoldState::Voided | HoldState::Expired)) =>
        {
            return Some("failed but its hold was not released");
        }
        PaymentStatus::AwaitingApproval if hold.is_none() || pay.is_some() => {
            return Some("awaits approval without exactly a hold");
        }
        _ => {}
    }
    refunded_problem(payment)
}

/// What a record's leg must be: its shape, its amount, and whether the accounts it found are the
/// right ones.
struct Expected {
    code: TransferCode,
    kind: TransferKind,
    amount: Amount,
    accounts_right: bool,
}

/// The first way `found` differs from what its record expected, if any.
fn leg_problem(
    found: &FoundTransfer,
    expected: Expected,
    currency: CurrencyCode,
    reference: &str,
) -> Option<&'static str> {
    let transfer = &found.transfer;
    if transfer.code != expected.code || transfer.kind != expected.kind {
        Some("has a transfer of the wrong kind under one of its ids")
    } else if transfer.amount != expected.amount || transfer.currency != currency {
        Some("has a transfer of the wrong amount or currency")
    } else if !expected.accounts_right {
        Some("has a transfer between the wrong accounts")
    } else if transfer.reference != reference {
        Some("has a transfer that names another record")
    } else {
        None
    }
}

/// A leg found under a payment's id must be the transfer the payment would have made.
fn payment_leg_problem(
    payment: &PaymentFacts,
    payer: PaidFrom,
    leg: PaymentLeg,
    found: &FoundTransfer,
) -> Option<&'static str> {
    let merchant = Holder { kind: AccountKind::Merchant, owner: Some(payment.merchant.0) };
    let expected = match leg {
        PaymentLeg::Fee => Expected {
            code: TransferCode::Fee,
            kind: TransferKind::Posted,
            amount: payment.fee,
            accounts_right: found.debit == merchant && found.credit.is(AccountKind::FeeIncome, None),
        },
        PaymentLeg::Pay | PaymentLeg::Hold | PaymentLeg::Post | PaymentLeg::Void => Expected {
            code: TransferCode::Payment,
            kind: match leg {
                PaymentLeg::Hold => TransferKind::Pending,
                PaymentLeg::Post => TransferKind::PostPending,
                PaymentLeg::Void => TransferKind::VoidPending,
                PaymentLeg::Pay | PaymentLeg::Fee => TransferKind::Posted,
            },
            amount: payment.amount,
            accounts_right: found.debit == payer.holder() && found.credit == merchant,
        },
    };
    let settles_hold = matches!(leg, PaymentLeg::Post | PaymentLeg::Void);
    leg_problem(found, expected, payment.currency, &payment_ledger_reference(payment.id)).or_else(|| {
        (settles_hold && found.transfer.pending_id != Some(PaymentLeg::Hold.transfer_id(payment.id)))
            .then_some("settles a hold that is not its own")
    })
}

/// A payment's refunded total is what its refunds claimed (every one but the failed), and its
/// state says how much of it was refunded.
fn refunded_problem(payment: &PaymentFacts) -> Option<&'static str> {
    let claimed = payment
        .refunds
        .iter()
        .filter(|refund| refund.status != RefundStatus::Failed)
        .try_fold(Amount::ZERO, |sum, refund| sum.checked_add(refund.amount).ok());
    if claimed != Some(payment.refunded) {
        return Some("its refunded total differs from its refunds");
    }
    let consistent = match payment.status {
        PaymentStatus::Completed => payment.refunded == Amount::ZERO,
        PaymentStatus::PartiallyRefunded => payment.refunded > Amount::ZERO && payment.refunded < payment.amount,
        PaymentStatus::Refunded => payment.refunded == payment.amount,
        _ => payment.refunded == Amount::ZERO,
    };
    if !consistent {
        return Some("its state disagrees with how much was refunded");
    }
    None
}

/// The first thing wrong with a payout's transfers, if any.
fn payout_problem(payout: &PayoutFacts) -> Option<&'static str> {
    let merchant = Holder { kind: AccountKind::Merchant, owner: Some(payout.merchant.0) };
    let hold_id = PayoutLeg::Hold.transfer_id(payout.id);
    let reference = payout_ledger_reference(payout.id);
    for (leg, found) in &payout.legs {
        let expected = Expected {
            code: TransferCode::Payout,
            kind: match leg {
                PayoutLeg::Hold => TransferKind::Pending,
                PayoutLeg::Post => TransferKind::PostPending,
                PayoutLeg::Void => TransferKind::VoidPending,
            },
            amount: payout.amount,
            accounts_right: found.debit == merchant && found.credit.is(AccountKind::Settlement, None),
        };
        if let Some(problem) = leg_problem(found, expected, payout.currency, &reference) {
            return Some(problem);
        }
        if *leg != PayoutLeg::Hold && found.transfer.pending_id != Some(hold_id) {
            return Some("settles a hold that is not its own");
        }
    }
    let leg = |wanted: PayoutLeg| payout.legs.iter().find(|(leg, _)| *leg == wanted).map(|(_, found)| found);
    let (hold, post, void) = (leg(PayoutLeg::Hold), leg(PayoutLeg::Post), leg(PayoutLeg::Void));
    let hold_state = hold.and_then(|found| found.hold_state);
    // Paying and rejecting settle the hold first and the status follows; a crash between the two
    // leaves a payout one step behind its hold, which repeating the step finishes. Such a payout
    // is checked as the state its hold's settlement says, if it may become that state.
    let settled = post.map(|_| PayoutLeg::Post).or(void.map(|_| PayoutLeg::Void)).map(PayoutLeg::settles_as);
    let status = settled.filter(|next| payout.status.may_become(*next)).unwrap_or(payout.status);
    match status {
        PayoutStatus::Pending | PayoutStatus::Batched if post.is_some() || void.is_some() => {
            Some("is not settled but its hold was")
        }
        PayoutStatus::Pending | PayoutStatus::Batched if hold.is_some() && hold_state != Some(HoldState::Open) => {
            Some("is not settled but its hold is not open")
        }
        PayoutStatus::Paid if post.is_none() || void.is_some() || hold_state != Some(HoldState::Posted) => {
            Some("is paid but its hold was not posted")
        }
        PayoutStatus::Rejected if post.is_some() => Some("was rejected but its money left"),
        PayoutStatus::Rejected if hold.is_some() && (void.is_none() || hold_state != Some(HoldState::Voided)) => {
            Some("was rejected but its hold was not released")
        }
        PayoutStatus::Failed if hold.is_some() || post.is_some() || void.is_some() => Some("failed but money moved"),
        _ => None,
    }
}

/// A leg found under an order's id must be the transfer the order would have made.
fn order_leg_problem(
    order: &OrderFacts,
    payer: PaidFrom,
    leg: OrderLeg,
    found: &FoundTransfer,
) -> Option<&'static str> {
    let merchant = Holder { kind: AccountKind::Merchant, owner: Some(order.merchant.0) };
    let wallet = |user: Option<UserId>| Holder { kind: AccountKind::CustomerWallet, owner: user.map(|user| user.0) };
    let courier = order.delivery.as_ref().and_then(|delivery| delivery.courier);
    let tip = order.delivery.as_ref().map_or(Amount::ZERO, |delivery| delivery.tip);
    let customer = order.delivery.as_ref().map(|delivery| delivery.customer);
    let expected = match leg {
        OrderLeg::Courier => Expected {
            code: TransferCode::Delivery,
            kind: TransferKind::Posted,
            amount: order.delivery.as_ref().map_or(Amount::ZERO, |delivery| delivery.fee),
            accounts_right: courier.is_some() && found.debit == merchant && found.credit == wallet(courier),
        },
        OrderLeg::TipHold | OrderLeg::TipPost | OrderLeg::TipVoid => Expected {
            code: TransferCode::Tip,
            kind: match leg {
                OrderLeg::TipPost => TransferKind::PostPending,
                OrderLeg::TipVoid => TransferKind::VoidPending,
                _ => TransferKind::Pending,
            },
            amount: tip,
            accounts_right: courier.is_some() && found.debit == wallet(customer) && found.credit == wallet(courier),
        },
        OrderLeg::Fee => Expected {
            code: TransferCode::Fee,
            kind: TransferKind::Posted,
            amount: order.fee,
            accounts_right: found.debit == merchant && found.credit.is(AccountKind::FeeIncome, None),
        },
        OrderLeg::Hold | OrderLeg::Capture | OrderLeg::Void => Expected {
            code: TransferCode::Payment,
            kind: match leg {
                OrderLeg::Capture => TransferKind::PostPending,
                OrderLeg::Void => TransferKind::VoidPending,
                _ => TransferKind::Pending,
            },
            amount: if leg == OrderLeg::Capture { order.captured } else { order.held },
            accounts_right: found.debit == payer.holder() && found.credit == merchant,
        },
    };
    let settles = match leg {
        OrderLeg::Capture | OrderLeg::Void => Some(OrderLeg::Hold),
        OrderLeg::TipPost | OrderLeg::TipVoid => Some(OrderLeg::TipHold),
        _ => None,
    };
    leg_problem(found, expected, order.currency, &order_ledger_reference(order.id)).or_else(|| {
        settles
            .is_some_and(|hold| found.transfer.pending_id != Some(hold.transfer_id(order.id)))
            .then_some("settles a hold that is not its own")
    })
}

/// The first thing wrong with what an order's courier was paid, if any. The courier's fee is paid
/// when they delivered or brought the goods back, and their tip (if the customer added one) when
/// they delivered; the payment goes first and the job's step after, so a job one step behind its
/// payment (still carrying) is a crash the courier's retry finishes.
fn courier_problem(order: &OrderFacts) -> Option<&'static str> {
    let leg = |wanted: OrderLeg| order.legs.iter().any(|(leg, _)| *leg == wanted);
    let Some(delivery) = &order.delivery else {
        let paid = leg(OrderLeg::Courier) || leg(OrderLeg::TipHold);
        return paid.then_some("paid a courier but has no delivery");
    };
    let rode = matches!(delivery.status, JobStatus::Delivered | JobStatus::Returned);
    let behind = delivery.status.is_carrying();
    if leg(OrderLeg::Courier) && !(rode || behind) {
        return Some("paid its courier for a delivery that did not happen");
    }
    if rode && delivery.fee > Amount::ZERO && !leg(OrderLeg::Courier) {
        return Some("was delivered or brought back but its courier was not paid");
    }
    let tipped = leg(OrderLeg::TipHold);
    if tipped && delivery.tip <= Amount::ZERO {
        return Some("holds a tip its delivery does not record");
    }
    if leg(OrderLeg::TipPost) && !(delivery.status == JobStatus::Delivered || behind) {
        return Some("paid a tip for a delivery that did not happen");
    }
    if delivery.status == JobStatus::Delivered && tipped && !leg(OrderLeg::TipPost) {
        return Some("was delivered but its tip is still held");
    }
    if delivery.status.is_final() && delivery.status != JobStatus::Delivered && tipped && !leg(OrderLeg::TipVoid) {
        return Some("ended without delivery but its tip is still held");
    }
    None
}

/// The first thing wrong with an order's transfers, if any. Completing and ending an order settle
/// its hold first and the status follows; a crash between the two leaves the order one step
/// behind its hold, which repeating the step (or housekeeping) finishes, so such an order is
/// judged as the end its hold's settlement says, where the table lets it get there.
fn order_problem(order: &OrderFacts) -> Option<&'static str> {
    let Some(payer) = order.payer else { return Some("has no payer") };
    for (leg, found) in &order.legs {
        if let Some(problem) = order_leg_problem(order, payer, *leg, found) {
            return Some(problem);
        }
    }
    if let Some(problem) = courier_problem(order) {
        return Some(problem);
    }
    let leg = |wanted: OrderLeg| order.legs.iter().find(|(leg, _)| *leg == wanted).map(|(_, found)| found);
    let (hold, capture, void, fee) =
        (leg(OrderLeg::Hold), leg(OrderLeg::Capture), leg(OrderLeg::Void), leg(OrderLeg::Fee));
    let hold_state = hold.and_then(|found| found.hold_state);
    if capture.is_some() && void.is_some() {
        return Some("was both captured and voided");
    }
    let captured_now = capture.is_some() && order.status != OrderStatus::Completed;
    let status = if captured_now && order.status.may_become(OrderStatus::Completed) {
        OrderStatus::Completed
    } else if void.is_some() && !order.status.is_final() {
        // Which end it was heading for is not in the ledger; any end that voids will do.
        OrderStatus::Cancelled
    } else {
        order.status
    };
    let released = matches!(hold_state, Some(HoldState::Voided | HoldState::Expired));
    match status {
        OrderStatus::Paying if capture.is_some() || void.is_some() || fee.is_some() => {
            Some("is paying but money moved")
        }
        OrderStatus::Paying if hold.is_some() && hold_state != Some(HoldState::Open) => {
            Some("is paying but its hold is not open")
        }
        OrderStatus::Failed if capture.is_some() || fee.is_some() => Some("failed but money moved"),
        OrderStatus::Failed if hold.is_some() && !released => Some("failed but its hold was not released"),
        OrderStatus::Completed
            if hold.is_none()
                || capture.is_none()
                || hold_state != Some(HoldState::Posted)
                || order.captured <= Amount::ZERO =>
        {
            Some("is completed but its hold was not captured")
        }
        OrderStatus::Completed if fee.is_some() != (order.fee > Amount::ZERO) => {
            Some("is completed but its fee transfer is missing or unexpected")
        }
        OrderStatus::Rejected | OrderStatus::Cancelled | OrderStatus::Expired
            if capture.is_some() || fee.is_some() || hold.is_none() || !released =>
        {
            Some("ended without completing but its hold was not released")
        }
        OrderStatus::Placed
        | OrderStatus::AwaitingPharmacist
        | OrderStatus::Accepted
        | OrderStatus::Preparing
        | OrderStatus::Ready
            if hold.is_none() || capture.is_some() || fee.is_some() || hold_state != Some(HoldState::Open) =>
        {
            Some("is open but its hold is not")
        }
        _ => None,
    }
}

/// The first thing wrong with a commission, if any: it must come from fee income, reach the float
/// of the agent who did the operation its reference names, and carry the id derived from it.
fn commission_problem(facts: &CommissionFacts) -> Option<&'static str> {
    let found = &facts.commission;
    let transfer = &found.transfer;
    if transfer.kind != TransferKind::Posted {
        return Some("has a transfer of the wrong kind under one of its ids");
    }
    if !found.debit.is(AccountKind::FeeIncome, None) || found.credit.kind != AccountKind::AgentFloat {
        return Some("is not paid from fee income to an agent's float");
    }
    let Some((operation, source)) = parse_commission_reference(&transfer.reference) else {
        return Some("names nothing that earns a commission");
    };
    if transfer.id != commission_transfer_id(operation, source) {
        return Some("has an id not derived from what earned it");
    }
    match (&facts.source, operation) {
        (CommissionSource::Transfer(earned), CommissionOperation::CashIn | CommissionOperation::CashOut) => {
            let float = if operation == CommissionOperation::CashIn { earned.debit } else { earned.credit };
            if earned.transfer.id.0 != source || Some(earned.transfer.code) != operation.transfer_code() {
                Some("names an operation of another kind")
            } else if float != found.credit || earned.transfer.currency != transfer.currency {
                Some("was paid to an agent who did not do the operation")
            } else {
                None
            }
        }
        (CommissionSource::Card { issued_by }, CommissionOperation::CardIssue) => {
            (found.credit.owner != Some(*issued_by)).then_some("was paid to an agent who did not issue the card")
        }
        _ => Some("names an operation that is not in the ledger"),
    }
}

/// The first thing wrong with a refund's transfers, if any.
fn refund_problem(payment: &PaymentFacts, refund: &RefundFacts) -> Option<&'static str> {
    let payer = payment.payer?;
    let merchant = Holder { kind: AccountKind::Merchant, owner: Some(payment.merchant.0) };
    let Ok(fee_back) = fee_returned(payment.amount, payment.fee, refund.refunded_before, refund.amount) else {
        return Some("claims more than its payment left to refund");
    };
    let reference = refund_ledger_reference(payment.id);
    for (leg, found) in &refund.legs {
        let expected = match leg {
            RefundLeg::Refund => Expected {
                code: TransferCode::Refund,
                kind: TransferKind::Posted,
                amount: refund.amount,
                accounts_right: found.debit == merchant && payer.may_receive_refund(found.credit),
            },
            RefundLeg::Fee => Expected {
                code: TransferCode::Fee,
                kind: TransferKind::Posted,
                amount: fee_back,
                accounts_right: found.debit.is(AccountKind::FeeIncome, None) && found.credit == merchant,
            },
        };
        if let Some(problem) = leg_problem(found, expected, payment.currency, &reference) {
            return Some(problem);
        }
    }
    let has = |wanted: RefundLeg| refund.legs.iter().any(|(leg, _)| *leg == wanted);
    // The two legs are one linked chain: both or neither, and the fee leg only if a fee comes back.
    let moved = has(RefundLeg::Refund);
    if has(RefundLeg::Fee) != (moved && fee_back > Amount::ZERO) {
        return Some("its fee transfer is missing or unexpected");
    }
    match refund.status {
        RefundStatus::Completed if !moved => Some("completed but no money moved"),
        RefundStatus::Failed if moved => Some("failed but money moved"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use crate::ledger::{TransferKind, derived_id};

    const USD: CurrencyCode = match CurrencyCode::parse_const(*b"USD") {
        Some(code) => code,
        None => panic!("USD is a currency code"),
    };

    fn ids() -> (PaymentId, MerchantId, UserId) {
        (PaymentId(Uuid::from_u128(1)), MerchantId(Uuid::from_u128(2)), UserId(Uuid::from_u128(3)))
    }

    fn wallet() -> Holder {
        Holder { kind: AccountKind::CustomerWallet, owner: Some(ids().2.0) }
    }

    fn merchant() -> Holder {
        Holder { kind: AccountKind::Merchant, owner: Some(ids().1.0) }
    }

    fn fee_income() -> Holder {
        Holder { kind: AccountKind::FeeIncome, owner: None }
    }

    fn found(
        id: TransferId,
        (code, kind): (TransferCode, TransferKind),
        amount: i64,
        (debit, credit): (Holder, Holder),
        reference: String,
    ) -> FoundTransfer {
        FoundTransfer {
            transfer: Transfer {
                id,
                debit_account_id: crate::ledger::AccountId(Uuid::from_u128(10)),
                credit_account_id: crate::ledger::AccountId(Uuid::from_u128(11)),
                amount: Amount::from_minor(amount),
                currency: USD,
                code,
                reference,
                kind,
                pending_id: None,
                expires_at: None,
                timestamp: Timestamp(1),
            },
            debit,
            credit,
            hold_state: None,
        }
    }

    /// A completed payment of 10.00 with a 0.15 fee, paid at once, as `charge` leaves it.
    fn paid() -> PaymentFacts {
        let (id, merchant_id, customer) = ids();
        let reference = payment_ledger_reference(id);
        let pay = found(
            PaymentLeg::Pay.transfer_id(id),
            (TransferCode::Payment, TransferKind::Posted),
            1000,
            (wallet(), merchant()),
            reference.clone(),
        );
        let fee = found(
            PaymentLeg::Fee.transfer_id(id),
            (TransferCode::Fee, TransferKind::Posted),
            15,
            (merchant(), fee_income()),
            reference,
        );
        PaymentFacts {
            id,
            status: PaymentStatus::Completed,
            merchant: merchant_id,
            payer: Some(PaidFrom::Customer(customer)),
            amount: Amount::from_minor(1000),
            fee: Amount::from_minor(15),
            refunded: Amount::ZERO,
            currency: USD,
            legs: vec![(PaymentLeg::Pay, pay), (PaymentLeg::Fee, fee)],
            refunds: Vec::new(),
        }
    }

    /// A refund of 4.00 of [`paid`], with the 0.06 of fee it gives back.
    fn refunded(status: RefundStatus) -> PaymentFacts {
        let mut payment = paid();
        let refund = RefundId(Uuid::from_u128(20));
        let reference = refund_ledger_reference(payment.id);
        let legs = vec![
            (
                RefundLeg::Fee,
                found(
                    RefundLeg::Fee.transfer_id(refund),
                    (TransferCode::Fee, TransferKind::Posted),
                    6,
                    (fee_income(), merchant()),
                    reference.clone(),
                ),
            ),
            (
                RefundLeg::Refund,
                found(
                    RefundLeg::Refund.transfer_id(refund),
                    (TransferCode::Refund, TransferKind::Posted),
                    400,
                    (merchant(), wallet()),
                    reference,
                ),
            ),
        ];
        payment.status = PaymentStatus::PartiallyRefunded;
        payment.refunded = Amount::from_minor(400);
        payment.refunds.push(RefundFacts {
            id: refund,
            status,
            amount: Amount::from_minor(400),
            refunded_before: Amount::ZERO,
            legs,
        });
        payment
    }

    fn problems(payment: &PaymentFacts) -> Vec<&'static str> {
        let mut facts = RecordFacts::default();
        facts.check_payment(payment);
        facts.mismatches.iter().map(|m| m.problem).collect()
    }

    #[test]
    fn a_payment_as_charge_leaves_it_is_clean_and_accounted() {
        let mut facts = RecordFacts::default();
        facts.check_payment(&refunded(RefundStatus::Completed));
        assert_eq!(facts.mismatches, Vec::new());
        assert_eq!(facts.accounted.get(&TransferCode::Payment), Some(&1));
        assert_eq!(facts.accounted.get(&TransferCode::Fee), Some(&2));
        assert_eq!(facts.accounted.get(&TransferCode::Refund), Some(&1));
        assert_eq!((facts.payments_checked, facts.refunds_checked), (1, 1));
    }

    #[test]
    fn settled_payments_need_their_money_moved_once() {
        let mut missing = paid();
        missing.legs.retain(|(leg, _)| *leg != PaymentLeg::Pay);
        assert_eq!(problems(&missing), ["is settled but its money did not move exactly once"]);
        let mut no_fee = paid();
        no_fee.legs.retain(|(leg, _)| *leg != PaymentLeg::Fee);
        assert_eq!(problems(&no_fee), ["is settled but its fee transfer is missing or unexpected"]);
        let mut wrong_amount = paid();
        wrong_amount.amount = Amount::from_minor(999);
        assert_eq!(problems(&wrong_amount), ["has a transfer of the wrong amount or currency"]);
        let mut elsewhere = paid();
        elsewhere.merchant = MerchantId(Uuid::from_u128(99));
        assert_eq!(problems(&elsewhere), ["has a transfer between the wrong accounts"]);
    }

    #[test]
    fn failed_and_waiting_payments_moved_nothing() {
        let mut failed = paid();
        failed.status = PaymentStatus::Failed;
        assert_eq!(problems(&failed), ["failed but money moved"]);
        failed.legs.clear();
        assert_eq!(problems(&failed), Vec::<&str>::new());
        let mut waiting = failed.clone();
        waiting.status = PaymentStatus::AwaitingApproval;
        assert_eq!(problems(&waiting), ["awaits approval without exactly a hold"]);
        let mut processing = failed;
        processing.status = PaymentStatus::Processing;
        assert_eq!(problems(&processing), Vec::<&str>::new(), "in flight: none of its transfers yet");
    }

    #[test]
    fn refunds_match_their_transfers_and_their_payment() {
        assert_eq!(problems(&refunded(RefundStatus::Pending)), Vec::<&str>::new(), "in flight, moved");
        assert_eq!(problems(&refunded(RefundStatus::Failed)), ["its refunded total differs from its refunds"]);
        let mut failed = refunded(RefundStatus::Failed);
        failed.refunded = Amount::ZERO;
        failed.status = PaymentStatus::Completed;
        assert_eq!(problems(&failed), ["failed but money moved"]);
        let mut lost = refunded(RefundStatus::Completed);
        if let Some(refund) = lost.refunds.first_mut() {
            refund.legs.clear();
        }
        assert_eq!(problems(&lost), ["completed but no money moved"]);
        let mut half = refunded(RefundStatus::Completed);
        if let Some(refund) = half.refunds.first_mut() {
            refund.legs.retain(|(leg, _)| *leg == RefundLeg::Refund);
        }
        assert_eq!(problems(&half), ["its fee transfer is missing or unexpected"]);
        let mut wrong_state = refunded(RefundStatus::Completed);
        wrong_state.status = PaymentStatus::Refunded;
        assert_eq!(problems(&wrong_state), ["its state disagrees with how much was refunded"]);
    }

    #[test]
    fn sweeps_go_to_the_replacing_card() {
        let (old, new) = (CardId(Uuid::from_u128(30)), CardId(Uuid::from_u128(31)));
        let card = |id: CardId| Holder { kind: AccountKind::Card, owner: Some(id.0) };
        let transfer = TransferId(derived_id("test", &[]));
        let mut facts = RecordFacts::default();
        facts.check_sweep(&SweepFacts { transfer, from: card(old), to: card(new), replaced_by: Some(new) });
        assert!(facts.mismatches.is_empty());
        facts.check_sweep(&SweepFacts { transfer, from: card(old), to: card(old), replaced_by: Some(new) });
        facts.check_sweep(&SweepFacts { transfer, from: wallet(), to: card(new), replaced_by: None });
        let found: Vec<_> = facts.mismatches.iter().map(|m| m.problem).collect();
        assert_eq!(
            found,
            [
                "moves a card's money to a card that did not replace it",
                "moves money between accounts that are not cards'"
            ]
        );
        assert_eq!(facts.accounted.get(&TransferCode::CardReplacement), Some(&3));
    }
}
