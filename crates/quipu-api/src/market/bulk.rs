//! A shop's whole catalog at once: CSV export and import, and bulk changes of prices, stock and
//! visibility. Each is all or none; a refusal lists what is wrong with each line or change
//! (`errors`, the first 100, and `more_errors`) in one problem document.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quipu_core::market::csv::{ItemError, Refusal};
use quipu_core::market::{BatchError, BulkChange, BulkSummary, ImportSummary};
use quipu_domain::market::ProductId;
use quipu_http::extract::{ApiJson, Caller};
use quipu_http::problem::{ApiError, Problem, ProblemItem, problem_with_items};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::common::ApiResult;
use crate::common::requests::optional_whole;

/// Largest CSV file (and bulk change list) taken: 10,000 products, the most one file may hold, of
/// up to 400 bytes a line (an exported line of a product named in both languages with a short
/// description is about 200); a bigger body is refused with 413 before anything is parsed.
pub const MAX_IMPORT_BYTES: usize = 4 * 1024 * 1024;

const EXAMPLE_FILE: &str = "sku,name_ko,name_en,description,category,price,unit,stock,needs_pharmacist,visible\n\
MILK-1L,서울우유 흰우유 1L,Seoul white milk 1L,,dairy,2.90,each,24,false,true\n";

fn count(value: usize) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportView {
    /// Products added (new SKUs).
    #[schema(example = 120)]
    pub created: u64,
    /// Products changed (each one version on, its options kept).
    #[schema(example = 35)]
    pub updated: u64,
    /// Lines that matched their product exactly: nothing written.
    #[schema(example = 2845)]
    pub unchanged: u64,
}

impl From<ImportSummary> for ImportView {
    fn from(summary: ImportSummary) -> Self {
        Self { created: count(summary.created), updated: count(summary.updated), unchanged: count(summary.unchanged) }
    }
}

/// What a bulk change did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkView {
    /// Products changed (each one version on).
    #[schema(example = 40)]
    pub changed: u64,
    /// Changes that set what the product already had: nothing written.
    #[schema(example = 2)]
    pub unchanged: u64,
}

impl From<BulkSummary> for BulkView {
    fn from(summary: BulkSummary) -> Self {
        Self { changed: count(summary.changed), unchanged: count(summary.unchanged) }
    }
}

/// One product to change, by `product_id` or by `sku` (one of them), and at least one of
/// `price`, `stock` and `visible`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkChangeRequest {
    #[schema(example = "0192f3a4-5b6c-7d8e-9f00-112233445566")]
    pub product_id: Option<uuid::Uuid>,
    #[schema(example = "MILK-1L", max_length = 64, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]{1,64}$")]
    pub sku: Option<String>,
    /// The new price: a positive decimal in the network's currency.
    #[schema(
        example = "3.10",
        pattern = "^(?:0{0,8}[1-9][0-9]{0,11}(?:\\.[0-9]{1,2})?|0{1,8}\\.(?:0[1-9]|[1-9][0-9]?))$"
    )]
    pub price: Option<String>,
    /// The count left; the product is counted from then on.
    #[schema(minimum = 0, maximum = 1000000, example = 24)]
    #[serde(default, deserialize_with = "optional_whole")]
    pub stock: Option<u32>,
    #[schema(example = true)]
    pub visible: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// At most 5,000 changes, each product at most once.
    #[schema(max_items = 5000, example = json!([{"sku": "MILK-1L", "price": "3.10", "stock": 24}]))]
    pub changes: Vec<BulkChangeRequest>,
}

impl From<BulkChangeRequest> for BulkChange {
    fn from(change: BulkChangeRequest) -> Self {
        BulkChange {
            product_id: change.product_id.map(ProductId),
            sku: change.sku,
            price: change.price,
            stock: change.stock,
            visible: change.visible,
        }
    }
}

/// A refusal item by item, as a problem document: `lines` for a file, items for a list.
fn refused(refusal: Refusal, lines: bool) -> Response {
    let item = |error: ItemError| ProblemItem {
        line: lines.then_some(error.at),
        item: (!lines).then_some(error.at),
        field: error.field.map(str::to_owned),
        code: error.code.to_owned(),
        detail: error.detail,
    };
    let shown = refusal.errors.len();
    let more = count(refusal.total.saturating_sub(shown));
    let (code, detail) = if lines {
        ("csv_invalid", format!("{} errors in the file; nothing was imported", refusal.total))
    } else {
        ("bulk_invalid", format!("{} errors in the changes; nothing was changed", refusal.total))
    };
    let errors = refusal.errors.into_iter().map(item).collect();
    problem_with_items(StatusCode::UNPROCESSABLE_ENTITY, code, detail, errors, more)
}

fn batch_answer<T: Serialize>(result: Result<T, BatchError>, lines: bool) -> ApiResult<Response> {
    match result {
        Ok(view) => Ok(axum::Json(view).into_response()),
        Err(BatchError::Items(refusal)) => Ok(refused(refusal, lines)),
        Err(BatchError::Core(error)) => Err(error.into()),
    }
}

/// The shop's whole catalog, hidden products too, as a CSV file: the columns an import takes, so
/// a file exported and imported again changes nothing. Cells a spreadsheet would run as a formula
/// start with an apostrophe (the import takes it off). The shop's owner (or API key) only.
#[utoipa::path(get, path = "/api/v1/merchant/catalog.csv", tag = "market", security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String,
            description = "UTF-8 with a byte-order mark; columns sku, name_ko, name_en, description, category, price, unit, stock, needs_pharmacist, visible, id"),
        (status = 403, body = Problem), (status = 404, description = "Not a seller yet", body = Problem),
        (status = 422, description = "More than 50,000 products: too many to export at once", body = Problem)))]
pub async fn export_catalog(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<Response> {
    let file = state.services.market.export_catalog(&caller).await?;
    let mut response = file.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"catalog.csv\""));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Imports a CSV file (`text/csv`, UTF-8, at most 4 MiB and 10,000 products) into the shop's
/// catalog, all or none. A header row names the columns in any order: `sku` (required: rows
/// match products on it), `name_ko`, `name_en`, `description`, `category`, `price` (a decimal,
/// as the JSON API writes amounts), `unit` (each, kg, 100g, pack), `stock` (a whole number, or
/// empty: not counted), `needs_pharmacist` and `visible` (true or false), `id` (as exported: lets
/// a product without a SKU be matched). A column the file lacks keeps what a product has; option
/// groups are kept. A row with a SKU the shop has changes that product (its version moves on); a
/// new SKU adds one. Every line is checked first: any error refuses the whole file, and the 422
/// lists each line's (`errors`: line, field, code, detail).
#[utoipa::path(post, path = "/api/v1/merchant/catalog/import", tag = "market", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv", description = "The catalog as CSV, UTF-8", example = json!(EXAMPLE_FILE)),
    responses((status = 200, body = ImportView), (status = 403, body = Problem),
        (status = 404, description = "Not a seller yet", body = Problem),
        (status = 409, description = "A product changed while the file was read, or a new SKU was taken meanwhile; send the file again", body = Problem),
        (status = 413, description = "The file is larger than 4 MiB: split it", body = Problem),
        (status = 415, description = "The body is not text/csv", body = Problem),
        (status = 422, description = "Lines are wrong (`errors` lists each), the file is not UTF-8 or has more than 10,000 rows, or the catalog would pass 50,000 products; nothing was imported", body = Problem)))]
pub async fn import_catalog(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase());
    if essence.as_deref() != Some("text/csv") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the file as text/csv",
        ));
    }
    let file = axum::body::to_bytes(body, MAX_IMPORT_BYTES).await.map_err(|_| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "the file is larger than 4 MiB: split it")
    })?;
    let result = state.services.market.import_catalog(&caller, file.to_vec()).await;
    batch_answer(result.map(ImportView::from), true)
}

/// Changes the price, stock or visibility of up to 5,000 of the shop's products at once, each
/// named by `product_id` or `sku`, all or none: any change that cannot be made refuses them all,
/// and the 422 lists each (`errors`: item, field, code, detail).
#[utoipa::path(post, path = "/api/v1/merchant/catalog/bulk", tag = "market", security(("bearer" = [])),
    request_body = BulkRequest,
    responses((status = 200, body = BulkView), (status = 403, body = Problem),
        (status = 404, description = "Not a seller yet", body = Problem),
        (status = 409, description = "A product changed while the changes were made; send them again", body = Problem),
        (status = 413, description = "The body is larger than 4 MiB", body = Problem),
        (status = 422, description = "Changes are wrong (`errors` lists each), or more than 5,000; nothing was changed", body = Problem)))]
pub async fn bulk_change(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<BulkRequest>,
) -> ApiResult<Response> {
    let changes = body.changes.into_iter().map(BulkChange::from).collect();
    let result = state.services.market.change_catalog(&caller, changes).await;
    batch_answer(result.map(BulkView::from), false)
}
