//! Prepaid cards: issue, top up, block, replace, balance checks and card payments.

pub mod requests;
pub mod views;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use quipu_domain::card::{CardId, CardNumber};
use quipu_domain::identity::Pin;
use quipu_http::Policy;
use quipu_http::extract::{AddressSource, ApiJson, ApiPath, Caller, IdempotencyKey};
use quipu_http::problem::Problem;
use utoipa_axum::routes;

use self::requests::*;
use self::views::*;
use crate::common::ApiResult;
use crate::routes::Routes;
use crate::{AppState, moves};

/// This context's routes, each declared once: served, and documented, from here.
pub fn routes() -> Routes {
    // Anyone may call these unsigned: counted per client address.
    Routes::under(Policy::writes().limited_by_address())
        .routes(routes!(balance))
        .then_under(Policy::writes())
        .routes(routes!(issue))
        .routes(routes!(top_up))
        .routes(routes!(block))
        .routes(routes!(unblock))
        .routes(routes!(replace))
        .routes(routes!(approve_replacement))
        .routes(routes!(pay))
        .routes(routes!(my_cards))
        .routes(routes!(block_mine))
        .routes(routes!(unblock_mine))
}

/// An agent or operator issues a card, optionally linked to a customer; the holder chooses its PIN.
/// The answer carries the full number, to print on or check against the physical card.
#[utoipa::path(post, path = "/api/v1/agent/cards", tag = "cards", security(("bearer" = [])), request_body = IssueCardRequest,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = CardView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn issue(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<IssueCardRequest>,
) -> ApiResult<Response> {
    moves::issue_card(&state.http, &caller, &key, &body).await
}

/// An agent loads a card from their float, against cash.
#[utoipa::path(post, path = "/api/v1/agent/cards/top-up", tag = "cards", security(("bearer" = [])), request_body = CardTopUpRequest,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = CardTopUpView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn top_up(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<CardTopUpRequest>,
) -> ApiResult<Response> {
    moves::top_up_card(&state.http, &caller, &key, &body).await
}

/// An agent or operator blocks a card by its number (lost or stolen): it pays nothing until unblocked.
#[utoipa::path(post, path = "/api/v1/agent/cards/block", tag = "cards", security(("bearer" = [])), request_body = CardNumberRequest,
    responses((status = 200, body = CardView), (status = 404, body = Problem)))]
pub async fn block(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CardNumberRequest>,
) -> ApiResult<axum::Json<CardView>> {
    let card = state.services.cards.set_card_blocked(&caller, &CardNumber::try_from(&body)?, true).await?;
    Ok(axum::Json(CardView::from(&card)))
}

/// An agent or operator unblocks a card by its number.
#[utoipa::path(post, path = "/api/v1/agent/cards/unblock", tag = "cards", security(("bearer" = [])), request_body = CardNumberRequest,
    responses((status = 200, body = CardView), (status = 404, body = Problem)))]
pub async fn unblock(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CardNumberRequest>,
) -> ApiResult<axum::Json<CardView>> {
    let card = state.services.cards.set_card_blocked(&caller, &CardNumber::try_from(&body)?, false).await?;
    Ok(axum::Json(CardView::from(&card)))
}

/// An agent or operator replaces a card: a new number and PIN, the old card retired, its balance
/// moved across. The holder proves the card is theirs: the old card's PIN, the linked person's PIN,
/// or an operator's approval.
#[utoipa::path(post, path = "/api/v1/agent/cards/replace", tag = "cards", security(("bearer" = [])), request_body = ReplaceCardRequest,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = CardReplacedView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 423, body = Problem)))]
pub async fn replace(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<ReplaceCardRequest>,
) -> ApiResult<Response> {
    moves::replace_card(&state.http, &caller, &key, &body).await
}

/// An operator lets an agent replace a card without any PIN, for a holder who forgot both; usable
/// once within 24 hours. The stated reason goes to the holder's access log.
#[utoipa::path(post, path = "/api/v1/operator/cards/replacement-approvals", tag = "operator", security(("bearer" = [])),
    request_body = CardApprovalRequest,
    responses((status = 201, body = CardApprovalView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn approve_replacement(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CardApprovalRequest>,
) -> ApiResult<impl IntoResponse> {
    let (number, reason) = <(_, _)>::try_from(&body)?;
    let approval = state.services.cards.approve_replacement(&caller, &number, &reason).await?;
    Ok((StatusCode::CREATED, axum::Json(CardApprovalView::from(&approval))))
}

/// Anyone holding a card checks its balance with the PIN; no sign-in, limited per client address.
#[utoipa::path(post, path = "/api/v1/cards/balance", tag = "cards", request_body = CardBalanceRequest,
    responses((status = 200, body = CardView), (status = 403, body = Problem), (status = 423, body = Problem), (status = 429, body = Problem)))]
pub async fn balance(
    State(state): State<AppState>,
    AddressSource(source): AddressSource,
    ApiJson(body): ApiJson<CardBalanceRequest>,
) -> ApiResult<axum::Json<CardView>> {
    let (number, pin) = <(_, _)>::try_from(&body)?;
    Ok(axum::Json(CardView::from(&state.services.cards.card_balance(&number, &pin, &source).await?)))
}

/// A till takes a card payment with the number and the holder's PIN; it completes at once. The
/// answer says what is left on the card, for the holder's slip.
#[utoipa::path(post, path = "/api/v1/merchant/card-payments", tag = "cards", security(("bearer" = [])), request_body = CardPaymentRequest,
    params(("Idempotency-Key" = String, Header, description = "One per sale")),
    responses((status = 201, body = CardPaymentView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn pay(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<CardPaymentRequest>,
) -> ApiResult<Response> {
    moves::card_payment(&state.http, &caller, &key, &body).await
}

/// The customer's linked cards, with full numbers and balances.
#[utoipa::path(get, path = "/api/v1/me/cards", tag = "cards", security(("bearer" = [])),
    responses((status = 200, body = Vec<CardView>), (status = 403, body = Problem)))]
pub async fn my_cards(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<Vec<CardView>>> {
    Ok(axum::Json(state.services.cards.my_cards(&caller).await?.iter().map(CardView::from).collect()))
}

/// The holder blocks their own card at once, no PIN needed.
#[utoipa::path(post, path = "/api/v1/me/cards/{id}/block", tag = "cards", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = CardView), (status = 404, body = Problem)))]
pub async fn block_mine(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<CardView>> {
    Ok(axum::Json(CardView::from(&state.services.cards.block_my_card(&caller, CardId(id)).await?)))
}

/// The holder unblocks their own card with their account PIN.
#[utoipa::path(post, path = "/api/v1/me/cards/{id}/unblock", tag = "cards", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = UnblockCardRequest,
    responses((status = 200, body = CardView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn unblock_mine(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<UnblockCardRequest>,
) -> ApiResult<axum::Json<CardView>> {
    let pin = Pin::try_from(&body)?;
    Ok(axum::Json(CardView::from(&state.services.cards.unblock_my_card(&caller, CardId(id), &pin).await?)))
}
