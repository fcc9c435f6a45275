//! The shop owner's console: the day's summary and its statement as CSV,
//! payments page by page with refunds and receipts, the fee rate, the
//! profile the shop's QRs carry, cashiers and what each may do, and a
//! printable QR poster per till. API keys and webhooks are in
//! [`integration`].

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use quipu_api::identity::requests::{CashierPermissionsRequest, CreateCashierRequest};
use quipu_api::identity::views::{CashierView, MerchantView};
use quipu_api::merchant_qr::requests::MerchantProfileRequest;
use quipu_api::moves;
use quipu_api::payments::requests::RefundRequest;
use quipu_api::payments::views::{MerchantSettingsView, MerchantSummaryView, PaymentPage, PaymentView};
use quipu_core::identity::NewLogin;
use quipu_domain::identity::UserId;
use quipu_domain::merchant::CategoryCode;
use quipu_domain::payment::{PaymentId, TillLabel};
use quipu_domain::text::spreadsheet_safe;
use quipu_http::problem::ApiError;

use crate::auth::SignedIn;
use crate::form::{Posted, Typed};
use crate::page::{self, Chrome, Notice, failed, new_key};
use crate::{WebState, result_json};
use quipu_domain::identity::Role;

pub mod catalog;
pub mod integration;
pub mod orders;
pub mod payouts;
pub mod storefront;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/merchant/", get(console))
        .route("/merchant/payments/{id}/refund", post(refund))
        .route("/merchant/payments.csv", get(export))
        .route("/merchant/payments/{id}/refund/confirm", post(confirm_refund))
        .route("/merchant/profile", get(profile).post(set_profile))
        .route("/merchant/cashiers", get(cashiers).post(add_cashier))
        .route("/merchant/cashiers/{id}/remove", post(remove_cashier))
        .route("/merchant/cashiers/{id}/permissions", post(set_permissions))
        .route("/merchant/poster", get(poster))
        .merge(orders::routes())
        .merge(catalog::routes())
        .merge(storefront::routes())
        .merge(payouts::routes())
        .merge(integration::routes())
}

/// A merchant's fee in basis points, as a percentage: 150 is "1.50%".
fn percent(bps: u32) -> String {
    format!("{}.{:02}%", bps / 100, bps % 100)
}

/// A query string of these pairs, each value encoded.
pub(crate) fn query_string(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

#[derive(Debug, Default, serde::Deserialize)]
struct ConsoleQuery {
    date: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
    #[serde(flatten)]
    search: SearchQuery,
}

/// What the owner searches the payments by (the API's `GET /merchant/payments` parameters); an
/// empty field is no filter.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub(crate) struct SearchQuery {
    from: Option<String>,
    to: Option<String>,
    status: Option<String>,
    till: Option<String>,
    min_amount: Option<String>,
    max_amount: Option<String>,
}

/// A field as typed, trimmed; an empty one is no filter.
fn typed(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl SearchQuery {
    /// The fields as typed, empty ones dropped, in the order of the form.
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        let fields = [
            ("from", &self.from),
            ("to", &self.to),
            ("status", &self.status),
            ("till", &self.till),
            ("min_amount", &self.min_amount),
            ("max_amount", &self.max_amount),
        ];
        fields.into_iter().filter_map(|(name, value)| typed(value).map(|v| (name, v))).collect()
    }

    fn search(&self) -> quipu_core::payments::PaymentSearch<'_> {
        quipu_core::payments::PaymentSearch {
            status: typed(&self.status),
            till: typed(&self.till),
            min_amount: typed(&self.min_amount),
            max_amount: typed(&self.max_amount),
            from: typed(&self.from),
            to: typed(&self.to),
        }
    }

    fn get(&self, name: &str) -> &str {
        self.pairs().into_iter().find(|(field, _)| *field == name).map_or("", |(_, value)| value)
    }
}

/// The states a payment is searched by.
const STATUSES: [&str; 6] =
    ["completed", "partially_refunded", "refunded", "awaiting_approval", "processing", "failed"];

/// Most payments one export holds: a year of a busy shop's days is well under it.
const MAX_EXPORT_ROWS: usize = 20_000;

/// `GET /merchant/payments.csv`: the payments a search finds (every payment without one), newest
/// first, as CSV with the shop's local times, at most [`MAX_EXPORT_ROWS`].
async fn export(State(state): State<WebState>, who: SignedIn, Query(query): Query<SearchQuery>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    let search = query.search();
    let payments = &state.http.services.payments;
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = match payments.merchant_payments(&who.principal, &search, cursor.as_deref(), Some(200)).await {
            Ok(page) => PaymentPage::from(&page),
            Err(error) => return failed(&who, &ApiError::from(error)),
        };
        rows.extend(page.payments);
        match page.next_cursor {
            Some(next) if rows.len() < MAX_EXPORT_ROWS => cursor = Some(next),
            _ => break,
        }
    }
    rows.truncate(MAX_EXPORT_ROWS);
    match payments_csv(&who.chrome(), &rows) {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            let name = HeaderValue::from_static("attachment; filename=\"payments.csv\"");
            headers.insert(header::CONTENT_DISPOSITION, name);
            response
        }
        Err(_) => failed(&who, &ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "internal_error", "no CSV")),
    }
}

/// One line a payment: its local time (and the instant), what, how much, and where; what a till
/// typed is kept from running as a formula.
fn payments_csv(c: &Chrome, rows: &[PaymentView]) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "local_time",
        "created_at",
        "payment_id",
        "status",
        "method",
        "till",
        "reference",
        "amount",
        "fee",
        "refunded",
        "currency",
    ])?;
    for p in rows {
        out.write_record([
            c.stamp(&p.created_at).as_str(),
            &p.created_at,
            &p.id.to_string(),
            &p.status,
            &p.method,
            &spreadsheet_safe(p.till.as_deref().unwrap_or("")),
            &spreadsheet_safe(&p.reference),
            &p.amount.amount,
            &p.fee.amount,
            &p.refunded.amount,
            &p.amount.currency,
        ])?;
    }
    out.into_inner().map_err(|error| csv::Error::from(error.into_error()))
}

/// One account's statement of the shown period, as CSV from the API.
struct Statement {
    currency: String,
    url: String,
}

#[derive(Template)]
#[template(path = "merchant/console.html")]
struct ConsolePage {
    c: Chrome,
    notice: Notice,
    summary: MerchantSummaryView,
    fee: String,
    statements: Vec<Statement>,
    today: PaymentPage,
    /// The next page of payments, when there is one.
    older: String,
    /// Whether this is a later page (a link back to the newest).
    paged: bool,
    search: SearchQuery,
    /// The payments found, as CSV: the search's query string on `/merchant/payments.csv`.
    export: String,
    statuses: [&'static str; 6],
}

/// `GET /merchant/`: a day's totals (today unless `date`) and its statement as CSV, the fee, then the
/// payments, newest first, page by page, each refundable.
async fn console(State(state): State<WebState>, who: SignedIn, Query(query): Query<ConsoleQuery>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    let notice = page::done_notice(who.chrome().t, query.done.as_deref(), &["refunded"]);
    show(&state, &who, &query, notice, StatusCode::OK).await
}

async fn show(state: &WebState, who: &SignedIn, query: &ConsoleQuery, notice: Notice, status: StatusCode) -> Response {
    let services = &state.http.services;
    let (search, cursor) = (query.search.search(), query.cursor.as_deref());
    // A search refused (a day that is no date, say) says why above an empty list; the rest stands.
    let (found, notice) = match services.payments.merchant_payments(&who.principal, &search, cursor, Some(50)).await {
        Ok(page) => (PaymentPage::from(&page), notice),
        Err(error) if matches!(error.kind, quipu_core::ErrorKind::Invalid | quipu_core::ErrorKind::Rejected) => {
            let empty = PaymentPage { payments: Vec::new(), next_cursor: None };
            (empty, Notice::refused(who.chrome().t, &ApiError::from(error)))
        }
        Err(error) => return failed(who, &ApiError::from(error)),
    };
    let loaded = async {
        let summary = services.payments.merchant_summary(&who.principal, query.date.as_deref(), None, None).await?;
        let settings = services.merchant_qr.merchant_profile(&who.principal).await?;
        let merchant = services.identity.merchant(&who.principal).await?;
        Ok::<_, quipu_core::CoreError>((
            MerchantSummaryView::from(&summary),
            MerchantSettingsView::from(&settings),
            MerchantView::from(&merchant),
        ))
    };
    match loaded.await {
        Ok((summary, settings, merchant)) => {
            let today = found;
            let period = query_string(&[("from", &summary.from), ("to", &summary.to)]);
            let statements = merchant
                .accounts
                .iter()
                .filter(|account| account.kind == "merchant")
                .map(|account| Statement {
                    currency: account.currency.clone(),
                    url: format!("/api/v1/accounts/{}/statement.csv?{period}", account.id),
                })
                .collect();
            let searched = query.search.pairs();
            let older = match &today.next_cursor {
                Some(cursor) => {
                    let mut pairs: Vec<(&str, &str)> =
                        query.date.as_deref().map(|date| ("date", date)).into_iter().collect();
                    pairs.extend(searched.iter().copied());
                    pairs.push(("cursor", cursor));
                    format!("/merchant/?{}", query_string(&pairs))
                }
                None => String::new(),
            };
            let page = ConsolePage {
                c: who.chrome(),
                notice,
                summary,
                fee: percent(settings.fee_bps),
                statements,
                today,
                older,
                paged: query.cursor.is_some(),
                export: format!("/merchant/payments.csv?{}", query_string(&searched)),
                search: query.search.clone(),
                statuses: STATUSES,
            };
            page::html(&page, status, who.reader())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

/// `POST /merchant/payments/{id}/refund/confirm`: "Refund 3.00 USD of 10.00 USD to the customer?",
/// with the reason, before anything moves.
async fn confirm_refund(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    posted: Posted,
) -> Response {
    match refund_confirmation(&state, &who, PaymentId(id), &posted, "/merchant").await {
        Ok(page) => page,
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            show(&state, &who, &ConsoleQuery::default(), notice, error.status).await
        }
    }
}

/// `POST /merchant/payments/{id}/refund`: the API's refund, once per rendered confirmation.
async fn refund(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, RefundRequest) = posted.money_request()?;
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

#[derive(Template)]
#[template(path = "refund-confirm.html")]
struct RefundConfirmPage {
    c: Chrome,
    /// "Refund 3.00 USD of 10.00 USD to the customer?", in the reader's language.
    question: String,
    payment: PaymentView,
    /// The amount to refund, always explicit (never "empty means everything").
    amount: String,
    reason: String,
    /// Where the refund is posted: `/merchant` or `/till`.
    base: &'static str,
    key: String,
}

/// The confirmation of a refund, shared by the owner's console and the till: the amount is what was
/// typed, or everything left when the person chose "Refund everything", never an empty field; a
/// reason is required (the customer reads it on their receipt) and checked as the API checks it.
/// What is left to refund comes from the payment's view (the domain's rule), not from this page.
pub(crate) async fn refund_confirmation(
    state: &WebState,
    who: &SignedIn,
    id: PaymentId,
    posted: &Posted,
    base: &'static str,
) -> Result<Response, ApiError> {
    let services = &state.http.services;
    let payment = PaymentView::from(&services.payments.payment(&who.principal, id).await?);
    if !payment.refundable {
        let status = &payment.status;
        let error = quipu_core::CoreError::new(
            quipu_core::ErrorKind::Rejected,
            "not_refundable",
            format!("a {status} payment cannot be refunded"),
        );
        return Err(error.into());
    }
    // The API's own check, named for what it is here (its `invalid_reason` is shared with staff reasons).
    let reason = quipu_core::payments::parse_reason(Some(posted.field("reason")))
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, "invalid_refund_reason", error.detail))?
        .ok_or_else(|| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "refund_reason_required", "say why"))?;
    let amount = if posted.field("whole").is_empty() {
        let typed = posted.field("amount");
        if typed.is_empty() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "refund_amount_required",
                "type the amount to refund, or choose to refund everything",
            ));
        }
        let currency =
            services.kernel.settings.currencies.get(&payment.amount.currency).map_err(quipu_core::CoreError::from)?;
        let amount =
            currency.parse_amount(typed).and_then(|a| a.ensure_positive()).map_err(quipu_core::CoreError::from)?;
        currency.format_amount(amount)
    } else {
        payment.refundable_amount.amount.clone()
    };
    let c = who.chrome();
    let currency = payment.amount.currency.clone();
    let refunding = format!("{amount} {currency}");
    let paid = format!("{} {currency}", payment.amount.amount);
    let question = c.t.msg_with("confirm-refund-question", &[("amount", &refunding), ("paid", &paid)]);
    let page = RefundConfirmPage {
        c,
        question,
        payment,
        amount,
        reason: reason.as_str().to_owned(),
        base,
        key: new_key(state),
    };
    Ok(page::html(&page, StatusCode::OK, who.reader()))
}

#[derive(Template)]
#[template(path = "merchant/profile.html")]
struct ProfilePage {
    c: Chrome,
    notice: Notice,
    typed: Typed,
    settings: MerchantSettingsView,
    fee: String,
}

/// `GET /merchant/profile`: the fee rate, and the city and category code the shop's QRs carry.
async fn profile(State(state): State<WebState>, who: SignedIn, Query(done): Query<page::Done>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    show_profile(&state, &who, done.notice(who.chrome().t, &["profile-saved", "time-zone"]), None, StatusCode::OK).await
}

pub(crate) async fn show_profile(
    state: &WebState,
    who: &SignedIn,
    notice: Notice,
    typed: Option<Typed>,
    status: StatusCode,
) -> Response {
    match state.http.services.merchant_qr.merchant_profile(&who.principal).await {
        Ok(settings) => {
            let settings = MerchantSettingsView::from(&settings);
            let typed = typed.unwrap_or_else(|| {
                Typed::from_pairs(vec![
                    ("city".to_owned(), settings.city.clone().unwrap_or_default()),
                    ("category_code".to_owned(), settings.category_code.clone()),
                ])
            });
            let fee = percent(settings.fee_bps);
            page::html(&ProfilePage { c: who.chrome(), notice, typed, settings, fee }, status, who.reader())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

/// `POST /merchant/profile`: the API's profile (`PUT /api/v1/merchant/profile`).
async fn set_profile(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let body: MerchantProfileRequest = posted.request()?;
        let category = CategoryCode::try_from(&body)?;
        state.http.services.merchant_qr.set_merchant_profile(&who.principal, &body.city, &category).await?;
        Ok::<_, ApiError>(())
    };
    match attempt.await {
        Ok(()) => page::see_other("/merchant/profile?done=profile-saved"),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            show_profile(&state, &who, notice, Some(posted.typed()), error.status).await
        }
    }
}

#[derive(Template)]
#[template(path = "merchant/cashiers.html")]
struct CashiersPage {
    c: Chrome,
    notice: Notice,
    typed: Typed,
    cashiers: Vec<CashierView>,
}

/// `GET /merchant/cashiers`: who works the tills, whether each may refund, and a form to add one.
async fn cashiers(State(state): State<WebState>, who: SignedIn, Query(done): Query<page::Done>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    let notice = done.notice(who.chrome().t, &["cashier-added", "cashier-removed", "permissions-saved"]);
    show_cashiers(&state, &who, notice, Typed::default(), StatusCode::OK).await
}

async fn show_cashiers(state: &WebState, who: &SignedIn, notice: Notice, typed: Typed, status: StatusCode) -> Response {
    match state.http.services.identity.cashiers(&who.principal).await {
        Ok(list) => {
            let cashiers = list.iter().map(CashierView::from).collect();
            page::html(&CashiersPage { c: who.chrome(), notice, typed, cashiers }, status, who.reader())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

async fn cashiers_refused(state: &WebState, who: &SignedIn, posted: &Posted, error: ApiError) -> Response {
    let notice = Notice::refused(who.chrome().t, &error);
    show_cashiers(state, who, notice, posted.typed(), error.status).await
}

/// `POST /merchant/cashiers`: the API's new cashier (`POST /api/v1/merchant/cashiers`).
async fn add_cashier(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let body: CreateCashierRequest = posted.request()?;
        state.http.services.identity.add_cashier(&who.principal, &NewLogin::try_from(&body)?).await?;
        Ok::<_, ApiError>(())
    };
    match attempt.await {
        Ok(()) => page::see_other("/merchant/cashiers?done=cashier-added"),
        Err(error) => cashiers_refused(&state, &who, &posted, error).await,
    }
}

/// `POST /merchant/cashiers/{id}/remove`: the API's removal; their sessions end.
async fn remove_cashier(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    _checked: Posted,
) -> Response {
    let attempt = async {
        state.http.services.identity.remove_cashier(&who.principal, UserId(id)).await?;
        Ok::<_, ApiError>(())
    };
    match attempt.await {
        Ok(()) => page::see_other("/merchant/cashiers?done=cashier-removed"),
        Err(error) => cashiers_refused(&state, &who, &Posted::default(), error).await,
    }
}

/// `POST /merchant/cashiers/{id}/permissions`: the API's permissions (`may_refund`: true, false, or
/// absent for the shop's refund policy).
async fn set_permissions(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    posted: Posted,
) -> Response {
    let attempt = async {
        let body: CashierPermissionsRequest = posted.request()?;
        state.http.services.identity.set_cashier_permissions(&who.principal, UserId(id), body.may_refund).await?;
        Ok::<_, ApiError>(())
    };
    match attempt.await {
        Ok(()) => page::see_other("/merchant/cashiers?done=permissions-saved"),
        Err(error) => cashiers_refused(&state, &who, &Posted::default(), error).await,
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct PosterQuery {
    till: Option<String>,
}

#[derive(Template)]
#[template(path = "merchant/poster.html")]
struct PosterPage {
    c: Chrome,
    notice: Notice,
    till: String,
    shop: String,
    city: String,
    /// The shop's static QR for this till, drawn here as inline SVG; empty when it could not be made.
    qr: String,
    png: String,
    svg: String,
}

/// `GET /merchant/poster?till=…`: the shop's static QR for one till (or the whole shop) to print, with
/// the shop's name and city under it, and the API's PNG and SVG of it.
async fn poster(State(state): State<WebState>, who: SignedIn, Query(query): Query<PosterQuery>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    let services = &state.http.services;
    let shop = async {
        let merchant = services.identity.merchant(&who.principal).await?;
        let settings = services.merchant_qr.merchant_profile(&who.principal).await?;
        Ok::<_, ApiError>((merchant.name, settings.city))
    };
    let (shop, city) = match shop.await {
        Ok(shop) => shop,
        Err(error) => return failed(&who, &error),
    };
    let typed = query.till.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let drawn = async {
        let till = TillLabel::parse(query.till.as_deref()).map_err(quipu_core::CoreError::from)?;
        let qr = services.merchant_qr.merchant_qr(&who.principal, till, None).await?;
        let image = quipu_codes::render::qr(&qr.payload, quipu_codes::render::ImageFormat::Svg)
            .map_err(|error| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "qr_not_drawable", error.to_string()))?;
        Ok::<_, ApiError>(String::from_utf8(image).unwrap_or_default())
    };
    let (notice, qr, status) = match drawn.await {
        Ok(qr) => (Notice::none(), qr, StatusCode::OK),
        Err(error) => (Notice::refused(who.chrome().t, &error), String::new(), error.status),
    };
    let image = |format: &str| {
        let pairs: Vec<(&str, &str)> =
            if typed.is_empty() { vec![("format", format)] } else { vec![("format", format), ("till", &typed)] };
        format!("/api/v1/merchant/qr?{}", query_string(&pairs))
    };
    let (png, svg) = (image("png"), image("svg"));
    let page = PosterPage { c: who.chrome(), notice, till: typed.clone(), shop, city, qr, png, svg };
    page::html(&page, status, who.reader())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fee_reads_as_a_percentage() {
        assert_eq!(percent(150), "1.50%");
        assert_eq!(percent(0), "0.00%");
        assert_eq!(percent(1000), "10.00%");
        assert_eq!(percent(5), "0.05%");
    }
}
