//! Product search across the sellers that serve a customer: by delivery to their area or shared
//! location, or by pickup. Exact words first; only when nothing matches exactly, the fuzzy forms
//! (one typo), so a correct word is never drowned by near misses.

use std::collections::HashMap;

use quipu_domain::identity::MerchantId;
use quipu_domain::market::AreaId;
use quipu_domain::market::review::RatingTally;
use quipu_domain::market::search::{QueryError, parse_query};
use quipu_domain::market::storefront::{Coordinates, SellerKind, within_radius};
use quipu_domain::money::Amount;
use quipu_kernel::{CoreError, CoreResult, ErrorKind};
use quipu_store::market::{
    FoundProducts, MAX_PRODUCTS_PAGE, MAX_SEARCH_SELLERS, MatchForms, ProductQuery, ProductRecord, SearchOrder,
    SellerFilter, SellerRank, StoredPoint,
};

use crate::Market;
use crate::directory::Listing;

/// Where the customer is, as far as they told.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Whereabouts {
    /// A district they chose.
    Area(AreaId),
    /// Their phone's location, shared for this search.
    Location(Coordinates),
    /// Not said: only pickup is offered.
    Unknown,
}

#[derive(Debug, Clone)]
pub struct SearchInput {
    pub text: String,
    pub whereabouts: Whereabouts,
    pub kind: Option<SellerKind>,
    pub category: Option<String>,
    /// Only sellers open and accepting orders now.
    pub open_now: bool,
    pub min_price: Option<Amount>,
    pub max_price: Option<Amount>,
    pub order: SearchOrder,
    pub limit: u32,
    pub offset: u32,
}

/// A product found, with what the customer needs to know of its seller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub product: ProductRecord,
    pub seller_name: String,
    pub seller_kind: SellerKind,
    /// The seller delivers to the customer's area or location (otherwise: pickup only).
    pub delivers: bool,
    /// Open and accepting orders now.
    pub open_now: bool,
    /// From the customer's shared location to the shop, when both are known.
    pub distance_metres: Option<u32>,
    /// The seller's ratings so far (as the directory read them, seconds ago at most).
    pub seller_rating: RatingTally,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPage {
    pub hits: Vec<Hit>,
    /// How many match in all, counted up to [`quipu_store::market::MAX_COUNTED`].
    pub total: u64,
    /// More than `total` match ("1 000+").
    pub total_capped: bool,
    /// No product matched the words exactly; these match them with one letter changed.
    pub fuzzy: bool,
}

/// How a listed seller stands for this customer now.
pub(crate) struct Standing {
    pub(crate) delivers: bool,
    pub(crate) open_now: bool,
    pub(crate) distance_metres: Option<u32>,
}

pub(crate) fn standing(listing: &Listing, whereabouts: Whereabouts, now: quipu_domain::Timestamp) -> Standing {
    let seller = &listing.entry.seller;
    let shop = seller.location.and_then(StoredPoint::coordinates);
    let (delivers, distance_metres) = match whereabouts {
        Whereabouts::Area(area) => (listing.entry.areas.iter().any(|served| served.area == area), None),
        Whereabouts::Location(customer) => {
            let distance = shop.map(|shop| shop.metres_to(customer));
            let within = match (shop, seller.radius) {
                (Some(shop), Some(radius)) => within_radius(shop, customer, radius.metres),
                _ => false,
            };
            (within, distance)
        }
        Whereabouts::Unknown => (false, None),
    };
    let open_now = seller.accepting && seller.hours.is_open(&listing.zone, now);
    Standing { delivers, open_now, distance_metres }
}

/// Where each serving seller stands in an order by sellers: nearest, or best rated (by the tally
/// its row keeps, as the directory read it). Unranked sellers are left out, and sort last.
fn seller_ranks(order: SearchOrder, serving: &HashMap<MerchantId, (&Listing, Standing)>) -> Vec<SellerRank> {
    let rank = |(listing, standing): &(&Listing, Standing)| match order {
        SearchOrder::Distance => standing.distance_metres,
        SearchOrder::Rating => listing.entry.rating.rank(),
        _ => None,
    };
    let mut ranks: Vec<SellerRank> = serving
        .iter()
        .filter_map(|(seller, serves)| rank(serves).map(|rank| SellerRank { seller: *seller, rank }))
        .collect();
    ranks.sort_unstable_by_key(|ranked| (ranked.rank, ranked.seller));
    ranks
}

impl Market {
    /// Searches the catalogs of the sellers that serve the customer. Anyone may search, signed in
    /// or not: it shows only what shops chose to show.
    pub async fn search(&self, input: &SearchInput) -> CoreResult<SearchPage> {
        let terms = parse_query(&input.text).map_err(|error| match error {
            // Too long is malformed; symbols only is well formed, and finds nothing to look for.
            QueryError::TooLong => CoreError::invalid(error.code(), error.to_string()),
            QueryError::Empty => CoreError::new(ErrorKind::Rejected, error.code(), error.to_string()),
        })?;
        let now = self.kernel.now();
        let listings = self.directory.listings(self.store.as_ref(), now, &self.kernel.settings.time_zone).await?;
        let mut serving: HashMap<MerchantId, (&Listing, Standing)> = HashMap::new();
        for listing in listings.iter() {
            let seller = &listing.entry.seller;
            if input.kind.is_some_and(|kind| kind != seller.kind) {
                continue;
            }
            let standing = standing(listing, input.whereabouts, now);
            if !(standing.delivers || seller.pickup) || (input.open_now && !standing.open_now) {
                continue;
            }
            serving.insert(listing.id(), (listing, standing));
        }
        // Name the sellers the shorter way: none left out (no filter at all), the few left out,
        // or the few that serve. Only a complete directory can say who is left out.
        let complete = listings.len() < MAX_SEARCH_SELLERS;
        let mut among: Vec<MerchantId> = serving.keys().copied().collect();
        among.sort_unstable();
        let mut left_out: Vec<MerchantId> =
            listings.iter().map(Listing::id).filter(|id| !serving.contains_key(id)).collect();
        left_out.sort_unstable();
        let sellers = if !complete || among.len() <= left_out.len() {
            SellerFilter::Among(&among)
        } else if left_out.is_empty() {
            SellerFilter::Every
        } else {
            SellerFilter::Except(&left_out)
        };
        let seller_ranks = seller_ranks(input.order, &serving);
        let mut query = ProductQuery {
            terms: &terms,
            forms: MatchForms::Exact,
            sellers,
            category: input.category.as_deref(),
            min_price: input.min_price,
            max_price: input.max_price,
            order: input.order,
            seller_ranks: &seller_ranks,
            limit: input.limit.clamp(1, MAX_PRODUCTS_PAGE),
            offset: input.offset,
        };
        let mut found = self.store.search_products(&query).await?;
        let fuzzy = found.total == 0;
        if fuzzy {
            query.forms = MatchForms::Fuzzy;
            found = self.store.search_products(&query).await?;
        }
        // A seller enabled by another process since the directory was read is in no list: ask
        // again among the sellers known to serve (the directory catches up within seconds).
        if !matches!(query.sellers, SellerFilter::Among(_))
            && found.page.iter().any(|product| !serving.contains_key(&product.seller))
        {
            query.sellers = SellerFilter::Among(&among);
            found = self.store.search_products(&query).await?;
        }
        let FoundProducts { page: products, total, total_capped } = found;
        let hits = products
            .into_iter()
            .filter_map(|product| {
                let (listing, standing) = serving.get(&product.seller)?;
                Some(Hit {
                    seller_name: listing.entry.name.clone(),
                    seller_kind: listing.entry.seller.kind,
                    delivers: standing.delivers,
                    open_now: standing.open_now,
                    distance_metres: standing.distance_metres,
                    seller_rating: listing.entry.rating,
                    product,
                })
            })
            .collect();
        Ok(SearchPage { hits, total, total_capped, fuzzy: fuzzy && total > 0 })
    }
}
