//! The JSON answers of this context, described for the OpenAPI document.

use quipu_core::kernel::text::rfc3339;
use quipu_core::merchant_qr::{MerchantQr, PaymentRequest, ScannedMerchant};
use quipu_domain::money::Amount;
use serde::Serialize;
use utoipa::ToSchema;

use crate::common::views::*;
use crate::payments::views::PaymentView;

/// A merchant's static QR: customers scan it and type the amount.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MerchantQrView {
    /// The EMV merchant-presented payload to print as a QR code.
    pub payload: String,
    pub merchant_id: uuid::Uuid,
    /// The till printed into the QR; null for the whole shop.
    pub till: Option<String>,
}

/// A request for one payment, shown at the till as a dynamic QR.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentRequestView {
    pub id: uuid::Uuid,
    /// open, processing, paid or expired. A failed attempt leaves it open.
    pub status: String,
    /// The EMV merchant-presented payload to show as a QR code.
    pub payload: String,
    pub amount: MoneyView,
    pub reference: String,
    /// The till that asked; null when none was named.
    pub till: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    /// The payment, once a customer has paid.
    pub payment: Option<PaymentView>,
}

/// What a customer's app shows after scanning a merchant's QR, before the customer confirms with their PIN.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScannedMerchantView {
    /// static (the customer types the amount) or dynamic (one sale, amount fixed).
    pub kind: String,
    pub merchant_id: uuid::Uuid,
    /// The name Quipu has registered for the merchant, not whatever the QR says.
    pub merchant_name: String,
    pub city: String,
    /// The till the QR names; null when it names none.
    pub till: Option<String>,
    /// The sale's amount (dynamic QR), or the amount printed on a static QR.
    pub amount: Option<MoneyView>,
    pub currency: String,
    pub reference: String,
    /// The largest amount a static QR may pay in one go.
    pub max_amount: Option<MoneyView>,
    pub request_id: Option<uuid::Uuid>,
    /// For a dynamic QR: open, processing, paid or expired.
    pub request_status: Option<String>,
    pub expires_at: Option<String>,
}

impl From<&MerchantQr> for MerchantQrView {
    fn from(qr: &MerchantQr) -> Self {
        Self { payload: qr.payload.clone(), merchant_id: qr.merchant_id.0, till: named_till(qr.till.as_str()) }
    }
}

impl From<&PaymentRequest> for PaymentRequestView {
    fn from(request: &PaymentRequest) -> Self {
        let r = &request.record;
        Self {
            id: r.id.0,
            status: request.status.as_str().to_owned(),
            payload: request.payload.clone(),
            amount: MoneyView::new(r.amount, r.currency),
            reference: r.reference.clone(),
            till: named_till(&r.till),
            created_at: rfc3339(r.created_at),
            expires_at: rfc3339(r.expires_at),
            payment: request.payment.as_ref().map(PaymentView::from),
        }
    }
}

impl From<&ScannedMerchant> for ScannedMerchantView {
    fn from(scanned: &ScannedMerchant) -> Self {
        let money = |amount: Amount| MoneyView::new(amount, scanned.currency.code);
        Self {
            kind: if scanned.dynamic { "dynamic" } else { "static" }.to_owned(),
            merchant_id: scanned.merchant_id.0,
            merchant_name: scanned.merchant_name.clone(),
            city: scanned.city.clone(),
            till: named_till(scanned.till.as_str()),
            amount: scanned.amount.map(money),
            currency: scanned.currency.code.as_str().to_owned(),
            reference: scanned.reference.clone(),
            max_amount: scanned.max_amount.map(money),
            request_id: scanned.request_id.map(|id| id.0),
            request_status: scanned.request_status.map(|status| status.as_str().to_owned()),
            expires_at: scanned.expires_at.map(rfc3339),
        }
    }
}
