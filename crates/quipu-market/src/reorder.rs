//! Ordering again: a past order's lines, with the options chosen then, go into the cart as the
//! catalog has them now. Each line is read with the cart's own checks, so the customer is told
//! which products are gone, cost something else now, or are sold out, before checkout would say so.

use quipu_domain::market::ProductId;
use quipu_domain::market::catalog::{LocalisedName, MAX_LINE_QUANTITY, unit_price};
use quipu_domain::market::checkout::{CartLineId, OrderId};
use quipu_domain::market::order::{OrderAction, OrderActor, next_actions};
use quipu_domain::money::Amount;
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::orders::{CartLineRecord, OrderLineRecord, OrderRecord};

use crate::Market;
use crate::cart::{Cart, LineProblem, check_room, line_problem};

/// What became of one line of the past order.
#[derive(Debug, Clone)]
pub struct ReorderedLine {
    pub position: u32,
    pub product: ProductId,
    pub name: LocalisedName,
    /// How many went into the cart: the quantity ordered then, fewer when fewer are left, none
    /// when the product is gone, sold out or its options changed.
    pub added: u32,
    pub price_then: Amount,
    /// The unit price with the same options now, if it can still be bought that way.
    pub price_now: Option<Amount>,
    /// What stands in the way, or was changed: the cart's own reading of the line.
    pub problem: Option<LineProblem>,
}

#[derive(Debug, Clone)]
pub struct Reordered {
    pub lines: Vec<ReorderedLine>,
    pub cart: Cart,
}

impl Market {
    /// Puts the lines of one of the caller's ended orders into their cart, as they are now.
    pub async fn reorder(&self, principal: &Principal, id: OrderId) -> CoreResult<Reordered> {
        let order = self.customers_order(principal, id).await?;
        let situation = crate::orders::situation(&order);
        if !next_actions(situation, OrderActor::Customer, true).contains(&OrderAction::Reorder) {
            return Err(CoreError::new(
                ErrorKind::Conflict,
                "order_not_reorderable",
                format!("an order is placed again once it has ended; this one is {}", order.status),
            ));
        }
        let mut cart = self.orders.cart(order.customer).await?;
        let mut lines = Vec::with_capacity(order.lines.len());
        let mut writes: Vec<CartLineRecord> = Vec::new();
        for line in &order.lines {
            let (reordered, write) = self.reorder_line(&order, line, &cart).await?;
            if let Some(write) = write {
                if !cart.iter().any(|kept| kept.id == write.id) {
                    check_room(&cart, write.seller)?;
                }
                cart.retain(|kept| kept.id != write.id);
                cart.push(write.clone());
                writes.retain(|written| written.id != write.id);
                writes.push(write);
            }
            lines.push(reordered);
        }
        self.orders.put_cart_lines(&writes).await?;
        Ok(Reordered { lines, cart: self.cart_of(order.customer).await? })
    }

    /// One past line read against the catalog now, and the cart line it makes, if any.
    async fn reorder_line(
        &self,
        order: &OrderRecord,
        line: &OrderLineRecord,
        cart: &[CartLineRecord],
    ) -> CoreResult<(ReorderedLine, Option<CartLineRecord>)> {
        let product = self.store.product(line.product).await?;
        // Lines written before choices were kept are taken as chosen without options.
        let choices = line.choices.clone().unwrap_or_default();
        let then = CartLineRecord {
            id: CartLineId(self.kernel.new_id()),
            customer: order.customer,
            product: line.product,
            seller: order.seller,
            quantity: line.money.quantity,
            choices,
            unit_price: line.money.unit_price,
            added_at: self.kernel.now(),
        };
        let price_now = product
            .as_ref()
            .filter(|product| product.visible && product.seller == order.seller)
            .and_then(|product| unit_price(product.price, &product.options, &then.choices).ok());
        // Read at today's price, what is left of the line is about the shelf alone.
        let today = CartLineRecord { unit_price: price_now.unwrap_or(then.unit_price), ..then.clone() };
        let shelf = line_problem(&today, product.as_ref());
        let problem = shelf.or_else(|| line_problem(&then, product.as_ref()));
        let added = match (price_now, shelf) {
            (Some(_), None) => then.quantity,
            (Some(_), Some(LineProblem::NotEnough { left })) => left,
            _ => 0,
        };
        let reordered = ReorderedLine {
            position: line.position,
            product: line.product,
            name: line.name.clone(),
            added,
            price_then: line.money.unit_price,
            price_now,
            problem,
        };
        let write = match price_now {
            Some(price) if added > 0 => Some(merged_line(today, price, added, cart)),
            _ => None,
        };
        Ok((reordered, write))
    }
}

/// The cart line a reordered line makes: added to the same product with the same options, at
/// today's price, up to the most one line holds.
fn merged_line(line: CartLineRecord, price: Amount, added: u32, cart: &[CartLineRecord]) -> CartLineRecord {
    match cart.iter().find(|kept| kept.product == line.product && kept.choices == line.choices) {
        Some(kept) => CartLineRecord {
            quantity: kept.quantity.saturating_add(added).min(MAX_LINE_QUANTITY),
            unit_price: price,
            ..kept.clone()
        },
        None => CartLineRecord { quantity: added.min(MAX_LINE_QUANTITY), unit_price: price, ..line },
    }
}
