//! The market as customers use it: the shops around them and product search, open to anyone and
//! kept a minute by caches when nobody is signed in ([`page::public_html`]); a shop's page with its
//! catalog by category; and, signed in, the cart, checkout ([`cart`]) and their orders, followed
//! live ([`orders`]). Every page shows the API's own views over the same services.

pub mod cart;
pub mod orders;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use quipu_api::market::requests::{NearbyParams, SearchParams, SellerKindParam};
use quipu_api::market::views::{AreaView, NearbySellerView, ProductView, SearchPageView, SellerView};
use quipu_domain::identity::{MerchantId, Role};
use quipu_http::problem::ApiError;

use crate::WebState;
use crate::auth::SignedIn;
use crate::page::{self, Chrome, Done, FailedPage, Notice, Reader};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/market/", get(home))
        .route("/market/sw.js", get(service_worker))
        .route("/market/sellers/{id}", get(seller))
        .route("/market/cart", get(cart::cart))
        .route("/market/cart/lines", post(cart::add))
        .route("/market/cart/lines/{id}", post(cart::set_quantity))
        .route("/market/checkout", get(cart::checkout_page).post(cart::checkout))
        .route("/market/orders", get(orders::orders))
        .route("/market/orders/{id}", get(orders::order))
        .route("/market/orders/{id}/cancel", post(orders::cancel))
}

/// `GET /market/sw.js`: the market's service worker, which keeps the market pages last seen.
async fn service_worker() -> Response {
    let shell = ["quipu.css", "market.js", "order-live.js"];
    crate::assets::service_worker("market", &shell, crate::assets::MARKET_SERVICE_WORKER)
}

/// Who reads a market page: someone signed in (a customer gets the cart's forms), or nobody.
struct Visitor {
    c: Chrome,
    reader: Reader,
    /// A customer, who may fill a cart.
    shopper: bool,
    signed_in: bool,
}

impl Visitor {
    fn new(state: &WebState, who: Option<&SignedIn>, chosen: Option<&str>, headers: &HeaderMap) -> Self {
        match who {
            Some(who) => Self {
                c: who.chrome(),
                reader: who.reader(),
                shopper: who.role() == Some(Role::Customer),
                signed_in: true,
            },
            None => {
                let lang = page::lang(chosen, headers);
                let c = Chrome::new(lang, String::new(), String::new());
                Self { c, reader: state.reader(chosen.map(|_| lang)), shopper: false, signed_in: false }
            }
        }
    }

    /// The page, kept by caches only when it holds nothing of anyone's.
    fn show(self, page: &impl Template) -> Response {
        if self.signed_in {
            page::html(page, StatusCode::OK, self.reader)
        } else {
            page::public_html(page, self.reader)
        }
    }

    fn failed(self, error: &ApiError) -> Response {
        let notice = Notice::refused(self.c.t, error);
        page::html(&FailedPage { c: self.c, notice, again: String::new() }, error.status, self.reader)
    }
}

/// What the market's home is asked: where the customer is, and perhaps words to look for.
#[derive(Debug, Default, serde::Deserialize)]
struct HomeQuery {
    lang: Option<String>,
    q: Option<String>,
    area: Option<String>,
    kind: Option<String>,
    sort: Option<String>,
    offset: Option<u32>,
}

#[derive(Template)]
#[template(path = "market/home.html")]
struct HomePage {
    c: Chrome,
    notice: Notice,
    areas: Vec<AreaView>,
    /// The area chosen, as the form shows it ("" for none).
    area: String,
    q: String,
    kind: String,
    sort: String,
    /// Search results, when words were given.
    found: Option<SearchPageView>,
    /// The next page of results, when there is one.
    more: Option<String>,
    sellers: Vec<NearbySellerView>,
    /// The query that keeps the area on the links to shops.
    keep: String,
}

/// Results on one page of search.
const RESULTS_PAGE: u32 = 20;

/// `GET /market/`: the shops serving the chosen area (or offering pickup), and product search.
async fn home(
    State(state): State<WebState>,
    who: Option<SignedIn>,
    Query(query): Query<HomeQuery>,
    headers: HeaderMap,
) -> Response {
    let visitor = Visitor::new(&state, who.as_ref(), query.lang.as_deref(), &headers);
    let market = &state.http.services.market;
    let area = query.area.clone().filter(|area| !area.is_empty());
    let kind = query.kind.clone().filter(|kind| !kind.is_empty());
    let q = query.q.clone().unwrap_or_default();
    let loaded = async {
        let area_id = area.as_deref().map(parse_uuid).transpose()?;
        let kind_param = kind.as_deref().map(kind_param).transpose()?;
        let areas: Vec<AreaView> = market.areas().await?.iter().map(AreaView::from).collect();
        let nearby = NearbyParams { area: area_id, lat: None, lon: None, kind: kind_param };
        let kind_filter = kind_param.map(quipu_domain::market::storefront::SellerKind::from);
        let sellers = market.sellers_near(nearby.whereabouts()?, kind_filter, quipu_core::market::MAX_NEARBY).await?;
        let sellers: Vec<NearbySellerView> = sellers.iter().map(NearbySellerView::from).collect();
        let found = if q.trim().is_empty() {
            None
        } else {
            let params = SearchParams {
                q: q.clone(),
                area: area_id,
                lat: None,
                lon: None,
                kind: kind_param,
                category: None,
                open_now: None,
                min_price: None,
                max_price: None,
                sort: query.sort.as_deref().map(sort_param).transpose()?,
                limit: Some(RESULTS_PAGE),
                offset: query.offset,
            };
            let currency = state.http.services.kernel.settings.currencies.default_currency();
            Some(SearchPageView::from(&market.search(&params.input(&currency)?).await?))
        };
        Ok::<_, ApiError>((areas, sellers, found))
    };
    match loaded.await {
        Ok((areas, sellers, found)) => {
            let keep = area.as_deref().map(|area| format!("?area={area}")).unwrap_or_default();
            let offset = query.offset.unwrap_or(0);
            let more = found.as_ref().filter(|found| u64::from(offset + RESULTS_PAGE) < found.total).map(|_| {
                let next = (offset + RESULTS_PAGE).to_string();
                let pairs = [
                    ("q", q.as_str()),
                    ("area", area.as_deref().unwrap_or("")),
                    ("kind", kind.as_deref().unwrap_or("")),
                    ("sort", query.sort.as_deref().unwrap_or("")),
                    ("offset", next.as_str()),
                ];
                format!("/market/?{}", crate::merchant::query_string(&pairs))
            });
            let page = HomePage {
                c: visitor.c.clone(),
                notice: Notice::none(),
                areas,
                area: area.unwrap_or_default(),
                q,
                kind: kind.unwrap_or_default(),
                sort: query.sort.clone().unwrap_or_default(),
                found,
                more,
                sellers,
                keep,
            };
            visitor.show(&page)
        }
        Err(error) => visitor.failed(&error),
    }
}

fn parse_uuid(text: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(text).map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_id", "not an id"))
}

fn kind_param(text: &str) -> Result<SellerKindParam, ApiError> {
    match text {
        "grocery" => Ok(SellerKindParam::Grocery),
        "household" => Ok(SellerKindParam::Household),
        "pharmacy" => Ok(SellerKindParam::Pharmacy),
        "restaurant" => Ok(SellerKindParam::Restaurant),
        _ => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "no such kind of shop")),
    }
}

fn sort_param(text: &str) -> Result<quipu_api::market::requests::SortParam, ApiError> {
    use quipu_api::market::requests::SortParam;
    match text {
        "" | "relevance" => Ok(SortParam::Relevance),
        "price_ascending" => Ok(SortParam::PriceAscending),
        "price_descending" => Ok(SortParam::PriceDescending),
        "distance" => Ok(SortParam::Distance),
        _ => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "no such order")),
    }
}

/// A category's products, in the catalog's order.
struct Shelf {
    category: String,
    products: Vec<ProductView>,
}

#[derive(Template)]
#[template(path = "market/seller.html")]
struct SellerPage {
    c: Chrome,
    notice: Notice,
    seller: SellerView,
    /// Each area the shop delivers to, by name, with its terms.
    areas: Vec<(String, quipu_api::market::views::DeliveryTermsView)>,
    shelves: Vec<Shelf>,
    shopper: bool,
    /// Where "add to cart" sends someone signed out: sign in, then back here.
    sign_in: String,
    /// Seven lines "Monday 09:00-18:00", in the reader's language.
    hours: Vec<(String, String)>,
}

/// Most products a shop's page shows at once.
const CATALOG_PAGE: u32 = 100;

#[derive(Debug, Default, serde::Deserialize)]
struct SellerQuery {
    lang: Option<String>,
    done: Option<String>,
}

/// `GET /market/sellers/{id}`: a shop's hours, areas and catalog by category; a customer signed in
/// adds to their cart from here.
async fn seller(
    State(state): State<WebState>,
    who: Option<SignedIn>,
    Path(id): Path<uuid::Uuid>,
    Query(query): Query<SellerQuery>,
    headers: HeaderMap,
) -> Response {
    let visitor = Visitor::new(&state, who.as_ref(), query.lang.as_deref(), &headers);
    let market = &state.http.services.market;
    let currency = state.http.services.kernel.settings.currencies.default_currency().code;
    let loaded = async {
        let seller = market.seller(MerchantId(id)).await?;
        let products = market.catalog(None, MerchantId(id), CATALOG_PAGE, 0).await?;
        let names = market.areas().await?;
        Ok::<_, quipu_core::CoreError>((SellerView::new(&seller, currency), products, names))
    };
    match loaded.await {
        Ok((seller, products, names)) => {
            let mut shelves: Vec<Shelf> = Vec::new();
            for product in products.iter().map(ProductView::from) {
                match shelves.last_mut() {
                    Some(shelf) if shelf.category == product.category => shelf.products.push(product),
                    _ => shelves.push(Shelf { category: product.category.clone(), products: vec![product] }),
                }
            }
            let areas = seller
                .areas
                .iter()
                .filter_map(|served| {
                    let name = names.iter().find(|area| area.id.0 == served.area_id)?.name.clone();
                    Some((name, served.terms.clone()))
                })
                .collect();
            let hours =
                (1..=7).map(|day| visitor.c.msg(&format!("weekday-{day}"))).zip(seller.hours.iter().cloned()).collect();
            let done = Done { done: query.done }.notice(visitor.c.t, &["added"]);
            let page = SellerPage {
                c: visitor.c.clone(),
                notice: done,
                sign_in: format!("/login?next=/market/sellers/{id}"),
                shopper: visitor.shopper,
                seller,
                areas,
                shelves,
                hours,
            };
            visitor.show(&page)
        }
        Err(error) => visitor.failed(&ApiError::from(error)),
    }
}
