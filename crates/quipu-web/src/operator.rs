//! The operator's console. Staff do not browse customers: a search finds a
//! person's standing (never a balance or a payment), and to read their
//! history an operator or auditor states a reason and gets a time-limited,
//! read-only grant; each read under it is logged where the person sees it
//! (the wallet's "my data").

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use quipu_api::requests::{AccessGrantRequest, HistoryParams};
use quipu_api::views::{HistoryPage, PeoplePageView, PersonSummaryView};
use quipu_core::wallet::HistoryFilter;
use quipu_domain::identity::UserId;
use quipu_domain::text::StatedReason;
use quipu_http::problem::ApiError;

use crate::WebState;
use crate::auth::SignedIn;
use crate::form::{Posted, Typed};
use crate::page::{self, Chrome, Notice};
use crate::wallet::failed;
use quipu_domain::identity::Role;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/operator/", get(search))
        .route("/operator/people/{id}", get(person))
        .route("/operator/people/{id}/access-grants", post(grant))
        .route("/operator/people/{id}/history", get(history))
}

#[derive(Debug, Default, serde::Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "operator/search.html")]
struct SearchPage {
    c: Chrome,
    notice: Notice,
    q: String,
    found: Option<PeoplePageView>,
}

/// `GET /operator/`: find a person by phone, name or id.
async fn search(State(state): State<WebState>, who: SignedIn, Query(query): Query<SearchQuery>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Operator, Role::Auditor]) {
        return refused;
    }
    let q = query.q.unwrap_or_default();
    let (found, notice, status) = if q.is_empty() {
        (None, Notice::none(), StatusCode::OK)
    } else {
        match state.http.services.support.search(&who.principal, &q, None, None, Some(50)).await {
            Ok(page) => (Some(PeoplePageView::from(&page)), Notice::none(), StatusCode::OK),
            Err(error) => {
                let error = ApiError::from(error);
                (None, Notice::refused(who.chrome().t, &error), error.status)
            }
        }
    };
    page::html(&SearchPage { c: who.chrome(), notice, q, found }, status, who.chosen())
}

#[derive(Template)]
#[template(path = "operator/person.html")]
struct PersonPage {
    c: Chrome,
    notice: Notice,
    typed: Typed,
    summary: PersonSummaryView,
}

/// `GET /operator/people/{id}`: the person's standing, and the form that asks to read their history.
async fn person(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>) -> Response {
    show_person(&state, &who, id, Notice::none(), Typed::default(), StatusCode::OK).await
}

async fn show_person(
    state: &WebState,
    who: &SignedIn,
    id: uuid::Uuid,
    notice: Notice,
    typed: Typed,
    status: StatusCode,
) -> Response {
    match state.http.services.support.summary(&who.principal, UserId(id)).await {
        Ok(summary) => {
            let summary = PersonSummaryView::from(&summary);
            page::html(&PersonPage { c: who.chrome(), notice, typed, summary }, status, who.chosen())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

/// `POST /operator/people/{id}/access-grants`: the API's grant, with the reason as stated.
async fn grant(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>, posted: Posted) -> Response {
    let attempt = async {
        who.check(&posted)?;
        let body: AccessGrantRequest = posted.request()?;
        let reason = StatedReason::try_from(&body)?;
        Ok::<_, ApiError>(
            state.http.services.support.grant_access(&who.principal, UserId(id), &reason, body.hours).await?,
        )
    };
    match attempt.await {
        Ok(_) => page::see_other(&format!("/operator/people/{id}/history")),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            show_person(&state, &who, id, notice, posted.typed(), error.status).await
        }
    }
}

#[derive(Template)]
#[template(path = "operator/history.html")]
struct HistoryScreen {
    c: Chrome,
    id: uuid::Uuid,
    recent: HistoryPage,
}

/// `GET /operator/people/{id}/history`: read under a grant; the read is logged before it happens.
async fn history(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>) -> Response {
    let loaded = async {
        let filter = HistoryFilter::try_from(&HistoryParams { limit: Some(50), ..HistoryParams::default() })?;
        state.http.services.support.read_history(&who.principal, UserId(id), None, &filter).await
    };
    match loaded.await {
        Ok(page) => page::html(
            &HistoryScreen { c: who.chrome(), id, recent: HistoryPage::from(&page) },
            StatusCode::OK,
            who.chosen(),
        ),
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}
