//! The OpenAPI 3.1 document, generated from the handlers' annotations, and
//! the rule that holds every request to its query parameters.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use axum::extract::{MatchedPath, Query, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use quipu_http::problem::ApiError;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{cards, events, handlers, merchant_qr, payments, receipts, settlement, support};

#[derive(OpenApi)]
#[openapi(
    info(title = "Quipu API", description = "Payments, wallets and agents for cash-first places. Errors are RFC 9457 problem documents."),
    paths(
        handlers::register, handlers::login, handlers::logout, handlers::me, handlers::add_funding_source, handlers::funding_sources,
        handlers::my_history, handlers::account, handlers::history, handlers::statement, handlers::statement_csv, handlers::receipt, handlers::p2p,
        handlers::cash_in, handlers::cash_out,
        handlers::create_agent, handlers::create_merchant, handlers::issue, handlers::redeem, handlers::freeze, handlers::unfreeze, handlers::verify,
        handlers::merchant, handlers::add_cashier, handlers::create_api_key, handlers::revoke_api_key,
        handlers::api_keys, handlers::cashiers, handlers::remove_cashier, handlers::set_cashier_permissions,
        handlers::change_password, handlers::change_pin, handlers::remove_funding_source,
        payments::my_payments, events::my_events, events::test_webhook,
        payments::enroll_device, payments::devices, payments::pause_device, payments::resume_device, payments::revoke_device,
        payments::charge, payments::merchant_payments, payments::payment, payments::approve, payments::cancel,
        payments::refund, payments::set_fee, payments::set_refund_policy,
        merchant_qr::merchant_qr, merchant_qr::create_payment_request, merchant_qr::payment_request, merchant_qr::scan,
        merchant_qr::pay, merchant_qr::set_profile, merchant_qr::profile,
        events::events, events::create_webhook, events::webhooks, events::delete_webhook, events::deliveries, events::redeliver,
        cards::issue, cards::top_up, cards::block, cards::unblock, cards::replace, cards::balance, cards::pay, cards::my_cards,
        cards::block_mine, cards::unblock_mine, cards::approve_replacement, handlers::access_log, handlers::export,
        support::search, support::summary, support::unlock, support::freeze, support::unfreeze, support::grant,
        support::history, support::account_history, support::reset_code, support::approve_reset_code, support::agent_reset_code,
        support::reset_password,
        receipts::receipt, receipts::receipt_html, receipts::summary, receipts::set_tier,
        settlement::add_bank_account, settlement::bank_accounts, settlement::request_payout,
        settlement::merchant_payouts, settlement::set_payout_schedule, settlement::operator_payouts, settlement::create_batch,
        settlement::batch, settlement::batch_file, settlement::mark_batch_paid, settlement::reject_payout,
        settlement::set_commission, settlement::commissions, settlement::earnings, settlement::recipient,
    ),
    modifiers(&BearerAuth),
    tags((name = "identity"), (name = "wallet"), (name = "agent"), (name = "operator"), (name = "merchant"), (name = "payments"), (name = "merchant QR"), (name = "merchant integration"), (name = "cards"), (name = "settlement"))
)]
pub struct ApiDoc;

/// The document as JSON, for the web pages' API reference.
pub fn document() -> serde_json::Value {
    serde_json::to_value(ApiDoc::openapi()).unwrap_or_default()
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some("A session token from /auth/login, or a merchant API key"))
                        .build(),
                ),
            );
        }
    }
}

/// The query parameters each operation documents, by method and route template.
type QueryParameters = HashMap<(Method, String), BTreeSet<String>>;

fn documented_query_parameters() -> &'static QueryParameters {
    static PARAMETERS: OnceLock<QueryParameters> = OnceLock::new();
    PARAMETERS.get_or_init(|| {
        let mut parameters = QueryParameters::new();
        for (path, item) in ApiDoc::openapi().paths.paths {
            let operations = [(Method::GET, item.get), (Method::PUT, item.put), (Method::POST, item.post)];
            let operations = operations.into_iter().chain([(Method::DELETE, item.delete), (Method::PATCH, item.patch)]);
            for (method, operation) in operations {
                if let Some(operation) = operation {
                    parameters.insert((method, path.clone()), query_names(&operation));
                }
            }
        }
        parameters
    })
}

fn query_names(operation: &Operation) -> BTreeSet<String> {
    let parameters = operation.parameters.iter().flatten();
    parameters.filter(|p| matches!(p.parameter_in, ParameterIn::Query)).map(|p| p.name.clone()).collect()
}

/// Refuses a query parameter the operation does not document, on every route: an
/// unknown filter (a typo, or one this version does not support) must be an error,
/// not silently ignored into an answer that looks filtered and is not. The document is
/// the list, so the two cannot drift; the handlers' own query types refuse unknown
/// fields too.
pub async fn refuse_undocumented_query(route: Option<MatchedPath>, request: Request, next: Next) -> Response {
    if request.uri().query().is_some_and(|query| !query.is_empty()) {
        let method = if request.method() == Method::HEAD { Method::GET } else { request.method().clone() };
        let documented =
            route.and_then(|route| documented_query_parameters().get(&(method, route.as_str().to_owned())));
        let names = match Query::<Vec<(String, String)>>::try_from_uri(request.uri()) {
            Ok(Query(pairs)) => pairs.into_iter().map(|(name, _)| name),
            Err(rejection) => return ApiError::from(rejection).into_response(),
        };
        for name in names {
            if !documented.is_some_and(|documented| documented.contains(&name)) {
                let takes = match documented.filter(|documented| !documented.is_empty()) {
                    Some(documented) => {
                        format!("it takes {}", documented.iter().map(String::as_str).collect::<Vec<_>>().join(", "))
                    }
                    None => "it takes none".to_owned(),
                };
                let detail = format!("this endpoint has no query parameter `{name}`; {takes}");
                return ApiError::new(StatusCode::BAD_REQUEST, "unknown_query_parameter", detail).into_response();
            }
        }
    }
    next.run(request).await
}
