//! The operator moderates the market's reviews: the newest of every shop with all their words
//! (hidden ones too, and why), and beside each one still shown a form that hides its words with a
//! reason: the API's `POST /api/v1/operator/reviews/{id}/hide`, run by the same service. The
//! stars still count, so hiding deals with abusive words and never with a shop's standing.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use quipu_api::habits::views::ModerationReviewView;
use quipu_core::store::habits::MAX_REVIEWS_PAGE;
use quipu_domain::identity::Role;
use quipu_domain::market::review::ReviewId;
use quipu_http::problem::ApiError;

use crate::WebState;
use crate::auth::SignedIn;
use crate::form::{Posted, Typed};
use crate::page::{self, Chrome, Done, Notice, failed};

pub fn routes() -> Router<WebState> {
    Router::new().route("/operator/reviews", get(reviews)).route("/operator/reviews/{id}/hide", post(hide))
}

#[derive(Template)]
#[template(path = "operator/reviews.html")]
struct ReviewsPage {
    c: Chrome,
    notice: Notice,
    reviews: Vec<ModerationReviewView>,
    /// The review whose form was refused (its id), and what was typed into it; empty otherwise.
    refused: String,
    typed: Typed,
}

/// What the hide form sends. An empty reason is kept as empty, not missing, so the service
/// refuses it in its own words (`reason_invalid`) as it does for the API.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct HideForm {
    #[serde(default)]
    reason: String,
}

/// `GET /operator/reviews`: the newest reviews (one page, the API's largest), each with its form.
async fn reviews(State(state): State<WebState>, who: SignedIn, Query(done): Query<Done>) -> Response {
    let notice = done.notice(who.chrome().t, &["hidden"]);
    show(&state, &who, notice, (String::new(), Typed::default()), StatusCode::OK).await
}

async fn show(
    state: &WebState,
    who: &SignedIn,
    notice: Notice,
    (refused, typed): (String, Typed),
    status: StatusCode,
) -> Response {
    if let Some(refusal) = who.refused_unless(&[Role::Operator]) {
        return refusal;
    }
    match state.http.services.market.recent_reviews(&who.principal, MAX_REVIEWS_PAGE, 0).await {
        Ok(found) => {
            let reviews = found.iter().map(ModerationReviewView::from).collect();
            page::html(&ReviewsPage { c: who.chrome(), notice, reviews, refused, typed }, status, who.reader())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

/// `POST /operator/reviews/{id}/hide`: the API's hiding, with the reason as typed; refused, the
/// page again with why, and the reason kept in that review's form.
async fn hide(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>, posted: Posted) -> Response {
    if let Some(refusal) = who.refused_unless(&[Role::Operator]) {
        return refusal;
    }
    let attempt = async {
        let form: HideForm = posted.request()?;
        Ok::<_, ApiError>(state.http.services.market.hide_review(&who.principal, ReviewId(id), &form.reason).await?)
    };
    match attempt.await {
        Ok(_) => page::see_other("/operator/reviews?done=hidden"),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            show(&state, &who, notice, (id.to_string(), posted.typed()), error.status).await
        }
    }
}
