//! A customer's orders: the list, and one order followed live. The order page listens to the
//! customer's own event stream (`order-live.js`) and shows the shop's every move as it happens;
//! without scripts it asks again every 20 seconds. What may be done (cancel, attach a
//! prescription, rate it, order it again) comes from the domain's `next_actions`, never from the
//! page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use quipu_api::delivery::requests::TipRequest;
use quipu_api::delivery::views::TrackingView;
use quipu_api::habits::requests::ReviewRequest;
use quipu_api::habits::views::ReviewView;
use quipu_api::orders::requests::ReasonRequest;
use quipu_api::orders::views::OrderView;
use quipu_core::ErrorKind;
use quipu_domain::identity::Role;
use quipu_domain::market::checkout::OrderId;
use quipu_domain::market::order::OrderStatus;
use quipu_domain::market::review::Rating;
use quipu_http::problem::ApiError;

use crate::WebState;
use crate::auth::SignedIn;
use crate::form::{Posted, PostedFile};
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
    /// The customer's rating of it, once given (with the shop's reply).
    pub review: Option<ReviewView>,
    /// The ratings a customer may give, fewest stars first.
    pub ratings: Vec<u8>,
    /// A delivery's step, how far the courier is, and the tip: once the shop accepted it.
    pub delivery: Option<TrackingView>,
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
    let notice = done.notice(who.chrome().t, &["placed", "cancelled", "reviewed", "prescription", "tipped"]);
    show_order(&state, &who, id, notice, StatusCode::OK).await
}

async fn show_order(state: &WebState, who: &SignedIn, id: uuid::Uuid, notice: Notice, status: StatusCode) -> Response {
    let market = &state.http.services.market;
    let loaded = async {
        let order = OrderView::from(&market.order(&who.principal, OrderId(id)).await?);
        let review = if order.status == OrderStatus::Completed.as_str() && !order.may("review") {
            match market.my_review(&who.principal, OrderId(id)).await {
                Ok(review) => Some(ReviewView::own(&review)),
                Err(error) if error.kind == ErrorKind::NotFound => None,
                Err(error) => return Err(error),
            }
        } else {
            None
        };
        let delivery = if order.fulfilment == "delivery" {
            match state.http.services.delivery.tracking(&who.principal, OrderId(id)).await {
                Ok(tracking) => Some(TrackingView::from(&tracking)),
                // Not accepted yet: no courier is asked before the shop takes the order.
                Err(error) if error.kind == ErrorKind::NotFound => None,
                Err(error) => return Err(error),
            }
        } else {
            None
        };
        Ok((order, review, delivery))
    };
    match loaded.await {
        Ok((order, review, delivery)) => {
            let live = OrderStatus::parse(&order.status).is_some_and(|status| !status.is_final());
            let can_cancel = order.may("cancel");
            let ratings = (Rating::FEWEST_STARS..=Rating::MOST_STARS).collect();
            let page = OrderPage { c: who.chrome(), notice, order, live, can_cancel, review, ratings, delivery };
            page::html(&page, status, who.reader())
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
        Ok(())
    };
    answer(&state, &who, id, attempt.await, "cancelled").await
}

/// `POST /market/orders/{id}/tip`: the customer adds a tip for the courier bringing the order,
/// with their PIN (held from the wallet, paid at hand-over).
pub(super) async fn tip(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    posted: Posted,
) -> Response {
    let attempt = async {
        let body: TipRequest = posted.request()?;
        let amount = body.amount(state.http.services.kernel.settings.currencies.default_currency())?;
        let pin = body.pin()?;
        state.http.services.delivery.add_tip(&who.principal, OrderId(id), amount, &pin).await?;
        Ok(())
    };
    answer(&state, &who, id, attempt.await, "tipped").await
}

/// `POST /market/orders/{id}/review`: the customer rates a completed order, 1 to 5 stars and a
/// comment if they like.
pub(super) async fn review(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    posted: Posted,
) -> Response {
    let attempt = async {
        let body: ReviewRequest = posted.request()?;
        state.http.services.market.review_order(&who.principal, OrderId(id), (&body).into()).await?;
        Ok(())
    };
    answer(&state, &who, id, attempt.await, "reviewed").await
}

/// `POST /market/orders/{id}/reorder`: the ended order's lines into the cart as the catalog has
/// them now; the cart says what costs something else, and the notice how many could not go in.
pub(super) async fn reorder(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    _posted: Posted,
) -> Response {
    match state.http.services.market.reorder(&who.principal, OrderId(id)).await {
        Ok(reordered) => {
            let short = reordered.lines.iter().filter(|line| line.added == 0).count();
            page::see_other(&format!("/market/cart?done=reordered&short={short}"))
        }
        Err(error) => refused(&state, &who, id, &ApiError::from(error)).await,
    }
}

/// `POST /market/orders/{id}/prescription`: a photo of the prescription for the pharmacist, from
/// an upload form (checked and re-encoded as the API does; the original is never kept).
pub(super) async fn prescription(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    file: PostedFile,
) -> Response {
    let attached = state.http.services.market.put_prescription(&who.principal, OrderId(id), file.bytes).await;
    answer(&state, &who, id, attached.map(drop).map_err(ApiError::from), "prescription").await
}

/// The order again: saying `done` when what was asked is done, or why it was refused.
async fn answer(
    state: &WebState,
    who: &SignedIn,
    id: uuid::Uuid,
    result: Result<(), ApiError>,
    done: &str,
) -> Response {
    match result {
        Ok(()) => page::see_other(&format!("/market/orders/{id}?done={done}")),
        Err(error) => refused(state, who, id, &error).await,
    }
}

/// The order again, saying why what was asked was refused.
async fn refused(state: &WebState, who: &SignedIn, id: uuid::Uuid, error: &ApiError) -> Response {
    let notice = Notice::refused(who.chrome().t, error);
    show_order(state, who, id, notice, error.status).await
}
