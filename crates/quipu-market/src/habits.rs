//! Favourite sellers and back-in-stock alerts.
//!
//! An alert fires when its product can be bought again, by whatever path its stock came back (a
//! seller's edit, a CSV import, a bulk change, an order that gave its stock back): right after
//! that write, for the products it restocked ([`Market::after_restock`]), and at every
//! housekeeping pass for any alert still waiting on a product in stock ([`Market::run_due_alerts`]),
//! which catches what a crash between the write and the firing left. Firing is a compare-and-set
//! on the alert's waiting state with the customer's `market.back_in_stock` event in the same
//! transaction, its id derived from the alert, so the customer hears once.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use quipu_domain::identity::{MerchantId, Role, UserId};
use quipu_domain::ledger::derived_id;
use quipu_domain::market::ProductId;
use quipu_domain::market::review::{MAX_ALERTS, MAX_FAVOURITES, in_stock};
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::events::CustomerEventRecord;
use quipu_store::habits::{AlertRecord, FavouriteSeller, Kept};
use quipu_store::market::ProductRecord;
use serde::Serialize;

use crate::Market;

/// At most this many products restocked by one write are looked at one by one; past it, the
/// write runs the whole pass (housekeeping's) instead.
const RESTOCKED_ONE_BY_ONE: usize = 20;
/// Most alerts one pass fires.
const ALERTS_PER_PASS: u32 = 500;

/// An alert, with its product as it is now (none once it is gone).
#[derive(Debug, Clone)]
pub struct Alert {
    pub record: AlertRecord,
    pub product: Option<ProductRecord>,
}

/// What `market.back_in_stock` carries on the customer's stream.
#[derive(Serialize)]
struct BackInStock<'a> {
    product_id: ProductId,
    seller_id: uuid::Uuid,
    name_ko: Option<&'a str>,
    name_en: Option<&'a str>,
}

impl Market {
    /// Keeps a seller among the caller's favourites (already kept: nothing changes).
    pub async fn add_favourite(&self, principal: &Principal, seller: MerchantId) -> CoreResult<Vec<FavouriteSeller>> {
        let customer = principal.require(Role::Customer)?;
        self.store.seller(seller).await?.ok_or_else(|| CoreError::not_found("seller"))?;
        if self.habits.put_favourite(customer, seller, self.kernel.now(), MAX_FAVOURITES).await? == Kept::Full {
            return Err(CoreError::rejected("too_many_favourites", "a customer keeps at most 200 favourite sellers"));
        }
        Ok(self.habits.favourites(customer).await?)
    }

    /// Stops keeping a seller (not kept: nothing changes).
    pub async fn remove_favourite(
        &self,
        principal: &Principal,
        seller: MerchantId,
    ) -> CoreResult<Vec<FavouriteSeller>> {
        let customer = principal.require(Role::Customer)?;
        self.habits.remove_favourite(customer, seller).await?;
        Ok(self.habits.favourites(customer).await?)
    }

    /// The caller's favourite sellers, most recently added first.
    pub async fn favourites(&self, principal: &Principal) -> CoreResult<Vec<FavouriteSeller>> {
        let customer = principal.require(Role::Customer)?;
        Ok(self.habits.favourites(customer).await?)
    }

    /// The caller asks to be told when a sold-out product is back (again, after one fired: armed anew).
    pub async fn arm_alert(&self, principal: &Principal, product: ProductId) -> CoreResult<Vec<Alert>> {
        let customer = principal.require(Role::Customer)?;
        let product =
            self.store.product(product).await?.filter(|p| p.visible).ok_or_else(|| CoreError::not_found("product"))?;
        if in_stock(product.stock) {
            return Err(CoreError::new(
                ErrorKind::Conflict,
                "product_in_stock",
                "this product is in stock now; an alert is for a sold-out one",
            ));
        }
        if self.habits.arm_alert(customer, product.id, self.kernel.now(), MAX_ALERTS).await? == Kept::Full {
            return Err(CoreError::rejected("too_many_alerts", "a customer waits for at most 100 products at once"));
        }
        self.alerts_of(customer).await
    }

    /// The caller no longer waits for a product (not waiting: nothing changes).
    pub async fn remove_alert(&self, principal: &Principal, product: ProductId) -> CoreResult<Vec<Alert>> {
        let customer = principal.require(Role::Customer)?;
        self.habits.remove_alert(customer, product).await?;
        self.alerts_of(customer).await
    }

    /// The caller's alerts, waiting and fired, most recently armed first.
    pub async fn alerts(&self, principal: &Principal) -> CoreResult<Vec<Alert>> {
        let customer = principal.require(Role::Customer)?;
        self.alerts_of(customer).await
    }

    async fn alerts_of(&self, customer: UserId) -> CoreResult<Vec<Alert>> {
        let records = self.habits.alerts(customer).await?;
        let mut alerts = Vec::with_capacity(records.len());
        for record in records {
            let product = self.store.product(record.product).await?.filter(|product| product.visible);
            alerts.push(Alert { record, product });
        }
        Ok(alerts)
    }

    /// After a write that may have brought these products back: fires their alerts now. A
    /// failure here leaves them to housekeeping; the write itself stands.
    pub(crate) async fn after_restock(&self, products: &[ProductId]) {
        let fired = if products.len() > RESTOCKED_ONE_BY_ONE {
            self.fire_due_alerts(None).await
        } else {
            let mut fired = Ok(0);
            for product in products {
                fired = self.fire_due_alerts(Some(*product)).await;
                if fired.is_err() {
                    break;
                }
            }
            fired
        };
        if let Err(error) = fired {
            tracing::warn!(%error, "back-in-stock alerts left to housekeeping");
        }
    }

    /// Housekeeping: fires every alert still waiting on a product in stock. Returns how many fired.
    pub async fn run_due_alerts(&self) -> CoreResult<usize> {
        self.fire_due_alerts(None).await
    }

    async fn fire_due_alerts(&self, product: Option<ProductId>) -> CoreResult<usize> {
        let due = self.habits.due_alerts(product, ALERTS_PER_PASS).await?;
        let mut products: HashMap<ProductId, Option<ProductRecord>> = HashMap::new();
        let mut fired = 0;
        for alert in &due {
            if let Entry::Vacant(unread) = products.entry(alert.product) {
                unread.insert(self.store.product(alert.product).await?);
            }
            // The store's reading of "in stock" is checked against the domain's.
            let Some(Some(product)) = products.get(&alert.product) else { continue };
            if !product.visible || !in_stock(product.stock) {
                continue;
            }
            let event = self.back_in_stock_event(alert, product)?;
            if self.habits.fire_alert(alert, self.kernel.now(), &event).await? {
                fired += 1;
            }
        }
        if fired > 0 {
            self.kernel.events_written();
        }
        Ok(fired)
    }

    fn back_in_stock_event(&self, alert: &AlertRecord, product: &ProductRecord) -> CoreResult<CustomerEventRecord> {
        let data = BackInStock {
            product_id: product.id,
            seller_id: product.seller.0,
            name_ko: product.name.korean(),
            name_en: product.name.english(),
        };
        let data = serde_json::value::to_raw_value(&data)
            .map_err(|error| CoreError::invalid("unserialisable_event", error.to_string()))?;
        let armed_at = alert.armed_at.0.to_be_bytes();
        let id =
            derived_id("quipu.back_in_stock", &[alert.customer.0.as_bytes(), alert.product.0.as_bytes(), &armed_at]);
        quipu_events::new_customer_event(id, "market.back_in_stock", alert.customer, &data, self.kernel.now())
    }
}
