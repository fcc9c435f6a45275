//! Orders on the market: a signed-in customer's cart, checkout (one order per shop, each with its
//! money held), their orders; a shop's board and its moves. Thin over `quipu_core::market`.

mod pharmacy;
pub mod requests;
pub mod views;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use quipu_domain::market::ProductId;
use quipu_domain::market::checkout::{CartLineId, OrderId};
use quipu_domain::market::order::OrderStatus;
use quipu_domain::money::CurrencyCode;
use quipu_http::Policy;
use quipu_http::extract::{ApiJson, ApiPath, ApiQuery, Caller, IdempotencyKey};
use quipu_http::problem::Problem;
use utoipa_axum::routes;

use self::requests::*;
use self::views::*;
use crate::AppState;
use crate::common::ApiResult;
use crate::routes::Routes;

/// This context's routes, each declared once: served, and documented, from here.
pub fn routes() -> Routes {
    Routes::under(Policy::writes())
        .routes(routes!(cart, empty_cart))
        .routes(routes!(add_to_cart))
        .routes(routes!(set_cart_quantity))
        .routes(routes!(checkout))
        .routes(routes!(my_orders))
        .routes(routes!(my_order))
        .routes(routes!(cancel_my_order))
        .routes(routes!(shop_orders))
        .routes(routes!(shop_order))
        .routes(routes!(accept_order))
        .routes(routes!(reject_order))
        .routes(routes!(start_preparing))
        .routes(routes!(mark_ready))
        .routes(routes!(hand_over))
        .routes(routes!(cancel_shop_order))
        .routes(routes!(change_lines))
        .merge(pharmacy::routes())
}

fn currency(state: &AppState) -> CurrencyCode {
    state.services.kernel.settings.currencies.default_currency().code
}

type OrderAnswer = ApiResult<axum::Json<OrderView>>;

fn answer(order: &quipu_core::market::Order) -> OrderAnswer {
    Ok(axum::Json(OrderView::from(order)))
}

/// The caller's cart, each line read against the catalog as it is now.
#[utoipa::path(get, path = "/api/v1/me/cart", tag = "orders", security(("bearer" = [])),
    responses((status = 200, body = CartView), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn cart(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<CartView>> {
    let cart = state.services.market.cart(&caller).await?;
    Ok(axum::Json(CartView::new(&cart, currency(&state))))
}

/// Empties the caller's cart.
#[utoipa::path(delete, path = "/api/v1/me/cart", tag = "orders", security(("bearer" = [])),
    responses((status = 200, body = CartView), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn empty_cart(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<CartView>> {
    let cart = state.services.market.empty_cart(&caller).await?;
    Ok(axum::Json(CartView::new(&cart, currency(&state))))
}

/// Adds a product (with its options) to the cart at its price now; the same product with the same
/// options adds to its line. A cart holds at most 50 lines from at most 5 shops.
#[utoipa::path(post, path = "/api/v1/me/cart/lines", tag = "orders", security(("bearer" = [])),
    request_body = AddToCartRequest,
    responses((status = 200, body = CartView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_to_cart(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<AddToCartRequest>,
) -> ApiResult<axum::Json<CartView>> {
    let choices = choices(&body.choices)?;
    let cart = state.services.market.add_to_cart(&caller, ProductId(body.product_id), body.quantity, choices).await?;
    Ok(axum::Json(CartView::new(&cart, currency(&state))))
}

/// Sets a cart line's quantity; 0 removes it.
#[utoipa::path(put, path = "/api/v1/me/cart/lines/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = CartQuantityRequest,
    responses((status = 200, body = CartView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_cart_quantity(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<CartQuantityRequest>,
) -> ApiResult<axum::Json<CartView>> {
    let cart = state.services.market.set_cart_quantity(&caller, CartLineId(id), body.quantity).await?;
    Ok(axum::Json(CartView::new(&cart, currency(&state))))
}

/// Checks out the cart: one order per shop, each shop's fulfilment given, paid by wallet or card
/// with its PIN. Each order's total is held on the payer's account until the shop hands it over;
/// a rejected, cancelled or expired order gives it back. A price or stock change since the cart
/// was filled is refused, naming the items. A retry with the same key returns the first answer and
/// never holds twice.
#[utoipa::path(post, path = "/api/v1/me/checkout", tag = "orders", security(("bearer" = [])),
    request_body = CheckoutRequest,
    params(("Idempotency-Key" = String, Header, description = "Unique per intended checkout; a retry with the same key returns the first response")),
    responses((status = 201, body = Vec<OrderView>), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "The cart changed, or stock ran out", body = Problem),
        (status = 422, body = Problem), (status = 423, body = Problem)))]
pub async fn checkout(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<CheckoutRequest>,
) -> ApiResult<Response> {
    crate::moves::checkout(&state.http, &caller, &key, &body)
        .await
        .map(|response| (StatusCode::CREATED, response).into_response())
}

/// The caller's orders, newest first.
#[utoipa::path(get, path = "/api/v1/me/orders", tag = "orders", security(("bearer" = [])),
    responses((status = 200, body = Vec<OrderView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn my_orders(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<Vec<OrderView>>> {
    let orders = state.services.market.my_orders(&caller, None, 50).await?;
    Ok(axum::Json(orders.iter().map(OrderView::from).collect()))
}

/// One of the caller's orders, with its history.
#[utoipa::path(get, path = "/api/v1/me/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = OrderView), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn my_order(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> OrderAnswer {
    answer(&state.services.market.order(&caller, OrderId(id)).await?)
}

/// The customer cancels, before the shop accepts; the hold is given back.
#[utoipa::path(post, path = "/api/v1/me/orders/{id}/cancel", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = ReasonRequest,
    responses((status = 200, body = OrderView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn cancel_my_order(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<ReasonRequest>,
) -> OrderAnswer {
    answer(&state.services.market.end_order(&caller, OrderId(id), OrderStatus::Cancelled, &body.reason).await?)
}

/// The shop's orders: the open ones oldest first (the board), the ended ones, or those waiting for
/// a pharmacist's check (a pharmacy's queue, oldest first).
#[utoipa::path(get, path = "/api/v1/merchant/orders", tag = "orders", security(("bearer" = [])), params(ShopOrdersParams),
    responses((status = 200, body = Vec<OrderView>), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn shop_orders(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(params): ApiQuery<ShopOrdersParams>,
) -> ApiResult<axum::Json<Vec<OrderView>>> {
    let market = &state.services.market;
    let orders = match params.listing()? {
        ShopOrders::Open => market.shop_orders(&caller, true, 100).await?,
        ShopOrders::Ended => market.shop_orders(&caller, false, 100).await?,
        ShopOrders::AwaitingPharmacist => market.pharmacy_queue(&caller, 100).await?,
    };
    Ok(axum::Json(orders.iter().map(OrderView::from).collect()))
}

/// One of the shop's orders, with its history.
#[utoipa::path(get, path = "/api/v1/merchant/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = OrderView), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn shop_order(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> OrderAnswer {
    answer(&state.services.market.order(&caller, OrderId(id)).await?)
}

/// The shop accepts, saying when it will be ready.
#[utoipa::path(post, path = "/api/v1/merchant/orders/{id}/accept", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = AcceptOrderRequest,
    responses((status = 200, body = OrderView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn accept_order(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<AcceptOrderRequest>,
) -> OrderAnswer {
    answer(&state.services.market.accept_order(&caller, OrderId(id), body.ready_minutes).await?)
}

/// The shop rejects, saying why; the hold is given back.
#[utoipa::path(post, path = "/api/v1/merchant/orders/{id}/reject", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = ReasonRequest,
    responses((status = 200, body = OrderView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reject_order(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<ReasonRequest>,
) -> OrderAnswer {
    answer(&state.services.market.end_order(&caller, OrderId(id), OrderStatus::Rejected, &body.reason).await?)
}

/// The shop starts preparing an accepted order.
#[utoipa::path(post, path = "/api/v1/merchant/orders/{id}/preparing", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = OrderView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn start_preparing(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> OrderAnswer {
    answer(&state.services.market.advance_order(&caller, OrderId(id), OrderStatus::Preparing).await?)
}

/// The order is ready for pickup (or a courier).
#[utoipa::path(post, path = "/api/v1/merchant/orders/{id}/ready", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = OrderView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn mark_ready(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> OrderAnswer {
    answer(&state.services.market.advance_order(&caller, OrderId(id), OrderStatus::Ready).await?)
}

/// The shop hands a pickup order over at the counter, with the code on the customer's order
/// page: the hold is captured for the final amount (what was supplied), with the shop's fee; the
/// rest of the hold goes back to the payer. Wrong codes are counted: five lock the code for 15
/// minutes (423). A delivery order is completed by its courier instead (409).
#[utoipa::path(post, path = "/api/v1/merchant/orders/{id}/hand-over", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = HandOverRequest,
    responses((status = 200, body = OrderView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 423, body = Problem)))]
pub async fn hand_over(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<HandOverRequest>,
) -> OrderAnswer {
    answer(&state.services.market.hand_over_pickup(&caller, OrderId(id), &body.code).await?)
}

/// The shop cancels before hand-over, saying why; the hold is given back.
#[utoipa::path(post, path = "/api/v1/merchant/orders/{id}/cancel", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = ReasonRequest,
    responses((status = 200, body = OrderView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn cancel_shop_order(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<ReasonRequest>,
) -> OrderAnswer {
    answer(&state.services.market.end_order(&caller, OrderId(id), OrderStatus::Cancelled, &body.reason).await?)
}

/// The shop changes lines of an accepted order before hand-over: an item it cannot supply, fewer
/// than ordered, or a weighed item's price (within its hold). The customer sees each change.
#[utoipa::path(put, path = "/api/v1/merchant/orders/{id}/lines", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = LineEditsRequest,
    responses((status = 200, body = OrderView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn change_lines(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<LineEditsRequest>,
) -> OrderAnswer {
    let edits = body.edits(&state.services.kernel.settings.currencies.default_currency())?;
    answer(&state.services.market.change_lines(&caller, OrderId(id), &edits).await?)
}
