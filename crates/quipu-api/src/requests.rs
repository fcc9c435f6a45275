//! Request bodies. Unknown fields are refused (a typo is an error, not a
//! silently ignored field); amounts are decimal strings, never JSON numbers;
//! PINs are never serialised, so they never reach an idempotency fingerprint.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// International format, e.g. "+250788123456".
    pub phone: String,
    pub full_name: String,
    /// 8 to 128 characters.
    pub password: String,
    /// Payment PIN, 4 to 6 digits.
    pub pin: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub phone: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundingSourceRequest {
    pub bank_name: String,
    pub account_number: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct P2pRequest {
    pub to_phone: String,
    /// Decimal string, e.g. "12.50".
    pub amount: String,
    /// ISO 4217 code; the network's default currency if absent.
    pub currency: Option<String>,
    #[serde(skip_serializing)]
    pub pin: String,
    /// Shown to both sides; at most 100 characters.
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CashInRequest {
    pub customer_phone: String,
    pub amount: String,
    pub currency: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CashOutRequest {
    pub customer_phone: String,
    pub amount: String,
    pub currency: Option<String>,
    /// The customer types their PIN on the agent's device.
    #[serde(skip_serializing)]
    pub customer_pin: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgentRequest {
    pub phone: String,
    pub full_name: String,
    pub password: String,
    pub pin: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMerchantRequest {
    pub name: String,
    pub owner_phone: String,
    pub owner_full_name: String,
    pub owner_password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCashierRequest {
    pub phone: String,
    pub full_name: String,
    pub password: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FloatRequest {
    pub agent_id: uuid::Uuid,
    pub amount: String,
    pub currency: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// RFC 3339, inclusive.
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    pub to: Option<String>,
    /// Comma-separated kinds: issuance, redemption, cash_in, cash_out, p2p, payment, refund, fee, adjustment, expiry.
    pub kind: Option<String>,
    /// 1 to 200; default 50.
    pub limit: Option<u32>,
}

impl From<HistoryParams> for quipu_core::wallet::HistoryFilter {
    fn from(params: HistoryParams) -> Self {
        Self { cursor: params.cursor, from: params.from, to: params.to, kinds: params.kind, limit: params.limit }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollDeviceRequest {
    /// What the customer calls the device, e.g. "my phone".
    pub label: String,
    pub pin: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargeRequest {
    /// The customer's payment code as scanned or typed: 20 digits starting 84, or its EMV CPM payload.
    pub code: String,
    /// Decimal string, e.g. "12.50".
    pub amount: String,
    /// ISO 4217 code; the network's default currency if absent.
    pub currency: Option<String>,
    /// The till's own reference (receipt number), at most 64 characters.
    pub reference: Option<String>,
    /// Which till took it (at most 16 letters, digits, spaces, - or _), for its live events.
    pub till: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    pub pin: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// Decimal string; absent refunds everything not yet refunded.
    pub amount: Option<String>,
    /// Must be the payment's currency if given.
    pub currency: Option<String>,
    /// Shown to the customer; at most 100 characters.
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantFeeRequest {
    /// The fee on each payment in basis points: 150 is 1.5%. At most 1000.
    pub fee_bps: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundPolicyRequest {
    pub cashiers_may_refund: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200; default 50.
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MerchantQrParams {
    /// A till's label, printed into the QR so payments show which till took them.
    pub till: Option<String>,
    /// ISO 4217 code; the network's default currency if absent.
    pub currency: Option<String>,
    /// json (default: the payload), png or svg.
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QrImageParams {
    /// json (default: the request), png or svg.
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequestRequest {
    /// Decimal string, e.g. "12.50".
    pub amount: String,
    /// ISO 4217 code; the network's default currency if absent.
    pub currency: Option<String>,
    /// Printed into the QR and shown to the customer: at most 25 printable ASCII characters.
    pub reference: Option<String>,
    pub till: Option<String>,
    /// How long the QR stays payable: 30 to 3600 seconds; 300 if absent.
    pub expires_in_seconds: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// Exactly what the camera read.
    pub payload: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayQrRequest {
    /// Exactly what the camera read from the merchant's QR.
    pub payload: String,
    /// What the customer typed, for a static QR; a dynamic QR's amount is fixed (if given, it must match).
    pub amount: Option<String>,
    pub currency: Option<String>,
    #[serde(skip_serializing)]
    pub pin: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantProfileRequest {
    /// Where the merchant trades; its QR shows the first 15 Latin characters.
    pub city: String,
    /// ISO 18245 merchant category code, four digits (5411 groceries, 5912 pharmacies, 5812 restaurants).
    pub category_code: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventStreamParams {
    /// Only this till's events (its label); all of the merchant's if absent.
    pub till: Option<String>,
    /// Resume after this event id, for clients that cannot send `Last-Event-ID`.
    pub after: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// An https URL on the public internet, at most 500 characters.
    pub url: String,
    /// Event types to receive: payment.awaiting_approval, payment.completed, payment.failed,
    /// refund.completed; absent or `["*"]` for all.
    pub events: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueCardRequest {
    /// ISO 4217 code of the card's balance; the network's default currency if absent.
    pub currency: Option<String>,
    /// Links the card to this customer (they see it in the app and can block it); absent for an anonymous card.
    pub holder_phone: Option<String>,
    /// The PIN the holder chooses, 4 to 6 digits, typed on the agent's device.
    #[serde(skip_serializing)]
    pub pin: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardTopUpRequest {
    /// The 16-digit card number; spaces and dashes are ignored.
    pub number: String,
    pub amount: String,
    pub currency: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardNumberRequest {
    pub number: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardBalanceRequest {
    pub number: String,
    pub pin: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceCardRequest {
    /// The number of the card being replaced.
    pub number: String,
    /// The PIN the holder chooses for the new card.
    #[serde(skip_serializing)]
    pub pin: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardPaymentRequest {
    /// The card number, typed or scanned from the card's QR or barcode.
    pub number: String,
    /// The holder types it on the till's PIN pad.
    #[serde(skip_serializing)]
    pub pin: String,
    pub amount: String,
    pub currency: Option<String>,
    pub reference: Option<String>,
    pub till: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnblockCardRequest {
    /// The customer's own account PIN.
    pub pin: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryParams {
    /// YYYY-MM-DD; today by default.
    pub date: Option<String>,
    /// The merchant's UTC offset in minutes (Lima: -300), -720 to 840; 0 by default.
    pub utc_offset_minutes: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerTierRequest {
    /// basic or verified.
    pub tier: String,
}
