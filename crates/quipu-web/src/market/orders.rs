//! A customer's orders: the list, and one order followed live. The order page listens to the
//! customer's own event stream (`order-live.js`) and shows the shop's every move as it happens;
//! without scripts it asks again every 20 seconds. What may be done (cancel) comes from the
//! domain's `next_actions`, never from the page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use quipu_api::orders::requests::ReasonRequest;
use quipu_api::orders::views::OrderView;
use quipu_domain::identity::Role;
use quipu_domain::market::checkout::OrderId;
use quipu_domain::market::order::OrderStatus;
use quipu_http::problem::ApiError;

use crate::WebState;
use crate::auth::SignedIn;
use crate::form::Posted;
use crate::page::{self, Chrome, Done, Notice, failed};

#[derive(Template)]
#[template(path = "market/orders.html")]
struct OrdersPage {
    c: Chrome,
    notice: Notice,
    orders: Vec<OrderView>,
}

/// Most orders the list shows.
const ORDERS_PAGE: u32 = 50;

/// `GET /market/orders`: the customer's orders, newest first.
pub(super) async fn orders(State(state): State<WebState>, who: SignedIn, Query(done): Query<Done>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    match state.http.services.market.my_orders(&who.principal, None, ORDERS_PAGE).await {
        Ok(orders) => {
            let notice = done.notice(who.chrome().t, &["placed"]);
            let orders = orders.iter().map(OrderView::from).collect();
            page::html(&OrdersPage { c: who.chrome(), notice, orders }, StatusCode::OK, who.reader())
        }
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}

#[derive(Template)]
#[template(path = "market/order.html")]
pub(crate) struct OrderPage {
    pub c: Chrome,
    pub notice: Notice,
    pub order: OrderView,
    /// The order may still change: the page listens for its moves.
    pub live: bool,
    pub can_cancel: bool,
}

/// `GET /market/orders/{id}`: one order, its lines as the shop left them, its history, and what
/// the customer may still do.
pub(super) async fn order(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    Query(done): Query<Done>,
) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    let notice = done.notice(who.chrome().t, &["placed", "cancelled"]);
    show_order(&state, &who, id, notice, StatusCode::OK).await
}

async fn show_order(state: &WebState, who: &SignedIn, id: uuid::Uuid, notice: Notice, status: StatusCode) -> Response {
    match state.http.services.market.order(&who.principal, OrderId(id)).await {
        Ok(order) => {
            let order = OrderView::from(&order);
            let live = OrderStatus::parse(&order.status).is_some_and(|status| !status.is_final());
            let can_cancel = order.may("cancel");
            page::html(&OrderPage { c: who.chrome(), notice, order, live, can_cancel }, status, who.reader())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

/// `POST /market/orders/{id}/cancel`: the customer cancels before the shop accepts, saying why.
pub(super) async fn cancel(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    posted: Posted,
) -> Response {
    let attempt = async {
        let body: ReasonRequest = posted.request()?;
        let market = &state.http.services.market;
        market.end_order(&who.principal, OrderId(id), OrderStatus::Cancelled, &body.reason).await?;
        Ok::<_, ApiError>(())
    };
    match attempt.await {
        Ok(()) => page::see_other(&format!("/market/orders/{id}?done=cancelled")),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            show_order(&state, &who, id, notice, error.status).await
        }
    }
}
