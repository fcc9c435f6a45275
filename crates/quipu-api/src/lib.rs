//! Quipu's HTTP API: JSON under `/api/v1`, problem+json errors, an OpenAPI
//! document, health, readiness and Prometheus metrics.
//!
//! Thin by design: a handler parses the request, calls one `quipu-core`
//! service with the authenticated [`quipu_core::Principal`], and shapes the
//! answer. Authorization and rules live in the services, not here.

pub mod cards;
pub mod events;
pub mod handlers;
pub mod merchant_qr;
pub mod moves;
pub mod openapi;
pub mod payments;
pub mod receipts;
pub mod requests;
pub mod settlement;
pub mod support;
pub mod views;
pub mod zones;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{delete, get, post, put};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use quipu_core::Services;
use quipu_http::{Http, HttpSettings, problem, rate_limit};
use serde_json::value::RawValue;
use utoipa::OpenApi;

/// What a payment's and a refund's events carry: exactly what the API shows for them.
pub struct JsonDocuments;

impl quipu_core::PaymentDocuments for JsonDocuments {
    fn payment(&self, payment: &quipu_core::payments::Payment) -> serde_json::Result<Box<RawValue>> {
        serde_json::value::to_raw_value(&views::PaymentView::from(payment))
    }

    fn refund(&self, refund: &quipu_core::payments::Refund) -> serde_json::Result<Box<RawValue>> {
        serde_json::value::to_raw_value(&views::RefundView::from(refund))
    }
}

#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    /// What the web pages share with the API: the caller, idempotency, rate limits.
    pub http: Http,
    pub metrics: Option<PrometheusHandle>,
    /// Set when the server starts shutting down: live streams end, so the graceful shutdown is not held open.
    pub closing: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AppState {
    pub fn new(services: Arc<Services>, http: HttpSettings, metrics: Option<PrometheusHandle>) -> Self {
        Self {
            http: Http::new(services.clone(), http),
            services,
            metrics,
            closing: Arc::new(tokio::sync::watch::Sender::new(false)),
        }
    }
}

impl FromRef<AppState> for Http {
    fn from_ref(state: &AppState) -> Self {
        state.http.clone()
    }
}

/// Installs the process-wide Prometheus recorder once and returns its handle.
pub fn metrics_recorder() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
            let sizes = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0];
            PrometheusBuilder::new()
                .set_buckets(&buckets)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        metrics_exporter_prometheus::Matcher::Full("quipu_ledger_batch_size".into()),
                        &sizes,
                    )
                })
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|error| tracing::warn!(%error, "metrics recorder not installed"))
                .ok()
                .inspect(spawn_upkeep)
        })
        .clone()
}

/// How often recorded histogram samples are folded into their buckets.
const METRICS_UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// `install_recorder` leaves upkeep to the caller: until it runs, every histogram sample is kept,
/// so a server nobody scrapes would grow without bound (about 20 MiB per 5 000 payments).
fn spawn_upkeep(handle: &PrometheusHandle) {
    let handle = handle.clone();
    let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
        loop {
            std::thread::sleep(METRICS_UPKEEP_INTERVAL);
            handle.run_upkeep();
        }
    });
    if let Err(error) = spawned {
        tracing::warn!(%error, "metrics upkeep not started; histograms grow until /metrics is scraped");
    }
}

pub fn router(state: AppState) -> Router {
    let unauthenticated = Router::new()
        .route("/auth/register", post(handlers::register))
        .route("/auth/login", post(handlers::login))
        .route("/auth/reset-password", post(support::reset_password))
        .route("/cards/balance", post(cards::balance))
        .route_layer(middleware::from_fn_with_state(state.http.clone(), rate_limit::limit_by_address));
    let api = Router::new()
        .merge(unauthenticated)
        .route("/openapi.json", get(|| async { axum::Json(openapi::ApiDoc::openapi()) }))
        .route("/auth/logout", post(handlers::logout))
        .route("/me", get(handlers::me))
        .route("/me/funding-sources", get(handlers::funding_sources).post(handlers::add_funding_source))
        .route("/me/funding-sources/{id}", delete(handlers::remove_funding_source))
        .route("/me/password", put(handlers::change_password))
        .route("/me/pin", put(handlers::change_pin))
        .route("/me/events", get(events::my_events))
        .route("/me/transactions", get(handlers::my_history))
        .route("/accounts/{id}", get(handlers::account))
        .route("/accounts/{id}/transactions", get(handlers::history))
        .route("/accounts/{id}/statement", get(handlers::statement))
        .route("/accounts/{id}/statement.csv", get(handlers::statement_csv))
        .route("/transactions/{id}/receipt", get(handlers::receipt))
        .route("/transfers/p2p", post(handlers::p2p))
        .route("/transfers/p2p/preview", post(handlers::p2p_preview))
        .route("/agent/cash-in", post(handlers::cash_in))
        .route("/agent/cash-out", post(handlers::cash_out))
        .route("/operator/agents", post(handlers::create_agent))
        .route("/operator/merchants", post(handlers::create_merchant))
        .route("/operator/issuance", post(handlers::issue))
        .route("/operator/redemption", post(handlers::redeem))
        .route("/operator/accounts/{id}/freeze", post(handlers::freeze))
        .route("/operator/accounts/{id}/unfreeze", post(handlers::unfreeze))
        .route("/operator/ledger/verify", get(handlers::verify))
        .route("/merchant", get(handlers::merchant))
        .route("/merchant/cashiers", get(handlers::cashiers).post(handlers::add_cashier))
        .route("/merchant/cashiers/{id}", delete(handlers::remove_cashier))
        .route("/merchant/cashiers/{id}/permissions", put(handlers::set_cashier_permissions))
        .route("/merchant/api-keys", get(handlers::api_keys).post(handlers::create_api_key))
        .route("/merchant/api-keys/{id}", delete(handlers::revoke_api_key))
        .route("/me/devices", get(payments::devices).post(payments::enroll_device))
        .route("/me/devices/{id}/pause", post(payments::pause_device))
        .route("/me/devices/{id}/resume", post(payments::resume_device))
        .route("/me/devices/{id}/revoke", post(payments::revoke_device))
        .route("/merchant/charges", post(payments::charge))
        .route("/merchant/payments", get(payments::merchant_payments))
        .route("/merchant/payments/{id}/refunds", post(payments::refund))
        .route("/merchant/refund-policy", put(payments::set_refund_policy))
        .route("/payments/{id}", get(payments::payment))
        .route("/payments/{id}/approve", post(payments::approve))
        .route("/payments/{id}/cancel", post(payments::cancel))
        .route("/operator/merchants/{id}/fee", put(payments::set_fee))
        .route("/merchant/profile", get(merchant_qr::profile).put(merchant_qr::set_profile))
        .route("/merchant/time-zone", get(zones::shop_zone).put(zones::set_shop_zone))
        .route("/me/time-zone", get(zones::my_zone).put(zones::set_my_zone))
        .route("/merchant/qr", get(merchant_qr::merchant_qr))
        .route("/merchant/payment-requests", post(merchant_qr::create_payment_request))
        .route("/merchant/payment-requests/{id}", get(merchant_qr::payment_request))
        .route("/me/scan", post(merchant_qr::scan))
        .route("/me/payments", get(payments::my_payments).post(merchant_qr::pay))
        .route("/merchant/events", get(events::events))
        .route("/merchant/webhooks", get(events::webhooks).post(events::create_webhook))
        .route("/merchant/webhooks/{id}", delete(events::delete_webhook))
        .route("/merchant/webhooks/{id}/deliveries", get(events::deliveries))
        .route("/merchant/webhooks/{id}/test", post(events::test_webhook))
        .route("/merchant/webhooks/{id}/deliveries/{event_id}/redeliver", post(events::redeliver))
        .route("/agent/cards", post(cards::issue))
        .route("/agent/cards/top-up", post(cards::top_up))
        .route("/agent/cards/block", post(cards::block))
        .route("/agent/cards/unblock", post(cards::unblock))
        .route("/agent/cards/replace", post(cards::replace))
        .route("/operator/cards/replacement-approvals", post(cards::approve_replacement))
        .route("/me/access-log", get(handlers::access_log))
        .route("/me/export", get(handlers::export))
        .route("/operator/attention", get(support::attention))
        .route("/operator/people", get(support::search))
        .route("/operator/people/{id}", get(support::summary))
        .route("/operator/people/{id}/unlock", post(support::unlock))
        .route("/operator/people/{id}/reset-codes", post(support::reset_code))
        .route("/operator/people/{id}/reset-codes/approve", post(support::approve_reset_code))
        .route("/agent/reset-codes", post(support::agent_reset_code))
        .route("/operator/people/{id}/freeze", post(support::freeze))
        .route("/operator/people/{id}/unfreeze", post(support::unfreeze))
        .route("/operator/people/{id}/access-grants", post(support::grant))
        .route("/operator/people/{id}/transactions", get(support::history))
        .route("/operator/people/{id}/accounts/{account_id}/transactions", get(support::account_history))
        .route("/merchant/card-payments", post(cards::pay))
        .route("/me/cards", get(cards::my_cards))
        .route("/me/cards/{id}/block", post(cards::block_mine))
        .route("/me/cards/{id}/unblock", post(cards::unblock_mine))
        .route("/payments/{id}/receipt", get(receipts::receipt))
        .route("/payments/{id}/receipt.html", get(receipts::receipt_html))
        .route("/merchant/summary", get(receipts::summary))
        .route("/merchant/staff-summary", get(receipts::staff_summary))
        .route("/operator/customers/{id}/tier", put(receipts::set_tier))
        .route("/merchant/bank-accounts", get(settlement::bank_accounts).post(settlement::add_bank_account))
        .route("/merchant/payouts", get(settlement::merchant_payouts).post(settlement::request_payout))
        .route("/merchant/payout-schedule", put(settlement::set_payout_schedule))
        .route("/operator/payouts", get(settlement::operator_payouts))
        .route("/operator/payouts/{id}/reject", post(settlement::reject_payout))
        .route("/operator/payout-batches", post(settlement::create_batch))
        .route("/operator/payout-batches/{id}", get(settlement::batch))
        .route("/operator/payout-batches/{id}/file.csv", get(settlement::batch_file))
        .route("/operator/payout-batches/{id}/paid", post(settlement::mark_batch_paid))
        .route("/operator/commissions", get(settlement::commissions))
        .route("/operator/commissions/{operation}", put(settlement::set_commission))
        .route("/agent/commissions", get(settlement::earnings))
        .route("/agent/recipient", post(settlement::recipient))
        .route_layer(middleware::from_fn(openapi::refuse_undocumented_query));
    let router = Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(handlers::readyz))
        .route("/metrics", get(handlers::metrics))
        .fallback(problem::fallback)
        .method_not_allowed_fallback(|| async {
            problem::ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method",
            )
        });
    quipu_http::common_layers(router, state.http.clone()).with_state(state)
}
