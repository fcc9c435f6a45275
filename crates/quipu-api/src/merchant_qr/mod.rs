//! Merchant QR codes: a shop's static code and profile, payment requests, scanning and paying.

pub mod requests;
pub mod views;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quipu_codes::render;
use quipu_codes::render::ImageFormat;
use quipu_domain::merchant::CategoryCode;
use quipu_domain::payment::{PaymentRequestId, TillLabel};
use quipu_http::Policy;
use quipu_http::extract::{ApiJson, ApiPath, ApiQuery, Caller, IdempotencyKey};
use quipu_http::problem::{ApiError, Problem};
use serde::Serialize;
use utoipa_axum::routes;

use self::requests::*;
use self::views::*;
use crate::common::ApiResult;
use crate::payments::views::{MerchantSettingsView, PaymentView};
use crate::routes::Routes;
use crate::{AppState, moves};

/// This context's routes, each declared once: served, and documented, from here.
pub fn routes() -> Routes {
    Routes::under(Policy::writes())
        .routes(routes!(profile, set_profile))
        .routes(routes!(merchant_qr))
        .routes(routes!(create_payment_request))
        .routes(routes!(payment_request))
        .routes(routes!(pay))
        // Read back before a PIN or cash changes hands: nothing is written, so nothing waits for the disk.
        .then_under(Policy::writes_nothing())
        .routes(routes!(scan))
}

/// The merchant's static QR (for the shop, or one till): the customer scans it and types the amount.
/// `format=png|svg` answers with the image to print.
#[utoipa::path(get, path = "/api/v1/merchant/qr", tag = "merchant QR", security(("bearer" = [])), params(MerchantQrParams),
    responses((status = 200, content((MerchantQrView = "application/json"), (Vec<u8> = "image/png"), (String = "image/svg+xml"))),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn merchant_qr(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(params): ApiQuery<MerchantQrParams>,
) -> ApiResult<Response> {
    let till = TillLabel::parse(params.till.as_deref()).map_err(quipu_core::CoreError::from)?;
    let qr = state.services.merchant_qr.merchant_qr(&caller, till, params.currency.as_deref()).await?;
    qr_answer(&qr.payload, params.format.as_deref(), MerchantQrView::from(&qr))
}

/// A till asks for one payment: the answer holds the dynamic QR (amount and reference inside, paid once, expiring).
#[utoipa::path(post, path = "/api/v1/merchant/payment-requests", tag = "merchant QR", security(("bearer" = [])),
    request_body = PaymentRequestRequest, params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = PaymentRequestView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_payment_request(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<PaymentRequestRequest>,
) -> ApiResult<Response> {
    moves::payment_request(&state.http, &caller, &key, &body).await
}

/// A payment request and, once paid, its payment. `format=png|svg` answers with its QR image.
#[utoipa::path(get, path = "/api/v1/merchant/payment-requests/{id}", tag = "merchant QR", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path), QrImageParams),
    responses((status = 200, content((PaymentRequestView = "application/json"), (Vec<u8> = "image/png"), (String = "image/svg+xml"))),
        (status = 404, body = Problem)))]
pub async fn payment_request(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiQuery(params): ApiQuery<QrImageParams>,
) -> ApiResult<Response> {
    let request = state.services.merchant_qr.payment_request(&caller, PaymentRequestId(id)).await?;
    qr_answer(&request.payload, params.format.as_deref(), PaymentRequestView::from(&request))
}

/// The customer's app sends a scanned merchant QR and learns whom and what it would pay.
/// Another scheme's QR is refused with `not_a_quipu_merchant`.
#[utoipa::path(post, path = "/api/v1/me/scan", tag = "merchant QR", security(("bearer" = [])), request_body = ScanRequest,
    responses((status = 200, body = ScannedMerchantView), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn scan(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<ScanRequest>,
) -> ApiResult<axum::Json<ScannedMerchantView>> {
    let scanned = state.services.merchant_qr.read_merchant_qr(&caller, &body.payload).await?;
    Ok(axum::Json(ScannedMerchantView::from(&scanned)))
}

/// The customer pays a merchant's QR with their PIN.
#[utoipa::path(post, path = "/api/v1/me/payments", tag = "merchant QR", security(("bearer" = [])), request_body = PayQrRequest,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = PaymentView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn pay(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<PayQrRequest>,
) -> ApiResult<Response> {
    moves::pay_qr(&state.http, &caller, &key, &body).await
}

/// The merchant's settings: its fee, whether cashiers may refund, the city and category code its QRs carry.
#[utoipa::path(get, path = "/api/v1/merchant/profile", tag = "merchant", security(("bearer" = [])),
    responses((status = 200, body = MerchantSettingsView), (status = 403, body = Problem)))]
pub async fn profile(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<axum::Json<MerchantSettingsView>> {
    let merchant = state.services.merchant_qr.merchant_profile(&caller).await?;
    Ok(axum::Json(MerchantSettingsView::from(&merchant)))
}

/// The merchant's owner sets the city and category code its QRs carry.
#[utoipa::path(put, path = "/api/v1/merchant/profile", tag = "merchant", security(("bearer" = [])),
    request_body = MerchantProfileRequest,
    responses((status = 200, body = MerchantSettingsView), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn set_profile(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<MerchantProfileRequest>,
) -> ApiResult<axum::Json<MerchantSettingsView>> {
    let category = CategoryCode::try_from(&body)?;
    let merchant = state.services.merchant_qr.set_merchant_profile(&caller, &body.city, &category).await?;
    Ok(axum::Json(MerchantSettingsView::from(&merchant)))
}

/// The view as JSON, or the payload drawn as a PNG or SVG QR code.
fn qr_answer(payload: &str, format: Option<&str>, view: impl Serialize) -> ApiResult<Response> {
    let (image, content_type) = match format.unwrap_or("json") {
        "json" => return Ok(axum::Json(view).into_response()),
        "png" => (ImageFormat::Png, "image/png"),
        "svg" => (ImageFormat::Svg, "image/svg+xml"),
        _ => return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_format", "format is json, png or svg")),
    };
    let bytes = render::qr(payload, image)
        .map_err(|error| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "qr_not_drawable", error.to_string()))?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], bytes).into_response())
}
