//! Handlers for prepaid cards: issue, top-up, block, replace at the counter;
//! balance with number and PIN; payment at a till; the holder's own cards.

use axum::extract::State;
use axum::response::Response;
use quipu_core::views::{CardReplacedView, CardTopUpView, CardView, PaymentView};
use quipu_core::wallet::AmountInput;

use crate::AppState;
use crate::extract::{ApiJson, ApiPath, Caller, IdempotencyKey};
use crate::idempotency;
use crate::problem::{ApiError, Problem};
use crate::requests::{
    CardBalanceRequest, CardNumberRequest, CardPaymentRequest, CardTopUpRequest, IssueCardRequest, ReplaceCardRequest,
    UnblockCardRequest,
};

type ApiResult<T> = Result<T, ApiError>;

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
    idempotency::once(&state, &caller, &key, "issue-card", &body, |id| {
        state.services.issue_card(&caller, id.0, body.currency.as_deref(), body.holder_phone.as_deref(), &body.pin)
    })
    .await
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
    idempotency::once(&state, &caller, &key, "card-top-up", &body, |id| {
        let amount = AmountInput { amount: &body.amount, currency: body.currency.as_deref() };
        state.services.top_up_card(&caller, id, &body.number, amount)
    })
    .await
}

/// An agent or operator blocks a card by its number (lost or stolen): it pays nothing until unblocked.
#[utoipa::path(post, path = "/api/v1/agent/cards/block", tag = "cards", security(("bearer" = [])), request_body = CardNumberRequest,
    responses((status = 200, body = CardView), (status = 404, body = Problem)))]
pub async fn block(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CardNumberRequest>,
) -> ApiResult<axum::Json<CardView>> {
    Ok(axum::Json(state.services.set_card_blocked(&caller, &body.number, true).await?))
}

/// An agent or operator unblocks a card by its number.
#[utoipa::path(post, path = "/api/v1/agent/cards/unblock", tag = "cards", security(("bearer" = [])), request_body = CardNumberRequest,
    responses((status = 200, body = CardView), (status = 404, body = Problem)))]
pub async fn unblock(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CardNumberRequest>,
) -> ApiResult<axum::Json<CardView>> {
    Ok(axum::Json(state.services.set_card_blocked(&caller, &body.number, false).await?))
}

/// An agent or operator replaces a card: a new number and PIN, the old card retired, its balance moved across.
#[utoipa::path(post, path = "/api/v1/agent/cards/replace", tag = "cards", security(("bearer" = [])), request_body = ReplaceCardRequest,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = CardReplacedView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn replace(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<ReplaceCardRequest>,
) -> ApiResult<Response> {
    idempotency::once(&state, &caller, &key, "replace-card", &body, |id| {
        state.services.replace_card(&caller, id.0, &body.number, &body.pin)
    })
    .await
}

/// Anyone holding a card checks its balance with the PIN; no sign-in, limited per client address.
#[utoipa::path(post, path = "/api/v1/cards/balance", tag = "cards", request_body = CardBalanceRequest,
    responses((status = 200, body = CardView), (status = 403, body = Problem), (status = 423, body = Problem), (status = 429, body = Problem)))]
pub async fn balance(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CardBalanceRequest>,
) -> ApiResult<axum::Json<CardView>> {
    Ok(axum::Json(state.services.card_balance(&body.number, &body.pin).await?))
}

/// A till takes a card payment with the number and the holder's PIN; it completes at once.
#[utoipa::path(post, path = "/api/v1/merchant/card-payments", tag = "cards", security(("bearer" = [])), request_body = CardPaymentRequest,
    params(("Idempotency-Key" = String, Header, description = "One per sale")),
    responses((status = 201, body = PaymentView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn pay(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<CardPaymentRequest>,
) -> ApiResult<Response> {
    idempotency::once(&state, &caller, &key, "card-payment", &body, |id| {
        let amount = AmountInput { amount: &body.amount, currency: body.currency.as_deref() };
        let (reference, till) = (body.reference.as_deref(), body.till.as_deref());
        state.services.pay_with_card(&caller, id.0, &body.number, &body.pin, amount, reference, till)
    })
    .await
}

/// The customer's linked cards, with full numbers and balances.
#[utoipa::path(get, path = "/api/v1/me/cards", tag = "cards", security(("bearer" = [])),
    responses((status = 200, body = Vec<CardView>), (status = 403, body = Problem)))]
pub async fn my_cards(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<Vec<CardView>>> {
    Ok(axum::Json(state.services.my_cards(&caller).await?))
}

/// The holder blocks their own card at once, no PIN needed.
#[utoipa::path(post, path = "/api/v1/me/cards/{id}/block", tag = "cards", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = CardView), (status = 404, body = Problem)))]
pub async fn block_mine(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<CardView>> {
    Ok(axum::Json(state.services.set_my_card_blocked(&caller, id, true, None).await?))
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
    Ok(axum::Json(state.services.set_my_card_blocked(&caller, id, false, Some(&body.pin)).await?))
}
