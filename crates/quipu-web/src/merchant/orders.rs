//! The shop's order board: open orders oldest first, each with the moves the domain allows now
//! (`next_actions`): accept with a ready time or reject with a reason, start preparing, mark ready,
//! hand over (which captures the money), cancel with a reason, and lines the shop cannot supply.
//! The board hears new orders live and rings until someone acknowledges them (`board-live.js`);
//! each order has a printable ticket.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use quipu_api::delivery::views::{JobView, TrackingView};
use quipu_api::market::requests::AcceptingRequest;
use quipu_api::orders::requests::{AcceptOrderRequest, HandOverRequest, ReasonRequest};
use quipu_api::orders::views::OrderView;
use quipu_domain::delivery::JobId;
use quipu_domain::identity::Role;
use quipu_domain::market::checkout::FulfilmentKind;
use quipu_domain::market::checkout::{LineEdit, OrderId};
use quipu_domain::market::order::OrderStatus;
use quipu_domain::market::pharmacy::{LineDecision, Verdict};
use quipu_http::problem::ApiError;

use crate::WebState;
use crate::auth::SignedIn;
use crate::form::Posted;
use crate::page::{self, Chrome, Done, Notice, failed};

/// Who works the board: the shop's owner, its cashiers and, in a pharmacy, its pharmacists.
const SHOP_STAFF: [Role; 3] = [Role::MerchantOwner, Role::Cashier, Role::Pharmacist];

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/merchant/orders", get(board))
        .route("/merchant/orders/accepting", post(set_accepting))
        .route("/merchant/orders/{id}", get(ticket))
        .route("/merchant/orders/{id}/{action}", post(act))
        .route("/merchant/deliveries/{id}/confirm-return", post(confirm_return))
}

/// A delivery order's courier as the board shows it: the job (its step, what the shop may do) and
/// how far the courier is.
struct BoardDelivery {
    job: JobView,
    tracking: TrackingView,
}

#[derive(Template)]
#[template(path = "merchant/orders.html")]
struct BoardPage {
    c: Chrome,
    notice: Notice,
    /// Each open order, with its courier once it has a delivery job.
    rows: Vec<(OrderView, Option<BoardDelivery>)>,
    /// The board's title, which the ringing prefixes with the count of new orders.
    title: String,
    /// The shop takes orders now (`None`: it does not sell on the market).
    accepting: Option<bool>,
}

/// Most open orders the board shows.
const BOARD_SIZE: u32 = 100;

/// `GET /merchant/orders`: the open orders, oldest first, each with what may be done now.
async fn board(State(state): State<WebState>, who: SignedIn, Query(done): Query<Done>) -> Response {
    if let Some(refused) = who.refused_unless(&SHOP_STAFF) {
        return refused;
    }
    let market = &state.http.services.market;
    let loaded = async {
        let orders = market.shop_orders(&who.principal, true, BOARD_SIZE).await?;
        let mut rows = Vec::with_capacity(orders.len());
        for order in &orders {
            let view = OrderView::from(order);
            let delivery = courier_of(&state, &who, order).await?;
            rows.push((view, delivery));
        }
        let accepting = match market.seller(who.principal.require_merchant()?).await {
            Ok(seller) => Some(seller.record.accepting),
            Err(error) if error.kind == quipu_core::ErrorKind::NotFound => None,
            Err(error) => return Err(error),
        };
        Ok::<_, quipu_core::CoreError>((rows, accepting))
    };
    match loaded.await {
        Ok((rows, accepting)) => {
            let c = who.chrome();
            let words = [
                "accepted",
                "rejected",
                "preparing",
                "ready",
                "hand-over",
                "cancel",
                "lines",
                "paused",
                "taking",
                "checked",
                "returned",
            ];
            let notice = done.notice(c.t, &words);
            let title = format!("{} · Quipu", c.msg("board-title"));
            page::html(&BoardPage { c, notice, rows, title, accepting }, StatusCode::OK, who.reader())
        }
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}

/// The courier of a delivery order the shop accepted, if it has one.
async fn courier_of(
    state: &WebState,
    who: &SignedIn,
    order: &quipu_core::market::Order,
) -> Result<Option<BoardDelivery>, quipu_core::CoreError> {
    if order.record.fulfilment != FulfilmentKind::Delivery {
        return Ok(None);
    }
    let delivery = &state.http.services.delivery;
    match delivery.job(&who.principal, JobId::of_order(order.record.id)).await {
        Ok(job) => {
            let tracking = delivery.tracking(&who.principal, order.record.id).await?;
            Ok(Some(BoardDelivery { job: JobView::from(&job), tracking: TrackingView::from(&tracking) }))
        }
        // Not accepted yet: no job.
        Err(error) if error.kind == quipu_core::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// `POST /merchant/deliveries/{id}/confirm-return`: the shop has the goods a courier brought
/// back; the order ends by the shop's policy for returned goods.
async fn confirm_return(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    _posted: Posted,
) -> Response {
    if let Some(refused) = who.refused_unless(&SHOP_STAFF) {
        return refused;
    }
    match state.http.services.delivery.confirm_return(&who.principal, JobId(id)).await {
        Ok(_) => page::see_other("/merchant/orders?done=returned"),
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}

/// `POST /merchant/orders/accepting`: the shop pauses new orders (a busy kitchen) or takes them again.
async fn set_accepting(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    if let Some(refused) = who.refused_unless(&SHOP_STAFF) {
        return refused;
    }
    let attempt = async {
        let body: AcceptingRequest = posted.request()?;
        state.http.services.market.set_accepting(&who.principal, body.accepting).await?;
        Ok::<_, ApiError>(body.accepting)
    };
    match attempt.await {
        Ok(true) => page::see_other("/merchant/orders?done=taking"),
        Ok(false) => page::see_other("/merchant/orders?done=paused"),
        Err(error) => failed(&who, &error),
    }
}

#[derive(Template)]
#[template(path = "merchant/order.html")]
struct TicketPage {
    c: Chrome,
    notice: Notice,
    order: OrderView,
    can_edit: bool,
}

/// `GET /merchant/orders/{id}`: the order's ticket, to print for the kitchen or the packer, with
/// the lines the shop may still change.
async fn ticket(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>) -> Response {
    if let Some(refused) = who.refused_unless(&SHOP_STAFF) {
        return refused;
    }
    match state.http.services.market.order(&who.principal, OrderId(id)).await {
        Ok(order) => {
            let order = OrderView::from(&order);
            let can_edit = order.may("edit_lines");
            page::html(
                &TicketPage { c: who.chrome(), notice: Notice::none(), order, can_edit },
                StatusCode::OK,
                who.reader(),
            )
        }
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}

/// `POST /merchant/orders/{id}/{action}`: one of the board's moves. A refusal (a move the order's
/// state no longer allows, a reason left out) is a page saying why, with the board a tap away.
async fn act(
    State(state): State<WebState>,
    who: SignedIn,
    Path((id, action)): Path<(uuid::Uuid, String)>,
    posted: Posted,
) -> Response {
    if let Some(refused) = who.refused_unless(&SHOP_STAFF) {
        return refused;
    }
    let market = &state.http.services.market;
    let (caller, order) = (&who.principal, OrderId(id));
    let attempt = async {
        match action.as_str() {
            "accept" => {
                let body: AcceptOrderRequest = posted.request()?;
                market.accept_order(caller, order, body.ready_minutes).await?;
            }
            "reject" | "cancel" => {
                let body: ReasonRequest = posted.request()?;
                let to = if action == "reject" { OrderStatus::Rejected } else { OrderStatus::Cancelled };
                market.end_order(caller, order, to, &body.reason).await?;
            }
            "preparing" => drop(market.advance_order(caller, order, OrderStatus::Preparing).await?),
            "ready" => drop(market.advance_order(caller, order, OrderStatus::Ready).await?),
            "hand-over" => {
                let body: HandOverRequest = posted.request()?;
                market.hand_over_pickup(caller, order, &body.code).await?;
            }
            "lines" => {
                let edits = unavailable_lines(&posted)?;
                market.change_lines(caller, order, &edits).await?;
            }
            "check" => drop(market.check_order(caller, order, &line_decisions(&posted)?).await?),
            _ => return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such move")),
        }
        Ok::<_, ApiError>(())
    };
    match attempt.await {
        Ok(()) => {
            let done = match action.as_str() {
                "accept" => "accepted",
                "reject" => "rejected",
                "check" => "checked",
                other => other,
            };
            page::see_other(&format!("/merchant/orders?done={done}"))
        }
        Err(error) => failed(&who, &error),
    }
}

/// The ticket's "cannot supply" boxes (`unavailable` = a line's position), as line edits.
fn unavailable_lines(posted: &Posted) -> Result<Vec<(u32, LineEdit)>, ApiError> {
    let positions = posted.all("unavailable");
    if positions.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "line_edit_invalid", "tick a line first"));
    }
    positions
        .iter()
        .map(|position| {
            let position = position
                .parse::<u32>()
                .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "line_edit_invalid", "not a line"))?;
            Ok((position, LineEdit::Unavailable))
        })
        .collect()
}

/// The ticket's check of flagged lines: for each `position`, `decision-<position>` (approve or
/// refuse) and `note-<position>`, as the pharmacist's decisions.
fn line_decisions(posted: &Posted) -> Result<Vec<LineDecision>, ApiError> {
    let invalid = || ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "check_lines_invalid", "decide every line");
    posted
        .all("position")
        .iter()
        .map(|position| {
            let verdict = match posted.field(&format!("decision-{position}")) {
                "approve" => Verdict::Approve,
                "refuse" => Verdict::Refuse,
                _ => return Err(invalid()),
            };
            let note = posted.field(&format!("note-{position}")).to_owned();
            Ok(LineDecision { position: position.parse().map_err(|_| invalid())?, verdict, note })
        })
        .collect()
}
