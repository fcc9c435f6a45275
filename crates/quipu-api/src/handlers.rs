//! Request handlers: parse, call one service, shape the answer. Nothing else.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quipu_core::views::{
    AccountView, AgentView, ApiKeyView, FundingSourceView, HistoryPage, MerchantView, ProfileView, ReceiptView,
    SessionView, TransferView, UserView, VerifyView,
};
use quipu_core::wallet::AmountInput;
use quipu_domain::identity::Role;

use crate::AppState;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IdempotencyKey, bearer};
use crate::idempotency;
use crate::problem::{ApiError, Problem};
use crate::requests::*;

type ApiResult<T> = Result<T, ApiError>;

fn created<T: serde::Serialize>(value: T) -> (StatusCode, axum::Json<T>) {
    (StatusCode::CREATED, axum::Json(value))
}

fn amount<'a>(amount: &'a str, currency: &'a Option<String>) -> AmountInput<'a> {
    AmountInput { amount, currency: currency.as_deref() }
}

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the ledger writer runs and the database answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if !state.services.ledger.is_running() {
        return (StatusCode::SERVICE_UNAVAILABLE, "ledger writer stopped").into_response();
    }
    match state.services.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let body = state.metrics.as_ref().map(|handle| handle.render()).unwrap_or_default();
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    response
}

/// Sign up as a customer.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "identity", request_body = RegisterRequest,
    responses((status = 201, body = ProfileView), (status = 400, body = Problem), (status = 409, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> ApiResult<impl IntoResponse> {
    let profile = state.services.register_customer(&body.phone, &body.full_name, &body.password, &body.pin).await?;
    Ok(created(profile))
}

/// Log in with phone and password; returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "identity", request_body = LoginRequest,
    responses((status = 200, body = SessionView), (status = 401, body = Problem), (status = 423, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<axum::Json<SessionView>> {
    Ok(axum::Json(state.services.login(&body.phone, &body.password).await?))
}

/// End the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "identity", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn logout(
    State(state): State<AppState>,
    Caller(_): Caller,
    request: axum::extract::Request,
) -> ApiResult<StatusCode> {
    let (parts, _) = request.into_parts();
    if let Some(token) = bearer(&parts) {
        state.services.logout(token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's profile and accounts.
#[utoipa::path(get, path = "/api/v1/me", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = ProfileView), (status = 401, body = Problem)))]
pub async fn me(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<ProfileView>> {
    Ok(axum::Json(state.services.profile(&caller).await?))
}

/// Add a bank account as a funding source (shown masked from then on).
#[utoipa::path(post, path = "/api/v1/me/funding-sources", tag = "identity", security(("bearer" = [])), request_body = FundingSourceRequest,
    responses((status = 201, body = FundingSourceView), (status = 400, body = Problem)))]
pub async fn add_funding_source(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<FundingSourceRequest>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(state.services.add_funding_source(&caller, &body.bank_name, &body.account_number).await?))
}

/// The caller's funding sources, masked.
#[utoipa::path(get, path = "/api/v1/me/funding-sources", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = [FundingSourceView])))]
pub async fn funding_sources(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<axum::Json<Vec<FundingSourceView>>> {
    Ok(axum::Json(state.services.funding_sources(&caller).await?))
}

/// One account's balances.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "wallet", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = AccountView), (status = 404, body = Problem)))]
pub async fn account(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<AccountView>> {
    Ok(axum::Json(state.services.account_view(&caller, id).await?))
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
    Ok(axum::Json(state.services.history(&caller, id, &params.into()).await?))
}

/// The caller's own transactions: a customer's wallet, an agent's float or a merchant's account, in the default currency.
#[utoipa::path(get, path = "/api/v1/me/transactions", tag = "wallet", security(("bearer" = [])),
    params(HistoryParams), responses((status = 200, body = HistoryPage), (status = 401, body = Problem)))]
pub async fn my_history(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(params): ApiQuery<HistoryParams>,
) -> ApiResult<axum::Json<HistoryPage>> {
    let account = state.services.primary_account(&caller).await?;
    Ok(axum::Json(state.services.history(&caller, account, &params.into()).await?))
}

/// An account's statement as CSV (same filters as the history, no cursor).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/statement.csv", tag = "wallet", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path), HistoryParams), responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = Problem)))]
pub async fn statement(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiQuery(params): ApiQuery<HistoryParams>,
) -> ApiResult<Response> {
    let csv = state.services.statement_csv(&caller, id, &params.into()).await?;
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
    Ok(axum::Json(state.services.receipt(&caller, id).await?))
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
    idempotency::once(&state, &caller, &key, "p2p", &body, |id| {
        state.services.send_p2p(
            &caller,
            id,
            &body.to_phone,
            &body.pin,
            body.note.as_deref(),
            amount(&body.amount, &body.currency),
        )
    })
    .await
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
    idempotency::once(&state, &caller, &key, "cash_in", &body, |id| {
        state.services.cash_in(&caller, id, &body.customer_phone, amount(&body.amount, &body.currency))
    })
    .await
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
    idempotency::once(&state, &caller, &key, "cash_out", &body, |id| {
        state.services.cash_out(
            &caller,
            id,
            &body.customer_phone,
            &body.customer_pin,
            amount(&body.amount, &body.currency),
        )
    })
    .await
}

/// The operator signs up an agent.
#[utoipa::path(post, path = "/api/v1/operator/agents", tag = "operator", security(("bearer" = [])), request_body = CreateAgentRequest,
    responses((status = 201, body = AgentView), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn create_agent(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CreateAgentRequest>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(state.services.create_agent(&caller, &body.phone, &body.full_name, &body.password, &body.pin).await?))
}

/// The operator signs up a merchant and its owner.
#[utoipa::path(post, path = "/api/v1/operator/merchants", tag = "operator", security(("bearer" = [])), request_body = CreateMerchantRequest,
    responses((status = 201, body = MerchantView), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn create_merchant(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CreateMerchantRequest>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(
        state
            .services
            .create_merchant(&caller, &body.name, &body.owner_phone, &body.owner_full_name, &body.owner_password)
            .await?,
    ))
}

/// The operator issues e-money into an agent's float against deposited cash.
#[utoipa::path(post, path = "/api/v1/operator/issuance", tag = "operator", security(("bearer" = [])), request_body = FloatRequest,
    params(("Idempotency-Key" = String, Header)), responses((status = 201, body = TransferView), (status = 403, body = Problem)))]
pub async fn issue(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<FloatRequest>,
) -> ApiResult<Response> {
    idempotency::once(&state, &caller, &key, "issuance", &body, |id| {
        state.services.issue(&caller, id, body.agent_id, amount(&body.amount, &body.currency))
    })
    .await
}

/// The operator redeems e-money from an agent's float.
#[utoipa::path(post, path = "/api/v1/operator/redemption", tag = "operator", security(("bearer" = [])), request_body = FloatRequest,
    params(("Idempotency-Key" = String, Header)), responses((status = 201, body = TransferView), (status = 422, body = Problem)))]
pub async fn redeem(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<FloatRequest>,
) -> ApiResult<Response> {
    idempotency::once(&state, &caller, &key, "redemption", &body, |id| {
        state.services.redeem(&caller, id, body.agent_id, amount(&body.amount, &body.currency))
    })
    .await
}

/// The operator freezes an account: no money moves in or out until unfrozen.
#[utoipa::path(post, path = "/api/v1/operator/accounts/{id}/freeze", tag = "operator", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = AccountView), (status = 403, body = Problem)))]
pub async fn freeze(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<AccountView>> {
    Ok(axum::Json(state.services.set_frozen(&caller, id, true).await?))
}

/// The operator unfreezes an account.
#[utoipa::path(post, path = "/api/v1/operator/accounts/{id}/unfreeze", tag = "operator", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = AccountView), (status = 403, body = Problem)))]
pub async fn unfreeze(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<AccountView>> {
    Ok(axum::Json(state.services.set_frozen(&caller, id, false).await?))
}

/// Operators and auditors check every ledger invariant.
#[utoipa::path(get, path = "/api/v1/operator/ledger/verify", tag = "operator", security(("bearer" = [])),
    responses((status = 200, body = VerifyView), (status = 403, body = Problem)))]
pub async fn verify(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<VerifyView>> {
    if !matches!(caller.role(), Some(Role::Operator | Role::Auditor)) {
        return Err(quipu_core::CoreError::forbidden().into());
    }
    let report = state.services.verify_ledger().await?;
    Ok(axum::Json(VerifyView {
        clean: report.is_clean(),
        accounts_checked: report.accounts_checked,
        violations: report.violations.iter().map(ToString::to_string).collect(),
    }))
}

/// The caller's merchant: name, owner and accounts.
#[utoipa::path(get, path = "/api/v1/merchant", tag = "merchant", security(("bearer" = [])),
    responses((status = 200, body = MerchantView), (status = 403, body = Problem)))]
pub async fn merchant(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<MerchantView>> {
    Ok(axum::Json(state.services.merchant_view(&caller).await?))
}

/// A merchant owner adds a cashier.
#[utoipa::path(post, path = "/api/v1/merchant/cashiers", tag = "merchant", security(("bearer" = [])), request_body = CreateCashierRequest,
    responses((status = 201, body = UserView), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn add_cashier(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CreateCashierRequest>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(state.services.add_cashier(&caller, &body.phone, &body.full_name, &body.password).await?))
}

/// A merchant owner creates an API key for server-to-server calls (shown once).
#[utoipa::path(post, path = "/api/v1/merchant/api-keys", tag = "merchant", security(("bearer" = [])),
    responses((status = 201, body = ApiKeyView), (status = 403, body = Problem)))]
pub async fn create_api_key(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<impl IntoResponse> {
    Ok(created(state.services.create_api_key(&caller).await?))
}

/// A merchant owner revokes an API key; requests with it fail from then on.
#[utoipa::path(delete, path = "/api/v1/merchant/api-keys/{id}", tag = "merchant", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<StatusCode> {
    state.services.revoke_api_key(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
