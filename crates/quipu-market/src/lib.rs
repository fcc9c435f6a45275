//! The market: merchants the operator enabled as sellers, their storefronts (hours, places,
//! delivery areas), their catalogs, and search across the sellers that serve a customer.
//!
//! The rules are pure, in `quipu_domain::market`; this context applies them, checks who may act,
//! and writes through its own narrow store handle, [`MarketStore`], never the whole store. Orders
//! and the money they hold come next, on the same handle.

mod catalog;
mod directory;
pub mod images;
mod product_images;
mod search;
mod storefront;

use std::sync::Arc;

use quipu_kernel::Kernel;
use quipu_store::MarketStore;

pub use catalog::ProductInput;
pub use directory::Listing;
pub use search::{Hit, SearchInput, SearchPage, Whereabouts};
pub use storefront::{Seller, StorefrontInput};

/// The market's services.
#[derive(Clone)]
pub struct Market {
    kernel: Arc<Kernel>,
    store: Arc<dyn MarketStore>,
    directory: Arc<directory::Directory>,
    /// Image decoders free now (see `product_images`).
    decoders: Arc<tokio::sync::Semaphore>,
}

impl Market {
    pub fn new(kernel: Arc<Kernel>, store: Arc<dyn MarketStore>) -> Self {
        Self { kernel, store, directory: Arc::default(), decoders: Arc::new(product_images::decoders()) }
    }
}
