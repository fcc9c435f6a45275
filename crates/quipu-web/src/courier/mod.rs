//! The courier's app, phone-first in the wallet's style: go online or offline, the offers near
//! them with the distance to the shop and from the shop to the door and the fee, claim one, then
//! the job's page: the shop and the door (each a `geo:` link that opens the phone's own map app),
//! the step the domain allows next, and delivery with the customer's code. While a job is under
//! way, `courier-job.js` sends the phone's position and, with no signal at the door, keeps the
//! code and its time until the phone reconnects. Earnings are the wallet's lines.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use quipu_api::common::views::AccountView;
use quipu_api::delivery::requests::{CourierStatusRequest, DeliverRequest, JobStepRequest};
use quipu_api::delivery::views::{CourierView, JobOfferView, JobView};
use quipu_api::wallet::requests::HistoryParams;
use quipu_api::wallet::views::HistoryPage;
use quipu_core::wallet::HistoryFilter;
use quipu_domain::delivery::JobId;
use quipu_domain::identity::Role;
use quipu_http::problem::ApiError;

use crate::WebState;
use crate::auth::SignedIn;
use crate::form::Posted;
use crate::page::{self, Chrome, Done, Notice, failed};

/// Most lines of earnings the home page shows.
const EARNINGS_LINES: u32 = 10;
/// Most of the courier's jobs the home page lists.
const JOBS_SHOWN: u32 = 20;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/courier/", get(home))
        .route("/courier/status", post(set_status))
        .route("/courier/jobs/{id}", get(job))
        .route("/courier/jobs/{id}/claim", post(claim))
        .route("/courier/jobs/{id}/step", post(step))
        .route("/courier/jobs/{id}/deliver", post(deliver))
}

#[derive(Template)]
#[template(path = "courier/home.html")]
struct HomePage {
    c: Chrome,
    notice: Notice,
    courier: CourierView,
    accounts: Vec<AccountView>,
    offers: Vec<JobOfferView>,
    active: Vec<JobView>,
    /// The wallet's latest lines: fees and tips earned, cash-outs.
    recent: HistoryPage,
}

/// `GET /courier/`: online or not, the jobs under way, the offers near them, and earnings.
async fn home(State(state): State<WebState>, who: SignedIn, Query(done): Query<Done>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Courier]) {
        return refused;
    }
    let services = &state.http.services;
    let caller = &who.principal;
    let loaded = async {
        let courier = CourierView::from(&services.delivery.me(caller).await?);
        let profile = services.identity.profile(caller).await?;
        let offers = services.delivery.offers(caller).await?;
        let active = services.delivery.my_jobs(caller, true, JOBS_SHOWN).await?;
        let filter =
            HistoryFilter::try_from(&HistoryParams { limit: Some(EARNINGS_LINES), ..HistoryParams::default() })?;
        let wallet = services.wallet.primary_account(caller).await?;
        let earnings = services.wallet.history(caller, wallet, &filter).await?;
        Ok::<_, quipu_core::CoreError>(HomePage {
            c: who.chrome(),
            notice: done.notice(who.chrome().t, &["online", "offline", "dropped", "delivered"]),
            courier,
            accounts: profile.accounts.iter().map(AccountView::from).collect(),
            offers: offers.iter().map(JobOfferView::from).collect(),
            active: active.iter().map(JobView::from).collect(),
            recent: HistoryPage::from(&earnings),
        })
    };
    match loaded.await {
        Ok(page) => page::html(&page, StatusCode::OK, who.reader()),
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}

/// `POST /courier/status`: go online (see and claim offers) or offline.
async fn set_status(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Courier]) {
        return refused;
    }
    let attempt = async {
        let body: CourierStatusRequest = posted.request()?;
        state.http.services.delivery.set_online(&who.principal, body.online).await?;
        Ok::<_, ApiError>(body.online)
    };
    match attempt.await {
        Ok(true) => page::see_other("/courier/?done=online"),
        Ok(false) => page::see_other("/courier/?done=offline"),
        Err(error) => failed(&who, &error),
    }
}

#[derive(Template)]
#[template(path = "courier/job.html")]
struct JobPage {
    c: Chrome,
    notice: Notice,
    job: JobView,
    /// The phone sends where it is: the job is under way.
    tracking: bool,
}

/// `GET /courier/jobs/{id}`: one of the courier's jobs.
async fn job(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    Query(done): Query<Done>,
) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Courier]) {
        return refused;
    }
    match state.http.services.delivery.job(&who.principal, JobId(id)).await {
        Ok(job) => {
            let tracking = job.record.status.is_under_way();
            let c = who.chrome();
            let notice = done.notice(c.t, &["at-pickup", "picked-up", "at-drop-off", "returning", "claimed"]);
            page::html(&JobPage { c, notice, job: JobView::from(&job), tracking }, StatusCode::OK, who.reader())
        }
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}

/// `POST /courier/jobs/{id}/claim`: the first claim wins; a courier who lost hears who was first.
async fn claim(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>, _posted: Posted) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Courier]) {
        return refused;
    }
    match state.http.services.delivery.claim(&who.principal, JobId(id)).await {
        Ok(_) => page::see_other(&format!("/courier/jobs/{id}?done=claimed")),
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}

/// `POST /courier/jobs/{id}/step`: at the shop, picked up, at the door, bringing the goods back
/// (with a reason), or dropping the job before pickup.
async fn step(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>, posted: Posted) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Courier]) {
        return refused;
    }
    let attempt = async {
        let body: JobStepRequest = posted.request()?;
        let to = body.status()?;
        state.http.services.delivery.courier_step(&who.principal, JobId(id), to, body.reason).await?;
        Ok::<_, ApiError>(to)
    };
    match attempt.await {
        // A dropped job is not theirs any more: back to the offers.
        Ok(quipu_domain::delivery::job::JobStatus::Offered) => page::see_other("/courier/?done=dropped"),
        Ok(to) => page::see_other(&format!("/courier/jobs/{id}?done={}", to.as_str().replace('_', "-"))),
        Err(error) => failed(&who, &error),
    }
}

/// `POST /courier/jobs/{id}/deliver`: the customer's code; the order is completed and the courier
/// paid. (With no signal the page's script keeps the code and sends it to the API on reconnect.)
async fn deliver(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>, posted: Posted) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Courier]) {
        return refused;
    }
    let attempt = async {
        let body: DeliverRequest = posted.request()?;
        let typed_at = body.typed_at()?;
        state.http.services.delivery.deliver(&who.principal, JobId(id), &body.code, typed_at).await?;
        Ok::<_, ApiError>(())
    };
    match attempt.await {
        Ok(()) => page::see_other("/courier/?done=delivered"),
        Err(error) => failed(&who, &error),
    }
}
