//! The market: merchants the operator enabled as sellers, their storefronts (hours, places,
//! delivery areas), their catalogs, and search across the sellers that serve a customer.
//!
//! The rules are pure, in `quipu_domain::market`; this context applies them, checks who may act,
//! and writes through its own narrow store handles, [`MarketStore`] and [`OrderStore`], never the
//! whole store. Carts become orders at checkout, one per seller, each with its money held in the
//! ledger until the shop hands it over (captured) or it ends otherwise (voided).

mod bulk;
mod cart;
mod catalog;
mod checkout;
pub mod csv;
mod directory;
mod habits;
mod handover;
pub mod images;
mod nearby;
mod orders;
mod pharmacy;
mod product_images;
mod reorder;
mod reviews;
mod search;
mod storefront;

use std::sync::Arc;

use quipu_kernel::Kernel;
use quipu_store::{HabitStore, MarketStore, OrderStore};

pub use bulk::{BatchError, BulkChange, BulkSummary, ImportSummary, MAX_BULK_CHANGES, MAX_SELLER_PRODUCTS};
pub use cart::{Cart, CartGroup, CartItem, LineProblem};
pub use catalog::ProductInput;
pub use checkout::{ACCEPT_WITHIN_SECONDS, CheckoutInput, Fulfilment, IN_HAND_SECONDS, PayWith};
pub use directory::Listing;
pub use habits::Alert;
pub use nearby::{MAX_NEARBY, Nearby};
pub use orders::Order;
pub use pharmacy::MarketSettings;
pub use reorder::{Reordered, ReorderedLine};
pub use reviews::ReviewInput;
pub use search::{Hit, SearchInput, SearchPage, Whereabouts};
pub use storefront::{Seller, StorefrontInput};

/// The market's services.
#[derive(Clone)]
pub struct Market {
    kernel: Arc<Kernel>,
    store: Arc<dyn MarketStore>,
    orders: Arc<dyn OrderStore>,
    habits: Arc<dyn HabitStore>,
    settings: MarketSettings,
    directory: Arc<directory::Directory>,
    /// Image decoders free now (see `product_images`).
    decoders: Arc<tokio::sync::Semaphore>,
    /// The instance's hand-over key, read (or made) on first use.
    handover_key: Arc<tokio::sync::OnceCell<Vec<u8>>>,
}

impl Market {
    pub fn new(
        kernel: Arc<Kernel>,
        store: Arc<dyn MarketStore>,
        orders: Arc<dyn OrderStore>,
        habits: Arc<dyn HabitStore>,
    ) -> Self {
        let decoders = Arc::new(product_images::decoders());
        let settings = MarketSettings::default();
        Self {
            kernel,
            store,
            orders,
            habits,
            settings,
            directory: Arc::default(),
            decoders,
            handover_key: Arc::default(),
        }
    }

    /// The market with what the operator tuned.
    pub fn with_settings(self, settings: MarketSettings) -> Self {
        Self { settings, ..self }
    }
}
