//! Checkout: the cart split into one order per seller, checked against the catalog, the shops'
//! hours and terms, and the payer's limits and PIN; then written (`paying`, with its stock taken),
//! then its money held in one linked chain of ledger holds, then placed. Every step is named by the
//! checkout's id, so a retry (or housekeeping, for a checkout cut short) resumes where it stopped
//! and never holds twice.

use std::collections::BTreeMap;

use quipu_domain::card::{CardNumber, CardStatus};
use quipu_domain::identity::{MerchantId, Pin, Role, UserId};
use quipu_domain::ledger::{AccountKind, TransferCode, TransferCommand, TransferOp};
use quipu_domain::market::AreaId;
use quipu_domain::market::catalog::{Stock, line_hold, line_total};
use quipu_domain::market::checkout::{
    AmountsError, CheckoutId, FulfilmentKind, LineCheck, LineMoney, LineState, MAX_ADDRESS_CHARS, MAX_NOTE_CHARS,
    OrderLeg, OrderPayment, order_amounts, order_id, order_ledger_reference,
};
use quipu_domain::market::order::{OrderActor, OrderStatus, first_move};
use quipu_domain::market::storefront::{Coordinates, DeliveryTerms, SellerKind, within_radius};
use quipu_domain::money::Amount;
use quipu_domain::text::is_display_safe;
use quipu_kernel::{CoreError, CoreResult, ErrorKind, GuessSource, Principal};
use quipu_store::AccountOwner;
use quipu_store::cards::CardRecord;
use quipu_store::market::{SellerRecord, StoredPoint};
use quipu_store::orders::{OrderLineRecord, OrderRecord, Placing};

use crate::Market;
use crate::cart::{CartItem, sum};
use crate::orders::Heard;
use crate::orders::Order;

/// How long a shop has to accept an order before it expires and its hold is voided.
pub const ACCEPT_WITHIN_SECONDS: i64 = 15 * 60;
/// How long an order's hold lasts in the ledger: far past any order's life (housekeeping ends an
/// order long before), so the ledger never lets a hold lapse under an order still in a shop's hands.
pub const HOLD_SECONDS: u32 = 7 * 24 * 60 * 60;
/// How long a shop may keep an accepted order without handing it over: then housekeeping cancels
/// it and gives the money back, days before its hold could lapse in the ledger.
pub const IN_HAND_SECONDS: i64 = 3 * 24 * 60 * 60;
const _: () = assert!(IN_HAND_SECONDS * 2 <= HOLD_SECONDS as i64, "housekeeping has days to spare");

/// How the customer pays.
#[derive(Debug, Clone)]
pub enum PayWith {
    Wallet { pin: Pin },
    Card { number: CardNumber, pin: Pin },
}

/// How one seller's order reaches the customer.
#[derive(Debug, Clone)]
pub struct Fulfilment {
    pub seller: MerchantId,
    pub kind: FulfilmentKind,
    pub area: Option<AreaId>,
    pub location: Option<Coordinates>,
    pub address: String,
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct CheckoutInput {
    pub pay: PayWith,
    pub fulfilments: Vec<Fulfilment>,
}

/// Who pays, found and confirmed.
struct Payer {
    customer: UserId,
    card: Option<CardRecord>,
}

impl Market {
    /// Checks out the caller's cart as one order per seller, holding each order's money.
    /// Idempotent on `checkout`: a retry answers with the orders the first attempt wrote.
    pub async fn checkout(
        &self,
        principal: &Principal,
        checkout: CheckoutId,
        input: CheckoutInput,
    ) -> CoreResult<Vec<Order>> {
        let customer = principal.require(Role::Customer)?;
        let existing = self.orders.checkout_orders(checkout).await?;
        if !existing.is_empty() {
            if existing.iter().any(|order| order.customer != customer) {
                return Err(CoreError::not_found("checkout"));
            }
            return self.hold_and_place(existing).await;
        }
        let cart = self.cart_of(customer).await?;
        if cart.groups.is_empty() {
            return Err(CoreError::rejected("cart_empty", "the cart is empty; add something first"));
        }
        let currency = self.kernel.settings.currencies.default_currency();
        let problems: Vec<String> = cart
            .groups
            .iter()
            .flat_map(|group| group.items.iter())
            .filter_map(|item| item.problem.map(|problem| describe(item, problem, &currency)))
            .collect();
        if !problems.is_empty() {
            return Err(CoreError::new(
                ErrorKind::Conflict,
                "cart_changed",
                format!("some of the cart changed since it was filled: {}", problems.join("; ")),
            ));
        }
        let mut fulfilments: BTreeMap<MerchantId, Fulfilment> = BTreeMap::new();
        for fulfilment in input.fulfilments {
            if fulfilments.insert(fulfilment.seller, fulfilment).is_some() {
                return Err(CoreError::rejected("fulfilment_twice", "each shop's fulfilment is given once"));
            }
        }
        let now = self.kernel.now();
        let mut orders = Vec::with_capacity(cart.groups.len());
        let mut cart_lines = Vec::new();
        for group in &cart.groups {
            let fulfilment = fulfilments.remove(&group.seller).ok_or_else(|| {
                CoreError::rejected("fulfilment_missing", format!("say how the order from {} reaches you", group.name))
            })?;
            let seller = self.open_seller(group.seller, &group.name).await?;
            let terms = self.terms_for(&seller, &fulfilment, &group.name).await?;
            let lines = order_lines(&seller, &group.items)?;
            let money: Vec<LineMoney> =
                lines.iter().map(|line| LineMoney { total: line.money.total, hold: line.money.hold }).collect();
            let amounts = order_amounts(&money, terms).map_err(|error| match error {
                AmountsError::BelowMinimum(below) => CoreError::rejected(
                    "below_minimum",
                    format!(
                        "{} delivers orders from {} {} there",
                        group.name,
                        currency.format_amount(below.minimum),
                        currency.code
                    ),
                ),
                other => CoreError::rejected("order_invalid", other.to_string()),
            })?;
            cart_lines.extend(group.items.iter().map(|item| item.line.id));
            orders.push(OrderRecord {
                id: order_id(checkout, group.seller),
                checkout,
                customer,
                seller: group.seller,
                status: OrderStatus::Paying,
                payment: match input.pay {
                    PayWith::Wallet { .. } => OrderPayment::Wallet,
                    PayWith::Card { .. } => OrderPayment::Card,
                },
                card: None,
                currency: currency.code,
                subtotal: amounts.subtotal,
                delivery_fee: amounts.delivery_fee,
                held: amounts.held,
                captured: Amount::ZERO,
                fee: Amount::ZERO,
                fulfilment: fulfilment.kind,
                area: fulfilment.area.filter(|_| fulfilment.kind == FulfilmentKind::Delivery),
                location: fulfilment
                    .location
                    .filter(|_| fulfilment.kind == FulfilmentKind::Delivery)
                    .map(StoredPoint::from_coordinates),
                address: checked_text(&fulfilment.address, MAX_ADDRESS_CHARS, "delivery_address_invalid")?,
                note: checked_text(&fulfilment.note, MAX_NOTE_CHARS, "note_invalid")?,
                ready_at: None,
                accept_by: now.plus_seconds(ACCEPT_WITHIN_SECONDS),
                reason: None,
                created_at: now,
                updated_at: now,
                lines,
            });
        }
        if let Some(seller) = fulfilments.keys().next() {
            return Err(CoreError::rejected("fulfilment_unknown", format!("the cart has nothing from shop {seller}")));
        }
        let held = sum(orders.iter().map(|order| order.held))?;
        let payer = self.confirm_payer(principal, customer, &input.pay, held).await?;
        for order in &mut orders {
            order.card = payer.card.as_ref().map(|card| card.id);
        }
        let codes = self.handover_hashes(&orders).await?;
        match self.orders.place_orders(&orders, &codes, &cart_lines).await? {
            Placing::Written => {}
            Placing::Exists => {}
            Placing::OutOfStock(product) => {
                let name = orders
                    .iter()
                    .flat_map(|order| order.lines.iter())
                    .find(|line| line.product == product)
                    .map_or_else(String::new, |line| line.name.in_language("ko").to_owned());
                return Err(CoreError::new(
                    ErrorKind::Conflict,
                    "out_of_stock",
                    format!("{name} has just sold out or has fewer left than the cart asks for"),
                ));
            }
        }
        debug_assert!(payer.customer == customer);
        let stored = self.orders.checkout_orders(checkout).await?;
        self.hold_and_place(stored).await
    }

    /// The seller, if it takes orders now: open by its hours and accepting.
    async fn open_seller(&self, seller: MerchantId, name: &str) -> CoreResult<SellerRecord> {
        let record = self.store.seller(seller).await?.ok_or_else(|| CoreError::not_found("seller"))?;
        let zone = self.kernel.merchant_zone(seller).await?;
        if !record.accepting || !record.hours.is_open(&zone, self.kernel.now()) {
            return Err(CoreError::rejected(
                "seller_closed",
                format!("{name} is not taking orders now; try again when it opens"),
            ));
        }
        Ok(record)
    }

    /// The delivery terms for where the order goes, or none for a pickup.
    async fn terms_for(
        &self,
        seller: &SellerRecord,
        fulfilment: &Fulfilment,
        name: &str,
    ) -> CoreResult<Option<DeliveryTerms>> {
        match fulfilment.kind {
            FulfilmentKind::Pickup if seller.pickup => Ok(None),
            FulfilmentKind::Pickup => {
                Err(CoreError::rejected("pickup_unavailable", format!("{name} does not offer pickup")))
            }
            FulfilmentKind::Delivery => {
                if fulfilment.address.trim().is_empty() {
                    return Err(CoreError::rejected("address_missing", "a delivery needs an address to bring it to"));
                }
                let by_area = match fulfilment.area {
                    Some(area) => {
                        self.store.seller_areas(seller.merchant_id).await?.into_iter().find(|s| s.area == area)
                    }
                    None => None,
                };
                let by_radius =
                    match (fulfilment.location, seller.location.and_then(StoredPoint::coordinates), seller.radius) {
                        (Some(customer), Some(shop), Some(radius)) if within_radius(shop, customer, radius.metres) => {
                            Some(radius.terms)
                        }
                        _ => None,
                    };
                by_area.map(|served| served.terms).or(by_radius).map(Some).ok_or_else(|| {
                    CoreError::rejected("outside_delivery_area", format!("{name} does not deliver there"))
                })
            }
        }
    }

    /// Finds who pays, checks their limits (orders' holds count as spending) and their PIN.
    async fn confirm_payer(
        &self,
        principal: &Principal,
        customer: UserId,
        pay: &PayWith,
        held: Amount,
    ) -> CoreResult<Payer> {
        let kernel = &self.kernel;
        let currency = kernel.settings.currencies.default_currency();
        let since = kernel.payment_day_start();
        match pay {
            PayWith::Wallet { pin } => {
                let elsewhere =
                    self.orders.orders_spent_since(Some(customer), None, currency.code.as_str(), since).await?;
                kernel.check_spending(Some(customer), None, currency, held, elsewhere).await?;
                let user = kernel.current_user(principal).await?;
                kernel.check_pin(&user, pin, &GuessSource::user(customer)).await?;
                Ok(Payer { customer, card: None })
            }
            PayWith::Card { number, pin } => {
                let card = kernel.store.card_by_number(number).await?.ok_or_else(|| {
                    CoreError::new(
                        ErrorKind::NotFound,
                        "card_not_found",
                        "no card has this number; check it was typed correctly",
                    )
                })?;
                match card.status {
                    CardStatus::Active => {}
                    CardStatus::Blocked => {
                        return Err(CoreError::rejected(
                            "card_blocked",
                            "this card is blocked; its holder or an agent can unblock it",
                        ));
                    }
                    CardStatus::Replaced => {
                        return Err(CoreError::new(
                            ErrorKind::Conflict,
                            "card_replaced",
                            "this card has been replaced; use the new card",
                        ));
                    }
                }
                if card.currency != currency.code {
                    return Err(CoreError::rejected("currency_mismatch", format!("this card holds {}", card.currency)));
                }
                let elsewhere = self
                    .orders
                    .orders_spent_since(card.customer_id, Some(card.id), currency.code.as_str(), since)
                    .await?;
                kernel.check_spending(card.customer_id, Some(card.id), currency, held, elsewhere).await?;
                kernel.check_card_pin(&card, pin, &GuessSource::user(customer)).await?;
                Ok(Payer { customer, card: Some(card) })
            }
        }
    }

    /// Holds the money of a checkout's orders still `paying`, in one linked chain (all or none),
    /// then places them; if the ledger refuses, they fail and their stock goes back.
    pub(crate) async fn hold_and_place(&self, orders: Vec<OrderRecord>) -> CoreResult<Vec<Order>> {
        let paying: Vec<&OrderRecord> = orders.iter().filter(|order| order.status == OrderStatus::Paying).collect();
        if !paying.is_empty() {
            let mut chain = Vec::with_capacity(paying.len());
            for order in &paying {
                chain.push(self.hold_command(order).await?);
            }
            match self.kernel.ledger.submit(chain).await? {
                Ok(_) => {
                    for order in &paying {
                        self.place(order).await?;
                    }
                }
                Err(rejection) => {
                    let error = CoreError::from(rejection.error);
                    for order in &paying {
                        self.system_move(order, OrderStatus::Failed, Some(error.code.to_owned())).await?;
                    }
                    return Err(error);
                }
            }
        }
        let mut placed = Vec::with_capacity(orders.len());
        for order in orders {
            let stored = self.orders.order(order.id).await?.ok_or_else(|| CoreError::not_found("order"))?;
            if stored.status == OrderStatus::Failed {
                return Err(CoreError::rejected(
                    "checkout_failed",
                    format!("this checkout failed: {}", stored.reason.as_deref().unwrap_or("unknown")),
                ));
            }
            placed.push(self.order_view(stored, OrderActor::Customer).await?);
        }
        Ok(placed)
    }

    async fn hold_command(&self, order: &OrderRecord) -> CoreResult<TransferCommand> {
        let kernel = &self.kernel;
        let payer = match order.card {
            Some(card) => kernel.ensure_account(AccountOwner::Card(card), AccountKind::Card, order.currency).await?,
            None => {
                kernel
                    .ensure_account(AccountOwner::User(order.customer), AccountKind::CustomerWallet, order.currency)
                    .await?
            }
        };
        let merchant =
            kernel.ensure_account(AccountOwner::Merchant(order.seller), AccountKind::Merchant, order.currency).await?;
        Ok(TransferCommand {
            id: OrderLeg::Hold.transfer_id(order.id),
            op: TransferOp::Pending {
                debit: payer,
                credit: merchant,
                amount: order.held,
                currency: order.currency,
                timeout_seconds: Some(HOLD_SECONDS),
            },
            code: TransferCode::Payment,
            reference: order_ledger_reference(order.id),
            credit_cap: None,
        })
    }

    /// A held order reaches the shop, or first the pharmacist when it has flagged lines.
    async fn place(&self, order: &OrderRecord) -> CoreResult<()> {
        if first_move(order.unchecked_lines()).is_none() {
            return self.system_move(order, OrderStatus::Placed, None).await;
        }
        // Placed only on the way to the pharmacist: the shop is told once, after the check.
        self.system_move_heard(order, OrderStatus::Placed, None, Heard::ByNobody).await?;
        let placed = OrderRecord { status: OrderStatus::Placed, ..order.clone() };
        self.system_move(&placed, OrderStatus::AwaitingPharmacist, None).await
    }
}

/// The order's lines from the cart's, priced as the customer saw them (checked equal to the
/// catalog's just before), flagged for a pharmacist where a pharmacy's product asks for it.
fn order_lines(seller: &SellerRecord, items: &[CartItem]) -> CoreResult<Vec<OrderLineRecord>> {
    items
        .iter()
        .enumerate()
        .map(|(position, item)| {
            let product = item.product.as_ref().ok_or_else(|| CoreError::not_found("product"))?;
            let line = &item.line;
            let invalid = |error: quipu_domain::market::catalog::ChoiceError| {
                CoreError::rejected("quantity_invalid", error.to_string())
            };
            let total = line_total(line.unit_price, line.quantity).map_err(invalid)?;
            let flagged = product.needs_pharmacist && seller.kind == SellerKind::Pharmacy;
            Ok(OrderLineRecord {
                position: u32::try_from(position).unwrap_or(u32::MAX),
                product: product.id,
                name: product.name.clone(),
                options: chosen_options(product, &line.choices),
                money: LineState {
                    unit: product.unit,
                    quantity: line.quantity,
                    unit_price: line.unit_price,
                    total,
                    hold: line_hold(total, product.unit).map_err(invalid)?,
                    final_total: None,
                },
                reserved: matches!(product.stock, Stock::Tracked(_)),
                check: if flagged { LineCheck::Waiting } else { LineCheck::NotNeeded },
                check_note: None,
                choices: Some(line.choices.clone()),
            })
        })
        .collect()
}

/// The options chosen, in words, for the order's snapshot.
fn chosen_options(product: &quipu_store::market::ProductRecord, choices: &[Vec<usize>]) -> String {
    let mut words = Vec::new();
    for (group, chosen) in product.options.iter().zip(choices) {
        for index in chosen {
            if let Some(option) = group.options().get(*index) {
                words.push(option.name.in_language("ko").to_owned());
            }
        }
    }
    words.join(", ")
}

fn checked_text(text: &str, max: usize, code: &'static str) -> CoreResult<String> {
    let text = text.trim();
    if text.chars().count() > max || !is_display_safe(text) {
        return Err(CoreError::rejected(code, format!("at most {max} characters of plain text")));
    }
    Ok(text.to_owned())
}

/// A line's problem in words, naming the product.
fn describe(item: &CartItem, problem: crate::cart::LineProblem, currency: &quipu_domain::money::Currency) -> String {
    use crate::cart::LineProblem;
    let name = item.product.as_ref().map_or("a product", |product| product.name.in_language("ko"));
    match problem {
        LineProblem::Gone => format!("{name} is no longer sold"),
        LineProblem::PriceChanged { now } => {
            let money = |amount: Amount| format!("{} {}", currency.format_amount(amount), currency.code);
            format!("{name} now costs {} (was {})", money(now), money(item.line.unit_price))
        }
        LineProblem::OptionsChanged => format!("{name}'s options changed"),
        LineProblem::SoldOut => format!("{name} is sold out"),
        LineProblem::NotEnough { left } => format!("only {left} of {name} left"),
    }
}
