//! From a cart to orders and their money: the limits of a cart, what an order costs and holds,
//! what a shop may change on an accepted order, what completion takes, and the ledger transfers an
//! order makes. Pure; the `quipu-market` context applies it.
//!
//! An order's money is one hold on the payer's account (wallet or prepaid card) for its `held`
//! amount: every line's hold (a weighed line keeps a margin) plus the delivery fee. Completion
//! posts the hold for the final amount, at most what was held (the rest goes back by itself), with
//! the merchant's fee as a linked transfer; every other end voids it.

use crate::identity::MerchantId;
use crate::ledger::{TransferId, derived_id, id_type, string_enum};
use crate::market::catalog::{ChoiceError, Unit, line_total};
use crate::market::storefront::{BelowMinimum, DeliveryTerms};
use crate::money::Amount;

id_type!(
    /// One seller's part of a checkout.
    OrderId
);
id_type!(
    /// A checkout: derived from the caller and their idempotency key, so a retry names the same one.
    CheckoutId
);
id_type!(
    /// A line in a customer's cart.
    CartLineId
);

/// Most sellers one cart may hold (one order each at checkout), and most lines in all.
pub const MAX_CART_SELLERS: usize = 5;
pub const MAX_CART_LINES: usize = 50;
/// Longest note to the shop, and longest address text, in characters.
pub const MAX_NOTE_CHARS: usize = 200;
pub const MAX_ADDRESS_CHARS: usize = 200;
/// Longest reason for rejecting or cancelling, and a pharmacist's note, in characters.
pub const MAX_REASON_CHARS: usize = 200;
/// The longest a shop may promise to have an order ready in.
pub const MAX_READY_MINUTES: u32 = 24 * 60;

/// Each seller's order is named by the checkout and the seller, so a retried checkout finds the
/// orders it wrote.
pub fn order_id(checkout: CheckoutId, seller: MerchantId) -> OrderId {
    OrderId(derived_id("quipu.order", &[checkout.0.as_bytes(), seller.0.as_bytes()]))
}

string_enum!(
    /// The ledger transfers an order makes: `hold` (payer → merchant, pending) at checkout; then
    /// `capture` (the hold posted for the final amount) with `fee` (merchant → fee income) in one
    /// linked chain, or `void`. A delivered order's chain also pays its courier (`courier`:
    /// merchant → the courier's wallet, the delivery fee) and posts the customer's tip
    /// (`tip_hold`: customer → courier, pending, added after pickup; `tip_post` or `tip_void`).
    /// Each id derives from the order's, so a retry names the same transfer and `quipu ledger
    /// verify` finds it again.
    OrderLeg {
        Hold => "hold",
        Capture => "capture",
        Void => "void",
        Fee => "fee",
        Courier => "courier",
        TipHold => "tip_hold",
        TipPost => "tip_post",
        TipVoid => "tip_void",
    }
);

impl OrderLeg {
    pub fn transfer_id(self, order: OrderId) -> TransferId {
        TransferId(derived_id("quipu.order", &[order.0.as_bytes(), self.as_str().as_bytes()]))
    }
}

/// The reference an order's transfers carry.
pub fn order_ledger_reference(order: OrderId) -> String {
    format!("order:{order}")
}

string_enum!(
    /// How an order reaches the customer: picked up at the counter (with the customer's hand-over
    /// code), or brought by a courier (who completes it with the code at the door).
    FulfilmentKind {
        Pickup => "pickup",
        Delivery => "delivery",
    }
);

string_enum!(
    /// How an order is paid: the customer's wallet (their PIN), or a prepaid card (its number and PIN).
    OrderPayment {
        Wallet => "wallet",
        Card => "card",
    }
);

string_enum!(
    /// Where a line flagged "needs a pharmacist's check" stands.
    LineCheck {
        NotNeeded => "not_needed",
        Waiting => "waiting",
        Approved => "approved",
        Refused => "refused",
    }
);

/// What a line costs and holds, priced at checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineMoney {
    pub total: Amount,
    pub hold: Amount,
}

/// What an order costs: its lines, the delivery fee, and what is held for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderAmounts {
    pub subtotal: Amount,
    pub delivery_fee: Amount,
    /// What the customer is told they pay.
    pub total: Amount,
    /// What the hold keeps: the total, plus the margin of weighed lines.
    pub held: Amount,
}

/// Why an order's amounts could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountsError {
    #[error(transparent)]
    BelowMinimum(#[from] BelowMinimum),
    #[error("an order has at least one line")]
    Empty,
    #[error("the order's total does not fit in an amount")]
    Overflow,
}

/// An order's amounts from its lines and, for a delivery, the terms of where it goes.
pub fn order_amounts(lines: &[LineMoney], delivery: Option<DeliveryTerms>) -> Result<OrderAmounts, AmountsError> {
    if lines.is_empty() {
        return Err(AmountsError::Empty);
    }
    let sum = |pick: fn(&LineMoney) -> Amount| {
        lines.iter().try_fold(Amount::ZERO, |sum, line| sum.checked_add(pick(line)).map_err(|_| AmountsError::Overflow))
    };
    let subtotal = sum(|line| line.total)?;
    let holds = sum(|line| line.hold)?;
    let delivery_fee = match delivery {
        Some(terms) => terms.fee_for(subtotal)?,
        None => Amount::ZERO,
    };
    let total = subtotal.checked_add(delivery_fee).map_err(|_| AmountsError::Overflow)?;
    let held = holds.checked_add(delivery_fee).map_err(|_| AmountsError::Overflow)?;
    Ok(OrderAmounts { subtotal, delivery_fee, total, held })
}

/// A line as ordered, and what the shop has made of it since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineState {
    pub unit: Unit,
    pub quantity: u32,
    pub unit_price: Amount,
    pub total: Amount,
    pub hold: Amount,
    /// What the line now comes to, once the shop changed it (zero: not supplied).
    pub final_total: Option<Amount>,
}

impl LineState {
    /// What the customer pays for the line at completion.
    pub fn charged(&self) -> Amount {
        self.final_total.unwrap_or(self.total)
    }
}

/// A change the shop makes to an accepted line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEdit {
    /// The shop cannot supply it: the line comes to nothing.
    Unavailable,
    /// Fewer than ordered are supplied (never more: the hold does not cover more).
    Quantity(u32),
    /// A weighed line's actual price, read off the scale: within what its hold keeps.
    Weighed(Amount),
}

/// Why a line edit was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LineEditError {
    #[error("a line can only come down to fewer than were ordered, not more")]
    MoreThanOrdered,
    #[error("only a weighed line (kg, 100 g) takes a price off the scale")]
    NotWeighed,
    #[error("a weighed line's price must be above zero and within what was held for it")]
    AboveHold,
    #[error("the line's price does not fit in an amount")]
    Overflow,
}

/// What a line comes to after `edit`.
pub fn edit_line(line: &LineState, edit: LineEdit) -> Result<Amount, LineEditError> {
    match edit {
        LineEdit::Unavailable => Ok(Amount::ZERO),
        LineEdit::Quantity(0) => Ok(Amount::ZERO),
        LineEdit::Quantity(quantity) if quantity > line.quantity => Err(LineEditError::MoreThanOrdered),
        LineEdit::Quantity(quantity) => line_total(line.unit_price, quantity).map_err(|error| match error {
            ChoiceError::Overflow => LineEditError::Overflow,
            _ => LineEditError::MoreThanOrdered,
        }),
        LineEdit::Weighed(_) if !line.unit.is_weighed() => Err(LineEditError::NotWeighed),
        LineEdit::Weighed(price) if price <= Amount::ZERO || price > line.hold => Err(LineEditError::AboveHold),
        LineEdit::Weighed(price) => Ok(price),
    }
}

/// Why an order cannot be completed for its lines as they stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    #[error("nothing is left to supply on this order; cancel it instead")]
    Nothing,
    #[error("the order now comes to more than was held for it")]
    AboveHold,
    #[error("the order's total does not fit in an amount")]
    Overflow,
}

/// What completion takes: every line as it now stands, plus the delivery fee; never more than
/// was held, and never nothing (an order with nothing to supply is cancelled, not completed).
pub fn capture_amount(lines: &[LineState], delivery_fee: Amount, held: Amount) -> Result<Amount, CaptureError> {
    let supplied = lines
        .iter()
        .try_fold(Amount::ZERO, |sum, line| sum.checked_add(line.charged()))
        .map_err(|_| CaptureError::Overflow)?;
    if supplied <= Amount::ZERO {
        return Err(CaptureError::Nothing);
    }
    let total = supplied.checked_add(delivery_fee).map_err(|_| CaptureError::Overflow)?;
    if total > held {
        return Err(CaptureError::AboveHold);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::market::catalog::line_hold;

    fn money(minor: i64) -> Amount {
        Amount::from_minor(minor)
    }

    fn line(unit: Unit, quantity: u32, unit_price: i64) -> LineState {
        let total = line_total(money(unit_price), quantity).unwrap();
        LineState {
            unit,
            quantity,
            unit_price: money(unit_price),
            total,
            hold: line_hold(total, unit).unwrap(),
            final_total: None,
        }
    }

    fn priced(line: &LineState) -> LineMoney {
        LineMoney { total: line.total, hold: line.hold }
    }

    #[test]
    fn an_order_holds_its_lines_the_weighed_margin_and_the_delivery_fee() {
        let lines = [line(Unit::Each, 2, 1_500), line(Unit::Kilogram, 1, 1_000)];
        let terms = DeliveryTerms { fee: money(300), minimum_order: money(1_000), free_from: Some(money(10_000)) };
        let amounts = order_amounts(&lines.map(|l| priced(&l)), Some(terms)).unwrap();
        assert_eq!(
            amounts,
            OrderAmounts { subtotal: money(4_000), delivery_fee: money(300), total: money(4_300), held: money(4_400) }
        );
        let pickup = order_amounts(&lines.map(|l| priced(&l)), None).unwrap();
        assert_eq!((pickup.delivery_fee, pickup.held), (Amount::ZERO, money(4_100)));
    }

    #[test]
    fn delivery_below_the_minimum_is_refused_and_free_above_the_threshold() {
        let terms = DeliveryTerms { fee: money(300), minimum_order: money(5_000), free_from: Some(money(8_000)) };
        let small = [priced(&line(Unit::Each, 1, 4_999))];
        assert_eq!(
            order_amounts(&small, Some(terms)),
            Err(AmountsError::BelowMinimum(BelowMinimum { minimum: money(5_000) }))
        );
        let large = [priced(&line(Unit::Each, 2, 4_000))];
        assert_eq!(order_amounts(&large, Some(terms)).unwrap().delivery_fee, Amount::ZERO);
        assert_eq!(order_amounts(&[], None), Err(AmountsError::Empty));
    }

    #[test]
    fn a_shop_may_only_take_less_and_a_weighed_line_stays_within_its_hold() {
        let eggs = line(Unit::Each, 3, 500);
        assert_eq!(edit_line(&eggs, LineEdit::Quantity(2)), Ok(money(1_000)));
        assert_eq!(edit_line(&eggs, LineEdit::Quantity(4)), Err(LineEditError::MoreThanOrdered));
        assert_eq!(edit_line(&eggs, LineEdit::Unavailable), Ok(Amount::ZERO));
        assert_eq!(edit_line(&eggs, LineEdit::Weighed(money(900))), Err(LineEditError::NotWeighed));
        let beef = line(Unit::Kilogram, 1, 2_000);
        assert_eq!(edit_line(&beef, LineEdit::Weighed(money(2_200))), Ok(money(2_200)));
        assert_eq!(edit_line(&beef, LineEdit::Weighed(money(2_201))), Err(LineEditError::AboveHold));
        assert_eq!(edit_line(&beef, LineEdit::Weighed(Amount::ZERO)), Err(LineEditError::AboveHold));
    }

    #[test]
    fn completion_takes_what_was_supplied_plus_the_fee_never_more_than_held_nor_nothing() {
        let mut lines = [line(Unit::Each, 2, 1_000), line(Unit::Kilogram, 1, 1_000)];
        assert_eq!(capture_amount(&lines, money(300), money(3_400)), Ok(money(3_300)));
        lines[0].final_total = Some(Amount::ZERO);
        lines[1].final_total = Some(money(1_100));
        assert_eq!(capture_amount(&lines, money(300), money(3_400)), Ok(money(1_400)));
        lines[1].final_total = Some(Amount::ZERO);
        assert_eq!(capture_amount(&lines, money(300), money(3_400)), Err(CaptureError::Nothing));
        lines[1].final_total = Some(money(5_000));
        assert_eq!(capture_amount(&lines, money(300), money(3_400)), Err(CaptureError::AboveHold));
    }

    #[test]
    fn order_ids_and_legs_are_derived_so_a_retry_names_the_same_ones() {
        let checkout = CheckoutId(uuid::Uuid::from_u128(7));
        let (a, b) = (MerchantId(uuid::Uuid::from_u128(1)), MerchantId(uuid::Uuid::from_u128(2)));
        assert_eq!(order_id(checkout, a), order_id(checkout, a));
        assert_ne!(order_id(checkout, a), order_id(checkout, b));
        let order = order_id(checkout, a);
        let legs: std::collections::HashSet<_> = OrderLeg::ALL.iter().map(|leg| leg.transfer_id(order)).collect();
        assert_eq!(legs.len(), OrderLeg::ALL.len());
    }
}
