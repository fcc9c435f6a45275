//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{cards, events, handlers, merchant_qr, payments, receipts, settlement};

#[derive(OpenApi)]
#[openapi(
    info(title = "Quipu API", description = "Payments, wallets and agents for cash-first places. Errors are RFC 9457 problem documents."),
    paths(
        handlers::register, handlers::login, handlers::logout, handlers::me, handlers::add_funding_source, handlers::funding_sources,
        handlers::my_history, handlers::account, handlers::history, handlers::statement, handlers::receipt, handlers::p2p,
        handlers::cash_in, handlers::cash_out,
        handlers::create_agent, handlers::create_merchant, handlers::issue, handlers::redeem, handlers::freeze, handlers::unfreeze, handlers::verify,
        handlers::merchant, handlers::add_cashier, handlers::create_api_key, handlers::revoke_api_key,
        payments::enroll_device, payments::devices, payments::pause_device, payments::resume_device, payments::revoke_device,
        payments::charge, payments::merchant_payments, payments::payment, payments::approve, payments::cancel,
        payments::refund, payments::set_fee, payments::set_refund_policy,
        merchant_qr::merchant_qr, merchant_qr::create_payment_request, merchant_qr::payment_request, merchant_qr::scan,
        merchant_qr::pay, merchant_qr::set_profile,
        events::events, events::create_webhook, events::webhooks, events::delete_webhook, events::deliveries, events::redeliver,
        cards::issue, cards::top_up, cards::block, cards::unblock, cards::replace, cards::balance, cards::pay, cards::my_cards,
        cards::block_mine, cards::unblock_mine,
        receipts::receipt, receipts::receipt_html, receipts::summary, receipts::set_tier,
        settlement::set_pin, settlement::add_bank_account, settlement::bank_accounts, settlement::request_payout,
        settlement::merchant_payouts, settlement::set_payout_schedule, settlement::operator_payouts, settlement::create_batch,
        settlement::batch, settlement::batch_file, settlement::mark_batch_paid, settlement::reject_payout,
        settlement::set_commission, settlement::commissions, settlement::earnings, settlement::recipient,
    ),
    modifiers(&BearerAuth),
    tags((name = "identity"), (name = "wallet"), (name = "agent"), (name = "operator"), (name = "merchant"), (name = "payments"), (name = "merchant QR"), (name = "merchant integration"), (name = "cards"), (name = "settlement"))
)]
pub struct ApiDoc;

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
