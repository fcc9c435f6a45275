//! Quipu's web pages: server-rendered HTML (askama templates) in English and
//! Korean, served by the same binary as the JSON API and over the same
//! services, never a second copy of a rule. Pages load nothing from
//! elsewhere: styles and scripts are embedded and served at content-hashed
//! URLs under a strict Content-Security-Policy (no inline script).
//!
//! Today: the start page, which names the apps and, in `quipu demo`, the
//! demo logins. The wallet, till and consoles come next, each a module here.

pub mod assets;
pub mod i18n;
pub mod reference;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use quipu_http::Http;

use crate::i18n::{Lang, Tr};

/// The pages' policy: everything from this server, scripts only as files (no inline code), never framed.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; \
    connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

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
}

#[derive(Clone)]
struct WebState {
    settings: Arc<WebSettings>,
}

/// The pages' routes, under the same common layers as the API.
pub fn router(http: Http, settings: WebSettings) -> Router {
    let state = WebState { settings: Arc::new(settings) };
    let pages = Router::new()
        .route("/", get(start))
        .route("/reference", get(reference))
        .route("/assets/{file}", get(assets::serve))
        .with_state(state);
    quipu_http::common_layers(pages, http)
}

#[derive(Debug, serde::Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

#[derive(Template)]
#[template(path = "start.html")]
struct StartPage<'a> {
    t: Tr,
    stylesheet: String,
    apps: [&'static str; 5],
    demo_logins: &'a [DemoLogin],
}

/// `GET /`: what Quipu is, its apps, and in the demo the logins to try them with.
async fn start(State(state): State<WebState>, Query(query): Query<LangQuery>, headers: HeaderMap) -> Response {
    let lang = Lang::choose(query.lang.as_deref(), &headers);
    let page = StartPage {
        t: Tr { lang },
        stylesheet: assets::url("quipu.css"),
        apps: ["app-wallet", "app-till", "app-merchant", "app-agent", "app-operator"],
        demo_logins: &state.settings.demo_logins,
    };
    html(page.render(), lang, query.lang.is_some())
}

#[derive(Template)]
#[template(path = "reference.html")]
struct ReferencePage {
    t: Tr,
    stylesheet: String,
    groups: Vec<(String, Vec<reference::Operation>)>,
}

/// `GET /reference`: every operation of the JSON API, and how to check a webhook's signature.
async fn reference(State(state): State<WebState>, Query(query): Query<LangQuery>, headers: HeaderMap) -> Response {
    let lang = Lang::choose(query.lang.as_deref(), &headers);
    let page = ReferencePage {
        t: Tr { lang },
        stylesheet: assets::url("quipu.css"),
        groups: reference::operations_by_tag(&state.settings.api_document),
    };
    html(page.render(), lang, query.lang.is_some())
}

/// A rendered page: not cached (it may hold a person's data), under the pages' policy, and when the
/// reader chose a language, a cookie that keeps it.
fn html(rendered: askama::Result<String>, lang: Lang, chosen: bool) -> Response {
    let Ok(body) = rendered else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered").into_response();
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    if chosen {
        let cookie = format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly", lang.code());
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.insert(header::SET_COOKIE, value);
        }
    }
    response
}
