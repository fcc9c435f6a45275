//! The till, on a shop's phone, tablet or PC: charge a customer's code
//! (typed, from a USB scanner that types digits then Enter, or from the
//! camera with `till-scan.js`), show a QR for an amount, take a card, and
//! see today's payments. A payment waiting for the customer's PIN is shown
//! on a page that refreshes itself until it is decided: no script needed.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use quipu_api::cards::requests::CardPaymentRequest;
use quipu_api::merchant_qr::requests::PaymentRequestRequest;
use quipu_api::merchant_qr::views::PaymentRequestView;
use quipu_api::moves;
use quipu_api::payments::requests::{ChargeRequest, RefundRequest};
use quipu_api::payments::views::{PaymentPage, PaymentView, StaffDayView};
use quipu_domain::payment::PaymentId;
use quipu_domain::payment::PaymentRequestId;
use quipu_http::problem::ApiError;

use crate::auth::SignedIn;
use crate::form::{Posted, Typed};
use crate::page::{self, Chrome, Notice, failed, new_key};
use crate::{WebState, id_of, result_json};
use quipu_domain::identity::Role;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/till/", get(till))
        .route("/till/charge", post(charge))
        .route("/till/card", post(card))
        .route("/till/requests", post(request))
        .route("/till/requests/{id}", get(show_request))
        .route("/till/requests/{id}/qr.svg", get(request_qr))
        .route("/till/report", get(report))
        .route("/till/payments/{id}", get(show_payment))
        .route("/till/payments/{id}/refund", post(refund))
        .route("/till/payments/{id}/refund/confirm", post(confirm_refund))
}

#[derive(Template)]
#[template(path = "till/till.html")]
struct TillPage {
    c: Chrome,
    notice: Notice,
    typed: Typed,
    key: String,
    today: PaymentPage,
}

/// `GET /till/`: the charge form first, then the other ways to be paid, then today's payments.
async fn till(State(state): State<WebState>, who: SignedIn) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Cashier, Role::MerchantOwner]) {
        return refused;
    }
    show_till(&state, &who, Notice::none(), Typed::default(), StatusCode::OK).await
}

async fn show_till(state: &WebState, who: &SignedIn, notice: Notice, typed: Typed, status: StatusCode) -> Response {
    let search = quipu_core::payments::PaymentSearch::default();
    match state.http.services.payments.merchant_payments(&who.principal, &search, None, Some(20)).await {
        Ok(today) => {
            let page =
                TillPage { c: who.chrome(), notice, typed, key: new_key(state), today: PaymentPage::from(&today) };
            page::html(&page, status, who.reader())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

/// `POST /till/charge`: the API's charge of a payment code, once per rendered form.
async fn charge(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, ChargeRequest) = posted.money_request()?;
        result_json(moves::charge(&state.http, &who.principal, &key, &body).await).await
    };
    after(&state, &who, &posted, attempt.await).await
}

/// `POST /till/card`: the API's card payment (number and PIN typed at the till). The result is shown
/// at once, with what is left on the card: only this answer knows it, so it is not a redirect (a
/// reload posts the same form key again and is answered from the first attempt).
async fn card(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, CardPaymentRequest) = posted.money_request()?;
        result_json(moves::card_payment(&state.http, &who.principal, &key, &body).await).await
    };
    match attempt.await {
        Ok(paid) => match uuid::Uuid::parse_str(&id_of(&paid)) {
            Ok(id) => {
                let slip = Slip { card_balance: money_text(paid.get("card_balance")) };
                payment_screen(&state, &who, id, Notice::none(), slip, StatusCode::OK).await
            }
            Err(_) => after(&state, &who, &posted, Ok(paid)).await,
        },
        outcome => after(&state, &who, &posted, outcome).await,
    }
}

/// "12.50 USD" from a money view's JSON, if there is one.
fn money_text(money: Option<&serde_json::Value>) -> Option<String> {
    let money = money?;
    let amount = money.get("amount")?.as_str()?;
    let currency = money.get("currency")?.as_str()?;
    Some(format!("{amount} {currency}"))
}

/// A payment made: its page. A refusal: the till again, with the message and what was typed.
async fn after(
    state: &WebState,
    who: &SignedIn,
    posted: &Posted,
    outcome: Result<serde_json::Value, ApiError>,
) -> Response {
    match outcome {
        Ok(payment) => page::see_other(&format!("/till/payments/{}", id_of(&payment))),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            show_till(state, who, notice, posted.typed(), error.status).await
        }
    }
}

#[derive(Template)]
#[template(path = "till/report.html")]
struct ReportPage {
    c: Chrome,
    notice: Notice,
    /// Whose day this is and in which zone's time.
    intro: String,
    day: StaffDayView,
}

/// Which day a report shows; other parameters (the language, say) are the page's, not the report's.
#[derive(Debug, Default, serde::Deserialize)]
struct ReportQuery {
    date: Option<String>,
}

/// `GET /till/report`: the shop's day (`date`, today by default) per person, to close a day with: a
/// cashier's own, or everyone's for the owner.
async fn report(State(state): State<WebState>, who: SignedIn, Query(query): Query<ReportQuery>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Cashier, Role::MerchantOwner]) {
        return refused;
    }
    let payments = &state.http.services.payments;
    // A day that is no date says why above today's report.
    let date = query.date.as_deref().filter(|date| !date.is_empty());
    let (day, notice) = match payments.staff_day(&who.principal, date).await {
        Ok(day) => (day, Notice::none()),
        Err(error) if matches!(error.kind, quipu_core::ErrorKind::Invalid) => {
            let notice = Notice::refused(who.chrome().t, &ApiError::from(error));
            match payments.staff_day(&who.principal, None).await {
                Ok(day) => (day, notice),
                Err(error) => return failed(&who, &ApiError::from(error)),
            }
        }
        Err(error) => return failed(&who, &ApiError::from(error)),
    };
    let status = if notice.is_error { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let c = who.chrome();
    let whose = if day.own_only { "report-own" } else { "report-everyone" };
    let intro = c.t.msg_with(whose, &[("zone", &day.time_zone)]);
    let page = ReportPage { c, notice, intro, day: StaffDayView::from(&day) };
    page::html(&page, status, who.reader())
}

#[derive(Template)]
#[template(path = "till/payment.html")]
struct PaymentScreen {
    c: Chrome,
    notice: Notice,
    payment: PaymentView,
    waiting: bool,
    /// Whether this person may refund (a cashier by their permission): Refund is shown only then.
    may_refund: bool,
    slip: Slip,
}

/// What only the answer to a card payment carries, for the holder's slip.
#[derive(Debug, Default)]
struct Slip {
    card_balance: Option<String>,
}

/// `GET /till/payments/{id}`: the result; while the customer decides, the page asks again every 2 s.
async fn show_payment(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    Query(done): Query<page::Done>,
) -> Response {
    let notice = done.notice(who.chrome().t, &["refunded"]);
    payment_screen(&state, &who, id, notice, Slip::default(), StatusCode::OK).await
}

async fn payment_screen(
    state: &WebState,
    who: &SignedIn,
    id: uuid::Uuid,
    notice: Notice,
    slip: Slip,
    status: StatusCode,
) -> Response {
    let payments = &state.http.services.payments;
    let loaded = async {
        let payment = payments.payment(&who.principal, PaymentId(id)).await?;
        Ok::<_, quipu_core::CoreError>((payment, payments.may_refund(&who.principal).await?))
    };
    match loaded.await {
        Ok((payment, may_refund)) => {
            let payment = PaymentView::from(&payment);
            let waiting = matches!(payment.status.as_str(), "awaiting_approval" | "processing");
            let page = PaymentScreen { c: who.chrome(), notice, payment, waiting, may_refund, slip };
            page::html(&page, status, who.reader())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

/// `POST /till/payments/{id}/refund/confirm`: the refund read back, with its reason, before it is made.
async fn confirm_refund(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    posted: Posted,
) -> Response {
    match crate::merchant::refund_confirmation(&state, &who, PaymentId(id), &posted, "/till").await {
        Ok(page) => page,
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            payment_screen(&state, &who, id, notice, Slip::default(), error.status).await
        }
    }
}

/// `POST /till/payments/{id}/refund`: a refund at the counter, when the shop lets this cashier refund
/// (the service decides).
async fn refund(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, RefundRequest) = posted.money_request()?;
        result_json(moves::refund(&state.http, &who.principal, &key, PaymentId(id), &body).await).await
    };
    match attempt.await {
        Ok(_) => page::see_other(&format!("/till/payments/{id}?done=refunded")),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            payment_screen(&state, &who, id, notice, Slip::default(), error.status).await
        }
    }
}

/// `POST /till/requests`: a dynamic QR for an amount, which the customer scans and pays.
async fn request(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, PaymentRequestRequest) = posted.money_request()?;
        result_json(moves::payment_request(&state.http, &who.principal, &key, &body).await).await
    };
    match attempt.await {
        Ok(request) => page::see_other(&format!("/till/requests/{}", id_of(&request))),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            show_till(&state, &who, notice, posted.typed(), error.status).await
        }
    }
}

#[derive(Template)]
#[template(path = "till/request.html")]
struct RequestScreen {
    c: Chrome,
    request: PaymentRequestView,
}

/// `GET /till/requests/{id}`: the QR to show the customer. `till-live.js` hears the payment on the
/// shop's event stream and moves on; without scripts the page asks again every few seconds.
async fn show_request(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>) -> Response {
    match state.http.services.merchant_qr.payment_request(&who.principal, PaymentRequestId(id)).await {
        Ok(request) => {
            let request = PaymentRequestView::from(&request);
            if let Some(payment) = &request.payment {
                return page::see_other(&format!("/till/payments/{}", payment.id));
            }
            page::html(&RequestScreen { c: who.chrome(), request }, StatusCode::OK, who.reader())
        }
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}

/// `GET /till/requests/{id}/qr.svg`: the request's QR. Its payload never changes, so the till's
/// browser keeps it (privately) instead of fetching it again; it travels gzipped like the pages.
async fn request_qr(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>) -> Response {
    let drawn = match state.http.services.merchant_qr.payment_request(&who.principal, PaymentRequestId(id)).await {
        Ok(request) => quipu_codes::render::qr(&request.payload, quipu_codes::render::ImageFormat::Svg)
            .map_err(|error| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "qr_not_drawable", error.to_string())),
        Err(error) => Err(ApiError::from(error)),
    };
    match drawn {
        Ok(svg) => {
            let mut response = svg.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400, immutable"));
            response
        }
        Err(error) => error.into_response(),
    }
}
