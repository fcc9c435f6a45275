//! A customer's marks on the market: favourite shops, and sold-out products they wait for (the
//! market tells them when each is back). A shop's page shows and toggles them; the market's home
//! lists them. Each toggle is the API's own call, and lands back on the shop's page.

use axum::extract::{Path, State};
use axum::response::Response;
use quipu_core::market::Market;
use quipu_core::{CoreError, CoreResult};
use quipu_domain::identity::{MerchantId, Role};
use quipu_domain::market::ProductId;
use quipu_http::problem::ApiError;

use crate::WebState;
use crate::auth::SignedIn;
use crate::form::Posted;
use crate::page::{self, failed};

/// What a shop's page says was done, by the `done` word its address carries.
pub const DONE: [&str; 5] = ["added", "favourite", "unfavourite", "waiting", "not-waiting"];

/// The customer's own marks that a shop's page shows.
#[derive(Debug, Default)]
pub struct Marks {
    /// The shop is among their favourites.
    pub favourite: bool,
    /// Products they wait for, not yet back.
    pub waiting: Vec<uuid::Uuid>,
}

impl Marks {
    pub async fn of(market: &Market, who: &SignedIn, seller: MerchantId) -> CoreResult<Self> {
        let favourite = market.favourites(&who.principal).await?.iter().any(|kept| kept.seller == seller);
        let waiting = market
            .alerts(&who.principal)
            .await?
            .iter()
            .filter(|alert| alert.record.fired_at.is_none())
            .map(|alert| alert.record.product.0)
            .collect();
        Ok(Self { favourite, waiting })
    }

    pub fn waits_for(&self, product: &uuid::Uuid) -> bool {
        self.waiting.contains(product)
    }
}

/// `POST /market/sellers/{id}/favourite`: `keep=yes` adds the shop to the customer's favourites,
/// `keep=no` takes it off.
pub(super) async fn favourite(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    posted: Posted,
) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    let market = &state.http.services.market;
    let seller = MerchantId(id);
    let done = match yes_or_no(&posted, "keep") {
        Ok(true) => market.add_favourite(&who.principal, seller).await.map(|_| "favourite"),
        Ok(false) => market.remove_favourite(&who.principal, seller).await.map(|_| "unfavourite"),
        Err(error) => Err(error),
    };
    back_to_shop(&who, &id.to_string(), done)
}

/// `POST /market/products/{id}/alert`: `wait=yes` asks to be told when a sold-out product is
/// back, `wait=no` stops waiting; `seller` is the shop's page to go back to.
pub(super) async fn alert(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    posted: Posted,
) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    let market = &state.http.services.market;
    let product = ProductId(id);
    let done = match yes_or_no(&posted, "wait") {
        Ok(true) => market.arm_alert(&who.principal, product).await.map(|_| "waiting"),
        Ok(false) => market.remove_alert(&who.principal, product).await.map(|_| "not-waiting"),
        Err(error) => Err(error),
    };
    let seller = posted.field("seller");
    match super::parse_uuid(seller) {
        Ok(_) => back_to_shop(&who, seller, done),
        Err(error) => failed(&who, &error),
    }
}

fn yes_or_no(posted: &Posted, field: &str) -> CoreResult<bool> {
    match posted.field(field) {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(CoreError::invalid("invalid_form", "the form could not be read")),
    }
}

/// The shop's page again, saying what was done, or why not.
fn back_to_shop(who: &SignedIn, seller: &str, done: CoreResult<&str>) -> Response {
    match done {
        Ok(done) => page::see_other(&format!("/market/sellers/{seller}?done={done}")),
        Err(error) => failed(who, &ApiError::from(error)),
    }
}
