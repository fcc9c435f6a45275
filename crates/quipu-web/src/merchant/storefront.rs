//! The shop's storefront on the market, as its owner states it: what it says about itself, where
//! it stands, its week's hours and closed days (in the shop's own time zone), how long an order
//! takes, and how orders reach customers (pickup, a radius around the shop, the operator's
//! areas), all saved at once as the API's `PUT /api/v1/merchant/storefront` saves it. The
//! accepting switch belongs to the order board: this page shows it, and saving keeps it as it is.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use quipu_api::market::requests::{AreaTermsRequest, DeliveryTermsRequest, RadiusRequest, StorefrontRequest};
use quipu_api::market::views::SellerView;
use quipu_core::store::market::AreaRecord;
use quipu_core::{CoreError, ErrorKind};
use quipu_domain::identity::Role;
use quipu_http::problem::ApiError;

use crate::WebState;
use crate::auth::SignedIn;
use crate::form::{Posted, Typed};
use crate::page::{self, Chrome, Done, Notice, failed};

pub fn routes() -> Router<WebState> {
    Router::new().route("/merchant/storefront", get(storefront).post(save))
}

/// One of the operator's areas as the form offers it, ticked when the shop delivers there.
struct AreaRow {
    id: String,
    name: String,
    chosen: bool,
}

/// The form of a shop that sells on the market.
struct StorefrontForm {
    seller: SellerView,
    /// The time zone its hours are read in: the shop's.
    zone: String,
    /// The network's currency, which every fee and minimum is in.
    currency: String,
    /// Monday (1) to Sunday (7): the field's number and the day's name.
    days: Vec<(u8, String)>,
    areas: Vec<AreaRow>,
    typed: Typed,
}

#[derive(Template)]
#[template(path = "merchant/storefront.html")]
struct StorefrontPage {
    c: Chrome,
    notice: Notice,
    /// `None` until the operator makes the shop a seller: then there is nothing to fill in yet.
    form: Option<StorefrontForm>,
}

/// What the form shows: the storefront as saved, or what the owner typed before a refusal with the
/// areas they ticked (a group of checkboxes, of which [`Typed`] would keep only the first).
enum Shown {
    Saved,
    Typed(Typed, Vec<String>),
}

/// `GET /merchant/storefront`: the storefront's form, filled in as it is saved.
async fn storefront(State(state): State<WebState>, who: SignedIn, Query(done): Query<Done>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    let notice = done.notice(who.chrome().t, &["saved"]);
    show(&state, &who, notice, Shown::Saved, StatusCode::OK).await
}

async fn show(state: &WebState, who: &SignedIn, notice: Notice, shown: Shown, status: StatusCode) -> Response {
    let services = &state.http.services;
    let currency = services.kernel.settings.currencies.default_currency().code;
    let seller = match services.market.my_storefront(&who.principal).await {
        Ok(seller) => SellerView::new(&seller, currency),
        // Not a seller yet: a page that says who makes one, rather than a failure.
        Err(error) if error.kind == ErrorKind::NotFound => {
            return page::html(&StorefrontPage { c: who.chrome(), notice, form: None }, status, who.reader());
        }
        Err(error) => return failed(who, &ApiError::from(error)),
    };
    let loaded = async {
        let zone = services.kernel.merchant_zone(who.principal.require_merchant()?).await?;
        Ok::<_, CoreError>((services.market.areas().await?, zone))
    };
    let (areas, zone) = match loaded.await {
        Ok(loaded) => loaded,
        Err(error) => return failed(who, &ApiError::from(error)),
    };
    let (typed, chosen) = match shown {
        Shown::Saved => saved_fields(&seller),
        Shown::Typed(typed, chosen) => (typed, chosen),
    };
    let c = who.chrome();
    let days = (1..=7u8).map(|day| (day, c.msg(&format!("weekday-{day}")))).collect();
    let areas = area_rows(&areas, &chosen);
    let form =
        StorefrontForm { seller, zone: zone.name().to_owned(), currency: currency.to_string(), days, areas, typed };
    page::html(&StorefrontPage { c, notice, form: Some(form) }, status, who.reader())
}

/// Every area the operator named, by name, ticked when it is one of `chosen` (ids).
fn area_rows(areas: &[AreaRecord], chosen: &[String]) -> Vec<AreaRow> {
    areas
        .iter()
        .map(|area| {
            let id = area.id.0.to_string();
            AreaRow { chosen: chosen.contains(&id), id, name: area.name.clone() }
        })
        .collect()
}

/// The saved storefront as the form's fields (the names [`storefront_request`] reads), and the
/// areas it delivers to.
fn saved_fields(seller: &SellerView) -> (Typed, Vec<String>) {
    let text = |value: Option<f64>| value.map(|value| value.to_string()).unwrap_or_default();
    let mut pairs: Vec<(String, String)> = vec![
        ("description".to_owned(), seller.description.clone()),
        ("address".to_owned(), seller.address.clone()),
        ("latitude".to_owned(), text(seller.latitude)),
        ("longitude".to_owned(), text(seller.longitude)),
        ("closures".to_owned(), seller.closures.join("\n")),
        ("preparation_minutes".to_owned(), seller.preparation_minutes.to_string()),
    ];
    pairs.extend((1..=7u8).zip(&seller.hours).map(|(day, hours)| (format!("hours-{day}"), hours.clone())));
    if seller.pickup {
        pairs.push(("pickup".to_owned(), "true".to_owned()));
    }
    if let Some(radius) = &seller.delivery_radius {
        pairs.push(("radius".to_owned(), radius.metres.to_string()));
        pairs.extend(terms_fields("radius", &radius.terms));
    }
    let mut chosen = Vec::new();
    for area in &seller.areas {
        chosen.push(area.area_id.to_string());
        pairs.extend(terms_fields(&area.area_id.to_string(), &area.terms));
    }
    (Typed::from_pairs(pairs), chosen)
}

/// A place's fee, minimum and free-delivery amount as its fields (`fee-<place>`, …).
fn terms_fields(place: &str, terms: &quipu_api::market::views::DeliveryTermsView) -> [(String, String); 3] {
    let free_from = terms.free_from.as_ref().map(|free| free.amount.clone()).unwrap_or_default();
    [
        (format!("fee-{place}"), terms.fee.amount.clone()),
        (format!("minimum-{place}"), terms.minimum_order.amount.clone()),
        (format!("free_from-{place}"), free_from),
    ]
}

/// `POST /merchant/storefront`: the whole storefront at once, as the API saves it. A refusal shows
/// the form again with what was typed and why.
async fn save(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    let market = &state.http.services.market;
    let attempt = async {
        // The board's switch as it is now: a form opened before a pause must not take orders again.
        let accepting = market.my_storefront(&who.principal).await?.record.accepting;
        let currency = state.http.services.kernel.settings.currencies.default_currency();
        let input = storefront_request(&posted, accepting)?.input(&currency)?;
        market.set_storefront(&who.principal, input).await?;
        Ok::<_, ApiError>(())
    };
    match attempt.await {
        Ok(()) => page::see_other("/merchant/storefront?done=saved"),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            show(&state, &who, notice, Shown::Typed(posted.typed(), posted.all("area")), error.status).await
        }
    }
}

/// The form's fields as the API's storefront: `description`, `address`, `latitude`, `longitude`,
/// `hours-1` (Monday) to `hours-7`, `closures`, `preparation_minutes`, `pickup`, `radius` with its
/// terms (`fee-radius`, …), and each ticked `area` with its terms (`fee-<id>`, …).
fn storefront_request(posted: &Posted, accepting: bool) -> Result<StorefrontRequest, CoreError> {
    let areas = posted.all("area").iter().map(|id| area(posted, id)).collect::<Result<_, _>>()?;
    Ok(StorefrontRequest {
        description: Some(one_line(posted.field("description"))),
        address: posted.field("address").to_owned(),
        latitude: coordinate(posted.field("latitude"))?,
        longitude: coordinate(posted.field("longitude"))?,
        hours: (1..=7).map(|day| posted.field(&format!("hours-{day}")).to_owned()).collect(),
        closures: closures(posted.field("closures")),
        accepting,
        preparation_minutes: posted.field("preparation_minutes").trim().parse().map_err(|_| {
            CoreError::rejected("preparation_time_invalid", "a preparation time is 0 to 240 whole minutes")
        })?,
        pickup: !posted.field("pickup").is_empty(),
        delivery_radius: radius(posted)?,
        areas,
    })
}

/// A description as the API keeps it, one line of plain text: a text box wraps long text, and a
/// line break typed in it would be refused as a control character, so each becomes a space.
fn one_line(text: &str) -> String {
    text.lines().map(str::trim).filter(|line| !line.is_empty()).collect::<Vec<_>>().join(" ")
}

/// A latitude or longitude as typed; empty is none, and anything else must be a number.
fn coordinate(text: &str) -> Result<Option<f64>, CoreError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    match text.trim().parse::<f64>() {
        Ok(degrees) if degrees.is_finite() => Ok(Some(degrees)),
        _ => Err(CoreError::rejected("location_invalid", "a latitude and a longitude are numbers of degrees")),
    }
}

/// Closed days typed one after another, separated by spaces, commas or new lines.
fn closures(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace()).filter(|date| !date.is_empty()).map(str::to_owned).collect()
}

/// The delivery radius, when a distance is given.
fn radius(posted: &Posted) -> Result<Option<RadiusRequest>, CoreError> {
    let metres = posted.field("radius").trim();
    if metres.is_empty() {
        return Ok(None);
    }
    let metres = metres
        .parse()
        .map_err(|_| CoreError::rejected("radius_invalid", "a delivery radius is a whole number of metres"))?;
    Ok(Some(RadiusRequest { metres, terms: terms(posted, "radius") }))
}

/// A ticked area (its id) with its terms.
fn area(posted: &Posted, id: &str) -> Result<AreaTermsRequest, CoreError> {
    let area_id = uuid::Uuid::parse_str(id)
        .map_err(|_| CoreError::rejected("area_unknown", "each delivery area is one the operator defined"))?;
    Ok(AreaTermsRequest { area_id, terms: terms(posted, id) })
}

/// A place's terms: an empty fee or minimum is none (zero); an empty free-delivery amount, never free.
fn terms(posted: &Posted, place: &str) -> DeliveryTermsRequest {
    let field = |name: &str| posted.field(&format!("{name}-{place}")).trim().to_owned();
    let or_zero = |amount: String| if amount.is_empty() { "0".to_owned() } else { amount };
    let free_from = field("free_from");
    DeliveryTermsRequest {
        fee: or_zero(field("fee")),
        minimum_order: or_zero(field("minimum")),
        free_from: (!free_from.is_empty()).then_some(free_from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_days_are_split_on_spaces_commas_and_lines() {
        assert_eq!(closures("2027-01-01, 2027-01-02\r\n2027-02-10  "), ["2027-01-01", "2027-01-02", "2027-02-10"]);
        assert!(closures(" ,\n").is_empty());
    }

    #[test]
    fn a_coordinate_is_a_number_or_nothing() {
        assert_eq!(coordinate(" 37.5563 ").unwrap(), Some(37.5563));
        assert_eq!(coordinate("").unwrap(), None);
        for typed in ["north", "NaN", "inf"] {
            assert_eq!(coordinate(typed).unwrap_err().code, "location_invalid", "{typed}");
        }
    }

    #[test]
    fn a_description_typed_over_lines_is_one_line() {
        assert_eq!(one_line("Fresh bread\r\n\r\n  every morning "), "Fresh bread every morning");
    }
}
