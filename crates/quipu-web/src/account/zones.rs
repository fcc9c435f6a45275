//! Choosing a time zone: a customer theirs (wallet settings), an owner the shop's (the shop's
//! profile), which its staff's pages and the shop's days then follow; agents, operators, auditors
//! and couriers theirs on `/account/time-zone`, where a cashier reads that the shop's applies.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use quipu_api::zones::requests::TimeZoneRequest;
use quipu_domain::identity::Role;
use quipu_http::problem::ApiError;

use crate::WebState;
use crate::auth::SignedIn;
use crate::form::Posted;
use crate::page::{self, Chrome, Notice};

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
    Router::new()
        .route("/wallet/time-zone", post(set_mine))
        .route("/merchant/time-zone", post(set_shops))
        .route("/account/time-zone", get(account).post(set_own))
}

/// The roles that read times in a zone of their own and have no settings page of their own.
const OWN_ZONE: [Role; 4] = [Role::Agent, Role::Operator, Role::Auditor, Role::Courier];

#[derive(Template)]
#[template(path = "account/time-zone.html")]
struct AccountPage {
    c: Chrome,
    notice: Notice,
    /// A cashier's pages follow the shop's zone: the page says so, with no form.
    shops_zone: Option<String>,
    /// The way home: its path and its words.
    back: (&'static str, &'static str),
}

/// `GET /account/time-zone`: the language and the time zone of the staff who have no settings page of
/// their own; a customer's and an owner's are where they already choose them.
async fn account(who: SignedIn, Query(done): Query<page::Done>) -> Response {
    match who.role() {
        Some(Role::Customer) => page::see_other("/wallet/settings#time-zone"),
        Some(Role::MerchantOwner) => page::see_other("/merchant/profile#time-zone"),
        _ => show_account(&who, done.notice(who.chrome().t, &["time-zone"]), StatusCode::OK),
    }
}

fn show_account(who: &SignedIn, notice: Notice, status: StatusCode) -> Response {
    let c = who.chrome();
    let role = who.role();
    let shops_zone = (role == Some(Role::Cashier))
        .then(|| c.t.msg_with("zones-staff-follows-shop", &[("zone", c.local.zone.name())]));
    let back = match role {
        Some(Role::Agent) => ("/agent/", "back-agent"),
        Some(Role::Courier) => ("/courier/", "back-courier"),
        Some(Role::Cashier) => ("/till/", "back-till"),
        Some(Role::Operator | Role::Auditor) => ("/operator/", "back-operator"),
        _ => ("/", "back-home"),
    };
    page::html(&AccountPage { c, notice, shops_zone, back }, status, who.reader())
}

/// `POST /account/time-zone`: an agent's, operator's, auditor's or courier's own zone, as the API's
/// `PUT /me/time-zone` sets it; a zone no one knows is refused (422) on the same page.
async fn set_own(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    if let Some(refused) = who.refused_unless(&OWN_ZONE) {
        return refused;
    }
    match save_own_zone(&state, &who, &posted).await {
        Ok(()) => page::see_other("/account/time-zone?done=time-zone"),
        Err(error) => show_account(&who, Notice::refused(who.chrome().t, &error), error.status),
    }
}

/// The signed-in person's own zone from a posted form, as the API's `PUT /me/time-zone` sets it.
async fn save_own_zone(state: &WebState, who: &SignedIn, posted: &Posted) -> Result<(), ApiError> {
    let body: TimeZoneRequest = posted.request()?;
    state.http.services.kernel.set_my_zone(&who.principal, &body.time_zone).await?;
    Ok(())
}

/// `POST /wallet/time-zone`: a customer's own zone.
async fn set_mine(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    match save_own_zone(&state, &who, &posted).await {
        Ok(()) => page::see_other("/wallet/settings?done=time-zone"),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            crate::wallet::settings::show(&state, &who, notice, error.status).await
        }
    }
}

/// `POST /merchant/time-zone`: the shop's zone, for its staff's pages and its days.
async fn set_shops(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    let attempt = async {
        let body: TimeZoneRequest = posted.request()?;
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
