//! The customer's wallet: sign up, the home screen (balance, payments
//! awaiting approval, recent lines), the pay screen that works offline
//! (`wallet-pay.js` computes the code on the phone; the service worker keeps
//! the screen), sending money, history, and "my data".

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use quipu_api::common::views::AccountView;
use quipu_api::identity::requests::{FundingSourceRequest, RegisterRequest};
use quipu_api::identity::views::AccessLogView;
use quipu_api::merchant_qr::requests::{PayQrRequest, ScanRequest};
use quipu_api::merchant_qr::views::ScannedMerchantView;
use quipu_api::moves;
use quipu_api::payments::requests::ApproveRequest;
use quipu_api::payments::views::{DeviceView, PaymentPage};
use quipu_api::wallet::requests::{HistoryParams, P2pPreviewRequest, P2pRequest};
use quipu_api::wallet::views::{HistoryPage, ReceiptView, TransferPreviewView};
use quipu_core::identity::{NewFundingSource, Registration};
use quipu_core::wallet::HistoryFilter;
use quipu_domain::money::AmountInput;
use quipu_domain::payment::{PaymentId, PaymentStatus};
use quipu_http::extract::AddressSource;
use quipu_http::problem::ApiError;

use crate::auth::{self, SignedIn};
use crate::form::{Posted, SignedOut, Typed};
use crate::i18n::{Lang, Tr};
use crate::page::{self, Chrome, Notice, failed, new_key};
use crate::{WebState, result_json};
use quipu_domain::identity::Role;

pub mod settings;

pub fn routes(http: &quipu_http::Http) -> Router<WebState> {
    Router::new()
        .route("/wallet/", get(home))
        // Sign-up sets a password anyone may try from anywhere: limited per address, like the API's.
        .route("/wallet/signup", get(signup_page).merge(crate::limited_post(signup, http)))
        .route("/wallet/pay", get(pay))
        .route("/wallet/sw.js", get(service_worker))
        .route("/wallet/manifest.webmanifest", get(manifest))
        .route("/wallet/history", get(history))
        .route("/wallet/send", get(send_page).post(send))
        .route("/wallet/send/confirm", post(confirm_send))
        .route("/wallet/payments/{id}/approve", post(approve))
        .route("/wallet/data", get(my_data))
        .route("/wallet/receipts/{id}", get(receipt))
        .route("/wallet/scan", get(scan_page).post(scanned))
        .route("/wallet/scan/pay", post(pay_scanned))
        .merge(settings::routes())
}

#[derive(Debug, Default, serde::Deserialize)]
struct Flash {
    lang: Option<String>,
    /// What just happened, as a message key (`sent`, `approved`); never free text from the URL.
    done: Option<String>,
}

impl Flash {
    fn notice(&self, t: Tr) -> Notice {
        page::done_notice(t, self.done.as_deref(), &["sent", "approved", "welcome", "paid"])
    }
}

#[derive(Template)]
#[template(path = "wallet/home.html")]
struct HomePage {
    c: Chrome,
    notice: Notice,
    account: Option<AccountView>,
    awaiting: PaymentPage,
    recent: HistoryPage,
    /// What stops this wallet paying, and what to do: frozen, or phones paused.
    standing: Standing,
}

/// What stops a wallet or a phone paying, as its home and pay screens say it.
#[derive(Debug, Default)]
struct Standing {
    /// The wallet is frozen (an operator froze it): nothing leaves or arrives until support lifts it.
    frozen: bool,
    /// "The phone "Amina's phone" is paused: resume it in Settings", one per paused phone.
    paused: Vec<String>,
}

impl Standing {
    fn of(t: Tr, account: Option<&AccountView>, devices: &[DeviceView]) -> Self {
        let frozen = account.is_some_and(|a| a.flags.iter().any(|flag| flag == "frozen"));
        let paused = devices
            .iter()
            .filter(|device| device.status == "paused")
            .map(|device| t.msg_with("wallet-device-paused", &[("label", &device.label)]))
            .collect();
        Self { frozen, paused }
    }
}

/// `GET /wallet/`: the balance, payments waiting for the PIN, and the latest lines.
async fn home(State(state): State<WebState>, who: SignedIn, Query(flash): Query<Flash>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    let services = &state.http.services;
    let loaded = async {
        let profile = services.identity.profile(&who.principal).await?;
        let awaiting = services
            .payments
            .customer_payments(&who.principal, Some(PaymentStatus::AwaitingApproval), None, Some(10))
            .await?;
        let account = services.wallet.primary_account(&who.principal).await?;
        let filter = HistoryFilter::try_from(&HistoryParams { limit: Some(10), ..HistoryParams::default() })?;
        let recent = services.wallet.history(&who.principal, account, &filter).await?;
        let account = profile.accounts.iter().find(|a| a.id == account).map(AccountView::from);
        let devices: Vec<DeviceView> =
            services.payments.devices(&who.principal).await?.iter().map(DeviceView::from).collect();
        let standing = Standing::of(who.chrome().t, account.as_ref(), &devices);
        Ok::<_, quipu_core::CoreError>((account, PaymentPage::from(&awaiting), HistoryPage::from(&recent), standing))
    };
    match loaded.await {
        Ok((account, awaiting, recent, standing)) => {
            let notice = flash.notice(who.chrome().t);
            let page = HomePage { c: who.chrome(), notice, account, awaiting, recent, standing };
            page::html(&page, StatusCode::OK, who.reader())
        }
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}

#[derive(Template)]
#[template(path = "wallet/signup.html")]
struct SignupPage {
    c: Chrome,
    notice: Notice,
    typed: Typed,
}

/// `GET /wallet/signup`.
async fn signup_page(State(state): State<WebState>, Query(flash): Query<Flash>, headers: HeaderMap) -> Response {
    let lang = page::lang(flash.lang.as_deref(), &headers);
    show_signup(&state, &headers, lang, Notice::none(), Typed::default(), StatusCode::OK, flash.lang.is_some())
}

fn show_signup(
    state: &WebState,
    headers: &HeaderMap,
    lang: Lang,
    notice: Notice,
    typed: Typed,
    status: StatusCode,
    flash_lang: bool,
) -> Response {
    let page = |c| SignupPage { c, notice, typed };
    auth::anonymous_form(state, headers, lang, page, status, flash_lang.then_some(lang))
}

const REGISTRATION_FIELDS: [&str; 4] = ["phone", "full_name", "password", "pin"];
const FUNDING_FIELDS: [&str; 2] = ["bank_name", "account_number"];

/// `POST /wallet/signup`: the API's registration and, if given, the billing details, checked and
/// written together by one service call (or nothing is), then signed in.
async fn signup(
    State(state): State<WebState>,
    AddressSource(source): AddressSource,
    headers: HeaderMap,
    posted: Posted<SignedOut>,
) -> Response {
    let lang = page::lang(None, &headers);
    let attempt = async {
        let registration: RegisterRequest = posted.only(&REGISTRATION_FIELDS).request()?;
        let registration = Registration::try_from(&registration)?;
        // Most people top up in cash at agents: a bank account is optional, but one begun is checked whole.
        let funding = if FUNDING_FIELDS.iter().any(|name| !posted.field(name).is_empty()) {
            let (bank_name, account_number) =
                <(_, _)>::try_from(&posted.only(&FUNDING_FIELDS).request::<FundingSourceRequest>()?)?;
            Some(NewFundingSource { bank_name, account_number })
        } else {
            None
        };
        let identity = &state.http.services.identity;
        Ok::<_, ApiError>(identity.sign_up_customer(&registration, funding.as_ref(), &source).await?)
    };
    match attempt.await {
        Ok(session) => auth::signed_in_at(&state, &session, "/wallet/?done=welcome"),
        Err(error) => {
            let notice = Notice::refused(Tr { lang }, &error);
            show_signup(&state, &headers, lang, notice, posted.typed(), error.status, false)
        }
    }
}

#[derive(Template)]
#[template(path = "wallet/pay.html")]
struct PayPage {
    c: Chrome,
    /// A frozen wallet pays nothing: the screen says so, and what to do. (A paused phone is told
    /// by `wallet-pay.js`, which knows which device this phone is.)
    frozen: bool,
    /// "New code in {s} s": the script puts the seconds in place of `{s}`.
    countdown: String,
    /// Whose wallet the code pays from: their name is on the screen, and their id tells
    /// `wallet-pay.js` whose key it may use (a key enrolled by anyone else is wiped, never shown).
    holder: String,
    user: String,
}

/// `GET /wallet/pay`: the screen that shows the payment code. It holds nothing of the person's but
/// their name, so the service worker may keep it for offline use, for this person only (it names
/// them in `Quipu-User`); the code is computed by `wallet-pay.js`.
async fn pay(State(state): State<WebState>, who: SignedIn) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    let services = &state.http.services;
    let loaded = async {
        let user = services.kernel.current_user(&who.principal).await?;
        let account = services.wallet.primary_account(&who.principal).await?;
        let account = AccountView::from(&services.wallet.account(&who.principal, account).await?);
        Ok::<_, quipu_core::CoreError>((user, Standing::of(who.chrome().t, Some(&account), &[]).frozen))
    };
    match loaded.await {
        Ok((user, frozen)) => {
            let c = who.chrome();
            let countdown = c.t.msg_with("pay-countdown", &[("seconds", "{s}")]);
            let page = PayPage { c, frozen, countdown, holder: user.full_name, user: user.id.0.to_string() };
            page::html(&page, StatusCode::OK, who.reader())
        }
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}

/// `GET /wallet/sw.js`: the service worker. Never cached by the browser's HTTP cache, so a new
/// release (a new asset list, a new version) is picked up on the next visit.
async fn service_worker() -> Response {
    let shell = ["quipu.css", "wallet-pay.js", "paycode.js", "qr.js", "code128.js", "qrcodegen.js", "icon.svg"];
    crate::assets::service_worker("wallet", &shell, crate::assets::SERVICE_WORKER)
}

/// `GET /wallet/manifest.webmanifest`: what Android needs to install the wallet.
async fn manifest() -> Response {
    let icon = crate::assets::url("icon.svg");
    let body = serde_json::json!({
        "id": "/wallet/",
        "name": "Quipu wallet",
        "short_name": "Quipu",
        "start_url": "/wallet/",
        "scope": "/wallet/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b6e4f",
        "icons": [
            {"src": icon, "sizes": "any", "type": "image/svg+xml", "purpose": "any maskable"},
        ],
    });
    let mut response = body.to_string().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/manifest+json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[derive(Template)]
#[template(path = "wallet/history.html")]
struct HistoryScreen {
    c: Chrome,
    page: HistoryPage,
    account_id: String,
    kind: String,
}

#[derive(Debug, Default, serde::Deserialize)]
struct HistoryQuery {
    cursor: Option<String>,
    kind: Option<String>,
}

/// `GET /wallet/history`: every line, newest first, filtered by kind, with the statement download.
async fn history(State(state): State<WebState>, who: SignedIn, Query(query): Query<HistoryQuery>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    let services = &state.http.services;
    let kind = query.kind.filter(|kind| !kind.is_empty());
    let loaded = async {
        let params =
            HistoryParams { cursor: query.cursor, kind: kind.clone(), limit: Some(50), ..HistoryParams::default() };
        let filter = HistoryFilter::try_from(&params)?;
        let account = services.wallet.primary_account(&who.principal).await?;
        let page = services.wallet.history(&who.principal, account, &filter).await?;
        Ok::<_, quipu_core::CoreError>((account, HistoryPage::from(&page)))
    };
    match loaded.await {
        Ok((account, page)) => {
            let screen = HistoryScreen {
                c: who.chrome(),
                page,
                account_id: account.0.to_string(),
                kind: kind.unwrap_or_default(),
            };
            page::html(&screen, StatusCode::OK, who.reader())
        }
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}

#[derive(Template)]
#[template(path = "wallet/send.html")]
struct SendPage {
    c: Chrome,
    notice: Notice,
    typed: Typed,
}

/// `GET /wallet/send`: whom and how much; the PIN comes after the recipient's name is read back.
async fn send_page(who: SignedIn) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    show_send(&who, Notice::none(), Typed::default(), StatusCode::OK)
}

fn show_send(who: &SignedIn, notice: Notice, typed: Typed, status: StatusCode) -> Response {
    page::html(&SendPage { c: who.chrome(), notice, typed }, status, who.reader())
}

#[derive(Template)]
#[template(path = "wallet/send-confirm.html")]
struct SendConfirmPage {
    c: Chrome,
    notice: Notice,
    /// "Send 5.00 USD to Amina D.?", in the reader's language.
    question: String,
    preview: TransferPreviewView,
    typed: Typed,
    key: String,
}

/// What the send form would do, as the API's preview reads it back: the recipient's shown name, the
/// amount and the fee. Nothing moves.
async fn p2p_preview(state: &WebState, who: &SignedIn, posted: &Posted) -> Result<TransferPreviewView, ApiError> {
    let body: P2pPreviewRequest = posted.only(&["to_phone", "amount", "currency", "note"]).request()?;
    let (to, _) = <(_, _)>::try_from(&body)?;
    let amount = AmountInput { amount: &body.amount, currency: body.currency.as_deref() };
    Ok(TransferPreviewView::from(&state.http.services.wallet.p2p_preview(&who.principal, &to, amount).await?))
}

fn show_send_confirm(
    state: &WebState,
    who: &SignedIn,
    notice: Notice,
    preview: TransferPreviewView,
    typed: Typed,
    status: StatusCode,
) -> Response {
    let c = who.chrome();
    let amount = format!("{} {}", preview.amount.amount, preview.amount.currency);
    let question = c.t.msg_with("confirm-send-question", &[("amount", &amount), ("name", &preview.recipient.name)]);
    let page = SendConfirmPage { c, notice, question, preview, typed, key: new_key(state) };
    page::html(&page, status, who.reader())
}

/// `POST /wallet/send/confirm`: the recipient's name, the amount and the fee, read back before the
/// PIN. An unknown phone, a bad amount: the form again, with why.
async fn confirm_send(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async { p2p_preview(&state, &who, &posted).await };
    match attempt.await {
        Ok(preview) => show_send_confirm(&state, &who, Notice::none(), preview, posted.typed(), StatusCode::OK),
        Err(error) => show_send(&who, Notice::refused(who.chrome().t, &error), posted.typed(), error.status),
    }
}

/// `POST /wallet/send`: the API's P2P transfer with the PIN, once per rendered confirmation. A
/// refusal (a wrong PIN, say) shows the confirmation again, with a fresh key.
async fn send(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, P2pRequest) = posted.money_request()?;
        result_json(moves::p2p(&state.http, &who.principal, &key, &body).await).await
    };
    match attempt.await {
        Ok(_) => page::see_other("/wallet/?done=sent"),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            match p2p_preview(&state, &who, &posted).await {
                Ok(preview) => show_send_confirm(&state, &who, notice, preview, posted.typed(), error.status),
                Err(_) => show_send(&who, notice, posted.typed(), error.status),
            }
        }
    }
}

/// `POST /wallet/payments/{id}/approve`: the customer's PIN for a payment above the threshold.
async fn approve(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>, posted: Posted) -> Response {
    let attempt = async {
        let body: ApproveRequest = posted.request()?;
        let pin = quipu_domain::identity::Pin::try_from(&body)?;
        Ok::<_, ApiError>(state.http.services.payments.approve_payment(&who.principal, PaymentId(id), &pin).await?)
    };
    match attempt.await {
        Ok(_) => page::see_other("/wallet/?done=approved"),
        Err(error) => failed(&who, &error),
    }
}

/// A page's place in a long list (and, like every page's query, perhaps `lang`).
#[derive(Debug, Default, serde::Deserialize)]
struct CursorQuery {
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "wallet/data.html")]
struct DataPage {
    c: Chrome,
    log: AccessLogView,
}

/// `GET /wallet/data`: download everything, and who looked at my data.
async fn my_data(State(state): State<WebState>, who: SignedIn, Query(params): Query<CursorQuery>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    let support = &state.http.services.support;
    match support.my_access_log(&who.principal, params.cursor.as_deref(), Some(50)).await {
        Ok(log) => {
            page::html(&DataPage { c: who.chrome(), log: AccessLogView::from(&log) }, StatusCode::OK, who.reader())
        }
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}

#[derive(Template)]
#[template(path = "wallet/scan.html")]
struct ScanPage {
    c: Chrome,
    notice: Notice,
    typed: Typed,
}

/// `GET /wallet/scan`: the camera reads a shop's QR (or the person pastes its text).
async fn scan_page(who: SignedIn) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    page::html(
        &ScanPage { c: who.chrome(), notice: Notice::none(), typed: Typed::default() },
        StatusCode::OK,
        who.reader(),
    )
}

#[derive(Template)]
#[template(path = "wallet/confirm.html")]
struct ConfirmPage {
    c: Chrome,
    notice: Notice,
    shop: ScannedMerchantView,
    payload: String,
    key: String,
    typed: Typed,
}

/// `POST /wallet/scan`: whom and what the QR would pay, from the registered shop (never from the
/// QR's own text), to confirm with the PIN. Another scheme's QR is "not a Quipu shop".
async fn scanned(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let body: ScanRequest = posted.request()?;
        let shop = state.http.services.merchant_qr.read_merchant_qr(&who.principal, &body.payload).await?;
        Ok::<_, ApiError>((ScannedMerchantView::from(&shop), body.payload))
    };
    match attempt.await {
        Ok((shop, payload)) => {
            let page = ConfirmPage {
                c: who.chrome(),
                notice: Notice::none(),
                shop,
                payload,
                key: new_key(&state),
                typed: Typed::default(),
            };
            page::html(&page, StatusCode::OK, who.reader())
        }
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            page::html(&ScanPage { c: who.chrome(), notice, typed: posted.typed() }, error.status, who.reader())
        }
    }
}

/// `POST /wallet/scan/pay`: the API's QR payment with the PIN, once per rendered form.
async fn pay_scanned(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let http = &state.http;
    let attempt = async {
        let (key, body): (_, PayQrRequest) = posted.money_request()?;
        result_json(moves::pay_qr(&state.http, &who.principal, &key, &body).await).await
    };
    match attempt.await {
        Ok(_) => page::see_other("/wallet/?done=paid"),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            let payload = posted.field("payload").to_owned();
            match http.services.merchant_qr.read_merchant_qr(&who.principal, &payload).await {
                Ok(shop) => {
                    let shop = ScannedMerchantView::from(&shop);
                    let page = ConfirmPage {
                        c: who.chrome(),
                        notice,
                        shop,
                        payload,
                        key: new_key(&state),
                        typed: posted.typed(),
                    };
                    page::html(&page, error.status, who.reader())
                }
                Err(_) => {
                    page::html(&ScanPage { c: who.chrome(), notice, typed: posted.typed() }, error.status, who.reader())
                }
            }
        }
    }
}

#[derive(Template)]
#[template(path = "wallet/receipt.html")]
struct ReceiptPage {
    c: Chrome,
    receipt: ReceiptView,
}

/// `GET /wallet/receipts/{id}`: one line's receipt, to show or print; only its parties may see it.
async fn receipt(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>) -> Response {
    match state.http.services.wallet.receipt(&who.principal, quipu_domain::ledger::TransferId(id)).await {
        Ok(receipt) => page::html(
            &ReceiptPage { c: who.chrome(), receipt: ReceiptView::from(&receipt) },
            StatusCode::OK,
            who.reader(),
        ),
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}
