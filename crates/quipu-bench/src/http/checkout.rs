//! The checkout scenario: a customer puts a product in their cart (`POST /me/cart/lines`), then
//! checks out for pickup, paying from the wallet with their PIN (`POST /me/checkout`, with an
//! `Idempotency-Key`); the two requests are one checkout, timed from its due time to the
//! checkout's answer. Every till's merchant is a seller, open all day and accepting, with a few
//! counted products (checkout reserves their stock).
//!
//! Like P2P, a checkout verifies the PIN with Argon2id at production cost, so it is bound by the
//! PIN hash by design; [`pin_verify_ms`] measures one verification with the same parameters, to
//! say how much of a checkout that is.

use std::sync::Arc;
use std::time::Instant;

use quipu_core::kernel::secrets::SecretHasher;
use quipu_core::{OsRandom, Settings};
use quipu_domain::Timestamp;
use quipu_domain::market::ProductId;
use quipu_domain::market::catalog::{LocalisedName, MAX_STOCK, Stock, Unit};
use quipu_domain::market::search::index_text;
use quipu_domain::market::storefront::{OpeningHours, SellerKind, parse_day};
use quipu_domain::money::Amount;
use quipu_server::Fallible;
use quipu_store::Store;
use quipu_store::market::{ProductRecord, SellerRecord};
use uuid::Uuid;

use super::{Network, PIN, Prepared, Till, USD, amount_for};

/// Products each seller offers.
const PRODUCTS_PER_SELLER: usize = 4;
/// PIN verifications timed for [`pin_verify_ms`]; the median is reported.
const PIN_SAMPLES: usize = 5;

/// A product a checkout may buy.
pub(super) struct Shelf {
    pub(super) seller: quipu_domain::identity::MerchantId,
    pub(super) product: ProductId,
    price: i64,
}

/// Makes every till's merchant a seller, open all day and accepting, pickup only, with
/// [`PRODUCTS_PER_SELLER`] products priced 1.00 to 4.99 and counted far beyond any run.
pub(super) async fn stock_shelves(store: &Arc<dyn Store>, tills: &[Till], now: Timestamp) -> Fallible<Vec<Shelf>> {
    let all_day = OpeningHours::new(std::array::from_fn(|_| parse_day("00:00-24:00").unwrap_or_default()), vec![])?;
    let mut shelves = Vec::with_capacity(tills.len() * PRODUCTS_PER_SELLER);
    let mut products = Vec::with_capacity(tills.len() * PRODUCTS_PER_SELLER);
    for (index, till) in tills.iter().enumerate() {
        let seller = SellerRecord {
            merchant_id: till.merchant,
            kind: SellerKind::Grocery,
            description: String::new(),
            address: format!("Bench street {index}"),
            location: None,
            hours: all_day.clone(),
            accepting: true,
            preparation_minutes: 10,
            pickup: true,
            radius: None,
            updated_at: now,
        };
        store.save_seller(&seller, &[]).await?;
        for shelf in 0..PRODUCTS_PER_SELLER {
            let price = amount_for(index * PRODUCTS_PER_SELLER + shelf);
            let name = format!("Bench bread {index}-{shelf}");
            let record = ProductRecord {
                id: ProductId(Uuid::now_v7()),
                seller: till.merchant,
                sku: None,
                name: LocalisedName::parse(Some("우유빵"), Some(&name))?,
                description: None,
                category: "bakery".to_owned(),
                currency: USD.code,
                price: Amount::from_minor(price),
                unit: Unit::Each,
                stock: Stock::Tracked(MAX_STOCK),
                needs_pharmacist: false,
                visible: true,
                options: Vec::new(),
                version: 1,
                updated_at: now,
                images: Vec::new(),
            };
            shelves.push(Shelf { seller: till.merchant, product: record.id, price });
            let terms = index_text(&["우유빵", &name, "bakery"]);
            products.push((record, terms));
        }
    }
    store.save_products(&products).await?;
    Ok(shelves)
}

/// Milliseconds one PIN verification takes with the server's Argon2id parameters (the median of
/// a few), on an otherwise idle hasher.
pub(super) async fn pin_verify_ms(settings: &Settings, hash: &str) -> Fallible<f64> {
    let hasher = SecretHasher::new(settings.hash_cost, Arc::new(OsRandom))?;
    let mut samples = Vec::with_capacity(PIN_SAMPLES);
    for _ in 0..PIN_SAMPLES {
        let started = Instant::now();
        if !hasher.verify(PIN, Some(hash)).await? {
            return Err("the bench's PIN hash does not verify".into());
        }
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    Ok(samples.get(PIN_SAMPLES / 2).copied().unwrap_or_default())
}

impl Network {
    /// Checkout `index`: shopper `index` (each once a run, so no two checks of one PIN, nor two
    /// carts, ever race) buys one of the next shelf's product, for pickup.
    pub(super) fn checkout(&self, index: usize) -> Option<Prepared> {
        let auth = self.senders.get(index % self.senders.len().max(1))?.clone();
        let shelf = self.shelves.get(index % self.shelves.len().max(1))?;
        let cart = format!(r#"{{"product_id":"{}","quantity":1}}"#, shelf.product.0);
        let body = format!(
            r#"{{"payment":{{"method":"wallet","pin":"{PIN}"}},"fulfilments":[{{"seller_id":"{}","kind":"pickup"}}]}}"#,
            shelf.seller.0
        );
        Some(Prepared { auth, body, amount: shelf.price, cart: Some(cart), url: None })
    }

    /// Orders the shoppers placed in [from, to): (count, sum held).
    pub(super) async fn orders_placed(
        &self,
        store: &Arc<dyn Store>,
        from: Timestamp,
        to: Timestamp,
    ) -> Fallible<(u64, i64)> {
        let (mut count, mut held) = (0u64, 0i64);
        for shopper in self.customers.iter().take(self.senders.len()) {
            // Before `to` itself: no id sorts below the nil one.
            let before = (to, quipu_domain::market::checkout::OrderId(uuid::Uuid::nil()));
            let orders = store.customer_orders(shopper.id, before, quipu_store::orders::MAX_ORDERS_PAGE).await?;
            for order in orders.iter().filter(|order| order.created_at >= from) {
                count += 1;
                held += order.held.minor();
            }
        }
        Ok((count, held))
    }
}
