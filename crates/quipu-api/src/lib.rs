//! Quipu's HTTP API: JSON under `/api/v1`, problem+json errors, an OpenAPI
//! document, health, readiness and Prometheus metrics.
//!
//! Thin by design: a handler parses the request, calls one `quipu-core`
//! service with the authenticated [`quipu_core::Principal`], and shapes the
//! answer. Authorization and rules live in the services, not here.
//!
//! One module per context (its handlers, `requests`, `views`), each declaring
//! its routes once ([`routes::Routes`]): the served router and the OpenAPI
//! document both come from [`contexts`], so a route and its entry cannot drift.

pub mod cards;
pub mod common;
pub mod delivery;
pub mod events;
pub mod habits;
pub mod identity;
pub mod market;
pub mod merchant_qr;
pub mod moves;
pub mod openapi;
pub mod operations;
pub mod orders;
pub mod payments;
pub mod routes;
pub mod settlement;
pub mod support;
pub mod wallet;
pub mod zones;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use quipu_core::Services;
use quipu_http::{Http, HttpSettings, problem};
use serde_json::value::RawValue;

use crate::routes::Routes;

/// What a payment's and a refund's events carry: exactly what the API shows for them.
pub struct JsonDocuments;

impl quipu_core::PaymentDocuments for JsonDocuments {
    fn payment(&self, payment: &quipu_core::payments::Payment) -> serde_json::Result<Box<RawValue>> {
        serde_json::value::to_raw_value(&payments::views::PaymentView::from(payment))
    }

    fn refund(&self, refund: &quipu_core::payments::Refund) -> serde_json::Result<Box<RawValue>> {
        serde_json::value::to_raw_value(&payments::views::RefundView::from(refund))
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

/// Every context's routes, composed in this one place.
pub fn contexts() -> Routes {
    Routes::default()
        .merge(identity::routes())
        .merge(wallet::routes())
        .merge(payments::routes())
        .merge(merchant_qr::routes())
        .merge(cards::routes())
        .merge(events::routes())
        .merge(support::routes())
        .merge(settlement::routes())
        .merge(zones::routes())
        .merge(market::routes())
        .merge(orders::routes())
        .merge(habits::routes())
        .merge(delivery::routes())
}

pub fn router(state: AppState) -> Router {
    let (api, document) = contexts().serve(&state.http);
    // Serialised once: the document is the same for every request.
    let document = serde_json::to_vec(&openapi::finish(document)).unwrap_or_default();
    let document = axum::body::Bytes::from(document);
    let api = api
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let document = document.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], document).into_response() }
            }),
        )
        .route_layer(middleware::from_fn(openapi::refuse_undocumented_query));
    let router = api.merge(operations::routes()).fallback(problem::fallback).method_not_allowed_fallback(|| async {
        problem::ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this endpoint does not take that method",
        )
    });
    quipu_http::common_layers(router).with_state(state)
}
