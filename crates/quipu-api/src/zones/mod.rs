//! Time zones: a person's and a shop's chosen zone.

pub mod requests;
pub mod views;

use axum::extract::State;
use quipu_http::Policy;
use quipu_http::extract::{ApiJson, Caller};
use quipu_http::problem::Problem;
use utoipa_axum::routes;

use self::requests::*;
use self::views::TimeZoneView;
use crate::AppState;
use crate::common::ApiResult;
use crate::routes::Routes;

/// This context's routes, each declared once: served, and documented, from here.
pub fn routes() -> Routes {
    Routes::under(Policy::writes()).routes(routes!(shop_zone, set_shop_zone)).routes(routes!(my_zone, set_my_zone))
}

/// The zone a person chose to read times in (the network's until they choose); a shop's staff read
/// the shop's (`/merchant/time-zone`).
#[utoipa::path(get, path = "/api/v1/me/time-zone", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = TimeZoneView), (status = 403, body = Problem)))]
pub async fn my_zone(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<TimeZoneView>> {
    let kernel = &state.services.kernel;
    Ok(axum::Json(view(kernel.my_zone_choice(&caller).await?, kernel)))
}

/// A person chooses the zone they read times in; empty goes back to the network's.
#[utoipa::path(put, path = "/api/v1/me/time-zone", tag = "identity", security(("bearer" = [])),
    request_body = TimeZoneRequest,
    responses((status = 200, body = TimeZoneView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 422, description = "A time zone the zone database does not know", body = Problem)))]
pub async fn set_my_zone(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<TimeZoneRequest>,
) -> ApiResult<axum::Json<TimeZoneView>> {
    let kernel = &state.services.kernel;
    let chosen = kernel.set_my_zone(&caller, &body.time_zone).await?;
    Ok(axum::Json(view(chosen, kernel)))
}

/// The zone the shop keeps its days in (its summary's days and its staff's pages).
#[utoipa::path(get, path = "/api/v1/merchant/time-zone", tag = "merchant", security(("bearer" = [])),
    responses((status = 200, body = TimeZoneView), (status = 403, body = Problem)))]
pub async fn shop_zone(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<TimeZoneView>> {
    let merchant = caller.require_merchant()?;
    let kernel = &state.services.kernel;
    Ok(axum::Json(view(kernel.shop_zone_choice(merchant).await?, kernel)))
}

/// The shop's owner (or an API key) chooses the zone the shop keeps its days in; empty goes back to
/// the network's.
#[utoipa::path(put, path = "/api/v1/merchant/time-zone", tag = "merchant", security(("bearer" = [])),
    request_body = TimeZoneRequest,
    responses((status = 200, body = TimeZoneView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 422, description = "A time zone the zone database does not know", body = Problem)))]
pub async fn set_shop_zone(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<TimeZoneRequest>,
) -> ApiResult<axum::Json<TimeZoneView>> {
    let kernel = &state.services.kernel;
    let chosen = kernel.set_shop_zone(&caller, &body.time_zone).await?;
    Ok(axum::Json(view(chosen, kernel)))
}

fn view(chosen: Option<quipu_domain::zone::Zone>, kernel: &quipu_core::Kernel) -> TimeZoneView {
    let zone = chosen.clone().unwrap_or_else(|| kernel.settings.time_zone.clone());
    TimeZoneView { time_zone: zone.name().to_owned(), chosen: chosen.is_some() }
}
