//! People and their credentials: registration, sessions, profiles, passwords and PINs, funding
//! sources, the access log and export, agents, merchants with their cashiers and API keys, and tiers.

pub mod requests;
pub mod views;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quipu_core::identity::{NewLogin, NewMerchant, NewWorker, Registration};
use quipu_core::kernel::access::Credentials;
use quipu_domain::identity::UserId;
use quipu_domain::ledger::AccountId;
use quipu_domain::limits::CustomerTier;
use quipu_http::Policy;
use quipu_http::extract::{AddressSource, ApiJson, ApiPath, ApiQuery, Caller, bearer};
use quipu_http::problem::Problem;
use utoipa_axum::routes;

use self::requests::*;
use self::views::*;
use crate::AppState;
use crate::common::requests::PageParams;
use crate::common::views::*;
use crate::common::{ApiResult, created};
use crate::routes::Routes;

/// This context's routes, each declared once: served, and documented, from here.
pub fn routes() -> Routes {
    // Anyone may call these unsigned: counted per client address.
    Routes::under(Policy::writes().limited_by_address())
        .routes(routes!(register))
        .routes(routes!(login))
        .then_under(Policy::writes())
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(funding_sources, add_funding_source))
        .routes(routes!(remove_funding_source))
        .routes(routes!(change_password))
        .routes(routes!(change_pin))
        .routes(routes!(create_agent))
        .routes(routes!(create_merchant))
        .routes(routes!(freeze))
        .routes(routes!(unfreeze))
        .routes(routes!(merchant))
        .routes(routes!(cashiers, add_cashier))
        .routes(routes!(remove_cashier))
        .routes(routes!(set_cashier_permissions))
        .routes(routes!(api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
        .routes(routes!(access_log))
        .routes(routes!(export))
        .routes(routes!(set_tier))
}

/// Sign up as a customer.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "identity", request_body = RegisterRequest,
    responses((status = 201, body = ProfileView), (status = 400, body = Problem), (status = 409, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> ApiResult<impl IntoResponse> {
    let profile = state.services.identity.register_customer(&Registration::try_from(&body)?).await?;
    Ok(created(ProfileView::from(&profile)))
}

/// Log in with phone and password; returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "identity", request_body = LoginRequest,
    responses((status = 200, body = SessionView), (status = 401, body = Problem), (status = 423, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    AddressSource(source): AddressSource,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<axum::Json<SessionView>> {
    let session = state.services.kernel.login(&Credentials::try_from(&body)?, &source).await?;
    Ok(axum::Json(SessionView::from(&session)))
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
    let cookie = quipu_http::session::cookie(&parts.headers, quipu_http::session::SESSION_COOKIE);
    if let Some(token) = bearer(&parts).or(cookie) {
        state.services.kernel.logout(token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's profile and accounts; a customer's tier and limits, with what is left today.
#[utoipa::path(get, path = "/api/v1/me", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = ProfileView), (status = 401, body = Problem)))]
pub async fn me(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<ProfileView>> {
    Ok(axum::Json(ProfileView::from(&state.services.identity.profile(&caller).await?)))
}

/// Add a bank account as a funding source (shown masked from then on).
#[utoipa::path(post, path = "/api/v1/me/funding-sources", tag = "identity", security(("bearer" = [])), request_body = FundingSourceRequest,
    responses((status = 201, body = FundingSourceView), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn add_funding_source(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<FundingSourceRequest>,
) -> ApiResult<impl IntoResponse> {
    let (bank, number) = <(_, _)>::try_from(&body)?;
    let source = state.services.identity.add_funding_source(&caller, &bank, &number).await?;
    Ok(created(FundingSourceView::from(&source)))
}

/// The caller's funding sources, masked.
#[utoipa::path(get, path = "/api/v1/me/funding-sources", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = [FundingSourceView])))]
pub async fn funding_sources(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<axum::Json<Vec<FundingSourceView>>> {
    let sources = state.services.identity.funding_sources(&caller).await?;
    Ok(axum::Json(sources.iter().map(FundingSourceView::from).collect()))
}

/// The operator signs up an agent.
#[utoipa::path(post, path = "/api/v1/operator/agents", tag = "operator", security(("bearer" = [])), request_body = CreateAgentRequest,
    responses((status = 201, body = AgentView), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn create_agent(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CreateAgentRequest>,
) -> ApiResult<impl IntoResponse> {
    let agent = state.services.identity.create_agent(&caller, &NewWorker::try_from(&body)?).await?;
    Ok(created(AgentView::from(&agent)))
}

/// The operator signs up a merchant and its owner.
#[utoipa::path(post, path = "/api/v1/operator/merchants", tag = "operator", security(("bearer" = [])), request_body = CreateMerchantRequest,
    responses((status = 201, body = MerchantView), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn create_merchant(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CreateMerchantRequest>,
) -> ApiResult<impl IntoResponse> {
    let merchant = state.services.identity.create_merchant(&caller, &NewMerchant::try_from(&body)?).await?;
    Ok(created(MerchantView::from(&merchant)))
}

/// The operator freezes an account: no money moves in or out until unfrozen. The answer is the
/// account's standing, not its balance (a customer's money is not the operator's to see).
#[utoipa::path(post, path = "/api/v1/operator/accounts/{id}/freeze", tag = "operator", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = AccountStandingView), (status = 403, body = Problem)))]
pub async fn freeze(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<AccountStandingView>> {
    let account = state.services.identity.set_frozen(&caller, AccountId(id), true).await?;
    Ok(axum::Json(AccountStandingView::from(&account)))
}

/// The operator unfreezes an account; the answer is its standing.
#[utoipa::path(post, path = "/api/v1/operator/accounts/{id}/unfreeze", tag = "operator", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = AccountStandingView), (status = 403, body = Problem)))]
pub async fn unfreeze(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<AccountStandingView>> {
    let account = state.services.identity.set_frozen(&caller, AccountId(id), false).await?;
    Ok(axum::Json(AccountStandingView::from(&account)))
}

/// The caller's merchant: name, owner and accounts.
#[utoipa::path(get, path = "/api/v1/merchant", tag = "merchant", security(("bearer" = [])),
    responses((status = 200, body = MerchantView), (status = 403, body = Problem)))]
pub async fn merchant(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<MerchantView>> {
    Ok(axum::Json(MerchantView::from(&state.services.identity.merchant(&caller).await?)))
}

/// A merchant owner adds a cashier.
#[utoipa::path(post, path = "/api/v1/merchant/cashiers", tag = "merchant", security(("bearer" = [])), request_body = CreateCashierRequest,
    responses((status = 201, body = UserView), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn add_cashier(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CreateCashierRequest>,
) -> ApiResult<impl IntoResponse> {
    let cashier = state.services.identity.add_cashier(&caller, &NewLogin::try_from(&body)?).await?;
    Ok(created(UserView::from(&cashier)))
}

/// A merchant owner creates an API key for server-to-server calls (shown once), with an optional name.
#[utoipa::path(post, path = "/api/v1/merchant/api-keys", tag = "merchant", security(("bearer" = [])),
    request_body = CreateApiKeyRequest,
    responses((status = 201, body = ApiKeyView), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn create_api_key(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CreateApiKeyRequest>,
) -> ApiResult<impl IntoResponse> {
    let name = body.name()?;
    Ok(created(ApiKeyView::from(&state.services.identity.create_api_key(&caller, name.as_ref()).await?)))
}

/// A merchant owner lists the merchant's API keys: prefix, name, created, last used (to the
/// minute), revoked; never the secret.
#[utoipa::path(get, path = "/api/v1/merchant/api-keys", tag = "merchant", security(("bearer" = [])),
    responses((status = 200, body = [ApiKeyInfoView]), (status = 403, body = Problem)))]
pub async fn api_keys(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<axum::Json<Vec<ApiKeyInfoView>>> {
    let keys = state.services.identity.api_keys(&caller).await?;
    Ok(axum::Json(keys.iter().map(ApiKeyInfoView::from).collect()))
}

/// A merchant owner lists the merchant's cashiers and what each may do.
#[utoipa::path(get, path = "/api/v1/merchant/cashiers", tag = "merchant", security(("bearer" = [])),
    responses((status = 200, body = [CashierView]), (status = 403, body = Problem)))]
pub async fn cashiers(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<axum::Json<Vec<CashierView>>> {
    let cashiers = state.services.identity.cashiers(&caller).await?;
    Ok(axum::Json(cashiers.iter().map(CashierView::from).collect()))
}

/// A merchant owner removes a cashier: their sessions end and they sign in no more.
#[utoipa::path(delete, path = "/api/v1/merchant/cashiers/{id}", tag = "merchant", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_cashier(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<StatusCode> {
    state.services.identity.remove_cashier(&caller, UserId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A merchant owner sets what one cashier may do; answers with the cashier as they now are.
#[utoipa::path(put, path = "/api/v1/merchant/cashiers/{id}/permissions", tag = "merchant", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = CashierPermissionsRequest,
    responses((status = 200, body = CashierView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn set_cashier_permissions(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<CashierPermissionsRequest>,
) -> ApiResult<axum::Json<CashierView>> {
    let cashier = state.services.identity.set_cashier_permissions(&caller, UserId(id), body.may_refund).await?;
    Ok(axum::Json(CashierView::from(&cashier)))
}

/// Change your password, giving the current one. Your other sessions end; this one stays.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "identity", security(("bearer" = [])), request_body = ChangePasswordRequest,
    responses((status = 200, body = ProfileView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 423, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> ApiResult<axum::Json<ProfileView>> {
    let new = body.new_password()?;
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        // A page's script signed in by cookie keeps its own session too.
        .or_else(|| quipu_http::session::cookie(&headers, quipu_http::session::SESSION_COOKIE));
    let profile = state.services.identity.change_password(&caller, &body.old_password, &new, token).await?;
    Ok(axum::Json(ProfileView::from(&profile)))
}

/// Change your payment PIN, giving the current one (wrong ones count toward its lock).
#[utoipa::path(put, path = "/api/v1/me/pin", tag = "identity", security(("bearer" = [])), request_body = ChangePinRequest,
    responses((status = 200, body = ProfileView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 423, body = Problem)))]
pub async fn change_pin(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<ChangePinRequest>,
) -> ApiResult<axum::Json<ProfileView>> {
    let (new, old) = <(_, _)>::try_from(&body)?;
    let identity = &state.services.identity;
    identity.set_pin(&caller, &new, old.as_ref()).await?;
    Ok(axum::Json(ProfileView::from(&identity.profile(&caller).await?)))
}

/// Remove one of your funding sources.
#[utoipa::path(delete, path = "/api/v1/me/funding-sources/{id}", tag = "identity", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_funding_source(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<StatusCode> {
    state.services.identity.remove_funding_source(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A merchant owner revokes an API key; requests with it fail from then on.
#[utoipa::path(delete, path = "/api/v1/merchant/api-keys/{id}", tag = "merchant", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<StatusCode> {
    state.services.identity.revoke_api_key(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What staff did about you: every action an operator, auditor or agent took about your account or
/// cards without your PIN, with who, when, why and what; newest first.
#[utoipa::path(get, path = "/api/v1/me/access-log", tag = "identity", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = AccessLogView), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn access_log(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<axum::Json<AccessLogView>> {
    let page = state.services.support.my_access_log(&caller, params.cursor.as_deref(), params.limit).await?;
    Ok(axum::Json(AccessLogView::from(&page)))
}

/// Everything Quipu holds about you, in one JSON document: profile, accounts and balances, funding
/// sources, devices, cards, every transaction (up to 10 000 per account), your access log, and on
/// the market your orders (with their lines and history), favourite shops and awaited products.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = PersonExportView), (status = 401, body = Problem)))]
pub async fn export(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<Response> {
    let export = PersonExportView::from(&state.services.export_person(&caller).await?);
    let mut response = axum::Json(export).into_response();
    // A download: the browser saves it under a name the person recognises.
    response
        .headers_mut()
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"quipu-my-data.json\""));
    Ok(response)
}

/// The operator moves a customer to a tier; each tier has its own payment and balance limits.
#[utoipa::path(put, path = "/api/v1/operator/customers/{id}/tier", tag = "operator", security(("bearer" = [])),
    request_body = CustomerTierRequest, params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = CustomerTierView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn set_tier(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<CustomerTierRequest>,
) -> ApiResult<axum::Json<CustomerTierView>> {
    let tier = CustomerTier::try_from(&body)?;
    state.services.identity.set_customer_tier(&caller, UserId(id), tier).await?;
    Ok(axum::Json(CustomerTierView { customer_id: id, tier: tier.as_str().to_owned() }))
}
