//! A signed-in customer's cart, kept on the server: lines from up to five sellers, each read back
//! against the catalog as it is now, so the customer sees a changed price or an empty shelf before
//! checkout refuses it.

use std::collections::BTreeMap;

use quipu_domain::identity::{MerchantId, Role, UserId};
use quipu_domain::market::ProductId;
use quipu_domain::market::catalog::{Choices, MAX_LINE_QUANTITY, Stock, line_total, unit_price};
use quipu_domain::market::checkout::{CartLineId, MAX_CART_LINES, MAX_CART_SELLERS};
use quipu_domain::money::Amount;
use quipu_kernel::{CoreError, CoreResult, Principal};
use quipu_store::market::ProductRecord;
use quipu_store::orders::CartLineRecord;

use crate::Market;

/// What stands between a cart line and checkout, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineProblem {
    /// The product was removed or hidden.
    Gone,
    /// Its price (with the options chosen) is not what the customer saw.
    PriceChanged {
        now: Amount,
    },
    /// Its options changed so the choices no longer fit.
    OptionsChanged,
    SoldOut,
    /// Counted stock has fewer than the line asks for.
    NotEnough {
        left: u32,
    },
}

impl LineProblem {
    pub fn code(self) -> &'static str {
        match self {
            LineProblem::Gone => "gone",
            LineProblem::PriceChanged { .. } => "price_changed",
            LineProblem::OptionsChanged => "options_changed",
            LineProblem::SoldOut => "sold_out",
            LineProblem::NotEnough { .. } => "not_enough",
        }
    }
}

/// A cart line read against the catalog.
#[derive(Debug, Clone)]
pub struct CartItem {
    pub line: CartLineRecord,
    pub product: Option<ProductRecord>,
    /// The line at the price the customer saw.
    pub total: Amount,
    pub problem: Option<LineProblem>,
}

/// One seller's part of the cart.
#[derive(Debug, Clone)]
pub struct CartGroup {
    pub seller: MerchantId,
    pub name: String,
    pub items: Vec<CartItem>,
    pub subtotal: Amount,
}

#[derive(Debug, Clone, Default)]
pub struct Cart {
    pub groups: Vec<CartGroup>,
    pub total: Amount,
    /// Whether every line can be checked out as it stands.
    pub ready: bool,
}

/// The line's problem against the product as it is now.
pub(crate) fn line_problem(line: &CartLineRecord, product: Option<&ProductRecord>) -> Option<LineProblem> {
    let Some(product) = product.filter(|product| product.visible && product.seller == line.seller) else {
        return Some(LineProblem::Gone);
    };
    let Ok(now) = unit_price(product.price, &product.options, &line.choices) else {
        return Some(LineProblem::OptionsChanged);
    };
    if now != line.unit_price {
        return Some(LineProblem::PriceChanged { now });
    }
    match product.stock {
        Stock::Untracked { sold_out: true } | Stock::Tracked(0) => Some(LineProblem::SoldOut),
        Stock::Tracked(left) if left < line.quantity => Some(LineProblem::NotEnough { left }),
        _ => None,
    }
}

impl Market {
    fn cart_owner(principal: &Principal) -> CoreResult<UserId> {
        principal.require(Role::Customer)
    }

    /// The caller's cart, read against the catalog as it is now.
    pub async fn cart(&self, principal: &Principal) -> CoreResult<Cart> {
        let customer = Self::cart_owner(principal)?;
        self.cart_of(customer).await
    }

    pub(crate) async fn cart_of(&self, customer: UserId) -> CoreResult<Cart> {
        let lines = self.orders.cart(customer).await?;
        let mut groups: BTreeMap<MerchantId, Vec<CartItem>> = BTreeMap::new();
        for line in lines {
            let product = self.store.product(line.product).await?;
            let problem = line_problem(&line, product.as_ref());
            let total = line_total(line.unit_price, line.quantity).unwrap_or(Amount::ZERO);
            groups.entry(line.seller).or_default().push(CartItem { line, product, total, problem });
        }
        let mut cart = Cart { ready: !groups.is_empty(), ..Cart::default() };
        for (seller, items) in groups {
            let subtotal = sum(items.iter().map(|item| item.total))?;
            cart.total = sum([cart.total, subtotal])?;
            cart.ready &= items.iter().all(|item| item.problem.is_none());
            let name = self.store.merchant_name(seller).await?.unwrap_or_default();
            cart.groups.push(CartGroup { seller, name, items, subtotal });
        }
        Ok(cart)
    }

    /// Adds `quantity` of a product with `choices` (to a line of the same product and choices,
    /// if there is one), at its price now.
    pub async fn add_to_cart(
        &self,
        principal: &Principal,
        product: ProductId,
        quantity: u32,
        choices: Choices,
    ) -> CoreResult<Cart> {
        let customer = Self::cart_owner(principal)?;
        let product =
            self.store.product(product).await?.filter(|p| p.visible).ok_or_else(|| CoreError::not_found("product"))?;
        let price = unit_price(product.price, &product.options, &choices)
            .map_err(|error| CoreError::rejected("choices_invalid", error.to_string()))?;
        let invalid = |error: quipu_domain::market::catalog::ChoiceError| {
            CoreError::rejected("quantity_invalid", error.to_string())
        };
        line_total(price, quantity).map_err(invalid)?;
        let lines = self.orders.cart(customer).await?;
        let same = lines.iter().find(|line| line.product == product.id && line.choices == choices);
        let quantity = same.map_or(Some(quantity), |line| line.quantity.checked_add(quantity)).unwrap_or(u32::MAX);
        line_total(price, quantity).map_err(invalid)?;
        if same.is_none() {
            check_room(&lines, product.seller)?;
        }
        let line = CartLineRecord {
            id: same.map_or_else(|| CartLineId(self.kernel.new_id()), |line| line.id),
            customer,
            product: product.id,
            seller: product.seller,
            quantity,
            choices,
            unit_price: price,
            added_at: same.map_or_else(|| self.kernel.now(), |line| line.added_at),
        };
        self.orders.put_cart_line(&line).await?;
        self.cart_of(customer).await
    }

    /// Sets a line's quantity; zero removes it.
    pub async fn set_cart_quantity(&self, principal: &Principal, line: CartLineId, quantity: u32) -> CoreResult<Cart> {
        let customer = Self::cart_owner(principal)?;
        if quantity == 0 {
            self.orders.remove_cart_lines(customer, Some(&[line])).await?;
        } else {
            if quantity > MAX_LINE_QUANTITY {
                return Err(CoreError::rejected("quantity_invalid", "a quantity is a whole number from 1 to 99"));
            }
            if !self.orders.set_cart_quantity(customer, line, quantity).await? {
                return Err(CoreError::not_found("cart line"));
            }
        }
        self.cart_of(customer).await
    }

    /// Empties the caller's cart.
    pub async fn empty_cart(&self, principal: &Principal) -> CoreResult<Cart> {
        let customer = Self::cart_owner(principal)?;
        self.orders.remove_cart_lines(customer, None).await?;
        self.cart_of(customer).await
    }
}

/// Whether a new line from `seller` fits: at most [`MAX_CART_LINES`] lines from at most
/// [`MAX_CART_SELLERS`] sellers.
pub(crate) fn check_room(lines: &[CartLineRecord], seller: MerchantId) -> CoreResult<()> {
    if lines.len() >= MAX_CART_LINES {
        return Err(CoreError::rejected("cart_full", "a cart holds at most 50 lines; check out or remove some first"));
    }
    let mut sellers: Vec<MerchantId> = lines.iter().map(|line| line.seller).collect();
    sellers.sort();
    sellers.dedup();
    if !sellers.contains(&seller) && sellers.len() >= MAX_CART_SELLERS {
        return Err(CoreError::rejected(
            "cart_too_many_sellers",
            "a cart holds products from at most 5 shops; check out or remove a shop's products first",
        ));
    }
    Ok(())
}

pub(crate) fn sum(amounts: impl IntoIterator<Item = Amount>) -> CoreResult<Amount> {
    amounts.into_iter().try_fold(Amount::ZERO, |sum, amount| {
        sum.checked_add(amount)
            .map_err(|_| CoreError::rejected("amount_too_large", "the total does not fit in an amount"))
    })
}
