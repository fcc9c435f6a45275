//! Support: the operator's view of people, unlocks, freezes, reset codes and access grants.

pub mod requests;
pub mod views;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use quipu_core::wallet::HistoryFilter;
use quipu_domain::identity::UserId;
use quipu_domain::ledger::AccountId;
use quipu_domain::text::StatedReason;
use quipu_http::Policy;
use quipu_http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use quipu_http::problem::Problem;
use utoipa_axum::routes;

use self::requests::*;
use self::views::*;
use crate::AppState;
use crate::common::ApiResult;
use crate::common::views::*;
use crate::routes::Routes;
use crate::wallet::requests::HistoryParams;
use crate::wallet::views::HistoryPage;

/// This context's routes, each declared once: served, and documented, from here.
pub fn routes() -> Routes {
    // Anyone may call these unsigned: counted per client address.
    Routes::under(Policy::writes().limited_by_address())
        .routes(routes!(reset_password))
        .then_under(Policy::writes())
        .routes(routes!(attention))
        .routes(routes!(search))
        .routes(routes!(summary))
        .routes(routes!(unlock))
        .routes(routes!(reset_code))
        .routes(routes!(approve_reset_code))
        .routes(routes!(agent_reset_code))
        .routes(routes!(freeze))
        .routes(routes!(unfreeze))
        .routes(routes!(grant))
        .routes(routes!(history))
        .routes(routes!(account_history))
}

/// What may need the operator now: payouts waiting, frozen accounts, failing webhooks, people locked
/// out, and agents low on float (by the network's `[operator] low_float` mark).
#[utoipa::path(get, path = "/api/v1/operator/attention", tag = "operator", security(("bearer" = [])),
    responses((status = 200, body = AttentionView), (status = 403, body = Problem)))]
pub async fn attention(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<AttentionView>> {
    Ok(axum::Json(AttentionView::from(&state.services.support.attention(&caller).await?)))
}

/// Operators and auditors find people by phone (or its start), part of a name or business name, or id.
/// The answer names people; it never shows what they hold or paid.
#[utoipa::path(get, path = "/api/v1/operator/people", tag = "operator", security(("bearer" = [])), params(PeopleSearchParams),
    responses((status = 200, body = PeoplePageView), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn search(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(params): ApiQuery<PeopleSearchParams>,
) -> ApiResult<axum::Json<PeoplePageView>> {
    let role = params.role()?;
    let support = &state.services.support;
    let page = support.search(&caller, &params.q, role, params.cursor.as_deref(), params.limit).await?;
    Ok(axum::Json(PeoplePageView::from(&page)))
}

/// A person's standing: role, tier, accounts (frozen or not, no balances), locks, and who has been
/// guessing their PIN or password.
#[utoipa::path(get, path = "/api/v1/operator/people/{id}", tag = "operator", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = PersonSummaryView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn summary(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<PersonSummaryView>> {
    Ok(axum::Json(PersonSummaryView::from(&state.services.support.summary(&caller, UserId(id)).await?)))
}

/// The operator lifts a locked PIN or login, with a reason the person reads in their access log.
#[utoipa::path(post, path = "/api/v1/operator/people/{id}/unlock", tag = "operator", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = UnlockRequest,
    responses((status = 200, body = PersonSummaryView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn unlock(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<UnlockRequest>,
) -> ApiResult<axum::Json<PersonSummaryView>> {
    let (secret, reason) = <(_, _)>::try_from(&body)?;
    let summary = state.services.support.unlock(&caller, UserId(id), secret, &reason).await?;
    Ok(axum::Json(PersonSummaryView::from(&summary)))
}

/// The operator freezes everything a person holds (a merchant owner's business too): no money moves
/// in or out until unfrozen. The person reads the reason.
#[utoipa::path(post, path = "/api/v1/operator/people/{id}/freeze", tag = "operator", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = ReasonRequest,
    responses((status = 200, body = PersonSummaryView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn freeze(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<ReasonRequest>,
) -> ApiResult<axum::Json<PersonSummaryView>> {
    set_frozen(&state, &caller, id, &body, true).await
}

/// The operator unfreezes everything a person holds.
#[utoipa::path(post, path = "/api/v1/operator/people/{id}/unfreeze", tag = "operator", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = ReasonRequest,
    responses((status = 200, body = PersonSummaryView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn unfreeze(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<ReasonRequest>,
) -> ApiResult<axum::Json<PersonSummaryView>> {
    set_frozen(&state, &caller, id, &body, false).await
}

async fn set_frozen(
    state: &AppState,
    caller: &quipu_core::Principal,
    id: uuid::Uuid,
    body: &ReasonRequest,
    frozen: bool,
) -> ApiResult<axum::Json<PersonSummaryView>> {
    let reason = StatedReason::try_from(body)?;
    let summary = state.services.support.set_person_frozen(caller, UserId(id), frozen, &reason).await?;
    Ok(axum::Json(PersonSummaryView::from(&summary)))
}

/// An operator or auditor asks for read-only access to a person's history, with a reason, for 1 to
/// 72 hours (24 by default). The person reads it, and every read under it, in their access log.
#[utoipa::path(post, path = "/api/v1/operator/people/{id}/access-grants", tag = "operator", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = AccessGrantRequest,
    responses((status = 201, body = AccessGrantView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn grant(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<AccessGrantRequest>,
) -> ApiResult<impl IntoResponse> {
    let reason = StatedReason::try_from(&body)?;
    let grant = state.services.support.grant_access(&caller, UserId(id), &reason, body.hours).await?;
    Ok((StatusCode::CREATED, axum::Json(AccessGrantView::from(&grant))))
}

/// A person's history (their first account), read under the caller's live grant; the read is logged.
#[utoipa::path(get, path = "/api/v1/operator/people/{id}/transactions", tag = "operator", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path), HistoryParams),
    responses((status = 200, body = HistoryPage), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn history(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiQuery(params): ApiQuery<HistoryParams>,
) -> ApiResult<axum::Json<HistoryPage>> {
    let filter = HistoryFilter::try_from(&params)?;
    let page = state.services.support.read_history(&caller, UserId(id), None, &filter).await?;
    Ok(axum::Json(HistoryPage::from(&page)))
}

/// One of a person's accounts' history, read under the caller's live grant; the read is logged.
#[utoipa::path(get, path = "/api/v1/operator/people/{id}/accounts/{account_id}/transactions", tag = "operator",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path), ("account_id" = uuid::Uuid, Path), HistoryParams),
    responses((status = 200, body = HistoryPage), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn account_history(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath((id, account)): ApiPath<(uuid::Uuid, uuid::Uuid)>,
    ApiQuery(params): ApiQuery<HistoryParams>,
) -> ApiResult<axum::Json<HistoryPage>> {
    let filter = HistoryFilter::try_from(&params)?;
    let support = &state.services.support;
    let page = support.read_history(&caller, UserId(id), Some(AccountId(account)), &filter).await?;
    Ok(axum::Json(HistoryPage::from(&page)))
}

/// An operator asks to reset someone's password (SMS is not assumed: the code is handed over in
/// person). No code yet: a second operator approves the request and alone sees the code, so no one
/// member of staff can take over an account. The person reads who asked, who approved and why, and
/// every request of a session opened with the new password.
#[utoipa::path(post, path = "/api/v1/operator/people/{id}/reset-codes", tag = "operator", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = ReasonRequest,
    responses((status = 202, body = ResetRequestView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn reset_code(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<ReasonRequest>,
) -> ApiResult<impl IntoResponse> {
    let reason = StatedReason::try_from(&body)?;
    let request = state.services.support.request_reset(&caller, UserId(id), &reason).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(ResetRequestView::from(&request))))
}

/// A second operator approves a reset another operator asked for: the one-time code (valid 30
/// minutes) is shown once, to the approver, to hand to the person.
#[utoipa::path(post, path = "/api/v1/operator/people/{id}/reset-codes/approve", tag = "operator",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)), request_body = ReasonRequest,
    responses((status = 201, body = ResetCodeView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn approve_reset_code(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<ReasonRequest>,
) -> ApiResult<impl IntoResponse> {
    let reason = StatedReason::try_from(&body)?;
    let issued = state.services.support.approve_reset(&caller, UserId(id), &reason).await?;
    Ok((StatusCode::CREATED, axum::Json(ResetCodeView::from(&issued))))
}

/// An agent issues a customer at the counter a one-time code to set a new password; the customer
/// proves it is them by typing their payment PIN on the agent's device.
#[utoipa::path(post, path = "/api/v1/agent/reset-codes", tag = "agent", security(("bearer" = [])),
    request_body = AgentResetCodeRequest,
    responses((status = 201, body = ResetCodeView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn agent_reset_code(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<AgentResetCodeRequest>,
) -> ApiResult<impl IntoResponse> {
    // The caller's role first: nobody else learns from the answer whose number is a customer's.
    caller.require(quipu_domain::identity::Role::Agent)?;
    let (phone, reason, pin) = <(_, _, _)>::try_from(&body)?;
    let services = &state.services;
    let customer = services.kernel.user_with_role(&phone, quipu_domain::identity::Role::Customer, "customer").await?;
    let issued = services.support.issue_reset_code(&caller, customer.id, &reason, &pin).await?;
    Ok((StatusCode::CREATED, axum::Json(ResetCodeView::from(&issued))))
}

/// Set a new password with a one-time code from an agent or the operator: no sign-in, limited per
/// client address; every session ends and a login lock lifts.
#[utoipa::path(post, path = "/api/v1/auth/reset-password", tag = "identity", request_body = PasswordResetRequest,
    responses((status = 200, body = UserView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 429, body = Problem)))]
pub async fn reset_password(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<PasswordResetRequest>,
) -> ApiResult<axum::Json<UserView>> {
    let (phone, password) = <(_, _)>::try_from(&body)?;
    let user = state.services.support.reset_password(&phone, body.code.expose(), &password).await?;
    Ok(axum::Json(UserView::from(&quipu_core::kernel::access::User::from(&user))))
}
