//! [`HabitStore`] for every backend: reviews with each seller's tally beside them, favourite
//! sellers, and back-in-stock alerts. A review and the tally change in one transaction, so the
//! tally is always the sum of the reviews; an alert fires with a compare-and-set on its waiting
//! state, so two processes catching up tell the customer once.

use quipu_domain::Timestamp;
use quipu_domain::identity::{MerchantId, UserId};
use quipu_domain::market::ProductId;
use quipu_domain::market::checkout::OrderId;
use quipu_domain::market::review::{Rating, RatingTally, ReviewId};
use quipu_domain::market::storefront::SellerKind;
use quipu_store::events::{CustomerEventRecord, EventRecord};
use quipu_store::habits::{
    AlertRecord, FavouriteSeller, HabitStore, Hiding, Kept, MAX_REVIEWS_PAGE, ReviewRecord, ReviewWithSeller,
};
use quipu_store::{StoreResult, async_trait, corrupt, db_error};

use crate::decode::named;
use crate::driver::{Columns, FromColumns, Scalar, Statement, execute, fetch_all, fetch_one, fetch_optional};
use crate::{Backend, SqlStore};

pub(crate) mod sql {
    crate::sql_statements! {
        INSERT_REVIEW = "INSERT INTO market_reviews (id, order_id, seller_id, customer_id, rating, comment, reply, replied_at, hidden_reason, hidden_by, hidden_at, created_at, updated_at) \
            VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, NULL, NULL, NULL, $7, $7) ON CONFLICT (order_id) DO NOTHING";
        /// Adds `$2` to the seller's sum of ratings and `$3` to its count (an edit adds a difference and no count).
        TALLY_RATING = "UPDATE sellers SET rating_sum = rating_sum + $2, rating_count = rating_count + $3 WHERE merchant_id = $1";
        SELECT_REVIEW = "SELECT * FROM market_reviews WHERE id = $1";
        SELECT_ORDER_REVIEW = "SELECT * FROM market_reviews WHERE order_id = $1";
        /// A compare-and-set on the rating the edit started from, so the tally moves by the right difference.
        EDIT_REVIEW = "UPDATE market_reviews SET rating = $3, comment = $4, updated_at = $5 WHERE id = $1 AND rating = $2 AND hidden_at IS NULL";
        REPLY_TO_REVIEW = "UPDATE market_reviews SET reply = $3, replied_at = $4 WHERE id = $1 AND seller_id = $2";
        HIDE_REVIEW = "UPDATE market_reviews SET hidden_reason = $2, hidden_by = $3, hidden_at = $4 WHERE id = $1";
        SELECT_SELLER_REVIEWS = "SELECT * FROM market_reviews WHERE seller_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3";
        /// Walks `market_reviews_recent` backwards; the shop's name comes in the same read.
        SELECT_RECENT_REVIEWS = "SELECT r.*, m.name AS seller_name FROM market_reviews r JOIN merchants m ON m.id = r.seller_id \
            ORDER BY r.created_at DESC, r.id DESC LIMIT $1 OFFSET $2";
        SELECT_SELLER_RATING = "SELECT rating_sum, rating_count FROM sellers WHERE merchant_id = $1";
        COUNT_FAVOURITES = "SELECT COUNT(*) FROM favourite_sellers WHERE customer_id = $1";
        SELECT_FAVOURITE = "SELECT COUNT(*) FROM favourite_sellers WHERE customer_id = $1 AND seller_id = $2";
        INSERT_FAVOURITE = "INSERT INTO favourite_sellers (customer_id, seller_id, added_at) VALUES ($1, $2, $3) ON CONFLICT (customer_id, seller_id) DO NOTHING";
        DELETE_FAVOURITE = "DELETE FROM favourite_sellers WHERE customer_id = $1 AND seller_id = $2";
        SELECT_FAVOURITES = "SELECT f.seller_id, f.added_at, m.name, s.kind, s.rating_sum, s.rating_count FROM favourite_sellers f \
            JOIN sellers s ON s.merchant_id = f.seller_id JOIN merchants m ON m.id = f.seller_id \
            WHERE f.customer_id = $1 ORDER BY f.added_at DESC, f.seller_id LIMIT $2";
        COUNT_WAITING_ALERTS = "SELECT COUNT(*) FROM product_alerts WHERE customer_id = $1 AND fired_at IS NULL AND product_id <> $2";
        /// Arms an alert, or arms a fired one again from now.
        UPSERT_ALERT = "INSERT INTO product_alerts (customer_id, product_id, armed_at, fired_at) VALUES ($1, $2, $3, NULL) \
            ON CONFLICT (customer_id, product_id) DO UPDATE SET armed_at = excluded.armed_at, fired_at = NULL";
        DELETE_ALERT = "DELETE FROM product_alerts WHERE customer_id = $1 AND product_id = $2";
        SELECT_ALERTS = "SELECT customer_id, product_id, armed_at, fired_at FROM product_alerts WHERE customer_id = $1 ORDER BY armed_at DESC, product_id LIMIT $2";
        /// Waiting alerts whose product can be bought again (the domain's `in_stock`, and visible).
        SELECT_DUE_ALERTS = "SELECT a.customer_id, a.product_id, a.armed_at, a.fired_at FROM product_alerts a JOIN products p ON p.id = a.product_id \
            WHERE a.fired_at IS NULL AND p.visible = 1 AND (p.stock > 0 OR (p.stock IS NULL AND p.sold_out = 0)) \
            ORDER BY a.armed_at, a.customer_id LIMIT $1";
        SELECT_PRODUCT_DUE_ALERTS = "SELECT a.customer_id, a.product_id, a.armed_at, a.fired_at FROM product_alerts a JOIN products p ON p.id = a.product_id \
            WHERE a.product_id = $1 AND a.fired_at IS NULL AND p.visible = 1 AND (p.stock > 0 OR (p.stock IS NULL AND p.sold_out = 0)) \
            ORDER BY a.armed_at, a.customer_id LIMIT $2";
        FIRE_ALERT = "UPDATE product_alerts SET fired_at = $4 WHERE customer_id = $1 AND product_id = $2 AND armed_at = $3 AND fired_at IS NULL";
    }
}

fn rating_of(row: &dyn Columns) -> StoreResult<Rating> {
    let stars = row.int("rating")?;
    Rating::new(stars).map_err(|_| corrupt("market_reviews", format!("rating {stars}")))
}

pub(crate) fn tally_of(table: &'static str, row: &dyn Columns) -> StoreResult<RatingTally> {
    let number = |column: &str| -> StoreResult<u64> {
        let value = row.int(column)?;
        u64::try_from(value).map_err(|_| corrupt(table, format!("{column} {value}")))
    };
    Ok(RatingTally { sum: number("rating_sum")?, count: number("rating_count")? })
}

impl FromColumns for ReviewRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let hidden = match (row.opt_text("hidden_reason")?, row.opt_uuid("hidden_by")?, row.opt_int("hidden_at")?) {
            (Some(reason), Some(by), Some(at)) => Some(Hiding { reason, by, at: Timestamp(at) }),
            _ => None,
        };
        Ok(Self {
            id: ReviewId(row.uuid("id")?),
            order: OrderId(row.uuid("order_id")?),
            seller: MerchantId(row.uuid("seller_id")?),
            customer: UserId(row.uuid("customer_id")?),
            rating: rating_of(row)?,
            comment: row.opt_text("comment")?,
            reply: row.opt_text("reply")?,
            replied_at: row.opt_int("replied_at")?.map(Timestamp),
            hidden,
            created_at: Timestamp(row.int("created_at")?),
            updated_at: Timestamp(row.int("updated_at")?),
        })
    }
}

impl FromColumns for ReviewWithSeller {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self { review: ReviewRecord::from_columns(row)?, seller_name: row.text("seller_name")? })
    }
}

struct Tally(RatingTally);

impl FromColumns for Tally {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        tally_of("sellers", row).map(Tally)
    }
}

impl FromColumns for FavouriteSeller {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            seller: MerchantId(row.uuid("seller_id")?),
            name: row.text("name")?,
            kind: named("sellers", row, "kind", SellerKind::parse)?,
            rating: tally_of("sellers", row)?,
            added_at: Timestamp(row.int("added_at")?),
        })
    }
}

impl FromColumns for AlertRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            customer: UserId(row.uuid("customer_id")?),
            product: ProductId(row.uuid("product_id")?),
            armed_at: Timestamp(row.int("armed_at")?),
            fired_at: row.opt_int("fired_at")?.map(Timestamp),
        })
    }
}

/// A rating's stars, or a difference of two, as the tally adds it.
fn stars(rating: Rating) -> i64 {
    i64::from(rating.stars())
}

#[async_trait]
impl<B: Backend> HabitStore for SqlStore<B> {
    async fn insert_review(&self, review: &ReviewRecord, event: &EventRecord) -> StoreResult<bool> {
        let insert = Statement::new(sql::INSERT_REVIEW)
            .bind(review.id)
            .bind(review.order)
            .bind(review.seller)
            .bind(review.customer)
            .bind(stars(review.rating))
            .bind(review.comment.as_deref())
            .bind(review.created_at);
        let mut tx = self.begin().await?;
        if execute::<B::Db>(&mut tx, "inserting a review", insert).await? != 1 {
            return Ok(false);
        }
        let tally = Statement::new(sql::TALLY_RATING).bind(review.seller).bind(stars(review.rating)).bind(1i64);
        execute::<B::Db>(&mut tx, "adding a rating to its seller's tally", tally).await?;
        crate::events::insert_event::<B>(&mut tx, event).await?;
        tx.commit().await.map_err(db_error("committing a review"))?;
        Ok(true)
    }

    async fn review(&self, id: ReviewId) -> StoreResult<Option<ReviewRecord>> {
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a review", Statement::new(sql::SELECT_REVIEW).bind(id)).await
    }

    async fn order_review(&self, order: OrderId) -> StoreResult<Option<ReviewRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_ORDER_REVIEW).bind(order);
        fetch_optional::<B::Db, _>(&mut conn, "loading an order's review", statement).await
    }

    async fn edit_review(
        &self,
        review: &ReviewRecord,
        from: Rating,
        to: Rating,
        comment: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let edit =
            Statement::new(sql::EDIT_REVIEW).bind(review.id).bind(stars(from)).bind(stars(to)).bind(comment).bind(now);
        let mut tx = self.begin().await?;
        if execute::<B::Db>(&mut tx, "editing a review", edit).await? != 1 {
            return Ok(false);
        }
        let difference = stars(to).saturating_sub(stars(from));
        let tally = Statement::new(sql::TALLY_RATING).bind(review.seller).bind(difference).bind(0i64);
        execute::<B::Db>(&mut tx, "changing a seller's tally", tally).await?;
        tx.commit().await.map_err(db_error("committing a review's edit"))?;
        Ok(true)
    }

    async fn reply_to_review(
        &self,
        id: ReviewId,
        seller: MerchantId,
        reply: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let statement = Statement::new(sql::REPLY_TO_REVIEW).bind(id).bind(seller).bind(reply).bind(now);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "replying to a review", statement).await? == 1)
    }

    async fn hide_review(&self, id: ReviewId, hiding: &Hiding) -> StoreResult<bool> {
        let statement =
            Statement::new(sql::HIDE_REVIEW).bind(id).bind(hiding.reason.as_str()).bind(hiding.by).bind(hiding.at);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "hiding a review", statement).await? == 1)
    }

    async fn seller_reviews(&self, seller: MerchantId, limit: u32, offset: u32) -> StoreResult<Vec<ReviewRecord>> {
        let statement =
            Statement::new(sql::SELECT_SELLER_REVIEWS).bind(seller).bind(limit.min(MAX_REVIEWS_PAGE)).bind(offset);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading a seller's reviews", statement).await
    }

    async fn recent_reviews(&self, limit: u32, offset: u32) -> StoreResult<Vec<ReviewWithSeller>> {
        let statement = Statement::new(sql::SELECT_RECENT_REVIEWS).bind(limit.min(MAX_REVIEWS_PAGE)).bind(offset);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading the newest reviews", statement).await
    }

    async fn seller_rating(&self, seller: MerchantId) -> StoreResult<RatingTally> {
        let statement = Statement::new(sql::SELECT_SELLER_RATING).bind(seller);
        let mut conn = self.reader().await?;
        let tally: Option<Tally> =
            fetch_optional::<B::Db, _>(&mut conn, "loading a seller's rating", statement).await?;
        Ok(tally.map(|Tally(tally)| tally).unwrap_or_default())
    }

    async fn put_favourite(&self, customer: UserId, seller: MerchantId, now: Timestamp, max: u32) -> StoreResult<Kept> {
        let mut tx = self.begin().await?;
        let kept = Statement::new(sql::SELECT_FAVOURITE).bind(customer).bind(seller);
        let Scalar(kept) = fetch_one::<B::Db, Scalar<i64>>(&mut tx, "finding a favourite", kept).await?;
        if kept == 0 {
            let count = Statement::new(sql::COUNT_FAVOURITES).bind(customer);
            let Scalar(count) = fetch_one::<B::Db, Scalar<i64>>(&mut tx, "counting favourites", count).await?;
            if count >= i64::from(max) {
                return Ok(Kept::Full);
            }
            let insert = Statement::new(sql::INSERT_FAVOURITE).bind(customer).bind(seller).bind(now);
            execute::<B::Db>(&mut tx, "adding a favourite", insert).await?;
        }
        tx.commit().await.map_err(db_error("committing a favourite"))?;
        Ok(Kept::Added)
    }

    async fn remove_favourite(&self, customer: UserId, seller: MerchantId) -> StoreResult<bool> {
        let statement = Statement::new(sql::DELETE_FAVOURITE).bind(customer).bind(seller);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "removing a favourite", statement).await? == 1)
    }

    async fn favourites(&self, customer: UserId) -> StoreResult<Vec<FavouriteSeller>> {
        let statement = Statement::new(sql::SELECT_FAVOURITES).bind(customer).bind(MAX_LISTED);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading favourites", statement).await
    }

    async fn arm_alert(&self, customer: UserId, product: ProductId, now: Timestamp, max: u32) -> StoreResult<Kept> {
        let mut tx = self.begin().await?;
        let count = Statement::new(sql::COUNT_WAITING_ALERTS).bind(customer).bind(product);
        let Scalar(count) = fetch_one::<B::Db, Scalar<i64>>(&mut tx, "counting alerts", count).await?;
        if count >= i64::from(max) {
            return Ok(Kept::Full);
        }
        let upsert = Statement::new(sql::UPSERT_ALERT).bind(customer).bind(product).bind(now);
        execute::<B::Db>(&mut tx, "arming an alert", upsert).await?;
        tx.commit().await.map_err(db_error("committing an alert"))?;
        Ok(Kept::Added)
    }

    async fn remove_alert(&self, customer: UserId, product: ProductId) -> StoreResult<bool> {
        let statement = Statement::new(sql::DELETE_ALERT).bind(customer).bind(product);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "removing an alert", statement).await? == 1)
    }

    async fn alerts(&self, customer: UserId) -> StoreResult<Vec<AlertRecord>> {
        let statement = Statement::new(sql::SELECT_ALERTS).bind(customer).bind(MAX_LISTED);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading alerts", statement).await
    }

    async fn due_alerts(&self, product: Option<ProductId>, limit: u32) -> StoreResult<Vec<AlertRecord>> {
        let statement = match product {
            Some(product) => Statement::new(sql::SELECT_PRODUCT_DUE_ALERTS).bind(product).bind(limit),
            None => Statement::new(sql::SELECT_DUE_ALERTS).bind(limit),
        };
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "finding alerts due", statement).await
    }

    async fn fire_alert(&self, alert: &AlertRecord, now: Timestamp, event: &CustomerEventRecord) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        if let Some(lock) = B::DIALECT.order_events {
            execute::<B::Db>(&mut tx, "ordering events", Statement::new(lock)).await?;
        }
        let fire =
            Statement::new(sql::FIRE_ALERT).bind(alert.customer).bind(alert.product).bind(alert.armed_at).bind(now);
        if execute::<B::Db>(&mut tx, "firing an alert", fire).await? != 1 {
            return Ok(false);
        }
        crate::events::insert_customer_event::<B>(&mut tx, event).await?;
        tx.commit().await.map_err(db_error("committing an alert fired"))?;
        Ok(true)
    }
}

/// Most favourites or alerts one list holds: more than a customer may keep of either.
const MAX_LISTED: u32 = 500;
