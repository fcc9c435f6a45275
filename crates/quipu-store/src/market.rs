//! The marketplace's records: delivery areas, sellers' storefronts, their catalogs and the search
//! index over them. [`MarketStore`] is the market context's own, narrow handle: the context is
//! given this trait, not the whole store.

use quipu_domain::identity::MerchantId;
use quipu_domain::market::catalog::{LocalisedName, OptionGroup, Stock, Unit};
use quipu_domain::market::review::RatingTally;
use quipu_domain::market::search::{IndexedText, QueryTerm};
use quipu_domain::market::storefront::{Coordinates, DeliveryTerms, OpeningHours, SellerKind};
use quipu_domain::market::{AreaId, ProductId};
use quipu_domain::money::CurrencyCode;
use quipu_domain::{Amount, Timestamp};

use crate::StoreResult;

/// Most areas an operator may define, and most products one search page or catalog page holds.
pub const MAX_AREAS: u32 = 500;
pub const MAX_PRODUCTS_PAGE: u32 = 100;
/// Most sellers one search looks across (every seller of a network this size, at once).
pub const MAX_SEARCH_SELLERS: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaRecord {
    pub id: AreaId,
    pub name: String,
    pub created_at: Timestamp,
}

/// A point stored as whole microdegrees, so both databases keep exactly the same number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredPoint {
    pub latitude_micro: i64,
    pub longitude_micro: i64,
}

impl StoredPoint {
    const MICRO_PER_DEGREE: f64 = 1_000_000.0;

    pub fn from_coordinates(point: Coordinates) -> Self {
        // Within ±180° the products stay far inside i64.
        #[allow(clippy::cast_possible_truncation)]
        let micro = |degrees: f64| (degrees * Self::MICRO_PER_DEGREE).round() as i64;
        Self { latitude_micro: micro(point.latitude()), longitude_micro: micro(point.longitude()) }
    }

    /// The point again; `None` only for a stored value off the globe (a hand-edited row).
    pub fn coordinates(self) -> Option<Coordinates> {
        // Microdegrees are exact in an f64.
        #[allow(clippy::cast_precision_loss)]
        let degrees = |micro: i64| micro as f64 / Self::MICRO_PER_DEGREE;
        Coordinates::new(degrees(self.latitude_micro), degrees(self.longitude_micro)).ok()
    }
}

/// Delivery within a radius of the shop, for customers who share their location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RadiusDelivery {
    pub metres: u32,
    pub terms: DeliveryTerms,
}

/// A merchant enabled as a seller, and its storefront.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerRecord {
    pub merchant_id: MerchantId,
    pub kind: SellerKind,
    pub description: String,
    pub address: String,
    pub location: Option<StoredPoint>,
    pub hours: OpeningHours,
    /// The "accepting orders" switch: a busy kitchen pauses.
    pub accepting: bool,
    pub preparation_minutes: u32,
    pub pickup: bool,
    pub radius: Option<RadiusDelivery>,
    pub updated_at: Timestamp,
}

/// A seller as search and browsing see it: its storefront, its shop's name and time zone, and the
/// areas it delivers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerEntry {
    pub seller: SellerRecord,
    pub name: String,
    /// The shop's own zone; `None` means the network's default.
    pub time_zone: Option<String>,
    pub areas: Vec<SellerAreaRecord>,
    /// Its ratings so far, as its row keeps them.
    pub rating: RatingTally,
}

/// A seller's terms for one area it delivers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SellerAreaRecord {
    pub area: AreaId,
    pub terms: DeliveryTerms,
}

/// A product as stored; `version` counts its changes (a cart line remembers it, so checkout can
/// tell the customer what changed since).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    pub id: ProductId,
    pub seller: MerchantId,
    /// The seller's own code for it (what a CSV import matches on); unique per seller.
    pub sku: Option<String>,
    pub name: LocalisedName,
    pub description: Option<String>,
    pub category: String,
    pub currency: CurrencyCode,
    pub price: Amount,
    pub unit: Unit,
    pub stock: Stock,
    pub needs_pharmacist: bool,
    pub visible: bool,
    pub options: Vec<OptionGroup>,
    pub version: u32,
    pub updated_at: Timestamp,
    /// Its images, in order (the first is its main one); written only by
    /// [`MarketStore::add_product_image`] and [`MarketStore::remove_product_image`], so a
    /// catalog write leaves them as they are.
    pub images: Vec<ProductImage>,
}

/// Most images one product shows.
pub const MAX_PRODUCT_IMAGES: u32 = 6;

/// One size of a product image, as served: JPEG bytes keyed by their SHA-256 (lowercase hex), the
/// key being the URL, so a file is stored once however many products show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFileRecord {
    pub sha256: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
    pub created_at: Timestamp,
}

/// A stored file's key and size, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSize {
    pub sha256: String,
    pub width: u32,
    pub height: u32,
}

/// An image a product shows: its two sizes. Its id is its detail size's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductImage {
    pub thumbnail: ImageSize,
    pub detail: ImageSize,
}

impl ProductImage {
    pub fn id(&self) -> &str {
        &self.detail.sha256
    }
}

/// What adding an image to a product did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageAdded {
    /// Shown last among its images.
    Added,
    /// The product showed this image already; nothing changed.
    AlreadyShown,
    /// The product shows [`MAX_PRODUCT_IMAGES`] already; nothing changed.
    Full,
}

/// How search results are ordered. Every order ends on the product's id, so it is total: both
/// databases give the same order and pages never overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchOrder {
    /// Shortest names first: where the word stands alone ("우유 1L") before where it is a part
    /// ("우유식빵 크림").
    Relevance,
    PriceAscending,
    PriceDescending,
    /// Nearest shops first, by [`ProductQuery::seller_ranks`] (metres); shops whose distance is
    /// unknown last; ties by relevance.
    Distance,
    /// Best-rated shops first, by [`ProductQuery::seller_ranks`]
    /// (`quipu_domain::market::review::RatingTally::rank`, read from each seller's tally, never
    /// from its reviews); shops nobody rated last; ties by relevance.
    Rating,
}

impl SearchOrder {
    /// The order is by the sellers' ranks the query carries (no index keeps it: it is the
    /// customer's, or changes with every review).
    pub fn ranks_sellers(self) -> bool {
        matches!(self, SearchOrder::Distance | SearchOrder::Rating)
    }
}

/// Which of a query's forms to match: exact words first; fuzzy forms only when nothing matched
/// exactly, so a typo still finds something and a correct word is never drowned by near misses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchForms {
    Exact,
    Fuzzy,
}

/// Whose products a search may find. The service says it the shorter way: every seller, only
/// these, or all but these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SellerFilter<'a> {
    /// Every seller's.
    Every,
    /// Only these sellers' (none: nothing is found).
    Among(&'a [MerchantId]),
    /// Every seller's but these.
    Except(&'a [MerchantId]),
}

/// A seller's place in an order by sellers ([`SearchOrder::ranks_sellers`]), smaller first: its
/// distance from the customer in metres, or its rating's rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SellerRank {
    pub seller: MerchantId,
    pub rank: u32,
}

/// The most matches a search counts: past it, the total says "more than this" (a count of every
/// match of a common word would cost as much as the search itself).
pub const MAX_COUNTED: u64 = 1_000;

/// A product search among the given sellers (the service decides which serve the customer).
#[derive(Debug, Clone)]
pub struct ProductQuery<'a> {
    pub terms: &'a [QueryTerm],
    pub forms: MatchForms,
    pub sellers: SellerFilter<'a>,
    pub category: Option<&'a str>,
    pub min_price: Option<Amount>,
    pub max_price: Option<Amount>,
    pub order: SearchOrder,
    /// For an order by sellers: the sellers ranked (at most [`MAX_SEARCH_SELLERS`]); others
    /// sort last. Ignored by the other orders.
    pub seller_ranks: &'a [SellerRank],
    pub limit: u32,
    pub offset: u32,
}

/// A page of a search, and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundProducts {
    pub page: Vec<ProductRecord>,
    /// How many match, at most [`MAX_COUNTED`].
    pub total: u64,
    /// More than [`MAX_COUNTED`] match ("1 000+").
    pub total_capped: bool,
}

#[async_trait::async_trait]
pub trait MarketStore: Send + Sync {
    /// Adds an area; a name already used is a conflict.
    async fn create_area(&self, area: &AreaRecord) -> StoreResult<()>;

    /// Every area, by name (at most [`MAX_AREAS`]).
    async fn areas(&self) -> StoreResult<Vec<AreaRecord>>;

    /// Creates or replaces a seller's storefront, with the areas it delivers to, in one transaction.
    async fn save_seller(&self, seller: &SellerRecord, areas: &[SellerAreaRecord]) -> StoreResult<()>;

    async fn seller(&self, merchant: MerchantId) -> StoreResult<Option<SellerRecord>>;

    async fn seller_areas(&self, merchant: MerchantId) -> StoreResult<Vec<SellerAreaRecord>>;

    /// Every seller (at most [`MAX_SEARCH_SELLERS`]) with its name, zone and areas, for the
    /// directory search starts from.
    async fn sellers(&self) -> StoreResult<Vec<SellerEntry>>;

    /// A merchant's name, if there is such a merchant.
    async fn merchant_name(&self, merchant: MerchantId) -> StoreResult<Option<String>>;

    /// Creates or updates products with their search terms, all or none: a catalog write and its
    /// index change commit together. The index rows also carry what search filters and sorts by
    /// (seller, visibility, category, price, name length), copied from the product as written
    /// here: a write of those columns that bypasses this method leaves search answering from the
    /// old values. A product's `version` must be one more than the stored one
    /// (or 1 for a new product); otherwise nothing is written and the write is a conflict.
    async fn save_products(&self, products: &[(ProductRecord, IndexedText)]) -> StoreResult<()>;

    async fn product(&self, id: ProductId) -> StoreResult<Option<ProductRecord>>;

    /// A seller's products (only visible ones, or all for its own shop), by category and name, a
    /// page at a time.
    async fn seller_products(
        &self,
        seller: MerchantId,
        visible_only: bool,
        limit: u32,
        offset: u32,
    ) -> StoreResult<Vec<ProductRecord>>;

    /// Every product of a seller, hidden ones too, by category and name: at most `limit`, read at
    /// once (a CSV export, and the products an import matches its rows against).
    async fn seller_catalog(&self, seller: MerchantId, limit: u32) -> StoreResult<Vec<ProductRecord>>;

    /// Visible products matching every term, a page in the query's order, and how many match
    /// (counted up to [`MAX_COUNTED`]).
    async fn search_products(&self, query: &ProductQuery<'_>) -> StoreResult<FoundProducts>;

    /// Shows an image on a product, after its others: its two sizes are stored (each once, however
    /// many products show it) and linked, all or none, unless the product shows the image already
    /// or shows [`MAX_PRODUCT_IMAGES`]. The product exists (the caller checked).
    async fn add_product_image(
        &self,
        product: ProductId,
        thumbnail: &ImageFileRecord,
        detail: &ImageFileRecord,
    ) -> StoreResult<ImageAdded>;

    /// Stops showing an image (named by its id) on a product; a size no product shows any more
    /// is deleted with it. `false` if the product did not show it.
    async fn remove_product_image(&self, product: ProductId, image: &str) -> StoreResult<bool>;

    /// A stored size, by its hash.
    async fn image_file(&self, sha256: &str) -> StoreResult<Option<ImageFileRecord>>;
}
