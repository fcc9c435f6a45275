//! The market as customers use it: the shops around them and product search, open to anyone and
//! kept a minute by caches when nobody is signed in ([`page::public_html`]); a shop's page with its
//! catalog by category; and, signed in, the cart, checkout ([`cart`]) and their orders, followed
//! live ([`orders`]). Every page shows the API's own views over the same services.

pub mod cart;
pub mod habits;
pub mod orders;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use quipu_api::habits::views::{FavouriteView, ReviewView};
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
        .route("/market/sellers/{id}/favourite", post(habits::favourite))
        .route("/market/products/{id}/alert", post(habits::alert))
        .route("/market/cart", get(cart::cart))
        .route("/market/cart/lines", post(cart::add))
        .route("/market/cart/lines/{id}", post(cart::set_quantity))
        .route("/market/checkout", get(cart::checkout_page).post(cart::checkout))
        .route("/market/orders", get(orders::orders))
        .route("/market/orders/{id}", get(orders::order))
        .route("/market/orders/{id}/cancel", post(orders::cancel))
        .route("/market/orders/{id}/tip", post(orders::tip))
        .route("/market/orders/{id}/review", post(orders::review))
        .route("/market/orders/{id}/reorder", post(orders::reorder))
}

/// The prescription photo's form, under the uploads' body limit (`lib.rs` gives it its policy).
pub fn upload_routes() -> Router<WebState> {
    Router::new().route("/market/orders/{id}/prescription", post(orders::prescription))
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
    /// The phone's location, when the customer shared it ("shops near me"); an area chosen wins.
    lat: Option<String>,
    lon: Option<String>,
    kind: Option<String>,
    sort: Option<String>,
    offset: Option<u32>,
}

/// Where the customer said they are: an area, or the location they shared, or neither.
struct Place {
    area: Option<uuid::Uuid>,
    location: Option<(f64, f64)>,
}

impl Place {
    fn of(query: &HomeQuery) -> Result<Self, ApiError> {
        let area = query.area.as_deref().filter(|area| !area.is_empty()).map(parse_uuid).transpose()?;
        let typed = |text: &Option<String>| text.as_deref().filter(|text| !text.is_empty()).map(str::parse::<f64>);
        let location = match (area, typed(&query.lat), typed(&query.lon)) {
            (None, Some(Ok(lat)), Some(Ok(lon))) => Some((lat, lon)),
            (None, Some(_), _) | (None, _, Some(_)) => {
                let detail = "a location is a latitude and a longitude";
                return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "location_invalid", detail));
            }
            _ => None,
        };
        Ok(Self { area, location })
    }

    /// What a link to a shop or the next page keeps of it.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        match (self.area, self.location) {
            (Some(area), _) => vec![("area", area.to_string())],
            (None, Some((lat, lon))) => vec![("lat", lat.to_string()), ("lon", lon.to_string())],
            (None, None) => Vec::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "market/home.html")]
struct HomePage {
    c: Chrome,
    notice: Notice,
    areas: Vec<AreaView>,
    /// The area chosen, as the form shows it ("" for none).
    area: String,
    /// The location shared, as the form keeps it ("" for none).
    lat: String,
    lon: String,
    /// The customer's favourite shops and the products back in stock they waited for.
    mine: Option<Mine>,
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

/// What a signed-in customer keeps on the market: their favourite shops, and the products they
/// waited for that are back.
struct Mine {
    favourites: Vec<FavouriteView>,
    back: Vec<ProductView>,
}

impl Mine {
    async fn of(market: &quipu_core::market::Market, who: &SignedIn) -> quipu_core::CoreResult<Self> {
        let favourites = market.favourites(&who.principal).await?.iter().map(FavouriteView::from).collect();
        let back = market
            .alerts(&who.principal)
            .await?
            .iter()
            .filter(|alert| alert.record.fired_at.is_some())
            .filter_map(|alert| alert.product.as_ref().map(ProductView::from))
            .collect();
        Ok(Self { favourites, back })
    }
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
    let kind = query.kind.clone().filter(|kind| !kind.is_empty());
    let q = query.q.clone().unwrap_or_default();
    let shopper = who.as_ref().filter(|_| visitor.shopper);
    let loaded = async {
        let place = Place::of(&query)?;
        let (area_id, lat, lon) = (place.area, place.location.map(|at| at.0), place.location.map(|at| at.1));
        let kind_param = kind.as_deref().map(kind_param).transpose()?;
        let areas: Vec<AreaView> = market.areas().await?.iter().map(AreaView::from).collect();
        let nearby = NearbyParams { area: area_id, lat, lon, kind: kind_param };
        let kind_filter = kind_param.map(quipu_domain::market::storefront::SellerKind::from);
        let sellers = market.sellers_near(nearby.whereabouts()?, kind_filter, quipu_core::market::MAX_NEARBY).await?;
        let sellers: Vec<NearbySellerView> = sellers.iter().map(NearbySellerView::from).collect();
        let found = if q.trim().is_empty() {
            None
        } else {
            let params = SearchParams {
                q: q.clone(),
                area: area_id,
                lat,
                lon,
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
        let mine = match shopper {
            Some(who) => Some(Mine::of(market, who).await?),
            None => None,
        };
        Ok::<_, ApiError>((place, areas, sellers, found, mine))
    };
    match loaded.await {
        Ok((place, areas, sellers, found, mine)) => {
            let kept = place.pairs();
            let kept: Vec<(&str, &str)> = kept.iter().map(|(name, value)| (*name, value.as_str())).collect();
            let keep =
                if kept.is_empty() { String::new() } else { format!("?{}", crate::merchant::query_string(&kept)) };
            let offset = query.offset.unwrap_or(0);
            let more = found.as_ref().filter(|found| u64::from(offset + RESULTS_PAGE) < found.total).map(|_| {
                let next = (offset + RESULTS_PAGE).to_string();
                let mut pairs = vec![
                    ("q", q.as_str()),
                    ("kind", kind.as_deref().unwrap_or("")),
                    ("sort", query.sort.as_deref().unwrap_or("")),
                    ("offset", next.as_str()),
                ];
                pairs.extend(kept.iter().copied());
                format!("/market/?{}", crate::merchant::query_string(&pairs))
            });
            let shown = |at: Option<f64>| at.map(|at| at.to_string()).unwrap_or_default();
            let page = HomePage {
                c: visitor.c.clone(),
                notice: Notice::none(),
                areas,
                area: place.area.map(|area| area.to_string()).unwrap_or_default(),
                lat: shown(place.location.map(|at| at.0)),
                lon: shown(place.location.map(|at| at.1)),
                mine,
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
        "rating" => Ok(SortParam::Rating),
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
    /// "4.5 of 5 from 12 ratings", once rated.
    rating: Option<String>,
    /// The latest ratings, as anyone reads them (naming nobody).
    reviews: Vec<ReviewView>,
    /// The customer's own marks: the shop among their favourites, products they wait for.
    mine: habits::Marks,
}

/// Most products a shop's page shows at once.
const CATALOG_PAGE: u32 = 100;

/// Ratings a shop's page shows.
const REVIEWS_SHOWN: u32 = 5;

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
    let shopper = who.as_ref().filter(|_| visitor.shopper);
    let loaded = async {
        let seller = market.seller(MerchantId(id)).await?;
        let products = market.catalog(None, MerchantId(id), CATALOG_PAGE, 0).await?;
        let names = market.areas().await?;
        let reviews = market.seller_reviews(MerchantId(id), REVIEWS_SHOWN, 0).await?;
        let mine = match shopper {
            Some(who) => habits::Marks::of(market, who, MerchantId(id)).await?,
            None => habits::Marks::default(),
        };
        Ok::<_, quipu_core::CoreError>((SellerView::new(&seller, currency), products, names, reviews, mine))
    };
    match loaded.await {
        Ok((seller, products, names, reviews, mine)) => {
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
            let done = Done { done: query.done }.notice(visitor.c.t, &habits::DONE);
            let rating = seller.rating_average.map(|average| {
                let average = format!("{average:.1}");
                visitor.c.t.msg_counted("market-rating-summary", seller.rating_count, &[("average", &average)])
            });
            let page = SellerPage {
                rating,
                reviews: reviews.iter().map(ReviewView::public).collect(),
                mine,
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
