//! Carts and orders as the API shows them. An order's view carries what the domain decided
//! (`next_actions`), so an app or a page never works out what may be done.

use quipu_core::kernel::text::rfc3339;
use quipu_core::market::{Cart, Order};
use quipu_domain::money::CurrencyCode;
use quipu_store::orders::{OrderChange, OrderLineRecord};
use serde::Serialize;
use utoipa::ToSchema;

use crate::common::views::MoneyView;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CartLineView {
    pub id: uuid::Uuid,
    pub product_id: uuid::Uuid,
    pub name_ko: Option<String>,
    pub name_en: Option<String>,
    pub quantity: u32,
    /// For each option group, the options chosen (indexes from 0).
    pub choices: Vec<Vec<usize>>,
    /// The unit price the customer saw when adding it.
    pub unit_price: MoneyView,
    pub total: MoneyView,
    /// What stands between this line and checkout: gone, price_changed, options_changed, sold_out
    /// or not_enough; null when none.
    pub problem: Option<String>,
    /// For `price_changed`: the price now.
    pub price_now: Option<MoneyView>,
    /// For `not_enough`: how many are left.
    pub left: Option<u32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CartGroupView {
    pub seller_id: uuid::Uuid,
    pub seller_name: String,
    pub subtotal: MoneyView,
    pub lines: Vec<CartLineView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CartView {
    pub groups: Vec<CartGroupView>,
    pub total: MoneyView,
    /// Whether every line can be checked out as it stands.
    pub ready: bool,
}

impl CartView {
    pub fn new(cart: &Cart, currency: CurrencyCode) -> Self {
        let money = |amount| MoneyView::new(amount, currency);
        Self {
            groups: cart
                .groups
                .iter()
                .map(|group| CartGroupView {
                    seller_id: group.seller.0,
                    seller_name: group.name.clone(),
                    subtotal: money(group.subtotal),
                    lines: group
                        .items
                        .iter()
                        .map(|item| {
                            use quipu_core::market::LineProblem;
                            let name = item.product.as_ref().map(|product| &product.name);
                            CartLineView {
                                id: item.line.id.0,
                                product_id: item.line.product.0,
                                name_ko: name.and_then(|name| name.korean()).map(str::to_owned),
                                name_en: name.and_then(|name| name.english()).map(str::to_owned),
                                quantity: item.line.quantity,
                                choices: item.line.choices.clone(),
                                unit_price: money(item.line.unit_price),
                                total: money(item.total),
                                problem: item.problem.map(|problem| problem.code().to_owned()),
                                price_now: match item.problem {
                                    Some(LineProblem::PriceChanged { now }) => Some(money(now)),
                                    _ => None,
                                },
                                left: match item.problem {
                                    Some(LineProblem::NotEnough { left }) => Some(left),
                                    _ => None,
                                },
                            }
                        })
                        .collect(),
                })
                .collect(),
            total: money(cart.total),
            ready: cart.ready,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderLineView {
    pub position: u32,
    pub product_id: uuid::Uuid,
    pub name_ko: Option<String>,
    pub name_en: Option<String>,
    /// The options chosen, in words.
    pub options: String,
    /// each, kg, 100g or pack.
    pub unit: String,
    pub quantity: u32,
    pub unit_price: MoneyView,
    pub total: MoneyView,
    /// What the line now comes to, once the shop changed it (zero: not supplied).
    pub final_total: Option<MoneyView>,
    /// not_needed, waiting, approved or refused: a pharmacist's check of a flagged line.
    pub check: String,
    pub check_note: Option<String>,
}

impl OrderLineView {
    fn new(line: &OrderLineRecord, currency: CurrencyCode) -> Self {
        let money = |amount| MoneyView::new(amount, currency);
        Self {
            position: line.position,
            product_id: line.product.0,
            name_ko: line.name.korean().map(str::to_owned),
            name_en: line.name.english().map(str::to_owned),
            options: line.options.clone(),
            unit: line.money.unit.as_str().to_owned(),
            quantity: line.money.quantity,
            unit_price: money(line.money.unit_price),
            total: money(line.money.total),
            final_total: line.money.final_total.map(money),
            check: line.check.as_str().to_owned(),
            check_note: line.check_note.clone(),
        }
    }
}

/// One change to the order: who (customer, shop, pharmacist or system), when, what, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderChangeView {
    pub at: String,
    pub actor: String,
    /// moved, line_changed or line_checked.
    pub kind: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub line: Option<u32>,
    pub amount: Option<MoneyView>,
    pub note: Option<String>,
}

impl OrderChangeView {
    fn new(change: &OrderChange, currency: CurrencyCode) -> Self {
        Self {
            at: rfc3339(change.at),
            actor: change.actor.as_str().to_owned(),
            kind: change.kind.as_str().to_owned(),
            from: change.from.map(|status| status.as_str().to_owned()),
            to: change.to.map(|status| status.as_str().to_owned()),
            line: change.line,
            amount: change.amount.map(|amount| MoneyView::new(amount, currency)),
            note: change.note.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderView {
    pub id: uuid::Uuid,
    pub checkout_id: uuid::Uuid,
    /// paying, placed, awaiting_pharmacist, accepted, preparing, ready, completed, rejected,
    /// cancelled, expired or failed.
    pub status: String,
    pub seller_id: uuid::Uuid,
    pub seller_name: String,
    /// wallet or card.
    pub payment: String,
    pub subtotal: MoneyView,
    pub delivery_fee: MoneyView,
    pub total: MoneyView,
    /// What is held on the payer's account until completion (a weighed line keeps a margin).
    pub held: MoneyView,
    /// What completion took; null before.
    pub captured: Option<MoneyView>,
    /// pickup or delivery.
    pub fulfilment: String,
    pub area_id: Option<uuid::Uuid>,
    pub address: String,
    pub note: String,
    pub ready_at: Option<String>,
    /// Unless the shop accepts by then, the order expires and its hold is released.
    pub accept_by: String,
    /// Why it was rejected, cancelled or failed.
    pub reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub lines: Vec<OrderLineView>,
    pub history: Vec<OrderChangeView>,
    /// What the reader may do now: accept, reject, start_preparing, mark_ready, hand_over, cancel,
    /// edit_lines, check_lines, review, reorder, attach_prescription.
    pub next_actions: Vec<String>,
    /// When the customer attached a prescription photo (a pharmacy order); null if they did not.
    pub prescription_uploaded_at: Option<String>,
    /// The four digits the customer gives at hand-over (to the courier at the door, or at the
    /// counter): in the customer's own view of an open order only, null for anyone else.
    #[schema(example = "0421")]
    pub handover_code: Option<String>,
}

impl OrderView {
    /// The reader may do `action` now (one of `next_actions`).
    pub fn may(&self, action: &str) -> bool {
        self.next_actions.iter().any(|next| next == action)
    }
}

impl From<&Order> for OrderView {
    fn from(order: &Order) -> Self {
        let record = &order.record;
        let currency = record.currency;
        let money = |amount| MoneyView::new(amount, currency);
        let total = record.subtotal.checked_add(record.delivery_fee).unwrap_or(record.held);
        Self {
            id: record.id.0,
            checkout_id: record.checkout.0,
            status: record.status.as_str().to_owned(),
            seller_id: record.seller.0,
            seller_name: order.seller_name.clone(),
            payment: record.payment.as_str().to_owned(),
            subtotal: money(record.subtotal),
            delivery_fee: money(record.delivery_fee),
            total: money(total),
            held: money(record.held),
            captured: (record.captured > quipu_domain::Amount::ZERO).then(|| money(record.captured)),
            fulfilment: record.fulfilment.as_str().to_owned(),
            area_id: record.area.map(|area| area.0),
            address: record.address.clone(),
            note: record.note.clone(),
            ready_at: record.ready_at.map(rfc3339),
            accept_by: rfc3339(record.accept_by),
            reason: record.reason.clone(),
            created_at: rfc3339(record.created_at),
            updated_at: rfc3339(record.updated_at),
            lines: record.lines.iter().map(|line| OrderLineView::new(line, currency)).collect(),
            history: order.changes.iter().map(|change| OrderChangeView::new(change, currency)).collect(),
            next_actions: order.next_actions.iter().map(|action| action.as_str().to_owned()).collect(),
            prescription_uploaded_at: order.prescription_at.map(rfc3339),
            handover_code: order.handover_code.as_ref().map(|code| code.expose().to_owned()),
        }
    }
}
