//! Merchant payments: charges, approvals, refunds, payer devices, fees, receipts and day summaries.

mod receipts;
pub mod requests;
pub mod views;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use quipu_core::payments::DeviceAction;
use quipu_domain::identity::MerchantId;
use quipu_domain::payment::{DeviceId, PaymentId};
use quipu_http::Policy;
use quipu_http::extract::{ApiJson, ApiPath, ApiQuery, Caller, IdempotencyKey};
use quipu_http::problem::Problem;
use utoipa_axum::routes;

use self::requests::*;
use self::views::*;
use crate::common::ApiResult;
use crate::routes::Routes;
use crate::{AppState, moves};

/// This context's routes, each declared once: served, and documented, from here.
pub fn routes() -> Routes {
    Routes::under(Policy::writes())
        .routes(routes!(devices, enroll_device))
        .routes(routes!(pause_device))
        .routes(routes!(resume_device))
        .routes(routes!(revoke_device))
        .routes(routes!(charge))
        .routes(routes!(merchant_payments))
        .routes(routes!(refund))
        .routes(routes!(set_refund_policy))
        .routes(routes!(payment))
        .routes(routes!(approve))
        .routes(routes!(cancel))
        .routes(routes!(set_fee))
        .routes(routes!(my_payments))
        .routes(routes!(receipts::receipt))
        .routes(routes!(receipts::receipt_html))
        .routes(routes!(receipts::summary))
        .routes(routes!(receipts::staff_summary))
}

/// Enrol a device for payment codes, confirmed by PIN. The secret in the answer is shown once.
#[utoipa::path(post, path = "/api/v1/me/devices", tag = "payments", security(("bearer" = [])), request_body = EnrollDeviceRequest,
    responses((status = 201, body = EnrolledDeviceView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn enroll_device(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<EnrollDeviceRequest>,
) -> ApiResult<(StatusCode, axum::Json<EnrolledDeviceView>)> {
    let (label, pin) = <(_, _)>::try_from(&body)?;
    let enrolled = state.services.payments.enroll_device(&caller, &label, &pin).await?;
    Ok((StatusCode::CREATED, axum::Json(EnrolledDeviceView::from(&enrolled))))
}

/// The caller's enrolled devices.
#[utoipa::path(get, path = "/api/v1/me/devices", tag = "payments", security(("bearer" = [])),
    responses((status = 200, body = Vec<DeviceView>)))]
pub async fn devices(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<Vec<DeviceView>>> {
    Ok(axum::Json(state.services.payments.devices(&caller).await?.iter().map(DeviceView::from).collect()))
}

/// Pause payment codes from a device (they are refused until resumed).
#[utoipa::path(post, path = "/api/v1/me/devices/{id}/pause", tag = "payments", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = DeviceView), (status = 404, body = Problem)))]
pub async fn pause_device(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<DeviceView>> {
    change_device(&state, &caller, id, DeviceAction::Pause).await
}

/// Resume payment codes from a paused device.
#[utoipa::path(post, path = "/api/v1/me/devices/{id}/resume", tag = "payments", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = DeviceView), (status = 404, body = Problem)))]
pub async fn resume_device(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<DeviceView>> {
    change_device(&state, &caller, id, DeviceAction::Resume).await
}

/// Revoke a device for good (a lost phone).
#[utoipa::path(post, path = "/api/v1/me/devices/{id}/revoke", tag = "payments", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = DeviceView), (status = 404, body = Problem)))]
pub async fn revoke_device(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<DeviceView>> {
    change_device(&state, &caller, id, DeviceAction::Revoke).await
}

/// A till charges a customer's payment code. At or below the approval
/// threshold the answer is `completed`; above it, `awaiting_approval` until
/// the customer approves with their PIN.
#[utoipa::path(post, path = "/api/v1/merchant/charges", tag = "payments", security(("bearer" = [])), request_body = ChargeRequest,
    params(("Idempotency-Key" = String, Header, description = "One per sale; a retry with the same key returns the first answer")),
    responses((status = 201, body = PaymentView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn charge(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<ChargeRequest>,
) -> ApiResult<Response> {
    moves::charge(&state.http, &caller, &key, &body).await
}

/// The merchant's payments, newest first: all of them, or those of a range of the shop's days, a
/// state, a till or an amount range.
#[utoipa::path(get, path = "/api/v1/merchant/payments", tag = "payments", security(("bearer" = [])), params(PaymentPageParams),
    responses((status = 200, body = PaymentPage), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn merchant_payments(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(params): ApiQuery<PaymentPageParams>,
) -> ApiResult<axum::Json<PaymentPage>> {
    let (search, cursor) = (params.search(), params.cursor.as_deref());
    let page = state.services.payments.merchant_payments(&caller, &search, cursor, params.limit).await?;
    Ok(axum::Json(PaymentPage::from(&page)))
}

/// The customer's own payments, newest first, those awaiting their approval among them
/// (`status=awaiting_approval` for only those).
#[utoipa::path(get, path = "/api/v1/me/payments", tag = "payments", security(("bearer" = [])), params(CustomerPaymentsParams),
    responses((status = 200, body = PaymentPage), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn my_payments(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(params): ApiQuery<CustomerPaymentsParams>,
) -> ApiResult<axum::Json<PaymentPage>> {
    let status = params.status()?;
    let payments = &state.services.payments;
    let page = payments.customer_payments(&caller, status, params.cursor.as_deref(), params.limit).await?;
    Ok(axum::Json(PaymentPage::from(&page)))
}

/// One payment, for its customer or its merchant. A till polls it to learn an approval's outcome.
#[utoipa::path(get, path = "/api/v1/payments/{id}", tag = "payments", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = PaymentView), (status = 404, body = Problem)))]
pub async fn payment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<PaymentView>> {
    Ok(axum::Json(PaymentView::from(&state.services.payments.payment(&caller, PaymentId(id)).await?)))
}

/// The customer approves a payment awaiting approval, with their PIN.
#[utoipa::path(post, path = "/api/v1/payments/{id}/approve", tag = "payments", security(("bearer" = [])), request_body = ApproveRequest,
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = PaymentView), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn approve(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<ApproveRequest>,
) -> ApiResult<axum::Json<PaymentView>> {
    let pin = quipu_domain::identity::Pin::try_from(&body)?;
    Ok(axum::Json(PaymentView::from(&state.services.payments.approve_payment(&caller, PaymentId(id), &pin).await?)))
}

/// The customer or the merchant cancels a payment awaiting approval.
#[utoipa::path(post, path = "/api/v1/payments/{id}/cancel", tag = "payments", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = PaymentView), (status = 409, body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<PaymentView>> {
    Ok(axum::Json(PaymentView::from(&state.services.payments.cancel_payment(&caller, PaymentId(id)).await?)))
}

/// Refund a payment in full (no amount) or in part; several partial refunds up to the amount paid.
#[utoipa::path(post, path = "/api/v1/merchant/payments/{id}/refunds", tag = "payments", security(("bearer" = [])),
    request_body = RefundRequest, params(("id" = uuid::Uuid, Path), ("Idempotency-Key" = String, Header)),
    responses((status = 201, body = RefundView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn refund(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<RefundRequest>,
) -> ApiResult<Response> {
    moves::refund(&state.http, &caller, &key, PaymentId(id), &body).await
}

/// The operator sets a merchant's fee rate.
#[utoipa::path(put, path = "/api/v1/operator/merchants/{id}/fee", tag = "operator", security(("bearer" = [])),
    request_body = MerchantFeeRequest, params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = MerchantSettingsView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn set_fee(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<MerchantFeeRequest>,
) -> ApiResult<axum::Json<MerchantSettingsView>> {
    let merchant = state.services.payments.set_merchant_fee(&caller, MerchantId(id), body.fee_bps).await?;
    Ok(axum::Json(MerchantSettingsView::from(&merchant)))
}

/// The merchant's owner allows (or stops) cashiers refunding.
#[utoipa::path(put, path = "/api/v1/merchant/refund-policy", tag = "merchant", security(("bearer" = [])),
    request_body = RefundPolicyRequest,
    responses((status = 200, body = MerchantSettingsView), (status = 403, body = Problem)))]
pub async fn set_refund_policy(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<RefundPolicyRequest>,
) -> ApiResult<axum::Json<MerchantSettingsView>> {
    let merchant = state.services.payments.set_cashier_refunds(&caller, body.cashiers_may_refund).await?;
    Ok(axum::Json(MerchantSettingsView::from(&merchant)))
}

async fn change_device(
    state: &AppState,
    caller: &quipu_core::Principal,
    id: uuid::Uuid,
    action: DeviceAction,
) -> ApiResult<axum::Json<DeviceView>> {
    let device = state.services.payments.change_device(caller, DeviceId(id), action).await?;
    Ok(axum::Json(DeviceView::from(&device)))
}
