//! The market: delivery areas, sellers' storefronts and catalogs, and product search. Browsing
//! and search need no sign-in (they show only what shops chose to show, and are cacheable);
//! storefronts and catalogs are their owners'; areas and sellers are the operator's to make.

pub mod bulk;
pub mod images;
pub mod requests;
pub mod views;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use quipu_domain::identity::MerchantId;
use quipu_domain::market::ProductId;
use quipu_domain::money::Currency;
use quipu_http::Policy;
use quipu_http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use quipu_http::problem::Problem;
use utoipa_axum::routes;

use self::requests::*;
use self::views::*;
use crate::AppState;
use crate::common::{ApiResult, created};
use crate::routes::Routes;

/// This context's routes, each declared once: served, and documented, from here.
pub fn routes() -> Routes {
    Routes::under(Policy::writes())
        .routes(routes!(create_area))
        .routes(routes!(enable_seller))
        .routes(routes!(set_accepting))
        .routes(routes!(areas))
        .routes(routes!(sellers_near))
        .routes(routes!(seller))
        .routes(routes!(seller_products))
        .routes(routes!(product))
        .routes(routes!(search))
        .routes(routes!(images::image_file))
        .routes(routes!(images::remove_product_image))
        // A product may carry ten option groups of thirty options, each named in two languages.
        .then_under(Policy::writes().with_max_body(MAX_CATALOG_BODY_BYTES))
        .routes(routes!(storefront, set_storefront))
        .routes(routes!(my_products, create_product))
        .routes(routes!(update_product))
        // A whole catalog: a CSV file of up to 10,000 products, or up to 5,000 changes.
        .then_under(Policy::writes().with_max_body(bulk::MAX_IMPORT_BYTES))
        .routes(routes!(bulk::export_catalog))
        .routes(routes!(bulk::import_catalog))
        .routes(routes!(bulk::bulk_change))
        // A photo of up to 8 MiB, as multipart/form-data.
        .then_under(Policy::uploads())
        .routes(routes!(images::add_product_image))
}

/// Largest storefront or product body: 10 groups × 30 options × 2 names of 120 characters, each
/// character up to 12 bytes as JSON escapes it, is about 864 KB at the very worst; 1 MiB holds it.
const MAX_CATALOG_BODY_BYTES: usize = 1024 * 1024;

/// How long a browser or a proxy may keep a public answer: a shop's change shows within it.
const PUBLIC_MAX_AGE: HeaderValue = HeaderValue::from_static("public, max-age=30");

pub(crate) fn public(json: impl serde::Serialize) -> Response {
    let mut response = axum::Json(json).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, PUBLIC_MAX_AGE);
    response
}

fn currency(state: &AppState) -> Currency {
    state.services.kernel.settings.currencies.default_currency()
}

/// The operator names a delivery area (a district).
#[utoipa::path(post, path = "/api/v1/operator/market/areas", tag = "market", security(("bearer" = [])),
    request_body = AreaRequest,
    responses((status = 201, body = AreaView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "An area with this name exists", body = Problem), (status = 422, body = Problem)))]
pub async fn create_area(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<AreaRequest>,
) -> ApiResult<impl IntoResponse> {
    let area = state.services.market.create_area(&caller, &body.name).await?;
    Ok(created(AreaView::from(&area)))
}

/// Every delivery area, by name; no sign-in.
#[utoipa::path(get, path = "/api/v1/market/areas", tag = "market", responses((status = 200, body = Vec<AreaView>)))]
pub async fn areas(State(state): State<AppState>) -> ApiResult<Response> {
    let areas = state.services.market.areas().await?;
    Ok(public(areas.iter().map(AreaView::from).collect::<Vec<_>>()))
}

/// The operator enables a merchant as a seller of a kind (again: changes the kind). Its storefront
/// starts closed and not accepting orders, until its owner fills it in.
#[utoipa::path(put, path = "/api/v1/operator/merchants/{id}/seller", tag = "market", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = EnableSellerRequest,
    responses((status = 200, body = SellerView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn enable_seller(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<EnableSellerRequest>,
) -> ApiResult<axum::Json<SellerView>> {
    let seller = state.services.market.enable_seller(&caller, MerchantId(id), body.kind()?).await?;
    Ok(axum::Json(SellerView::new(&seller, currency(&state).code)))
}

/// The caller's own storefront.
#[utoipa::path(get, path = "/api/v1/merchant/storefront", tag = "market", security(("bearer" = [])),
    responses((status = 200, body = SellerView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn storefront(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<SellerView>> {
    let seller = state.services.market.my_storefront(&caller).await?;
    Ok(axum::Json(SellerView::new(&seller, currency(&state).code)))
}

/// The owner states their storefront, all of it at once: description, address and location,
/// hours and closures, the accepting switch, preparation time, pickup, and delivery (a radius
/// around the shop, and areas, each with a fee, a minimum order and a free-delivery threshold).
#[utoipa::path(put, path = "/api/v1/merchant/storefront", tag = "market", security(("bearer" = [])),
    request_body = StorefrontRequest,
    responses((status = 200, body = SellerView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "Not a seller yet: the operator enables sellers", body = Problem),
        (status = 422, body = Problem)))]
pub async fn set_storefront(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<StorefrontRequest>,
) -> ApiResult<axum::Json<SellerView>> {
    let currency = currency(&state);
    let seller = state.services.market.set_storefront(&caller, body.input(&currency)?).await?;
    Ok(axum::Json(SellerView::new(&seller, currency.code)))
}

/// Pauses new orders (a busy kitchen) or takes them again; any of the shop's staff may.
#[utoipa::path(put, path = "/api/v1/merchant/storefront/accepting", tag = "market", security(("bearer" = [])),
    request_body = AcceptingRequest,
    responses((status = 200, body = SellerView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn set_accepting(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<AcceptingRequest>,
) -> ApiResult<axum::Json<SellerView>> {
    let seller = state.services.market.set_accepting(&caller, body.accepting).await?;
    Ok(axum::Json(SellerView::new(&seller, currency(&state).code)))
}

/// The shop's own catalog, hidden products included, by category and name.
#[utoipa::path(get, path = "/api/v1/merchant/products", tag = "market", security(("bearer" = [])),
    params(CatalogParams),
    responses((status = 200, body = Vec<ProductView>), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn my_products(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(page): ApiQuery<CatalogParams>,
) -> ApiResult<axum::Json<Vec<ProductView>>> {
    let merchant = caller.require_merchant()?;
    let (limit, offset) = page.page()?;
    let products = state.services.market.catalog(Some(&caller), merchant, limit, offset).await?;
    Ok(axum::Json(products.iter().map(ProductView::from).collect()))
}

/// Adds a product to the shop's catalog; it is searchable as soon as this answers.
#[utoipa::path(post, path = "/api/v1/merchant/products", tag = "market", security(("bearer" = [])),
    request_body = ProductRequest,
    responses((status = 201, body = ProductView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "Not a seller yet", body = Problem),
        (status = 409, description = "The SKU is taken", body = Problem), (status = 422, body = Problem)))]
pub async fn create_product(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<ProductRequest>,
) -> ApiResult<impl IntoResponse> {
    let input = body.input(None, &currency(&state))?;
    let product = state.services.market.save_product(&caller, input).await?;
    Ok(created(ProductView::from(&product)))
}

/// Changes a product, given the `version` read: a change made meanwhile is a 409, not overwritten.
#[utoipa::path(put, path = "/api/v1/merchant/products/{id}", tag = "market", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = ProductRequest,
    responses((status = 200, body = ProductView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "Changed since it was read", body = Problem),
        (status = 422, body = Problem)))]
pub async fn update_product(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<ProductRequest>,
) -> ApiResult<axum::Json<ProductView>> {
    let input = body.input(Some(ProductId(id)), &currency(&state))?;
    let product = state.services.market.save_product(&caller, input).await?;
    Ok(axum::Json(ProductView::from(&product)))
}

/// The shops that serve the customer where they are (delivering to their area or location, or
/// offering pickup), those delivering first, then open before closed, nearest first; at most 100.
/// No sign-in.
#[utoipa::path(get, path = "/api/v1/market/sellers", tag = "market", params(NearbyParams),
    responses((status = 200, body = Vec<NearbySellerView>), (status = 400, body = Problem),
        (status = 422, description = "An area and a location both given, or a location out of range", body = Problem)))]
pub async fn sellers_near(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<NearbyParams>,
) -> ApiResult<Response> {
    let kind = params.kind.map(quipu_domain::market::storefront::SellerKind::from);
    let nearby =
        state.services.market.sellers_near(params.whereabouts()?, kind, quipu_core::market::MAX_NEARBY).await?;
    Ok(public(nearby.iter().map(NearbySellerView::from).collect::<Vec<_>>()))
}

/// A seller's storefront; no sign-in.
#[utoipa::path(get, path = "/api/v1/market/sellers/{id}", tag = "market", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = SellerView), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn seller(State(state): State<AppState>, ApiPath(id): ApiPath<uuid::Uuid>) -> ApiResult<Response> {
    let seller = state.services.market.seller(MerchantId(id)).await?;
    Ok(public(SellerView::new(&seller, currency(&state).code)))
}

/// A seller's visible products, by category and name; no sign-in.
#[utoipa::path(get, path = "/api/v1/market/sellers/{id}/products", tag = "market",
    params(("id" = uuid::Uuid, Path), CatalogParams),
    responses((status = 200, body = Vec<ProductView>), (status = 400, body = Problem)))]
pub async fn seller_products(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiQuery(page): ApiQuery<CatalogParams>,
) -> ApiResult<Response> {
    let (limit, offset) = page.page()?;
    let products = state.services.market.catalog(None, MerchantId(id), limit, offset).await?;
    Ok(public(products.iter().map(ProductView::from).collect::<Vec<_>>()))
}

/// A visible product; no sign-in.
#[utoipa::path(get, path = "/api/v1/market/products/{id}", tag = "market", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ProductView), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn product(State(state): State<AppState>, ApiPath(id): ApiPath<uuid::Uuid>) -> ApiResult<Response> {
    let product = state.services.market.product(None, ProductId(id)).await?;
    Ok(public(ProductView::from(&product)))
}

/// Searches the products of the shops that serve the customer: delivering to their area (or
/// within reach of their shared location), or offering pickup. Korean is found by any syllable or
/// pair of syllables inside a name, English by word and prefix, with one typo forgiven when
/// nothing matches exactly (`fuzzy`). No sign-in.
#[utoipa::path(get, path = "/api/v1/market/search", tag = "market", params(SearchParams),
    responses((status = 200, body = SearchPageView), (status = 400, body = Problem),
        (status = 422, description = "Nothing to look for (symbols only), or an area and a location both given", body = Problem)))]
pub async fn search(State(state): State<AppState>, ApiQuery(params): ApiQuery<SearchParams>) -> ApiResult<Response> {
    let input = params.input(&currency(&state))?;
    let page = state.services.market.search(&input).await?;
    Ok(public(SearchPageView::from(&page)))
}
