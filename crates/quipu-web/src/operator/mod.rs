//! The operator's console. Staff do not browse customers: a search finds a
//! person's standing (never a balance or a payment), and to read their
//! history an operator or auditor states a reason and gets a time-limited,
//! read-only grant; each read under it is logged where the person sees it
//! (the wallet's "my data").
//!
//! Operators also run the network from here: onboard shops and agents, set a
//! shop's fee and a customer's tier, freeze and unfreeze a person (with a
//! reason the person reads), issue e-money into an agent's float and redeem
//! it, check the ledger's invariants (auditors too), and hide the abusive
//! words of a market review (`reviews`). Every form is the API's request, run
//! by the API's own services.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use quipu_api::identity::requests::{CreateAgentRequest, CreateMerchantRequest, CustomerTierRequest};
use quipu_api::identity::views::{AgentView, MerchantView};
use quipu_api::moves;
use quipu_api::support::requests::{AccessGrantRequest, ReasonRequest};
use quipu_api::support::views::{AttentionView, PeoplePageView, PersonSummaryView};
use quipu_api::wallet::requests::{FloatRequest, HistoryParams};
use quipu_api::wallet::views::{HistoryPage, VerifyView};
use quipu_core::identity::{NewMerchant, NewWorker};
use quipu_core::kernel::text::rfc3339;
use quipu_core::wallet::HistoryFilter;
use quipu_domain::identity::{MerchantId, UserId};
use quipu_domain::limits::CustomerTier;
use quipu_domain::text::StatedReason;
use quipu_domain::verify::RecordsChecked;
use quipu_http::problem::ApiError;

use crate::auth::SignedIn;
use crate::form::{Posted, Typed, local_phone};
use crate::page::{self, Chrome, Notice, failed, new_key};
use crate::{WebState, result_json};
use quipu_domain::identity::Role;

mod deliveries;
mod reviews;

pub fn routes() -> Router<WebState> {
    Router::new()
        .merge(reviews::routes())
        .merge(deliveries::routes())
        .route("/operator/", get(search))
        .route("/operator/people/{id}", get(person))
        .route("/operator/people/{id}/access-grants", post(grant))
        .route("/operator/people/{id}/history", get(history))
        .route("/operator/people/{id}/freeze", post(freeze))
        .route("/operator/people/{id}/unfreeze", post(unfreeze))
        .route("/operator/people/{id}/tier", post(set_tier))
        .route("/operator/onboarding", get(onboarding))
        .route("/operator/merchants", post(create_merchant))
        .route("/operator/agents", post(create_agent))
        .route("/operator/fees", get(fees).post(set_fee))
        .route("/operator/e-money", get(e_money))
        .route("/operator/issuance", post(issue))
        .route("/operator/redemption", post(redeem))
        .route("/operator/ledger", get(ledger))
}

const STAFF: [Role; 2] = [Role::Operator, Role::Auditor];

/// A refusal as the reader reads it.
fn refusal(who: &SignedIn, error: &ApiError) -> Notice {
    Notice::refused(who.chrome().t, error)
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
    is_operator: bool,
    /// What needs staff now; `None` when it could not be read (the search still works).
    attention: Option<AttentionView>,
}

/// What a search found, or why it was refused.
type Found = Result<Option<PeoplePageView>, ApiError>;

/// Finds people by phone, name or id (only those with `role`, if given); nothing when nothing was asked.
async fn find(state: &WebState, who: &SignedIn, q: &str, role: Option<Role>) -> Found {
    if q.is_empty() {
        return Ok(None);
    }
    // A whole number typed the way people dial it at home is searched for as stored: international.
    let default_code = state.http.services.kernel.settings.default_country_code.as_ref();
    let q = if q.trim_start().starts_with('+') { q.to_owned() } else { local_phone(q.to_owned(), default_code) };
    let page = state.http.services.support.search(&who.principal, &q, role, None, Some(50)).await?;
    Ok(Some(PeoplePageView::from(&page)))
}

/// A page's results, notice and status: a refused search is the page's notice, unless it has one already.
fn found_or_refused(
    who: &SignedIn,
    found: Found,
    notice: Notice,
    status: StatusCode,
) -> (Option<PeoplePageView>, Notice, StatusCode) {
    match found {
        Ok(found) => (found, notice, status),
        Err(_) if !notice.is_empty() => (None, notice, status),
        Err(error) => (None, refusal(who, &error), error.status),
    }
}

/// `GET /operator/`: find a person by phone, name or id; the console's other sections.
async fn search(
    State(state): State<WebState>,
    who: SignedIn,
    Query(query): Query<SearchQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = who.refused_unless(&STAFF) {
        return refused;
    }
    let q = query.q.unwrap_or_default();
    let searched = find(&state, &who, &q, None).await;
    let (found, notice, status) = found_or_refused(&who, searched, Notice::none(), StatusCode::OK);
    // Typing in the search box (htmx) asks for the results alone; a short or odd query finds nobody.
    if headers.contains_key("hx-request") {
        return page::html(&PeoplePartial { c: who.chrome(), found }, StatusCode::OK, who.reader());
    }
    let is_operator = who.role() == Some(Role::Operator);
    let attention = match state.http.services.support.attention(&who.principal).await {
        Ok(attention) => Some(AttentionView::from(&attention)),
        Err(error) => {
            tracing::warn!(%error, "the operator's home could not count what needs attention");
            None
        }
    };
    let page = SearchPage { c: who.chrome(), notice, q, found, is_operator, attention };
    page::html(&page, status, who.reader())
}

#[derive(Template)]
#[template(path = "operator/people.html")]
struct PeoplePartial {
    c: Chrome,
    found: Option<PeoplePageView>,
}

#[derive(Template)]
#[template(path = "operator/person.html")]
struct PersonPage {
    c: Chrome,
    notice: Notice,
    /// What was typed, into the form named by `form` (grant, freeze or tier).
    typed: Typed,
    form: &'static str,
    summary: PersonSummaryView,
    is_operator: bool,
}

/// `GET /operator/people/{id}`: the person's standing, the form that asks to read their history, and
/// for operators the forms that freeze them or change their tier.
async fn person(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    Query(done): Query<page::Done>,
) -> Response {
    let known = ["merchant", "agent", "frozen", "unfrozen", "tier"];
    let notice = page::done_notice(who.chrome().t, done.done.as_deref(), &known);
    show_person(&state, &who, id, notice, (Typed::default(), ""), StatusCode::OK).await
}

async fn show_person(
    state: &WebState,
    who: &SignedIn,
    id: uuid::Uuid,
    notice: Notice,
    (typed, form): (Typed, &'static str),
    status: StatusCode,
) -> Response {
    match state.http.services.support.summary(&who.principal, UserId(id)).await {
        Ok(summary) => {
            let summary = PersonSummaryView::from(&summary);
            let is_operator = who.role() == Some(Role::Operator);
            let page = PersonPage { c: who.chrome(), notice, typed, form, summary, is_operator };
            page::html(&page, status, who.reader())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

/// A form on the person page refused: the page again, with the reason and what was typed into that form.
async fn person_refused(
    state: &WebState,
    who: &SignedIn,
    id: uuid::Uuid,
    posted: &Posted,
    form: &'static str,
    error: ApiError,
) -> Response {
    show_person(state, who, id, refusal(who, &error), (posted.typed(), form), error.status).await
}

/// `POST /operator/people/{id}/access-grants`: the API's grant, with the reason as stated.
async fn grant(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>, posted: Posted) -> Response {
    let attempt = async {
        // The page always sends the hours: an empty field is a mistake, not "the default".
        if posted.field("hours").is_empty() {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_hours", "say for how many hours"));
        }
        let body: AccessGrantRequest = posted.request()?;
        let reason = StatedReason::try_from(&body)?;
        Ok::<_, ApiError>(
            state.http.services.support.grant_access(&who.principal, UserId(id), &reason, body.hours).await?,
        )
    };
    match attempt.await {
        Ok(_) => page::see_other(&format!("/operator/people/{id}/history")),
        Err(error) => person_refused(&state, &who, id, &posted, "grant", error).await,
    }
}

/// `POST /operator/people/{id}/freeze`: the API's freeze of everything the person holds, with a reason.
async fn freeze(State(state): State<WebState>, who: SignedIn, Path(id): Path<uuid::Uuid>, posted: Posted) -> Response {
    set_frozen(&state, &who, id, &posted, true).await
}

/// `POST /operator/people/{id}/unfreeze`: the API's unfreeze, with a reason.
async fn unfreeze(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    posted: Posted,
) -> Response {
    set_frozen(&state, &who, id, &posted, false).await
}

async fn set_frozen(state: &WebState, who: &SignedIn, id: uuid::Uuid, posted: &Posted, frozen: bool) -> Response {
    let attempt = async {
        let body: ReasonRequest = posted.request()?;
        let reason = StatedReason::try_from(&body)?;
        Ok::<_, ApiError>(
            state.http.services.support.set_person_frozen(&who.principal, UserId(id), frozen, &reason).await?,
        )
    };
    match attempt.await {
        Ok(_) => page::see_other(&format!("/operator/people/{id}?done={}", if frozen { "frozen" } else { "unfrozen" })),
        Err(error) => person_refused(state, who, id, posted, "freeze", error).await,
    }
}

/// `POST /operator/people/{id}/tier`: the API's customer tier.
async fn set_tier(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    posted: Posted,
) -> Response {
    let attempt = async {
        let body: CustomerTierRequest = posted.request()?;
        let tier = CustomerTier::try_from(&body)?;
        Ok::<_, ApiError>(state.http.services.identity.set_customer_tier(&who.principal, UserId(id), tier).await?)
    };
    match attempt.await {
        Ok(()) => page::see_other(&format!("/operator/people/{id}?done=tier")),
        Err(error) => person_refused(&state, &who, id, &posted, "tier", error).await,
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
            who.reader(),
        ),
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}

#[derive(Template)]
#[template(path = "operator/onboarding.html")]
struct OnboardingPage {
    c: Chrome,
    notice: Notice,
    typed: Typed,
}

/// `GET /operator/onboarding`: a new shop and its owner; a new agent.
async fn onboarding(who: SignedIn) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Operator]) {
        return refused;
    }
    show_onboarding(&who, Notice::none(), Typed::default(), StatusCode::OK)
}

fn show_onboarding(who: &SignedIn, notice: Notice, typed: Typed, status: StatusCode) -> Response {
    page::html(&OnboardingPage { c: who.chrome(), notice, typed }, status, who.reader())
}

/// `POST /operator/merchants`: the API's merchant sign-up; then the owner's page shows what was made.
async fn create_merchant(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let body: CreateMerchantRequest = posted.request()?;
        let merchant = NewMerchant::try_from(&body)?;
        Ok::<_, ApiError>(MerchantView::from(
            &state.http.services.identity.create_merchant(&who.principal, &merchant).await?,
        ))
    };
    match attempt.await {
        Ok(merchant) => page::see_other(&format!("/operator/people/{}?done=merchant", merchant.owner.id)),
        Err(error) => show_onboarding(&who, refusal(&who, &error), posted.typed(), error.status),
    }
}

/// `POST /operator/agents`: the API's agent sign-up; then the agent's page shows what was made.
async fn create_agent(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let body: CreateAgentRequest = posted.request()?;
        let agent = NewWorker::try_from(&body)?;
        Ok::<_, ApiError>(AgentView::from(&state.http.services.identity.create_agent(&who.principal, &agent).await?))
    };
    match attempt.await {
        Ok(agent) => page::see_other(&format!("/operator/people/{}?done=agent", agent.user.id)),
        Err(error) => show_onboarding(&who, refusal(&who, &error), posted.typed(), error.status),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct PickQuery {
    q: Option<String>,
    merchant_id: Option<String>,
    agent_id: Option<String>,
    done: Option<String>,
}

/// An id chosen from a search result (a link) to fill a form with; anything but an id is ignored.
fn chosen_id(name: &str, value: Option<&str>) -> Typed {
    let id = value.and_then(|text| text.parse::<uuid::Uuid>().ok());
    Typed::from_pairs(id.map(|id| (name.to_owned(), id.to_string())).into_iter().collect())
}

#[derive(Template)]
#[template(path = "operator/fees.html")]
struct FeesPage {
    c: Chrome,
    notice: Notice,
    typed: Typed,
    q: String,
    found: Option<PeoplePageView>,
}

/// `GET /operator/fees`: find a shop by its owner, and set its fee.
async fn fees(State(state): State<WebState>, who: SignedIn, Query(query): Query<PickQuery>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Operator]) {
        return refused;
    }
    let typed = chosen_id("merchant_id", query.merchant_id.as_deref());
    let notice = page::done_notice(who.chrome().t, query.done.as_deref(), &["fee"]);
    show_fees(&state, &who, query.q.unwrap_or_default(), notice, typed, StatusCode::OK).await
}

async fn show_fees(
    state: &WebState,
    who: &SignedIn,
    q: String,
    notice: Notice,
    typed: Typed,
    status: StatusCode,
) -> Response {
    let searched = find(state, who, &q, Some(Role::MerchantOwner)).await;
    let (found, notice, status) = found_or_refused(who, searched, notice, status);
    page::html(&FeesPage { c: who.chrome(), notice, typed, q, found }, status, who.reader())
}

/// `POST /operator/fees`: the API's fee for the merchant in `merchant_id` (its path in the API).
async fn set_fee(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let merchant = posted.field("merchant_id").parse::<uuid::Uuid>().map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", "the merchant id is not an id: pick or paste one")
        })?;
        // People think of a fee in percent; the API's rate is in basis points.
        let fee_bps = quipu_domain::payment::fee_bps_from_percent(posted.field("fee_percent")).ok_or_else(|| {
            let detail = "a fee is a percentage from 0 to 10 with at most two decimals, such as 1.5";
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_fee_percent", detail)
        })?;
        state.http.services.payments.set_merchant_fee(&who.principal, MerchantId(merchant), fee_bps).await?;
        Ok::<_, ApiError>(merchant)
    };
    match attempt.await {
        Ok(merchant) => page::see_other(&format!("/operator/fees?done=fee&merchant_id={merchant}")),
        Err(error) => show_fees(&state, &who, String::new(), refusal(&who, &error), posted.typed(), error.status).await,
    }
}

#[derive(Template)]
#[template(path = "operator/e-money.html")]
struct MoneyPage {
    c: Chrome,
    notice: Notice,
    /// What was typed, into the form named by `form` (issue or redeem).
    typed: Typed,
    form: &'static str,
    q: String,
    found: Option<PeoplePageView>,
    key: String,
    redeem_key: String,
}

/// `GET /operator/e-money`: find an agent; issue e-money into their float, or redeem it.
async fn e_money(State(state): State<WebState>, who: SignedIn, Query(query): Query<PickQuery>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Operator]) {
        return refused;
    }
    let typed = chosen_id("agent_id", query.agent_id.as_deref());
    let notice = page::done_notice(who.chrome().t, query.done.as_deref(), &["issued", "redeemed"]);
    let q = query.q.unwrap_or_default();
    show_money(&state, &who, q, notice, (typed, ""), StatusCode::OK).await
}

async fn show_money(
    state: &WebState,
    who: &SignedIn,
    q: String,
    notice: Notice,
    (typed, form): (Typed, &'static str),
    status: StatusCode,
) -> Response {
    let searched = find(state, who, &q, Some(Role::Agent)).await;
    let (found, notice, status) = found_or_refused(who, searched, notice, status);
    let (key, redeem_key) = (new_key(state), new_key(state));
    let page = MoneyPage { c: who.chrome(), notice, typed, form, q, found, key, redeem_key };
    page::html(&page, status, who.reader())
}

/// `POST /operator/issuance`: the API's issuance into an agent's float, once per rendered form.
async fn issue(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, FloatRequest) = posted.money_request()?;
        result_json(moves::issue(&state.http, &who.principal, &key, &body).await).await?;
        Ok::<_, ApiError>(body.agent_id)
    };
    match attempt.await {
        Ok(agent) => page::see_other(&format!("/operator/e-money?done=issued&agent_id={agent}")),
        Err(error) => {
            let notice = refusal(&who, &error);
            show_money(&state, &who, String::new(), notice, (posted.typed(), "issue"), error.status).await
        }
    }
}

/// `POST /operator/redemption`: the API's redemption from an agent's float, once per rendered form.
async fn redeem(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let (key, body): (_, FloatRequest) = posted.money_request()?;
        result_json(moves::redeem(&state.http, &who.principal, &key, &body).await).await?;
        Ok::<_, ApiError>(body.agent_id)
    };
    match attempt.await {
        Ok(agent) => page::see_other(&format!("/operator/e-money?done=redeemed&agent_id={agent}")),
        Err(error) => {
            let notice = refusal(&who, &error);
            show_money(&state, &who, String::new(), notice, (posted.typed(), "redeem"), error.status).await
        }
    }
}

#[derive(Template)]
#[template(path = "operator/ledger.html")]
struct LedgerPage {
    c: Chrome,
    report: VerifyView,
    /// The business records checked against the ledger in the same run.
    records: RecordsChecked,
    ran_at: String,
}

/// `GET /operator/ledger`: every ledger invariant checked now (the API's `ledger/verify`), and what it covered.
async fn ledger(State(state): State<WebState>, who: SignedIn) -> Response {
    if let Some(refused) = who.refused_unless(&STAFF) {
        return refused;
    }
    let kernel = &state.http.services.kernel;
    match kernel.verify_ledger(&who.principal).await {
        Ok(report) => {
            let ran_at = rfc3339(kernel.now());
            let page = LedgerPage {
                c: who.chrome(),
                report: VerifyView::from(&report),
                records: report.records_checked,
                ran_at,
            };
            page::html(&page, StatusCode::OK, who.reader())
        }
        Err(error) => failed(&who, &ApiError::from(error)),
    }
}
