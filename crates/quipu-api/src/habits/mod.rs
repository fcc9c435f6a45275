//! Reviews and habits on the market: a customer rates a completed order and may change it within
//! a week, the shop replies, the operator hides abusive words, anyone reads a seller's reviews;
//! a customer orders again, keeps favourite sellers and waits for sold-out products. Thin over
//! `quipu_core::market`.

pub mod requests;
pub mod views;

use axum::extract::State;
use axum::response::Response;
use quipu_domain::identity::MerchantId;
use quipu_domain::market::ProductId;
use quipu_domain::market::checkout::OrderId;
use quipu_domain::market::review::ReviewId;
use quipu_domain::money::CurrencyCode;
use quipu_http::Policy;
use quipu_http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use quipu_http::problem::Problem;
use utoipa_axum::routes;

use self::requests::*;
use self::views::*;
use crate::AppState;
use crate::common::{ApiResult, created};
use crate::routes::Routes;

/// This context's routes, each declared once: served, and documented, from here.
pub fn routes() -> Routes {
    Routes::under(Policy::writes())
        .routes(routes!(my_review, review_order, edit_review))
        .routes(routes!(reorder))
        .routes(routes!(reply_to_review))
        .routes(routes!(hide_review))
        .routes(routes!(recent_reviews))
        .routes(routes!(seller_reviews))
        .routes(routes!(favourites))
        .routes(routes!(add_favourite, remove_favourite))
        .routes(routes!(alerts))
        .routes(routes!(arm_alert, remove_alert))
}

fn currency(state: &AppState) -> CurrencyCode {
    state.services.kernel.settings.currencies.default_currency().code
}

/// The caller's review of their order.
#[utoipa::path(get, path = "/api/v1/me/orders/{id}/review", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ReviewView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn my_review(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<ReviewView>> {
    let review = state.services.market.my_review(&caller, OrderId(id)).await?;
    Ok(axum::Json(ReviewView::own(&review)))
}

/// The customer rates a completed order of theirs, once: 1 to 5 stars and a comment if they like.
/// The shop hears `review.created`; its storefront's average and count change at once.
#[utoipa::path(post, path = "/api/v1/me/orders/{id}/review", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = ReviewRequest,
    responses((status = 201, body = ReviewView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "The order is not completed, or has its review", body = Problem),
        (status = 422, body = Problem)))]
pub async fn review_order(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<ReviewRequest>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<ReviewView>)> {
    let review = state.services.market.review_order(&caller, OrderId(id), (&body).into()).await?;
    Ok(created(ReviewView::own(&review)))
}

/// The customer changes their review's rating and comment, within a week of writing it, unless
/// the operator hid its words.
#[utoipa::path(put, path = "/api/v1/me/orders/{id}/review", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = ReviewRequest,
    responses((status = 200, body = ReviewView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "Past the week, hidden, or changed meanwhile", body = Problem),
        (status = 422, body = Problem)))]
pub async fn edit_review(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<ReviewRequest>,
) -> ApiResult<axum::Json<ReviewView>> {
    let review = state.services.market.edit_review(&caller, OrderId(id), (&body).into()).await?;
    Ok(axum::Json(ReviewView::own(&review)))
}

/// Puts an ended order's lines, with the options chosen then, into the cart as the catalog has
/// them now, and says of each line whether it is gone, costs something else or is sold out.
#[utoipa::path(post, path = "/api/v1/me/orders/{id}/reorder", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ReorderView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "The order has not ended", body = Problem),
        (status = 422, description = "The cart is full", body = Problem)))]
pub async fn reorder(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<ReorderView>> {
    let reordered = state.services.market.reorder(&caller, OrderId(id)).await?;
    Ok(axum::Json(ReorderView::new(&reordered, currency(&state))))
}

/// The shop answers a review of its own; again replaces the answer. Any of its staff may.
#[utoipa::path(post, path = "/api/v1/merchant/reviews/{id}/reply", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = ReplyRequest,
    responses((status = 200, body = ReviewView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn reply_to_review(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<ReplyRequest>,
) -> ApiResult<axum::Json<ReviewView>> {
    let review = state.services.market.reply_to_review(&caller, ReviewId(id), &body.reply).await?;
    Ok(axum::Json(ReviewView::public(&review)))
}

/// The operator hides a review's words (its comment and the shop's answer), saying why. Its
/// rating still counts: hiding is for abusive words, not for a shop's standing.
#[utoipa::path(post, path = "/api/v1/operator/reviews/{id}/hide", tag = "operator", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = HideRequest,
    responses((status = 200, body = ReviewView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn hide_review(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<HideRequest>,
) -> ApiResult<axum::Json<ReviewView>> {
    let review = state.services.market.hide_review(&caller, ReviewId(id), &body.reason).await?;
    Ok(axum::Json(ReviewView::own(&review)))
}

/// Every shop's reviews, newest first, each with the shop's name and all its words (hidden ones
/// too, with why): what the operator moderates.
#[utoipa::path(get, path = "/api/v1/operator/reviews", tag = "operator", security(("bearer" = [])),
    params(ReviewPageParams),
    responses((status = 200, body = Vec<ModerationReviewView>), (status = 400, body = Problem),
        (status = 403, body = Problem)))]
pub async fn recent_reviews(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(page): ApiQuery<ReviewPageParams>,
) -> ApiResult<axum::Json<Vec<ModerationReviewView>>> {
    let (limit, offset) = page.page()?;
    let reviews = state.services.market.recent_reviews(&caller, limit, offset).await?;
    Ok(axum::Json(reviews.iter().map(ModerationReviewView::from).collect()))
}

/// A seller's reviews, newest first; no sign-in. Nobody's name is shown, and hidden words are left out.
#[utoipa::path(get, path = "/api/v1/market/sellers/{id}/reviews", tag = "market",
    params(("id" = uuid::Uuid, Path), ReviewPageParams),
    responses((status = 200, body = Vec<ReviewView>), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn seller_reviews(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiQuery(page): ApiQuery<ReviewPageParams>,
) -> ApiResult<Response> {
    let (limit, offset) = page.page()?;
    let reviews = state.services.market.seller_reviews(MerchantId(id), limit, offset).await?;
    Ok(crate::market::public(reviews.iter().map(ReviewView::public).collect::<Vec<_>>()))
}

/// The caller's favourite sellers, most recently added first.
#[utoipa::path(get, path = "/api/v1/me/favourites", tag = "market", security(("bearer" = [])),
    responses((status = 200, body = Vec<FavouriteView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn favourites(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<axum::Json<Vec<FavouriteView>>> {
    let favourites = state.services.market.favourites(&caller).await?;
    Ok(axum::Json(favourites.iter().map(FavouriteView::from).collect()))
}

/// Keeps a seller among the caller's favourites (at most 200); already kept, nothing changes.
#[utoipa::path(put, path = "/api/v1/me/favourites/sellers/{id}", tag = "market", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Vec<FavouriteView>), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_favourite(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<Vec<FavouriteView>>> {
    let favourites = state.services.market.add_favourite(&caller, MerchantId(id)).await?;
    Ok(axum::Json(favourites.iter().map(FavouriteView::from).collect()))
}

/// Stops keeping a seller; not kept, nothing changes.
#[utoipa::path(delete, path = "/api/v1/me/favourites/sellers/{id}", tag = "market", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Vec<FavouriteView>), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn remove_favourite(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<Vec<FavouriteView>>> {
    let favourites = state.services.market.remove_favourite(&caller, MerchantId(id)).await?;
    Ok(axum::Json(favourites.iter().map(FavouriteView::from).collect()))
}

/// The caller's back-in-stock alerts, waiting and fired, most recently armed first.
#[utoipa::path(get, path = "/api/v1/me/alerts", tag = "market", security(("bearer" = [])),
    responses((status = 200, body = Vec<AlertView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn alerts(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<Vec<AlertView>>> {
    let alerts = state.services.market.alerts(&caller).await?;
    Ok(axum::Json(alerts.iter().map(AlertView::from).collect()))
}

/// Waits for a sold-out product: when it is back, the caller's stream hears
/// `market.back_in_stock` once, and the alert shows when. Again after it fired: waits anew.
#[utoipa::path(put, path = "/api/v1/me/alerts/products/{id}", tag = "market", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Vec<AlertView>), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "The product is in stock", body = Problem),
        (status = 422, body = Problem)))]
pub async fn arm_alert(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<Vec<AlertView>>> {
    let alerts = state.services.market.arm_alert(&caller, ProductId(id)).await?;
    Ok(axum::Json(alerts.iter().map(AlertView::from).collect()))
}

/// Stops waiting for a product; not waiting, nothing changes.
#[utoipa::path(delete, path = "/api/v1/me/alerts/products/{id}", tag = "market", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Vec<AlertView>), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn remove_alert(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<Vec<AlertView>>> {
    let alerts = state.services.market.remove_alert(&caller, ProductId(id)).await?;
    Ok(axum::Json(alerts.iter().map(AlertView::from).collect()))
}
