//! The operator's live board of deliveries: every job under way, oldest first, with its age, its
//! shop, its courier and whether the shop was told nobody claimed it; beside each, a form that
//! gives it to a courier (by their phone number) and, while nobody has the goods, one that cancels
//! it with a reason (the order is cancelled and the customer's money goes back). The API's
//! `GET /api/v1/operator/jobs`, `POST /api/v1/jobs/{id}/assign` and
//! `POST /api/v1/operator/jobs/{id}/cancel`, run by the same services.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use quipu_api::delivery::requests::CancelJobRequest;
use quipu_api::delivery::views::LiveJobView;
use quipu_domain::delivery::JobId;
use quipu_domain::delivery::job::JobStatus;
use quipu_domain::identity::{PhoneNumber, Role};
use quipu_domain::state::StateMachine;
use quipu_http::problem::ApiError;

use crate::WebState;
use crate::auth::SignedIn;
use crate::form::Posted;
use crate::page::{self, Chrome, Done, Notice, failed};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/operator/deliveries", get(board))
        .route("/operator/deliveries/{id}/assign", post(assign))
        .route("/operator/deliveries/{id}/cancel", post(cancel))
}

/// A live job and what the operator may do to it, as the domain's table says.
struct LiveRow {
    job: LiveJobView,
    may_assign: bool,
    may_cancel: bool,
}

#[derive(Template)]
#[template(path = "operator/deliveries.html")]
struct BoardPage {
    c: Chrome,
    notice: Notice,
    jobs: Vec<LiveRow>,
}

/// `GET /operator/deliveries`: the live board.
async fn board(State(state): State<WebState>, who: SignedIn, Query(done): Query<Done>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Operator]) {
        return refused;
    }
    let notice = done.notice(who.chrome().t, &["assigned", "delivery-cancelled"]);
    show(&state, &who, notice, StatusCode::OK).await
}

async fn show(state: &WebState, who: &SignedIn, notice: Notice, status: StatusCode) -> Response {
    let services = &state.http.services;
    match services.delivery.live_jobs(&who.principal).await {
        Ok(jobs) => {
            let now = services.kernel.now();
            let jobs = jobs
                .iter()
                .map(|live| {
                    let step = live.job.status;
                    LiveRow {
                        job: LiveJobView::new(live, now),
                        may_assign: step == JobStatus::Offered || step.is_before_pickup(),
                        may_cancel: step.may_become(JobStatus::Cancelled),
                    }
                })
                .collect();
            page::html(&BoardPage { c: who.chrome(), notice, jobs }, status, who.reader())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

/// What the assign form sends: the courier's phone number, as the operator reads it off a list.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignForm {
    #[serde(default)]
    courier_phone: String,
}

/// `POST /operator/deliveries/{id}/assign`: gives the job to the courier with that phone number.
async fn assign(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>, posted: Posted) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Operator]) {
        return refused;
    }
    let services = &state.http.services;
    let attempt = async {
        let form: AssignForm = posted.request()?;
        let phone = PhoneNumber::parse(&form.courier_phone).map_err(quipu_core::CoreError::from)?;
        let courier = services.kernel.user_with_role(&phone, Role::Courier, "courier").await?;
        services.delivery.assign(&who.principal, JobId(id), courier.id).await?;
        Ok::<_, ApiError>(())
    };
    match attempt.await {
        Ok(()) => page::see_other("/operator/deliveries?done=assigned"),
        Err(error) => refused(&state, &who, &error).await,
    }
}

/// `POST /operator/deliveries/{id}/cancel`: cancels a delivery nobody has picked up, saying why.
async fn cancel(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>, posted: Posted) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Operator]) {
        return refused;
    }
    let attempt = async {
        let form: CancelJobRequest = posted.request()?;
        state.http.services.delivery.cancel_by_operator(&who.principal, JobId(id), &form.reason).await?;
        Ok::<_, ApiError>(())
    };
    match attempt.await {
        Ok(()) => page::see_other("/operator/deliveries?done=delivery-cancelled"),
        Err(error) => refused(&state, &who, &error).await,
    }
}

/// The board again, saying why what was asked was refused.
async fn refused(state: &WebState, who: &SignedIn, error: &ApiError) -> Response {
    let notice = Notice::refused(who.chrome().t, error);
    show(state, who, notice, error.status).await
}
