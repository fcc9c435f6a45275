//! The sellers search starts from: every storefront with its zone parsed and its areas, read once
//! and kept for a few seconds, so a search costs one query, not one per seller. A change made in
//! this process is seen at once; one made by another process within [`FRESH_FOR_SECONDS`].
//! Checkout reads the seller afresh, so a stale listing can mislead a search, never an order.

use std::sync::Arc;

use quipu_domain::Timestamp;
use quipu_domain::identity::MerchantId;
use quipu_domain::zone::Zone;
use quipu_kernel::CoreResult;
use quipu_store::MarketStore;
use quipu_store::market::SellerEntry;
use tokio::sync::RwLock;

/// How long a read of the directory serves searches.
const FRESH_FOR_SECONDS: i64 = 10;

/// A seller as search sees it.
#[derive(Debug, Clone)]
pub struct Listing {
    pub entry: SellerEntry,
    /// The zone its hours are in: its own, or the network's.
    pub zone: Zone,
}

impl Listing {
    pub fn id(&self) -> MerchantId {
        self.entry.seller.merchant_id
    }
}

#[derive(Default)]
pub(crate) struct Directory {
    cached: RwLock<Option<(Timestamp, Arc<Vec<Listing>>)>>,
}

impl Directory {
    /// Every seller, read afresh when the cached read is older than [`FRESH_FOR_SECONDS`].
    pub(crate) async fn listings(
        &self,
        store: &dyn MarketStore,
        now: Timestamp,
        default_zone: &Zone,
    ) -> CoreResult<Arc<Vec<Listing>>> {
        if let Some((read_at, listings)) = self.cached.read().await.as_ref()
            && now < read_at.plus_seconds(FRESH_FOR_SECONDS)
            && *read_at <= now
        {
            return Ok(listings.clone());
        }
        let entries = store.sellers().await?;
        let listings: Arc<Vec<Listing>> = Arc::new(
            entries
                .into_iter()
                .map(|entry| {
                    // A zone that no longer parses (a renamed IANA zone) falls back to the network's.
                    let zone = entry
                        .time_zone
                        .as_deref()
                        .and_then(|name| Zone::parse(name).ok())
                        .unwrap_or_else(|| default_zone.clone());
                    Listing { entry, zone }
                })
                .collect(),
        );
        *self.cached.write().await = Some((now, listings.clone()));
        Ok(listings)
    }

    /// Drops the cached read: this process changed a storefront.
    pub(crate) async fn forget(&self) {
        *self.cached.write().await = None;
    }
}
