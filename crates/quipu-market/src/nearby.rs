//! The shops around a customer, for the market's home: those that deliver to their area or shared
//! location first, then those that offer pickup; open ones before closed ones; the nearest first.
//! Read from the directory search starts from, so a home page costs no query of its own.

use quipu_domain::identity::MerchantId;
use quipu_domain::market::storefront::SellerKind;
use quipu_kernel::CoreResult;

use crate::Market;
use crate::search::{Whereabouts, standing};

/// Most shops a home lists.
pub const MAX_NEARBY: usize = 100;

/// A shop that serves the customer, as a list of shops shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearby {
    pub merchant: MerchantId,
    pub name: String,
    pub kind: SellerKind,
    pub description: String,
    /// It delivers to the customer's area or location (otherwise: pickup only).
    pub delivers: bool,
    pub pickup: bool,
    /// Open and accepting orders now.
    pub open_now: bool,
    pub distance_metres: Option<u32>,
}

impl Market {
    /// The shops that serve the customer where they are (pickup counts), at most `limit`
    /// ([`MAX_NEARBY`] at most), best first. Anyone may ask: it shows only what shops show.
    pub async fn sellers_near(
        &self,
        whereabouts: Whereabouts,
        kind: Option<SellerKind>,
        limit: usize,
    ) -> CoreResult<Vec<Nearby>> {
        let now = self.kernel.now();
        let listings = self.directory.listings(self.store.as_ref(), now, &self.kernel.settings.time_zone).await?;
        let mut nearby: Vec<Nearby> = listings
            .iter()
            .filter(|listing| kind.is_none_or(|kind| kind == listing.entry.seller.kind))
            .filter_map(|listing| {
                let seller = &listing.entry.seller;
                let standing = standing(listing, whereabouts, now);
                (standing.delivers || seller.pickup).then(|| Nearby {
                    merchant: seller.merchant_id,
                    name: listing.entry.name.clone(),
                    kind: seller.kind,
                    description: seller.description.clone(),
                    delivers: standing.delivers,
                    pickup: seller.pickup,
                    open_now: standing.open_now,
                    distance_metres: standing.distance_metres,
                })
            })
            .collect();
        nearby.sort_by(|a, b| {
            let rank = |shop: &Nearby| (!shop.delivers, !shop.open_now, shop.distance_metres.unwrap_or(u32::MAX));
            rank(a).cmp(&rank(b)).then_with(|| a.name.cmp(&b.name))
        });
        nearby.truncate(limit.min(MAX_NEARBY));
        Ok(nearby)
    }
}
