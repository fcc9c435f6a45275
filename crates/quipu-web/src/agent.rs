//! The agent's console: the float, cash in, cash out (the customer types
//! their PIN on the agent's device), and prepaid cards.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use quipu_api::moves;
use quipu_api::requests::{
    CardNumberRequest, CardTopUpRequest, CashInRequest, CashOutRequest, HistoryParams, IssueCardRequest,
    ReplaceCardRequest,
};
use quipu_api::views::{AccountView, HistoryPage};
use quipu_core::wallet::HistoryFilter;
use quipu_domain::card::CardNumber;
use quipu_http::problem::ApiError;

use crate::auth::SignedIn;
use crate::form::{Posted, Typed};
use crate::page::{self, Chrome, Notice};
use crate::wallet::{failed, new_key};
use crate::{WebState, result_json};
use quipu_domain::identity::Role;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/agent/", get(console))
        .route("/agent/cash-in", post(cash_in))
        .route("/agent/cash-out", post(cash_out))
        .route("/agent/cards", post(issue_card))
        .route("/agent/cards/top-up", post(top_up_card))
        .route("/agent/cards/block", post(block_card))
        .route("/agent/cards/unblock", post(unblock_card))
        .route("/agent/cards/replace", post(replace_card))
}

#[derive(Template)]
#[template(path = "agent/console.html")]
struct ConsolePage {
    c: Chrome,
    notice: Notice,
    typed: Typed,
    accounts: Vec<AccountView>,
    key: String,
    /// The float's latest lines.
    recent: HistoryPage,
}

/// `GET /agent/`.
async fn console(State(state): State<WebState>, who: SignedIn, Query(done): Query<page::Done>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Agent]) {
        return refused;
    }
    let notice = done.notice(who.chrome().t, &["cash-in", "cash-out", "top-up", "blocked", "unblocked"]);
    show(&state, &who, notice, Typed::default(), StatusCode::OK).await
}

async fn show(state: &WebState, who: &SignedIn, notice: Notice, typed: Typed, status: StatusCode) -> Response {
    let services = &state.http.services;
    let loaded = async {
        let profile = services.identity.profile(&who.principal).await?;
        let filter = HistoryFilter::try_from(&HistoryParams { limit: Some(20), ..HistoryParams::default() })?;
        let float = services.wallet.primary_account(&who.principal).await?;
        let recent = services.wallet.history(&who.principal, float, &filter).await?;
        Ok::<_, quipu_core::CoreError>((
            profile.accounts.iter().map(AccountView::from).collect(),
            HistoryPage::from(&recent),
        ))
    };
    match loaded.await {
        Ok((accounts, recent)) => {
            let page = ConsolePage { c: who.chrome(), notice, typed, accounts, key: new_key(state), recent };
            page::html(&page, status, who.reader())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

async fn refused(state: &WebState, who: &SignedIn, posted: &Posted, error: ApiError) -> Response {
    let notice = Notice::refused(who.chrome().t, &error);
    show(state, who, notice, posted.typed(), error.status).await
}

/// `POST /agent/cash-in`: the API's cash-in, once per rendered form.
async fn cash_in(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, CashInRequest) = who.money_form(&posted)?;
        result_json(moves::cash_in(&state.http, &who.principal, &key, &body).await).await
    };
    match attempt.await {
        Ok(_) => page::see_other("/agent/?done=cash-in"),
        Err(error) => refused(&state, &who, &posted, error).await,
    }
}

/// `POST /agent/cash-out`: the API's cash-out; the customer typed their PIN on this device.
async fn cash_out(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, CashOutRequest) = who.money_form(&posted)?;
        result_json(moves::cash_out(&state.http, &who.principal, &key, &body).await).await
    };
    match attempt.await {
        Ok(_) => page::see_other("/agent/?done=cash-out"),
        Err(error) => refused(&state, &who, &posted, error).await,
    }
}

/// `POST /agent/cards`: the API's card issue; the holder picked the PIN on the keypad.
async fn issue_card(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, IssueCardRequest) = who.money_form(&posted)?;
        result_json(moves::issue_card(&state.http, &who.principal, &key, &body).await).await
    };
    match attempt.await {
        Ok(card) => card_sheet(&who, &card),
        Err(error) => refused(&state, &who, &posted, error).await,
    }
}

/// `POST /agent/cards/top-up`: the API's card top-up from the float, against cash.
async fn top_up_card(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, CardTopUpRequest) = who.money_form(&posted)?;
        result_json(moves::top_up_card(&state.http, &who.principal, &key, &body).await).await
    };
    match attempt.await {
        Ok(_) => page::see_other("/agent/?done=top-up"),
        Err(error) => refused(&state, &who, &posted, error).await,
    }
}

/// `POST /agent/cards/block` and `/unblock`: a card reported lost stops paying; found, it pays again.
async fn block_card(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    set_blocked(state, who, posted, true).await
}

async fn unblock_card(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    set_blocked(state, who, posted, false).await
}

async fn set_blocked(state: WebState, who: SignedIn, posted: Posted, blocked: bool) -> Response {
    let attempt = async {
        let body: CardNumberRequest = who.form(&posted)?;
        let number = CardNumber::try_from(&body)?;
        Ok::<_, ApiError>(state.http.services.cards.set_card_blocked(&who.principal, &number, blocked).await?)
    };
    match attempt.await {
        Ok(_) if blocked => page::see_other("/agent/?done=blocked"),
        Ok(_) => page::see_other("/agent/?done=unblocked"),
        Err(error) => refused(&state, &who, &posted, error).await,
    }
}

/// `POST /agent/cards/replace`: a new card for a lost or worn one, its balance moved across; the
/// holder proves it is theirs (the old card's PIN, their own PIN, or an operator's approval).
async fn replace_card(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, ReplaceCardRequest) = who.money_form(&posted)?;
        result_json(moves::replace_card(&state.http, &who.principal, &key, &body).await).await
    };
    match attempt.await {
        Ok(replaced) => card_sheet(&who, replaced.get("card").unwrap_or(&serde_json::Value::Null)),
        Err(error) => refused(&state, &who, &posted, error).await,
    }
}

#[derive(Template)]
#[template(path = "agent/card.html")]
struct CardSheet {
    c: Chrome,
    number: String,
    qr: String,
    barcode: String,
}

/// The printable card sheet: the number as digits, a QR and a Code 128 barcode drawn here as inline
/// SVG (ours, digits only; the
/// number never goes into a URL, where logs would keep it). A repeated post shows the same card.
fn card_sheet(who: &SignedIn, card: &serde_json::Value) -> Response {
    let number = card.get("number").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
    let svg = |image: Result<Vec<u8>, quipu_codes::render::RenderError>| {
        image.ok().and_then(|bytes| String::from_utf8(bytes).ok()).unwrap_or_default()
    };
    let qr = svg(quipu_codes::render::qr(&number, quipu_codes::render::ImageFormat::Svg));
    let barcode = svg(quipu_codes::render::code128(&number, quipu_codes::render::ImageFormat::Svg));
    page::html(&CardSheet { c: who.chrome(), number, qr, barcode }, StatusCode::CREATED, who.reader())
}
