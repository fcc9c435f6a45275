//! Choosing a time zone: a customer theirs (wallet settings), an owner the shop's (the shop's
//! profile), which its staff's pages and the shop's days then follow.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use quipu_api::requests::TimeZoneRequest;
use quipu_domain::identity::Role;
use quipu_http::problem::ApiError;

use crate::WebState;
use crate::auth::SignedIn;
use crate::form::Posted;
use crate::page::{self, Notice};

/// Zones offered as you type; any other IANA name may be typed.
pub const COMMON_ZONES: [&str; 24] = [
    "UTC",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Africa/Lagos",
    "Africa/Nairobi",
    "America/Bogota",
    "America/Chicago",
    "America/Lima",
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/New_York",
    "America/Sao_Paulo",
    "Asia/Dubai",
    "Asia/Jakarta",
    "Asia/Kolkata",
    "Asia/Manila",
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Europe/Berlin",
    "Europe/London",
    "Europe/Madrid",
    "Europe/Paris",
];

pub fn routes() -> Router<WebState> {
    Router::new().route("/wallet/time-zone", post(set_mine)).route("/merchant/time-zone", post(set_shops))
}

/// `POST /wallet/time-zone`: a customer's own zone.
async fn set_mine(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    let attempt = async {
        let body: TimeZoneRequest = who.form(&posted)?;
        state.http.services.kernel.set_my_zone(&who.principal, &body.time_zone).await?;
        Ok::<_, ApiError>(())
    };
    match attempt.await {
        Ok(()) => page::see_other("/wallet/settings?done=time-zone"),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            crate::settings::show(&state, &who, notice, error.status).await
        }
    }
}

/// `POST /merchant/time-zone`: the shop's zone, for its staff's pages and its days.
async fn set_shops(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    let attempt = async {
        let body: TimeZoneRequest = who.form(&posted)?;
        state.http.services.kernel.set_shop_zone(&who.principal, &body.time_zone).await?;
        Ok::<_, ApiError>(())
    };
    match attempt.await {
        Ok(()) => page::see_other("/merchant/profile?done=time-zone"),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            crate::merchant::show_profile(&state, &who, notice, None, error.status).await
        }
    }
}
