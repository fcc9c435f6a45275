//! Accounts and money between people: balances, history, statements, receipts, P2P transfers, an
//! agent's cash in and out, and the operator's issuance, redemption and ledger check.

pub mod requests;
pub mod views;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use quipu_core::wallet::HistoryFilter;
use quipu_domain::ledger::{AccountId, TransferId};
use quipu_domain::money::AmountInput;
use quipu_http::Policy;
use quipu_http::extract::{ApiJson, ApiPath, ApiQuery, Caller, IdempotencyKey};
use quipu_http::problem::Problem;
use utoipa_axum::routes;

use self::requests::*;
use self::views::*;
use crate::common::ApiResult;
use crate::common::views::*;
use crate::routes::Routes;
use crate::{AppState, moves};

/// This context's routes, each declared once: served, and documented, from here.
pub fn routes() -> Routes {
    Routes::under(Policy::writes())
        .routes(routes!(my_history))
        .routes(routes!(account))
        .routes(routes!(history))
        .routes(routes!(statement))
        .routes(routes!(statement_csv))
        .routes(routes!(receipt))
        .routes(routes!(p2p))
        .routes(routes!(cash_in))
        .routes(routes!(cash_out))
        .routes(routes!(issue))
        .routes(routes!(redeem))
        .routes(routes!(verify))
        // Read back before a PIN or cash changes hands: nothing is written, so nothing waits for the disk.
        .then_under(Policy::writes_nothing())
        .routes(routes!(p2p_preview))
}

/// One account's balances.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "wallet", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = AccountView), (status = 404, body = Problem)))]
pub async fn account(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<AccountView>> {
    Ok(axum::Json(AccountView::from(&state.services.wallet.account(&caller, AccountId(id)).await?)))
}

/// An account's transactions, newest first, with cursor pagination.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/transactions", tag = "wallet", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path), HistoryParams), responses((status = 200, body = HistoryPage), (status = 404, body = Problem)))]
pub async fn history(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiQuery(params): ApiQuery<HistoryParams>,
) -> ApiResult<axum::Json<HistoryPage>> {
    let page = state.services.wallet.history(&caller, AccountId(id), &HistoryFilter::try_from(&params)?).await?;
    Ok(axum::Json(HistoryPage::from(&page)))
}

/// The caller's own transactions: a customer's or courier's wallet, an agent's float or a merchant's account, in the default currency.
#[utoipa::path(get, path = "/api/v1/me/transactions", tag = "wallet", security(("bearer" = [])),
    params(HistoryParams),
    responses((status = 200, body = HistoryPage), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn my_history(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(params): ApiQuery<HistoryParams>,
) -> ApiResult<axum::Json<HistoryPage>> {
    let filter = HistoryFilter::try_from(&params)?;
    let account = state.services.wallet.primary_account(&caller).await?;
    Ok(axum::Json(HistoryPage::from(&state.services.wallet.history(&caller, account, &filter).await?)))
}

/// An account's statement for a date range: opening and closing balances, and one line per business
/// event (state, counterparty, running balances), oldest first; at most 10 000 lines.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/statement", tag = "wallet", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path), StatementParams),
    responses((status = 200, body = StatementView), (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn statement(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiQuery(params): ApiQuery<StatementParams>,
) -> ApiResult<axum::Json<StatementView>> {
    let (from, to) = params.range()?;
    let statement = state.services.wallet.statement(&caller, AccountId(id), from, to).await?;
    Ok(axum::Json(StatementView::from(&statement)))
}

/// The same statement as CSV: an opening row, one row per line, a closing row; the `completed` rows'
/// signed amounts sum to closing less opening balance.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/statement.csv", tag = "wallet", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path), StatementParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn statement_csv(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiQuery(params): ApiQuery<StatementParams>,
) -> ApiResult<Response> {
    let (from, to) = params.range()?;
    let statement = state.services.wallet.statement(&caller, AccountId(id), from, to).await?;
    let csv = quipu_core::wallet::statement_csv(&statement)?;
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"statement.csv\""));
    Ok(response)
}

/// The receipt of one transaction, for either side of it.
#[utoipa::path(get, path = "/api/v1/transactions/{id}/receipt", tag = "wallet", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = ReceiptView), (status = 404, body = Problem)))]
pub async fn receipt(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<ReceiptView>> {
    Ok(axum::Json(ReceiptView::from(&state.services.wallet.receipt(&caller, TransferId(id)).await?)))
}

/// Send money to another customer by phone number, confirmed by PIN.
#[utoipa::path(post, path = "/api/v1/transfers/p2p", tag = "wallet", security(("bearer" = [])), request_body = P2pRequest,
    params(("Idempotency-Key" = String, Header, description = "Unique per intended transfer; a retry with the same key returns the first response")),
    responses((status = 201, body = TransferView), (status = 403, body = Problem), (status = 422, body = Problem), (status = 423, body = Problem)))]
pub async fn p2p(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<P2pRequest>,
) -> ApiResult<Response> {
    moves::p2p(&state.http, &caller, &key, &body).await
}

/// What a P2P transfer would do, read back before the PIN: the recipient's name as the network shows
/// it (first name and initial), the amount and the fee. Nothing moves.
#[utoipa::path(post, path = "/api/v1/transfers/p2p/preview", tag = "wallet", security(("bearer" = [])),
    request_body = P2pPreviewRequest,
    responses((status = 200, body = TransferPreviewView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn p2p_preview(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<P2pPreviewRequest>,
) -> ApiResult<axum::Json<TransferPreviewView>> {
    let (to, _) = <(_, _)>::try_from(&body)?;
    let amount = AmountInput { amount: &body.amount, currency: body.currency.as_deref() };
    Ok(axum::Json(TransferPreviewView::from(&state.services.wallet.p2p_preview(&caller, &to, amount).await?)))
}

/// An agent credits a customer's wallet against cash received.
#[utoipa::path(post, path = "/api/v1/agent/cash-in", tag = "agent", security(("bearer" = [])), request_body = CashInRequest,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = TransferView), (status = 422, body = Problem)))]
pub async fn cash_in(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<CashInRequest>,
) -> ApiResult<Response> {
    moves::cash_in(&state.http, &caller, &key, &body).await
}

/// An agent pays out cash from a customer's wallet, confirmed by the customer's PIN.
#[utoipa::path(post, path = "/api/v1/agent/cash-out", tag = "agent", security(("bearer" = [])), request_body = CashOutRequest,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = TransferView), (status = 403, body = Problem), (status = 422, body = Problem), (status = 423, body = Problem)))]
pub async fn cash_out(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<CashOutRequest>,
) -> ApiResult<Response> {
    moves::cash_out(&state.http, &caller, &key, &body).await
}

/// The operator issues e-money into an agent's float against deposited cash.
#[utoipa::path(post, path = "/api/v1/operator/issuance", tag = "operator", security(("bearer" = [])), request_body = FloatRequest,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = TransferView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn issue(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<FloatRequest>,
) -> ApiResult<Response> {
    moves::issue(&state.http, &caller, &key, &body).await
}

/// The operator redeems e-money from an agent's float.
#[utoipa::path(post, path = "/api/v1/operator/redemption", tag = "operator", security(("bearer" = [])), request_body = FloatRequest,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = TransferView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn redeem(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<FloatRequest>,
) -> ApiResult<Response> {
    moves::redeem(&state.http, &caller, &key, &body).await
}

/// Operators and auditors check every ledger invariant.
#[utoipa::path(get, path = "/api/v1/operator/ledger/verify", tag = "operator", security(("bearer" = [])),
    responses((status = 200, body = VerifyView), (status = 403, body = Problem)))]
pub async fn verify(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<VerifyView>> {
    Ok(axum::Json(VerifyView::from(&state.services.kernel.verify_ledger(&caller).await?)))
}
