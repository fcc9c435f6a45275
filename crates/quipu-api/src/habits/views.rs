//! Reviews, favourites and alerts as the API answers them. A review read by anyone names no
//! customer; hidden words are left out for everyone but their author and the operator.

use quipu_core::kernel::text::rfc3339;
use quipu_core::market::{Alert, Reordered, ReorderedLine};
use quipu_core::store::habits::{FavouriteSeller, ReviewRecord, ReviewWithSeller};
use quipu_domain::market::review::RatingTally;
use quipu_domain::money::CurrencyCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::common::views::MoneyView;
use crate::market::views::ProductView;
use crate::orders::views::CartView;

/// A seller's average rating to a tenth of a star (none before the first rating), and how many.
pub fn rating_average(tally: RatingTally) -> Option<f64> {
    tally.average_tenths().map(|tenths| f64::from(tenths) / 10.0)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewView {
    pub id: uuid::Uuid,
    pub seller_id: uuid::Uuid,
    /// One to five stars; it counts in the seller's average even when its words are hidden.
    #[schema(example = 5, minimum = 1, maximum = 5)]
    pub rating: u8,
    /// Null when there is none, or the operator hid it.
    pub comment: Option<String>,
    /// The shop's answer; null when there is none, or the operator hid the review's words.
    pub reply: Option<String>,
    pub replied_at: Option<String>,
    /// The operator hid this review's words.
    pub hidden: bool,
    /// Why, for the review's author and the operator; null for everyone else.
    pub hidden_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl ReviewView {
    /// As anyone reads it.
    pub fn public(review: &ReviewRecord) -> Self {
        let shown = review.hidden.is_none();
        Self {
            comment: review.comment.clone().filter(|_| shown),
            reply: review.reply.clone().filter(|_| shown),
            hidden_reason: None,
            ..Self::own(review)
        }
    }

    /// As its author (and the operator who hid it) reads it: all of it.
    pub fn own(review: &ReviewRecord) -> Self {
        Self {
            id: review.id.0,
            seller_id: review.seller.0,
            rating: review.rating.stars(),
            comment: review.comment.clone(),
            reply: review.reply.clone(),
            replied_at: review.replied_at.map(rfc3339),
            hidden: review.hidden.is_some(),
            hidden_reason: review.hidden.as_ref().map(|hiding| hiding.reason.clone()),
            created_at: rfc3339(review.created_at),
            updated_at: rfc3339(review.updated_at),
        }
    }
}

/// A review as the operator moderates it: all its words (hidden ones too, with why), and the shop.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModerationReviewView {
    pub review: ReviewView,
    #[schema(example = "Mapo Mart")]
    pub seller_name: String,
}

impl From<&ReviewWithSeller> for ModerationReviewView {
    fn from(found: &ReviewWithSeller) -> Self {
        Self { review: ReviewView::own(&found.review), seller_name: found.seller_name.clone() }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FavouriteView {
    pub seller_id: uuid::Uuid,
    pub name: String,
    /// grocery, household, pharmacy or restaurant.
    pub kind: String,
    #[schema(example = 4.5)]
    pub rating_average: Option<f64>,
    pub rating_count: u64,
    pub added_at: String,
}

impl From<&FavouriteSeller> for FavouriteView {
    fn from(favourite: &FavouriteSeller) -> Self {
        Self {
            seller_id: favourite.seller.0,
            name: favourite.name.clone(),
            kind: favourite.kind.as_str().to_owned(),
            rating_average: rating_average(favourite.rating),
            rating_count: favourite.rating.count,
            added_at: rfc3339(favourite.added_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertView {
    pub product_id: uuid::Uuid,
    /// The product as it is now; null once it is gone or hidden.
    pub product: Option<ProductView>,
    pub armed_at: String,
    /// When it was back and the customer was told (`market.back_in_stock` on their stream);
    /// null while still waiting.
    pub fired_at: Option<String>,
}

impl From<&Alert> for AlertView {
    fn from(alert: &Alert) -> Self {
        Self {
            product_id: alert.record.product.0,
            product: alert.product.as_ref().map(ProductView::from),
            armed_at: rfc3339(alert.record.armed_at),
            fired_at: alert.record.fired_at.map(rfc3339),
        }
    }
}

/// What became of one line of the past order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReorderedLineView {
    pub position: u32,
    pub product_id: uuid::Uuid,
    pub name_ko: Option<String>,
    pub name_en: Option<String>,
    /// How many went into the cart (fewer than ordered when fewer are left; 0 when it cannot be bought).
    pub added: u32,
    pub price_then: MoneyView,
    /// Its unit price with the same options now; null when it cannot be bought that way.
    pub price_now: Option<MoneyView>,
    /// gone, price_changed, options_changed, sold_out or not_enough; null when all is as it was.
    #[schema(example = "price_changed")]
    pub problem: Option<String>,
}

impl ReorderedLineView {
    fn new(line: &ReorderedLine, currency: CurrencyCode) -> Self {
        Self {
            position: line.position,
            product_id: line.product.0,
            name_ko: line.name.korean().map(str::to_owned),
            name_en: line.name.english().map(str::to_owned),
            added: line.added,
            price_then: MoneyView::new(line.price_then, currency),
            price_now: line.price_now.map(|price| MoneyView::new(price, currency)),
            problem: line.problem.map(|problem| problem.code().to_owned()),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReorderView {
    pub lines: Vec<ReorderedLineView>,
    /// The cart after, every line read against the catalog.
    pub cart: CartView,
}

impl ReorderView {
    pub fn new(reordered: &Reordered, currency: CurrencyCode) -> Self {
        Self {
            lines: reordered.lines.iter().map(|line| ReorderedLineView::new(line, currency)).collect(),
            cart: CartView::new(&reordered.cart, currency),
        }
    }
}
