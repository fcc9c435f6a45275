//! The cart and checkout, for a signed-in customer. The cart is kept on the server (nothing of it
//! stays on a shared phone); checkout reads back each shop, what it comes to and how it reaches the
//! customer before the PIN, and posts once per rendered form (its idempotency key), so a checkout
//! sent again after a dropped connection answers the same orders and never holds money twice.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use quipu_api::market::views::{AreaView, DeliveryTermsView, SellerView};
use quipu_api::moves;
use quipu_api::orders::requests::{
    AddToCartRequest, CartQuantityRequest, CheckoutPaymentRequest, CheckoutRequest, ChoiceRequest, FulfilmentRequest,
    choices,
};
use quipu_api::orders::views::{CartGroupView, CartView};
use quipu_core::market::Cart;
use quipu_domain::identity::{MerchantId, Role, SecretText};
use quipu_domain::market::ProductId;
use quipu_domain::market::checkout::CartLineId;
use quipu_http::problem::ApiError;

use crate::auth::SignedIn;
use crate::form::{Posted, Typed};
use crate::page::{self, Chrome, Done, Notice, failed, new_key};
use crate::{WebState, result_json};

fn cart_view(state: &WebState, cart: &Cart) -> CartView {
    CartView::new(cart, state.http.services.kernel.settings.currencies.default_currency().code)
}

#[derive(Template)]
#[template(path = "market/cart.html")]
struct CartPage {
    c: Chrome,
    notice: Notice,
    cart: CartView,
}

/// `GET /market/cart`: each shop's lines, read against the catalog as it is now, with what stands
/// in the way of checkout (a price changed, sold out) said line by line.
pub(super) async fn cart(State(state): State<WebState>, who: SignedIn, Query(query): Query<CartQuery>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    match state.http.services.market.cart(&who.principal).await {
        Ok(cart) => {
            let t = who.chrome().t;
            let notice = match (query.done.as_deref(), query.short) {
                (Some("reordered"), Some(short)) if short > 0 => {
                    Notice::ok(t.msg_counted("market-reordered-short", u64::from(short), &[]))
                }
                (done, _) => Done { done: done.map(str::to_owned) }.notice(t, &["added", "updated", "reordered"]),
            };
            let page = CartPage { c: who.chrome(), notice, cart: cart_view(&state, &cart) };
            page::html(&page, StatusCode::OK, who.reader())
        }
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}

/// What the cart's address says was done: `short` counts the lines of a past order that could
/// not go into the cart again.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct CartQuery {
    done: Option<String>,
    short: Option<u32>,
}

/// `POST /market/cart/lines`: a product, its quantity and its options (each `choice` is
/// `group:option`) into the cart; back to the shop's page it was added from.
pub(super) async fn add(State(state): State<WebState>, who: SignedIn, mut posted: Posted) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    let back = posted.field("seller").to_owned();
    posted.remove("seller");
    let picks = posted.all("choice");
    posted.remove("choice");
    let attempt = async {
        let mut body: AddToCartRequest = posted.request()?;
        body.choices = picks.iter().map(|pick| choice(pick)).collect::<Result<_, _>>()?;
        let picked = choices(&body.choices)?;
        let market = &state.http.services.market;
        market.add_to_cart(&who.principal, ProductId(body.product_id), body.quantity, picked).await?;
        Ok::<_, ApiError>(())
    };
    match attempt.await {
        Ok(()) => match uuid::Uuid::parse_str(&back) {
            Ok(seller) => page::see_other(&format!("/market/sellers/{seller}?done=added")),
            Err(_) => page::see_other("/market/cart?done=added"),
        },
        Err(error) => failed(&who, &error),
    }
}

/// An option picked on the form, `group:option`.
fn choice(text: &str) -> Result<ChoiceRequest, ApiError> {
    let unreadable = || ApiError::new(StatusCode::BAD_REQUEST, "choices_invalid", "an option chosen does not exist");
    let (group, option) = text.split_once(':').ok_or_else(unreadable)?;
    Ok(ChoiceRequest {
        group: group.parse().map_err(|_| unreadable())?,
        option: option.parse().map_err(|_| unreadable())?,
    })
}

/// `POST /market/cart/lines/{id}`: a line's new quantity; 0 takes it out.
pub(super) async fn set_quantity(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    posted: Posted,
) -> Response {
    let attempt = async {
        let body: CartQuantityRequest = posted.request()?;
        state.http.services.market.set_cart_quantity(&who.principal, CartLineId(id), body.quantity).await?;
        Ok::<_, ApiError>(())
    };
    match attempt.await {
        Ok(()) => page::see_other("/market/cart?done=updated"),
        Err(error) => failed(&who, &error),
    }
}

/// How one shop's order may reach the customer, as the checkout form offers it.
struct Delivery {
    group: CartGroupView,
    pickup: bool,
    /// The areas it delivers to: id, name and terms.
    areas: Vec<(String, String, DeliveryTermsView)>,
}

#[derive(Template)]
#[template(path = "market/checkout.html")]
struct CheckoutPage {
    c: Chrome,
    notice: Notice,
    cart: CartView,
    shops: Vec<Delivery>,
    /// "Pay 31.00 USD to Corner Mart and Sunrise Bakery (delivery fees added by area)".
    question: String,
    typed: Typed,
    key: String,
}

/// `GET /market/checkout`: for each shop, pickup or delivery to one of its areas with an address;
/// then how to pay, with the PIN.
pub(super) async fn checkout_page(State(state): State<WebState>, who: SignedIn) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    show_checkout(&state, &who, Notice::none(), Typed::default(), StatusCode::OK, None).await
}

async fn show_checkout(
    state: &WebState,
    who: &SignedIn,
    notice: Notice,
    typed: Typed,
    status: StatusCode,
    key: Option<String>,
) -> Response {
    let market = &state.http.services.market;
    let currency = state.http.services.kernel.settings.currencies.default_currency().code;
    let loaded = async {
        let cart = cart_view(state, &market.cart(&who.principal).await?);
        let names: Vec<AreaView> = market.areas().await?.iter().map(AreaView::from).collect();
        let mut shops = Vec::new();
        for group in &cart.groups {
            let seller = SellerView::new(&market.seller(MerchantId(group.seller_id)).await?, currency);
            let areas = seller
                .areas
                .iter()
                .filter_map(|served| {
                    let name = names.iter().find(|area| area.id == served.area_id)?.name.clone();
                    Some((served.area_id.to_string(), name, served.terms.clone()))
                })
                .collect();
            shops.push(Delivery { group: group.clone(), pickup: seller.pickup, areas });
        }
        Ok::<_, quipu_core::CoreError>((cart, shops))
    };
    match loaded.await {
        Ok((cart, shops)) => {
            let c = who.chrome();
            let names = shops.iter().map(|shop| shop.group.seller_name.as_str()).collect::<Vec<_>>().join(", ");
            let amount = format!("{} {}", cart.total.amount, cart.total.currency);
            let question = c.t.msg_with("checkout-question", &[("amount", &amount), ("names", &names)]);
            let key = key.unwrap_or_else(|| new_key(state));
            let page = CheckoutPage { c, notice, cart, shops, question, typed, key };
            page::html(&page, status, who.reader())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

/// The form's fields as the API's checkout: `method`, `pin`, `card_number`, and for each shop
/// (`seller`) its `kind-<id>`, `area-<id>`, `address-<id>`, `note-<id>`, and the door's place
/// when the phone gave it (`lat-<id>`, `lon-<id>`: the courier's distance is measured to it).
fn checkout_request(posted: &Posted) -> Result<CheckoutRequest, ApiError> {
    let mut fulfilments = Vec::new();
    for seller in posted.all("seller") {
        let field = |name: &str| posted.field(&format!("{name}-{seller}")).to_owned();
        let seller_id = super::parse_uuid(&seller)?;
        let kind = field("kind");
        let area_id = if kind == "delivery" { Some(super::parse_uuid(&field("area"))?) } else { None };
        let (latitude, longitude) = if kind == "delivery" { door(&field("lat"), &field("lon"))? } else { (None, None) };
        fulfilments.push(FulfilmentRequest {
            seller_id,
            kind,
            area_id,
            latitude,
            longitude,
            address: field("address"),
            note: field("note"),
        });
    }
    let card = posted.field("card_number");
    Ok(CheckoutRequest {
        payment: CheckoutPaymentRequest {
            method: posted.field("method").to_owned(),
            pin: SecretText::new(posted.field("pin").to_owned()),
            card_number: (!card.is_empty()).then(|| card.to_owned()),
        },
        fulfilments,
    })
}

/// The door's place as the phone gave it: both numbers, or neither.
fn door(latitude: &str, longitude: &str) -> Result<(Option<f64>, Option<f64>), ApiError> {
    match (latitude.trim(), longitude.trim()) {
        ("", "") => Ok((None, None)),
        (latitude, longitude) => match (latitude.parse::<f64>(), longitude.parse::<f64>()) {
            (Ok(latitude), Ok(longitude)) => Ok((Some(latitude), Some(longitude))),
            _ => Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "location_invalid",
                "a location is a latitude and a longitude",
            )),
        },
    }
}

/// `POST /market/checkout`: the API's checkout, once per rendered form. A refusal (a wrong PIN, a
/// price that changed) shows the form again with why.
pub(super) async fn checkout(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    let attempt = async {
        let key = posted.idempotency_key()?;
        let body = checkout_request(&posted)?;
        result_json(moves::checkout(&state.http, &who.principal, &key, &body).await).await
    };
    match attempt.await {
        Ok(orders) => {
            let first = orders.as_array().and_then(|orders| orders.first()).map(crate::id_of).unwrap_or_default();
            match orders.as_array().map(Vec::len) {
                Some(1) => page::see_other(&format!("/market/orders/{first}?done=placed")),
                _ => page::see_other("/market/orders?done=placed"),
            }
        }
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            show_checkout(&state, &who, notice, posted.typed(), error.status, None).await
        }
    }
}
