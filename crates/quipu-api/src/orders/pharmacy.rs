//! Pharmacies over HTTP: the owner's pharmacists, the pharmacist's check of an order's flagged
//! lines (the queue is `GET /merchant/orders?state=awaiting_pharmacist`), and a customer's
//! prescription photo, which is never cached (`Cache-Control: private, no-store`).

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quipu_core::store::orders::PrescriptionRecord;
use quipu_domain::identity::UserId;
use quipu_domain::market::checkout::OrderId;
use quipu_domain::market::pharmacy::{LineDecision, Verdict};
use quipu_http::Policy;
use quipu_http::extract::{ApiJson, ApiPath, Caller};
use quipu_http::problem::{ApiError, Problem};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::views::OrderView;
use crate::AppState;
use crate::common::requests::whole;
use crate::common::views::UserView;
use crate::common::{ApiResult, created};
use crate::identity::requests::CreateCashierRequest;
use crate::market::images::{ImageUpload, file};
use crate::routes::Routes;

/// A prescription is personal: no cache anywhere keeps it.
const NO_STORE: HeaderValue = HeaderValue::from_static("private, no-store");

pub fn routes() -> Routes {
    Routes::under(Policy::writes())
        .routes(routes!(pharmacists, add_pharmacist))
        .routes(routes!(remove_pharmacist))
        .routes(routes!(check_order))
        .routes(routes!(shop_prescription))
        // A photo of up to 8 MiB, as multipart/form-data.
        .then_under(Policy::uploads())
        .routes(routes!(my_prescription, put_prescription))
}

/// A pharmacist as the pharmacy's owner sees them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PharmacistView {
    pub user: UserView,
    pub created_at: String,
}

/// A pharmacy's owner adds a pharmacist: staff who sign in like a cashier, may do what the shop's
/// staff do with its orders, and alone check the lines flagged "needs a pharmacist's check". The
/// owner of a shop that is not a pharmacy is refused (409 `not_a_pharmacy`).
#[utoipa::path(post, path = "/api/v1/merchant/pharmacists", tag = "merchant", security(("bearer" = [])),
    request_body = CreateCashierRequest,
    responses((status = 201, body = UserView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "The phone is taken, or the shop is not a pharmacy", body = Problem),
        (status = 422, body = Problem)))]
pub async fn add_pharmacist(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CreateCashierRequest>,
) -> ApiResult<impl IntoResponse> {
    let login = quipu_core::identity::NewLogin::try_from(&body)?;
    let pharmacist = state.services.add_pharmacist(&caller, &login).await?;
    Ok(created(UserView::from(&pharmacist)))
}

/// A merchant owner lists the pharmacists of their pharmacy.
#[utoipa::path(get, path = "/api/v1/merchant/pharmacists", tag = "merchant", security(("bearer" = [])),
    responses((status = 200, body = [PharmacistView]), (status = 403, body = Problem)))]
pub async fn pharmacists(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<axum::Json<Vec<PharmacistView>>> {
    let pharmacists = state.services.identity.pharmacists(&caller).await?;
    Ok(axum::Json(
        pharmacists
            .iter()
            .map(|(user, at)| PharmacistView {
                user: UserView::from(user),
                created_at: quipu_core::kernel::text::rfc3339(*at),
            })
            .collect(),
    ))
}

/// A merchant owner removes a pharmacist: their sessions end and they sign in no more.
#[utoipa::path(delete, path = "/api/v1/merchant/pharmacists/{id}", tag = "merchant", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_pharmacist(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<StatusCode> {
    state.services.remove_pharmacist(&caller, UserId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a pharmacist decides about a flagged line.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckDecision {
    Approve,
    Refuse,
}

/// One flagged line's decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineCheckRequest {
    /// The line's `position` in the order.
    #[schema(example = 0, minimum = 0, maximum = 49)]
    #[serde(deserialize_with = "whole")]
    pub position: u32,
    pub decision: CheckDecision,
    /// Why (required to refuse; the customer reads it), at most 200 characters of plain text.
    #[serde(default)]
    #[schema(example = "a prescription is needed for this strength", max_length = 200)]
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckOrderRequest {
    /// A decision for every line waiting for the check: all are applied, or none.
    #[schema(min_items = 1, max_items = 50, example = json!([{"position": 0, "decision": "approve"}]))]
    pub lines: Vec<LineCheckRequest>,
}

impl CheckOrderRequest {
    fn decisions(&self) -> Vec<LineDecision> {
        self.lines
            .iter()
            .map(|line| LineDecision {
                position: line.position,
                verdict: match line.decision {
                    CheckDecision::Approve => Verdict::Approve,
                    CheckDecision::Refuse => Verdict::Refuse,
                },
                note: line.note.clone(),
            })
            .collect()
    }
}

/// The pharmacist checks an order's flagged lines, deciding every one at once: approved, or
/// refused with a note the customer reads. A refused line comes to nothing (as an unavailable one
/// does); the order then goes back to the shop as `placed`, to accept as any other, or is
/// `rejected` with its hold voided when nothing is left to supply. Each decision and the move are
/// in the order's history.
#[utoipa::path(post, path = "/api/v1/merchant/orders/{id}/check", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = CheckOrderRequest,
    responses((status = 200, body = OrderView), (status = 400, body = Problem),
        (status = 403, description = "Not the pharmacy's pharmacist (`pharmacist_only`)", body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "The order is not awaiting a pharmacist, or changed meanwhile", body = Problem),
        (status = 422, description = "A flagged line left undecided, a line decided twice or not flagged (`check_lines_invalid`); a refusal without a note (`check_note_required`); a note too long or not plain text (`check_note_invalid`)", body = Problem)))]
pub async fn check_order(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<CheckOrderRequest>,
) -> ApiResult<axum::Json<OrderView>> {
    let order = state.services.market.check_order(&caller, OrderId(id), &body.decisions()).await?;
    Ok(axum::Json(OrderView::from(&order)))
}

fn photo(prescription: PrescriptionRecord) -> Response {
    let content_type = HeaderValue::from_str(&prescription.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let mut response = axum::body::Body::from(prescription.bytes).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, content_type);
    response.headers_mut().insert(header::CACHE_CONTROL, NO_STORE);
    response
}

/// The customer attaches a photo of their prescription to an open order from a pharmacy (a new one
/// replaces the one before). It is checked like a product photo (JPEG, PNG or WebP by its bytes; at
/// most 8000 pixels a side and 25 megapixels by its header, before anything is decoded) and kept
/// only as a JPEG of at most 1600 pixels a side made from its pixels: no metadata, no original.
/// Only the customer and the pharmacy's staff see it; it is deleted a while after the order ends.
#[utoipa::path(put, path = "/api/v1/me/orders/{id}/prescription", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    request_body(content = ImageUpload, content_type = "multipart/form-data"),
    responses((status = 200, description = "The order, with when its prescription was attached", body = OrderView),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The order ended, or is not from a pharmacy", body = Problem),
        (status = 413, description = "The upload is larger than 8 MiB", body = Problem),
        (status = 415, description = "The body is not multipart/form-data", body = Problem),
        (status = 422, description = "Not a JPEG, PNG or WebP (`image_format_unsupported`); too large by its header (`image_too_large`); unreadable (`image_invalid`)", body = Problem),
        (status = 503, description = "Images are being processed, or the database is unavailable; retry", body = Problem)))]
pub async fn put_prescription(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    upload: Result<Multipart, MultipartRejection>,
) -> ApiResult<axum::Json<OrderView>> {
    let upload = upload.map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the photo as multipart/form-data, in a field named `file`",
        )
    })?;
    let market = &state.services.market;
    // Nothing is read for an order that takes no prescription from the caller.
    market.prescription_order(&caller, OrderId(id)).await?;
    let order = market.put_prescription(&caller, OrderId(id), file(upload).await?).await?;
    Ok(axum::Json(OrderView::from(&order)))
}

/// The customer's own prescription photo for their order. Never cached.
#[utoipa::path(get, path = "/api/v1/me/orders/{id}/prescription", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The JPEG", content_type = "image/jpeg",
            headers(("Cache-Control" = String, description = "private, no-store"))),
        (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "No such order of yours, or no prescription attached", body = Problem)))]
pub async fn my_prescription(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<Response> {
    Ok(photo(state.services.market.my_prescription(&caller, OrderId(id)).await?))
}

/// A prescription photo, for a person on the pharmacy's staff (not an API key). Each read is
/// written to the customer's access log (`GET /me/access-log`): who, when, and why. Never cached.
#[utoipa::path(get, path = "/api/v1/merchant/orders/{id}/prescription", tag = "orders", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The JPEG", content_type = "image/jpeg",
            headers(("Cache-Control" = String, description = "private, no-store"))),
        (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "No such order of this shop, or no prescription attached", body = Problem)))]
pub async fn shop_prescription(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<Response> {
    Ok(photo(state.services.market.staff_prescription(&caller, OrderId(id)).await?))
}
