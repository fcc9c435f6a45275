//! Reviews: the customer of a completed order rates it once (1–5, a comment if they like) and may
//! change it within a week; the shop replies; the operator hides abusive text (the rating still
//! counts: see `quipu_domain::market::review`). The seller's tally changes in the review's own
//! transaction, so a storefront and the rating sort read it and never average reviews.

use quipu_domain::identity::{MerchantId, Role};
use quipu_domain::market::checkout::OrderId;
use quipu_domain::market::order::{OrderAction, OrderActor, next_actions};
use quipu_domain::market::review::{
    MAX_COMMENT_CHARS, MAX_HIDE_REASON_CHARS, MAX_REPLY_CHARS, Rating, ReviewId, may_edit,
};
use quipu_domain::text::is_display_safe;
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::habits::{Hiding, MAX_REVIEWS_PAGE, ReviewRecord, ReviewWithSeller};
use quipu_store::orders::OrderRecord;
use serde::Serialize;

use crate::Market;

/// What a customer says of an order.
#[derive(Debug, Clone)]
pub struct ReviewInput {
    /// As sent: anything but a whole number from 1 to 5 is refused here.
    pub rating: i64,
    pub comment: Option<String>,
}

/// What `review.created` carries on the shop's stream and webhooks.
#[derive(Serialize)]
struct ReviewEvent {
    review_id: ReviewId,
    order_id: OrderId,
    seller_id: uuid::Uuid,
    rating: u8,
}

/// Optional free text: trimmed, empty is none; longer than `max` or with hidden formatting is refused.
fn optional_text(text: Option<&str>, max: usize, code: &'static str, what: &str) -> CoreResult<Option<String>> {
    let text = text.map(str::trim).unwrap_or_default();
    if text.chars().count() > max || !is_display_safe(text) {
        return Err(CoreError::rejected(code, format!("{what} is at most {max} characters of plain text")));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

fn required_text(text: &str, max: usize, code: &'static str, what: &str) -> CoreResult<String> {
    optional_text(Some(text), max, code, what)?
        .ok_or_else(|| CoreError::rejected(code, format!("{what} is 1 to {max} characters of plain text")))
}

fn rating(stars: i64) -> CoreResult<Rating> {
    Rating::new(stars).map_err(|error| CoreError::rejected("rating_invalid", error.to_string()))
}

fn conflict(code: &'static str, detail: impl Into<String>) -> CoreError {
    CoreError::new(ErrorKind::Conflict, code, detail)
}

impl Market {
    /// The caller's own order, or not found (another customer's looks missing).
    pub(crate) async fn customers_order(&self, principal: &Principal, id: OrderId) -> CoreResult<OrderRecord> {
        let customer = principal.require(Role::Customer)?;
        self.orders
            .order(id)
            .await?
            .filter(|order| order.customer == customer)
            .ok_or_else(|| CoreError::not_found("order"))
    }

    /// The customer rates a completed order of theirs, once.
    pub async fn review_order(
        &self,
        principal: &Principal,
        id: OrderId,
        input: ReviewInput,
    ) -> CoreResult<ReviewRecord> {
        let order = self.customers_order(principal, id).await?;
        let rating = rating(input.rating)?;
        let comment =
            optional_text(input.comment.as_deref(), MAX_COMMENT_CHARS, "review_comment_invalid", "a comment")?;
        let reviewed = self.habits.order_review(order.id).await?.is_some();
        let situation = crate::orders::situation(&order);
        if !next_actions(situation, OrderActor::Customer, reviewed).contains(&OrderAction::Review) {
            return Err(if reviewed {
                conflict("review_exists", "this order has its review; change it instead")
            } else {
                conflict(
                    "order_not_reviewable",
                    format!("only a completed order is reviewed; this one is {}", order.status),
                )
            });
        }
        let now = self.kernel.now();
        let review = ReviewRecord {
            id: ReviewId(self.kernel.new_id()),
            order: order.id,
            seller: order.seller,
            customer: order.customer,
            rating,
            comment,
            reply: None,
            replied_at: None,
            hidden: None,
            created_at: now,
            updated_at: now,
        };
        let data =
            ReviewEvent { review_id: review.id, order_id: order.id, seller_id: order.seller.0, rating: rating.stars() };
        let data = serde_json::value::to_raw_value(&data)
            .map_err(|error| CoreError::invalid("unserialisable_event", error.to_string()))?;
        let event = quipu_events::new_event(&self.kernel, "review.created", order.seller, "", &data, now)?;
        if !self.habits.insert_review(&review, &event).await? {
            return Err(conflict("review_exists", "this order has its review; change it instead"));
        }
        self.kernel.events_written();
        self.directory.forget().await;
        Ok(review)
    }

    /// The customer's review of their order.
    pub async fn my_review(&self, principal: &Principal, id: OrderId) -> CoreResult<ReviewRecord> {
        let order = self.customers_order(principal, id).await?;
        self.habits.order_review(order.id).await?.ok_or_else(|| CoreError::not_found("review"))
    }

    /// The customer changes their review's rating and comment, within a week of writing it and
    /// while its text is not hidden.
    pub async fn edit_review(
        &self,
        principal: &Principal,
        id: OrderId,
        input: ReviewInput,
    ) -> CoreResult<ReviewRecord> {
        let review = self.my_review(principal, id).await?;
        let rating = rating(input.rating)?;
        let comment =
            optional_text(input.comment.as_deref(), MAX_COMMENT_CHARS, "review_comment_invalid", "a comment")?;
        let now = self.kernel.now();
        if !may_edit(review.created_at, now, review.hidden.is_some()) {
            return Err(conflict(
                "review_not_editable",
                "a review is changed within a week of writing it, and not once the operator hid it",
            ));
        }
        if !self.habits.edit_review(&review, review.rating, rating, comment.as_deref(), now).await? {
            return Err(conflict("review_changed", "this review changed meanwhile; read it again"));
        }
        self.directory.forget().await;
        self.habits.review(review.id).await?.ok_or_else(|| CoreError::not_found("review"))
    }

    /// The shop answers a review of its own (again: the answer is replaced). Any of its staff may.
    pub async fn reply_to_review(&self, principal: &Principal, id: ReviewId, reply: &str) -> CoreResult<ReviewRecord> {
        let seller = principal.require_merchant()?;
        let reply = required_text(reply, MAX_REPLY_CHARS, "review_reply_invalid", "a reply")?;
        let review = self.habits.review(id).await?.filter(|review| review.seller == seller);
        let review = review.ok_or_else(|| CoreError::not_found("review"))?;
        if !self.habits.reply_to_review(review.id, seller, &reply, self.kernel.now()).await? {
            return Err(CoreError::not_found("review"));
        }
        self.habits.review(review.id).await?.ok_or_else(|| CoreError::not_found("review"))
    }

    /// The operator hides a review's words (the comment and the shop's reply), saying why.
    pub async fn hide_review(&self, principal: &Principal, id: ReviewId, reason: &str) -> CoreResult<ReviewRecord> {
        let operator = principal.require(Role::Operator)?;
        let reason = required_text(reason, MAX_HIDE_REASON_CHARS, "reason_invalid", "a reason")?;
        let hiding = Hiding { reason, by: operator.0, at: self.kernel.now() };
        if !self.habits.hide_review(id, &hiding).await? {
            return Err(CoreError::not_found("review"));
        }
        self.habits.review(id).await?.ok_or_else(|| CoreError::not_found("review"))
    }

    /// Every shop's reviews, newest first, with each shop's name and all their words (hidden ones
    /// too, with why): what the operator moderates.
    pub async fn recent_reviews(
        &self,
        principal: &Principal,
        limit: u32,
        offset: u32,
    ) -> CoreResult<Vec<ReviewWithSeller>> {
        principal.require(Role::Operator)?;
        Ok(self.habits.recent_reviews(limit.clamp(1, MAX_REVIEWS_PAGE), offset).await?)
    }

    /// A seller's reviews, newest first; anyone may read them (hidden words are the view's to leave out).
    pub async fn seller_reviews(&self, seller: MerchantId, limit: u32, offset: u32) -> CoreResult<Vec<ReviewRecord>> {
        self.store.seller(seller).await?.ok_or_else(|| CoreError::not_found("seller"))?;
        Ok(self.habits.seller_reviews(seller, limit.clamp(1, MAX_REVIEWS_PAGE), offset).await?)
    }

    /// Whether the customer has rated this order (what its next actions depend on).
    pub(crate) async fn reviewed(&self, order: &OrderRecord, actor: OrderActor) -> CoreResult<bool> {
        if actor != OrderActor::Customer || order.status != quipu_domain::market::order::OrderStatus::Completed {
            return Ok(false);
        }
        Ok(self.habits.order_review(order.id).await?.is_some())
    }
}
