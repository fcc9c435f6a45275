//! Quipu's web pages: server-rendered HTML (askama templates) in English and
//! Korean, served by the same binary as the JSON API and over the same
//! services, never a second copy of a rule. A form posts the API's own
//! request fields, parsed into the API's own request types, and a page shows
//! the API's own views, so a page refuses and shows exactly what the API
//! does. Pages load nothing from elsewhere: styles and scripts are embedded
//! and served at content-hashed URLs under a strict Content-Security-Policy
//! (no inline script).
//!
//! One module folder per app, each with its routes, pages and templates
//! (`templates/<app>/`): [`wallet`] (customers, with their settings),
//! [`till`] (cashiers), [`merchant`] (shop owners, with payouts and the
//! integration pages for API keys and webhooks), [`agent`], [`operator`],
//! and [`account`] (signing in and out, ways back in, one's time zone).
//! Shared at the top: who is signed in ([`auth`]), forms ([`form`]), pages
//! ([`page`]), words ([`i18n`]), local times ([`local`]) and [`assets`].

pub mod account;
pub mod agent;
pub mod assets;
pub mod auth;
pub mod courier;
pub mod form;
pub mod i18n;
pub mod local;
pub mod market;
pub mod merchant;
pub mod operator;
pub mod page;
#[cfg(test)]
mod problem_codes;
pub mod reference;
pub mod till;
pub mod wallet;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRef, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use quipu_http::Http;
use quipu_http::problem::ApiError;

use crate::page::Chrome;

pub use crate::page::PAGE_CSP;

/// A demo login shown on the start page of `quipu demo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    pub role: String,
    pub name: String,
    pub phone: String,
    pub password: String,
    pub pin: String,
}

/// What the pages are given beside the services.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    /// Shown on the start page; empty outside `quipu demo`.
    pub demo_logins: Vec<DemoLogin>,
    /// The API's OpenAPI document, which the reference page lists.
    pub api_document: serde_json::Value,
    /// The site is reached over HTTPS (TLS here or at a proxy): cookies are marked `Secure`.
    pub https: bool,
}

/// The pages' state: the HTTP layer they share with the API, and their own settings.
#[derive(Clone)]
pub struct WebState {
    pub http: Http,
    pub settings: Arc<WebSettings>,
}

impl WebState {
    /// The cookie attribute that keeps a cookie off plain http, when the site is on HTTPS.
    fn secure(&self) -> &'static str {
        if self.is_secure() { "; Secure" } else { "" }
    }

    fn is_secure(&self) -> bool {
        self.settings.https || self.http.settings.secure_cookies
    }

    /// Whom a page for nobody in particular is for: the language chosen on this request, if any.
    fn reader(&self, chosen: Option<i18n::Lang>) -> page::Reader {
        page::Reader { chosen, secure: self.is_secure(), user: None }
    }
}

impl FromRef<WebState> for Http {
    fn from_ref(state: &WebState) -> Self {
        state.http.clone()
    }
}

/// The pages' routes, under the same common layers as the API.
pub fn router(http: Http, settings: WebSettings) -> Router {
    let state = WebState { http: http.clone(), settings: Arc::new(settings) };
    let pages = Router::new()
        .route("/", get(start))
        .route("/reference", get(reference))
        .route("/assets/{file}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .merge(account::routes(&http))
        .merge(wallet::routes(&http))
        .merge(till::routes())
        .merge(merchant::routes())
        .merge(agent::routes())
        .merge(courier::routes())
        .merge(operator::routes())
        .merge(market::routes());
    // A shop's catalog file and a prescription photo are the uploads pages take; every other form
    // is small.
    let catalog_uploads = quipu_http::Policy::uploads().with_max_body(MAX_CATALOG_UPLOAD_BYTES);
    let photo_uploads = quipu_http::Policy::uploads().with_max_body(MAX_PHOTO_UPLOAD_BYTES);
    let pages = quipu_http::Policy::writes()
        .route_layer(pages, &http)
        .merge(catalog_uploads.route_layer(merchant::catalog::upload_routes(), &http))
        .merge(photo_uploads.route_layer(market::upload_routes(), &http))
        .with_state(state)
        // Pages and scripts travel gzipped (a phone on 2G pays for every byte); live streams and
        // images do not (the layer's default predicate leaves them alone).
        .layer(tower_http::compression::CompressionLayer::new().gzip(true));
    quipu_http::common_layers(pages)
}

/// Largest catalog upload: the API's largest CSV file, and room for the form around it.
const MAX_CATALOG_UPLOAD_BYTES: usize = quipu_api::market::bulk::MAX_IMPORT_BYTES + 64 * 1024;

/// Largest photo upload: the API's largest upload, and room for the form around it.
const MAX_PHOTO_UPLOAD_BYTES: usize = quipu_http::MAX_UPLOAD_BYTES + 64 * 1024;

/// A form post under the per-address limit of the API's sign-in and sign-up, for the forms where
/// the same secrets are guessed: one bucket per address across both faces.
fn limited_post<H, T>(handler: H, http: &Http) -> axum::routing::MethodRouter<WebState>
where
    H: axum::handler::Handler<T, WebState>,
    T: 'static,
{
    let limit = axum::middleware::from_fn_with_state(http.clone(), quipu_http::rate_limit::limit_by_address);
    axum::routing::post(handler).route_layer(limit)
}

#[derive(Debug, serde::Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

#[derive(Template)]
#[template(path = "start.html")]
struct StartPage<'a> {
    c: Chrome,
    apps: [(&'static str, &'static str); 7],
    demo_logins: &'a [DemoLogin],
}

/// `GET /`: what Quipu is, its apps, and in the demo the logins to try them with.
async fn start(State(state): State<WebState>, Query(query): Query<LangQuery>, headers: HeaderMap) -> Response {
    let lang = page::lang(query.lang.as_deref(), &headers);
    let page = StartPage {
        c: Chrome::new(lang, String::new(), String::new()),
        apps: [
            ("app-wallet", "/wallet/"),
            ("app-market", "/market/"),
            ("app-till", "/till/"),
            ("app-merchant", "/merchant/"),
            ("app-agent", "/agent/"),
            ("app-courier", "/courier/"),
            ("app-operator", "/operator/"),
        ],
        demo_logins: &state.settings.demo_logins,
    };
    page::html(&page, StatusCode::OK, state.reader(query.lang.is_some().then_some(lang)))
}

#[derive(Template)]
#[template(path = "reference.html")]
struct ReferencePage {
    c: Chrome,
    groups: Vec<(String, Vec<reference::Operation>)>,
}

/// `GET /reference`: every operation of the JSON API, and how to check a webhook's signature.
async fn reference(State(state): State<WebState>, Query(query): Query<LangQuery>, headers: HeaderMap) -> Response {
    let lang = page::lang(query.lang.as_deref(), &headers);
    let page = ReferencePage {
        c: Chrome::new(lang, String::new(), String::new()),
        groups: reference::operations_by_tag(&state.settings.api_document),
    };
    page::html(&page, StatusCode::OK, state.reader(query.lang.is_some().then_some(lang)))
}

/// Largest answer a page reads back from an idempotent operation (a payment or transfer view).
const MAX_RESULT_BYTES: usize = 64 * 1024;

/// The JSON an idempotent operation answered (first time or replayed): pages redirect to what it made.
pub(crate) async fn result_json(response: Result<Response, ApiError>) -> Result<serde_json::Value, ApiError> {
    let response = response?;
    let unreadable =
        || ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "internal_error", "the answer could not be read");
    let bytes =
        axum::body::to_bytes(Body::new(response.into_body()), MAX_RESULT_BYTES).await.map_err(|_| unreadable())?;
    serde_json::from_slice(&bytes).map_err(|_| unreadable())
}

/// The `id` of what an operation made.
pub(crate) fn id_of(value: &serde_json::Value) -> String {
    value.get("id").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned()
}
