//! What customers come back to: reviews of their completed orders (with the seller's reply and
//! the operator's hiding), favourite sellers, and back-in-stock alerts. [`HabitStore`] is the
//! market context's handle for them, beside [`crate::MarketStore`] and [`crate::OrderStore`].

use quipu_domain::Timestamp;
use quipu_domain::identity::{MerchantId, UserId};
use quipu_domain::market::ProductId;
use quipu_domain::market::checkout::OrderId;
use quipu_domain::market::review::{Rating, RatingTally, ReviewId};
use quipu_domain::market::storefront::SellerKind;
use uuid::Uuid;

use crate::StoreResult;
use crate::events::{CustomerEventRecord, EventRecord};

/// Most reviews one page holds.
pub const MAX_REVIEWS_PAGE: u32 = 50;

/// Why and by whom a review's text was hidden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hiding {
    pub reason: String,
    pub by: Uuid,
    pub at: Timestamp,
}

/// A customer's review of one completed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRecord {
    pub id: ReviewId,
    pub order: OrderId,
    pub seller: MerchantId,
    pub customer: UserId,
    pub rating: Rating,
    pub comment: Option<String>,
    pub reply: Option<String>,
    pub replied_at: Option<Timestamp>,
    /// Set when the operator hid its text (the rating still counts).
    pub hidden: Option<Hiding>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A review as the operator moderates it: with the name of the shop it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewWithSeller {
    pub review: ReviewRecord,
    pub seller_name: String,
}

/// A seller a customer keeps, with what a list of them shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FavouriteSeller {
    pub seller: MerchantId,
    pub name: String,
    pub kind: SellerKind,
    pub rating: RatingTally,
    pub added_at: Timestamp,
}

/// A customer waiting for a product to be back; `fired_at` once it was and they were told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertRecord {
    pub customer: UserId,
    pub product: ProductId,
    pub armed_at: Timestamp,
    pub fired_at: Option<Timestamp>,
}

/// What keeping one more (a favourite, an alert) came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    Added,
    /// The customer keeps their most already: nothing was written.
    Full,
}

#[async_trait::async_trait]
pub trait HabitStore: Send + Sync {
    /// Writes a review, adds its rating to the seller's tally and writes its event, in one
    /// transaction; `false` (nothing written) if the order has a review already.
    async fn insert_review(&self, review: &ReviewRecord, event: &EventRecord) -> StoreResult<bool>;

    async fn review(&self, id: ReviewId) -> StoreResult<Option<ReviewRecord>>;

    async fn order_review(&self, order: OrderId) -> StoreResult<Option<ReviewRecord>>;

    /// Changes a review's rating and comment, and the seller's tally by the difference, if it
    /// still has the rating `from` and is not hidden; `false` otherwise.
    async fn edit_review(
        &self,
        review: &ReviewRecord,
        from: Rating,
        to: Rating,
        comment: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<bool>;

    /// Sets (or replaces) the seller's reply to one of its reviews; `false` if it is not the seller's.
    async fn reply_to_review(&self, id: ReviewId, seller: MerchantId, reply: &str, now: Timestamp)
    -> StoreResult<bool>;

    /// Hides a review's text (again: with the new reason); `false` if there is no such review.
    async fn hide_review(&self, id: ReviewId, hiding: &Hiding) -> StoreResult<bool>;

    /// A seller's reviews, newest first, a page at a time (at most [`MAX_REVIEWS_PAGE`]).
    async fn seller_reviews(&self, seller: MerchantId, limit: u32, offset: u32) -> StoreResult<Vec<ReviewRecord>>;

    /// Every seller's reviews, newest first, each with its seller's name, a page at a time (at
    /// most [`MAX_REVIEWS_PAGE`]): what the operator moderates.
    async fn recent_reviews(&self, limit: u32, offset: u32) -> StoreResult<Vec<ReviewWithSeller>>;

    /// A seller's tally (zero for a seller nobody rated, or no seller).
    async fn seller_rating(&self, seller: MerchantId) -> StoreResult<RatingTally>;

    /// Keeps a seller among the customer's favourites (already kept: nothing changes), unless
    /// they keep `max` already.
    async fn put_favourite(&self, customer: UserId, seller: MerchantId, now: Timestamp, max: u32) -> StoreResult<Kept>;

    async fn remove_favourite(&self, customer: UserId, seller: MerchantId) -> StoreResult<bool>;

    /// The customer's favourite sellers, most recently added first.
    async fn favourites(&self, customer: UserId) -> StoreResult<Vec<FavouriteSeller>>;

    /// Arms (or re-arms, from `now`) an alert for a product, unless the customer keeps `max`
    /// waiting alerts already.
    async fn arm_alert(&self, customer: UserId, product: ProductId, now: Timestamp, max: u32) -> StoreResult<Kept>;

    async fn remove_alert(&self, customer: UserId, product: ProductId) -> StoreResult<bool>;

    /// The customer's alerts, waiting and fired, most recently armed first.
    async fn alerts(&self, customer: UserId) -> StoreResult<Vec<AlertRecord>>;

    /// Alerts still waiting whose product is visible and in stock (counted above zero, or not
    /// counted and not marked sold out: `quipu_domain::market::review::in_stock`), oldest first;
    /// only `product`'s when one is named.
    async fn due_alerts(&self, product: Option<ProductId>, limit: u32) -> StoreResult<Vec<AlertRecord>>;

    /// Marks a waiting alert fired and writes the customer's event, in one transaction; `false`
    /// (nothing written) if it fired already or was re-armed since it was read.
    async fn fire_alert(&self, alert: &AlertRecord, now: Timestamp, event: &CustomerEventRecord) -> StoreResult<bool>;
}
