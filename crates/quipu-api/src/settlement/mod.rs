//! Settlement: merchants' bank accounts and payouts, payout batches, commissions and agents' earnings.

pub mod requests;
pub mod views;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use quipu_domain::identity::PhoneNumber;
use quipu_domain::settlement::{CommissionOperation, CommissionRate, PayoutBatchId, PayoutId, PayoutStatus};
use quipu_http::Policy;
use quipu_http::extract::{ApiJson, ApiPath, ApiQuery, Caller, IdempotencyKey};
use quipu_http::idempotency;
use quipu_http::problem::{ApiError, Problem};
use utoipa_axum::routes;

use self::requests::*;
use self::views::*;
use crate::common::{ApiResult, created};
use crate::routes::Routes;
use crate::wallet::views::RecipientView;
use crate::{AppState, moves};

/// This context's routes, each declared once: served, and documented, from here.
pub fn routes() -> Routes {
    Routes::under(Policy::writes())
        .routes(routes!(bank_accounts, add_bank_account))
        .routes(routes!(merchant_payouts, request_payout))
        .routes(routes!(set_payout_schedule))
        .routes(routes!(operator_payouts))
        .routes(routes!(reject_payout))
        .routes(routes!(create_batch))
        .routes(routes!(batch))
        .routes(routes!(batch_file))
        .routes(routes!(mark_batch_paid))
        .routes(routes!(commissions))
        .routes(routes!(set_commission))
        .routes(routes!(earnings))
        // Read back before a PIN or cash changes hands: nothing is written, so nothing waits for the disk.
        .then_under(Policy::writes_nothing())
        .routes(routes!(recipient))
}

fn invalid(code: &'static str, detail: &str) -> ApiError {
    ApiError::from(quipu_core::CoreError::invalid(code, detail))
}

/// A merchant's owner registers a bank account for payouts (shown masked from then on).
#[utoipa::path(post, path = "/api/v1/merchant/bank-accounts", tag = "settlement", security(("bearer" = [])),
    request_body = BankAccountRequest,
    responses((status = 201, body = BankAccountView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn add_bank_account(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<BankAccountRequest>,
) -> ApiResult<impl IntoResponse> {
    let (bank, holder, number) = <(_, _, _)>::try_from(&body)?;
    let account = state.services.settlement.add_bank_account(&caller, &bank, &holder, &number).await?;
    Ok(created(BankAccountView::from(&account)))
}

/// The merchant's bank accounts, masked.
#[utoipa::path(get, path = "/api/v1/merchant/bank-accounts", tag = "settlement", security(("bearer" = [])),
    responses((status = 200, body = [BankAccountView]), (status = 403, body = Problem)))]
pub async fn bank_accounts(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<axum::Json<Vec<BankAccountView>>> {
    let accounts = state.services.settlement.bank_accounts(&caller).await?;
    Ok(axum::Json(accounts.iter().map(BankAccountView::from).collect()))
}

/// A merchant's owner asks for a payout to one of the merchant's bank accounts: the amount, or the
/// whole available balance. The money is held at once, and leaves when the operator marks the
/// bank's batch paid.
#[utoipa::path(post, path = "/api/v1/merchant/payouts", tag = "settlement", security(("bearer" = [])),
    request_body = PayoutRequest, params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = PayoutView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn request_payout(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<PayoutRequest>,
) -> ApiResult<Response> {
    moves::payout(&state.http, &caller, &key, &body).await
}

/// The merchant's payouts, newest first.
#[utoipa::path(get, path = "/api/v1/merchant/payouts", tag = "settlement", security(("bearer" = [])),
    responses((status = 200, body = [PayoutView]), (status = 403, body = Problem)))]
pub async fn merchant_payouts(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<axum::Json<Vec<PayoutView>>> {
    let payouts = state.services.settlement.payouts(&caller).await?;
    Ok(axum::Json(payouts.iter().map(PayoutView::from).collect()))
}

/// A merchant's owner has payouts made automatically, once a day, when the available balance is
/// above a threshold; without a bank account, scheduled payouts in the currency stop.
#[utoipa::path(put, path = "/api/v1/merchant/payout-schedule", tag = "settlement", security(("bearer" = [])),
    request_body = PayoutScheduleRequest,
    responses((status = 200, body = [PayoutScheduleView]), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_payout_schedule(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<PayoutScheduleRequest>,
) -> ApiResult<axum::Json<Vec<PayoutScheduleView>>> {
    let schedule = match (body.bank_account_id, body.threshold.as_deref()) {
        (Some(account), Some(threshold)) => Some((account, threshold)),
        (None, None) => None,
        // A threshold alone is no schedule either; it is not silently dropped.
        (None, Some(_)) => {
            let detail = "a threshold is set with a bank account; send neither to stop automatic payouts";
            return Err(quipu_core::CoreError::new(quipu_core::ErrorKind::Rejected, "invalid_body", detail).into());
        }
        // Each field is well formed; an account without a threshold is no schedule (422, not malformed).
        (Some(_), None) => {
            let detail = "threshold is required with a bank account";
            return Err(quipu_core::CoreError::new(quipu_core::ErrorKind::Rejected, "invalid_body", detail).into());
        }
    };
    let settlement = &state.services.settlement;
    settlement.set_schedule(&caller, body.currency.as_deref(), schedule).await?;
    let schedules = settlement.schedules(&caller).await?;
    Ok(axum::Json(schedules.iter().map(PayoutScheduleView::from).collect()))
}

/// Payouts in a state (pending by default), oldest first, for the operator.
#[utoipa::path(get, path = "/api/v1/operator/payouts", tag = "settlement", security(("bearer" = [])),
    params(PayoutListParams), responses((status = 200, body = [PayoutView]), (status = 403, body = Problem)))]
pub async fn operator_payouts(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(params): ApiQuery<PayoutListParams>,
) -> ApiResult<axum::Json<Vec<PayoutView>>> {
    let status = match params.status.as_deref() {
        None => PayoutStatus::Pending,
        Some(text) => PayoutStatus::parse(text).ok_or_else(|| invalid("invalid_status", "unknown payout status"))?,
    };
    let payouts = state.services.settlement.payouts_with_status(&caller, status).await?;
    Ok(axum::Json(payouts.iter().map(PayoutView::from).collect()))
}

/// The operator batches the pending payouts (the oldest 1000) for the bank.
#[utoipa::path(post, path = "/api/v1/operator/payout-batches", tag = "settlement", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = PayoutBatchView), (status = 403, body = Problem)))]
pub async fn create_batch(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
) -> ApiResult<Response> {
    let (state, caller) = (&state, &caller);
    idempotency::once(&state.http, caller, &key, "payout-batch", &(), |id| async move {
        let batch = state.services.settlement.create_batch(caller, PayoutBatchId(id.0)).await?;
        Ok(PayoutBatchView::from(&batch))
    })
    .await
}

/// A batch and its payouts.
#[utoipa::path(get, path = "/api/v1/operator/payout-batches/{id}", tag = "settlement", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = PayoutBatchView), (status = 404, body = Problem)))]
pub async fn batch(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<PayoutBatchView>> {
    let batch = state.services.settlement.batch(&caller, PayoutBatchId(id)).await?;
    Ok(axum::Json(PayoutBatchView::from(&batch)))
}

/// The batch file for the bank, as CSV: one row per payout, with the full account number.
#[utoipa::path(get, path = "/api/v1/operator/payout-batches/{id}/file.csv", tag = "settlement", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = Problem)))]
pub async fn batch_file(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<Response> {
    let csv = state.services.settlement.batch_csv(&caller, PayoutBatchId(id)).await?;
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"payouts.csv\""));
    Ok(response)
}

/// The operator marks a batch paid once the bank paid it: every payout in it is paid, its held
/// money posted to settlement. A payout the ledger will not pay yet (its merchant's account is
/// frozen) stays batched and is listed in `waiting` with why; marking the batch paid again pays it.
#[utoipa::path(post, path = "/api/v1/operator/payout-batches/{id}/paid", tag = "settlement", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path), ("Idempotency-Key" = String, Header)),
    responses((status = 201, body = PayoutBatchView), (status = 404, body = Problem)))]
pub async fn mark_batch_paid(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<Response> {
    let (state, caller) = (&state, &caller);
    idempotency::once(&state.http, caller, &key, "payout-batch-paid", &id, |_| async move {
        let batch = state.services.settlement.mark_batch_paid(caller, PayoutBatchId(id)).await?;
        Ok(PayoutBatchView::from(&batch))
    })
    .await
}

/// The operator rejects a payout not yet paid: its held money is the merchant's again.
#[utoipa::path(post, path = "/api/v1/operator/payouts/{id}/reject", tag = "settlement", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path), ("Idempotency-Key" = String, Header)),
    responses((status = 201, body = PayoutView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reject_payout(
    State(state): State<AppState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<Response> {
    let (state, caller) = (&state, &caller);
    idempotency::once(&state.http, caller, &key, "payout-reject", &id, |_| async move {
        let payout = state.services.settlement.reject_payout(caller, PayoutId(id)).await?;
        Ok(PayoutView::from(&payout))
    })
    .await
}

/// The operator sets what an agent operation (cash_in, cash_out, card_issue) earns: a fixed
/// amount or basis points, paid from the network's fee income, never beyond what it holds.
#[utoipa::path(put, path = "/api/v1/operator/commissions/{operation}", tag = "settlement", security(("bearer" = [])),
    params(("operation" = String, Path, description = "cash_in, cash_out or card_issue", example = "cash_in",
        pattern = "^(?:cash_in|cash_out|card_issue)$")),
    request_body = CommissionRequest,
    responses((status = 200, body = CommissionView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn set_commission(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(operation): ApiPath<String>,
    ApiJson(body): ApiJson<CommissionRequest>,
) -> ApiResult<axum::Json<CommissionView>> {
    let operation = CommissionOperation::parse(&operation)
        .ok_or_else(|| invalid("invalid_operation", "the operation is cash_in, cash_out or card_issue"))?;
    let currencies = &state.services.kernel.settings.currencies;
    let currency = currencies.get_or_default(body.currency.as_deref()).map_err(quipu_core::CoreError::from)?;
    let rate = match (&body.fixed, body.bps) {
        (Some(fixed), None) => {
            CommissionRate::Fixed(currency.parse_amount(fixed).map_err(quipu_core::CoreError::from)?)
        }
        (None, Some(bps)) => CommissionRate::Bps(bps),
        // Which one is the operator's choice, not the schema's: a body with neither or both is well formed.
        _ => {
            return Err(ApiError::from(quipu_core::CoreError::new(
                quipu_core::ErrorKind::Rejected,
                "invalid_commission",
                "give exactly one of fixed and bps",
            )));
        }
    };
    if operation == CommissionOperation::CardIssue && matches!(rate, CommissionRate::Bps(_)) {
        // Both are well formed; together they name no rate, since a card issue has no amount (422).
        let detail = "a card issue has no amount: its commission must be a fixed amount";
        return Err(quipu_core::CoreError::new(quipu_core::ErrorKind::Rejected, "invalid_commission", detail).into());
    }
    let commission =
        state.services.wallet.set_commission(&caller, operation, Some(currency.code.as_str()), rate).await?;
    Ok(axum::Json(CommissionView::from(&commission)))
}

/// Every configured commission.
#[utoipa::path(get, path = "/api/v1/operator/commissions", tag = "settlement", security(("bearer" = [])),
    responses((status = 200, body = [CommissionView]), (status = 403, body = Problem)))]
pub async fn commissions(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<axum::Json<Vec<CommissionView>>> {
    let commissions = state.services.wallet.commissions(&caller).await?;
    Ok(axum::Json(commissions.iter().map(CommissionView::from).collect()))
}

/// What the calling agent has earned in commissions.
#[utoipa::path(get, path = "/api/v1/agent/commissions", tag = "agent", security(("bearer" = [])),
    responses((status = 200, body = EarningsView), (status = 403, body = Problem)))]
pub async fn earnings(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<EarningsView>> {
    Ok(axum::Json(EarningsView::from(&state.services.wallet.earnings(&caller).await?)))
}

/// Before taking or paying out cash, an agent reads back who a phone number belongs to.
#[utoipa::path(post, path = "/api/v1/agent/recipient", tag = "agent", security(("bearer" = [])),
    request_body = RecipientRequest,
    responses((status = 200, body = RecipientView), (status = 404, body = Problem)))]
pub async fn recipient(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<RecipientRequest>,
) -> ApiResult<axum::Json<RecipientView>> {
    let phone = PhoneNumber::parse(&body.phone).map_err(quipu_core::CoreError::from)?;
    Ok(axum::Json(RecipientView::from(&state.services.wallet.recipient(&caller, &phone).await?)))
}
