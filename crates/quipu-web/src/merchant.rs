//! The shop owner's console: the day's summary, payments with refunds, and
//! the receipts behind them.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use quipu_api::moves;
use quipu_api::requests::RefundRequest;
use quipu_api::views::{MerchantSummaryView, PaymentPage};
use quipu_domain::payment::PaymentId;
use quipu_http::problem::ApiError;

use crate::auth::SignedIn;
use crate::form::Posted;
use crate::page::{self, Chrome, Notice};
use crate::wallet::{failed, new_key};
use crate::{WebState, result_json};
use quipu_domain::identity::Role;

pub fn routes() -> Router<WebState> {
    Router::new().route("/merchant/", get(console)).route("/merchant/payments/{id}/refund", post(refund))
}

#[derive(Debug, Default, serde::Deserialize)]
struct ConsoleQuery {
    date: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "merchant/console.html")]
struct ConsolePage {
    c: Chrome,
    notice: Notice,
    summary: MerchantSummaryView,
    today: PaymentPage,
    key: String,
}

/// `GET /merchant/`: a day's totals (today unless `date`), then the payments, each refundable.
async fn console(State(state): State<WebState>, who: SignedIn, Query(query): Query<ConsoleQuery>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    let notice = match query.done.as_deref() {
        Some("refunded") => Notice::ok(who.chrome().msg("done-refunded")),
        _ => Notice::none(),
    };
    show(&state, &who, &query, notice, StatusCode::OK).await
}

async fn show(state: &WebState, who: &SignedIn, query: &ConsoleQuery, notice: Notice, status: StatusCode) -> Response {
    let payments = &state.http.services.payments;
    let loaded = async {
        let summary = payments.merchant_summary(&who.principal, query.date.as_deref(), None, None).await?;
        let page = payments.merchant_payments(&who.principal, query.cursor.as_deref(), Some(50)).await?;
        Ok::<_, quipu_core::CoreError>((MerchantSummaryView::from(&summary), PaymentPage::from(&page)))
    };
    match loaded.await {
        Ok((summary, today)) => {
            let page = ConsolePage { c: who.chrome(), notice, summary, today, key: new_key(state) };
            page::html(&page, status, who.chosen())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

/// `POST /merchant/payments/{id}/refund`: the API's refund, whole or part, once per rendered form.
async fn refund(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>, posted: Posted) -> Response {
    let attempt = async {
        who.check(&posted)?;
        let key = posted.idempotency_key()?;
        let body: RefundRequest = posted.request()?;
        result_json(moves::refund(&state.http, &who.principal, &key, PaymentId(id), &body).await).await
    };
    match attempt.await {
        Ok(_) => page::see_other("/merchant/?done=refunded"),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            show(&state, &who, &ConsoleQuery::default(), notice, error.status).await
        }
    }
}
