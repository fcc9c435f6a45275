//! The agent's console: the float, cash in, cash out (the customer types
//! their PIN on the agent's device), and prepaid cards.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use quipu_api::cards::requests::{CardNumberRequest, CardTopUpRequest, IssueCardRequest, ReplaceCardRequest};
use quipu_api::common::views::AccountView;
use quipu_api::moves;
use quipu_api::settlement::views::EarningsView;
use quipu_api::wallet::requests::{CashInRequest, CashOutRequest, HistoryParams};
use quipu_api::wallet::views::{HistoryPage, ReceiptView, TransferPreviewView};
use quipu_core::wallet::HistoryFilter;
use quipu_domain::card::CardNumber;
use quipu_domain::identity::PhoneNumber;
use quipu_domain::ledger::TransferId;
use quipu_domain::money::AmountInput;
use quipu_domain::text::shown_person_name;
use quipu_http::problem::ApiError;

use crate::auth::SignedIn;
use crate::form::{Posted, Typed};
use crate::page::{self, Chrome, Notice, failed, new_key};
use crate::{WebState, id_of, result_json};
use quipu_domain::identity::Role;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/agent/", get(cash_in_section))
        .route("/agent/cash-in", post(cash_in))
        .route("/agent/cash-in/confirm", post(confirm_cash_in))
        .route("/agent/cash-out", get(cash_out_section).post(cash_out))
        .route("/agent/cash-out/confirm", post(confirm_cash_out))
        .route("/agent/cards", get(cards_section).post(issue_card))
        .route("/agent/float", get(float_section))
        .route("/agent/cards/top-up", post(top_up_card))
        .route("/agent/cards/block", post(block_card))
        .route("/agent/cards/unblock", post(unblock_card))
        .route("/agent/cards/replace", post(replace_card))
}

/// The counter's sections, one screen each: a phone shows one job at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    CashIn,
    CashOut,
    Cards,
    /// The float's lines and the commissions earned.
    Float,
}

impl Section {
    const ALL: [Section; 4] = [Section::CashIn, Section::CashOut, Section::Cards, Section::Float];

    fn path(self) -> &'static str {
        match self {
            Section::CashIn => "/agent/",
            Section::CashOut => "/agent/cash-out",
            Section::Cards => "/agent/cards",
            Section::Float => "/agent/float",
        }
    }

    /// Its name's message.
    fn title(self) -> &'static str {
        match self {
            Section::CashIn => "cash-in-heading",
            Section::CashOut => "cash-out-heading",
            Section::Cards => "agent-cards-heading",
            Section::Float => "agent-float-heading",
        }
    }
}

#[derive(Template)]
#[template(path = "agent/console.html")]
struct ConsolePage {
    c: Chrome,
    notice: Notice,
    typed: Typed,
    accounts: Vec<AccountView>,
    key: String,
    section: Section,
    sections: [Section; 4],
    /// The float's latest lines (the float section only).
    recent: Option<HistoryPage>,
    /// The commissions earned (the float section only).
    earnings: Option<EarningsView>,
}

/// What the console's URL may say after a form: what was done, and the transfer it made.
#[derive(Debug, Default, serde::Deserialize)]
struct DoneQuery {
    done: Option<String>,
    transfer: Option<uuid::Uuid>,
}

/// `GET /agent/`: the float, then cash in (the counter's most common job).
async fn cash_in_section(State(state): State<WebState>, who: SignedIn, Query(done): Query<DoneQuery>) -> Response {
    console(state, who, done, Section::CashIn).await
}

/// `GET /agent/cash-out`.
async fn cash_out_section(State(state): State<WebState>, who: SignedIn, Query(done): Query<DoneQuery>) -> Response {
    console(state, who, done, Section::CashOut).await
}

/// `GET /agent/cards`: issue, load, block and replace prepaid cards.
async fn cards_section(State(state): State<WebState>, who: SignedIn, Query(done): Query<DoneQuery>) -> Response {
    console(state, who, done, Section::Cards).await
}

/// `GET /agent/float`: the float's lines and the commissions earned.
async fn float_section(State(state): State<WebState>, who: SignedIn, Query(done): Query<DoneQuery>) -> Response {
    console(state, who, done, Section::Float).await
}

async fn console(state: WebState, who: SignedIn, done: DoneQuery, section: Section) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Agent]) {
        return refused;
    }
    let notice = match (done.done.as_deref(), done.transfer) {
        (Some(word @ ("cash-in" | "cash-out" | "top-up")), Some(transfer)) => {
            done_notice(&state, &who, word, TransferId(transfer)).await
        }
        _ => page::done_notice(who.chrome().t, done.done.as_deref(), &["blocked", "unblocked"]),
    };
    show(&state, &who, notice, Typed::default(), section, StatusCode::OK).await
}

/// "Cash in done: 5.00 USD to Amina D. Reference 3F9A-21C0": who (as the network shows them), how
/// much, and the reference the customer keeps (their receipt's id ends with it). Read from the
/// transfer's receipt, which only its parties may see, so a URL cannot make it say anything else.
async fn done_notice(state: &WebState, who: &SignedIn, word: &str, transfer: TransferId) -> Notice {
    let t = who.chrome().t;
    match state.http.services.wallet.receipt(&who.principal, transfer).await {
        Ok(receipt) => {
            let receipt = ReceiptView::from(&receipt);
            // The customer's side: credited by a cash-in or a card load, debited by a cash-out.
            let party = if word == "cash-out" { &receipt.from } else { &receipt.to };
            let name = if party.kind == "customer" { shown_person_name(&party.name) } else { party.name.clone() };
            let amount = format!("{} {}", receipt.amount.amount, receipt.amount.currency);
            let args = [("amount", amount.as_str()), ("name", name.as_str()), ("reference", &receipt.short_reference)];
            Notice::ok(t.msg_with(&format!("confirm-done-{word}"), &args))
        }
        Err(_) => Notice::none(),
    }
}

async fn show(
    state: &WebState,
    who: &SignedIn,
    notice: Notice,
    typed: Typed,
    section: Section,
    status: StatusCode,
) -> Response {
    let services = &state.http.services;
    let loaded = async {
        let profile = services.identity.profile(&who.principal).await?;
        let (recent, earnings) = if section == Section::Float {
            let filter = HistoryFilter::try_from(&HistoryParams { limit: Some(20), ..HistoryParams::default() })?;
            let float = services.wallet.primary_account(&who.principal).await?;
            let recent = services.wallet.history(&who.principal, float, &filter).await?;
            let earnings = services.wallet.earnings(&who.principal).await?;
            (Some(HistoryPage::from(&recent)), Some(EarningsView::from(&earnings)))
        } else {
            (None, None)
        };
        Ok::<_, quipu_core::CoreError>((profile.accounts.iter().map(AccountView::from).collect(), recent, earnings))
    };
    match loaded.await {
        Ok((accounts, recent, earnings)) => {
            let key = new_key(state);
            let sections = Section::ALL;
            let page =
                ConsolePage { c: who.chrome(), notice, typed, accounts, key, section, sections, recent, earnings };
            page::html(&page, status, who.reader())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

/// The section the form was on, again, with why it was refused and what was typed.
async fn refused(state: &WebState, who: &SignedIn, posted: &Posted, error: ApiError, section: Section) -> Response {
    let notice = Notice::refused(who.chrome().t, &error);
    show(state, who, notice, posted.typed(), section, error.status).await
}

#[derive(Template)]
#[template(path = "agent/confirm.html")]
struct ConfirmPage {
    c: Chrome,
    notice: Notice,
    /// "cash-in" or "cash-out": the form's action and its words.
    operation: &'static str,
    /// "Take 5.00 USD in cash for Amina D.?", in the reader's language.
    question: String,
    preview: TransferPreviewView,
    typed: Typed,
    key: String,
}

/// What a cash-in or cash-out would do, through the same check the API's `/agent/recipient` makes:
/// the customer's shown name (a merchant owner's business too, for a cash-out), the amount, the fee.
async fn cash_preview(
    state: &WebState,
    who: &SignedIn,
    posted: &Posted,
    cash_in: bool,
) -> Result<TransferPreviewView, ApiError> {
    let body: CashInRequest = posted.only(&["customer_phone", "amount", "currency"]).request()?;
    let phone = PhoneNumber::parse(&body.customer_phone).map_err(quipu_core::CoreError::from)?;
    let amount = AmountInput { amount: &body.amount, currency: body.currency.as_deref() };
    let preview = state.http.services.wallet.cash_preview(&who.principal, &phone, amount, cash_in).await?;
    Ok(TransferPreviewView::from(&preview))
}

fn show_confirm(
    state: &WebState,
    who: &SignedIn,
    operation: &'static str,
    notice: Notice,
    preview: TransferPreviewView,
    posted: &Posted,
    status: StatusCode,
) -> Response {
    let c = who.chrome();
    let amount = format!("{} {}", preview.amount.amount, preview.amount.currency);
    let name = match &preview.recipient.merchant_name {
        Some(business) => format!("{} ({business})", preview.recipient.name),
        None => preview.recipient.name.clone(),
    };
    let question = c.t.msg_with(&format!("confirm-{operation}-question"), &[("amount", &amount), ("name", &name)]);
    let page = ConfirmPage { c, notice, operation, question, preview, typed: posted.typed(), key: new_key(state) };
    page::html(&page, status, who.reader())
}

/// The confirmation after a refusal of the move itself (a wrong PIN), else the console with why.
async fn refused_move(state: &WebState, who: &SignedIn, posted: &Posted, error: ApiError, cash_in: bool) -> Response {
    let operation = if cash_in { "cash-in" } else { "cash-out" };
    match cash_preview(state, who, posted, cash_in).await {
        Ok(preview) => {
            let notice = Notice::refused(who.chrome().t, &error);
            show_confirm(state, who, operation, notice, preview, posted, error.status)
        }
        Err(_) => refused(state, who, posted, error, if cash_in { Section::CashIn } else { Section::CashOut }).await,
    }
}

async fn confirm(state: WebState, who: SignedIn, posted: Posted, cash_in: bool) -> Response {
    let operation = if cash_in { "cash-in" } else { "cash-out" };
    let attempt = async { cash_preview(&state, &who, &posted, cash_in).await };
    match attempt.await {
        Ok(preview) => show_confirm(&state, &who, operation, Notice::none(), preview, &posted, StatusCode::OK),
        Err(error) => {
            let section = if cash_in { Section::CashIn } else { Section::CashOut };
            refused(&state, &who, &posted, error, section).await
        }
    }
}

/// `POST /agent/cash-in/confirm`: the customer's name read back before the agent takes the cash.
async fn confirm_cash_in(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    confirm(state, who, posted, true).await
}

/// `POST /agent/cash-out/confirm`: the customer's name read back; they type their PIN on the next page.
async fn confirm_cash_out(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    confirm(state, who, posted, false).await
}

/// `POST /agent/cash-in`: the API's cash-in, once per rendered confirmation.
async fn cash_in(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, CashInRequest) = posted.money_request()?;
        result_json(moves::cash_in(&state.http, &who.principal, &key, &body).await).await
    };
    match attempt.await {
        Ok(moved) => page::see_other(&format!("/agent/?done=cash-in&transfer={}", id_of(&moved))),
        Err(error) => refused_move(&state, &who, &posted, error, true).await,
    }
}

/// `POST /agent/cash-out`: the API's cash-out; the customer typed their PIN on this device.
async fn cash_out(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, CashOutRequest) = posted.money_request()?;
        result_json(moves::cash_out(&state.http, &who.principal, &key, &body).await).await
    };
    match attempt.await {
        Ok(moved) => page::see_other(&format!("/agent/cash-out?done=cash-out&transfer={}", id_of(&moved))),
        Err(error) => refused_move(&state, &who, &posted, error, false).await,
    }
}

/// `POST /agent/cards`: the API's card issue; the holder picked the PIN on the keypad.
async fn issue_card(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, IssueCardRequest) = posted.money_request()?;
        result_json(moves::issue_card(&state.http, &who.principal, &key, &body).await).await
    };
    match attempt.await {
        Ok(card) => card_sheet(&state, &who, &card),
        Err(error) => refused(&state, &who, &posted, error, Section::Cards).await,
    }
}

/// `POST /agent/cards/top-up`: the API's card top-up from the float, against cash.
async fn top_up_card(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, CardTopUpRequest) = posted.money_request()?;
        result_json(moves::top_up_card(&state.http, &who.principal, &key, &body).await).await
    };
    match attempt.await {
        Ok(moved) => {
            let transfer = moved.get("transfer").map(id_of).unwrap_or_default();
            page::see_other(&format!("/agent/cards?done=top-up&transfer={transfer}"))
        }
        Err(error) => refused(&state, &who, &posted, error, Section::Cards).await,
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
        let body: CardNumberRequest = posted.request()?;
        let number = CardNumber::try_from(&body)?;
        Ok::<_, ApiError>(state.http.services.cards.set_card_blocked(&who.principal, &number, blocked).await?)
    };
    match attempt.await {
        Ok(_) if blocked => page::see_other("/agent/cards?done=blocked"),
        Ok(_) => page::see_other("/agent/cards?done=unblocked"),
        Err(error) => refused(&state, &who, &posted, error, Section::Cards).await,
    }
}

/// `POST /agent/cards/replace`: a new card for a lost or worn one, its balance moved across; the
/// holder proves it is theirs (the old card's PIN, their own PIN, or an operator's approval).
async fn replace_card(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, ReplaceCardRequest) = posted.money_request()?;
        result_json(moves::replace_card(&state.http, &who.principal, &key, &body).await).await
    };
    match attempt.await {
        Ok(replaced) => card_sheet(&state, &who, replaced.get("card").unwrap_or(&serde_json::Value::Null)),
        Err(error) => refused(&state, &who, &posted, error, Section::Cards).await,
    }
}

#[derive(Template)]
#[template(path = "agent/card.html")]
struct CardSheet {
    c: Chrome,
    number: String,
    qr: String,
    barcode: String,
    /// The key of the sheet's own load form: the card is loaded from here, its number already known.
    key: String,
}

/// The printable card sheet: the number as digits, a QR and a Code 128 barcode drawn here as inline
/// SVG (ours, digits only; the number never goes into a URL, where logs would keep it), and a form
/// that loads the new card without typing its 16 digits again. A repeated post shows the same card.
fn card_sheet(state: &WebState, who: &SignedIn, card: &serde_json::Value) -> Response {
    let number = card.get("number").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
    let svg = |image: Result<Vec<u8>, quipu_codes::render::RenderError>| {
        image.ok().and_then(|bytes| String::from_utf8(bytes).ok()).unwrap_or_default()
    };
    let qr = svg(quipu_codes::render::qr(&number, quipu_codes::render::ImageFormat::Svg));
    let barcode = svg(quipu_codes::render::code128(&number, quipu_codes::render::ImageFormat::Svg));
    let page = CardSheet { c: who.chrome(), number, qr, barcode, key: new_key(state) };
    page::html(&page, StatusCode::CREATED, who.reader())
}
