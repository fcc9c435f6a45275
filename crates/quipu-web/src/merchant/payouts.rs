//! The owner's money out: what is available, the shop's bank accounts, payouts asked for and
//! their progress, and the daily automatic payout. Each form is the API's operation
//! (`/api/v1/merchant/bank-accounts`, `payouts`, `payout-schedule`) through the same services.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use quipu_api::common::views::MoneyView;
use quipu_api::identity::views::MerchantView;
use quipu_api::moves;
use quipu_api::settlement::requests::{BankAccountRequest, PayoutRequest, PayoutScheduleRequest};
use quipu_api::settlement::views::{BankAccountView, PayoutScheduleView, PayoutView};
use quipu_domain::identity::Role;
use quipu_http::problem::ApiError;

use crate::auth::SignedIn;
use crate::form::{Posted, Typed};
use crate::page::{self, Chrome, Notice, failed, new_key};
use crate::{WebState, result_json};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/merchant/payouts", get(payouts).post(request_payout))
        .route("/merchant/bank-accounts", post(add_bank_account))
        .route("/merchant/payout-schedule", post(set_schedule))
}

#[derive(Template)]
#[template(path = "merchant/payouts.html")]
struct PayoutsPage {
    c: Chrome,
    notice: Notice,
    typed: Typed,
    key: String,
    /// What the shop's accounts may pay out now, one per currency.
    available: Vec<MoneyView>,
    bank_accounts: Vec<BankAccountView>,
    payouts: Vec<PayoutView>,
    schedules: Vec<PayoutScheduleView>,
}

const DONE: [&str; 3] = ["payout-requested", "bank-account-added", "payout-schedule-saved"];

/// `GET /merchant/payouts`.
async fn payouts(State(state): State<WebState>, who: SignedIn, Query(done): Query<page::Done>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    let notice = done.notice(who.chrome().t, &DONE);
    show(&state, &who, notice, Typed::default(), StatusCode::OK).await
}

async fn show(state: &WebState, who: &SignedIn, notice: Notice, typed: Typed, status: StatusCode) -> Response {
    let services = &state.http.services;
    let loaded = async {
        let merchant = MerchantView::from(&services.identity.merchant(&who.principal).await?);
        let bank_accounts = services.settlement.bank_accounts(&who.principal).await?;
        let payouts = services.settlement.payouts(&who.principal).await?;
        let schedules = services.settlement.schedules(&who.principal).await?;
        Ok::<_, quipu_core::CoreError>(PayoutsPage {
            c: who.chrome(),
            notice,
            typed,
            key: new_key(state),
            available: merchant
                .accounts
                .into_iter()
                .filter(|account| account.kind == "merchant")
                .map(|account| account.available)
                .collect(),
            bank_accounts: bank_accounts.iter().map(BankAccountView::from).collect(),
            payouts: payouts.iter().map(PayoutView::from).collect(),
            schedules: schedules.iter().map(PayoutScheduleView::from).collect(),
        })
    };
    match loaded.await {
        Ok(page) => page::html(&page, status, who.reader()),
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

/// The page again with the refusal, in the reader's words, and what they typed.
async fn refused(state: &WebState, who: &SignedIn, posted: &Posted, error: ApiError) -> Response {
    let notice = Notice::refused(who.chrome().t, &error);
    show(state, who, notice, posted.typed(), error.status).await
}

/// `POST /merchant/payouts`: the API's payout, once per rendered form; the money is held at once.
async fn request_payout(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, PayoutRequest) = posted.money_request()?;
        result_json(moves::payout(&state.http, &who.principal, &key, &body).await).await
    };
    match attempt.await {
        Ok(_) => page::see_other("/merchant/payouts?done=payout-requested"),
        Err(error) => refused(&state, &who, &posted, error).await,
    }
}

/// `POST /merchant/bank-accounts`: a bank account the shop is paid out to (shown masked from then on).
async fn add_bank_account(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let body: BankAccountRequest = posted.request()?;
        let (bank, holder, number) = <(_, _, _)>::try_from(&body)?;
        state.http.services.settlement.add_bank_account(&who.principal, &bank, &holder, &number).await?;
        Ok::<_, ApiError>(())
    };
    match attempt.await {
        Ok(()) => page::see_other("/merchant/payouts?done=bank-account-added"),
        Err(error) => refused(&state, &who, &posted, error).await,
    }
}

/// `POST /merchant/payout-schedule`: a daily payout above a threshold, or (with no account) none.
async fn set_schedule(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let body: PayoutScheduleRequest = posted.request()?;
        let schedule = match (body.bank_account_id, body.threshold.as_deref()) {
            (Some(account), Some(threshold)) => Some((account, threshold)),
            (None, _) => None,
            (Some(_), None) => {
                let detail = "threshold is required with a bank account";
                return Err(ApiError::from(quipu_core::CoreError::new(
                    quipu_core::ErrorKind::Rejected,
                    "threshold_required",
                    detail,
                )));
            }
        };
        let settlement = &state.http.services.settlement;
        settlement.set_schedule(&who.principal, body.currency.as_deref(), schedule).await?;
        Ok(())
    };
    match attempt.await {
        Ok(()) => page::see_other("/merchant/payouts?done=payout-schedule-saved"),
        Err(error) => refused(&state, &who, &posted, error).await,
    }
}
