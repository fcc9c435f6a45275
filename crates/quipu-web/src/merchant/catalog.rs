//! The shop's catalog as its owner keeps it: every product with its price and stock, each changed
//! in place (one product's bulk change), the whole catalog downloaded as CSV (the API's own
//! export) and uploaded back, all or none, with each refused line said in the owner's language.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use quipu_api::market::views::ProductView;
use quipu_core::market::{BatchError, BulkChange};
use quipu_domain::identity::Role;
use quipu_domain::market::ProductId;
use quipu_http::problem::ApiError;

use crate::WebState;
use crate::auth::SignedIn;
use crate::form::{Posted, PostedFile};
use crate::page::{self, Chrome, Done, Notice, failed};

/// Most products the page lists; the CSV holds them all.
const CATALOG_PAGE: u32 = 100;

pub fn routes() -> Router<WebState> {
    Router::new().route("/merchant/catalog", get(catalog)).route("/merchant/catalog/{id}", post(change))
}

/// The upload's route, under the uploads' body limit (`lib.rs` gives it its policy).
pub fn upload_routes() -> Router<WebState> {
    Router::new().route("/merchant/catalog/import", post(import))
}

#[derive(Template)]
#[template(path = "merchant/catalog.html")]
struct CatalogPage {
    c: Chrome,
    notice: Notice,
    /// Each refused line of an upload, as the owner reads it.
    refused: Vec<String>,
    products: Vec<ProductView>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct CatalogQuery {
    done: Option<String>,
    created: Option<u32>,
    updated: Option<u32>,
    unchanged: Option<u32>,
}

/// `GET /merchant/catalog`: the products, each with its price and stock to change; the CSV.
async fn catalog(State(state): State<WebState>, who: SignedIn, Query(query): Query<CatalogQuery>) -> Response {
    let notice = match (query.done.as_deref(), query.created, query.updated, query.unchanged) {
        (Some("imported"), Some(created), Some(updated), Some(unchanged)) => {
            let counts = [
                ("created", created.to_string()),
                ("updated", updated.to_string()),
                ("unchanged", unchanged.to_string()),
            ];
            let args: Vec<(&'static str, &str)> = counts.iter().map(|(name, value)| (*name, value.as_str())).collect();
            Notice::ok(who.chrome().t.msg_with("catalog-imported", &args))
        }
        _ => Done { done: query.done }.notice(who.chrome().t, &["changed"]),
    };
    show(&state, &who, notice, Vec::new(), StatusCode::OK).await
}

async fn show(state: &WebState, who: &SignedIn, notice: Notice, refused: Vec<String>, status: StatusCode) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    let market = &state.http.services.market;
    let loaded = async {
        let merchant = who.principal.require_merchant()?;
        market.catalog(Some(&who.principal), merchant, CATALOG_PAGE, 0).await
    };
    match loaded.await {
        Ok(products) => {
            let products = products.iter().map(ProductView::from).collect();
            page::html(&CatalogPage { c: who.chrome(), notice, refused, products }, status, who.reader())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeForm {
    price: Option<String>,
    stock: Option<u32>,
}

/// `POST /merchant/catalog/{id}`: one product's new price and stock (the API's bulk change of one).
async fn change(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>, posted: Posted) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    let attempt = async {
        let form: ChangeForm = posted.request().map_err(|error| (error, Vec::new()))?;
        let change = BulkChange {
            product_id: Some(ProductId(id)),
            price: form.price,
            stock: form.stock,
            ..BulkChange::default()
        };
        state.http.services.market.change_catalog(&who.principal, vec![change]).await.map_err(batch_refusal)
    };
    match attempt.await {
        Ok(_) => page::see_other("/merchant/catalog?done=changed"),
        Err((error, lines)) => {
            let t = who.chrome().t;
            show(&state, &who, Notice::refused(t, &error), refused_lines(t, &lines, false), error.status).await
        }
    }
}

/// `POST /merchant/catalog/import`: the whole file, all or none.
async fn import(State(state): State<WebState>, who: SignedIn, file: PostedFile) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    match state.http.services.market.import_catalog(&who.principal, file.bytes).await.map_err(batch_refusal) {
        Ok(summary) => page::see_other(&format!(
            "/merchant/catalog?done=imported&created={}&updated={}&unchanged={}",
            summary.created, summary.updated, summary.unchanged
        )),
        Err((error, lines)) => {
            let t = who.chrome().t;
            show(&state, &who, Notice::refused(t, &error), refused_lines(t, &lines, true), error.status).await
        }
    }
}

/// A catalog write's refusal: the whole (as a problem) and its items.
fn batch_refusal(error: BatchError) -> (ApiError, Vec<quipu_core::market::csv::ItemError>) {
    match error {
        BatchError::Core(error) => (ApiError::from(error), Vec::new()),
        BatchError::Items(refusal) => {
            let detail = format!("{} lines cannot be imported", refusal.total);
            (ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "csv_invalid", detail), refusal.errors)
        }
    }
}

/// "Line 4, price: A price is more than zero." for each refused line of a file (or item of a list).
fn refused_lines(t: crate::i18n::Tr, errors: &[quipu_core::market::csv::ItemError], file: bool) -> Vec<String> {
    errors
        .iter()
        .map(|error| {
            let what = Notice::problem(t, error.code, None, &error.detail).text;
            let at = error.at.to_string();
            let place = if file { t.msg_with("catalog-line", &[("line", &at)]) } else { String::new() };
            match error.field {
                Some(field) if file => format!("{place}, {field}: {what}"),
                Some(field) => format!("{field}: {what}"),
                None if file => format!("{place}: {what}"),
                None => what,
            }
        })
        .collect()
}
